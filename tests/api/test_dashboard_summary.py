"""The dashboard numbers through the HTTP API (SPEC §2–§6), on SQLite and PostgreSQL.

Three parts:
- configuration, fixed lines and provisions: CRUD and validation;
- one household worked out on paper (the comments show the arithmetic), every view of
  it asserted exactly;
- a Hypothesis property: random households and transactions, every view equal to an
  independent recomputation from the inputs written here (foyer's read code is not used).
"""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine

from foyer.money import round_half_up
from tests.factories import (
    Api,
    household_api,
    make_fixed_line,
    make_provision,
    make_transaction,
)

JSON = dict[str, Any]


def cents(value: float) -> int:
    """A JSON money number back to integer cents."""
    return round(value * 100)


def assert_422(response: Any) -> JSON:
    assert response.status_code == 422, response.text
    error: JSON = response.json()["error"]
    assert error["code"] == "validation_error"
    assert error["message"]
    return error


# =============================================================================================
# Configuration (SPEC §2)
# =============================================================================================

DEFAULT_CONFIG = {
    "member1_name": "Member 1",
    "member2_name": "Member 2",
    "income1": 0.0,
    "income2": 0.0,
    "tax_rate1": 0.0,
    "tax_rate2": 0.0,
    "split_mode": "income",
    "manual_share1": 50.0,
}


def test_config_defaults(api: Api) -> None:
    assert api.ok("/config") == DEFAULT_CONFIG


def test_config_partial_update_keeps_other_fields(api: Api) -> None:
    response = api.put("/config", {"income1": 3000, "tax_rate1": 20})
    assert response.status_code == 200, response.text
    expected = {**DEFAULT_CONFIG, "income1": 3000.0, "tax_rate1": 20.0}
    assert response.json() == expected
    assert api.ok("/config") == expected

    response = api.put("/config", {"member2_name": "Sam", "income2": 1999.99, "tax_rate2": None})
    assert response.status_code == 200, response.text
    expected = {**expected, "member2_name": "Sam", "income2": 1999.99}
    assert response.json() == expected
    assert api.ok("/config") == expected

    assert api.put("/config", {}).json() == expected


@pytest.mark.parametrize(
    "body",
    [
        {"tax_rate1": 100.001},
        {"tax_rate2": 100.01},
        {"tax_rate1": -1},
        {"income1": -0.01},
        {"income2": -100},
        {"income1": 12.345},
        {"split_mode": "bogus"},
        {"manual_share1": 100.5},
        {"manual_share1": -1},
        {"member1_name": ""},
        {"member2_name": "x" * 51},
        {"unknown_field": 1},
    ],
)
def test_config_validation(api: Api, body: JSON) -> None:
    assert_422(api.put("/config", body))
    assert api.ok("/config") == DEFAULT_CONFIG  # nothing changed


def test_config_is_per_household(api: Api, other_api: Api) -> None:
    assert api.put("/config", {"income1": 42}).status_code == 200
    assert other_api.ok("/config") == DEFAULT_CONFIG


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


# =============================================================================================
# Fixed lines (SPEC §3)
# =============================================================================================


def test_fixed_line_crud(api: Api) -> None:
    assert api.ok("/fixed-lines") == {"items": []}
    response = api.post(
        "/fixed-lines", make_fixed_line(label="Assurance", amount=250, frequency="quarterly")
    )
    assert response.status_code == 201, response.text
    line = response.json()
    assert line == {
        "id": line["id"],
        "label": "Assurance",
        "amount": 250.0,
        "frequency": "quarterly",
        "split_mode": "key",
        "custom_share1": None,
        "category": "logement",
        "active": True,
        "monthly": 83.33,  # 250 / 3 = 83.333… -> 83.33
    }
    assert api.ok(f"/fixed-lines/{line['id']}") == line
    assert api.ok("/fixed-lines") == {"items": [line]}

    # PUT replaces the whole line; left-out fields take their defaults.
    response = api.put(
        f"/fixed-lines/{line['id']}",
        {"label": "Taxe", "amount": 1000.06, "frequency": "annual", "split_mode": "custom",
         "custom_share1": 30},
    )  # fmt: skip
    assert response.status_code == 200, response.text
    replaced = response.json()
    assert replaced == {
        "id": line["id"],
        "label": "Taxe",
        "amount": 1000.06,
        "frequency": "annual",
        "split_mode": "custom",
        "custom_share1": 30.0,
        "category": "uncategorized",
        "active": True,
        "monthly": 83.34,  # 1000.06 / 12 = 83.338… -> 83.34
    }

    # PATCH changes only what it is given.
    response = api.patch(f"/fixed-lines/{line['id']}", {"active": False, "frequency": "monthly"})
    assert response.status_code == 200, response.text
    assert response.json() == {
        **replaced,
        "active": False,
        "frequency": "monthly",
        "monthly": 1000.06,
    }
    assert api.ok("/fixed-lines")["items"] == [response.json()]

    assert api.delete(f"/fixed-lines/{line['id']}").status_code == 204
    assert api.ok("/fixed-lines") == {"items": []}


def test_fixed_lines_list_in_id_order(api: Api) -> None:
    ids = [api.post("/fixed-lines", make_fixed_line(label=x)).json()["id"] for x in "cab"]
    assert [item["id"] for item in api.ok("/fixed-lines")["items"]] == sorted(ids)


