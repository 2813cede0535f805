"""Demo households with realistic French-bank-like data, bulk-loaded fast.

One household gets: a configuration with two incomes and tax rates, 12 fixed lines (all
three frequencies, several split modes), 6 provisions (every base and split mode, targets,
date windows) and `transactions_per_month` rows per month ending this month: salaries,
rent and direct debits, card payments across categories, ~5 % excluded internal transfers.
Rows go in through `services.transactions.insert_rows`, the same bulk path imports use.
"""

from __future__ import annotations

import bisect
import datetime as dt
import itertools
import random
from dataclasses import dataclass
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from sqlalchemy import Engine, select

from foyer.auth.security import hash_password
from foyer.auth.service import create_user, ensure_household
from foyer.db.engine import analyze, unit_of_work
from foyer.db.schema import household, user_account
from foyer.months import add_months, month_bounds, this_month
from foyer.schemas.budget_items import FixedLineCreate, ProvisionCreate
from foyer.schemas.config import ConfigUpdate
from foyer.services import budget
from foyer.services.transactions import NewRow, insert_rows

CHUNK = 20_000


class DemoExistsError(Exception):
    """The demo user or household is already there."""


@dataclass(frozen=True, slots=True)
class DemoSpec:
    months: int = 36
    transactions_per_month: int = 300
    households: int = 1
    seed: int = 42
    password: str = ""
    end_month: str | None = None  # default: the current month
    first_index: int = 0  # households are "Demo", "Demo 2", …: where this load starts


# (parent, category, label templates, min euros, max euros, weight, tags)
VARIABLE_SPENDING: list[tuple[str, str, list[str], float, float, int, list[str]]] = [
    (
        "alimentation",
        "courses",
        ["CB CARREFOUR", "CB LECLERC", "CB MONOPRIX", "CB LIDL", "CB INTERMARCHE", "CB PICARD"],
        12,
        180,
        30,
        ["courses"],
    ),
    (
        "alimentation",
        "restaurant",
        ["CB LE PETIT BISTROT", "CB SUSHI SHOP", "CB BRASSERIE DU PORT", "CB PIZZA NAPOLI"],
        14,
        95,
        10,
        ["sortie", "weekend"],
    ),
    ("alimentation", "boulangerie", ["CB BOULANGERIE PAUL", "CB MAISON KAYSER"], 2, 18, 10, []),
    (
        "transport",
        "carburant",
        ["CB TOTAL ENERGIES", "CB ESSO", "CB INTERMARCHE STATION"],
        35,
        90,
        6,
        ["voiture"],
    ),
    ("transport", "péage", ["CB VINCI AUTOROUTES", "CB SANEF"], 3, 40, 2, ["voiture"]),
    ("transport", "train", ["CB SNCF CONNECT", "CB OUIGO"], 19, 160, 2, ["vacances"]),
    ("transport", "parking", ["CB INDIGO PARKING", "CB EFFIA"], 2, 25, 3, []),
    (
        "logement",
        "bricolage",
        ["CB LEROY MERLIN", "CB CASTORAMA", "CB IKEA"],
        8,
        320,
        3,
        ["maison"],
    ),
    ("loisirs", "cinéma", ["CB UGC CINE CITE", "CB PATHE"], 9, 32, 3, ["sortie"]),
    ("loisirs", "sport", ["CB DECATHLON", "CB INTERSPORT"], 10, 140, 2, []),
    (
        "loisirs",
        "voyages",
        ["CB AIRBNB", "CB BOOKING.COM", "CB AIR FRANCE"],
        60,
        900,
        1,
        ["vacances"],
    ),
    ("loisirs", "livres", ["CB FNAC", "CB CULTURA"], 8, 60, 2, ["cadeau"]),
    ("santé", "pharmacie", ["CB PHARMACIE DU CENTRE", "CB PHARMACIE DE LA GARE"], 4, 45, 4, []),
    ("santé", "médecin", ["CB DR MARTIN", "CB CABINET DENTAIRE"], 25, 120, 2, ["remboursable"]),
    ("shopping", "vêtements", ["CB ZARA", "CB H&M", "CB UNIQLO", "CB KIABI"], 15, 150, 4, []),
    ("shopping", "high-tech", ["CB AMAZON EU", "CB DARTY", "CB BOULANGER"], 10, 700, 2, []),
    (
        "enfants",
        "école",
        ["CB CANTINE SCOLAIRE", "PRLV SEPA PERISCOLAIRE"],
        20,
        140,
        2,
        ["enfants"],
    ),
    ("enfants", "jouets", ["CB KING JOUET", "CB LA GRANDE RECRE"], 10, 80, 1, ["enfants"]),
]
_WEIGHTS = [row[5] for row in VARIABLE_SPENDING]

