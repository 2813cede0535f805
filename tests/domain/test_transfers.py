"""The transfer plan's arithmetic (SPEC §12), checked against an independent recomputation:
cents exact, the two transfers add up to the total, never negative."""

from __future__ import annotations

from fractions import Fraction

from hypothesis import given
from hypothesis import strategies as st

from foyer.domain.transfers import transfer_plan
from tests.oracles import half_up

cents = st.integers(0, 10_000_000)
keys = st.fractions(min_value=0, max_value=1, max_denominator=10_000)


def expected(n1: int, n2: int, balance: int, buffer: int, key: Fraction) -> tuple[int, int]:
    """Written from the SPEC's sentence, step by step, without foyer.money."""
    needed = n1 + n2
    above_buffer = balance - buffer if balance > buffer else 0
    total = needed - above_buffer if needed > above_buffer else 0
    reduction = needed - total
    share1 = half_up(reduction * key.numerator, key.denominator)
    first = n1 - share1
    first = 0 if first < 0 else first
    first = total if first > total else first
    return first, total - first


@given(n1=cents, n2=cents, balance=st.integers(-5_000_000, 20_000_000), buffer=cents, key=keys)
def test_the_plan_equals_the_recomputation_and_adds_up(
    n1: int, n2: int, balance: int, buffer: int, key: Fraction
) -> None:
    plan = transfer_plan(needed1=n1, needed2=n2, balance=balance, buffer=buffer, key=key)

    assert (plan.transfer1, plan.transfer2) == expected(n1, n2, balance, buffer, key)
    assert plan.transfer1 >= 0
    assert plan.transfer2 >= 0
    assert plan.transfer == max(n1 + n2 - max(balance - buffer, 0), 0)


@given(n1=cents, n2=cents, balance=st.integers(-5_000_000, 0), key=keys)
def test_with_nothing_above_the_buffer_each_partner_transfers_their_need(
    n1: int, n2: int, balance: int, key: Fraction
) -> None:
    plan = transfer_plan(needed1=n1, needed2=n2, balance=balance, buffer=0, key=key)
    assert (plan.transfer1, plan.transfer2) == (n1, n2)


def test_a_worked_month() -> None:
    # Needs 1,000.00 and 500.00; 400.00 in the account, 100.00 kept: 300.00 already there,
    # split 2/3 : 1/3 -> 200.00 and 100.00 off each partner's need.
    plan = transfer_plan(
        needed1=100_000, needed2=50_000, balance=40_000, buffer=10_000, key=Fraction(2, 3)
    )
    assert (plan.available, plan.transfer1, plan.transfer2) == (30_000, 80_000, 40_000)


def test_enough_in_the_account_means_no_transfer() -> None:
    plan = transfer_plan(needed1=100, needed2=50, balance=10_000, buffer=0, key=Fraction(1, 2))
    assert (plan.transfer1, plan.transfer2) == (0, 0)
