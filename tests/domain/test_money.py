"""foyer.money's rules of SPEC §1 as properties: rounding, splitting, monthly equivalents,
ratios and JSON money. Pure functions, no database.

Each is held to an oracle written independently of foyer (`tests.oracles`, integer or
Decimal arithmetic), so a rule that drifts from the SPEC shows up as a counterexample.
"""

from __future__ import annotations

import json
from decimal import ROUND_HALF_UP, Decimal, localcontext
from fractions import Fraction

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from foyer.money import (
    MAX_AMOUNT_CENTS,
    Frequency,
    monthly_equivalent,
    ratio_4,
    round_half_up,
    share_of,
    split,
    to_cents,
    to_money,
)
from tests.oracles import half_up

#: The same examples on every run (a fixed seed per test): CI never flips on a new draw.
deterministic = settings(derandomize=True)

cents = st.integers(min_value=0, max_value=MAX_AMOUNT_CENTS)
signed_cents = st.integers(min_value=-MAX_AMOUNT_CENTS, max_value=MAX_AMOUNT_CENTS)
positive_fractions = st.fractions(min_value=0, max_value=10**12)
unit_fractions = st.fractions(min_value=0, max_value=1)


# -- round_half_up ---------------------------------------------------------------------------


@deterministic
@given(st.decimals(min_value=0, max_value=10**12, places=6, allow_nan=False))
@example(Decimal("0.5"))
@example(Decimal("2.5"))
@example(Decimal("1.499999"))
def test_round_half_up_matches_decimal_for_positive_values(value: Decimal) -> None:
    with localcontext() as ctx:
        ctx.prec = 60
        expected = int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))
    assert round_half_up(Fraction(value)) == expected


@deterministic
@given(positive_fractions)
@example(Fraction(1, 2))
@example(Fraction(5, 2))
@example(Fraction(7, 3))
def test_round_half_up_is_nearest_with_halves_up(value: Fraction) -> None:
    result = round_half_up(value)
    assert isinstance(result, int)
    # Nearest integer; an exact half goes up, so value - result is never +1/2.
    assert -Fraction(1, 2) <= value - result < Fraction(1, 2)
    assert result == half_up(value.numerator, value.denominator)


@deterministic
@given(st.fractions(min_value=-(10**12), max_value=10**12))
@example(Fraction(-1, 2))
@example(Fraction(-5, 2))
def test_round_half_up_is_odd_symmetric(value: Fraction) -> None:
    assert round_half_up(-value) == -round_half_up(value)


@deterministic
@given(st.integers(min_value=-(10**15), max_value=10**15))
def test_round_half_up_keeps_integers(value: int) -> None:
    assert round_half_up(value) == value


def test_round_half_up_examples() -> None:
    assert [round_half_up(Fraction(n, 2)) for n in range(-5, 6)] == [
        -3,
        -2,
        -2,
        -1,
        -1,
        0,
        1,
        1,
        2,
        2,
        3,
    ]
    assert round_half_up(Fraction(4999, 10_000)) == 0
    assert round_half_up(Fraction(5000, 10_000)) == 1


# -- split -----------------------------------------------------------------------------------


@deterministic
@given(signed_cents, unit_fractions)
@example(1, Fraction(1, 2))
@example(8333, Fraction(1, 2))
@example(-1, Fraction(1, 2))
@example(115_000, Fraction(4, 7))
def test_split_parts_sum_to_the_amount(amount: int, share: Fraction) -> None:
    member1, member2 = split(amount, share)
    assert member1 + member2 == amount
    exact = amount * share
    assert member1 == round_half_up(exact)
    if amount >= 0:
        assert member1 == half_up(amount * share.numerator, share.denominator)
        assert 0 <= member1 <= amount
        assert 0 <= member2 <= amount
    # Each part is within half a cent of the exact share.
    assert abs(member1 - exact) <= Fraction(1, 2)
    assert abs(member2 - (amount - exact)) <= Fraction(1, 2)


@deterministic
@given(cents)
def test_split_extremes(amount: int) -> None:
    assert split(amount, Fraction(1)) == (amount, 0)
    assert split(amount, Fraction(0)) == (0, amount)
    half1, half2 = split(amount, Fraction(1, 2))
    assert half1 - half2 in (0, 1)  # the odd cent goes to member 1 (half up)


# -- fixed lines -----------------------------------------------------------------------------


