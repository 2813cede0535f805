"""The optimised read path: every view from the materialised aggregates, never from the rows.

A view costs O(its groups) — a month's categories, a category's tags — whatever the number
of transactions: summary is one row of `agg_month` plus the config and the small
fixed-line and provision tables (3 queries), trends one `agg_month` row per month, the
hierarchy and analytics a month's `agg_category` rows, drill-down details the first 20
entries of the `agg_tag`/`agg_label` top indexes. foyer.services.aggregates keeps those
tables exact at every commit, so nothing here is ever stale; the differential tests
(tests/read/) hold every view equal to the reference reader's.

Each SQL statement is built by a `q_*` function so foyer.read.plans can EXPLAIN exactly what
runs here (tests check the plans; `foyer advise` prints them).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Select, and_, select

from foyer.db.households import (
    CONFIG_FIELDS,
    load_balance,
    load_config,
    load_fixed_lines,
    load_provisions,
)
from foyer.db.schema import (
    MONTH_COLUMNS,
    agg_category,
    agg_label,
    agg_month,
    agg_tag,
    household,
    household_config,
)
from foyer.domain.anomalies import anomalies_view, history_months
from foyer.domain.budgets import budgets_view, suggestion_months, suggestions_view
from foyer.domain.insights import kpis
from foyer.domain.model import HouseholdConfig, MonthTotals
from foyer.domain.summary import (
    dashboard_summary,
    provisions_calculation,
    slim_summary,
    transfers,
)
from foyer.domain.vocabulary import ExpenseType
from foyer.money import to_money
from foyer.months import previous_month
from foyer.read.budgets import list_budgets
from foyer.read.shapes import (
    JSON,
    TOP_N,
    debit_stats,
    drill_down_details_view,
    drill_down_summary_view,
    nest_hierarchy,
    trend_months,
)

_month_cols = [agg_month.c[name] for name in MONTH_COLUMNS]
#: (parent, category) for the hierarchy, (category, expense type) for analytics.
Group = tuple[str, str]
_config_cols = [household_config.c[name] for name in CONFIG_FIELDS]


def q_config_and_month(household_id: int, month: str) -> Select[Any]:
    """The household's config and its month totals in one round trip (either may be absent)."""
    return (
        select(household_config.c.household_id, *_config_cols, agg_month.c.month, *_month_cols)
        .select_from(
            household.outerjoin(
                household_config, household_config.c.household_id == household.c.id
            ).outerjoin(
                agg_month,
                and_(agg_month.c.household_id == household.c.id, agg_month.c.month == month),
            )
        )
        .where(household.c.id == household_id)
    )


def q_trend_months(household_id: int, start: str, end: str) -> Select[Any]:
    return select(agg_month.c.month, *_month_cols).where(
        agg_month.c.household_id == household_id, agg_month.c.month.between(start, end)
    )


def q_range_categories(household_id: int, start: str, end: str) -> Select[Any]:
    """The category groups of every month of a range (KPIs: summed by category here)."""
    c = agg_category.c
    return select(c.category, c.count, c.total_cents).where(
        c.household_id == household_id, c.month.between(start, end)
    )


def q_months_category_totals(household_id: int, start: str, end: str) -> Select[Any]:
    """Each month's debits by category over a range (budget suggestions, anomalies)."""
    c = agg_category.c
    return select(c.month, c.category, c.total_cents).where(
        c.household_id == household_id, c.month.between(start, end)
    )


def q_month_categories(household_id: int, month: str) -> Select[Any]:
    """A month's category groups (kept debits), in primary-key order."""
    c = agg_category.c
    return select(
        c.category,
        c.category_parent,
        c.expense_type,
        c.count,
        c.total_cents,
        c.low_cents,
        c.high_cents,
    ).where(c.household_id == household_id, c.month == month)


def q_category_months(household_id: int, category: str, months: Sequence[str]) -> Select[Any]:
    """One category's groups in the given months (drill-down: this month and the last)."""
    c = agg_category.c
    return select(c.month, c.count, c.total_cents, c.low_cents, c.high_cents).where(
        c.household_id == household_id, c.month.in_(list(months)), c.category == category
    )


