"""The money rules of SPEC §1–§4 as properties: pure functions, no database.

Every oracle here is written independently of foyer (integer or Decimal arithmetic),
so a rule that drifts from the SPEC shows up as a counterexample.
"""

from __future__ import annotations

import json
from decimal import ROUND_HALF_UP, Decimal, localcontext
from fractions import Fraction

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from foyer.domain.model import HouseholdConfig, Provision
from foyer.domain.rules import (
    household_key,
    item_share,
    provision_counts_in,
    provision_monthly,
    provision_progress,
    provisions_in_month,
)
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

#: The same examples on every run (a fixed seed per test): CI never flips on a new draw.
deterministic = settings(derandomize=True)

cents = st.integers(min_value=0, max_value=MAX_AMOUNT_CENTS)
signed_cents = st.integers(min_value=-MAX_AMOUNT_CENTS, max_value=MAX_AMOUNT_CENTS)
basis_points = st.integers(min_value=0, max_value=10_000)  # 0.00 % .. 100.00 %
positive_fractions = st.fractions(min_value=0, max_value=10**12)
unit_fractions = st.fractions(min_value=0, max_value=1)


def half_up_oracle(numerator: int, denominator: int) -> int:
    """floor(n/d + 1/2) for n >= 0, d > 0, in integers only."""
    return (2 * numerator + denominator) // (2 * denominator)


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
    assert result == half_up_oracle(value.numerator, value.denominator)


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
        assert member1 == half_up_oracle(amount * share.numerator, share.denominator)
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


@deterministic
@given(st.sampled_from(["key", "equal", "member1", "member2", "custom"]), basis_points)
def test_item_share_per_split_mode(mode: str, custom_bp: int) -> None:
    key = Fraction(4, 7)
    expected = {
        "key": key,
        "equal": Fraction(1, 2),
        "member1": Fraction(1),
        "member2": Fraction(0),
        "custom": Fraction(custom_bp, 10_000),
    }[mode]
    assert item_share(mode, custom_bp, key) == expected  # type: ignore[arg-type]


def test_item_share_custom_needs_a_share() -> None:
    with pytest.raises(ValueError, match="custom_share1"):
        item_share("custom", None, Fraction(1, 2))


# -- the key ---------------------------------------------------------------------------------


def config(**overrides: object) -> HouseholdConfig:
    return HouseholdConfig(**overrides)  # type: ignore[arg-type]


@deterministic
@given(cents, cents, basis_points, basis_points)
@example(300_000, 200_000, 2000, 1000)
@example(0, 0, 0, 0)
@example(100, 100, 10_000, 10_000)
@example(100, 0, 0, 0)
def test_income_key(income1: int, income2: int, tax1: int, tax2: int) -> None:
    key = household_key(
        config(income1_cents=income1, income2_cents=income2, tax_rate1_bp=tax1, tax_rate2_bp=tax2)
    )
    assert isinstance(key, Fraction)
    assert 0 <= key <= 1
    # net_i = income_i * (100 - tax_rate_i) / 100, tax rates in percent with 2 decimals
    net1 = Fraction(income1) * (100 - Fraction(tax1, 100)) / 100
    net2 = Fraction(income2) * (100 - Fraction(tax2, 100)) / 100
    if net1 + net2 == 0:
        assert key == Fraction(1, 2)
    else:
        assert key == net1 / (net1 + net2)


def test_income_key_worked_example() -> None:
    # 3000 taxed 20 % -> 2400; 2000 taxed 10 % -> 1800; r1 = 2400 / 4200 = 4/7
    key = household_key(
        config(income1_cents=300_000, income2_cents=200_000, tax_rate1_bp=2000, tax_rate2_bp=1000)
    )
    assert key == Fraction(4, 7)
    assert (ratio_4(key), ratio_4(1 - key)) == (0.5714, 0.4286)


@deterministic
@given(basis_points, cents, cents, basis_points)
def test_manual_key_ignores_incomes(manual_bp: int, income1: int, income2: int, tax: int) -> None:
    key = household_key(
        config(
            split_mode="manual",
            manual_share1_bp=manual_bp,
            income1_cents=income1,
            income2_cents=income2,
            tax_rate1_bp=tax,
        )
    )
    assert key == Fraction(manual_bp, 10_000)


# -- fixed lines -----------------------------------------------------------------------------


@deterministic
@given(st.integers(min_value=1, max_value=MAX_AMOUNT_CENTS))
@example(25_000)  # 250.00 a quarter -> 83.33
@example(100_000)  # 1000.00 a year -> 83.33
@example(18)  # 0.18 a year -> 0.015 -> 0.02 (half up)
@example(6)  # 0.06 a year -> 0.005 -> 0.01 (half up)
def test_monthly_equivalent(amount: int) -> None:
    assert monthly_equivalent(amount, "monthly") == amount
    assert monthly_equivalent(amount, "quarterly") == half_up_oracle(amount, 3)
    assert monthly_equivalent(amount, "annual") == half_up_oracle(amount, 12)
    assert abs(monthly_equivalent(amount, "quarterly") * 3 - amount) <= 1
    assert abs(monthly_equivalent(amount, "annual") * 12 - amount) <= 6


