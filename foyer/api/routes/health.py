"""/health (the process is alive), /ready (its dependencies answer: database, throttle
storage, cache, job queue), /metrics (Prometheus; a token or loopback only)."""

from __future__ import annotations

import hmac
import ipaddress
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST
from redis.exceptions import RedisError

from foyer.api.deps import State
from foyer.api.errors import ApiError, envelope

router = APIRouter(tags=["operations"])


@router.get("/health")
async def health() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/ready", responses={503: {"description": "A dependency is down."}})
def ready(state: State) -> Any:
    checks: dict[str, str] = {}
    try:
        state.database.ping()
        checks["database"] = "ok"
    except Exception as exc:  # any failure means "not ready"; the reason is reported
        checks["database"] = f"error: {type(exc).__name__}"
    storage = state.login_throttle.storage
    checks["rate_limit_storage"] = "ok" if storage.check() else "error: unreachable"
    if state.cache.redis is not None:
        try:
            state.cache.redis.ping()
            checks["cache"] = "ok"
        except RedisError as exc:
            checks["cache"] = f"error: {type(exc).__name__}"
    try:
        state.jobs.depth()
        checks["queue"] = "ok"
    except Exception as exc:  # the broker's client raises its own types (redis, sqlite3)
        checks["queue"] = f"error: {type(exc).__name__}"
    if all(value == "ok" for value in checks.values()):
        return JSONResponse({"status": "ready", "checks": checks})
    return envelope(503, "unavailable", "a dependency is not reachable", checks)


@router.get(
    "/metrics",
    response_class=Response,
    responses={401: {"description": "FOYER_METRICS_TOKEN is set and not given."}, 403: {}},
)
def metrics(state: State, request: Request) -> Response:
    """Prometheus metrics: requests per route, queries, cache events per view and tier, view
    times, jobs, the process. With `foyer serve --workers N` one scrape sees every worker.

    Operators' data (routes' traffic, error rates): with FOYER_METRICS_TOKEN set it needs
    that bearer token; unset, only loopback clients (a scraper on this machine) get it.
    """
    token = state.settings.metrics_token
    if token is not None:
        scheme, _, given = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(given.encode(), token.encode()):
            raise ApiError(
                401, "GET /metrics needs its bearer token", headers={"WWW-Authenticate": "Bearer"}
            )
    elif not _loopback(request.client.host if request.client else None):
        raise ApiError(
            403, "/metrics answers loopback clients only: set FOYER_METRICS_TOKEN to scrape it"
        )
    return Response(state.metrics.exposition(), media_type=CONTENT_TYPE_LATEST)


def _loopback(host: str | None) -> bool:
    try:
        return host is not None and ipaddress.ip_address(host).is_loopback
    except ValueError:  # a Unix socket path or a name: not an address we can vouch for
        return False
