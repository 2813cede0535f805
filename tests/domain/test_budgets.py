"""Budgets' rules (SPEC §12): a month's own budget overrides the default; spent counts the
category under every parent unless the budget names one; suggestions are the median of six
months (empty months count 0) rounded up to the next 5 €."""

from __future__ import annotations

from fractions import Fraction

from hypothesis import given
from hypothesis import strategies as st

from foyer.domain.budgets import (
    Budget,
    budgets_view,
    in_force,
    round_up,
    suggestion_months,
    suggestions_view,
)


def budget(
    category: str, cents: int, month: str | None = None, parent: str | None = None
) -> Budget:
    return Budget(id=0, category=category, category_parent=parent, month=month, amount_cents=cents)


def test_a_months_own_budget_overrides_the_default_whatever_the_order() -> None:
    default, june = budget("courses", 40_000), budget("courses", 55_000, "2025-06")
    for order in ([default, june], [june, default]):
        assert in_force(order, "2025-06") == [june]
        assert in_force(order, "2025-07") == [default]


def test_spent_ratio_remaining_and_over() -> None:
    spending = {("alimentation", "courses"): 45_000, ("maison", "courses"): 5_000}
    view = budgets_view(
        "2025-06",
        [budget("courses", 40_000), budget("loisirs", 10_000, parent="sorties")],
        {**spending, ("autre", "loisirs"): 9_000},
    )
    courses, loisirs = view["items"]
    assert courses == {
        "category": "courses",
        "budget": 400.0,
        "spent": 500.0,  # under both parents
        "remaining": -100.0,
        "ratio": 1.25,
        "over": True,
        "every_month": True,
    }
    assert (loisirs["spent"], loisirs["over"]) == (0.0, False)  # only under "sorties"
    assert view["totals"] == {"budget": 500.0, "spent": 500.0, "remaining": 0.0, "over": 1}


def test_suggestions_are_the_median_of_six_months_rounded_up_to_5_euros() -> None:
    months = suggestion_months("2025-07")
    assert months == ["2025-01", "2025-02", "2025-03", "2025-04", "2025-05", "2025-06"]
    spending = {
        "2025-01": {"courses": 40_000, "cinema": 1_200},
        "2025-02": {"courses": 43_210},
        "2025-03": {"courses": 41_000},
        "2025-04": {"courses": 39_000},
        "2025-05": {"courses": 80_000},  # an outlier the median ignores
        "2025-06": {"courses": 42_000, "cinema": 1_000},
    }
    view = suggestions_view("2025-07", months, spending)
    # courses: 390, 400, 410, 420, 432.10, 800 -> median (410 + 420) / 2 = 415 -> 415 €.
    # cinema: 0, 0, 0, 0, 10, 12 -> median 0 -> no suggestion.
    assert view["items"] == [{"category": "courses", "median": 415.0, "amount": 415.0}]


@given(st.fractions(min_value=0, max_value=10_000_000))
def test_round_up_is_the_least_multiple_of_5_euros_not_below(value: Fraction) -> None:
    rounded = round_up(value)
    assert rounded % 500 == 0
    assert rounded >= value
    assert rounded - 500 < value
