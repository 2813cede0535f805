"""Spending anomalies (SPEC §12): the categories whose spending this month is far above
their own history. Pure, in cents.

The rule (docs/DECISIONS.md, "The couple's month"), per category spent on this month:
- its history is its spending in each of the HISTORY_MONTHS months before, a month without
  any counting 0 (debits not excluded, every expense type, as the budgets count them);
- its *usual month* is the median of those twelve totals; its *usual swing* the median of
  their distances to it (the MAD), counted as at least 5 % of the usual month and 10 €;
- the most that is still normal (`typical_max`) is the larger of the usual month plus three
  usual swings, and the highest month of the history plus 30 €; above it, the category is
  flagged — well above its usual level *and* beyond anything it reached in the year.
So nothing is flagged less than 30 € beyond either, and a category new this month (nothing
in the twelve before) is flagged above 30 €. The median and swing are exact fractions of a
cent; `typical_max` is the largest whole amount in cents not flagged, so
`flagged ⇔ spent > typical_max` holds exactly.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from statistics import median
from typing import Any

from foyer.money import ratio_4, round_half_up, to_money
from foyer.months import add_months

#: The history: this many months before the month looked at.
HISTORY_MONTHS = 12
#: Flagged beyond the usual month plus this many usual swings...
SWINGS = 3
#: ...a usual swing counting at least this share of the usual month...
SWING_SHARE = Fraction(5, 100)
#: ...and at least this much (10 €)...
SWING_FLOOR_CENTS = 1_000
#: ...and beyond the history's highest month plus this much (30 €, three floors): the
#: least excess ever flagged, over either.
MARGIN_CENTS = SWINGS * SWING_FLOOR_CENTS


@dataclass(frozen=True, slots=True)
class Assessment:
    """What a category's history says is normal for a month."""

    median: Fraction  # the usual month, exact
    swing: Fraction  # the usual swing, floors applied
    highest: int  # the history's highest month
    typical_max: int  # cents: the most that is not flagged

    def flags(self, spent_cents: int) -> bool:
        return spent_cents > self.typical_max


def history_months(month: str) -> list[str]:
    """The HISTORY_MONTHS months before `month`, oldest first."""
    return [add_months(month, -n) for n in range(HISTORY_MONTHS, 0, -1)]


def assess(history: Sequence[int]) -> Assessment:
    """The normal range of a category from its monthly totals (cents, zeros included)."""
    values = [Fraction(cents) for cents in history]
    usual = Fraction(median(values))
    mad = Fraction(median([abs(v - usual) for v in values]))
    swing = max(mad, usual * SWING_SHARE, Fraction(SWING_FLOOR_CENTS))
    highest = max(history)
    limit = max(usual + SWINGS * swing, Fraction(highest + MARGIN_CENTS))
    return Assessment(usual, swing, highest, math.floor(limit))


def anomalies_view(month: str, spending: Mapping[str, Mapping[str, int]]) -> dict[str, Any]:
    """GET /analytics/anomalies (SPEC §12): `spending[month][category]` in positive cents,
    for `month` and the HISTORY_MONTHS before it (months or categories absent: 0). The
    flagged categories, largest excess over their usual month first."""
    months = history_months(month)
    this_month = spending.get(month, {})
    ranked: list[tuple[int, str, dict[str, Any]]] = []
    for category, spent in this_month.items():
        found = assess([spending.get(m, {}).get(category, 0) for m in months])
        if not found.flags(spent):
            continue
        usual = round_half_up(found.median)
        excess = spent - usual  # the wire's numbers add up: spent − median = excess
        item = {
            "category": category,
            "spent": to_money(spent),
            "median": to_money(usual),
            "typical_max": to_money(found.typical_max),
            "excess": to_money(excess),
            "ratio": None if found.median == 0 else ratio_4(Fraction(spent) / found.median),
        }
        ranked.append((excess, category, item))
    ranked.sort(key=lambda r: (-r[0], r[1]))
    return {"month": month, "history_months": months, "items": [item for *_, item in ranked]}