# Monthly recurring rows: (parent, category, label, euros, expense_type, account)
RECURRING: list[tuple[str, str, str, float, str, str]] = [
    ("revenus", "salaire", "VIR SEPA SALAIRE ACME SAS", 2720.0, "VARIABLE", "camille"),
    ("revenus", "salaire", "VIR SEPA SALAIRE GLOBEX", 2184.0, "VARIABLE", "hugo"),
    ("logement", "loyer", "PRLV SEPA FONCIA LOYER", -1150.0, "FIXED", "joint"),
    ("logement", "énergie", "PRLV SEPA EDF", -95.0, "FIXED", "joint"),
    ("logement", "internet", "PRLV SEPA FREE TELECOM", -39.99, "FIXED", "joint"),
    ("santé", "mutuelle", "PRLV SEPA HARMONIE MUTUELLE", -95.0, "FIXED", "joint"),
    ("loisirs", "abonnements", "PRLV SEPA NETFLIX.COM", -13.49, "FIXED", "joint"),
    ("épargne", "vacances", "VIR SEPA LIVRET A VACANCES", -245.0, "PROVISION", "joint"),
    ("épargne", "voiture", "VIR SEPA LIVRET VOITURE", -150.0, "PROVISION", "joint"),
]


def _config() -> dict[str, Any]:
    return {
        "member1_name": "Camille",
        "member2_name": "Hugo",
        "income1": 3400,
        "income2": 2600,
        "tax_rate1": 14.5,
        "tax_rate2": 11,
        "split_mode": "income",
        "manual_share1": 50,
    }


def _fixed_lines() -> list[dict[str, Any]]:
    def line(
        label: str, amount: float, freq: str, mode: str, cat: str, **kw: Any
    ) -> dict[str, Any]:
        return {
            "label": label,
            "amount": amount,
            "frequency": freq,
            "split_mode": mode,
            "custom_share1": kw.get("custom"),
            "category": cat,
            "active": kw.get("active", True),
        }

    return [
        line("Loyer", 1150, "monthly", "key", "logement"),
        line("Électricité EDF", 95, "monthly", "key", "logement"),
        line("Internet Free", 39.99, "monthly", "equal", "logement"),
        line("Eau", 90, "quarterly", "equal", "logement"),
        line("Taxe foncière", 1200, "annual", "key", "logement"),
        line("Assurance habitation", 264, "annual", "key", "logement"),
        line("Assurance auto", 540, "annual", "member2", "transport"),
        line("Mutuelle", 95, "monthly", "custom", "santé", custom=60),
        line("Téléphone Camille", 15.99, "monthly", "member1", "télécom"),
        line("Téléphone Hugo", 19.99, "monthly", "member2", "télécom"),
        line("Netflix", 13.49, "monthly", "equal", "loisirs"),
        line("Salle de sport", 35, "monthly", "member1", "loisirs", active=False),
    ]


