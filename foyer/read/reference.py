"""The reference read path: every view recomputed from raw transaction rows, every request.

This is the seeds' "before", kept on purpose: it is the oracle the optimised engine is
tested against and the baseline every benchmark compares to. It favours obviousness over
speed — plain GROUP BY queries over the month's rows, no precomputed state.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, Connection, and_, case, func, select

from foyer.db.households import load_balance, load_config, load_fixed_lines, load_provisions
from foyer.db.schema import bank_transaction as t
from foyer.db.schema import transaction_tag
from foyer.domain.anomalies import anomalies_view, history_months
from foyer.domain.budgets import budgets_view, suggestion_months, suggestions_view
from foyer.domain.insights import kpis
from foyer.domain.model import MonthTotals
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

_kept = ~t.c.exclude
_debit = and_(_kept, t.c.amount_cents < 0)


def _sum_if(condition: ColumnElement[bool], value: Any) -> Any:
    return func.coalesce(func.sum(case((condition, value), else_=0)), 0)


def _count_if(condition: ColumnElement[bool]) -> Any:
    return _sum_if(condition, 1)


def _debit_of(expense_type: str) -> ColumnElement[bool]:
    return and_(_debit, t.c.expense_type == expense_type)


# Columns of MonthTotals, in order, as aggregate expressions over raw rows.
_MONTH_TOTAL_COLUMNS = (
    _sum_if(_debit_of("VARIABLE"), -t.c.amount_cents),
    _count_if(_debit_of("VARIABLE")),
    _sum_if(_debit_of("FIXED"), -t.c.amount_cents),
    _sum_if(_debit_of("PROVISION"), -t.c.amount_cents),
    _sum_if(and_(_kept, t.c.amount_cents > 0), t.c.amount_cents),
    _sum_if(t.c.exclude, func.abs(t.c.amount_cents)),
    func.count(),
)


def _month_totals(row: Sequence[Any]) -> MonthTotals:
    # int(): PostgreSQL's SUM(bigint) is NUMERIC and arrives as Decimal.
    return MonthTotals(*(int(value) for value in row))


class ReferenceReader:
    """DashboardReader computing everything from `bank_transaction` rows."""

    name = "reference"

    def month_totals(self, conn: Connection, *, household_id: int, month: str) -> MonthTotals:
        row = conn.execute(
            select(*_MONTH_TOTAL_COLUMNS).where(
                t.c.household_id == household_id, t.c.month == month
            )
        ).one()
        return _month_totals(row)

    def summary(self, conn: Connection, *, household_id: int, month: str) -> JSON:
        return dashboard_summary(
            month=month,
            config=load_config(conn, household_id),
            fixed_lines=load_fixed_lines(conn, household_id),
            provisions=load_provisions(conn, household_id),
            totals=self.month_totals(conn, household_id=household_id, month=month),
        )

    def slim_summary(self, conn: Connection, *, household_id: int, month: str) -> JSON:
        return slim_summary(self.summary(conn, household_id=household_id, month=month))

    def budgets(self, conn: Connection, *, household_id: int, month: str) -> JSON:
        rows = conn.execute(
            select(t.c.category_parent, t.c.category, func.sum(-t.c.amount_cents))
            .where(t.c.household_id == household_id, t.c.month == month, _debit)
            .group_by(t.c.category_parent, t.c.category)
        )
        spending = {(parent, category): int(total) for parent, category, total in rows}
        return budgets_view(month, list_budgets(conn, household_id=household_id), spending)

    def _spending(
        self, conn: Connection, household_id: int, start: str, end: str
    ) -> dict[str, dict[str, int]]:
        """`[month][category]` debits not excluded of a range of months."""
        rows = conn.execute(
            select(t.c.month, t.c.category, func.sum(-t.c.amount_cents))
            .where(t.c.household_id == household_id, t.c.month.between(start, end), _debit)
            .group_by(t.c.month, t.c.category)
        )
        spending: dict[str, dict[str, int]] = {}
        for row_month, category, total in rows:
            spending.setdefault(row_month, {})[category] = int(total)
        return spending

    def budget_suggestions(self, conn: Connection, *, household_id: int, month: str) -> JSON:
        months = suggestion_months(month)
        spending = self._spending(conn, household_id, months[0], months[-1])
        return suggestions_view(month, months, spending)

    def anomalies(self, conn: Connection, *, household_id: int, month: str) -> JSON:
        spending = self._spending(conn, household_id, history_months(month)[0], month)
        return anomalies_view(month, spending)

    def transfers(self, conn: Connection, *, household_id: int, month: str) -> JSON:
        return transfers(
            month=month,
            config=load_config(conn, household_id),
            fixed_lines=load_fixed_lines(conn, household_id),
            provisions=load_provisions(conn, household_id),
            totals=self.month_totals(conn, household_id=household_id, month=month),
            balance_cents=load_balance(conn, household_id, month) or 0,
        )

    def hierarchy(self, conn: Connection, *, household_id: int, month: str) -> list[JSON]:
        rows = conn.execute(
            select(
                t.c.category_parent,
                t.c.category,
                func.sum(-t.c.amount_cents),
                func.count(),
            )
            .where(t.c.household_id == household_id, t.c.month == month, _debit)
            .group_by(t.c.category_parent, t.c.category)
        ).all()
        parents: dict[str, list[tuple[str, int, int]]] = {}
        for parent, category, total, count in rows:
            parents.setdefault(parent, []).append((category, int(total), int(count)))
        return nest_hierarchy(parents)

    def _category_stats(
        self, conn: Connection, household_id: int, category: str, month: str
    ) -> tuple[int, int, int | None, int | None]:
        total, count, low, high = conn.execute(
            select(
                func.coalesce(func.sum(-t.c.amount_cents), 0),
                func.count(),
                func.min(-t.c.amount_cents),
                func.max(-t.c.amount_cents),
            ).where(
                t.c.household_id == household_id,
                t.c.month == month,
                t.c.category == category,
                _debit,
            )
        ).one()
        return (
            int(total),
            int(count),
            None if low is None else int(low),
            None if high is None else int(high),
        )

    def drill_down_summary(
        self, conn: Connection, *, household_id: int, category: str, month: str
    ) -> JSON:
        stats = self._category_stats(conn, household_id, category, month)
        previous, _, _, _ = self._category_stats(
            conn, household_id, category, previous_month(month)
        )
        return drill_down_summary_view(category, month, stats, previous)

    def drill_down_details(
        self, conn: Connection, *, household_id: int, category: str, month: str
    ) -> JSON:
        where = (
            t.c.household_id == household_id,
            t.c.month == month,
            t.c.category == category,
            _debit,
        )
        total = func.sum(-t.c.amount_cents)
        tag = transaction_tag.c.tag
        by_tag = conn.execute(
            select(tag, total, func.count())
            .select_from(t.join(transaction_tag, transaction_tag.c.transaction_id == t.c.id))
            .where(*where)
            .group_by(tag)
            .order_by(total.desc(), tag)
            .limit(TOP_N)
        ).all()
        by_label = conn.execute(
            select(t.c.label, total, func.count())
            .where(*where)
            .group_by(t.c.label)
            .order_by(total.desc(), t.c.label)
            .limit(TOP_N)
        ).all()
        return drill_down_details_view(category, month, by_tag, by_label)

    def _months(
        self, conn: Connection, household_id: int, start: str, end: str
    ) -> dict[str, MonthTotals]:
        rows = conn.execute(
            select(t.c.month, *_MONTH_TOTAL_COLUMNS)
            .where(t.c.household_id == household_id, t.c.month.between(start, end))
            .group_by(t.c.month)
        ).all()
        return {row[0]: _month_totals(row[1:]) for row in rows}

    def trends(self, conn: Connection, *, household_id: int, start: str, end: str) -> JSON:
        return trend_months(self._months(conn, household_id, start, end), start, end)

    def kpis(self, conn: Connection, *, household_id: int, start: str, end: str) -> JSON:
        # The month before `end` too: the change compares `end` with it.
        by_month = self._months(conn, household_id, min(start, previous_month(end)), end)
        categories = conn.execute(
            select(t.c.category, func.sum(-t.c.amount_cents), func.count())
            .where(t.c.household_id == household_id, t.c.month.between(start, end), _debit)
            .group_by(t.c.category)
        ).all()
        by_category = {row[0]: (int(row[1]), int(row[2])) for row in categories}
        return kpis(by_month, by_category, start, end)

    def analytics_categories(
        self,
        conn: Connection,
        *,
        household_id: int,
        month: str,
        expense_types: Sequence[ExpenseType],
    ) -> JSON:
        total = func.sum(-t.c.amount_cents)
        rows = conn.execute(
            select(
                t.c.category,
                t.c.expense_type,
                func.count(),
                total,
                func.min(-t.c.amount_cents),
                func.max(-t.c.amount_cents),
            )
            .where(
                t.c.household_id == household_id,
                t.c.month == month,
                t.c.expense_type.in_(list(expense_types)),
                _debit,
            )
            .group_by(t.c.category, t.c.expense_type)
            .order_by(total.desc(), t.c.category, t.c.expense_type)
        ).all()
        items = [
            {
                "category": category,
                "expense_type": expense_type,
                **debit_stats(int(tot), count),
                "min": to_money(int(low)),
                "max": to_money(int(high)),
            }
            for category, expense_type, count, tot, low, high in rows
        ]
        return {"month": month, "items": items}

    def provisions_calculate(self, conn: Connection, *, household_id: int, month: str) -> JSON:
        return provisions_calculation(
            load_provisions(conn, household_id), load_config(conn, household_id), month
        )
