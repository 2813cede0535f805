"""The dashboard summaries (SPEC §2–§4, §6): the key, every block of the worked household
(tests/api/worked_household.py) asserted exactly, other months, changes, provisions.
"""

from __future__ import annotations

from tests.api.worked_household import MONTH, Worked
from tests.factories import Api, make_transaction
from tests.helpers import assert_422


def test_manual_key(api: Api) -> None:
    api.put("/config", {"income1": 1000, "split_mode": "manual", "manual_share1": 62.5})
    # r1 = 62.5 / 100, whatever the incomes; 100.00 split 62.50 / 37.50
    api.create_transactions(make_transaction(amount=-100))
    summary = api.ok("/dashboard/summary", month="2025-06")
    assert summary["key"] == {"member1": 0.625, "member2": 0.375}
    assert summary["variable"] == {"total": 100.0, "member1": 62.5, "member2": 37.5, "count": 1}


def test_key_is_half_when_both_nets_are_zero(api: Api) -> None:
    # Both members taxed 100 %: no net income at all, so the key falls back to 1/2.
    api.put("/config", {"income1": 1000, "income2": 500, "tax_rate1": 100, "tax_rate2": 100})
    api.create_transactions(make_transaction(amount=-0.01))
    summary = api.ok("/dashboard/summary", month="2025-06")
    assert summary["key"] == {"member1": 0.5, "member2": 0.5}
    # 0.01 * 1/2 = 0.005 -> 0.01 (half up) for member 1, the remainder 0.00 for member 2
    assert summary["variable"] == {"total": 0.01, "member1": 0.01, "member2": 0.0, "count": 1}


def test_worked_summary(worked: Worked) -> None:
    lines, provs = worked.lines, worked.provisions
    assert worked.api.ok("/dashboard/summary", month=MONTH) == {
        "month": "2025-06",
        "members": {"member1": "Alex", "member2": "Sam"},
        "key": {"member1": 0.5714, "member2": 0.4286},
        "variable": {"total": 369.35, "member1": 211.06, "member2": 158.29, "count": 6},
        "fixed": {
            "total": 1416.66,
            "member1": 763.80,
            "member2": 652.86,
            "count": 5,
            "lines": [
                {"id": lines["Abonnement box"], "label": "Abonnement box", "category": "telecom",
                 "monthly": 39.99, "member1": 39.99, "member2": 0.0},
                {"id": lines["Assurance habitation"], "label": "Assurance habitation",
                 "category": "assurance", "monthly": 83.33, "member1": 41.67, "member2": 41.66},
                {"id": lines["Loyer"], "label": "Loyer", "category": "logement",
                 "monthly": 1150.0, "member1": 657.14, "member2": 492.86},
                {"id": lines["Mutuelle"], "label": "Mutuelle", "category": "sante",
                 "monthly": 60.01, "member1": 0.0, "member2": 60.01},
                {"id": lines["Taxe foncière"], "label": "Taxe foncière", "category": "impots",
                 "monthly": 83.33, "member1": 25.0, "member2": 58.33},
            ],
        },
        "provisions": {
            "total": 363.33,
            "member1": 179.53,
            "member2": 183.80,
            "count": 4,
            "items": [
                {"id": provs["Vacances"], "name": "Vacances", "icon": "🏖️", "color": "#0EA5E9",
                 "monthly": 250.0, "member1": 142.86, "member2": 107.14, "progress": 0.15},
                {"id": provs["Cadeaux"], "name": "Cadeaux", "icon": "", "color": "#4F46E5",
                 "monthly": 33.33, "member1": 16.67, "member2": 16.66, "progress": None},
                {"id": provs["Voiture"], "name": "Voiture", "icon": "", "color": "#4F46E5",
                 "monthly": 50.0, "member1": 20.0, "member2": 30.0, "progress": 0.2501},
                {"id": provs["Noël"], "name": "Noël", "icon": "🎄", "color": "#DC2626",
                 "monthly": 30.0, "member1": 0.0, "member2": 30.0, "progress": None},
            ],
        },
        "totals": {"member1": 1154.39, "member2": 994.95, "grand_total": 2149.34},
        "actuals": {
            "income": 5010.0,
            "fixed_debits": 1231.24,
            "provision_debits": 250.0,
            "excluded": 800.0,
            "transactions": 15,
        },
    }  # fmt: skip


def test_worked_slim_summary(worked: Worked) -> None:
    assert worked.api.ok("/dashboard/summary/slim", month=MONTH) == {
        "month": "2025-06",
        "key": {"member1": 0.5714, "member2": 0.4286},
        "variable": {"total": 369.35, "member1": 211.06, "member2": 158.29, "count": 6},
        "fixed": {"total": 1416.66, "member1": 763.80, "member2": 652.86, "count": 5},
        "provisions": {"total": 363.33, "member1": 179.53, "member2": 183.80, "count": 4},
        "totals": {"member1": 1154.39, "member2": 994.95, "grand_total": 2149.34},
    }


