"""/api/v1/monitoring: what operators (SPEC §7, a flag set by `foyer user create --operator`)
see and do — the performance report, cache clearing, resetting the window, memory profiling.

Every route takes the `Operator` dependency: 401 without a token, 403 for other users.
The report is this process's (each API process keeps its own window; /metrics merges all).
"""

from __future__ import annotations

import os
from typing import Annotated, Any

from fastapi import APIRouter, Body, Response
from redis.exceptions import RedisError

from foyer.api.deps import Operator, State
from foyer.api.errors import ApiError
from foyer.observability.memory import NotTracingError
from foyer.read.jobs import counts_by_kind_and_status

router = APIRouter(prefix="/monitoring", tags=["operations"])

_OPERATORS_ONLY: dict[int | str, dict[str, Any]] = {
    401: {"description": "No valid token."},
    403: {"description": "The user is not an operator."},
}


@router.get("/performance", responses=_OPERATORS_ONLY)
def performance(state: State, _operator: Operator) -> dict[str, Any]:
    """Latency p50/p95/p99 per route over the recent window, cache hit rate per view and
    tier, queries per request, the slowest statements with their plans, N+1 suspects, the
    job queue, active alerts, the memory trend, the stamp feed (PostgreSQL) — of the
    process that answers."""
    report: dict[str, Any] = {"pid": os.getpid(), "monitoring": state.settings.monitoring}
    if state.monitor is not None:
        report.update(state.monitor.report())
    report["queries"] = state.queries.report() if state.queries is not None else None
    report["queue"] = _queue(state)
    report["memory_profile"] = state.memory.status()
    feed = state.view_cache.loop_stamps.feed
    report["stamp_feed"] = feed.status() if feed is not None else None
    return report


def _queue(state: State) -> dict[str, Any]:
    try:
        depth: int | str = state.jobs.depth()
    except Exception as exc:  # the broker's client raises its own types (redis, sqlite3)
        depth = f"error: {type(exc).__name__}"
    with state.database.read() as conn:
        counts = counts_by_kind_and_status(conn)
    jobs = [
        {"kind": kind, "status": status, "count": count}
        for (kind, status), count in sorted(counts.items())
    ]
    return {"depth": depth, "jobs": jobs}


@router.post("/cache/clear", responses=_OPERATORS_ONLY)
def clear_cache(state: State, _operator: Operator) -> dict[str, Any]:
    """Empty this process's L1 and every entry of this instance in Redis (L2). Never needed
    for freshness (keys name the data stamps): it frees memory, or starts a measurement cold."""
    state.cache.clear_l1()
    deleted = 0
    if state.cache.redis is not None:
        try:
            deleted = _clear_l2(state)
        except RedisError as exc:
            raise ApiError(503, f"Redis did not answer: {type(exc).__name__}") from exc
    return {"l1": "cleared", "l2_deleted": deleted}


def _clear_l2(state: State) -> int:
    redis = state.cache.redis
    assert redis is not None
    deleted = 0
    batch: list[Any] = []
    # SCAN, never KEYS: a shared Redis stays responsive; only this instance's namespace.
    for key in redis.scan_iter(match=f"{state.cache.namespace}:*", count=1000):
        batch.append(key)
        if len(batch) == 1000:
            deleted += int(redis.unlink(*batch))
            batch.clear()
    if batch:
        deleted += int(redis.unlink(*batch))
    return deleted


@router.post("/reset", status_code=204, responses=_OPERATORS_ONLY)
def reset(state: State, _operator: Operator) -> Response:
    """Forget the window's samples, the slow statements and the N+1 suspects (not the
    Prometheus counters, which only ever grow)."""
    if state.monitor is not None:
        state.monitor.reset()
    if state.queries is not None:
        state.queries.reset()
    return Response(status_code=204)


@router.post("/memory/start", responses=_OPERATORS_ONLY)
def start_memory(
    state: State,
    _operator: Operator,
    frames: Annotated[int, Body(embed=True, ge=1, le=50)] = 5,
) -> dict[str, Any]:
    """Start tracemalloc (it slows every allocation while on) and take a first snapshot."""
    return state.memory.start(frames)


@router.post("/memory/snapshot", responses={**_OPERATORS_ONLY, 409: {}})
def memory_snapshot(state: State, _operator: Operator) -> dict[str, Any]:
    """The allocation sites that changed most since the previous snapshot."""
    try:
        return state.memory.diff()
    except NotTracingError as exc:
        raise ApiError(409, str(exc)) from exc


@router.post("/memory/stop", status_code=204, responses=_OPERATORS_ONLY)
def stop_memory(state: State, _operator: Operator) -> Response:
    state.memory.stop()
    return Response(status_code=204)
