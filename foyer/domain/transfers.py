"""The transfer plan (SPEC §12): what each partner moves to the joint account this month.

`needed` is the month's summary totals per partner (fixed lines + provisions + variable
spending). Money already in the joint account above the buffer reduces what is needed;
that reduction is split by the household's key, like every shared amount. Transfers are
never negative, and member 2's is the total minus member 1's, so they always add up.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from foyer.money import split


@dataclass(frozen=True, slots=True)
class TransferPlan:
    """All in cents."""

    needed1: int
    needed2: int
    available: int  # the balance above the buffer, never negative
    transfer1: int
    transfer2: int

    @property
    def needed(self) -> int:
        return self.needed1 + self.needed2

    @property
    def transfer(self) -> int:
        return self.transfer1 + self.transfer2


def transfer_plan(
    *, needed1: int, needed2: int, balance: int, buffer: int, key: Fraction
) -> TransferPlan:
    """The plan for needs `needed1`/`needed2` (≥ 0), a start-of-month `balance` (any sign)
    and a `buffer` (≥ 0), member 1's share of shared costs being `key`."""
    available = max(balance - buffer, 0)
    needed = needed1 + needed2
    total = max(needed - available, 0)
    reduction1, _reduction2 = split(needed - total, key)
    # Member 1's own need minus their share of what is already there, within 0..total:
    # a partner whose items lean less on the key than the reduction does pays nothing,
    # never a negative transfer, and the other covers the rest.
    transfer1 = min(max(needed1 - reduction1, 0), total)
    return TransferPlan(needed1, needed2, available, transfer1, total - transfer1)
