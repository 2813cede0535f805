"""Money arithmetic: integer cents, exact shares, half-up rounding. Pure functions only.

Every rule of SPEC §1 lives here; nothing in foyer multiplies money by a float.
Shares and rates are `Fraction`s so that `amount * share` is exact before it is rounded.
"""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

from foyer.domain.vocabulary import Frequency

#: Largest absolute amount accepted for one money value, in cents (1,000,000,000.00).
#: Keeps any sum of up to 9 million rows inside a signed 64-bit integer.
MAX_AMOUNT_CENTS = 100_000_000_000

_PERIODS: dict[str, int] = {"monthly": 1, "quarterly": 3, "annual": 12}


def round_half_up(value: Fraction | int) -> int:
    """Round to the nearest integer, halves away from zero (half-up for positive amounts)."""
    if isinstance(value, int):
        return value
    return _round_ratio(value.numerator, value.denominator)


def _round_ratio(numerator: int, denominator: int) -> int:
    # round_half_up(numerator / denominator) in integers: floor(|n|/d + 1/2), signed. A
    # summary rounds ~40 shares; through Fraction objects that was a third of its cost.
    half_up = (2 * abs(numerator) + denominator) // (2 * denominator)
    return half_up if numerator >= 0 else -half_up


def share_of(amount_cents: int, share: Fraction) -> int:
    """Member 1's part of an amount: round_half_up(amount * share), computed exactly."""
    return _round_ratio(amount_cents * share.numerator, share.denominator)


def split(amount_cents: int, share1: Fraction) -> tuple[int, int]:
    """Split an amount between the two members; the second gets the remainder.

    So `member1 + member2 == amount_cents` always (SPEC §1).
    """
    member1 = share_of(amount_cents, share1)
    return member1, amount_cents - member1


def percent(basis_points: int) -> Fraction:
    """A percentage stored as hundredths of a percent (12.34 % -> 1234) as a ratio."""
    return Fraction(basis_points, 10_000)


def monthly_equivalent(amount_cents: int, frequency: Frequency) -> int:
    """A fixed line's monthly cost: amount, amount/3 or amount/12, rounded half-up."""
    return _round_ratio(amount_cents, _PERIODS[frequency])


def ratio_4(value: Fraction) -> float:
    """A ratio rounded half-up to 4 decimals, for JSON (e.g. the key, a progress)."""
    return round_half_up(value * 10_000) / 10_000


def to_money(cents: int) -> float:
    """Cents as a JSON number with at most 2 decimals.

    A float holding cents/100 prints (shortest repr, as orjson/pydantic emit it) as exactly
    the decimal cents value for every |cents| < 2**53, which MAX_AMOUNT_CENTS sums respect.
    """
    return cents / 100


def to_cents(value: Decimal | int | str) -> int:
    """A money value with at most 2 decimals as integer cents; more decimals is an error."""
    dec = Decimal(value)
    cents = dec * 100
    if cents != cents.to_integral_value():
        raise ValueError("money has at most 2 decimals")
    return int(cents)


def to_basis_points(value: Decimal | int | str) -> int:
    """A percentage with at most 2 decimals (12.34) as hundredths of a percent (1234)."""
    return to_cents(value)


def from_basis_points(bp: int) -> float:
    """Hundredths of a percent back to a JSON percentage number."""
    return bp / 100
