"""/transactions/{id}/split: split a bank row into parts, merge them back (SPEC §12).

What a split changes (the original leaves every view, its parts take its place) and what
GET/PATCH/DELETE do to parts and originals: foyer.services.splits, docs/DECISIONS.md.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response

from foyer.api.deps import Claims, State
from foyer.api.errors import ApiError, not_found
from foyer.api.params import RowId
from foyer.domain.splits import InvalidSplit
from foyer.money import to_cents, to_money
from foyer.read import transactions as read
from foyer.schemas.transactions import SplitCreate, SplitCreated
from foyer.services import splits as service
from foyer.services.transaction_inputs import NewPart

router = APIRouter(prefix="/transactions", tags=["transactions"])


def conflict(error: service.SplitConflict) -> ApiError:
    return ApiError(409, str(error), details={"split_of": error.original_id})


def invalid(error: InvalidSplit) -> ApiError:
    """422 with the numbers as money (the difference: what is left to assign)."""
    details = {
        name: to_money(value) if name != "part" else value for name, value in error.details.items()
    }
    return ApiError(422, error.reason, details=details or None)


@router.post(
    "/{transaction_id}/split",
    response_model=SplitCreated,
    status_code=201,
    responses={404: {}, 409: {}, 422: {}, 429: {}},
)
def split_transaction(
    state: State, claims: Claims, transaction_id: RowId, body: SplitCreate
) -> dict[str, Any]:
    """Replace a bank row by parts adding up to it exactly; the parts, as transactions."""
    parts = [
        NewPart(
            amount_cents=to_cents(part.amount),
            category=part.category,
            category_parent=part.category_parent,
            expense_type=part.expense_type,
            exclude=part.exclude,
            account=part.account,
            tags=part.tags,
        )
        for part in body.parts
    ]
    household_id = claims.household_id
    state.write_quota.charge(household_id, len(parts))
    with state.database.unit_of_work() as conn:
        try:
            ids = service.split_transaction(
                conn, household_id=household_id, transaction_id=transaction_id, parts=parts
            )
        except service.SplitConflict as error:
            raise conflict(error) from None
        except InvalidSplit as error:
            raise invalid(error) from None
        if ids is None:
            raise not_found("transaction")
        items = read.get_transactions(conn, household_id=household_id, transaction_ids=ids)
    return {"items": items}


@router.delete("/{transaction_id}/split", status_code=204, responses={404: {}, 429: {}})
def merge_split(state: State, claims: Claims, transaction_id: RowId) -> Response:
    """Merge a split row's parts back into it (`transaction_id`: the split row's own id)."""
    state.write_quota.charge(claims.household_id, 1)
    with state.database.unit_of_work() as conn:
        if not service.merge_split(
            conn, household_id=claims.household_id, original_id=transaction_id
        ):
            raise not_found("split transaction")
    return Response(status_code=204)
