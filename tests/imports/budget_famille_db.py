"""A Budget Famille v2.3 `budget.db`, built from the facts in shared/BUDGET_FAMILLE.md.

`build_budget_famille_db(path)` writes the old app's tables (legacy columns included) with
a believable French couple's rows; the rows are the module's constants, so tests compute
what foyer should hold from them on their own. `minimal=True` builds an older file: only
the columns foyer cannot do without. Nothing binary is committed: tests build it in tmp_path.
"""

from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path
from typing import Any

# The old app's columns, as its SQLAlchemy models created them on SQLite.
SCHEMA = {
    "config": """id INTEGER PRIMARY KEY, member1 VARCHAR, member2 VARCHAR, rev1 FLOAT,
        rev2 FLOAT, tax_rate1 FLOAT, tax_rate2 FLOAT, split_mode VARCHAR, split1 FLOAT,
        split2 FLOAT, other_split_mode VARCHAR, var_percent FLOAT, max_var FLOAT,
        min_fixed FLOAT, created_at DATETIME, updated_at DATETIME, loan_equal BOOLEAN,
        loan_amount FLOAT, other_fixed_simple BOOLEAN, other_fixed_monthly FLOAT,
        taxe_fonciere_ann FLOAT, copro_montant FLOAT, copro_freq VARCHAR, vac_percent FLOAT,
        vac_base VARCHAR""",
    "transactions": """id INTEGER PRIMARY KEY, month VARCHAR, date_op DATE, label TEXT,
        category TEXT, category_parent TEXT, amount FLOAT, account_label TEXT,
        is_expense BOOLEAN, exclude BOOLEAN, expense_type VARCHAR, confidence_score FLOAT,
        row_id VARCHAR, tags TEXT, import_id VARCHAR""",
    "fixed_lines": """id INTEGER PRIMARY KEY, label VARCHAR, amount FLOAT, freq VARCHAR,
        split_mode VARCHAR, split1 FLOAT, split2 FLOAT, category VARCHAR, active BOOLEAN""",
    "custom_provisions": """id INTEGER PRIMARY KEY, name VARCHAR(100) NOT NULL,
        description VARCHAR(500), percentage FLOAT NOT NULL, base_calculation VARCHAR(20),
        fixed_amount FLOAT, split_mode VARCHAR(20), split_member1 FLOAT, split_member2 FLOAT,
        icon VARCHAR(50), color VARCHAR(7), display_order INTEGER, is_active BOOLEAN,
        is_temporary BOOLEAN, start_date DATETIME, end_date DATETIME, target_amount FLOAT,
        current_amount FLOAT, created_at DATETIME, updated_at DATETIME,
        created_by VARCHAR(100), category VARCHAR(50)""",
    "global_months": """id INTEGER PRIMARY KEY, month VARCHAR UNIQUE, account_balance FLOAT,
        budget_target FLOAT, savings_goal FLOAT, notes TEXT, is_closed BOOLEAN""",
    "category_budgets": """id INTEGER PRIMARY KEY, category VARCHAR, budget_amount FLOAT,
        month VARCHAR, is_active BOOLEAN""",
    "users": """id INTEGER PRIMARY KEY, username VARCHAR(50) UNIQUE NOT NULL,
        email VARCHAR(100), full_name VARCHAR(100), hashed_password VARCHAR(255) NOT NULL,
        is_active BOOLEAN""",
    "import_metadata": "id VARCHAR PRIMARY KEY, filename VARCHAR NOT NULL, created_at DATE",
}
#: What an old file without the later columns has (foyer's REQUIRED columns only).
MINIMAL = {
    "config": ("member1", "member2", "rev1", "rev2", "split_mode", "split1"),
    "fixed_lines": ("label", "amount", "freq", "split_mode"),
    "custom_provisions": ("name", "percentage", "base_calculation", "split_mode"),
    "transactions": ("id", "month", "date_op", "label", "amount"),
}

CONFIG: dict[str, Any] = {
    "member1": "Camille",
    "member2": "Hugo",
    "rev1": 3200.5,
    "rev2": 2450.0,
    "tax_rate1": 12.5,
    "tax_rate2": 8.0,
    "split_mode": "revenus",
    "split1": 0.5,
    "split2": 0.5,
    "other_split_mode": "clé",
    "var_percent": 30.0,
    "max_var": 0.0,
    "min_fixed": 0.0,
    "loan_equal": 1,
    "loan_amount": 0.0,
    "taxe_fonciere_ann": 1234.56,
    "copro_montant": 0.0,
    "copro_freq": "mensuelle",
    "vac_percent": 0.0,
    "vac_base": "2",
}

