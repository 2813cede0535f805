"""create_app(settings): the one wiring point — state, middleware, error handlers, routers.

A request enters through the middleware list below, then `api/routes/<resource>.py`;
money rules live in `domain/`, reads behind `read/`, writes in `services/`.
"""

from __future__ import annotations

import functools
import gc
import logging
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from fastapi import FastAPI
from sqlalchemy import Engine
from starlette.middleware.gzip import DEFAULT_EXCLUDED_CONTENT_TYPES, GZipMiddleware

from foyer import __version__
from foyer.api.deps import AppState
from foyer.api.errors import ApiError, install_error_handlers
from foyer.api.fastpath import CachedHitsMiddleware
from foyer.api.guards import install_guard_handlers
from foyer.api.links import install_links
from foyer.api.middleware import BodySizeLimitMiddleware, FrontMiddleware, token_credential
from foyer.api.routes import api_router
from foyer.api.routes.bench import CeilingStore
from foyer.api.routes.bench import router as bench_router
from foyer.api.routes.health import router as health_router
from foyer.api.routes.imports import IMPORTS_PATH, MULTIPART_SLACK_BYTES
from foyer.api.routes.transactions import BULK_PATH
from foyer.auth.keys import resolve_secret
from foyer.auth.ratelimit import LoginThrottle
from foyer.auth.revocation import RevocationView
from foyer.auth.security import TokenReader, stored_value
from foyer.cache.lookup import ViewCache
from foyer.cache.loop import LoopStamps
from foyer.cache.store import GZIP_MIN_BYTES, TieredCache, redis_client
from foyer.cache.views import Sources
from foyer.cache.warming import Warmer
from foyer.db.engine import Database, make_engine
from foyer.db.migrate import alembic_config
from foyer.exports.to_xlsx import MEDIA_TYPE as XLSX
from foyer.jobs.queue import JobQueue
from foyer.observability.access import access
from foyer.observability.flags import Flags
from foyer.observability.memory import MemoryProfiler
from foyer.observability.metrics import Metrics, process_exited
from foyer.observability.monitor import Monitor
from foyer.observability.queries import QueryMonitor
from foyer.observability.requests import RequestObserver
from foyer.observability.tracing import setup_tracing
from foyer.read import PASSTHROUGH, make_reader
from foyer.read.cursors import CursorCodec
from foyer.read.jobs import counts_by_kind_and_status
from foyer.services.quota import WriteQuota
from foyer.settings import Settings
from foyer.web import install_web, warm_up
from foyer.web.imports_pages import UPLOAD_PATH
from foyer.web.session import SESSION_COOKIE

log = logging.getLogger("foyer")


class SchemaOutOfDateError(RuntimeError):
    """The database is not at the latest migration."""


def check_schema(engine: Engine) -> None:
    """Refuse to serve a database that `foyer migrate` has not brought up to date."""
    heads = set(ScriptDirectory.from_config(alembic_config(engine)).get_heads())
    with engine.connect() as conn:
        current = set(MigrationContext.configure(conn).get_current_heads())
    if current != heads:
        raise SchemaOutOfDateError(
            f"database schema is at {sorted(current) or 'nothing'}, expected {sorted(heads)}: "
            "run `foyer migrate`"
        )


def make_cache(settings: Settings, database: Database, metrics: Metrics) -> TieredCache:
    """The response cache; its Redis keys are namespaced by this database's own id, so
    instances on different databases can share one Redis without ever mixing entries."""
    redis = None
    if settings.redis_url and settings.cache == "on":
        redis = redis_client(settings.redis_url, settings.redis_timeout_ms / 1000)
    instance = stored_value(database, "instance_id", lambda: secrets.token_hex(8))
    return TieredCache(
        enabled=settings.cache == "on",
        l1_bytes=settings.cache_l1_bytes,
        redis=redis,
        namespace=f"foyer:{instance}",
        ttl_seconds=settings.cache_ttl_seconds,
        metrics=metrics,
    )


def make_state(settings: Settings, database: Database) -> AppState:
    """Everything requests share, each part handed what it needs (no module globals)."""
    secret = resolve_secret(database, settings)
    revocations = RevocationView(database, settings.token_revocation_refresh_seconds)
    metrics = Metrics()
    flags = Flags.from_settings(settings, database)
    reader = make_reader(
        use_optimized=functools.partial(flags.enabled, "engine"),
        on_fallback=lambda view: metrics.reader_fallbacks.labels(view=view).inc(),
        passthrough=(*PASSTHROUGH, ApiError),
    )
    cache = make_cache(settings, database, metrics)
    cursors = CursorCodec(secret)
    sources = Sources(reader, cursors)
    warmer = Warmer(
        database,
        cache,
        sources,
        settings.cache_warm_recent,
        warms=functools.partial(flags.enabled, "warming"),
    )
    database.after_commit(warmer.after_commit)
    queries, monitor = None, None
    if settings.monitoring == "on":
        queries = QueryMonitor(
            metrics,
            slow_ms=settings.slow_query_ms,
            repeat_threshold=settings.query_repeat_threshold,
        )
        queries.attach(database.engine)
        monitor = Monitor(
            settings,
            metrics,
            fallbacks=metrics.fallbacks_total,
            on_tick=functools.partial(queries.explain_pending, database.engine),
        )
    view_cache = ViewCache(
        database=database,
        cache=cache,
        loop_stamps=LoopStamps(
            settings, database.engine, queries, metrics, background=lambda: warmer.working
        ),
        sources=sources,
        warmer=warmer,
    )
    state = AppState(
        settings=settings,
        database=database,
        secret=secret,
        tokens=TokenReader(
            secret,
            revocations=revocations,
            max_lifetime_seconds=settings.token_ttl_minutes * 60,
        ),
        revocations=revocations,
        cursors=cursors,
        login_throttle=LoginThrottle.from_settings(settings),
        cache=cache,
        warmer=warmer,
        view_cache=view_cache,
        metrics=metrics,
        jobs=JobQueue(settings, database),
        write_quota=WriteQuota(settings.write_quota, settings.redis_url),
        flags=flags,
        monitor=monitor,
        queries=queries,
        memory=MemoryProfiler(),
    )
    metrics.state.queue_depth = state.jobs.depth
    metrics.state.warm_queue = state.warmer.queue_state
    metrics.state.job_counts = functools.partial(_job_counts, database)
    return state


