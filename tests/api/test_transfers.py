"""The transfer plan over HTTP (SPEC §12): balances per month, the buffer in the
configuration, `GET /dashboard/transfers` from the summary's totals, fresh after each write."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

from tests.factories import Api, make_fixed_line, make_transaction
from tests.helpers import assert_envelope, cents
from tests.oracles import half_up

MONTH = "2025-06"
CONFIG = {
    "member1_name": "Alex",
    "member2_name": "Sam",
    "income1": 3000,
    "income2": 2000,
    "tax_rate1": 0,
    "tax_rate2": 0,
    "split_mode": "income",
    "manual_share1": 50,
}


def a_month(api: Api) -> None:
    assert api.put("/config", {**CONFIG, "buffer": 100}).status_code == 200
    api.create("/fixed-lines", make_fixed_line(label="Loyer", amount=1000, split_mode="equal"))
    api.create_transactions(
        make_transaction(date="2025-06-03", amount=-250, label="COURSES"),
        make_transaction(date="2025-06-05", amount=2500, label="SALAIRE"),
    )


def test_a_balance_is_kept_per_month(api: Api) -> None:
    assert api.ok(f"/balances/{MONTH}") == {"month": MONTH, "account_balance": None}
    put = api.put(f"/balances/{MONTH}", {"account_balance": -12.5})
    assert put.json() == {"month": MONTH, "account_balance": -12.5}
    assert api.ok(f"/balances/{MONTH}")["account_balance"] == -12.5
    assert api.ok("/balances/2025-07")["account_balance"] is None
    assert_envelope(api.put("/balances/2025-13", {"account_balance": 1}), 422, "validation_error")
    bad = api.put(f"/balances/{MONTH}", {"account_balance": 1.005})
    assert_envelope(bad, 422, "validation_error")


def test_the_plan_follows_the_summary_the_balance_and_the_buffer(api: Api) -> None:
    a_month(api)
    api.put(f"/balances/{MONTH}", {"account_balance": 400})
    summary = api.ok("/dashboard/summary", month=MONTH)

    plan = api.ok("/dashboard/transfers", month=MONTH)

    n1, n2 = cents(summary["totals"]["member1"]), cents(summary["totals"]["member2"])
    assert plan["needed"] == {
        "total": summary["totals"]["grand_total"],
        "member1": summary["totals"]["member1"],
        "member2": summary["totals"]["member2"],
    }
    # 400 in the account, 100 kept: 300 already there, split by the key (3000 : 2000).
    total = n1 + n2 - 30_000
    first = n1 - half_up(30_000 * 3, 5)
    assert plan["transfers"] == {
        "member1": first / 100,
        "member2": (total - first) / 100,
        "total": total / 100,
    }
    assert (plan["account_balance"], plan["buffer"]) == (400, 100)
    assert Decimal(str(plan["projected_balance"])) == Decimal(400) + Decimal(total - n1 - n2) / 100


def test_the_plan_is_fresh_after_each_write(api: Api) -> None:
    a_month(api)
    first = api.ok("/dashboard/transfers", month=MONTH)
    assert first["account_balance"] == 0  # none entered: counts as 0

    api.put(f"/balances/{MONTH}", {"account_balance": 5000})
    richer = api.ok("/dashboard/transfers", month=MONTH)
    assert richer["transfers"] == {"member1": 0, "member2": 0, "total": 0}

    api.put("/config", {"buffer": 5000})
    assert api.ok("/dashboard/transfers", month=MONTH)["transfers"] == first["transfers"]
    api.create_transactions(make_transaction(date="2025-06-20", amount=-100, label="X"))
    after = api.ok("/dashboard/transfers", month=MONTH)
    assert after["needed"]["total"] == first["needed"]["total"] + 100
    assert api.ok("/config")["buffer"] == 5000


def test_the_key_splits_the_reduction_exactly(api: Api) -> None:
    assert api.put("/config", {**CONFIG, "income1": 1000, "income2": 2000}).status_code == 200
    api.create_transactions(make_transaction(date="2025-06-03", amount=-100.01, label="A"))
    api.put(f"/balances/{MONTH}", {"account_balance": 50})
    plan = api.ok("/dashboard/transfers", month=MONTH)
    key = Fraction(1, 3)
    needed1, needed2 = cents(plan["needed"]["member1"]), cents(plan["needed"]["member2"])
    reduction1 = half_up(5_000 * key.numerator, key.denominator)
    assert cents(plan["transfers"]["member1"]) == needed1 - reduction1
    assert cents(plan["transfers"]["member1"]) + cents(plan["transfers"]["member2"]) == (
        needed1 + needed2 - 5_000
    )
