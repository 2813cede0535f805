"""SPEC §7: no request ever reads or changes another household's data.

Household A (`api`) owns a configuration, a fixed line, a provision and transactions.
Household B (`other_api`) then calls every endpoint under /api/v1: A's ids answer 404
(exactly as an id that never existed), B's views show none of A's rows or totals, and
A's data is unchanged afterwards. Every /api/v1 route must have a probe here
(`test_every_api_route_has_an_isolation_probe`), so a new endpoint cannot ship without one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi import FastAPI, Request
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from foyer.api.deps import AppState, get_state
from foyer.api.fastpath import CachedHitsMiddleware
from foyer.cache.views import DRILL_DOWN
from tests.factories import Api, make_fixed_line, make_provision, make_transaction
from tests.test_api_basics import assert_envelope

PREFIX = "/api/v1"
MONTH = "2025-06"
CATEGORY = "courses"
TAG = "weekly"
UNREACHABLE = {("POST", "/auth/token")}  # anonymous by design: nothing of a household's
NEVER = 987_654_321  # an id no test row ever gets
HTTP_METHODS = {"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"}


@dataclass
class World:
    a: Api
    b: Api
    tid: int  # A's VARIABLE debit in MONTH, category CATEGORY, tagged TAG
    tids: list[int]  # every transaction of A's
    line_id: int
    prov_id: int


A_TRANSACTIONS = [
    make_transaction(date="2025-06-12", amount=-54.3, label="CB CARREFOUR 12/06", tags=[TAG]),
    make_transaction(date="2025-06-03", amount=-20, label="CB MONOPRIX", tags=[TAG, "bio"]),
    make_transaction(date="2025-05-20", amount=-31.5, label="CB CARREFOUR 20/05"),
    make_transaction(
        date="2025-06-01", amount=2500, label="SALAIRE", category="salaire", category_parent="rev"
    ),
    make_transaction(
        date="2025-06-05", amount=-1150, label="LOYER", category="loyer", expense_type="FIXED"
    ),
    make_transaction(
        date="2025-06-06", amount=-100, label="EPARGNE", category="ep", expense_type="PROVISION"
    ),
    make_transaction(date="2025-06-07", amount=-9.99, label="REMBOURSE", exclude=True),
]


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


def assert_hidden(b: Api, method: str, path: str, body: Any = None) -> None:
    """B's request on A's object answers exactly as for an object that never existed."""

    def call(p: str) -> Any:
        if method in ("GET", "DELETE"):
            return getattr(b, method.lower())(p)
        return getattr(b, method.lower())(p, body)

    response = call(path)
    error = assert_envelope(response, 404, "not_found")
    missing = call(path.rsplit("/", 1)[0] + f"/{NEVER}")
    assert missing.status_code == 404
    assert error["message"] == missing.json()["error"]["message"]
    assert "details" not in error


# -- the probes: one per (method, route) -----------------------------------------------------


def probe_me(w: World) -> None:
    me_b, me_a = w.b.ok("/auth/me"), w.a.ok("/auth/me")
    assert me_b["household_id"] != me_a["household_id"]
    assert me_b["household_name"] == "Elsewhere"
    assert me_b["email"] == "mallory@example.com"


def probe_get_config(w: World) -> None:
    config_b = w.b.ok("/config")
    assert config_b["income1"] == config_b["income2"] == 0
    assert config_b["member1_name"] == "Member 1"
    assert w.a.ok("/config")["income1"] == 3000


def probe_put_config(w: World) -> None:
    response = w.b.put("/config", {"income1": 1, "member1_name": "Mallory", "split_mode": "manual"})
    assert response.status_code == 200, response.text
    assert w.b.ok("/config")["member1_name"] == "Mallory"
    assert w.a.ok("/config")["member1_name"] == "Alex"


def probe_list_fixed_lines(w: World) -> None:
    assert w.b.ok("/fixed-lines") == {"items": []}
    assert len(w.a.ok("/fixed-lines")["items"]) == 1


def probe_create_fixed_line(w: World) -> None:
    response = w.b.post("/fixed-lines", make_fixed_line(label="Mine"))
    assert response.status_code == 201, response.text
    assert [item["label"] for item in w.b.ok("/fixed-lines")["items"]] == ["Mine"]
    assert [item["id"] for item in w.a.ok("/fixed-lines")["items"]] == [w.line_id]


def probe_get_fixed_line(w: World) -> None:
    assert_hidden(w.b, "GET", f"/fixed-lines/{w.line_id}")


def probe_put_fixed_line(w: World) -> None:
    assert_hidden(w.b, "PUT", f"/fixed-lines/{w.line_id}", make_fixed_line(label="Hijacked"))


def probe_patch_fixed_line(w: World) -> None:
    assert_hidden(w.b, "PATCH", f"/fixed-lines/{w.line_id}", {"label": "Hijacked"})
    assert_hidden(w.b, "PATCH", f"/fixed-lines/{w.line_id}", {"active": False, "amount": 1})


def probe_delete_fixed_line(w: World) -> None:
    assert_hidden(w.b, "DELETE", f"/fixed-lines/{w.line_id}")


def probe_list_provisions(w: World) -> None:
    assert w.b.ok("/provisions") == {"items": []}
    assert len(w.a.ok("/provisions")["items"]) == 1


def probe_create_provision(w: World) -> None:
    response = w.b.post("/provisions", make_provision(name="Mine"))
    assert response.status_code == 201, response.text
    assert [item["name"] for item in w.b.ok("/provisions")["items"]] == ["Mine"]
    assert [item["id"] for item in w.a.ok("/provisions")["items"]] == [w.prov_id]


def probe_calculate_provisions(w: World) -> None:
    calc_b = w.b.ok("/provisions/calculate", month=MONTH)
    assert calc_b["items"] == []
    assert calc_b["totals"] == {"monthly": 0, "member1": 0, "member2": 0}
    calc_a = w.a.ok("/provisions/calculate", month=MONTH)
    assert [item["id"] for item in calc_a["items"]] == [w.prov_id]
    assert calc_a["totals"]["monthly"] == 250


def probe_get_provision(w: World) -> None:
    assert_hidden(w.b, "GET", f"/provisions/{w.prov_id}")


def probe_put_provision(w: World) -> None:
    assert_hidden(w.b, "PUT", f"/provisions/{w.prov_id}", make_provision(name="Hijacked"))


def probe_patch_provision(w: World) -> None:
    assert_hidden(w.b, "PATCH", f"/provisions/{w.prov_id}", {"name": "Hijacked"})
    assert_hidden(w.b, "PATCH", f"/provisions/{w.prov_id}", {"current_amount": 0})


def probe_delete_provision(w: World) -> None:
    assert_hidden(w.b, "DELETE", f"/provisions/{w.prov_id}")


def probe_list_transactions(w: World) -> None:
    b = w.b
    assert b.ok("/transactions") == {"items": [], "next_cursor": None}
    for sort in ("date_desc", "date_asc", "amount_asc", "amount_desc"):
        assert b.ok("/transactions", sort=sort, limit=1)["items"] == []
    a_filters: list[dict[str, Any]] = [
        {"month": MONTH},
        {"category": CATEGORY},
        {"category_parent": "alimentation"},
        {"expense_type": "VARIABLE"},
        {"exclude": "false"},
        {"exclude": "true"},
        {"tag": TAG},
        {"q": "carrefour"},
    ]
    for params in a_filters:
        assert b.ok("/transactions", **params)["items"] == [], params
        assert w.a.ok("/transactions", **params)["items"], params
    # A's cursor in B's hands pages through B's rows only (there are none).
    a_page = w.a.ok("/transactions", limit=1)
    assert a_page["next_cursor"] is not None
    assert b.ok("/transactions", limit=1, cursor=a_page["next_cursor"])["items"] == []


def probe_create_transaction(w: World) -> None:
    response = w.b.post("/transactions", make_transaction(amount=-10, tags=[TAG]))
    assert response.status_code == 201, response.text
    mine = response.json()["id"]
    assert mine not in w.tids
    assert [item["id"] for item in w.b.ok("/transactions")["items"]] == [mine]
    assert [item["id"] for item in w.b.ok("/transactions", tag=TAG)["items"]] == [mine]
    # B's totals count B's row alone, in the same month and category as A's.
    assert w.b.ok("/dashboard/summary", month=MONTH)["variable"]["total"] == 10
    drill = w.b.ok(f"/dashboard/drill-down/{CATEGORY}", month=MONTH, level="details")
    assert drill["by_tag"] == [{"tag": TAG, "total": 10, "count": 1}]


def probe_bulk_create(w: World) -> None:
    mine = w.b.create_transactions(
        make_transaction(amount=-1, tags=[TAG]), make_transaction(amount=-2)
    )
    assert not set(mine) & set(w.tids)
    got = [item["id"] for item in w.b.ok("/transactions", sort="amount_desc")["items"]]
    assert got == mine
    (parent,) = w.b.ok("/transactions/hierarchy", month=MONTH)
    assert (parent["total"], parent["count"]) == (3, 2)


def probe_hierarchy(w: World) -> None:
    assert w.b.ok("/transactions/hierarchy", month=MONTH) == []
    assert w.a.ok("/transactions/hierarchy", month=MONTH)


def probe_get_transaction(w: World) -> None:
    for tid in w.tids:
        assert_hidden(w.b, "GET", f"/transactions/{tid}")


def probe_patch_transaction(w: World) -> None:
    bodies: list[dict[str, Any]] = [
        {"label": "Hijacked"},
        {"category": "x"},
        {"category_parent": "x"},
        {"exclude": True},
        {"expense_type": "FIXED"},
        {"tags": ["stolen"]},
        {"tags": []},
        {},
    ]
    for body in bodies:
        assert_hidden(w.b, "PATCH", f"/transactions/{w.tid}", body)


def probe_delete_transaction(w: World) -> None:
    for tid in w.tids:
        assert_hidden(w.b, "DELETE", f"/transactions/{tid}")


def probe_summary(w: World) -> None:
    summary = w.b.ok("/dashboard/summary", month=MONTH)
    assert summary["variable"] == {"total": 0, "member1": 0, "member2": 0, "count": 0}
    assert summary["fixed"] == {"total": 0, "member1": 0, "member2": 0, "count": 0, "lines": []}
    assert summary["provisions"] == {
        "total": 0,
        "member1": 0,
        "member2": 0,
        "count": 0,
        "items": [],
    }
    assert summary["totals"] == {"member1": 0, "member2": 0, "grand_total": 0}
    assert summary["actuals"] == {
        "income": 0,
        "fixed_debits": 0,
        "provision_debits": 0,
        "excluded": 0,
        "transactions": 0,
    }
    assert summary["members"] == {"member1": "Member 1", "member2": "Member 2"}
    assert summary["key"] == {"member1": 0.5, "member2": 0.5}
    a_summary = w.a.ok("/dashboard/summary", month=MONTH)
    assert a_summary["members"] == {"member1": "Alex", "member2": "Sam"}
    assert a_summary["totals"]["grand_total"] > 0


def probe_slim_summary(w: World) -> None:
    slim = w.b.ok("/dashboard/summary/slim", month=MONTH)
    for block in ("variable", "fixed", "provisions"):
        assert slim[block] == {"total": 0, "member1": 0, "member2": 0, "count": 0}, block
    assert slim["totals"] == {"member1": 0, "member2": 0, "grand_total": 0}
    assert w.a.ok("/dashboard/summary/slim", month=MONTH)["variable"]["count"] == 2


def probe_drill_down(w: World) -> None:
    path = f"/dashboard/drill-down/{CATEGORY}"
    summary = w.b.ok(path, month=MONTH, level="summary")
    assert summary == {
        "category": CATEGORY,
        "month": MONTH,
        "total": 0,
        "count": 0,
        "avg": 0,
        "min": None,
        "max": None,
        "previous_total": 0,
    }
    assert w.a.ok(path, month=MONTH, level="summary")["previous_total"] == 31.5
    details = w.b.ok(path, month=MONTH, level="details")
    assert (details["by_tag"], details["by_label"]) == ([], [])
    a_details = w.a.ok(path, month=MONTH, level="details")
    assert a_details["by_tag"]
    assert a_details["by_label"]
    assert w.b.ok(path, month=MONTH, level="transactions") == {"items": [], "next_cursor": None}
    a_page = w.a.ok(path, month=MONTH, level="transactions", limit=1)
    assert a_page["items"]
    assert a_page["next_cursor"] is not None
    b_page = w.b.ok(path, month=MONTH, level="transactions", limit=1, cursor=a_page["next_cursor"])
    assert b_page["items"] == []


def probe_trends(w: World) -> None:
    params = {"from": "2025-01", "to": "2025-12"}
    months = w.b.ok("/dashboard/trends", **params)["months"]
    assert len(months) == 12
    for month in months:
        assert {k: v for k, v in month.items() if k != "month"} == {
            "variable": 0,
            "fixed_debits": 0,
            "provision_debits": 0,
            "income": 0,
            "net": 0,
            "count": 0,
        }
    a_months = {m["month"]: m for m in w.a.ok("/dashboard/trends", **params)["months"]}
    assert a_months[MONTH]["count"] == 6
    assert a_months["2025-05"]["count"] == 1


def probe_analytics(w: World) -> None:
    assert w.b.ok("/analytics/categories", month=MONTH) == {"month": MONTH, "items": []}
    fixed = w.b.ok("/analytics/categories", month=MONTH, expense_types="FIXED,PROVISION")
    assert fixed["items"] == []
    assert len(w.a.ok("/analytics/categories", month=MONTH)["items"]) == 3


@dataclass(frozen=True)
class Probe:
    method: str
    route: str  # the route's path under /api/v1, as declared in the app
    run: Callable[[World], None]


PROBES = [
    Probe("GET", "/auth/me", probe_me),
    Probe("GET", "/config", probe_get_config),
    Probe("PUT", "/config", probe_put_config),
    Probe("GET", "/fixed-lines", probe_list_fixed_lines),
    Probe("POST", "/fixed-lines", probe_create_fixed_line),
    Probe("GET", "/fixed-lines/{line_id}", probe_get_fixed_line),
    Probe("PUT", "/fixed-lines/{line_id}", probe_put_fixed_line),
    Probe("PATCH", "/fixed-lines/{line_id}", probe_patch_fixed_line),
    Probe("DELETE", "/fixed-lines/{line_id}", probe_delete_fixed_line),
    Probe("GET", "/provisions", probe_list_provisions),
    Probe("POST", "/provisions", probe_create_provision),
    Probe("GET", "/provisions/calculate", probe_calculate_provisions),
    Probe("GET", "/provisions/{provision_id}", probe_get_provision),
    Probe("PUT", "/provisions/{provision_id}", probe_put_provision),
    Probe("PATCH", "/provisions/{provision_id}", probe_patch_provision),
    Probe("DELETE", "/provisions/{provision_id}", probe_delete_provision),
    Probe("GET", "/transactions", probe_list_transactions),
    Probe("POST", "/transactions", probe_create_transaction),
    Probe("POST", "/transactions/bulk", probe_bulk_create),
    Probe("GET", "/transactions/hierarchy", probe_hierarchy),
    Probe("GET", "/transactions/{transaction_id}", probe_get_transaction),
    Probe("PATCH", "/transactions/{transaction_id}", probe_patch_transaction),
    Probe("DELETE", "/transactions/{transaction_id}", probe_delete_transaction),
    Probe("GET", "/dashboard/summary", probe_summary),
    Probe("GET", "/dashboard/summary/slim", probe_slim_summary),
    Probe("GET", "/dashboard/drill-down/{category}", probe_drill_down),
    Probe("GET", "/dashboard/trends", probe_trends),
    Probe("GET", "/analytics/categories", probe_analytics),
]


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
