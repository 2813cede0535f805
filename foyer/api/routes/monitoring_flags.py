"""/api/v1/monitoring/flags: the feature flags (`foyer.observability.flags`), read and set
by operators at run time.

Operators only (the `Operator` dependency: 401 without a token, 403 for other users),
checked before anything else, so a non-operator learns nothing of the flags. A change is
in force at once in the process that answers, and in the others within
FOYER_FLAGS_REFRESH_SECONDS.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from foyer.api.deps import Operator, State
from foyer.api.errors import ApiError
from foyer.auth.service import get_user
from foyer.observability.flags import BY_NAME, FlagState, UnknownFlagError
from foyer.schemas.common import Items
from foyer.schemas.flags import FlagRead, FlagUpdate

router = APIRouter(prefix="/monitoring", tags=["operations"])

_OPERATORS_ONLY: dict[int | str, dict[str, Any]] = {
    401: {"description": "No valid token."},
    403: {"description": "The user is not an operator."},
}


def _read(flag: FlagState) -> FlagRead:
    return FlagRead(
        name=flag.name,
        description=flag.description,
        percent=flag.percent,
        default=flag.default,
        source=flag.source,
        updated_at=flag.updated_at,
        updated_by=flag.updated_by,
    )


@router.get("/flags", response_model=Items[FlagRead], responses=_OPERATORS_ONLY)
def list_flags(state: State, _operator: Operator) -> Items[FlagRead]:
    """Every feature flag: its percentage, its default, and who set it last."""
    return Items[FlagRead](items=[_read(flag) for flag in state.flags.states()])


@router.put(
    "/flags/{name}",
    response_model=FlagRead,
    responses={
        **_OPERATORS_ONLY,
        409: {"description": "fast_path with FOYER_FAST_HITS=off (no fast path to turn on)."},
        422: {"description": "Unknown flag or percent."},
    },
)
def update_flag(state: State, operator: Operator, name: str, body: FlagUpdate) -> FlagRead:
    """Turn the flag on for `percent` % of households (consistent hash: raising it only
    adds households); every process follows within FOYER_FLAGS_REFRESH_SECONDS."""
    if name == "fast_path" and state.settings.fast_hits == "off":
        # No flag can turn on what is not installed: saying so beats a change that does nothing.
        raise ApiError(409, "the fast path is not installed here (FOYER_FAST_HITS=off)")
    with state.database.read() as conn:
        user = get_user(conn, operator.user_id)
    try:
        flag = state.flags.set(name, body.percent, by=user.email if user else None)
    except UnknownFlagError as exc:
        raise ApiError(422, str(exc), details={"flags": list(BY_NAME)}) from exc
    return _read(flag)