def _provisions(end_month: str) -> list[dict[str, Any]]:
    def prov(name: str, icon: str, color: str, order: int, base: str, **kw: Any) -> dict[str, Any]:
        return {
            "name": name,
            "icon": icon,
            "color": color,
            "display_order": order,
            "base": base,
            "percentage": kw.get("pct", 0),
            "fixed_amount": kw.get("fixed", 0),
            "split_mode": kw.get("mode", "key"),
            "custom_share1": kw.get("custom"),
            "is_active": kw.get("active", True),
            "start_month": kw.get("start"),
            "end_month": kw.get("end"),
            "target_amount": kw.get("target"),
            "current_amount": kw.get("current", 0),
        }

    return [
        prov("Vacances", "🏖️", "#0EA5E9", 1, "total", pct=4, target=3000, current=1240),
        prov(
            "Voiture",
            "🚗",
            "#F97316",
            2,
            "fixed",
            fixed=150,
            mode="equal",
            target=8000,
            current=2150,
        ),
        prov("Épargne Camille", "💶", "#22C55E", 3, "member1", pct=10, mode="member1"),
        prov("Épargne Hugo", "💷", "#16A34A", 4, "member2", pct=8, mode="member2"),
        prov(
            "Cadeaux de Noël",
            "🎁",
            "#DC2626",
            5,
            "fixed",
            fixed=60,
            mode="custom",
            custom=55,
            start=add_months(end_month, -2),
            end=add_months(end_month, 1),
        ),
        prov(
            "Travaux cuisine",
            "🔨",
            "#A855F7",
            6,
            "total",
            pct=2.5,
            mode="key",
            start=add_months(end_month, -18),
            end=add_months(end_month, -6),
            target=5000,
            current=5000,
        ),
    ]


def _cents(euros: float) -> int:
    return round(euros * 100)


_CUMULATIVE = list(itertools.accumulate(_WEIGHTS))
_ACCOUNTS = ("joint", "joint", "camille", "hugo")
_TRANSFERS = (10_000, 20_000, 25_000, 30_000, 50_000)


def month_rows(
    rng: random.Random, month: str, count: int, created_at: dt.datetime
) -> tuple[list[NewRow], list[list[str]]]:
    """`count` transactions of one month: recurring rows first, then card spending.

    Written for speed (a million rows must generate in seconds): plain tuples, one
    random draw per decision, cumulative weights searched with bisect.
    """
    first, after = month_bounds(month)
    days = [first + dt.timedelta(days=d) for d in range((after - first).days)]
    rows: list[NewRow] = []
    tags: list[list[str]] = []
    for i, (parent, cat, label, euros, etype, account) in enumerate(RECURRING[:count]):
        rows.append(
            (
                days[i % 5],
                month,
                label,
                _cents(euros),
                cat,
                parent,
                account,
                False,
                etype,
                None,
                created_at,
            )
        )
        tags.append([])
    random_ = rng.random
    total_weight = _CUMULATIVE[-1]
    n_days = len(days)
    for _ in range(count - len(rows)):
        roll = random_()
        day = days[int(random_() * n_days)]
        if roll < 0.05:  # internal transfers between the couple's accounts: excluded
            amount = _TRANSFERS[int(random_() * len(_TRANSFERS))]
            rows.append(
                (
                    day,
                    month,
                    "VIR INTERNE COMPTE JOINT",
                    -amount,
                    "virements",
                    "virements",
                    "joint",
                    True,
                    "VARIABLE",
                    None,
                    created_at,
                )
            )
            tags.append([])
        elif roll < 0.07:  # refunds and small credits
            rows.append(
                (
                    day,
                    month,
                    "VIR CPAM REMBOURSEMENT",
                    500 + int(random_() * 5500),
                    "remboursements",
                    "revenus",
                    "joint",
                    False,
                    "VARIABLE",
                    None,
                    created_at,
                )
            )
            tags.append(["remboursable"])
        else:
            spend = VARIABLE_SPENDING[bisect.bisect(_CUMULATIVE, random_() * total_weight)]
            parent, cat, labels, low, high, _w, cat_tags = spend
            label = f"{labels[int(random_() * len(labels))]} {day.day:02d}/{day.month:02d}"
            amount = int((low + (high - low) * random_()) * 100)
            rows.append(
                (
                    day,
                    month,
                    label,
                    -amount,
                    cat,
                    parent,
                    _ACCOUNTS[int(random_() * 4)],
                    False,
                    "VARIABLE",
                    None,
                    created_at,
                )
            )
            tags.append(
                [cat_tags[int(random_() * len(cat_tags))]] if cat_tags and random_() < 0.6 else []
            )
    return rows, tags


