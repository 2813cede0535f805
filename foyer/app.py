"""create_app(settings): the one wiring point — state, middleware, error handlers, routers.

A request enters through the middleware list below, then `api/routes/<resource>.py`;
money rules live in `domain/`, reads behind `read/`, writes in `services/`.
"""

from __future__ import annotations

import gc
import logging
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from asgi_correlation_id import CorrelationIdMiddleware
from fastapi import FastAPI
from sqlalchemy import Engine
from starlette.middleware.gzip import DEFAULT_EXCLUDED_CONTENT_TYPES, GZipMiddleware

from foyer import __version__
from foyer.api.deps import AppState
from foyer.api.errors import install_error_handlers
from foyer.api.fastpath import CachedHitsMiddleware
from foyer.api.middleware import BodySizeLimitMiddleware
from foyer.api.routes import api_router
from foyer.api.routes.bench import CeilingStore
from foyer.api.routes.bench import router as bench_router
from foyer.api.routes.health import router as health_router
from foyer.api.routes.imports import IMPORTS_PATH, MULTIPART_SLACK_BYTES
from foyer.auth.ratelimit import LoginThrottle
from foyer.auth.security import TokenReader, resolve_secret, stored_value
from foyer.cache.lookup import ViewCache
from foyer.cache.loop import LoopStamps
from foyer.cache.store import GZIP_MIN_BYTES, TieredCache, redis_client
from foyer.cache.views import Sources
from foyer.cache.warming import Warmer
from foyer.db.engine import Database, make_engine
from foyer.db.migrate import alembic_config
from foyer.exports.to_xlsx import MEDIA_TYPE as XLSX
from foyer.jobs.queue import JobQueue
from foyer.observability.metrics import Metrics
from foyer.read import make_reader
from foyer.read.cursors import CursorCodec
from foyer.settings import Settings
from foyer.web import install_web, warm_up

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
        l1_entries=settings.cache_l1_entries,
        redis=redis,
        namespace=f"foyer:{instance}",
        ttl_seconds=settings.cache_ttl_seconds,
        metrics=metrics,
    )


def make_state(settings: Settings, database: Database) -> AppState:
    """Everything requests share, each part handed what it needs (no module globals)."""
    secret = resolve_secret(database, settings.secret_key)
    reader = make_reader(settings)
    metrics = Metrics()
    cache = make_cache(settings, database, metrics)
    cursors = CursorCodec(secret)
    sources = Sources(reader, cursors)
    warmer = Warmer(database, cache, sources, settings.cache_warm_recent)
    database.before_commit(warmer.before_commit)
    database.after_commit(warmer.after_commit)
    view_cache = ViewCache(
        database=database,
        cache=cache,
        loop_stamps=LoopStamps(settings, database.engine),
        sources=sources,
        warmer=warmer,
    )
    return AppState(
        settings=settings,
        database=database,
        secret=secret,
        tokens=TokenReader(secret),
        cursors=cursors,
        login_throttle=LoginThrottle(settings.login_rate_limit, settings.redis_url),
        cache=cache,
        warmer=warmer,
        view_cache=view_cache,
        metrics=metrics,
        jobs=JobQueue(settings, database),
    )


def create_app(settings: Settings | None = None, *, engine: Engine | None = None) -> FastAPI:
    """The app for `settings` (tests hand in an `engine`). It owns its `Database`: its
    commit listeners (this app's warmer) and writer lock live and die with it."""
    settings = settings or Settings()
    database = Database(engine or make_engine(settings))
    check_schema(database.engine)
    state = make_state(settings, database)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        state.warmer.at_start(settings.cache_warm_households)
        warm_up()  # the web pages' templates and locale data, before the first page
        embedded = settings.queue != "immediate" and settings.worker_embedded == "on"
        if embedded:
            state.jobs.start_embedded()
        yield
        if embedded:
            state.jobs.stop_embedded()
        state.warmer.close()
        await state.view_cache.loop_stamps.aclose()

    app = FastAPI(
        title="foyer",
        version=__version__,
        description="Budget dashboard for couples: shared costs split by a key, any month, "
        "drill-down from category parent to transactions.",
        lifespan=lifespan,
    )
    app.state.foyer = state
    install_error_handlers(app)
    if settings.fast_hits == "on":
        # Innermost: the correlation id, gzip and body limits apply to it as to routes.
        app.add_middleware(CachedHitsMiddleware, state=state)
    # Outermost last: the correlation id exists before anything else can answer.
    app.add_middleware(
        BodySizeLimitMiddleware,
        max_bytes=settings.max_body_bytes,
        larger=dict.fromkeys(
            (IMPORTS_PATH, "/imports"), settings.import_max_bytes + MULTIPART_SLACK_BYTES
        ),
    )
    # Responses the cache did not compress already (it keeps dashboard views gzipped); not
    # XLSX exports, zip archives already.
    app.add_middleware(
        GZipMiddleware,
        minimum_size=GZIP_MIN_BYTES,
        compresslevel=5,
        exclude_content_types=(*DEFAULT_EXCLUDED_CONTENT_TYPES, XLSX),
    )
    app.add_middleware(CorrelationIdMiddleware, header_name="X-Correlation-ID")
    app.include_router(health_router)
    app.include_router(api_router())
    install_web(app)
    if settings.bench_ceiling_dir is not None:
        app.state.ceiling = CeilingStore(settings.bench_ceiling_dir)
        app.include_router(bench_router)
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
