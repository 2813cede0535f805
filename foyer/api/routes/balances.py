"""/balances/{month} (SPEC §12): the joint account's balance at the start of a month, which
the transfer plan (`GET /dashboard/transfers`) counts."""

from __future__ import annotations

from fastapi import APIRouter

from foyer.api.deps import Claims, State
from foyer.api.errors import ApiError
from foyer.cache.params import ParamError, check_month
from foyer.db.households import load_balance
from foyer.money import to_cents, to_money
from foyer.schemas.dashboard import BalanceRead, BalanceUpdate
from foyer.services import balances

router = APIRouter(prefix="/balances", tags=["transfers"])


def _month(month: str) -> str:
    try:
        return check_month(month, "month")
    except ParamError as exc:
        raise ApiError(422, str(exc)) from exc


@router.get("/{month}", response_model=BalanceRead, responses={422: {}})
def get_balance(state: State, claims: Claims, month: str) -> BalanceRead:
    """The balance entered for the month (null when none was)."""
    month = _month(month)
    with state.database.read() as conn:
        cents = load_balance(conn, claims.household_id, month)
    return BalanceRead(month=month, account_balance=None if cents is None else to_money(cents))


@router.put("/{month}", response_model=BalanceRead, responses={422: {}})
def put_balance(state: State, claims: Claims, month: str, body: BalanceUpdate) -> BalanceRead:
    month = _month(month)
    cents = to_cents(body.account_balance)
    with state.database.unit_of_work() as conn:
        balances.set_balance(conn, household_id=claims.household_id, month=month, cents=cents)
    return BalanceRead(month=month, account_balance=to_money(cents))
