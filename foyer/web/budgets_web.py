"""The dashboard's budgets card (SPEC §12): add a budget (for every month or this one),
remove one, take a suggestion from the household's own history. Writes through
`foyer.services.budgets` in one unit of work; the card comes back out of band (htmx) or
the month again (a plain form)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse
from pydantic import ValidationError
from sqlalchemy import Connection
from starlette.responses import Response

from foyer.api.deps import State
from foyer.api.threaded import in_unit_of_work
from foyer.money import to_cents
from foyer.read.budgets import list_budgets
from foyer.schemas.budgets import BudgetCreate
from foyer.services import budgets
from foyer.web.data import view_data
from foyer.web.pages import Lang_, base_context, month_or_current
from foyer.web.render import html, render
from foyer.web.session import Csrf, WebClaims
from foyer.web.settings_forms import number

router = APIRouter(prefix="/web/budgets", include_in_schema=False)
Scope = Literal["every_month", "this_month"]


async def _card(
    request: Request, state: State, household_id: int, w: Lang_, month: str, error: str | None
) -> Response:
    if not request.headers.get("hx-request"):
        return RedirectResponse(f"/?month={month}", status_code=303)
    context = base_context(
        w,
        request,
        month=month,
        budgets=await view_data(state, household_id, "budgets", {"month": month}),
        suggestions=await view_data(state, household_id, "budget_suggestions", {"month": month}),
        oob=True,
        budget_error=error,
    )
    return html(render("_budgets.html", context), headers={"Cache-Control": "no-store"})


@router.post("", dependencies=[Csrf])
async def add_budget(
    request: Request,
    state: State,
    claims: WebClaims,
    w: Lang_,
    month: Annotated[str, Form()],
    category: Annotated[str, Form(max_length=200)],
    amount: Annotated[str, Form(max_length=40)],
    scope: Annotated[Scope, Form()] = "every_month",
) -> Response:
    shown = month_or_current(month)
    error = None
    try:
        body = BudgetCreate(
            category=category,
            amount=number(amount),
            month=shown if scope == "this_month" else None,
        )
        item = budgets.NewBudget(body.category, None, body.month, to_cents(body.amount))
        await in_unit_of_work(
            state.database,
            lambda conn: budgets.create_budget(conn, household_id=claims.household_id, item=item),
        )
    except ValidationError:
        error = w.t("budgets.invalid")
    except budgets.BudgetExistsError:
        error = w.t("budgets.exists", category=category)
    return await _card(request, state, claims.household_id, w, shown, error)


@router.post("/remove", dependencies=[Csrf])
async def remove_budget(
    request: Request,
    state: State,
    claims: WebClaims,
    w: Lang_,
    month: Annotated[str, Form()],
    category: Annotated[str, Form(max_length=200)],
    scope: Annotated[Scope, Form()],
) -> Response:
    """Remove the category's budget in force this month (its own, or the default)."""
    shown = month_or_current(month)
    wanted = shown if scope == "this_month" else None

    def remove(conn: Connection) -> None:
        for budget in list_budgets(conn, household_id=claims.household_id):
            if budget.category == category and budget.month == wanted:
                budgets.delete_budget(conn, household_id=claims.household_id, budget_id=budget.id)

    await in_unit_of_work(state.database, remove)
    return await _card(request, state, claims.household_id, w, shown, None)
