"""Splitting a bank row into parts (SPEC §12): the rule its parts' amounts must keep.

A bank row of -100.00 at the supermarket can become -60.00 of shared groceries and -40.00
of one partner's own shopping. The parts replace the row in every view, so they must add
up to it exactly, in cents: 2 to 20 of them, none zero, each of the row's sign (a debit is
split into debits, a credit into credits). (Not to be confused with a member split,
`foyer.money.split`, which shares one amount between the two partners.)
"""

from __future__ import annotations

from collections.abc import Sequence

MIN_PARTS = 2
MAX_PARTS = 20


class InvalidSplit(ValueError):
    """Parts a row cannot be split into: why, and the numbers behind it (in cents)."""

    def __init__(self, reason: str, details: dict[str, int] | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.details = details or {}


def _euros(cents: int) -> str:
    sign = "-" if cents < 0 else ""
    return f"{sign}{abs(cents) // 100}.{abs(cents) % 100:02d}"


def check_parts(row_cents: int, parts_cents: Sequence[int]) -> None:
    """Raise InvalidSplit unless `parts_cents` may replace a row of `row_cents`."""
    if not MIN_PARTS <= len(parts_cents) <= MAX_PARTS:
        raise InvalidSplit(
            f"a row is split into {MIN_PARTS} to {MAX_PARTS} parts, not {len(parts_cents)}"
        )
    if row_cents == 0:
        raise InvalidSplit("a row of 0.00 cannot be split")
    for index, cents in enumerate(parts_cents):
        if cents == 0 or (cents < 0) != (row_cents < 0):
            kind = "debit" if row_cents < 0 else "credit"
            raise InvalidSplit(
                f"parts[{index}]: every part of a {kind} is a {kind} (not {_euros(cents)})",
                {"part": index},
            )
    total = sum(parts_cents)
    if total != row_cents:
        difference = row_cents - total
        raise InvalidSplit(
            f"the parts add up to {_euros(total)}, the row is {_euros(row_cents)}: "
            f"{_euros(difference)} left to assign",
            {"row": row_cents, "parts": total, "difference": difference},
        )