def test_monthly_equivalent_examples() -> None:
    assert monthly_equivalent(18, "annual") == 2
    assert monthly_equivalent(6, "annual") == 1
    assert monthly_equivalent(5, "annual") == 0
    assert monthly_equivalent(25_000, "quarterly") == 8333
    assert monthly_equivalent(20, "quarterly") == 7


# -- provisions ------------------------------------------------------------------------------


def month_str(index: int) -> str:
    """Month number since year 0 -> 'YYYY-MM'."""
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


month_index = st.integers(min_value=2000 * 12, max_value=2100 * 12)


def provision(**overrides: object) -> Provision:
    fields: dict[str, object] = {
        "id": 1,
        "name": "Vacances",
        "icon": "",
        "color": "#4F46E5",
        "display_order": 0,
        "base": "total",
        "percentage_bp": 500,
        "fixed_amount_cents": 0,
        "split_mode": "key",
        "custom_share1_bp": None,
        "is_active": True,
        "start_month": None,
        "end_month": None,
        "target_amount_cents": None,
        "current_amount_cents": 0,
    }
    fields.update(overrides)
    return Provision(**fields)  # type: ignore[arg-type]


@deterministic
@given(
    st.booleans(),
    st.none() | month_index,
    st.none() | month_index,
    month_index,
)
def test_provision_window(active: bool, start: int | None, end: int | None, month: int) -> None:
    p = provision(
        is_active=active,
        start_month=None if start is None else month_str(start),
        end_month=None if end is None else month_str(end),
    )
    expected = active and (start is None or start <= month) and (end is None or month <= end)
    assert provision_counts_in(p, month_str(month)) is expected


def test_provision_window_bounds_are_inclusive() -> None:
    p = provision(start_month="2025-01", end_month="2025-06")
    counted = [m for m in ("2024-12", "2025-01", "2025-06", "2025-07") if provision_counts_in(p, m)]
    assert counted == ["2025-01", "2025-06"]
    assert not provision_counts_in(provision(is_active=False), "2025-01")
    # Year boundaries compare as months, not as strings of different widths.
    assert provision_counts_in(provision(start_month="2024-12", end_month="2025-01"), "2025-01")
    assert not provision_counts_in(provision(start_month="2025-10"), "2025-09")


@deterministic
@given(cents, cents, basis_points, cents)
@example(300_000, 200_000, 250, 3333)
@example(1, 2, 5000, 0)  # 3 * 50 % = 1.5 -> 2
@example(1, 0, 5000, 0)  # 0.5 -> 1
def test_provision_monthly_per_base(income1: int, income2: int, pct: int, fixed: int) -> None:
    cfg = config(income1_cents=income1, income2_cents=income2, tax_rate1_bp=3000)

    # The base uses gross incomes: the tax rates play no part.
    def monthly(base: str) -> int:
        return provision_monthly(
            provision(base=base, percentage_bp=pct, fixed_amount_cents=fixed), cfg
        )

    assert monthly("total") == half_up_oracle((income1 + income2) * pct, 10_000)
    assert monthly("member1") == half_up_oracle(income1 * pct, 10_000)
    assert monthly("member2") == half_up_oracle(income2 * pct, 10_000)
    assert monthly("fixed") == fixed


@deterministic
@given(cents, st.none() | st.integers(min_value=1, max_value=MAX_AMOUNT_CENTS))
def test_provision_progress(current: int, target: int | None) -> None:
    progress = provision_progress(
        provision(current_amount_cents=current, target_amount_cents=target)
    )
    if target is None:
        assert progress is None
    else:
        assert progress == Fraction(current, target)


def test_provisions_in_month_order() -> None:
    items = [
        provision(id=1, name="b", display_order=2),
        provision(id=2, name="a", display_order=2),
        provision(id=3, name="z", display_order=1),
        provision(id=4, name="a", display_order=2),
        provision(id=5, name="c", display_order=0, is_active=False),
        provision(id=6, name="d", display_order=0, start_month="2025-07"),
    ]
    assert [p.id for p in provisions_in_month(items, "2025-06")] == [3, 2, 4, 1]


# -- ratios and JSON money -------------------------------------------------------------------


@deterministic
@given(unit_fractions)
@example(Fraction(4, 7))
@example(Fraction(3, 7))
@example(Fraction(25005, 100_000))  # 0.25005 -> 0.2501
@example(Fraction(1, 20_000))  # 0.00005 -> 0.0001
def test_ratio_4_rounds_half_up_to_4_decimals(value: Fraction) -> None:
    result = ratio_4(value)
    expected = Decimal(half_up_oracle(value.numerator * 10_000, value.denominator)) / 10_000
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
