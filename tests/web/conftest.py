"""Browser tests: foyer served over real HTTP, driven by the system's Chromium.

- `chromium_path`: `FOYER_TEST_CHROMIUM`, else /usr/bin/chromium (Debian's package;
  tests/web/chromium.py). Missing: the browser tests skip with the reason, or fail under
  FOYER_REQUIRE_SERVICES=1. Playwright never downloads a browser (no `playwright install`).
- `browser` (one per test module): Playwright's sync API on that Chromium, headless,
  `--no-sandbox` when running as root.
- `live_app`: the app `live_server` serves, a fresh one per test on this test's database
  (`fresh_app`: its own cache, warmer, throttle, as another process). Override it in a
  module for other settings: `def live_app(fresh_app): return fresh_app(cache="off")`.
- `live_server`: the base URL of a real uvicorn serving `live_app` (tests/web/live.py).
- `page_locale` ("en-GB"; override or parametrize it) and `page`: a new browser context and
  page per test, with that locale (navigator.language and Accept-Language).
- `tests/web/axe.py`: `axe_violations(page)` and `describe(violations)`.

Browser tests run on SQLite only: what they test is the browser's side (pages, forms,
htmx, accessibility), while the SQL under every page is the API's, which runs on both
databases elsewhere. A test that wants PostgreSQL too says so:
`@pytest.mark.parametrize("backend", ["sqlite", "postgresql"], indirect=True)`.

Why `browser` is module-scoped, not session-scoped: while Playwright's sync API is started,
the main thread looks as if an event loop ran in it (its loop is suspended in a greenlet), so
`asyncio.run` raises there — a session-wide browser would break any later test outside
tests/web that runs a loop (pytest interleaves the SQLite and PostgreSQL halves). For the
same reason, no `asyncio.run` in a browser test. Launching costs ~0.6 s per module.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from playwright.sync_api import Browser, Page, sync_playwright

from tests.web.chromium import chromium_executable, launch_args
from tests.web.live import LiveServer

#: Playwright waits this long for an element or a navigation (its own default: 30 s).
TIMEOUT_MS = 5_000


@pytest.hookimpl(tryfirst=True)
def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Put browser tests on SQLite (see the module's docstring) unless they parametrize
    `backend` themselves. This is the `backend` fixture's own "sqlite" parameter, so the
    session's SQLite database and app are shared with the rest of the suite."""
    if "backend" not in metafunc.fixturenames:
        return
    for mark in metafunc.definition.iter_markers("parametrize"):
        names = mark.args[0] if mark.args else mark.kwargs.get("argnames", "")
        if isinstance(names, str):
            names = [name.strip() for name in names.split(",")]
        if "backend" in names:
            return
    metafunc.definition.add_marker(pytest.mark.parametrize("backend", ["sqlite"], indirect=True))


@pytest.fixture(scope="session")
def chromium_path() -> Path:
    return chromium_executable()


@pytest.fixture(scope="module")
def browser(chromium_path: Path) -> Iterator[Browser]:
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=chromium_path, args=launch_args())
        yield chromium
        chromium.close()


@pytest.fixture(scope="session")
def live_server_thread() -> Iterator[LiveServer]:
    """The one uvicorn of the run (its thread and port); `live_server` swaps its app."""
    server = LiveServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def live_app(fresh_app: Callable[..., FastAPI]) -> FastAPI:
    return fresh_app()


@pytest.fixture
def live_server(live_server_thread: LiveServer, live_app: FastAPI) -> Iterator[str]:
    """Base URL ("http://127.0.0.1:<port>", no trailing slash) of `live_app`, served for
    this test only (its lifespan started before, shut down after)."""
    with live_server_thread.serving(live_app) as url:
        yield url


@pytest.fixture
def page_locale() -> str:
    return "en-GB"


@pytest.fixture
def page(browser: Browser, page_locale: str) -> Iterator[Page]:
    context = browser.new_context(locale=page_locale)
    context.set_default_timeout(TIMEOUT_MS)
    context.set_default_navigation_timeout(TIMEOUT_MS)
    yield context.new_page()
    context.close()
