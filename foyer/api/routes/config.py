"""GET/PUT /config: the household's incomes, tax rates and key (SPEC §2)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from foyer.api.deps import Claims, State
from foyer.schemas.config import ConfigRead, ConfigUpdate
from foyer.services import budget

router = APIRouter(prefix="/config", tags=["config"])


@router.get("", response_model=ConfigRead)
def get_config(state: State, claims: Claims) -> dict[str, Any]:
    with state.database.read() as conn:
        return budget.get_config(conn, household_id=claims.household_id)


@router.put("", response_model=ConfigRead)
def update_config(state: State, claims: Claims, body: ConfigUpdate) -> dict[str, Any]:
    """Change the configuration; fields left out (or null) keep their current value."""
    with state.database.unit_of_work() as conn:
        return budget.update_config(
            conn, household_id=claims.household_id, changes=body.model_dump(exclude_none=True)
        )
