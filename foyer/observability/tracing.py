"""Traces to an OpenTelemetry collector, when FOYER_OTEL_ENDPOINT names one.

Each request becomes a server span (FastAPI's instrumentation, outside every middleware,
so the fast path's answers are traced too; /health and /metrics are not), with a child
span per SQL statement (this app's engine) and per Redis command; spans are batched and
sent over OTLP/HTTP, service.name `foyer`. The standard OTEL_* variables still apply
(OTEL_EXPORTER_OTLP_HEADERS, OTEL_TRACES_SAMPLER, OTEL_RESOURCE_ATTRIBUTES, …).

OpenTelemetry is the optional `otel` extra: nothing of it is imported unless the setting
is set (no import time, no per-request cost), and foyer runs without it installed; set
without it, start-up fails saying what to install.
"""

# OpenTelemetry is imported inside `setup_tracing` only, when the setting asks for it.
# ruff: noqa: PLC0415

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from fastapi import FastAPI
from sqlalchemy import Engine

from foyer import __version__
from foyer.settings import Settings

if TYPE_CHECKING:
    from opentelemetry.sdk.trace import SpanProcessor

SERVICE_NAME = "foyer"
# Regular expressions searched in each request's URL (the instrumentation's format).
EXCLUDED_URLS = r"/health(\?|$),/metrics(\?|$)"
TRACES_PATH = "/v1/traces"


class TracingUnavailableError(RuntimeError):
    """FOYER_OTEL_ENDPOINT is set but the `otel` extra is not installed."""


@dataclass(frozen=True, slots=True)
class Tracing:
    """What `setup_tracing` switched on; `close` flushes the spans and switches it off."""

    close: Callable[[], None]


def traces_url(endpoint: str) -> str:
    """The collector's traces URL: the OTLP/HTTP exporter wants the full path when the
    endpoint is passed in code (it appends `/v1/traces` only to its environment variable)."""
    endpoint = endpoint.rstrip("/")
    return endpoint if endpoint.endswith(TRACES_PATH) else endpoint + TRACES_PATH


def setup_tracing(
    app: FastAPI, engine: Engine, settings: Settings, *, processor: SpanProcessor | None = None
) -> Tracing | None:
    """Instrument `app`, `engine` and Redis when `settings.otel_endpoint` is set (None
    otherwise). `processor` replaces the batching OTLP exporter (tests: in memory)."""
    if settings.otel_endpoint is None:
        return None
    try:
        # Imported here only: with the setting unset, nothing of OpenTelemetry loads.
        from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor
        from opentelemetry.instrumentation.redis import RedisInstrumentor
        from opentelemetry.instrumentation.sqlalchemy import SQLAlchemyInstrumentor
        from opentelemetry.sdk.resources import Resource
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import BatchSpanProcessor
    except ImportError as exc:
        raise TracingUnavailableError(
            "FOYER_OTEL_ENDPOINT is set but OpenTelemetry is not installed: install foyer "
            f"with its `otel` extra (pip install 'foyer[otel]'), or unset it ({exc})"
        ) from exc
    if processor is None:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        processor = BatchSpanProcessor(
            OTLPSpanExporter(endpoint=traces_url(settings.otel_endpoint))
        )
    provider = TracerProvider(
        resource=Resource.create({"service.name": SERVICE_NAME, "service.version": __version__})
    )
    provider.add_span_processor(processor)
    # The provider is handed to each instrumentation rather than made global: two apps in
    # one process (tests) then trace apart, and nothing else in the process is touched.
    FastAPIInstrumentor.instrument_app(app, tracer_provider=provider, excluded_urls=EXCLUDED_URLS)
    sqlalchemy = SQLAlchemyInstrumentor()
    # Its declared range stops before SQLAlchemy 2.1 (a guard set while 2.1 was unreleased,
    # open-telemetry/opentelemetry-python-contrib#2971); the engine events it listens to
    # are unchanged in 2.1, and the test suite checks the statements' spans arrive.
    sqlalchemy.instrument(engine=engine, tracer_provider=provider, skip_dep_check=True)
    redis = RedisInstrumentor()
    redis.instrument(tracer_provider=provider)

    def close() -> None:
        FastAPIInstrumentor.uninstrument_app(app)
        sqlalchemy.uninstrument()
        redis.uninstrument()
        provider.shutdown()  # flushes the batch still waiting

    return Tracing(close=close)