def _household_name(index: int) -> str:
    return "Demo" if index == 0 else f"Demo {index + 1}"


def _email(index: int) -> str:
    return "demo@foyer.local" if index == 0 else f"demo{index + 1}@foyer.local"


def load_demo(engine: Engine, spec: DemoSpec, *, console: Console | None = None) -> list[str]:
    """Create the demo households and their data; returns the demo logins (emails)."""
    console = console or Console(quiet=True)
    end_month = spec.end_month or this_month()
    start_month = add_months(end_month, -(spec.months - 1))
    indexes = range(spec.first_index, spec.first_index + spec.households)
    emails = [_email(i) for i in indexes]
    with engine.connect() as conn:
        taken = conn.execute(select(user_account.c.email).where(user_account.c.email.in_(emails)))
        existing = [row[0] for row in taken]
        names = [_household_name(i) for i in indexes]
        found = conn.execute(select(household.c.name).where(household.c.name.in_(names))).all()
    if existing or found:
        raise DemoExistsError(
            f"demo user or household exists: {', '.join(existing) or found[0][0]}"
        )
    password_hash = hash_password(spec.password)  # hashed once: argon2 is slow on purpose
    total = spec.months * spec.transactions_per_month * spec.households
    rng = random.Random(spec.seed)
    created_at = dt.datetime.now(dt.UTC)
    progress = Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[rate]}"),
        TimeRemainingColumn(),
        console=console,
    )
    with progress:
        task = progress.add_task("demo transactions", total=total, rate="")
        started = dt.datetime.now()
        for index, email in zip(indexes, emails, strict=True):
            with unit_of_work(engine) as conn:
                household_id = ensure_household(conn, name=_household_name(index))
                create_user(
                    conn,
                    email=email,
                    password=spec.password,
                    household_name=_household_name(index),
                    password_hash=password_hash,
                )
                config = ConfigUpdate.model_validate(_config()).model_dump()
                budget.update_config(conn, household_id=household_id, changes=config)
                # Through the API's own schemas: demo data obeys every rule user data does.
                for line in _fixed_lines():
                    data = FixedLineCreate.model_validate(line).model_dump()
                    budget.fixed_lines.create(conn, household_id=household_id, data=data)
                for prov in _provisions(end_month):
                    data = ProvisionCreate.model_validate(prov).model_dump()
                    budget.provisions.create(conn, household_id=household_id, data=data)
            rows: list[NewRow] = []
            tags: list[list[str]] = []
            for m in range(spec.months):
                month_data, month_tags = month_rows(
                    rng, add_months(start_month, m), spec.transactions_per_month, created_at
                )
                rows += month_data
                tags += month_tags
                if len(rows) >= CHUNK or m == spec.months - 1:
                    with unit_of_work(engine) as conn:
                        insert_rows(conn, household_id=household_id, rows=rows, tags=tags)
                    progress.advance(task, len(rows))
                    elapsed = (dt.datetime.now() - started).total_seconds() or 1e-9
                    done = progress.tasks[0].completed
                    progress.update(task, rate=f"{done / elapsed:,.0f} rows/s")
                    rows, tags = [], []
    analyze(engine)
    return emails