FIXED_LINES: list[dict[str, Any]] = [
    {"label": "Loyer", "amount": 1150.0, "freq": "mensuelle", "split_mode": "clé",
     "category": "logement"},
    {"label": "Assurance habitation", "amount": 312.48, "freq": "annuelle",
     "split_mode": "50/50", "category": "services"},
    {"label": "Taxe foncière", "amount": 1234.56, "freq": "annuelle", "split_mode": "manuel",
     "split1": 0.6, "split2": 0.4, "category": "logement"},
    {"label": "Mutuelle Camille", "amount": 45.9, "freq": "mensuelle", "split_mode": "m1",
     "category": "santé"},
    {"label": "Forfait mobile Hugo", "amount": 19.99, "freq": "mensuelle", "split_mode": "m2",
     "category": "services"},
    # Budget Famille's own sources spell "clé" double-encoded; files may hold it too.
    {"label": "Eau", "amount": 123.45, "freq": "trimestrielle", "split_mode": "clÃ©",
     "category": "services", "active": 0},
    {"label": "Ancien abonnement", "amount": 0.0, "freq": "mensuelle", "split_mode": "clé",
     "category": "loisirs"},  # costs nothing: foyer leaves it out
]  # fmt: skip

PROVISIONS: list[dict[str, Any]] = [
    {"name": "Vacances", "percentage": 5.0, "base_calculation": "total", "split_mode": "key",
     "icon": "🏖️", "color": "#0ea5e9", "display_order": 1, "target_amount": 3000.0,
     "current_amount": 450.5, "start_date": "2024-01-01 00:00:00.000000"},
    {"name": "Épargne Camille", "percentage": 10.0, "base_calculation": "member1",
     "split_mode": "100/0", "display_order": 2},
    {"name": "Épargne Hugo", "percentage": 7.5, "base_calculation": "member2",
     "split_mode": "0/100", "display_order": 3},
    {"name": "Travaux", "percentage": 0.0, "base_calculation": "fixed", "fixed_amount": 150.75,
     "split_mode": "50/50", "display_order": 4, "current_amount": 0.1 + 0.2},
    {"name": "Voiture", "percentage": 2.5, "base_calculation": "total", "split_mode": "custom",
     "split_member1": 70.0, "split_member2": 30.0, "is_temporary": 1,
     "start_date": "2024-03-01 00:00:00", "end_date": "2024-12-31 23:59:59",
     "target_amount": 0.0, "color": "blue", "description": "Changer la Clio"},
]  # fmt: skip


def _row_id(date: str | None, label: str, amount: float) -> str:
    return hashlib.sha256(f"{date}|{label}|{amount}".encode()).hexdigest()


def _tx(
    id_: int, month: str, date: str | None, label: str, amount: float, **extra: Any
) -> dict[str, Any]:
    row = {
        "id": id_, "month": month, "date_op": date, "label": label, "amount": amount,
        "category": "Courses", "category_parent": "Alimentation",
        "account_label": "Compte joint", "is_expense": int(amount < 0), "exclude": 0,
        "expense_type": "VARIABLE", "row_id": _row_id(date, label, amount), "tags": "",
        "import_id": "0b6a4f8e-8c1d-4a55-9f1e-3c2d1e0f9a7b", "confidence_score": 0.92,
    }  # fmt: skip
    row.update(extra)
    return row


TRANSACTIONS: list[dict[str, Any]] = [
    _tx(1, "2024-01", "2024-01-02", "VIR SALAIRE CAMILLE", 2845.67, category="Salaire",
        category_parent="Revenus", expense_type=None),
    _tx(2, "2024-01", "2024-01-03", "CB CARREFOUR MARKET", -87.45, tags="courses,famille"),
    _tx(3, "2024-01", "2024-01-04", "CB BOULANGERIE PAUL", -12.3, tags=" pain , ,pain,petit-déj "),
    _tx(4, "2024-01", "2024-01-05", "PRLV LOYER JANVIER", -1150.0, category="Loyer",
        category_parent="Logement", expense_type="FIXED"),
    _tx(5, "2024-01", "2024-01-06", "REMBOURSEMENT AMELI", 0.1 + 0.2, category="Santé",
        category_parent="Santé"),
    _tx(6, "2024-01", "2024-01-08", "PRLV NETFLIX", -19.99, category="Abonnements",
        category_parent="Loisirs", expense_type="Variable"),
    _tx(7, "2024-01", "2024-01-10", "CB PHARMACIE", -1.005, category="Pharmacie",
        category_parent="Santé"),
    _tx(8, "2024-01", "2024-01-12", "CB PEAGE A7", -2.675, category="Péage",
        category_parent="Transport"),
    _tx(9, "2024-01", "2024-01-15", "VIR EPARGNE VACANCES", -200.0, category="Épargne",
        category_parent="Épargne", expense_type="PROVISION"),
    _tx(10, "2024-01", "2024-01-20", "VIR INTERNE LIVRET A", -500.0, exclude=1,
        category="Virement", category_parent="Virements"),
    _tx(11, "2024-01", "2024-01-21", "CAFE DE LA GARE", -2.4, category="Restaurants",
        category_parent="Sorties"),
    _tx(12, "2024-01", "2024-01-21", "CAFE DE LA GARE", -2.4, category="Restaurants",
        category_parent="Sorties"),  # the same coffee twice: the same row_id
    _tx(13, "2024-02", None, "FRAIS TENUE DE COMPTE", -4.5, category="Banque",
        category_parent="Banque"),  # no date: the first of its month
    _tx(14, "2024-02", "2024-01-31", "CB AMAZON", -1234.56, category="Équipement",
        category_parent="Maison", row_id=None),  # no row_id; month not its date's
    _tx(15, "2024-02", "2024-02-05", "VIR SALAIRE HUGO", 2210.1, category="Salaire",
        category_parent="Revenus", account_label=None),
    _tx(16, "2024-02", "2024-02-07", "CB LECLERC DRIVE", -143.87, tags="courses",
        category=None, category_parent=""),
]  # fmt: skip

