"""The browser's side of `foyer bench --web`: Chromium through Playwright, and what is
measured inside the page.

Playwright is a dev dependency (`pip install -e '.[dev]'`); it is imported only when a web
bench runs, and never downloads a browser: the system's Chromium is used
(`FOYER_BENCH_CHROMIUM`, else `FOYER_TEST_CHROMIUM`, else /usr/bin/chromium, Debian's
package). Times are taken in the page, on its own clock (`performance.now()`): paints from
the Paint Timing API, interactions from the input event's own timestamp to the frame that
shows the change, so neither Playwright's round trips nor this process's scheduling land
in a figure.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext, Page

DEFAULT_CHROMIUM = "/usr/bin/chromium"
#: Playwright's waits for an element, a navigation or a measure (its own default is 30 s).
TIMEOUT_MS = 15_000
SETTLED = "!document.querySelector('.htmx-request, .htmx-swapping, .htmx-settling')"
FCP = "performance.getEntriesByName('first-contentful-paint').length > 0"

#: After a navigation: its first contentful paint, the navigation's timing, and every
#: resource the page loaded (sizes as the network moved them: compressed, headers included).
LOAD_FIGURES = """() => {
  const nav = performance.getEntriesByType('navigation')[0];
  const fcp = performance.getEntriesByName('first-contentful-paint')[0];
  const size = (e) => ({name: e.name, kind: e.initiatorType, transfer: e.transferSize,
                        encoded: e.encodedBodySize, decoded: e.decodedBodySize,
                        blocking: e.renderBlockingStatus || '', status: e.responseStatus || 0});
  return {
    fcp_ms: fcp ? fcp.startTime : null,
    ttfb_ms: nav.responseStart - nav.requestStart,
    response_end_ms: nav.responseEnd,
    dom_content_loaded_ms: nav.domContentLoadedEventEnd,
    load_ms: nav.loadEventEnd,
    navigation: size(nav),
    resources: performance.getEntriesByType('resource').map(size),
  };
}"""

#: Arms a measure of the next click: from that click's event timestamp to the first DOM
#: state where `done()` holds (a MutationObserver sees it) and to the frame painted after
#: it (the next animation frame, then a task: the earliest script can run once that frame
#: is out). `window.__benchMeasure` resolves to {dom_ms, paint_ms} or {error}.
ARM = """([kind, selector, before]) => {
  const visible = (el) => el !== null && el.checkVisibility();
  const done = {
    visible: () => visible(document.querySelector(selector)),
    text_changed: () => {
      const el = document.querySelector(selector);
      return el !== null && el.textContent.trim() !== before;
    },
  }[kind];
  window.__benchMeasure = new Promise((resolve) => {
    let t0 = null, seen = false;
    document.addEventListener('click', (e) => { t0 = e.timeStamp; }, {capture: true, once: true});
    const check = () => {
      if (seen || t0 === null || !done()) return;
      seen = true;
      observer.disconnect();
      clearTimeout(timer);
      const dom = performance.now();
      requestAnimationFrame(() => {
        const channel = new MessageChannel();
        channel.port1.onmessage = () =>
          resolve({dom_ms: dom - t0, paint_ms: performance.now() - t0});
        channel.port2.postMessage(null);
      });
    };
    const observer = new MutationObserver(check);
    observer.observe(document.body, {childList: true, subtree: true, characterData: true,
                                     attributes: true});
    const timer = setTimeout(() => { observer.disconnect(); resolve({error: 'timeout'}); }, 10000);
  });
}"""

#: The last request of the page whose URL contains `part` (an htmx fragment): its time on
#: the network, server included, from the browser's resource timing.
REQUEST_FIGURES = """(part) => {
  const found = performance.getEntriesByType('resource').filter((e) => e.name.includes(part));
  const e = found[found.length - 1];
  return e ? {request_ms: e.responseEnd - e.startTime, ttfb_ms: e.responseStart - e.requestStart,
              transfer: e.transferSize} : null;
}"""


class WebBenchUnavailable(RuntimeError):
    """Playwright or Chromium is missing: the message says what to install."""


def web_chromium() -> Path:
    """The Chromium executable the web bench drives."""
    path = Path(
        os.environ.get("FOYER_BENCH_CHROMIUM")
        or os.environ.get("FOYER_TEST_CHROMIUM")
        or DEFAULT_CHROMIUM
    )
    if not (path.is_file() and os.access(path, os.X_OK)):
        raise WebBenchUnavailable(
            f"Chromium not found at {path}: apt-get install chromium, or set "
            "FOYER_BENCH_CHROMIUM to a Chromium executable (Playwright's own browser "
            "download is not used)"
        )
    return path


@contextmanager
def web_browser() -> Iterator[Browser]:
    """Headless Chromium (no sandbox as root: Chromium's sandbox refuses it)."""
    try:
        from playwright.sync_api import sync_playwright  # noqa: PLC0415 (a dev dependency)
    except ImportError as exc:
        raise WebBenchUnavailable(
            "the web bench drives Chromium through Playwright, a dev dependency: "
            "pip install -e '.[dev]' (no `playwright install` needed: the system's "
            "Chromium is used)"
        ) from exc
    executable = web_chromium()
    args = ["--no-sandbox"] if os.geteuid() == 0 else []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=args)
        try:
            yield browser
        finally:
            browser.close()


