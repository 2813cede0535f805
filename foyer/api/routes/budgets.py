"""/budgets (SPEC §12): the household's category budgets, CRUD. The month's view of them is
`GET /dashboard/budgets` and the suggestions `GET /budgets/suggestions` (cached views,
foyer.cache.views, routed before these)."""

from __future__ import annotations

from fastapi import APIRouter, Response

from foyer.api.deps import Claims, State
from foyer.api.errors import ApiError, not_found
from foyer.api.params import RowId
from foyer.domain.budgets import Budget
from foyer.money import to_cents, to_money
from foyer.read.budgets import get_budget, list_budgets
from foyer.schemas.budgets import BudgetCreate, BudgetRead
from foyer.schemas.common import Items
from foyer.services import budgets

router = APIRouter(prefix="/budgets", tags=["budgets"])
WHAT = "budget"


def _read(budget: Budget) -> BudgetRead:
    return BudgetRead(
        id=budget.id,
        category=budget.category,
        category_parent=budget.category_parent,
        amount=to_money(budget.amount_cents),
        month=budget.month,
    )


def _new(body: BudgetCreate) -> budgets.NewBudget:
    return budgets.NewBudget(
        category=body.category,
        category_parent=body.category_parent,
        month=body.month,
        amount_cents=to_cents(body.amount),
    )


@router.get("", response_model=Items[BudgetRead])
def list_household_budgets(state: State, claims: Claims) -> Items[BudgetRead]:
    """Every budget: by category, the default (no month) before the months."""
    with state.database.read() as conn:
        found = list_budgets(conn, household_id=claims.household_id)
    return Items[BudgetRead](items=[_read(b) for b in found])


@router.post("", response_model=BudgetRead, status_code=201, responses={409: {}})
def create_budget(state: State, claims: Claims, body: BudgetCreate) -> BudgetRead:
    try:
        with state.database.unit_of_work() as conn:
            created = budgets.create_budget(conn, household_id=claims.household_id, item=_new(body))
    except budgets.BudgetExistsError as exc:
        raise ApiError(409, str(exc)) from exc
    return _read(created)


@router.get("/{budget_id}", response_model=BudgetRead, responses={404: {}})
def get_household_budget(state: State, claims: Claims, budget_id: RowId) -> BudgetRead:
    with state.database.read() as conn:
        found = get_budget(conn, household_id=claims.household_id, budget_id=budget_id)
    if found is None:
        raise not_found(WHAT)
    return _read(found)


@router.put("/{budget_id}", response_model=BudgetRead, responses={404: {}, 409: {}})
def replace_budget(
    state: State, claims: Claims, budget_id: RowId, body: BudgetCreate
) -> BudgetRead:
    try:
        with state.database.unit_of_work() as conn:
            replaced = budgets.replace_budget(
                conn, household_id=claims.household_id, budget_id=budget_id, item=_new(body)
            )
    except budgets.BudgetExistsError as exc:
        raise ApiError(409, str(exc)) from exc
    if replaced is None:
        raise not_found(WHAT)
    return _read(replaced)


@router.delete("/{budget_id}", status_code=204, responses={404: {}})
def delete_budget(state: State, claims: Claims, budget_id: RowId) -> Response:
    with state.database.unit_of_work() as conn:
        found = budgets.delete_budget(conn, household_id=claims.household_id, budget_id=budget_id)
    if not found:
        raise not_found(WHAT)
    return Response(status_code=204)
