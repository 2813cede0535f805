"""SPEC §7: no request ever reads or changes another household's data.

Household A (`api`) owns a configuration, a fixed line, a provision and transactions.
Household B (`other_api`) then calls every endpoint under /api/v1: A's ids answer 404
(exactly as an id that never existed), B's views show none of A's rows or totals, and
A's data is unchanged afterwards. Every /api/v1 route must have a probe in
tests/api/isolation_probes.py (`test_every_api_route_has_an_isolation_probe`), so a new
endpoint cannot ship without one.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI, Request
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from foyer.api.deps import AppState, get_state
from foyer.api.fastpath import CachedHitsMiddleware
from foyer.cache.views import DRILL_DOWN
from tests.api.isolation_probes import (
    A_TRANSACTIONS,
    CATEGORY,
    MONTH,
    PROBES,
    TAG,
    Probe,
    World,
)
from tests.factories import Api, make_fixed_line, make_provision, make_transaction

PREFIX = "/api/v1"
UNREACHABLE = {("POST", "/auth/token")}  # anonymous by design: nothing of a household's
HTTP_METHODS = {"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"}


@pytest.fixture
def world(api: Api, other_api: Api) -> World:
    config = {"member1_name": "Alex", "member2_name": "Sam", "income1": 3000, "income2": 2000}
    assert api.put("/config", config).status_code == 200
    line = api.post("/fixed-lines", make_fixed_line())
    prov = api.post("/provisions", make_provision(target_amount=3000, current_amount=450))
    assert line.status_code == prov.status_code == 201
    tids = api.create_transactions(*A_TRANSACTIONS)
    world = World(
        a=api,
        b=other_api,
        tid=tids[0],
        tids=tids,
        line_id=line.json()["id"],
        prov_id=prov.json()["id"],
    )
    # A's own views are not empty: each probe compares B's view with a non-trivial one.
    summary = api.ok("/dashboard/summary", month=MONTH)
    assert summary["variable"]["total"] == 74.3
    assert summary["fixed"]["count"] == 1
    assert summary["provisions"]["count"] == 1
    assert all(value != 0 for value in summary["actuals"].values())
    return world


def snapshot(w: World) -> dict[str, Any]:
    """Everything A can see; must be identical before and after B's requests."""
    a = w.a
    views: dict[str, Any] = {
        "me": a.ok("/auth/me"),
        "config": a.ok("/config"),
        "fixed-lines": a.ok("/fixed-lines"),
        "line": a.ok(f"/fixed-lines/{w.line_id}"),
        "provisions": a.ok("/provisions"),
        "provision": a.ok(f"/provisions/{w.prov_id}"),
        "calculate": a.ok("/provisions/calculate", month=MONTH),
        "transactions": a.ok("/transactions", limit=500),
        "hierarchy": a.ok("/transactions/hierarchy", month=MONTH),
        "summary": a.ok("/dashboard/summary", month=MONTH),
        "slim": a.ok("/dashboard/summary/slim", month=MONTH),
        "trends": a.ok("/dashboard/trends", **{"from": "2025-01", "to": "2025-12"}),
        "analytics": a.ok("/analytics/categories", month=MONTH),
    }
    for level in ("summary", "details", "transactions"):
        views[f"drill-{level}"] = a.ok(
            f"/dashboard/drill-down/{CATEGORY}", month=MONTH, level=level
        )
    for tid in w.tids:
        views[f"transaction-{tid}"] = a.ok(f"/transactions/{tid}")
    return views