def web_context(
    browser: Browser,
    cookies: list[dict[str, Any]],
    *,
    locale: str = "en-GB",
    width: int = 1280,
    height: int = 900,
    scale: float = 1,
    mobile: bool = False,
) -> BrowserContext:
    """A fresh context: its own empty cache and cookie jar, holding only `cookies`
    (each {name, value, url}). As a new profile would, it has never seen the site."""
    context = browser.new_context(
        locale=locale,
        viewport={"width": width, "height": height},
        device_scale_factor=scale,
        is_mobile=mobile,
        has_touch=mobile,
    )
    context.set_default_timeout(TIMEOUT_MS)
    context.set_default_navigation_timeout(TIMEOUT_MS)
    if cookies:
        context.add_cookies(cookies)  # type: ignore[arg-type]
    return context


def settled(page: Page) -> None:
    """Until htmx has swapped and settled."""
    page.wait_for_function(SETTLED)


def load(page: Page, url: str, *, network: list[int] | None = None) -> dict[str, Any]:
    """Navigate to `url` and return its figures (LOAD_FIGURES) once it has painted and
    loaded. With `network`, the page's CDP Network bytes (encodedDataLength of each
    finished request) are appended to it as they come."""
    session = None
    if network is not None:
        session = page.context.new_cdp_session(page)
        session.on(
            "Network.loadingFinished", lambda event: network.append(int(event["encodedDataLength"]))
        )
        session.send("Network.enable")
    response = page.goto(url, wait_until="load")
    if response is None or response.status >= 400:
        raise RuntimeError(f"{url}: {None if response is None else response.status}")
    page.wait_for_function(FCP)
    if network is not None:
        page.wait_for_load_state("networkidle")  # every loadingFinished is in
    figures: dict[str, Any] = page.evaluate(LOAD_FIGURES)
    figures["status"] = response.status
    if session is not None:
        session.detach()
    return figures


def measure_click(
    page: Page,
    click: Callable[[], None],
    *,
    kind: str,
    selector: str,
    before: str = "",
    request: str | None = None,
) -> dict[str, Any]:
    """The time from `click()`'s click to `selector` visible (kind "visible") or its text
    other than `before` ("text_changed"): {dom_ms, paint_ms} plus, with `request`, the
    fragment request's own timing (REQUEST_FIGURES)."""
    page.evaluate(ARM, [kind, selector, before])
    click()
    result: dict[str, Any] = page.evaluate("window.__benchMeasure")
    if "error" in result:
        raise RuntimeError(f"{kind} {selector}: {result['error']}")
    if request is not None:
        result["request"] = page.evaluate(REQUEST_FIGURES, request)
    settled(page)
    return result
