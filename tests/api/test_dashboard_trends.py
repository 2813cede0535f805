"""Trends over a range of months and the analytics by category (SPEC §6), exactly, on the
worked household (tests/api/worked_household.py); the range's validation.
"""

from __future__ import annotations

import pytest

from tests.api.worked_household import MONTH, Worked
from tests.factories import Api, make_transaction
from tests.helpers import JSON, assert_422


def test_worked_trends(worked: Worked) -> None:
    zero = {"variable": 0.0, "fixed_debits": 0.0, "provision_debits": 0.0, "income": 0.0,
            "net": 0.0, "count": 0}  # fmt: skip
    assert worked.api.ok("/dashboard/trends", **{"from": "2025-04", "to": "2025-08"}) == {
        "months": [
            {"month": "2025-04", **zero},
            # 300000 - 13999 - 115000 = 171001; 5 rows (the excluded one included)
            {"month": "2025-05", "variable": 139.99, "fixed_debits": 1150.0,
             "provision_debits": 0.0, "income": 3000.0, "net": 1710.01, "count": 5},
            # 501000 - 36935 - 123124 - 25000 = 315941
            {"month": "2025-06", "variable": 369.35, "fixed_debits": 1231.24,
             "provision_debits": 250.0, "income": 5010.0, "net": 3159.41, "count": 15},
            {"month": "2025-07", "variable": 12.0, "fixed_debits": 0.0, "provision_debits": 0.0,
             "income": 0.0, "net": -12.0, "count": 1},
            {"month": "2025-08", **zero},
        ]
    }  # fmt: skip
    one = worked.api.ok("/dashboard/trends", **{"from": "2025-06", "to": "2025-06"})
    assert [m["month"] for m in one["months"]] == ["2025-06"]


def test_trends_spanning_years(api: Api) -> None:
    api.create_transactions(make_transaction(date="2025-01-01", amount=-1))
    months = api.ok("/dashboard/trends", **{"from": "2024-11", "to": "2025-02"})["months"]
    assert [m["month"] for m in months] == ["2024-11", "2024-12", "2025-01", "2025-02"]
    assert [m["count"] for m in months] == [0, 0, 1, 0]


@pytest.mark.parametrize(
    "params",
    [
        {"from": "2025-07", "to": "2025-06"},
        {"from": "2015-01", "to": "2025-01"},  # 121 months
        {"from": "2025-13", "to": "2025-14"},
        {"from": "2025-01"},
        {"to": "2025-01"},
    ],
)
def test_trends_validation(api: Api, params: dict[str, str]) -> None:
    assert_422(api.get("/dashboard/trends", **params))


def test_trends_at_most_120_months(api: Api) -> None:
    months = api.ok("/dashboard/trends", **{"from": "2015-02", "to": "2025-01"})["months"]
    assert len(months) == 120
    assert (months[0]["month"], months[-1]["month"]) == ("2015-02", "2025-01")


def test_worked_analytics_categories(worked: Worked) -> None:
    def row(category: str, kind: str, count: int, total: float, avg: float, low: float,
            high: float) -> JSON:  # fmt: skip
        return {"category": category, "expense_type": kind, "count": count, "total": total,
                "avg": avg, "min": low, "max": high}  # fmt: skip

    every = [
        row("logement", "FIXED", 1, 1150.0, 1150.0, 1150.0, 1150.0),
        row("epargne", "PROVISION", 1, 250.0, 250.0, 250.0, 250.0),
        # 54.30 + 120.15 = 174.45; avg 17445/2 = 8722.5 -> 87.23
        row("courses", "VARIABLE", 2, 174.45, 87.23, 54.30, 120.15),
        row("sante", "VARIABLE", 1, 89.0, 89.0, 89.0, 89.0),
        row("train", "VARIABLE", 1, 89.0, 89.0, 89.0, 89.0),
        row("energie", "FIXED", 1, 75.25, 75.25, 75.25, 75.25),
        row("boulangerie", "VARIABLE", 1, 8.45, 8.45, 8.45, 8.45),
        row("marche", "VARIABLE", 1, 8.45, 8.45, 8.45, 8.45),
        row("courses", "FIXED", 1, 5.99, 5.99, 5.99, 5.99),
    ]
    api = worked.api
    assert api.ok("/analytics/categories", month=MONTH) == {"month": "2025-06", "items": every}
    assert api.ok(
        "/analytics/categories", month=MONTH, expense_types="VARIABLE,PROVISION,FIXED"
    ) == {"month": "2025-06", "items": every}
    assert api.ok("/analytics/categories", month=MONTH, expense_types="VARIABLE,FIXED") == {
        "month": "2025-06",
        "items": [r for r in every if r["expense_type"] != "PROVISION"],
    }
    assert api.ok("/analytics/categories", month=MONTH, expense_types="PROVISION") == {
        "month": "2025-06",
        "items": [every[1]],
    }
    assert api.ok("/analytics/categories", month="2025-04") == {"month": "2025-04", "items": []}
    for bad in ("BOGUS", "VARIABLE,BOGUS", "variable", ""):
        assert_422(api.get("/analytics/categories", month=MONTH, expense_types=bad))
