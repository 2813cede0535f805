"""The views' shapes: how both readers turn their numbers into the JSON of a view.

Shared by the optimised reader and the reference one (the oracle), so the differential
tests compare where the numbers come from, never two copies of the shaping. Pure: no
database.
"""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction
from typing import Any

from foyer.domain.model import MonthTotals
from foyer.money import round_half_up, to_money
from foyer.months import months_between

JSON = dict[str, Any]
#: Drill-down details show the first TOP_N tags and labels.
TOP_N = 20


def debit_stats(total: int, count: int) -> JSON:
    return {
        "total": to_money(total),
        "count": count,
        "avg": to_money(round_half_up(Fraction(total, count))) if count else 0.0,
    }


def nest_hierarchy(parents: dict[str, list[tuple[str, int, int]]]) -> list[JSON]:
    """{parent: [(category, total cents, count)]} as SPEC §5's sorted hierarchy."""
    ranked = []
    for parent, cats in parents.items():
        cats.sort(key=lambda c: (-c[1], c[0]))
        ranked.append((sum(c[1] for c in cats), sum(c[2] for c in cats), parent, cats))
    ranked.sort(key=lambda p: (-p[0], p[2]))
    return [
        {
            "category_parent": parent,
            "total": to_money(total),
            "count": count,
            "categories": [
                {"category": c, "total": to_money(tot), "count": n} for c, tot, n in cats
            ],
        }
        for total, count, parent, cats in ranked
    ]


def drill_down_summary_view(
    category: str,
    month: str,
    stats: tuple[int, int, int | None, int | None],
    previous_total: int,
) -> JSON:
    """SPEC §6 drill-down summary from (total, count, min, max) cents of kept debits."""
    total, count, low, high = stats
    return {
        "category": category,
        "month": month,
        **debit_stats(total, count),
        "min": None if low is None else to_money(low),
        "max": None if high is None else to_money(high),
        "previous_total": to_money(previous_total),
    }


def drill_down_details_view(
    category: str,
    month: str,
    by_tag: Sequence[Sequence[Any]],
    by_label: Sequence[Sequence[Any]],
) -> JSON:
    """SPEC §6 drill-down details from (name, total cents, count) rows, already ranked."""
    return {
        "category": category,
        "month": month,
        "by_tag": [{"tag": k, "total": to_money(int(v)), "count": n} for k, v, n in by_tag],
        "by_label": [{"label": k, "total": to_money(int(v)), "count": n} for k, v, n in by_label],
    }


def trend_months(by_month: dict[str, MonthTotals], start: str, end: str) -> JSON:
    """SPEC §6 trends: every month from start to end, zeros where a month has no rows."""
    months = []
    for month in months_between(start, end):
        m = by_month.get(month, MonthTotals())
        net = m.income_cents - m.variable_cents - m.fixed_debits_cents
        months.append(
            {
                "month": month,
                "variable": to_money(m.variable_cents),
                "fixed_debits": to_money(m.fixed_debits_cents),
                "provision_debits": to_money(m.provision_debits_cents),
                "income": to_money(m.income_cents),
                "net": to_money(net - m.provision_debits_cents),
                "count": m.transactions,
            }
        )
    return {"months": months}