@pytest.mark.parametrize(
    "body",
    [
        make_fixed_line(split_mode="custom"),
        make_fixed_line(split_mode="custom", custom_share1=None),
        make_fixed_line(split_mode="custom", custom_share1=100.01),
        make_fixed_line(amount=0),
        make_fixed_line(amount=-5),
        make_fixed_line(amount=10.001),
        make_fixed_line(frequency="weekly"),
        make_fixed_line(split_mode="half"),
        make_fixed_line(label=""),
        make_fixed_line(category=""),
        {"amount": 10},
    ],
)
def test_fixed_line_validation(api: Api, body: JSON) -> None:
    assert_422(api.post("/fixed-lines", body))
    line = api.post("/fixed-lines", make_fixed_line()).json()
    assert_422(api.put(f"/fixed-lines/{line['id']}", body))
    assert api.ok("/fixed-lines") == {"items": [line]}


@pytest.mark.parametrize(
    "patch",
    [
        {"split_mode": "custom"},
        {"split_mode": "custom", "custom_share1": None},
        {"amount": 0},
        {"amount": None},
        {"label": None},
        {"frequency": "weekly"},
        {"bogus": 1},
    ],
)
def test_fixed_line_patch_validation(api: Api, patch: JSON) -> None:
    line = api.post("/fixed-lines", make_fixed_line()).json()
    assert_422(api.patch(f"/fixed-lines/{line['id']}", patch))
    assert api.ok(f"/fixed-lines/{line['id']}") == line


def test_fixed_line_patch_to_custom_with_share(api: Api) -> None:
    line = api.post("/fixed-lines", make_fixed_line()).json()
    response = api.patch(
        f"/fixed-lines/{line['id']}", {"split_mode": "custom", "custom_share1": 25}
    )
    assert response.status_code == 200, response.text
    assert response.json() == {**line, "split_mode": "custom", "custom_share1": 25.0}


def test_fixed_line_unknown_or_foreign_ids_are_404(api: Api, other_api: Api) -> None:
    line = api.post("/fixed-lines", make_fixed_line()).json()
    for client, line_id in ((api, 999_999), (other_api, line["id"])):
        path = f"/fixed-lines/{line_id}"
        assert client.get(path).status_code == 404
        assert client.put(path, make_fixed_line()).status_code == 404
        assert client.patch(path, {"label": "x"}).status_code == 404
        assert client.delete(path).status_code == 404
    assert other_api.ok("/fixed-lines") == {"items": []}
    assert api.ok(f"/fixed-lines/{line['id']}") == line  # untouched by the other household


# =============================================================================================
# Provisions (SPEC §4)
# =============================================================================================


def test_provision_crud(api: Api) -> None:
    assert api.ok("/provisions") == {"items": []}
    response = api.post(
        "/provisions",
        make_provision(color="#0ea5e9", icon="🏖️", target_amount=3000, current_amount=450),
    )
    assert response.status_code == 201, response.text
    created = response.json()
    assert created == {
        "id": created["id"],
        "name": "Vacances",
        "icon": "🏖️",
        "color": "#0EA5E9",
        "display_order": 0,
        "base": "total",
        "percentage": 5.0,
        "fixed_amount": 0.0,
        "split_mode": "key",
        "custom_share1": None,
        "is_active": True,
        "start_month": None,
        "end_month": None,
        "target_amount": 3000.0,
        "current_amount": 450.0,
        "progress": 0.15,  # 450 / 3000
    }
    path = f"/provisions/{created['id']}"
    assert api.ok(path) == created
    assert api.ok("/provisions") == {"items": [created]}

    response = api.put(
        path,
        {"name": "Voiture", "base": "fixed", "fixed_amount": 80, "start_month": "2025-01",
         "end_month": "2025-12", "target_amount": 10000, "current_amount": 2500.5},
    )  # fmt: skip
    assert response.status_code == 200, response.text
    replaced = response.json()
    assert replaced == {
        **created,
        "name": "Voiture",
        "icon": "",
        "color": "#4F46E5",
        "base": "fixed",
        "percentage": 0.0,
        "fixed_amount": 80.0,
        "start_month": "2025-01",
        "end_month": "2025-12",
        "target_amount": 10000.0,
        "current_amount": 2500.5,
        "progress": 0.2501,  # 0.25005 rounded half up to 4 decimals
    }

    response = api.patch(path, {"target_amount": None, "end_month": None, "display_order": 3})
    assert response.status_code == 200, response.text
    patched = response.json()
    assert patched == {
        **replaced,
        "target_amount": None,
        "end_month": None,
        "display_order": 3,
        "progress": None,
    }
    assert api.ok(path) == patched

    assert api.delete(path).status_code == 204
    assert api.get(path).status_code == 404
    assert api.ok("/provisions") == {"items": []}


@pytest.mark.parametrize(
    "body",
    [
        make_provision(start_month="2025-07", end_month="2025-06"),
        make_provision(start_month="2025-13"),
        make_provision(end_month="June"),
        make_provision(color="red"),
        make_provision(color="#12345"),
        make_provision(color="#GGGGGG"),
        make_provision(color="0EA5E9"),
        make_provision(split_mode="custom"),
        make_provision(percentage=100.01),
        make_provision(percentage=-1),
        make_provision(percentage=1.234),
        make_provision(base="household"),
        make_provision(fixed_amount=-1),
        make_provision(target_amount=0),
        make_provision(current_amount=-0.01),
        make_provision(name=""),
        {"base": "total"},
    ],
)
def test_provision_validation(api: Api, body: JSON) -> None:
    assert_422(api.post("/provisions", body))
    item = api.post("/provisions", make_provision()).json()
    assert_422(api.put(f"/provisions/{item['id']}", body))
    assert api.ok("/provisions") == {"items": [item]}