def q_top(table_name: str, household_id: int, category: str, month: str) -> Select[Any]:
    """The first TOP_N entries of agg_tag/agg_label's top index: by total desc, then name."""
    table = agg_tag if table_name == "tag" else agg_label
    name = table.c[table_name]
    return (
        select(name, table.c.total_cents, table.c.count)
        .where(
            table.c.household_id == household_id,
            table.c.month == month,
            table.c.category == category,
        )
        .order_by(table.c.total_cents.desc(), name)
        .limit(TOP_N)
    )


@dataclass(slots=True)
class _Stats:
    """Sums of agg_category groups gathered under one key."""

    count: int
    total: int
    low: int
    high: int

    @classmethod
    def merge(
        cls, into: dict[Group, _Stats], key: Group, count: int, total: int, low: int, high: int
    ) -> None:
        stats = into.get(key)
        if stats is None:
            into[key] = cls(count, total, low, high)
            return
        stats.count += count
        stats.total += total
        stats.low = min(stats.low, low)
        stats.high = max(stats.high, high)


class OptimizedReader:
    """DashboardReader over the aggregate tables (FOYER_READER=optimized, the default)."""

    name = "optimized"

    def _config_and_totals(
        self, conn: Connection, household_id: int, month: str
    ) -> tuple[HouseholdConfig, MonthTotals]:
        row = conn.execute(q_config_and_month(household_id, month)).one_or_none()
        if row is None:  # no such household: what the reference reader shows too
            return HouseholdConfig(), MonthTotals()
        found = row._mapping  # by column: the config and the month are outer-joined
        config = HouseholdConfig()
        if found[household_config.c.household_id] is not None:
            config = HouseholdConfig(**{c.name: found[c] for c in _config_cols})
        totals = MonthTotals()
        if found[agg_month.c.month] is not None:
            totals = MonthTotals(**{c.name: int(found[c]) for c in _month_cols})
        return config, totals

    def summary(self, conn: Connection, *, household_id: int, month: str) -> JSON:
        config, totals = self._config_and_totals(conn, household_id, month)
        return dashboard_summary(
            month=month,
            config=config,
            fixed_lines=load_fixed_lines(conn, household_id),
            provisions=load_provisions(conn, household_id),
            totals=totals,
        )

    def slim_summary(self, conn: Connection, *, household_id: int, month: str) -> JSON:
        return slim_summary(self.summary(conn, household_id=household_id, month=month))

    def budgets(self, conn: Connection, *, household_id: int, month: str) -> JSON:
        spending: dict[tuple[str, str], int] = {}
        for category, parent, _type, _count, total, _low, _high in conn.execute(
            q_month_categories(household_id, month)
        ):
            spending[(parent, category)] = spending.get((parent, category), 0) + int(total)
        return budgets_view(month, list_budgets(conn, household_id=household_id), spending)

    def _spending(
        self, conn: Connection, household_id: int, start: str, end: str
    ) -> dict[str, dict[str, int]]:
        """`[month][category]` debits of a range of months, summed over parents and types."""
        spending: dict[str, dict[str, int]] = {}
        for row_month, category, total in conn.execute(
            q_months_category_totals(household_id, start, end)
        ):
            by_category = spending.setdefault(row_month, {})
            by_category[category] = by_category.get(category, 0) + int(total)
        return spending

    def budget_suggestions(self, conn: Connection, *, household_id: int, month: str) -> JSON:
        months = suggestion_months(month)
        spending = self._spending(conn, household_id, months[0], months[-1])
        return suggestions_view(month, months, spending)

    def anomalies(self, conn: Connection, *, household_id: int, month: str) -> JSON:
        # One query: the month and the twelve before it.
        spending = self._spending(conn, household_id, history_months(month)[0], month)
        return anomalies_view(month, spending)

    def transfers(self, conn: Connection, *, household_id: int, month: str) -> JSON:
        config, totals = self._config_and_totals(conn, household_id, month)
        return transfers(
            month=month,
            config=config,
            fixed_lines=load_fixed_lines(conn, household_id),
            provisions=load_provisions(conn, household_id),
            totals=totals,
            balance_cents=load_balance(conn, household_id, month) or 0,
        )

    def hierarchy(self, conn: Connection, *, household_id: int, month: str) -> list[JSON]:
        sums: dict[Group, _Stats] = {}
        for category, parent, _type, count, total, low, high in conn.execute(
            q_month_categories(household_id, month)
        ):
            # The same category under several expense types: one line of the hierarchy.
            _Stats.merge(sums, (parent, category), count, total, low, high)
        parents: dict[str, list[tuple[str, int, int]]] = {}
        for (parent, category), stats in sums.items():
            parents.setdefault(parent, []).append((category, stats.total, stats.count))
        return nest_hierarchy(parents)

    def drill_down_summary(
        self, conn: Connection, *, household_id: int, category: str, month: str
    ) -> JSON:
        previous = previous_month(month)
        total = count = previous_total = 0
        low: int | None = None
        high: int | None = None
        for row_month, n, tot, lo, hi in conn.execute(
            q_category_months(household_id, category, (month, previous))
        ):
            if row_month == previous:
                previous_total += tot
                continue
            total += tot
            count += n
            low = lo if low is None else min(low, lo)
            high = hi if high is None else max(high, hi)
        return drill_down_summary_view(category, month, (total, count, low, high), previous_total)

    def drill_down_details(
        self, conn: Connection, *, household_id: int, category: str, month: str
    ) -> JSON:
        by_tag = conn.execute(q_top("tag", household_id, category, month)).all()
        by_label = conn.execute(q_top("label", household_id, category, month)).all()
        return drill_down_details_view(category, month, by_tag, by_label)

    def _months(
        self, conn: Connection, household_id: int, start: str, end: str
    ) -> dict[str, MonthTotals]:
        rows = conn.execute(q_trend_months(household_id, start, end))
        return {row[0]: MonthTotals(*(int(v) for v in row[1:])) for row in rows}

    def trends(self, conn: Connection, *, household_id: int, start: str, end: str) -> JSON:
        return trend_months(self._months(conn, household_id, start, end), start, end)

    def kpis(self, conn: Connection, *, household_id: int, start: str, end: str) -> JSON:
        # The month before `end` too: the change compares `end` with it.
        by_month = self._months(conn, household_id, min(start, previous_month(end)), end)
        by_category: dict[str, tuple[int, int]] = {}
        for category, count, total in conn.execute(q_range_categories(household_id, start, end)):
            seen_total, seen_count = by_category.get(category, (0, 0))
            by_category[category] = (seen_total + total, seen_count + count)
        return kpis(by_month, by_category, start, end)

    def analytics_categories(
        self,
        conn: Connection,
        *,
        household_id: int,
        month: str,
        expense_types: Sequence[ExpenseType],
    ) -> JSON:
        wanted = set(expense_types)
        groups: dict[Group, _Stats] = {}
        for category, _parent, etype, count, total, low, high in conn.execute(
            q_month_categories(household_id, month)
        ):
            if etype in wanted:  # the same category under several parents: one item
                _Stats.merge(groups, (category, etype), count, total, low, high)
        ranked = sorted(groups.items(), key=lambda g: (-g[1].total, g[0][0], g[0][1]))
        items = [
            {
                "category": category,
                "expense_type": etype,
                **debit_stats(stats.total, stats.count),
                "min": to_money(stats.low),
                "max": to_money(stats.high),
            }
            for (category, etype), stats in ranked
        ]
        return {"month": month, "items": items}

    def provisions_calculate(self, conn: Connection, *, household_id: int, month: str) -> JSON:
        # No transactions involved: the provisions and the config are the whole input.
        return provisions_calculation(
            load_provisions(conn, household_id), load_config(conn, household_id), month
        )
