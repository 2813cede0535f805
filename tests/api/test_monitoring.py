"""/api/v1/monitoring (SPEC §7, §8): operators only; the performance report; cache clear;
reset; memory snapshots."""

from __future__ import annotations

import time

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from foyer.auth.security import issue_token
from tests.factories import Api, make_user
from tests.helpers import assert_envelope

ROUTES = [
    ("GET", "/api/v1/monitoring/performance"),
    ("POST", "/api/v1/monitoring/cache/clear"),
    ("POST", "/api/v1/monitoring/reset"),
    ("POST", "/api/v1/monitoring/memory/start"),
    ("POST", "/api/v1/monitoring/memory/snapshot"),
    ("POST", "/api/v1/monitoring/memory/stop"),
]


@pytest.fixture
def operator(client: TestClient, engine: Engine) -> dict[str, str]:
    user = make_user(engine, email="ops@example.com", household="Ops", operator=True)
    secret = client.app.state.foyer.secret  # type: ignore[attr-defined]
    token = issue_token(secret, user_id=user.id, household_id=user.household_id, ttl_minutes=60)
    return {"Authorization": f"Bearer {token}"}


@pytest.mark.parametrize(("method", "path"), ROUTES)
def test_only_operators_reach_monitoring(
    client: TestClient, api: Api, operator: dict[str, str], method: str, path: str
) -> None:
    anonymous = client.request(method, path)
    assert_envelope(anonymous, 401, "unauthorized")
    household = client.request(method, path, headers=api.headers)
    assert_envelope(household, 403, "forbidden")
    allowed = client.request(method, path, headers=operator)
    assert allowed.status_code in (200, 204, 409), allowed.text
    client.post("/api/v1/monitoring/memory/stop", headers=operator)


def test_performance_report(api: Api, client: TestClient, operator: dict[str, str]) -> None:
    for _ in range(2):  # the miss and the hit, both answered before routing
        api.ok("/dashboard/summary", month="2025-06")
    api.ok("/dashboard/summary", month="2025-06", x="1")  # a parameter the fast path leaves
    api.ok("/fixed-lines")
    response = client.get("/api/v1/monitoring/performance", headers=operator)
    assert response.status_code == 200, response.text
    report = response.json()
    routes = report["routes"]
    summary = routes["/api/v1/dashboard/summary"]
    fast = routes["fast:/api/v1/dashboard/summary"]
    assert summary["count"] == 1
    assert fast["count"] == 2
    for stats in (summary, fast):
        assert 0 <= stats["p50_ms"] <= stats["p95_ms"] <= stats["p99_ms"]
    assert routes["/api/v1/fixed-lines"]["queries_mean"] >= 1
    assert report["queries"]["repeated"] == []
    assert isinstance(report["queue"]["depth"], int)
    assert "alerts" in report
    assert report["memory"]["current_bytes"] > 0
    feed = client.app.state.foyer.view_cache.loop_stamps.feed
    if feed is None:  # SQLite reads its stamps in-process: no feed
        assert report["stamp_feed"] is None
        return
    deadline = time.monotonic() + 10  # it connects in the background, from the first hit
    while not feed.live:
        assert time.monotonic() < deadline, "the stamp feed never connected"
        time.sleep(0.01)
    api.ok("/dashboard/summary", month="2025-06")  # a hit that waits for a fence
    report = client.get("/api/v1/monitoring/performance", headers=operator).json()
    assert report["stamp_feed"]["live"] is True
    assert report["stamp_feed"]["fences"] >= 1


def test_reset_forgets_the_window(api: Api, client: TestClient, operator: dict[str, str]) -> None:
    api.ok("/fixed-lines")
    assert client.post("/api/v1/monitoring/reset", headers=operator).status_code == 204
    report = client.get("/api/v1/monitoring/performance", headers=operator).json()
    assert "/api/v1/fixed-lines" not in report["routes"]


def test_cache_clear_makes_the_next_read_a_miss(
    api: Api, client: TestClient, operator: dict[str, str]
) -> None:
    api.ok("/dashboard/summary", month="2025-06")
    api.ok("/dashboard/summary", month="2025-06")
    assert api.count("summary", "l1", "miss") == 1
    cleared = client.post("/api/v1/monitoring/cache/clear", headers=operator)
    assert cleared.status_code == 200
    assert cleared.json()["l1"] == "cleared"
    api.ok("/dashboard/summary", month="2025-06")
    assert api.count("summary", "l1", "miss") == 2


def test_memory_snapshots(client: TestClient, operator: dict[str, str], app: FastAPI) -> None:
    before = client.post("/api/v1/monitoring/memory/snapshot", headers=operator)
    assert_envelope(before, 409, "conflict")
    try:
        started = client.post("/api/v1/monitoring/memory/start", headers=operator, json={})
        assert started.json()["tracing"] is True
        keep = [bytearray(1000) for _ in range(2000)]  # ~2 MB allocated between snapshots
        diff = client.post("/api/v1/monitoring/memory/snapshot", headers=operator).json()
        assert diff["top"], diff
        assert sum(site["size_diff_bytes"] for site in diff["top"]) > 1_000_000
        del keep
    finally:
        assert client.post("/api/v1/monitoring/memory/stop", headers=operator).status_code == 204
    assert app.state.foyer.memory.tracing is False