@pytest.mark.parametrize(
    "patch",
    [
        {"start_month": "2026-01"},  # after the stored end_month
        {"end_month": "2024-12"},  # before the stored start_month
        {"color": "blue"},
        {"split_mode": "custom"},
        {"name": None},
        {"percentage": 101},
        {"bogus": True},
    ],
)
def test_provision_patch_validation(api: Api, patch: JSON) -> None:
    item = api.post(
        "/provisions", make_provision(start_month="2025-01", end_month="2025-12")
    ).json()
    assert_422(api.patch(f"/provisions/{item['id']}", patch))
    assert api.ok(f"/provisions/{item['id']}") == item


def test_provision_unknown_or_foreign_ids_are_404(api: Api, other_api: Api) -> None:
    item = api.post("/provisions", make_provision()).json()
    for client, item_id in ((api, 999_999), (other_api, item["id"])):
        path = f"/provisions/{item_id}"
        assert client.get(path).status_code == 404
        assert client.put(path, make_provision()).status_code == 404
        assert client.patch(path, {"name": "x"}).status_code == 404
        assert client.delete(path).status_code == 404
    assert other_api.ok("/provisions") == {"items": []}
    assert api.ok(f"/provisions/{item['id']}") == item


# =============================================================================================
# A household worked out on paper
# =============================================================================================
#
# Config: income 3000.00 taxed 20 % and 2000.00 taxed 10 %, split by income.
#   net1 = 2400, net2 = 1800, r1 = 2400 / 4200 = 4/7 = 0.571428…  -> key 0.5714 / 0.4286
#
# Fixed lines (summary lists the active ones by label):
#   Abonnement box        39.99 monthly   member1   3999 -> 3999 / 0
#   Assurance habitation 250.00 quarterly equal     25000/3 = 8333.3 -> 8333;
#                                                   8333/2 = 4166.5 -> 4167 / 4166
#   Loyer               1150.00 monthly   key       115000*4/7 = 65714.29 -> 65714 / 49286
#   Mutuelle              60.01 monthly   member2   6001 -> 0 / 6001
#   Taxe foncière       1000.00 annual    custom 30 100000/12 = 8333.3 -> 8333;
#                                                   8333*0.3 = 2499.9 -> 2500 / 5833
#   Salle de sport        35.00 monthly   inactive  (not listed)
#   block: total 141666, member1 76380, member2 65286 (76380 + 65286 = 141666)
#
# Provisions in 2025-06, by display_order then name:
#   Vacances (1) total 5 %, key: 500000*0.05 = 25000; 25000*4/7 = 14285.7 -> 14286 / 10714;
#                progress 450/3000 = 0.15
#   Cadeaux  (2) fixed 33.33, equal: 3333/2 = 1666.5 -> 1667 / 1666
#   Voiture  (2) member2 2.5 %, custom 40: 200000*0.025 = 5000 -> 2000 / 3000;
#                progress 2500.50/10000 = 0.25005 -> 0.2501
#   Noël     (3) member1 1 %, member2 split, 2025-01..2025-06: 3000 -> 0 / 3000
#   Travaux  (0) starts 2025-07, Rentrée (0) ended 2025-05, Ancien inactive: not counted
#   block: total 36333, member1 17953, member2 18380
#
# June transactions (amount, category/parent, type):
#   T1  -54.30  courses/alimentation VARIABLE tags courses
#   T2 -120.15  courses/alimentation VARIABLE tags courses, famille
#   T3   -8.45  boulangerie/alimentation VARIABLE (on the 30th)
#   T4  -89.00  train/transport VARIABLE
#   T5 -1150.00 logement/logement FIXED
#   T6  -75.25  energie/logement FIXED
#   T7 -250.00  epargne/epargne PROVISION
#   T8 +3000.00 salaire, T9 +2000.00 salaire: income
#   T10 -500.00 courses excluded, T11 +300.00 excluded
#   T12  +10.00 courses (a refund: income, not a courses debit)
#   T13  -5.99  courses/alimentation FIXED tags courses
#   T14 -89.00  sante/sante VARIABLE
#   T15  -8.45  marche/alimentation VARIABLE
#   variable = 5430 + 12015 + 845 + 8900 + 8900 + 845 = 36935, count 6;
#              36935*4/7 = 21105.7 -> 21106 / 15829
#   fixed_debits = 115000 + 7525 + 599 = 123124; provision_debits = 25000
#   income = 300000 + 200000 + 1000 = 501000; excluded = 50000 + 30000 = 80000; rows 15
#   totals: member1 = 21106 + 76380 + 17953 = 115439, member2 = 15829 + 65286 + 18380 = 99495,
#           grand = 214934 (= 36935 + 141666 + 36333)
# May: U1 -99.99 courses, U2 -40.00 courses (31st), U3 +3000 salaire, U4 -1150 loyer FIXED,
#      U5 -20.00 courses excluded.  July: V1 -12.00 courses on the 1st.

MONTH = "2025-06"


@dataclass
class Worked:
    api: Api
    lines: dict[str, int]
    provisions: dict[str, int]
    tx: dict[str, int]


def _create(api: Api, path: str, body: JSON) -> int:
    response = api.post(path, body)
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


