"""Tracing with OpenTelemetry when FOYER_OTEL_ENDPOINT is set: a request's server span
with its SQL spans (in memory, and over OTLP/HTTP to a collector the test starts); nothing
of OpenTelemetry loaded when it is unset; a clear start-up error without the extra."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind
from sqlalchemy import Engine

from foyer.observability.tracing import (
    TracingUnavailableError,
    setup_tracing,
    traces_url,
)
from foyer.settings import Settings
from tests.factories import household_api

# Tracing does not depend on the database: one backend is enough.
sqlite_only = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)

FIXED_LINES = "/api/v1/fixed-lines"


def traced(app: FastAPI, settings: Settings) -> tuple[InMemorySpanExporter, Callable[[], None]]:
    exporter = InMemorySpanExporter()
    tracing = setup_tracing(
        app,
        app.state.foyer.database.engine,
        settings.model_copy(update={"otel_endpoint": "http://collector.invalid:4318"}),
        processor=SimpleSpanProcessor(exporter),
    )
    assert tracing is not None
    return exporter, tracing.close


@sqlite_only
def test_a_request_makes_a_server_span_with_its_sql_spans(
    fresh_app: Callable[..., FastAPI], migrated: tuple[Settings, Engine], engine: Engine
) -> None:
    app = fresh_app()
    exporter, close = traced(app, migrated[0])
    try:
        with TestClient(app) as client:
            api = household_api(client, engine, email="trace@example.com", household="Traced")
            exporter.clear()  # the sign-up's spans
            api.ok("/fixed-lines")
            client.get("/health")
    finally:
        close()
    spans: list[ReadableSpan] = list(exporter.get_finished_spans())
    [server] = [span for span in spans if span.kind is SpanKind.SERVER]
    assert server.attributes is not None
    assert server.attributes["http.route"] == FIXED_LINES  # and none for /health
    assert server.resource.attributes["service.name"] == "foyer"
    sql = [s for s in spans if s.attributes and "db.statement" in s.attributes]
    assert sql, [span.name for span in spans]
    assert server.context is not None
    assert all(s.context and s.context.trace_id == server.context.trace_id for s in sql)


class Collector:
    """An OTLP/HTTP collector on port 0: keeps each export's path and decoded spans."""

    def __init__(self) -> None:
        self.paths: list[str] = []
        self.span_names: list[str] = []
        self.lock = threading.Lock()


@contextmanager
def collector() -> Iterator[tuple[Collector, str]]:
    got = Collector()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            export = ExportTraceServiceRequest()
            export.ParseFromString(self.rfile.read(int(self.headers["Content-Length"])))
            with got.lock:
                got.paths.append(self.path)
                got.span_names += [
                    span.name
                    for resource in export.resource_spans
                    for scope in resource.scope_spans
                    for span in scope.spans
                ]
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, args=(0.01,), daemon=True)
    thread.start()
    try:
        yield got, f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


@sqlite_only
def test_create_app_sends_spans_to_the_endpoint(
    fresh_app: Callable[..., FastAPI], engine: Engine
) -> None:
    with collector() as (got, endpoint):
        app = fresh_app(otel_endpoint=endpoint)
        try:
            with TestClient(app) as client:
                household_api(client, engine, email="otlp@example.com", household="Exported").ok(
                    "/fixed-lines"
                )
        finally:
            app.state.tracing.close()  # flushes the batch: one export at least
    assert got.paths
    assert set(got.paths) == {"/v1/traces"}
    assert f"GET {FIXED_LINES}" in got.span_names, sorted(set(got.span_names))


@sqlite_only
def test_unset_the_app_has_no_tracing(fresh_app: Callable[..., FastAPI]) -> None:
    assert fresh_app().state.tracing is None


@sqlite_only
def test_without_the_extra_start_up_says_what_to_install(
    fresh_app: Callable[..., FastAPI],
    migrated: tuple[Settings, Engine],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "opentelemetry.sdk.trace", None)  # as if not installed
    settings = migrated[0].model_copy(update={"otel_endpoint": "http://collector:4318"})
    app = fresh_app()
    with pytest.raises(TracingUnavailableError, match=r"foyer\[otel\]"):
        setup_tracing(app, app.state.foyer.database.engine, settings)


@sqlite_only
def test_unset_create_app_loads_nothing_of_opentelemetry(
    migrated: tuple[Settings, Engine], tmp_path: Path
) -> None:
    # A process of its own: this one has loaded OpenTelemetry for the tests above. FastAPI
    # (its native telemetry, off without a provider) and redis-py (its observability) import
    # parts of OpenTelemetry themselves when it is installed: create_app must add none.
    script = textwrap.dedent(
        f"""
        import json, sys
        from foyer.app import create_app
        from foyer.settings import Settings

        def loaded():
            return {{name for name in sys.modules if name.startswith("opentelemetry")}}

        before = loaded()
        create_app(Settings(database_url={migrated[0].database_url!r}, _env_file=None))
        after = loaded()
        ours = (
            "opentelemetry.instrumentation", "opentelemetry.exporter", "opentelemetry.sdk.trace"
        )
        print(json.dumps({{
            "added": sorted(after - before),
            "tracing": sorted(name for name in after if name.startswith(ours)),
        }}))
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
        cwd=tmp_path,
        env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)},
    )
    assert json.loads(done.stdout) == {"added": [], "tracing": []}


@pytest.mark.parametrize(
    ("endpoint", "url"),
    [
        ("http://collector:4318", "http://collector:4318/v1/traces"),
        ("http://collector:4318/", "http://collector:4318/v1/traces"),
        ("https://otel.example.com/v1/traces", "https://otel.example.com/v1/traces"),
    ],
)
def test_traces_url(endpoint: str, url: str) -> None:
    assert traces_url(endpoint) == url
