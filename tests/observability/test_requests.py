"""The request observer and the query monitor, through a real app: per-route metrics (the
fast path's answers labelled as such), queries per request, N+1 suspects, slow statements
with their plans, and who may read /metrics."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select

from foyer.db.schema import household
from tests.factories import Api, household_api


def sample(app: FastAPI, name: str, **labels: str) -> float:
    value = app.state.foyer.metrics.registry.get_sample_value(name, labels)
    return float(value or 0.0)


def requests_of(app: FastAPI, route: str, status: str, handler: str) -> float:
    return sample(
        app,
        "foyer_request_seconds_count",
        method="GET",
        route=route,
        status=status,
        handler=handler,
    )


def label_sets(app: FastAPI) -> str:
    """Every label set of the exposition (`{...}`), where a raw path would leak. Not the
    values: a byte count or a timestamp may hold any digits (one held "31337")."""
    lines = app.state.foyer.metrics.exposition().decode().splitlines()
    return "\n".join(
        line[line.index("{") : line.index("}") + 1]
        for line in lines
        if not line.startswith("#") and "{" in line
    )


def test_requests_are_counted_by_route_template_never_by_raw_path(api: Api, app: FastAPI) -> None:
    for transaction_id in (12345, 67890):
        assert api.get(f"/transactions/{transaction_id}").status_code == 404
    route = "/api/v1/transactions/{transaction_id}"
    assert requests_of(app, route, "404", "route") == 2
    exposition = label_sets(app)
    assert "12345" not in exposition
    assert "67890" not in exposition
    api.client.get("/no/such/page/31337")
    assert requests_of(app, "unmatched", "404", "route") == 1
    assert "31337" not in label_sets(app)


def test_fast_path_answers_are_counted_and_labelled_fast(api: Api, app: FastAPI) -> None:
    route = "/api/v1/dashboard/summary"
    for _ in range(3):  # a miss, then L1 hits: all answered before routing
        api.ok("/dashboard/summary", month="2025-06")
    api.ok("/dashboard/summary", month="2025-06", x="1")  # a parameter the fast path leaves
    routed = requests_of(app, route, "200", "route")
    fast = requests_of(app, route, "200", "fast")
    assert (routed, fast) == (1, 3)
    hits, misses = api.count("summary", "l1", "hit"), api.count("summary", "l1", "miss")
    assert hits + misses == 4


def test_queries_are_counted_per_request(api: Api, app: FastAPI) -> None:
    api.ok("/fixed-lines")
    route = "/api/v1/fixed-lines"
    assert sample(app, "foyer_request_queries_count", route=route) == 1
    assert sample(app, "foyer_request_queries_sum", route=route) >= 1
    assert sample(app, "foyer_query_seconds_count", kind="select") >= 1


def _bad_app(fresh_app: Callable[..., FastAPI], **settings: object) -> FastAPI:
    """An app with one deliberately bad route: one query per household, in a loop (N+1)."""
    app = fresh_app(**settings)
    database = app.state.foyer.database

    @app.get("/n-plus-one")
    def n_plus_one(count: int = 12) -> dict[str, int]:
        names = 0
        with database.read() as conn:
            for household_id in range(count):
                query = select(household.c.name).where(household.c.id == household_id)
                names += conn.execute(query).scalar() is not None
        return {"names": names}

    return app


def test_a_statement_repeated_in_one_request_is_flagged_with_its_route(
    fresh_app: Callable[..., FastAPI], caplog: pytest.LogCaptureFixture
) -> None:
    app = _bad_app(fresh_app, query_repeat_threshold=10)
    with TestClient(app) as client, caplog.at_level("WARNING", logger="foyer.queries"):
        assert client.get("/n-plus-one", params={"count": 9}).status_code == 200
        assert sample(app, "foyer_repeated_statements_total", route="/n-plus-one") == 0
        assert client.get("/n-plus-one", params={"count": 12}).status_code == 200
    assert sample(app, "foyer_repeated_statements_total", route="/n-plus-one") == 1
    (flagged,) = app.state.foyer.queries.report()["repeated"]
    assert flagged["route"] == "/n-plus-one"
    assert flagged["runs"] == 12
    assert "household" in flagged["statement"]
    (line,) = [r for r in caplog.records if "N+1" in r.getMessage()]
    assert line.route == "/n-plus-one"  # type: ignore[attr-defined]


def test_slow_statements_are_kept_with_their_plan(
    fresh_app: Callable[..., FastAPI], engine: Engine, caplog: pytest.LogCaptureFixture
) -> None:
    app = _bad_app(fresh_app, slow_query_ms=1e-6)  # every statement is "slow"
    queries = app.state.foyer.queries
    with TestClient(app) as client:
        client.get("/n-plus-one", params={"count": 2})
    with caplog.at_level("WARNING", logger="foyer.queries"):
        queries.explain_pending(engine)
    slowest = queries.report()["slowest"]
    ours = [s for s in slowest if "household" in s["statement"] and s["route"] == "/n-plus-one"]
    assert ours, slowest
    assert ours[0]["count"] == 2
    plan = " ".join(ours[0]["plan"])
    assert "household" in plan.lower(), plan
    assert any("slow statement" in r.getMessage() for r in caplog.records)


def test_metrics_answer_loopback_clients_only_by_default(app: FastAPI) -> None:
    with TestClient(app, client=("203.0.113.9", 50000)) as outside:
        response = outside.get("/metrics")
        assert response.status_code == 403
        assert response.json()["error"]["code"] == "forbidden"
    with TestClient(app, client=("127.0.0.1", 50000)) as local:
        assert local.get("/metrics").status_code == 200


def test_metrics_token_when_set(fresh_app: Callable[..., FastAPI]) -> None:
    app = fresh_app(metrics_token="scrape-me-please-0123456789")
    with TestClient(app, client=("127.0.0.1", 50000)) as client:
        assert client.get("/metrics").status_code == 401
        wrong = {"Authorization": "Bearer nope"}
        assert client.get("/metrics", headers=wrong).status_code == 401
        right = {"Authorization": "Bearer scrape-me-please-0123456789"}
        assert client.get("/metrics", headers=right).status_code == 200


def test_monitoring_off_observes_nothing(fresh_app: Callable[..., FastAPI], engine: Engine) -> None:
    app = fresh_app(monitoring="off")
    with TestClient(app) as client:
        api = household_api(client, engine, email="off@example.com", household="Off")
        api.ok("/fixed-lines")
    assert app.state.foyer.queries is None
    assert app.state.foyer.monitor is None
    assert requests_of(app, "/api/v1/fixed-lines", "200", "route") == 0