@pytest.fixture
def worked(api: Api) -> Worked:
    response = api.put(
        "/config",
        {"member1_name": "Alex", "member2_name": "Sam", "income1": 3000, "income2": 2000,
         "tax_rate1": 20, "tax_rate2": 10, "split_mode": "income"},
    )  # fmt: skip
    assert response.status_code == 200, response.text
    line_bodies = {  # created out of label order on purpose
        "Loyer": make_fixed_line(label="Loyer", amount=1150, split_mode="key"),
        "Taxe foncière": make_fixed_line(
            label="Taxe foncière", amount=1000, frequency="annual", split_mode="custom",
            custom_share1=30, category="impots",
        ),
        "Salle de sport": make_fixed_line(
            label="Salle de sport", amount=35, active=False, category="loisirs"
        ),
        "Assurance habitation": make_fixed_line(
            label="Assurance habitation", amount=250, frequency="quarterly", split_mode="equal",
            category="assurance",
        ),
        "Mutuelle": make_fixed_line(
            label="Mutuelle", amount=60.01, split_mode="member2", category="sante"
        ),
        "Abonnement box": make_fixed_line(
            label="Abonnement box", amount=39.99, split_mode="member1", category="telecom"
        ),
    }  # fmt: skip
    lines = {label: _create(api, "/fixed-lines", body) for label, body in line_bodies.items()}
    provision_bodies = {
        "Noël": make_provision(
            name="Noël", base="member1", percentage=1, split_mode="member2", display_order=3,
            start_month="2025-01", end_month="2025-06", icon="🎄", color="#dc2626",
        ),
        "Voiture": make_provision(
            name="Voiture", base="member2", percentage=2.5, split_mode="custom",
            custom_share1=40, display_order=2, target_amount=10000, current_amount=2500.5,
        ),
        "Travaux": make_provision(
            name="Travaux", base="total", percentage=10, display_order=0, start_month="2025-07"
        ),
        "Ancien": make_provision(name="Ancien", base="fixed", fixed_amount=100, is_active=False),
        "Vacances": make_provision(
            name="Vacances", base="total", percentage=5, display_order=1, icon="🏖️",
            color="#0ea5e9", target_amount=3000, current_amount=450,
        ),
        "Cadeaux": make_provision(
            name="Cadeaux", base="fixed", fixed_amount=33.33, split_mode="equal", display_order=2
        ),
        "Rentrée": make_provision(
            name="Rentrée", base="fixed", fixed_amount=50, display_order=0, end_month="2025-05"
        ),
    }  # fmt: skip
    provisions = {
        name: _create(api, "/provisions", body) for name, body in provision_bodies.items()
    }

    def tx(day: str, label: str, amount: float, category: str, parent: str, **kw: Any) -> JSON:
        return make_transaction(
            date=day, label=label, amount=amount, category=category, category_parent=parent, **kw
        )

    bodies = {
        "T1": tx("2025-06-03", "CB CARREFOUR", -54.30, "courses", "alimentation",
                 tags=["courses"]),
        "T2": tx("2025-06-10", "CB CARREFOUR", -120.15, "courses", "alimentation",
                 tags=["courses", "famille"]),
        "T3": tx("2025-06-30", "BOULANGERIE", -8.45, "boulangerie", "alimentation"),
        "T4": tx("2025-06-15", "SNCF", -89.00, "train", "transport", tags=["vacances"]),
        "T5": tx("2025-06-05", "LOYER JUIN", -1150.00, "logement", "logement",
                 expense_type="FIXED"),
        "T6": tx("2025-06-07", "EDF", -75.25, "energie", "logement", expense_type="FIXED"),
        "T7": tx("2025-06-01", "VIREMENT EPARGNE", -250.00, "epargne", "epargne",
                 expense_type="PROVISION"),
        "T8": tx("2025-06-28", "SALAIRE ALEX", 3000.00, "salaire", "revenus"),
        "T9": tx("2025-06-28", "SALAIRE SAM", 2000.00, "salaire", "revenus"),
        "T10": tx("2025-06-20", "VIREMENT INTERNE", -500.00, "courses", "alimentation",
                  exclude=True, tags=["courses"]),
        "T11": tx("2025-06-21", "REMBOURSEMENT INTERNE", 300.00, "divers", "divers",
                  exclude=True),
        "T12": tx("2025-06-25", "CB CARREFOUR", 10.00, "courses", "alimentation"),
        "T13": tx("2025-06-18", "DRIVE ABONNEMENT", -5.99, "courses", "alimentation",
                  expense_type="FIXED", tags=["courses"]),
        "T14": tx("2025-06-22", "PHARMACIE", -89.00, "sante", "sante"),
        "T15": tx("2025-06-12", "MARCHE", -8.45, "marche", "alimentation"),
        "U1": tx("2025-05-10", "CB CARREFOUR", -99.99, "courses", "alimentation"),
        "U2": tx("2025-05-31", "LECLERC", -40.00, "courses", "alimentation"),
        "U3": tx("2025-05-15", "SALAIRE ALEX", 3000.00, "salaire", "revenus"),
        "U4": tx("2025-05-20", "LOYER MAI", -1150.00, "logement", "logement",
                 expense_type="FIXED"),
        "U5": tx("2025-05-22", "VIREMENT INTERNE", -20.00, "courses", "alimentation",
                 exclude=True),
        "V1": tx("2025-07-01", "CB CARREFOUR", -12.00, "courses", "alimentation"),
    }  # fmt: skip
    ids = api.create_transactions(*bodies.values())
    return Worked(api, lines, provisions, dict(zip(bodies, ids, strict=True)))


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


