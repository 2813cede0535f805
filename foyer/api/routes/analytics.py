"""/analytics/categories: per category and expense type statistics of a month (SPEC §6)."""

from __future__ import annotations

from typing import Annotated, get_args

from fastapi import APIRouter, Query, Request, Response

from foyer.api.cached import view_endpoint
from foyer.api.deps import Claims, MonthQuery, State
from foyer.api.errors import ApiError
from foyer.domain.vocabulary import ExpenseType
from foyer.schemas.dashboard import CategoryAnalytics

router = APIRouter(prefix="/analytics", tags=["analytics"])
ALL_TYPES: tuple[ExpenseType, ...] = get_args(ExpenseType)


def parse_expense_types(value: str | None) -> list[ExpenseType]:
    if value is None:
        return list(ALL_TYPES)
    wanted = [v.strip() for v in value.split(",") if v.strip()]
    unknown = [v for v in wanted if v not in ALL_TYPES]
    if unknown or not wanted:
        raise ApiError(
            422,
            f"expense_types: unknown value(s) {', '.join(unknown) or '(none given)'}",
            details={"allowed": list(ALL_TYPES)},
        )
    return [t for t in ALL_TYPES if t in wanted]


@router.get("/categories", response_model=CategoryAnalytics)
async def category_analytics(
    request: Request,
    state: State,
    claims: Claims,
    month: MonthQuery,
    expense_types: Annotated[
        str | None, Query(description="Comma list; default all three.", examples=["VARIABLE,FIXED"])
    ] = None,
) -> Response:
    """Debits not excluded by category and expense type: count, total, avg, min, max."""
    types = parse_expense_types(expense_types)
    household_id = claims.household_id
    return await view_endpoint(
        request,
        state,
        "analytics_categories",
        household_id,
        {"month": month, "expense_types": ",".join(types)},
    )
