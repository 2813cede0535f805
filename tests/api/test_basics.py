"""Health, readiness, metrics, the error envelope (SPEC §9), correlation ids on every
response, the OpenAPI documents."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from foyer.bench.server import free_port
from tests.factories import Api
from tests.helpers import assert_envelope


def test_health_and_ready(client: TestClient) -> None:
    assert client.get("/health").json() == {"status": "ok"}
    ready = client.get("/ready")
    assert ready.status_code == 200
    assert ready.json()["checks"]["database"] == "ok"
    assert ready.json()["checks"]["queue"] == "ok"
    assert ready.headers["X-Correlation-ID"]


def test_ready_reports_an_unreachable_cache(fresh_app: Callable[..., FastAPI]) -> None:
    dead = fresh_app(redis_url=f"redis://127.0.0.1:{free_port()}/0")
    with TestClient(dead, raise_server_exceptions=False) as client:
        response = client.get("/ready")
    assert response.status_code == 503
    assert response.json()["error"]["details"]["cache"].startswith("error:")


def test_ready_reports_an_unreachable_job_queue(fresh_app: Callable[..., FastAPI]) -> None:
    dead = f"redis://127.0.0.1:{free_port()}/0"
    app = fresh_app(queue="redis", redis_url=dead, worker_embedded="off")
    with TestClient(app, raise_server_exceptions=False) as client:
        response = client.get("/ready")
    assert response.status_code == 503
    assert response.json()["error"]["details"]["queue"].startswith("error:")


def test_metrics_count_cache_events_in_prometheus_format(api: Api) -> None:
    api.ok("/transactions/hierarchy", month="2025-06")
    api.ok("/transactions/hierarchy", month="2025-06")
    # /metrics answers loopback clients only. Not entered: `api.client` already runs
    # the app's lifespan (and its event loop's connections).
    response = TestClient(api.client.app, client=("127.0.0.1", 50000)).get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    text = response.text
    assert 'foyer_cache_events_total{event="hit",tier="l1",view="hierarchy"}' in text
    assert 'foyer_cache_events_total{event="miss",tier="l1",view="hierarchy"}' in text
    # The process's own numbers too, as prometheus_client's default registry has them.
    for name in ("process_resident_memory_bytes", "python_info", "python_gc_objects_collected"):
        assert name in text, name


def test_correlation_id_is_echoed(client: TestClient) -> None:
    cid = "5f6c0a3e2b9d4c6f8e1a7b3c9d2e4f60"
    assert (
        client.get("/health", headers={"X-Correlation-ID": cid}).headers["X-Correlation-ID"] == cid
    )


def test_unknown_route_is_404_envelope(client: TestClient) -> None:
    assert_envelope(client.get("/api/v1/nowhere"), 404, "not_found")


def test_wrong_method_is_405_envelope(api: Api) -> None:
    assert_envelope(api.delete("/config"), 405, "method_not_allowed")


def test_missing_token_is_401_envelope(client: TestClient) -> None:
    response = client.get("/api/v1/config")
    assert_envelope(response, 401, "unauthorized")
    assert response.headers["WWW-Authenticate"] == "Bearer"


def test_forged_token_is_401(client: TestClient) -> None:
    response = client.get("/api/v1/config", headers={"Authorization": "Bearer abc.def.ghi"})
    assert_envelope(response, 401, "unauthorized")


def test_validation_error_is_422_envelope_with_details(api: Api) -> None:
    error = assert_envelope(api.get("/dashboard/summary", month="June"), 422, "validation_error")
    assert "month" in error["message"]
    assert error["details"]


def test_malformed_json_is_422_not_500(api: Api) -> None:
    response = api.post_raw("/transactions", b"{not json")
    assert_envelope(response, 422, "validation_error")


def test_unhandled_exception_is_500_envelope_without_trace(app: FastAPI, api: Api) -> None:
    views = app.state.foyer.view_cache
    sources = views.sources

    class Boom:
        name = "boom"

        def __getattr__(self, _name: str):  # type: ignore[no-untyped-def]
            def fail(*_a: object, **_k: object) -> None:
                raise RuntimeError("secret internals")

            return fail

    views.sources = dataclasses.replace(sources, reader=Boom())
    try:
        response = api.get("/dashboard/summary", month="2025-06")
    finally:
        views.sources = sources
    error = assert_envelope(response, 500, "internal_error")
    assert "secret internals" not in response.text
    assert "Traceback" not in response.text
    assert error["message"] == "internal server error"


def test_declared_body_over_limit_is_413(api: Api, app: FastAPI) -> None:
    limit = app.state.foyer.settings.max_body_bytes
    response = api.post_raw("/transactions", b"x" * (limit + 1))
    assert_envelope(response, 413, "payload_too_large")


@pytest.mark.parametrize("path", ["/docs", "/openapi.json"])
def test_openapi_docs_are_served(client: TestClient, path: str) -> None:
    assert client.get(path).status_code == 200


def test_openapi_has_examples(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    assert "/api/v1/dashboard/summary" in spec["paths"]
    text = str(spec)
    assert "CB CARREFOUR 12/06" in text  # request examples reach the docs