def test_worked_hierarchy(worked: Worked) -> None:
    # Debits not excluded, every expense type; sante and transport tie at 89.00 (by name),
    # boulangerie and marche tie at 8.45 (by name).
    assert worked.api.ok("/transactions/hierarchy", month=MONTH) == [
        {"category_parent": "logement", "total": 1225.25, "count": 2, "categories": [
            {"category": "logement", "total": 1150.0, "count": 1},
            {"category": "energie", "total": 75.25, "count": 1},
        ]},
        {"category_parent": "epargne", "total": 250.0, "count": 1, "categories": [
            {"category": "epargne", "total": 250.0, "count": 1},
        ]},
        # courses 54.30 + 120.15 + 5.99 = 180.44; + 8.45 + 8.45 = 197.34
        {"category_parent": "alimentation", "total": 197.34, "count": 5, "categories": [
            {"category": "courses", "total": 180.44, "count": 3},
            {"category": "boulangerie", "total": 8.45, "count": 1},
            {"category": "marche", "total": 8.45, "count": 1},
        ]},
        {"category_parent": "sante", "total": 89.0, "count": 1, "categories": [
            {"category": "sante", "total": 89.0, "count": 1},
        ]},
        {"category_parent": "transport", "total": 89.0, "count": 1, "categories": [
            {"category": "train", "total": 89.0, "count": 1},
        ]},
    ]  # fmt: skip
    assert worked.api.ok("/transactions/hierarchy", month="2025-04") == []


def test_worked_drill_down_summary(worked: Worked) -> None:
    # courses in June: 54.30 + 120.15 + 5.99 (FIXED counts too) = 180.44 over 3 debits;
    # avg 18044/3 = 6014.67 -> 60.15. Excluded T10 and the +10.00 refund are left out.
    # May: 99.99 + 40.00 = 139.99 (the excluded -20.00 is left out).
    assert worked.api.ok("/dashboard/drill-down/courses", month=MONTH) == {
        "category": "courses",
        "month": "2025-06",
        "total": 180.44,
        "count": 3,
        "avg": 60.15,
        "min": 5.99,
        "max": 120.15,
        "previous_total": 139.99,
    }
    assert worked.api.ok(
        "/dashboard/drill-down/courses", month=MONTH, level="summary"
    ) == worked.api.ok("/dashboard/drill-down/courses", month=MONTH)
    # July: one debit; previous_total is June's.
    assert worked.api.ok("/dashboard/drill-down/courses", month="2025-07") == {
        "category": "courses", "month": "2025-07", "total": 12.0, "count": 1, "avg": 12.0,
        "min": 12.0, "max": 12.0, "previous_total": 180.44,
    }  # fmt: skip
    # A category without debits: zeros, no min or max.
    assert worked.api.ok("/dashboard/drill-down/salaire", month=MONTH) == {
        "category": "salaire", "month": "2025-06", "total": 0.0, "count": 0, "avg": 0.0,
        "min": None, "max": None, "previous_total": 0.0,
    }  # fmt: skip


def test_worked_drill_down_details(worked: Worked) -> None:
    details = worked.api.ok("/dashboard/drill-down/courses", month=MONTH, level="details")
    assert details == {
        "category": "courses",
        "month": "2025-06",
        # courses: T1 + T2 + T13 = 180.44; famille: T2 only
        "by_tag": [
            {"tag": "courses", "total": 180.44, "count": 3},
            {"tag": "famille", "total": 120.15, "count": 1},
        ],
        # CB CARREFOUR: 54.30 + 120.15 (the +10.00 refund is no debit)
        "by_label": [
            {"label": "CB CARREFOUR", "total": 174.45, "count": 2},
            {"label": "DRIVE ABONNEMENT", "total": 5.99, "count": 1},
        ],
    }


def test_drill_down_details_top_20(api: Api) -> None:
    # "shop 00".."shop 21" cost 1.00..22.00 and carry tags t00..t21; alpha and beta cost
    # 10.00 like shop 09 and carry tags x and w. Ties order by name.
    bodies = [
        make_transaction(category="divers", label=f"shop {i:02d}", amount=-(i + 1),
                         tags=[f"t{i:02d}"])
        for i in range(22)
    ]  # fmt: skip
    bodies += [
        make_transaction(category="divers", label="beta", amount=-10, tags=["w"]),
        make_transaction(category="divers", label="alpha", amount=-10, tags=["x"]),
        make_transaction(category="divers", label="zeta", amount=-999, exclude=True, tags=["x"]),
        make_transaction(category="divers", label="zeta", amount=999, tags=["x"]),
        make_transaction(category="autre", label="zeta", amount=-999, tags=["x"]),
    ]
    api.create_transactions(*bodies)
    details = api.ok("/dashboard/drill-down/divers", month=MONTH, level="details")
    expected_labels = [f"shop {i:02d}" for i in range(21, 9, -1)]
    expected_labels += ["alpha", "beta", "shop 09"]
    expected_labels += [f"shop {i:02d}" for i in range(8, 3, -1)]
    assert [row["label"] for row in details["by_label"]] == expected_labels
    assert details["by_label"][0] == {"label": "shop 21", "total": 22.0, "count": 1}
    assert details["by_label"][-1] == {"label": "shop 04", "total": 5.0, "count": 1}
    expected_tags = [f"t{i:02d}" for i in range(21, 9, -1)] + ["t09", "w", "x"]
    expected_tags += [f"t{i:02d}" for i in range(8, 3, -1)]
    assert [row["tag"] for row in details["by_tag"]] == expected_tags
    assert details["by_tag"][13:15] == [
        {"tag": "w", "total": 10.0, "count": 1},
        {"tag": "x", "total": 10.0, "count": 1},
    ]


