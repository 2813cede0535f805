"""/dashboard: summary, slim summary, drill-down and trends (SPEC §6).

Routes only pick the view and scope it to the caller's household; the configured
`DashboardReader` computes it.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request, Response

from foyer.api.cached import view_endpoint
from foyer.api.deps import Claims, MonthQuery, State, checked_month
from foyer.api.errors import ApiError
from foyer.api.routes.transactions import Cursor, Limit
from foyer.domain.vocabulary import Sort
from foyer.months import months_between
from foyer.schemas.dashboard import (
    DrillDownDetails,
    DrillDownSummary,
    SlimSummaryRead,
    SummaryRead,
    TrendsRead,
)
from foyer.schemas.transactions import TransactionPage

router = APIRouter(prefix="/dashboard", tags=["dashboard"])
MAX_TREND_MONTHS = 120


@router.get("/summary", response_model=SummaryRead)
async def get_summary(
    request: Request, state: State, claims: Claims, month: MonthQuery
) -> Response:
    """Who pays what this month: variable spending, fixed lines, provisions and actuals."""
    household_id = claims.household_id
    return await view_endpoint(request, state, "summary", household_id, {"month": month})


@router.get("/summary/slim", response_model=SlimSummaryRead)
async def get_slim_summary(
    request: Request, state: State, claims: Claims, month: MonthQuery
) -> Response:
    """The summary's numbers without the lists, for a first paint."""
    household_id = claims.household_id
    return await view_endpoint(request, state, "slim_summary", household_id, {"month": month})


@router.get(
    "/drill-down/{category}",
    response_model=DrillDownSummary | DrillDownDetails | TransactionPage,
    responses={200: {"description": "Shape depends on `level`."}},
)
async def drill_down(
    request: Request,
    state: State,
    claims: Claims,
    category: str,
    month: MonthQuery,
    level: Literal["summary", "details", "transactions"] = "summary",
    sort: Sort = "date_desc",
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Any:
    """One category's debits (not excluded): totals, breakdowns, or a transactions page."""
    household_id = claims.household_id
    if level == "transactions":  # a keyset page of its rows, cached like the views
        page = {"category": category, "month": month, "sort": sort, "limit": limit}
        return await view_endpoint(
            request, state, "drill_down_page", household_id, {**page, "cursor": cursor or ""}
        )
    if level == "details":
        return await view_endpoint(
            request,
            state,
            "drill_down_details",
            household_id,
            {"category": category, "month": month},
        )
    return await view_endpoint(
        request, state, "drill_down_summary", household_id, {"category": category, "month": month}
    )


def check_trend_range(start: str, end: str) -> None:
    """A 422 unless `start`..`end` are months in order, at most MAX_TREND_MONTHS apart."""
    checked_month(start, "from")
    checked_month(end, "to")
    if start > end:
        raise ApiError(422, "from: must not be after to")
    if len(months_between(start, end)) > MAX_TREND_MONTHS:
        raise ApiError(422, f"at most {MAX_TREND_MONTHS} months per request")


@router.get("/trends", response_model=TrendsRead)
async def get_trends(
    request: Request,
    state: State,
    claims: Claims,
    start: Annotated[str, Query(alias="from", examples=["2025-01"])],
    end: Annotated[str, Query(alias="to", examples=["2025-12"])],
) -> Response:
    """Month by month totals from `from` to `to` inclusive (at most 120 months)."""
    check_trend_range(start, end)
    household_id = claims.household_id
    return await view_endpoint(request, state, "trends", household_id, {"from": start, "to": end})
