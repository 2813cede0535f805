"""KPIs over a range (SPEC §12): a known history computed by hand, and the laws.

The optimised reader and the reference one are also held equal on random writes by the
differential test of every view (tests/read/).
"""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from foyer.domain.insights import kpis
from foyer.domain.model import MonthTotals
from tests.factories import Api, make_transaction


def test_a_known_history(api: Api) -> None:
    api.create_transactions(
        # 2025-04: before the range, but the change of its last month reads the one before.
        make_transaction(date="2025-04-02", amount=-100, category="courses"),
        # 2025-05: income 3,000; spending 1,000 + 500 (fixed) + 200 (provision) = 1,700.
        make_transaction(date="2025-05-27", amount=3000, category="salaire"),
        make_transaction(date="2025-05-03", amount=-1000, category="courses"),
        make_transaction(date="2025-05-05", amount=-500, category="loyer", expense_type="FIXED"),
        make_transaction(
            date="2025-05-06", amount=-200, category="epargne", expense_type="PROVISION"
        ),
        make_transaction(date="2025-05-07", amount=-999, category="courses", exclude=True),
        # 2025-06: income 3,000.01; spending 300.
        make_transaction(date="2025-06-27", amount=3000.01, category="salaire"),
        make_transaction(date="2025-06-03", amount=-250, category="resto"),
        make_transaction(date="2025-06-04", amount=-50, category="courses"),
    )
    body = api.ok("/analytics/kpis", **{"from": "2025-05", "to": "2025-07"})
    assert body == {
        "from_month": "2025-05",
        "to_month": "2025-07",
        "months": 3,
        "averages": {
            # (3,000 + 3,000.01 + 0) / 3 = 2,000.003… -> 2,000.00
            "income": 2000.0,
            # (1,700 + 300 + 0) / 3 = 666.666… -> 666.67
            "spending": 666.67,
            "savings": 1333.33,
            # (6,000.01 − 2,000) / 6,000.01 = 66.6667 % -> 66.67
            "savings_rate": 66.67,
        },
        # July (empty) against June.
        "change": {
            "month": "2025-07",
            "previous": "2025-06",
            "income": -3000.01,
            "spending": -300.0,
            "spending_percent": -100.0,
        },
        "top_categories": [
            {"category": "courses", "total": 1050.0, "count": 2, "share": 52.5},
            {"category": "loyer", "total": 500.0, "count": 1, "share": 25.0},
            {"category": "resto", "total": 250.0, "count": 1, "share": 12.5},
            {"category": "epargne", "total": 200.0, "count": 1, "share": 10.0},
        ],
    }
    # A one-month range: the change reads the month before, outside the range.
    june = api.ok("/analytics/kpis", **{"from": "2025-05", "to": "2025-05"})["change"]
    assert (june["income"], june["spending"], june["spending_percent"]) == (3000.0, 1600.0, 1600.0)


def test_a_range_without_money_has_no_rates(api: Api) -> None:
    body = api.ok("/analytics/kpis", **{"from": "2030-01", "to": "2030-12"})
    assert body["averages"] == {
        "income": 0.0,
        "spending": 0.0,
        "savings": 0.0,
        "savings_rate": None,
    }
    assert body["change"]["spending_percent"] is None
    assert body["top_categories"] == []


def test_bad_ranges_are_422(api: Api) -> None:
    for query in ({"from": "2025-06", "to": "2025-05"}, {"from": "2000-01", "to": "2025-01"}):
        assert api.get("/analytics/kpis", **query).status_code == 422
    assert api.get("/analytics/kpis", **{"from": "2025-13", "to": "2025-14"}).status_code == 422


cents = st.integers(0, 10**9)
month_totals = st.builds(
    MonthTotals,
    variable_cents=cents,
    fixed_debits_cents=cents,
    provision_debits_cents=cents,
    income_cents=cents,
)


@given(
    by_month=st.dictionaries(st.sampled_from(["2025-03", "2025-04", "2025-05"]), month_totals),
    by_category=st.dictionaries(
        st.text(min_size=1, max_size=3), st.tuples(cents, st.integers(1, 9))
    ),
)
def test_the_averages_add_up_and_the_top_is_ranked(
    by_month: dict[str, MonthTotals], by_category: dict[str, tuple[int, int]]
) -> None:
    body: dict[str, Any] = kpis(by_month, by_category, "2025-04", "2025-05")
    averages = body["averages"]
    # Exactly, in cents: savings is income minus spending, whatever the rounding.
    assert round(averages["savings"] * 100) == round(averages["income"] * 100) - round(
        averages["spending"] * 100
    )
    totals = [c["total"] for c in body["top_categories"]]
    assert totals == sorted(totals, reverse=True)
    assert len(totals) == min(5, len(by_category))