def same_instant(transaction: JSON) -> JSON:
    """created_at as an instant: GET /{id} writes UTC as 'Z', listings as '+00:00'."""
    return {**transaction, "created_at": dt.datetime.fromisoformat(transaction["created_at"])}


def test_worked_drill_down_transactions(worked: Worked) -> None:
    api, tx = worked.api, worked.tx
    path = "/dashboard/drill-down/courses"
    first = api.ok(path, month=MONTH, level="transactions", limit=2)
    # courses debits not excluded, newest first: T13 (18th), T2 (10th), T1 (3rd)
    assert [item["id"] for item in first["items"]] == [tx["T13"], tx["T2"]]
    assert [same_instant(item) for item in first["items"]] == [
        same_instant(api.ok(f"/transactions/{i}")) for i in (tx["T13"], tx["T2"])
    ]
    assert first["next_cursor"]
    second = api.ok(path, month=MONTH, level="transactions", limit=2, cursor=first["next_cursor"])
    assert [item["id"] for item in second["items"]] == [tx["T1"]]
    assert second["next_cursor"] is None
    whole = api.ok(path, month=MONTH, level="transactions", sort="amount_asc")
    assert [item["id"] for item in whole["items"]] == [tx["T2"], tx["T1"], tx["T13"]]
    assert whole["next_cursor"] is None
    bad = api.get(path, month=MONTH, level="transactions", cursor="not-a-cursor")
    assert bad.status_code == 400
    assert_422(api.get(path, month=MONTH, level="everything"))
    assert_422(api.get(path, month="2025-6"))


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


# =============================================================================================
# Property: every view equals a recomputation from the inputs
# =============================================================================================

BASE = "2025-05"  # transactions fall in 2025-05, 2025-06 and 2025-07
MONTHS = ("2025-05", "2025-06", "2025-07")
TREND = ("2025-04", "2025-05", "2025-06", "2025-07", "2025-08")
_household_numbers = itertools.count()

bp = st.integers(min_value=0, max_value=10_000)
split_modes = st.sampled_from(["key", "equal", "member1", "member2", "custom"])
window_month = st.none() | st.sampled_from(TREND)

config_strategy = st.fixed_dictionaries(
    {
        "member1_name": st.sampled_from(["Alex", "Member 1", "Zoé"]),
        "member2_name": st.sampled_from(["Sam", "Member 2"]),
        "income1": st.integers(0, 10**8) | st.just(0),
        "income2": st.integers(0, 10**8) | st.just(0),
        "tax_rate1": bp | st.just(10_000),
        "tax_rate2": bp,
        "split_mode": st.sampled_from(["income", "manual"]),
        "manual_share1": bp,
    }
)
line_strategy = st.fixed_dictionaries(
    {
        "label": st.sampled_from(["Loyer", "Eau", "Box"]),
        "amount": st.integers(1, 10**7),
        "frequency": st.sampled_from(["monthly", "quarterly", "annual"]),
        "split_mode": split_modes,
        "custom_share1": bp,
        "category": st.sampled_from(["logement", "telecom"]),
        "active": st.booleans(),
    }
)
provision_strategy = st.fixed_dictionaries(
    {
        "name": st.sampled_from(["Vacances", "Auto", "Noël"]),
        "icon": st.sampled_from(["", "🏖️"]),
        "color": st.sampled_from(["#0ea5e9", "#4F46E5"]),
        "display_order": st.integers(0, 2),
        "base": st.sampled_from(["total", "member1", "member2", "fixed"]),
        "percentage": bp,
        "fixed_amount": st.integers(0, 10**7),
        "split_mode": split_modes,
        "custom_share1": bp,
        "is_active": st.booleans(),
        "window": st.tuples(window_month, window_month),
        "target_amount": st.none() | st.integers(1, 10**7),
        "current_amount": st.integers(0, 10**7),
    }
)
transaction_strategy = st.fixed_dictionaries(
    {
        "date": st.dates(min_value=dt.date(2025, 5, 1), max_value=dt.date(2025, 7, 31)),
        "amount": st.integers(-(10**6), 10**6) | st.integers(-(10**11), 10**11),
        "category": st.sampled_from(["courses", "loyer", "auto", "sante"]),
        "category_parent": st.sampled_from(["maison", "vie"]),
        "exclude": st.booleans(),
        "expense_type": st.sampled_from(["VARIABLE", "FIXED", "PROVISION"]),
    }
)


def money(value: int) -> float:
    return value / 100


def ratio4(value: Fraction) -> float:
    return round_half_up(value * 10_000) / 10_000


def oracle_key(cfg: JSON) -> Fraction:
    if cfg["split_mode"] == "manual":
        return Fraction(cfg["manual_share1"], 10_000)
    net1 = Fraction(cfg["income1"] * (10_000 - cfg["tax_rate1"]), 10_000)
    net2 = Fraction(cfg["income2"] * (10_000 - cfg["tax_rate2"]), 10_000)
    return Fraction(1, 2) if net1 + net2 == 0 else net1 / (net1 + net2)