def test_worked_summary_other_months(worked: Worked) -> None:
    # July: Noël has ended (2025-06) and Travaux starts: 10 % of 5000 = 500.00,
    # 50000*4/7 = 28571.4 -> 28571 / 21429. Fixed lines do not depend on the month.
    july = worked.api.ok("/dashboard/summary", month="2025-07")
    assert [item["name"] for item in july["provisions"]["items"]] == [
        "Travaux",
        "Vacances",
        "Cadeaux",
        "Voiture",
    ]
    assert july["provisions"]["items"][0] == {
        "id": worked.provisions["Travaux"], "name": "Travaux", "icon": "", "color": "#4F46E5",
        "monthly": 500.0, "member1": 285.71, "member2": 214.29, "progress": None,
    }  # fmt: skip
    # 50000 + 25000 + 3333 + 5000; 28571 + 14286 + 1667 + 2000; 21429 + 10714 + 1666 + 3000
    assert {k: july["provisions"][k] for k in ("total", "member1", "member2", "count")} == {
        "total": 833.33, "member1": 465.24, "member2": 368.09, "count": 4,
    }  # fmt: skip
    assert july["fixed"]["total"] == 1416.66
    # 12.00 * 4/7 = 6.857 -> 6.86 / 5.14
    assert july["variable"] == {"total": 12.0, "member1": 6.86, "member2": 5.14, "count": 1}
    assert july["actuals"] == {
        "income": 0.0, "fixed_debits": 0.0, "provision_debits": 0.0, "excluded": 0.0,
        "transactions": 1,
    }  # fmt: skip
    # May: Rentrée still runs (ends 2025-05), Noël (from 2025-01) too; Travaux not yet.
    may = worked.api.ok("/dashboard/summary", month="2025-05")
    assert [item["name"] for item in may["provisions"]["items"]] == [
        "Rentrée",
        "Vacances",
        "Cadeaux",
        "Voiture",
        "Noël",
    ]
    # 99.99 + 40.00 = 139.99; 13999*4/7 = 7999.4 -> 79.99 / 60.00
    assert may["variable"] == {"total": 139.99, "member1": 79.99, "member2": 60.0, "count": 2}
    assert may["actuals"] == {
        "income": 3000.0, "fixed_debits": 1150.0, "provision_debits": 0.0, "excluded": 20.0,
        "transactions": 5,
    }  # fmt: skip


def test_worked_summary_is_not_seen_by_another_household(worked: Worked, other_api: Api) -> None:
    summary = other_api.ok("/dashboard/summary", month=MONTH)
    assert summary["members"] == {"member1": "Member 1", "member2": "Member 2"}
    assert summary["key"] == {"member1": 0.5, "member2": 0.5}
    assert summary["fixed"] == {"total": 0.0, "member1": 0.0, "member2": 0.0, "count": 0,
                                "lines": []}  # fmt: skip
    assert summary["provisions"]["items"] == []
    assert summary["actuals"]["transactions"] == 0
    assert other_api.ok("/transactions/hierarchy", month=MONTH) == []


def test_worked_provisions_calculate(worked: Worked) -> None:
    provs = worked.provisions
    assert worked.api.ok("/provisions/calculate", month=MONTH) == {
        "month": "2025-06",
        "items": [
            {"id": provs["Vacances"], "name": "Vacances", "monthly": 250.0, "member1": 142.86,
             "member2": 107.14, "progress": 0.15},
            {"id": provs["Cadeaux"], "name": "Cadeaux", "monthly": 33.33, "member1": 16.67,
             "member2": 16.66, "progress": None},
            {"id": provs["Voiture"], "name": "Voiture", "monthly": 50.0, "member1": 20.0,
             "member2": 30.0, "progress": 0.2501},
            {"id": provs["Noël"], "name": "Noël", "monthly": 30.0, "member1": 0.0,
             "member2": 30.0, "progress": None},
        ],
        "totals": {"monthly": 363.33, "member1": 179.53, "member2": 183.80},
    }  # fmt: skip
    july = worked.api.ok("/provisions/calculate", month="2025-07")
    assert [item["name"] for item in july["items"]] == ["Travaux", "Vacances", "Cadeaux", "Voiture"]
    assert july["totals"] == {"monthly": 833.33, "member1": 465.24, "member2": 368.09}
    assert_422(worked.api.get("/provisions/calculate", month="2025-00"))
    assert_422(worked.api.get("/provisions/calculate"))


def test_worked_summary_follows_changes(worked: Worked) -> None:
    api = worked.api
    # Deactivating the rent and excluding the pharmacy debit both show at once.
    assert api.patch(f"/fixed-lines/{worked.lines['Loyer']}", {"active": False}).status_code == 200
    assert api.patch(f"/transactions/{worked.tx['T14']}", {"exclude": True}).status_code == 200
    summary = api.ok("/dashboard/summary", month=MONTH)
    # fixed: 141666 - 115000 = 26666; 76380 - 65714 = 10666; 65286 - 49286 = 16000
    assert {k: summary["fixed"][k] for k in ("total", "member1", "member2", "count")} == {
        "total": 266.66, "member1": 106.66, "member2": 160.0, "count": 4,
    }  # fmt: skip
    # variable: 36935 - 8900 = 28035; 28035*4/7 = 16020 exactly -> 160.20 / 120.15
    assert summary["variable"] == {"total": 280.35, "member1": 160.2, "member2": 120.15, "count": 5}
    assert summary["actuals"]["excluded"] == 889.0
    assert summary["actuals"]["transactions"] == 15


def test_summary_requires_a_valid_month(api: Api) -> None:
    for path in ("/dashboard/summary", "/dashboard/summary/slim", "/transactions/hierarchy"):
        assert_422(api.get(path))
        assert_422(api.get(path, month="2025-13"))
        assert_422(api.get(path, month="06-2025"))
