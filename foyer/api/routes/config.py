"""GET/PUT /config: the household's incomes, tax rates and key (SPEC §2)."""

from __future__ import annotations

from fastapi import APIRouter

from foyer.api.budget_shapes import config_changes, config_read
from foyer.api.deps import Claims, State
from foyer.schemas.config import ConfigRead, ConfigUpdate
from foyer.services import budget

router = APIRouter(prefix="/config", tags=["config"])


@router.get("", response_model=ConfigRead)
def get_config(state: State, claims: Claims) -> ConfigRead:
    with state.database.read() as conn:
        config = budget.get_config(conn, household_id=claims.household_id)
    return config_read(config)


@router.put("", response_model=ConfigRead)
def update_config(state: State, claims: Claims, body: ConfigUpdate) -> ConfigRead:
    """Change the configuration; fields left out (or null) keep their current value."""
    with state.database.unit_of_work() as conn:
        config = budget.update_config(
            conn, household_id=claims.household_id, changes=config_changes(body)
        )
    return config_read(config)