def oracle_share(item: JSON, key: Fraction) -> Fraction:
    return {
        "key": key,
        "equal": Fraction(1, 2),
        "member1": Fraction(1),
        "member2": Fraction(0),
        "custom": Fraction(item["custom_share1"], 10_000),
    }[item["split_mode"]]


def oracle_split(amount: int, share: Fraction) -> tuple[int, int, int]:
    member1 = round_half_up(amount * share)
    return amount, member1, amount - member1


def oracle_provision_monthly(p: JSON, cfg: JSON) -> int:
    income = {
        "total": cfg["income1"] + cfg["income2"],
        "member1": cfg["income1"],
        "member2": cfg["income2"],
    }
    if p["base"] == "fixed":
        return int(p["fixed_amount"])
    return round_half_up(Fraction(income[p["base"]] * p["percentage"], 10_000))


def oracle_counted(p: JSON, month: str) -> bool:
    start, end = p["window"]
    return p["is_active"] and (start is None or start <= month) and (end is None or month <= end)


def block_numbers(parts: list[tuple[int, int, int]]) -> JSON:
    return {
        "total": money(sum(p[0] for p in parts)),
        "member1": money(sum(p[1] for p in parts)),
        "member2": money(sum(p[2] for p in parts)),
        "count": len(parts),
    }


def oracle_summary(
    month: str, cfg: JSON, lines: list[JSON], provs: list[JSON], txs: list[JSON]
) -> JSON:
    key = oracle_key(cfg)
    rows = [t for t in txs if t["date"].strftime("%Y-%m") == month]
    kept = [t for t in rows if not t["exclude"]]

    def debits(kind: str) -> list[int]:
        return [-t["amount"] for t in kept if t["amount"] < 0 and t["expense_type"] == kind]

    variable = debits("VARIABLE")
    v = oracle_split(sum(variable), key)

    active_lines = sorted(
        (ln for ln in lines if ln["active"]), key=lambda ln: (ln["label"], ln["id"])
    )
    line_parts, line_items = [], []
    for ln in active_lines:
        period = {"monthly": 1, "quarterly": 3, "annual": 12}[ln["frequency"]]
        part = oracle_split(round_half_up(Fraction(ln["amount"], period)), oracle_share(ln, key))
        line_parts.append(part)
        line_items.append(
            {"id": ln["id"], "label": ln["label"], "category": ln["category"],
             "monthly": money(part[0]), "member1": money(part[1]), "member2": money(part[2])}
        )  # fmt: skip

    counted = sorted(
        (p for p in provs if oracle_counted(p, month)),
        key=lambda p: (p["display_order"], p["name"], p["id"]),
    )
    prov_parts, prov_items = [], []
    for p in counted:
        part = oracle_split(oracle_provision_monthly(p, cfg), oracle_share(p, key))
        prov_parts.append(part)
        target = p["target_amount"]
        prov_items.append(
            {"id": p["id"], "name": p["name"], "icon": p["icon"], "color": p["color"].upper(),
             "monthly": money(part[0]), "member1": money(part[1]), "member2": money(part[2]),
             "progress": None if target is None
             else ratio4(Fraction(p["current_amount"], target))}
        )  # fmt: skip

    member1 = v[1] + sum(p[1] for p in line_parts) + sum(p[1] for p in prov_parts)
    member2 = v[2] + sum(p[2] for p in line_parts) + sum(p[2] for p in prov_parts)
    return {
        "month": month,
        "members": {"member1": cfg["member1_name"], "member2": cfg["member2_name"]},
        "key": {"member1": ratio4(key), "member2": ratio4(1 - key)},
        "variable": {**block_numbers([v]), "count": len(variable)},
        "fixed": {**block_numbers(line_parts), "lines": line_items},
        "provisions": {**block_numbers(prov_parts), "items": prov_items},
        "totals": {
            "member1": money(member1),
            "member2": money(member2),
            "grand_total": money(member1 + member2),
        },
        "actuals": {
            "income": money(sum(t["amount"] for t in kept if t["amount"] > 0)),
            "fixed_debits": money(sum(debits("FIXED"))),
            "provision_debits": money(sum(debits("PROVISION"))),
            "excluded": money(sum(abs(t["amount"]) for t in rows if t["exclude"])),
            "transactions": len(rows),
        },
    }


def oracle_hierarchy(month: str, txs: list[JSON]) -> list[JSON]:
    groups: dict[str, dict[str, list[int]]] = {}
    for t in txs:
        if t["date"].strftime("%Y-%m") == month and not t["exclude"] and t["amount"] < 0:
            cats = groups.setdefault(t["category_parent"], {})
            cats.setdefault(t["category"], []).append(-t["amount"])
    parents = []
    for parent, cats in groups.items():
        categories = sorted(
            ((sum(v), len(v), name) for name, v in cats.items()), key=lambda c: (-c[0], c[2])
        )
        parents.append(
            (sum(c[0] for c in categories), sum(c[1] for c in categories), parent, categories)
        )
    parents.sort(key=lambda p: (-p[0], p[2]))
    return [
        {"category_parent": parent, "total": money(total), "count": count,
         "categories": [{"category": name, "total": money(tot), "count": n}
                        for tot, n, name in categories]}
        for total, count, parent, categories in parents
    ]  # fmt: skip


