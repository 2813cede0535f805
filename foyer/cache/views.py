"""Every cached view, declared once: its URL, parameters, data scopes, reader and schema.

One `View` is everything foyer knows about a cached view. The HTTP layer derives the
route (`foyer.api.routes.views`) and the fast path's parser (`foyer.api.fastpath`) from
it; the cache derives keys from its scopes (`foyer.cache.lookup`); the warmer recomputes
it by name (`foyer.cache.warming`); `tests/api/test_view_schemas.py` validates its body
against its `response` schema. Adding a view is one entry in `VIEWS` plus the reader
methods it calls (docs/ARCHITECTURE.md, "Adding a cached view").

Nothing here knows HTTP: parameters are named by kind (`ParamName`), and each kind's
reading of a query string lives in `foyer.api.params`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from sqlalchemy import Connection

from foyer.cache.params import MAX_TREND_MONTHS, ParamName, Params, check_month_range
from foyer.domain.anomalies import history_months
from foyer.domain.budgets import suggestion_months
from foyer.domain.vocabulary import EXPENSE_TYPES, ExpenseType
from foyer.months import months_between, previous_month
from foyer.read.cursors import CursorCodec
from foyer.read.protocol import DashboardReader
from foyer.read.transactions import TransactionFilter, keyset_page
from foyer.schemas import budgets as bs
from foyer.schemas import dashboard as ds
from foyer.schemas.transactions import HierarchyParent, TransactionPage
from foyer.services import stamps


@dataclass(frozen=True, slots=True)
class Sources:
    """What views are computed with."""

    reader: DashboardReader
    cursors: CursorCodec


#: A view's body: JSON, before orjson encodes it.
Body = Mapping[str, object] | Sequence[Mapping[str, object]]
Compute = Callable[[Sources, Connection, int, Params], Body]


def _no_check(_params: Params) -> None:
    return None


@dataclass(frozen=True, slots=True)
class View:
    """One cached view (see the module docstring)."""

    name: str  # its metrics label and the first part of its cache keys
    operation: str  # its route's name: the OpenAPI operationId and summary
    path: str  # under /api/v1; one trailing {category} at most
    params: tuple[ParamName, ...]  # query parameters, in the order the API documents them
    scopes: Callable[[Params], Sequence[str]]  # the data stamps its body depends on
    compute: Compute  # its body, computed on a read connection
    response: object  # the type its body validates against, and the API docs show
    summary: str  # one line for the API docs
    # Views sharing a path: the `level` that selects this one; the first declared of a
    # path is the one a request without `level` gets.
    level: str | None = None
    first_paint: bool = False  # warmed after writes for the months people look at
    check: Callable[[Params], None] = _no_check  # rules across parameters (ParamError)
    # False: a hand-written route serves the path, and answers through this view only the
    # requests that are its case (the listing with only `month`); the fast path takes those.
    generated_route: bool = True


def expense_types_of(params: Params) -> list[ExpenseType]:
    wanted = str(params["expense_types"]).split(",")
    return [t for t in EXPENSE_TYPES if t in wanted]


def _month(params: Params) -> str:
    return str(params["month"])


def _budget_and_totals(p: Params) -> Sequence[str]:
    return (stamps.BUDGET, stamps.totals(_month(p)))


def _categories(p: Params) -> Sequence[str]:
    return (stamps.categories(_month(p)),)


def _page(s: Sources, c: Connection, h: int, p: Params, filters: TransactionFilter) -> Body:
    """A keyset page of the listing, as GET /transactions computes it."""
    return keyset_page(
        c,
        s.cursors,
        household_id=h,
        filters=filters,
        sort=str(p["sort"]),
        limit=int(p["limit"]),
        cursor=str(p["cursor"]) or None,
    )


def _drill_down_page(s: Sources, c: Connection, h: int, p: Params) -> Body:
    filters = TransactionFilter(month=_month(p), category=str(p["category"]), debits_only=True)
    return _page(s, c, h, p, filters)


def _month_page(s: Sources, c: Connection, h: int, p: Params) -> Body:
    return _page(s, c, h, p, TransactionFilter(month=_month(p)))


def _kpi_scopes(p: Params) -> Sequence[str]:
    start, end = str(p["from"]), str(p["to"])
    # The month before `to` too: the change compares `to` with it.
    totals = months_between(min(start, previous_month(end)), end)
    return [*map(stamps.totals, totals), *map(stamps.categories, months_between(start, end))]


DRILL_DOWN = "/dashboard/drill-down/{category}"
MONTH: tuple[ParamName, ...] = ("month",)

VIEWS: tuple[View, ...] = (
    View(
        name="summary",
        operation="get_summary",
        first_paint=True,
        path="/dashboard/summary",
        params=MONTH,
        scopes=_budget_and_totals,
        compute=lambda s, c, h, p: s.reader.summary(c, household_id=h, month=_month(p)),
        response=ds.SummaryRead,
        summary="Who pays what this month: variable spending, fixed lines, provisions, actuals.",
    ),
    View(
        name="slim_summary",
        operation="get_slim_summary",
        first_paint=True,
        path="/dashboard/summary/slim",
        params=MONTH,
        scopes=_budget_and_totals,
        compute=lambda s, c, h, p: s.reader.slim_summary(c, household_id=h, month=_month(p)),
        response=ds.SlimSummaryRead,
        summary="The summary's numbers without the lists, for a first paint.",
    ),
    View(
        name="drill_down_summary",
        operation="drill_down",
        path=DRILL_DOWN,
        level="summary",
        params=MONTH,
        # previous_total reads the month before
        scopes=lambda p: (
            stamps.categories(_month(p)),
            stamps.categories(previous_month(_month(p))),
        ),
        compute=lambda s, c, h, p: s.reader.drill_down_summary(
            c, household_id=h, category=str(p["category"]), month=_month(p)
        ),
        response=ds.DrillDownSummary,
        summary="One category's debits (not excluded): totals, breakdowns, or a page of "
        "transactions.",
    ),
    View(
        name="drill_down_details",
        operation="drill_down",
        path=DRILL_DOWN,
        level="details",
        params=MONTH,
        scopes=lambda p: (stamps.details(_month(p)),),
        compute=lambda s, c, h, p: s.reader.drill_down_details(
            c, household_id=h, category=str(p["category"]), month=_month(p)
        ),
        response=ds.DrillDownDetails,
        summary="One category's top tags and labels of the month.",
    ),
    View(
        name="drill_down_page",
        operation="drill_down",
        path=DRILL_DOWN,
        level="transactions",
        params=("month", "sort", "limit", "cursor"),
        # its rows themselves, whatever changed in them
        scopes=lambda p: (stamps.rows(_month(p)),),
        compute=_drill_down_page,
        response=TransactionPage,
        summary="One category's debits of the month, a keyset page at a time.",
    ),
    View(
        name="transactions_month",
        operation="list_transactions",
        path="/transactions",
        generated_route=False,  # foyer.api.routes.transactions.list_transactions
        params=("month", "sort", "limit", "cursor"),
        scopes=lambda p: (stamps.rows(_month(p)),),
        compute=_month_page,
        response=TransactionPage,
        summary="A month's transactions, a keyset page at a time: the listing when only "
        "`month` (and `sort`, `limit`, `cursor`) is given.",
    ),
    View(
        name="trends",
        operation="get_trends",
        path="/dashboard/trends",
        params=("from", "to"),
        scopes=lambda p: [stamps.totals(m) for m in months_between(str(p["from"]), str(p["to"]))],
        compute=lambda s, c, h, p: s.reader.trends(
            c, household_id=h, start=str(p["from"]), end=str(p["to"])
        ),
        response=ds.TrendsRead,
        summary=f"Month by month totals from `from` to `to` inclusive (at most "
        f"{MAX_TREND_MONTHS} months).",
        check=check_month_range,
    ),
    View(
        name="kpis",
        operation="get_kpis",
        path="/analytics/kpis",
        params=("from", "to"),
        scopes=_kpi_scopes,
        compute=lambda s, c, h, p: s.reader.kpis(
            c, household_id=h, start=str(p["from"]), end=str(p["to"])
        ),
        response=ds.KpisRead,
        summary="Monthly averages of income, spending and savings rate over `from`..`to`, the "
        "last month's change, the top categories (SPEC §12).",
        check=check_month_range,
    ),
    View(
        name="anomalies",
        operation="get_anomalies",
        path="/analytics/anomalies",
        params=MONTH,
        # the month and the twelve before it
        scopes=lambda p: [stamps.categories(m) for m in (*history_months(_month(p)), _month(p))],
        compute=lambda s, c, h, p: s.reader.anomalies(c, household_id=h, month=_month(p)),
        response=ds.AnomaliesRead,
        summary="The categories spent far above their own 12 months before: beyond both the "
        "median plus three median deviations (each at least 5 % of the median and 10 €) "
        "and the highest month plus 30 €; largest excess first (SPEC §12).",
    ),
    View(
        name="transfers",
        operation="get_transfers",
        path="/dashboard/transfers",
        params=MONTH,
        scopes=lambda p: (*_budget_and_totals(p), stamps.balance(_month(p))),
        compute=lambda s, c, h, p: s.reader.transfers(c, household_id=h, month=_month(p)),
        response=ds.TransfersRead,
        summary="Who transfers what to the joint account this month: the summary's totals "
        "less the balance above the buffer, split by the key (SPEC §12).",
    ),
    View(
        name="budgets",
        operation="get_budgets",
        path="/dashboard/budgets",
        params=MONTH,
        scopes=lambda p: (stamps.BUDGETS, stamps.categories(_month(p))),
        compute=lambda s, c, h, p: s.reader.budgets(c, household_id=h, month=_month(p)),
        response=bs.BudgetsRead,
        summary="Each budgeted category's budget for the month, spent, remaining, over or not "
        "(SPEC §12).",
    ),
    View(
        name="budget_suggestions",
        operation="get_budget_suggestions",
        path="/budgets/suggestions",
        params=MONTH,
        scopes=lambda p: [stamps.categories(m) for m in suggestion_months(_month(p))],
        compute=lambda s, c, h, p: s.reader.budget_suggestions(c, household_id=h, month=_month(p)),
        response=bs.BudgetSuggestionsRead,
        summary="A budget per category: the median of the six previous months' spending, "
        "rounded up to the next 5 € (SPEC §12).",
    ),
    View(
        name="hierarchy",
        operation="get_hierarchy",
        first_paint=True,
        path="/transactions/hierarchy",
        params=MONTH,
        scopes=_categories,
        compute=lambda s, c, h, p: s.reader.hierarchy(c, household_id=h, month=_month(p)),
        response=list[HierarchyParent],
        summary="Debits not excluded, by category_parent then category, largest first.",
    ),
    View(
        name="analytics_categories",
        operation="category_analytics",
        path="/analytics/categories",
        params=("month", "expense_types"),
        scopes=_categories,
        compute=lambda s, c, h, p: s.reader.analytics_categories(
            c,
            household_id=h,
            month=_month(p),
            expense_types=expense_types_of(p),
        ),
        response=ds.CategoryAnalytics,
        summary="Debits not excluded by category and expense type: count, total, avg, min, max.",
    ),
    View(
        name="provisions_calculate",
        operation="calculate_provisions",
        path="/provisions/calculate",
        params=MONTH,
        # provisions and config only, no transactions
        scopes=lambda p: (stamps.BUDGET,),
        compute=lambda s, c, h, p: s.reader.provisions_calculate(
            c, household_id=h, month=_month(p)
        ),
        response=ds.ProvisionCalculation,
        summary="Monthly amounts and member shares of the provisions counted in `month`.",
    ),
)

BY_NAME: dict[str, View] = {view.name: view for view in VIEWS}


def by_path() -> dict[str, list[View]]:
    """The views grouped by path, in declaration order."""
    paths: dict[str, list[View]] = {}
    for view in VIEWS:
        paths.setdefault(view.path, []).append(view)
    return paths


def path_params(path: str) -> tuple[ParamName, ...]:
    return ("category",) if "{category}" in path else ()