GLOBAL_MONTHS: list[dict[str, Any]] = [
    {"month": "2024-01", "account_balance": 1523.4, "notes": "janvier"},
    {"month": "2024-02", "account_balance": 987.65},
    {"month": "2024-03", "account_balance": -(0.1 + 0.2)},  # overdrawn: -0.30000000000000004
    {"month": "2024-04", "account_balance": None, "budget_target": 2500.0},  # no balance
]
#: The months foyer gets a balance for (those with one).
BALANCES = [row for row in GLOBAL_MONTHS if row["account_balance"] is not None]
CATEGORY_BUDGETS: list[dict[str, Any]] = [
    {"category": "Courses", "budget_amount": 600.0, "month": None, "is_active": 1},
    # February's own budget for Courses: it wins over the default that month.
    {"category": "Courses", "budget_amount": 650.5, "month": "2024-02", "is_active": 1},
    {"category": "Restaurants", "budget_amount": 120.0, "month": "2024-02", "is_active": 1},
    {"category": "Loisirs", "budget_amount": 80.0, "month": None, "is_active": 0},  # inactive
    # Budget Famille saved budget categories lower-cased; the transactions say "Pharmacie".
    {"category": "pharmacie", "budget_amount": 19.99, "month": None, "is_active": None},
    {"category": "Cadeaux", "budget_amount": 0.0, "month": None, "is_active": 1},  # nothing
]
#: The budgets foyer gets: (category as the transactions spell it, month, amount float).
BUDGETS = [
    ("Courses", None, 600.0),
    ("Courses", "2024-02", 650.5),
    ("Restaurants", "2024-02", 120.0),
    ("Pharmacie", None, 19.99),
]
USERS = [
    {"username": "camille", "email": "camille@example.fr", "hashed_password": "$2b$12$x"},
    {"username": "hugo", "email": "hugo@example.fr", "hashed_password": "$2b$12$y"},
]


def _insert(conn: sqlite3.Connection, table: str, row: dict[str, Any], columns: set[str]) -> None:
    kept = {name: value for name, value in row.items() if name in columns}
    names = ", ".join(kept)
    marks = ", ".join("?" * len(kept))
    conn.execute(f"INSERT INTO {table} ({names}) VALUES ({marks})", tuple(kept.values()))


def build_budget_famille_db(path: Path, *, minimal: bool = False) -> Path:
    """Write the fixture's budget.db at `path` (its tables, then its rows); `path`."""
    conn = sqlite3.connect(path)
    try:
        columns: dict[str, set[str]] = {}
        for table, full in SCHEMA.items():
            if minimal and table not in MINIMAL:
                continue
            ddl = full
            if minimal:
                ddl = ", ".join(
                    f"{name} {'INTEGER PRIMARY KEY' if name == 'id' else ''}"
                    for name in MINIMAL[table]
                )
            conn.execute(f"CREATE TABLE {table} ({ddl})")
            columns[table] = {r[1] for r in conn.execute(f"PRAGMA table_info({table})")}
        contents = {
            "config": [CONFIG],
            "fixed_lines": FIXED_LINES,
            "custom_provisions": PROVISIONS,
            "transactions": TRANSACTIONS,
            "global_months": GLOBAL_MONTHS,
            "category_budgets": CATEGORY_BUDGETS,
            "users": USERS,
        }
        for table, rows in contents.items():
            for row in rows:
                if table in columns:
                    _insert(conn, table, row, columns[table])
        conn.commit()
    finally:
        conn.close()
    return path


def change(path: Path, sql: str, *params: Any) -> None:
    """Damage or vary a built file (a test's own case)."""
    conn = sqlite3.connect(path)
    try:
        conn.execute(sql, params)
        conn.commit()
    finally:
        conn.close()
