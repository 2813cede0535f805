"""The dashboard's partial updates (htmx): a parent's categories, a category's figures and
transactions (keyset pages, "load more"), and the inline edit of a transaction, which
answers the row and, out of band, the month's summary and categories with their new totals.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse
from pydantic import ValidationError
from starlette.responses import Response

from foyer.api.deps import State
from foyer.api.routes.exports import download
from foyer.api.threaded import in_unit_of_work
from foyer.domain.vocabulary import EXPENSE_TYPES, ExpenseType
from foyer.exports import ExportFormat
from foyer.money import to_cents
from foyer.read.cursors import InvalidCursorError
from foyer.read.transactions import to_read
from foyer.schemas.dashboard import BalanceUpdate
from foyer.services import balances, transactions
from foyer.web import views_html
from foyer.web.data import view_data
from foyer.web.pages import Lang_, base_context, month_or_current
from foyer.web.render import html, render
from foyer.web.session import Csrf, WebClaims
from foyer.web.settings_forms import number

router = APIRouter(prefix="/web", include_in_schema=False)
PAGE_ROWS = 25
NO_STORE = {"Cache-Control": "no-store"}


def _page_params(month: str, category: str, cursor: str) -> dict[str, str | int]:
    return {
        "month": month,
        "category": category,
        "sort": "date_desc",
        "limit": PAGE_ROWS,
        "cursor": cursor,
    }


@router.get("/parent")
async def parent_categories(
    request: Request, state: State, claims: WebClaims, w: Lang_, month: str, parent: str
) -> Response:
    shown = month_or_current(month)
    hierarchy = await view_data(state, claims.household_id, "hierarchy", {"month": shown})
    found = next((p for p in views_html.hierarchy_rows(hierarchy) if p.name == parent), None)
    context = base_context(w, request, month=shown, parent=found, parent_name=parent)
    return html(render("_parent.html", context), headers=NO_STORE)


async def _rows_page(
    state: State, household_id: int, month: str, category: str, cursor: str
) -> dict[str, Any] | None:
    try:
        page: dict[str, Any] = await view_data(
            state, household_id, "drill_down_page", _page_params(month, category, cursor)
        )
    except InvalidCursorError:
        return None
    return page


@router.get("/category")
async def category_detail(
    request: Request, state: State, claims: WebClaims, w: Lang_, month: str, category: str
) -> Response:
    shown = month_or_current(month)
    household = claims.household_id
    figures = await view_data(
        state, household, "drill_down_summary", {"month": shown, "category": category}
    )
    page = await _rows_page(state, household, shown, category, "")
    hierarchy = await view_data(state, household, "hierarchy", {"month": shown})
    context = base_context(
        w,
        request,
        month=shown,
        category=category,
        parent=views_html.category_parents(hierarchy).get(category, ""),
        figures=figures,
        page=page,
        types=EXPENSE_TYPES,
        known=sorted(views_html.category_parents(hierarchy)),
    )
    return html(render("_category.html", context), headers=NO_STORE)


@router.get("/rows")
async def more_rows(
    request: Request,
    state: State,
    claims: WebClaims,
    w: Lang_,
    month: str,
    category: str,
    cursor: str,
) -> Response:
    shown = month_or_current(month)
    page = await _rows_page(state, claims.household_id, shown, category, cursor)
    if page is None:
        return html("", status=400, headers=NO_STORE)
    context = base_context(
        w, request, month=shown, category=category, page=page, types=EXPENSE_TYPES
    )
    return html(render("_rows.html", context), headers=NO_STORE)


@router.post("/transactions/{transaction_id}", dependencies=[Csrf])
async def edit_transaction(
    request: Request,
    state: State,
    claims: WebClaims,
    w: Lang_,
    transaction_id: int,
    month: Annotated[str, Form()],
    category: Annotated[str, Form(min_length=1, max_length=100)],
    expense_type: Annotated[ExpenseType, Form()],
    exclude: Annotated[bool, Form()] = False,
) -> Response:
    """Recategorise / exclude / retype one row: the row again, plus the month's summary and
    categories out of band (htmx swaps them where they are), totals exact."""
    shown = month_or_current(month)
    household = claims.household_id
    hierarchy = await view_data(state, household, "hierarchy", {"month": shown})
    parent = views_html.category_parents(hierarchy).get(category.strip())
    changes = transactions.TransactionChanges(
        category=category.strip(),
        category_parent=parent,  # a known category brings its parent along
        exclude=exclude,
        expense_type=expense_type,
    )
    written = await in_unit_of_work(
        state.database,
        lambda conn: transactions.update_transaction(
            conn, household_id=household, transaction_id=transaction_id, changes=changes
        ),
    )
    if written is None:
        return html(
            render("_error.html", base_context(w, request, message=w.t("error.not_found"))),
            status=404,
        )
    row = to_read(*written)
    summary = await view_data(state, household, "summary", {"month": shown})
    hierarchy = await view_data(state, household, "hierarchy", {"month": shown})
    context = base_context(
        w,
        request,
        month=shown,
        row=row,
        types=EXPENSE_TYPES,
        summary=summary,
        hierarchy=views_html.hierarchy_rows(hierarchy),
        saved=True,
    )
    return html(render("_edited.html", context), headers=NO_STORE)


@router.post("/balance", dependencies=[Csrf])
async def set_balance(
    request: Request,
    state: State,
    claims: WebClaims,
    w: Lang_,
    month: Annotated[str, Form()],
    account_balance: Annotated[str, Form(max_length=40)],
) -> Response:
    """The joint account's balance for the month (the transfer plan): the plan again, out
    of band (htmx), or back to the month (a plain form)."""
    shown = month_or_current(month)
    try:
        body = BalanceUpdate(account_balance=number(account_balance))
    except ValidationError:
        message = w.t("error.invalid", message=account_balance[:40])
        return html(render("_error.html", base_context(w, request, message=message)), status=422)
    await in_unit_of_work(
        state.database,
        lambda conn: balances.set_balance(
            conn,
            household_id=claims.household_id,
            month=shown,
            cents=to_cents(body.account_balance),
        ),
    )
    if not request.headers.get("hx-request"):
        return RedirectResponse(f"/?month={shown}", status_code=303)
    summary = await view_data(state, claims.household_id, "summary", {"month": shown})
    plan = await view_data(state, claims.household_id, "transfers", {"month": shown})
    context = base_context(w, request, month=shown, summary=summary, plan=plan, oob=True)
    return html(render("_transfers.html", context), headers=NO_STORE)


@router.get("/export")
async def export_transactions(
    state: State,
    claims: WebClaims,
    start: Annotated[str, Query(alias="from")],
    end: Annotated[str, Query(alias="to")],
    fmt: Annotated[ExportFormat, Query(alias="format")] = "csv",
) -> Response:
    """The export for a signed-in browser: the API's download, with the session cookie."""
    return download(state, claims.household_id, start, end, fmt)
