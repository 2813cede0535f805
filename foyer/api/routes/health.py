"""/health (the process is alive), /ready (its dependencies answer: database, throttle
storage, cache, job queue), /metrics (Prometheus)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST
from redis.exceptions import RedisError

from foyer.api.deps import State
from foyer.api.errors import envelope

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


@router.get("/metrics", response_class=Response)
def metrics(state: State) -> Response:
    """This app's counters in the Prometheus text format (cache events per view and tier,
    view times). With several workers each answers for itself; scrape each, or run one."""
    return Response(state.metrics.exposition(), media_type=CONTENT_TYPE_LATEST)
