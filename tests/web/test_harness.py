"""The browser-test harness itself, before any page exists: Chromium reaches the live
server, the live server serves this test's database, axe finds what it should."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import httpx2 as httpx
import pytest
from fastapi import FastAPI
from playwright.sync_api import Page
from sqlalchemy import Engine

from tests.factories import PASSWORD, make_user
from tests.web.axe import AXE_VERSION, axe_violations, describe
from tests.web.chromium import chromium_executable
from tests.web.live import IDLE_BODY, LiveServer

UNLABELLED = """<!doctype html>
<html lang="en"><head><title>Form</title></head>
<body><main><form><input type="text" name="amount"></form></main></body></html>"""

LABELLED = UNLABELLED.replace(
    '<input type="text" name="amount">',
    '<label for="amount">Amount</label><input type="text" id="amount" name="amount">',
)


def test_chromium_answers_from_the_live_server(live_server: str, page: Page) -> None:
    response = page.goto(f"{live_server}/health")
    assert response is not None
    assert response.status == 200
    assert "ok" in page.inner_text("body")


def test_the_live_server_serves_this_tests_database(
    live_server: str, page: Page, engine: Engine
) -> None:
    make_user(engine, email="camille@example.fr", household="Chez nous")
    form: dict[str, str | float | bool] = {"username": "camille@example.fr", "password": PASSWORD}
    token = page.request.post(f"{live_server}/api/v1/auth/token", form=form)
    assert token.status == 200, token.text()
    bearer = {"Authorization": f"Bearer {token.json()['access_token']}"}
    me = page.request.get(f"{live_server}/api/v1/auth/me", headers=bearer)
    assert me.json()["household_name"] == "Chez nous"


def test_axe_reports_an_unlabelled_input(page: Page) -> None:
    page.set_content(UNLABELLED)
    violations = axe_violations(page)
    assert [v["id"] for v in violations] == ["label"], describe(violations)
    assert violations[0]["impact"] == "critical"
    assert violations[0]["nodes"][0]["target"] == ["input"]
    assert page.evaluate("() => window.axe.version") == AXE_VERSION


def test_axe_finds_nothing_once_the_input_is_labelled(page: Page) -> None:
    page.set_content(LABELLED)
    violations = axe_violations(page)
    assert violations == [], describe(violations)


def test_axe_impacts_filter(page: Page) -> None:
    page.set_content(UNLABELLED)
    assert axe_violations(page, impacts=("minor",)) == []
    assert "label" in [v["id"] for v in axe_violations(page, impacts=None)]


def test_live_server_swaps_apps_and_stops(fresh_app: Callable[..., FastAPI]) -> None:
    server = LiveServer()
    server.start()
    try:
        idle = httpx.get(f"{server.url}/health")
        assert (idle.status_code, idle.content) == (503, IDLE_BODY)
        with server.serving(fresh_app()) as url:
            assert httpx.get(f"{url}/health").json() == {"status": "ok"}
        assert httpx.get(f"{server.url}/health").status_code == 503
    finally:
        server.stop()
    assert not server.running
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{server.url}/health")


def test_missing_chromium_is_a_service_unavailable(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    missing = tmp_path / "chromium"
    monkeypatch.setenv("FOYER_TEST_CHROMIUM", str(missing))
    monkeypatch.setattr("tests.helpers.REQUIRE_SERVICES", False)
    with pytest.raises(pytest.skip.Exception, match=f"Chromium not found at {missing}"):
        chromium_executable()
    monkeypatch.setattr("tests.helpers.REQUIRE_SERVICES", True)
    with pytest.raises(pytest.fail.Exception, match="FOYER_REQUIRE_SERVICES=1"):
        chromium_executable()
