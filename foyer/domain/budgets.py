"""Category budgets (SPEC §12): which budget applies in a month, how much of it is spent,
and the budget a household's own history suggests. Pure, in cents.

A budget names a category, and optionally its parent: without one it covers the category
under every parent; with one, only that (parent, category). A month's own budget for a
category overrides the category's default (`month` None).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from fractions import Fraction
from statistics import median
from typing import Any

from foyer.money import ratio_4, round_half_up, to_money
from foyer.months import add_months

#: Suggestions look at this many months before the month they are for.
SUGGESTION_MONTHS = 6
#: And round the median up to a multiple of this (5 €).
ROUND_UP_CENTS = 500


@dataclass(frozen=True, slots=True)
class Budget:
    id: int
    category: str
    category_parent: str | None
    month: str | None  # None: every month
    amount_cents: int


def in_force(budgets: Iterable[Budget], month: str) -> list[Budget]:
    """The budgets that apply to `month`: its own where a category has one, else the
    category's default; sorted by category."""
    listed = list(budgets)
    chosen = {b.category: b for b in listed if b.month is None}
    chosen.update({b.category: b for b in listed if b.month == month})
    return sorted(chosen.values(), key=lambda b: b.category)


def spent_on(budget: Budget, spending: Mapping[tuple[str, str], int]) -> int:
    """What the month spent on the budget's category (debits not excluded, positive cents),
    `spending` keyed by (category_parent, category)."""
    return sum(
        cents
        for (parent, category), cents in spending.items()
        if category == budget.category
        and (budget.category_parent is None or parent == budget.category_parent)
    )


def budgets_view(
    month: str, budgets: list[Budget], spending: Mapping[tuple[str, str], int]
) -> dict[str, Any]:
    """GET /dashboard/budgets (SPEC §12)."""
    items = []
    total_budget = total_spent = 0
    for budget in in_force(budgets, month):
        spent = spent_on(budget, spending)
        total_budget += budget.amount_cents
        total_spent += spent
        items.append(
            {
                "category": budget.category,
                "budget": to_money(budget.amount_cents),
                "spent": to_money(spent),
                "remaining": to_money(budget.amount_cents - spent),
                "ratio": ratio_4(Fraction(spent, budget.amount_cents)),
                "over": spent > budget.amount_cents,
                "every_month": budget.month is None,
            }
        )
    return {
        "month": month,
        "items": items,
        "totals": {
            "budget": to_money(total_budget),
            "spent": to_money(total_spent),
            "remaining": to_money(total_budget - total_spent),
            "over": sum(1 for item in items if item["over"]),
        },
    }


def suggestion_months(month: str) -> list[str]:
    """The SUGGESTION_MONTHS months before `month`, oldest first."""
    return [add_months(month, -n) for n in range(SUGGESTION_MONTHS, 0, -1)]


def round_up(cents: Fraction) -> int:
    """Up to the next multiple of 5 € (an exact multiple stays)."""
    return math.ceil(cents / ROUND_UP_CENTS) * ROUND_UP_CENTS


def suggestions_view(
    month: str, months: list[str], spending: Mapping[str, Mapping[str, int]]
) -> dict[str, Any]:
    """GET /budgets/suggestions (SPEC §12): per category spent in any of `months` (the six
    before `month`), the median of its six monthly totals — a month without spending counts
    as 0 — rounded up to the next 5 €. `spending[month][category]` in positive cents."""
    categories = sorted({c for by_category in spending.values() for c in by_category})
    ranked: list[tuple[int, str, float]] = []
    for category in categories:
        values = [Fraction(spending.get(m, {}).get(category, 0)) for m in months]
        middle = median(values)
        amount = round_up(Fraction(middle))
        if amount > 0:
            ranked.append((amount, category, to_money(round_half_up(Fraction(middle)))))
    ranked.sort(key=lambda r: (-r[0], r[1]))
    items = [
        {"category": category, "median": middle_money, "amount": to_money(amount)}
        for amount, category, middle_money in ranked
    ]
    return {"month": month, "months": months, "items": items}