@pytest.fixture
def served(app: FastAPI, monkeypatch: pytest.MonkeyPatch) -> Iterator[list[tuple[str, str, str]]]:
    """(Authorization header, method, route path) of every request the app serves.

    Recorded where the app resolves its state, a dependency of every /api/v1 route, so it
    names the route that really answered (after routing), not one guessed from the URL;
    and where the fast path (foyer.api.fastpath) answers a cache hit before routing.
    """
    seen: list[tuple[str, str, str]] = []
    fast_answer = CachedHitsMiddleware._answer

    async def recording_answer(self: CachedHitsMiddleware, scope: Any) -> Any:
        response = await fast_answer(self, scope)
        if response is not None:
            path = scope["path"]
            drill_down = PREFIX + DRILL_DOWN.removesuffix("{category}")
            if path.startswith(drill_down):
                path = PREFIX + DRILL_DOWN
            auth = dict(scope["headers"]).get(b"authorization", b"").decode("latin-1")
            seen.append((auth, scope["method"], path))
        return response

    monkeypatch.setattr(CachedHitsMiddleware, "_answer", recording_answer)

    async def recording_state(request: Request) -> AppState:
        segments = request.url.path.split("/")
        for name, value in request.path_params.items():
            segments = [f"{{{name}}}" if seg == str(value) else seg for seg in segments]
        seen.append((request.headers.get("Authorization", ""), request.method, "/".join(segments)))
        return await get_state(request)

    app.dependency_overrides[get_state] = recording_state
    try:
        yield seen
    finally:
        del app.dependency_overrides[get_state]


def api_routes(app: FastAPI, client: TestClient) -> set[tuple[str, str]]:
    """Every (method, path) under /api/v1: the OpenAPI document, plus any plain APIRoute
    listed at the top of app.routes (FastAPI versions that flatten included routers)."""
    documented = client.get("/openapi.json").json()["paths"]
    routes = {
        (method.upper(), path)
        for path, operations in documented.items()
        for method in operations
        if method.upper() in HTTP_METHODS
    }
    routes |= {
        (method, route.path)
        for route in app.routes
        if isinstance(route, APIRoute)
        for method in route.methods
    }
    return {(method, path) for method, path in routes if path.startswith(PREFIX + "/")}


@pytest.mark.parametrize("probe", PROBES, ids=lambda p: f"{p.method} {p.route}")
def test_other_household_cannot_reach(
    world: World, served: list[tuple[str, str, str]], probe: Probe
) -> None:
    before = snapshot(world)
    probe.run(world)
    assert snapshot(world) == before
    # The probe really exercised the route it stands for, as household B.
    by_b = {(m, path) for auth, m, path in served if auth == world.b.headers["Authorization"]}
    assert (probe.method, PREFIX + probe.route) in by_b


def test_every_api_route_has_an_isolation_probe(app: FastAPI, client: TestClient) -> None:
    routes = api_routes(app, client)
    assert len(routes) > len(UNREACHABLE)
    probed = {(p.method, PREFIX + p.route) for p in PROBES}
    unreachable = {(method, PREFIX + path) for method, path in UNREACHABLE}
    assert routes - unreachable == probed, (
        f"routes without a probe: {sorted(routes - unreachable - probed)}; "
        f"probes without a route: {sorted(probed - routes)}"
    )
    assert len(probed) == len(PROBES)


def test_a_and_b_each_see_only_their_own_rows(world: World) -> None:
    """Both households write the same month and category; each sees exactly its own."""
    mine = world.b.create_transactions(
        make_transaction(amount=-5, tags=[TAG]), make_transaction(amount=-7, date="2025-05-02")
    )
    a_ids = {i["id"] for i in world.a.ok("/transactions", limit=500)["items"]}
    b_ids = {i["id"] for i in world.b.ok("/transactions", limit=500)["items"]}
    assert a_ids == set(world.tids)
    assert b_ids == set(mine)
    a_drill = world.a.ok(f"/dashboard/drill-down/{CATEGORY}", month=MONTH)
    b_drill = world.b.ok(f"/dashboard/drill-down/{CATEGORY}", month=MONTH)
    assert (a_drill["total"], a_drill["count"], a_drill["previous_total"]) == (74.3, 2, 31.5)
    assert (b_drill["total"], b_drill["count"], b_drill["previous_total"]) == (5, 1, 7)