def oracle_trends(txs: list[JSON]) -> JSON:
    months = []
    for month in TREND:
        summary = oracle_summary(month, {**ZERO_CONFIG}, [], [], txs)
        variable = cents(summary["variable"]["total"])
        actuals = {k: cents(v) for k, v in summary["actuals"].items() if k != "transactions"}
        net = actuals["income"] - variable - actuals["fixed_debits"] - actuals["provision_debits"]
        months.append(
            {"month": month, "variable": money(variable),
             "fixed_debits": money(actuals["fixed_debits"]),
             "provision_debits": money(actuals["provision_debits"]),
             "income": money(actuals["income"]), "net": money(net),
             "count": summary["actuals"]["transactions"]}
        )  # fmt: skip
    return {"months": months}


def oracle_analytics(month: str, txs: list[JSON]) -> JSON:
    groups: dict[tuple[str, str], list[int]] = {}
    for t in txs:
        if t["date"].strftime("%Y-%m") == month and not t["exclude"] and t["amount"] < 0:
            groups.setdefault((t["category"], t["expense_type"]), []).append(-t["amount"])
    ranked = sorted(groups.items(), key=lambda g: (-sum(g[1]), g[0]))
    return {
        "month": month,
        "items": [
            {"category": category, "expense_type": kind, "count": len(v), "total": money(sum(v)),
             "avg": money(round_half_up(Fraction(sum(v), len(v)))), "min": money(min(v)),
             "max": money(max(v))}
            for (category, kind), v in ranked
        ],
    }  # fmt: skip


ZERO_CONFIG = {
    "member1_name": "",
    "member2_name": "",
    "income1": 0,
    "income2": 0,
    "tax_rate1": 0,
    "tax_rate2": 0,
    "split_mode": "income",
    "manual_share1": 0,
}


def assert_member_sums(summary: JSON) -> None:
    """member1 + member2 == total for every block and item (SPEC §1)."""
    for name in ("variable", "fixed", "provisions"):
        block = summary[name]
        assert cents(block["member1"]) + cents(block["member2"]) == cents(block["total"])
    for item in summary["fixed"]["lines"] + summary["provisions"]["items"]:
        assert cents(item["member1"]) + cents(item["member2"]) == cents(item["monthly"])
    totals = summary["totals"]
    assert cents(totals["member1"]) + cents(totals["member2"]) == cents(totals["grand_total"])


@settings(
    max_examples=20,
    deadline=None,
    derandomize=True,  # the same households on every run
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    cfg=config_strategy,
    lines=st.lists(line_strategy, max_size=4),
    provs=st.lists(provision_strategy, max_size=4),
    txs=st.lists(transaction_strategy, min_size=8, max_size=60),
)
def test_views_equal_recomputation(
    client: TestClient,
    engine: Engine,
    cfg: JSON,
    lines: list[JSON],
    provs: list[JSON],
    txs: list[JSON],
) -> None:
    n = next(_household_numbers)
    api = household_api(client, engine, email=f"prop{n}@example.com", household=f"prop {n}")

    # Strategies draw cents and basis points; the API takes money and percents.
    body = {
        **cfg,
        "income1": money(cfg["income1"]),
        "income2": money(cfg["income2"]),
        "tax_rate1": cfg["tax_rate1"] / 100,
        "tax_rate2": cfg["tax_rate2"] / 100,
        "manual_share1": cfg["manual_share1"] / 100,
    }
    assert api.put("/config", body).status_code == 200

    lines = [dict(ln) for ln in lines]
    for ln in lines:
        ln["id"] = _create(
            api,
            "/fixed-lines",
            {**ln, "amount": money(ln["amount"]), "custom_share1": ln["custom_share1"] / 100},
        )
    provs = [dict(p) for p in provs]
    for p in provs:
        start, end = p["window"]
        if start is not None and end is not None and start > end:
            p["window"] = (end, start)
        request = {k: v for k, v in p.items() if k != "window"}
        request.update(
            start_month=p["window"][0],
            end_month=p["window"][1],
            percentage=p["percentage"] / 100,
            custom_share1=p["custom_share1"] / 100,
            fixed_amount=money(p["fixed_amount"]),
            current_amount=money(p["current_amount"]),
            target_amount=None if p["target_amount"] is None else money(p["target_amount"]),
        )
        p["id"] = _create(api, "/provisions", request)
    if txs:
        api.create_transactions(
            *(
                make_transaction(
                    **{**t, "date": t["date"].isoformat(), "amount": money(t["amount"])}
                )
                for t in txs
            )
        )

    for month in MONTHS:
        summary = api.ok("/dashboard/summary", month=month)
        assert summary == oracle_summary(month, cfg, lines, provs, txs)
        assert_member_sums(summary)
        slim = api.ok("/dashboard/summary/slim", month=month)
        assert slim == {
            "month": month,
            "key": summary["key"],
            **{
                name: {k: summary[name][k] for k in ("total", "member1", "member2", "count")}
                for name in ("variable", "fixed", "provisions")
            },
            "totals": summary["totals"],
        }
        assert api.ok("/transactions/hierarchy", month=month) == oracle_hierarchy(month, txs)
        assert api.ok("/analytics/categories", month=month) == oracle_analytics(month, txs)
        calculation = api.ok("/provisions/calculate", month=month)
        assert calculation == {
            "month": month,
            "items": [
                {k: item[k] for k in ("id", "name", "monthly", "member1", "member2", "progress")}
                for item in summary["provisions"]["items"]
            ],
            "totals": {
                "monthly": summary["provisions"]["total"],
                "member1": summary["provisions"]["member1"],
                "member2": summary["provisions"]["member2"],
            },
        }
    trends = api.ok("/dashboard/trends", **{"from": TREND[0], "to": TREND[-1]})
    assert trends == oracle_trends(txs)
