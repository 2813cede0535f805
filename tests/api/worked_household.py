"""One household worked out on paper (the comments show the arithmetic): the fixture of
the tests/api/test_dashboard_*.py modules, which assert every view of it exactly.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tests.factories import Api, make_fixed_line, make_provision, make_transaction
from tests.helpers import JSON

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


def build_worked(api: Api) -> Worked:
    """The household of the comments above, through the API of `api`'s household."""
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
    lines = {label: api.create("/fixed-lines", body) for label, body in line_bodies.items()}
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
    provisions = {name: api.create("/provisions", body) for name, body in provision_bodies.items()}

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