def _job_counts(database: Database) -> dict[tuple[str, str], int]:
    with database.read() as conn:
        return counts_by_kind_and_status(conn)


def create_app(settings: Settings | None = None, *, engine: Engine | None = None) -> FastAPI:
    """The app for `settings` (tests hand in an `engine`). It owns its `Database`: its
    commit listeners (this app's warmer) and writer lock live and die with it."""
    settings = settings or Settings()
    database = Database(
        engine or make_engine(settings, statement_timeout_ms=settings.db_statement_timeout_ms)
    )
    check_schema(database.engine)
    state = make_state(settings, database)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        state.warmer.at_start(settings.cache_warm_households)
        warm_up()  # the web pages' templates and locale data, before the first page
        embedded = settings.queue != "immediate" and settings.worker_embedded == "on"
        if embedded:
            state.jobs.start_embedded()
        if state.monitor is not None:
            state.monitor.start()
        yield
        if state.monitor is not None:
            state.monitor.stop()
        process_exited()
        if embedded:
            state.jobs.stop_embedded()
        state.warmer.close()
        state.flags.close()
        await state.view_cache.loop_stamps.aclose()

    docs = settings.api_docs == "on"
    app = FastAPI(
        title="foyer",
        version=__version__,
        description="Budget dashboard for couples: shared costs split by a key, any month, "
        "drill-down from category parent to transactions.",
        lifespan=lifespan,
        # FOYER_API_DOCS=off in production: the schema maps every route for whoever asks.
        docs_url="/docs" if docs else None,
        redoc_url="/redoc" if docs else None,
        openapi_url="/openapi.json" if docs else None,
        # FastAPI's native OpenTelemetry off: foyer traces through its own instrumentation
        # when FOYER_OTEL_ENDPOINT is set (foyer.observability.tracing, with a provider of
        # its own), and the native check reads three environment variables on every request
        # (~4 µs of a ~40 µs cache hit) to find, each time, that nothing is configured.
        telemetry={"tracing": False, "metrics": False, "logs": False},
    )
    app.state.foyer = state
    install_error_handlers(app)
    install_guard_handlers(app)
    # Outermost last: the correlation id exists before anything else can answer.
    # Larger bodies only on the bulk and upload routes, from a caller whose token verifies.
    app.add_middleware(
        BodySizeLimitMiddleware,
        max_bytes=settings.max_body_bytes,
        larger={
            BULK_PATH: settings.bulk_max_bytes,
            **dict.fromkeys(
                (IMPORTS_PATH, UPLOAD_PATH), settings.import_max_bytes + MULTIPART_SLACK_BYTES
            ),
        },
        signed_in=token_credential(state.tokens.read, SESSION_COOKIE),
    )
    # Responses the cache did not compress already (it keeps dashboard views gzipped); not
    # XLSX exports, zip archives already.
    app.add_middleware(
        GZipMiddleware,
        minimum_size=GZIP_MIN_BYTES,
        compresslevel=5,
        exclude_content_types=(*DEFAULT_EXCLUDED_CONTENT_TYPES, XLSX),
    )
    if settings.fast_hits == "on":
        # Outside gzip and the body limit: it does their part for its own answers.
        app.add_middleware(CachedHitsMiddleware, state=state)
    # Outermost of foyer's: the correlation id, the observer (a request's time there is
    # its time in foyer) and the security headers, on every answer but the 500s
    # (Starlette renders those outside all middleware).
    observer = None
    if state.queries is not None:
        observer = RequestObserver(
            metrics=state.metrics,
            queries=state.queries,
            observe=state.monitor.observe if state.monitor is not None else None,
            access=access if settings.access_log == "on" else None,
        )
    app.add_middleware(FrontMiddleware, observer=observer)
    app.include_router(health_router)
    app.include_router(api_router())
    install_links(app)  # OpenAPI links: create → read → update → delete
    install_web(app)
    if settings.bench_ceiling_dir is not None:
        app.state.ceiling = CeilingStore(settings.bench_ceiling_dir)
        app.include_router(bench_router)
    # FOYER_OTEL_ENDPOINT: a server span around the whole middleware stack, SQL and Redis
    # spans; unset, nothing of OpenTelemetry is imported (and this is None).
    app.state.tracing = setup_tracing(app, database.engine, settings)
    return app


def create_app_from_env() -> FastAPI:
    """Factory for `uvicorn --factory` (each worker process builds its own app)."""
    app = create_app()
    # Everything loaded so far (modules, the app, ~190,000 objects) lives as long as the
    # process: freezing it keeps the garbage collector from walking it again in every full
    # collection. A bulk import allocates enough to trigger several: collections took
    # 0.45-0.8 s of a 100,000-row preview + commit before, 0.07-0.15 s after
    # (docs/PERFORMANCE.md, "Imports").
    gc.collect()
    gc.freeze()
    return app
