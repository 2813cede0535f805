"""/transactions: create (one or bulk), read, patch, delete, keyset listing.

The hierarchy (/transactions/hierarchy) is a cached view: `foyer.cache.views`. So is the
listing of a month with no other filter (`transactions_month`, the page a dashboard opens):
the listing route answers that case through the view, every other one by computing it.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from starlette.concurrency import run_in_threadpool

from foyer.api import API_PREFIX
from foyer.api.answer import answer_view
from foyer.api.deps import AppState, Claims, State
from foyer.api.errors import ApiError, not_found
from foyer.api.params import Cursor, Limit, RowId
from foyer.api.routes.splits import conflict
from foyer.api.threaded import json_in_thread
from foyer.cache.params import Params, check_month
from foyer.cache.views import BY_NAME
from foyer.domain.vocabulary import ExpenseType, Sort
from foyer.money import to_cents
from foyer.read import transactions as read
from foyer.read.transactions import TransactionFilter, keyset_page
from foyer.schemas.transactions import (
    TRANSACTION_FIELDS,
    TransactionBulkCreate,
    TransactionBulkCreated,
    TransactionCreate,
    TransactionPage,
    TransactionRead,
    TransactionUpdate,
)
from foyer.services import splits
from foyer.services import transactions as service
from foyer.services.transactions import NewTransaction, TransactionChanges

router = APIRouter(prefix="/transactions", tags=["transactions"])
#: The bulk insert, whose bodies may exceed FOYER_MAX_BODY_BYTES (foyer.app wires it).
BULK_PATH = f"{API_PREFIX}/transactions/bulk"
WHAT = "transaction"
MONTH_PAGE = BY_NAME["transactions_month"]
Fields = Annotated[
    str | None, Query(description="Comma list of fields to return.", examples=["id,date,amount"])
]


def parse_fields(fields: str | None) -> list[str] | None:
    if fields is None:
        return None
    wanted = [f.strip() for f in fields.split(",") if f.strip()]
    unknown = [f for f in wanted if f not in TRANSACTION_FIELDS]
    if unknown or not wanted:
        raise ApiError(
            422,
            f"fields: unknown field(s) {', '.join(unknown) or '(none given)'}",
            details={"allowed": list(TRANSACTION_FIELDS)},
        )
    return wanted


def page_response(
    state: AppState,
    *,
    household_id: int,
    filters: TransactionFilter,
    sort: str,
    limit: int,
    cursor: str | None,
    fields: str | None,
) -> dict[str, Any]:
    """One keyset page as SPEC §5 describes it (the drill-down's pages are a cached view
    computed by the same `keyset_page`)."""
    wanted = parse_fields(fields)
    with state.database.read() as conn:
        return keyset_page(
            conn,
            state.cursors,
            household_id=household_id,
            filters=filters,
            sort=sort,
            limit=limit,
            cursor=cursor,
            wanted=wanted,
        )


@router.get("", response_model=TransactionPage)
async def list_transactions(
    request: Request,
    state: State,
    claims: Claims,
    month: str | None = None,
    category: str | None = None,
    category_parent: str | None = None,
    expense_type: ExpenseType | None = None,
    exclude: bool | None = None,
    tag: str | None = None,
    q: Annotated[
        str | None, Query(max_length=200, description="Label contains (any case).")
    ] = None,
    sort: Sort = "date_desc",
    limit: Limit = 50,
    cursor: Cursor = None,
    fields: Fields = None,
) -> Response | dict[str, Any]:
    """Filtered, keyset-paginated transactions; ties in the sort order break on id."""
    filters = TransactionFilter(
        month=None if month is None else check_month(month, "month"),
        category=category,
        category_parent=category_parent,
        expense_type=expense_type,
        exclude=exclude,
        tag=tag,
        q=q,
    )
    if filters.month is not None and fields is None and filters == TransactionFilter(month=month):
        # A month's page and nothing else: the cached view (the fast path answers its hits).
        params: Params = {
            "month": filters.month,
            "sort": sort,
            "limit": limit,
            "cursor": cursor or "",
        }
        return await answer_view(request, state, MONTH_PAGE, claims.household_id, params)
    return await run_in_threadpool(
        page_response,
        state,
        household_id=claims.household_id,
        filters=filters,
        sort=sort,
        limit=limit,
        cursor=cursor,
        fields=fields,
    )


def new_transaction(body: TransactionCreate) -> NewTransaction:
    """The service's input for a create body: the amount in cents."""
    return NewTransaction(
        date=body.date,
        label=body.label,
        amount_cents=to_cents(body.amount),
        category=body.category,
        category_parent=body.category_parent,
        account=body.account,
        exclude=body.exclude,
        expense_type=body.expense_type,
        tags=body.tags,
        import_id=body.import_id,
    )


