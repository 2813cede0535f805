"""Insights over a range of months (SPEC §12): the couple's KPIs. Pure, in cents.

Definitions (docs/DECISIONS.md, "KPIs"):
- a month's income is its credits not excluded; its spending, its debits not excluded of
  every expense type (variable, fixed, provisions) — what left the account for real;
- averages are over every month of the range, months without rows counting as zero;
  savings = average income − average spending, so the three always add up;
- the savings rate is the range's savings over its income (None without income);
- the change compares the range's last month with the month before it (read even when
  that month is outside the range), in money and, for spending, in percent;
- the top categories are the range's five largest by spending, with their share of it.
Percentages are rounded half-up to 2 decimals; money to the cent.
"""

from __future__ import annotations

from collections.abc import Mapping
from fractions import Fraction
from typing import Any

from foyer.domain.model import MonthTotals
from foyer.money import from_basis_points, round_half_up, to_money
from foyer.months import months_between, previous_month

JSON = dict[str, Any]
TOP_CATEGORIES = 5


def spending_cents(month: MonthTotals) -> int:
    """Debits not excluded, every expense type."""
    return month.variable_cents + month.fixed_debits_cents + month.provision_debits_cents


def _percent(part: int, whole: int) -> float | None:
    """part / whole as a percentage with 2 decimals, half-up; None when whole is 0."""
    if whole == 0:
        return None
    return from_basis_points(round_half_up(Fraction(part * 10_000, whole)))


def _average(total: int, months: int) -> int:
    return round_half_up(Fraction(total, months))


def kpis(
    by_month: Mapping[str, MonthTotals],
    by_category: Mapping[str, tuple[int, int]],
    start: str,
    end: str,
) -> JSON:
    """The KPIs of `start`..`end` from each month's totals (the range and the month before
    `end`) and each category's (spending cents, count) over the range."""
    none = MonthTotals()
    months = months_between(start, end)
    income = sum(by_month.get(m, none).income_cents for m in months)
    spending = sum(spending_cents(by_month.get(m, none)) for m in months)
    average_income, average_spending = (
        _average(income, len(months)),
        _average(spending, len(months)),
    )
    last, before = by_month.get(end, none), by_month.get(previous_month(end), none)
    spending_change = spending_cents(last) - spending_cents(before)
    ranked = sorted(by_category.items(), key=lambda item: (-item[1][0], item[0]))
    return {
        "from_month": start,
        "to_month": end,
        "months": len(months),
        "averages": {
            "income": to_money(average_income),
            "spending": to_money(average_spending),
            "savings": to_money(average_income - average_spending),
            "savings_rate": _percent(income - spending, income),
        },
        "change": {
            "month": end,
            "previous": previous_month(end),
            "income": to_money(last.income_cents - before.income_cents),
            "spending": to_money(spending_change),
            "spending_percent": _percent(spending_change, spending_cents(before)),
        },
        "top_categories": [
            {
                "category": category,
                "total": to_money(total),
                "count": count,
                "share": _percent(total, spending),
            }
            for category, (total, count) in ranked[:TOP_CATEGORIES]
        ],
    }
