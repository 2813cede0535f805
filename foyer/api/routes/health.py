"""/health (the process is alive) and /ready (its dependencies answer)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from sqlalchemy import text

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
        with state.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        checks["database"] = "ok"
    except Exception as exc:  # any failure means "not ready"; the reason is reported
        checks["database"] = f"error: {type(exc).__name__}"
    storage = state.login_throttle.storage
    checks["rate_limit_storage"] = "ok" if storage.check() else "error: unreachable"
    if all(value == "ok" for value in checks.values()):
        return JSONResponse({"status": "ready", "checks": checks})
    return envelope(503, "unavailable", "a dependency is not reachable", checks)