@deterministic
@given(st.integers(min_value=1, max_value=MAX_AMOUNT_CENTS))
@example(25_000)  # 250.00 a quarter -> 83.33
@example(100_000)  # 1000.00 a year -> 83.33
@example(18)  # 0.18 a year -> 0.015 -> 0.02 (half up)
@example(6)  # 0.06 a year -> 0.005 -> 0.01 (half up)
def test_monthly_equivalent(amount: int) -> None:
    assert monthly_equivalent(amount, "monthly") == amount
    assert monthly_equivalent(amount, "quarterly") == half_up(amount, 3)
    assert monthly_equivalent(amount, "annual") == half_up(amount, 12)
    assert abs(monthly_equivalent(amount, "quarterly") * 3 - amount) <= 1
    assert abs(monthly_equivalent(amount, "annual") * 12 - amount) <= 6


def test_monthly_equivalent_examples() -> None:
    assert monthly_equivalent(18, "annual") == 2
    assert monthly_equivalent(6, "annual") == 1
    assert monthly_equivalent(5, "annual") == 0
    assert monthly_equivalent(25_000, "quarterly") == 8333
    assert monthly_equivalent(20, "quarterly") == 7


# -- ratios and JSON money -------------------------------------------------------------------


@deterministic
@given(unit_fractions)
@example(Fraction(4, 7))
@example(Fraction(3, 7))
@example(Fraction(25005, 100_000))  # 0.25005 -> 0.2501
@example(Fraction(1, 20_000))  # 0.00005 -> 0.0001
def test_ratio_4_rounds_half_up_to_4_decimals(value: Fraction) -> None:
    result = ratio_4(value)
    expected = Decimal(half_up(value.numerator * 10_000, value.denominator)) / 10_000
    assert Decimal(repr(result)) == expected
    assert abs(Fraction(expected) - value) <= Fraction(1, 20_000)


def test_ratio_4_examples() -> None:
    assert ratio_4(Fraction(4, 7)) == 0.5714
    assert ratio_4(Fraction(3, 7)) == 0.4286
    assert ratio_4(Fraction(25005, 100_000)) == 0.2501
    assert ratio_4(Fraction(0)) == 0.0
    assert ratio_4(Fraction(1)) == 1.0


@deterministic
@given(st.integers(min_value=-(10**13), max_value=10**13))
def test_to_cents_accepts_exact_two_decimals(value: int) -> None:
    as_decimal = Decimal(value).scaleb(-2)  # e.g. 12345 -> Decimal('123.45')
    assert to_cents(as_decimal) == value
    assert to_cents(str(as_decimal)) == value
    assert to_cents(as_decimal.quantize(Decimal("0.0001"))) == value  # trailing zeros are fine


@deterministic
@given(st.integers(min_value=-(10**13), max_value=10**13).filter(lambda n: n % 10 != 0))
@example(1)
@example(-5)
def test_to_cents_rejects_three_decimals(thousandths: int) -> None:
    with pytest.raises(ValueError, match="2 decimals"):
        to_cents(Decimal(thousandths).scaleb(-3))


def test_to_cents_examples() -> None:
    assert to_cents(12) == 1200
    assert to_cents("0.1") == 10
    assert to_cents(Decimal("-54.30")) == -5430
    with pytest.raises(ValueError, match="2 decimals"):
        to_cents("100.001")


@deterministic
@given(st.integers(min_value=-(10**11) + 1, max_value=10**11 - 1))
@example(29)  # 0.29 * 100 is 28.999999999999996 in floats
@example(1)
@example(-1)
def test_to_money_round_trips(value: int) -> None:
    money = to_money(value)
    text = json.dumps(money)
    # The JSON text is exactly the decimal amount, with at most 2 decimals.
    assert Decimal(text) == Decimal(value).scaleb(-2)
    assert len(text.partition(".")[2]) <= 2
    assert "e" not in text.lower()
    assert round(money * 100) == value
    assert to_cents(text) == value


@given(
    amount=st.integers(-(10**11), 10**11),
    share=unit_fractions,
    frequency=st.sampled_from(["monthly", "quarterly", "annual"]),
)
def test_integer_shortcuts_equal_the_exact_fraction_rounding(
    amount: int, share: Fraction, frequency: Frequency
) -> None:
    # share_of and monthly_equivalent round in integers: the same as through Fractions.
    assert share_of(amount, share) == round_half_up(amount * share)
    period = {"monthly": 1, "quarterly": 3, "annual": 12}[frequency]
    assert monthly_equivalent(amount, frequency) == round_half_up(Fraction(amount, period))
