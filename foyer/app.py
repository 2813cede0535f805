"""create_app(settings): the one wiring point — state, middleware, error handlers, routers.

A request enters through the middleware list below, then `api/routes/<resource>.py`;
money rules live in `domain/`, reads behind `read/`, writes in `services/`.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from asgi_correlation_id import CorrelationIdMiddleware
from fastapi import FastAPI
from sqlalchemy import Engine
from starlette.middleware.gzip import GZipMiddleware

from foyer import __version__
from foyer.api.cached import Sources, Warmer
from foyer.api.deps import AppState
from foyer.api.errors import install_error_handlers
from foyer.api.fastpath import CachedHitsMiddleware
from foyer.api.middleware import BodySizeLimitMiddleware
from foyer.api.pagination import CursorCodec
from foyer.api.routes import api_router
from foyer.api.routes.bench import CeilingStore
from foyer.api.routes.bench import router as bench_router
from foyer.api.routes.health import router as health_router
from foyer.auth.ratelimit import LoginThrottle
from foyer.auth.security import TokenReader, resolve_secret, stored_value
from foyer.cache.loop import LoopEngine
from foyer.cache.store import GZIP_MIN_BYTES, TieredCache, redis_client
from foyer.db.engine import before_commit, make_engine, on_commit
from foyer.db.migrate import alembic_config
from foyer.read import make_reader
from foyer.settings import Settings

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


def make_cache(settings: Settings, engine: Engine) -> TieredCache:
    """The response cache; its Redis keys are namespaced by this database's own id, so
    instances on different databases can share one Redis without ever mixing entries."""
    redis = None
    if settings.redis_url and settings.cache == "on":
        redis = redis_client(settings.redis_url, settings.redis_timeout_ms / 1000)
    instance = stored_value(engine, "instance_id", lambda: secrets.token_hex(8))
    return TieredCache(
        enabled=settings.cache == "on",
        l1_entries=settings.cache_l1_entries,
        redis=redis,
        namespace=f"foyer:{instance}",
        ttl_seconds=settings.cache_ttl_seconds,
    )


def create_app(settings: Settings | None = None, *, engine: Engine | None = None) -> FastAPI:
    settings = settings or Settings()
    engine = engine or make_engine(settings)
    check_schema(engine)
    secret = resolve_secret(engine, settings.secret_key)
    reader = make_reader(settings)
    cache = make_cache(settings, engine)
    cursors = CursorCodec(secret)
    warmer = Warmer(engine, cache, Sources(reader, cursors), settings.cache_warm_recent)
    before_commit(engine, warmer.before_commit)
    on_commit(engine, warmer.after_commit)
    state = AppState(
        settings=settings,
        engine=engine,
        loop_engine=LoopEngine(settings, engine),
        reader=reader,
        secret=secret,
        tokens=TokenReader(secret),
        cursors=cursors,
        login_throttle=LoginThrottle(settings.login_rate_limit, settings.redis_url),
        cache=cache,
        warmer=warmer,
    )

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        warmer.at_start(settings.cache_warm_households)
        yield
        warmer.close()
        await state.loop_engine.aclose()

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
    app.add_middleware(BodySizeLimitMiddleware, max_bytes=settings.max_body_bytes)
    # Responses the cache did not compress already (it keeps dashboard views gzipped).
    app.add_middleware(GZipMiddleware, minimum_size=GZIP_MIN_BYTES, compresslevel=5)
    app.add_middleware(CorrelationIdMiddleware, header_name="X-Correlation-ID")
    app.include_router(health_router)
    app.include_router(api_router)
    if settings.bench_ceiling_dir is not None:
        app.state.ceiling = CeilingStore(settings.bench_ceiling_dir)
        app.include_router(bench_router)
    return app


def create_app_from_env() -> FastAPI:
    """Factory for `uvicorn --factory` (each worker process builds its own app)."""
    return create_app()