@router.post("", response_model=TransactionRead, status_code=201, responses={429: {}})
async def create_transaction(state: State, claims: Claims, body: TransactionCreate) -> Response:
    household_id = claims.household_id

    def create() -> dict[str, Any]:
        state.write_quota.charge(household_id, 1)
        with state.database.unit_of_work() as conn:
            written = service.insert_transaction(
                conn, household_id=household_id, item=new_transaction(body)
            )
        return read.to_read(*written)

    return await json_in_thread(create, status_code=201)


@router.post(
    "/bulk", response_model=TransactionBulkCreated, status_code=201, responses={413: {}, 429: {}}
)
def create_transactions_bulk(
    state: State, claims: Claims, body: TransactionBulkCreate
) -> dict[str, Any]:
    """Insert up to 10,000 transactions at once, all or nothing; ids in input order."""
    state.write_quota.charge(claims.household_id, len(body.items))
    items = [new_transaction(item) for item in body.items]
    with state.database.unit_of_work() as conn:
        ids = service.insert_transactions(conn, household_id=claims.household_id, items=items)
    return {"created": len(ids), "ids": ids}


@router.get("/{transaction_id}", response_model=TransactionRead, responses={404: {}})
def get_transaction(state: State, claims: Claims, transaction_id: RowId) -> dict[str, Any]:
    with state.database.read() as conn:
        found = read.get_transaction(
            conn, household_id=claims.household_id, transaction_id=transaction_id
        )
    if found is None:
        raise not_found(WHAT)
    return found


@router.patch("/{transaction_id}", response_model=TransactionRead, responses={404: {}, 429: {}})
async def update_transaction(
    state: State, claims: Claims, transaction_id: RowId, body: TransactionUpdate
) -> Response:
    """Change category, category_parent, exclude, expense_type, tags or label."""
    sent = body.model_dump(exclude_unset=True)
    nulls = [k for k, v in sent.items() if v is None]
    if nulls:
        raise ApiError(422, f"{nulls[0]}: may not be null", details={"fields": nulls})
    patch = TransactionChanges(
        category=body.category,
        category_parent=body.category_parent,
        exclude=body.exclude,
        expense_type=body.expense_type,
        label=body.label,
        tags=body.tags,
    )
    household_id = claims.household_id

    def update() -> dict[str, Any]:
        state.write_quota.charge(household_id, 1)
        with state.database.unit_of_work() as conn:
            written = service.update_transaction(
                conn, household_id=household_id, transaction_id=transaction_id, changes=patch
            )
        if written is None:
            raise not_found(WHAT)
        return read.to_read(*written)

    return await json_in_thread(update)


@router.delete("/{transaction_id}", status_code=204, responses={404: {}, 409: {}, 429: {}})
def delete_transaction(state: State, claims: Claims, transaction_id: RowId) -> Response:
    """Delete a row; a split row (SPEC §12) goes with all its parts, a part alone is a 409."""
    state.write_quota.charge(claims.household_id, 1)
    with state.database.unit_of_work() as conn:
        try:
            found = splits.delete_row(
                conn, household_id=claims.household_id, transaction_id=transaction_id
            )
        except splits.SplitConflict as error:
            raise conflict(error) from None
        if not found:
            raise not_found(WHAT)
    return Response(status_code=204)
