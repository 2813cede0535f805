"""Load demo households into a database: users, configuration, and months of rows.

The configuration, fixed lines and provisions go in through the budget services; the
rows through `services.transactions.insert_rows`, the bulk path imports use, in chunks,
with a progress bar on the console.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from sqlalchemy import Connection, Engine, select

from foyer.auth.security import hash_password
from foyer.auth.service import create_user, ensure_household
from foyer.db.engine import Database, analyze
from foyer.db.schema import household, user_account
from foyer.demo.generator import month_rows
from foyer.demo.household import config_changes, new_fixed_lines, new_provisions, profile
from foyer.months import add_months, this_month
from foyer.services import budget
from foyer.services.transactions import NewRow, insert_rows

#: Rows per insert transaction.
CHUNK = 20_000


class DemoExistsError(Exception):
    """The demo user or household is already there."""


@dataclass(frozen=True, slots=True)
class DemoSpec:
    months: int = 36
    # ~20 recurring rows (salaries, direct debits, transfers) and ~110 card payments and
    # credits: variable spending near a third of the couple's income. More rows a month
    # (the bench's sizes) keep the same prices, so spending grows with the row count.
    transactions_per_month: int = 130
    households: int = 1
    seed: int = 42
    password: str = ""
    end_month: str | None = None  # default: the current month
    first_index: int = 0  # households are "Demo", "Demo 2", …: where this load starts


def household_name(index: int) -> str:
    return "Demo" if index == 0 else f"Demo {index + 1}"


def demo_email(index: int) -> str:
    return "demo@foyer.local" if index == 0 else f"demo{index + 1}@foyer.local"


def configure_household(conn: Connection, household_id: int, end_month: str) -> None:
    """The demo couple's configuration, fixed lines and provisions, through the services."""
    budget.update_config(conn, household_id=household_id, changes=config_changes())
    for line in new_fixed_lines():
        budget.fixed_lines.create(conn, household_id=household_id, item=line)
    for item in new_provisions(end_month):
        budget.provisions.create(conn, household_id=household_id, item=item)


def load_demo(engine: Engine, spec: DemoSpec, *, console: Console | None = None) -> list[str]:
    """Create the demo households and their data; returns the demo logins (emails)."""
    console = console or Console(quiet=True)
    end_month = spec.end_month or this_month()
    start_month = add_months(end_month, -(spec.months - 1))
    indexes = range(spec.first_index, spec.first_index + spec.households)
    emails = [demo_email(i) for i in indexes]
    names = [household_name(i) for i in indexes]
    with engine.connect() as conn:
        taken = conn.execute(select(user_account.c.email).where(user_account.c.email.in_(emails)))
        existing = [row[0] for row in taken]
        found = conn.execute(select(household.c.name).where(household.c.name.in_(names))).all()
    if existing or found:
        raise DemoExistsError(
            f"demo user or household exists: {', '.join(existing) or found[0][0]}"
        )
    password_hash = hash_password(spec.password)  # hashed once: argon2 is slow on purpose
    total = spec.months * spec.transactions_per_month * spec.households
    rng = random.Random(spec.seed)  # noqa: S311 (reproducible demo data, not security)
    created_at = dt.datetime.now(dt.UTC)
    couple = profile(end_month)
    database = Database(engine)  # a command's own: no app, no commit listeners
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
        for email, name in zip(emails, names, strict=True):
            with database.unit_of_work() as conn:
                household_id = ensure_household(conn, name=name)
                create_user(
                    conn,
                    email=email,
                    password=spec.password,
                    household_name=name,
                    password_hash=password_hash,
                )
                configure_household(conn, household_id, end_month)
            rows: list[NewRow] = []
            tags: list[list[str]] = []
            for m in range(spec.months):
                month = add_months(start_month, m)
                month_data, month_tags = month_rows(
                    rng, month, spec.transactions_per_month, created_at, household=couple
                )
                rows += month_data
                tags += month_tags
                if len(rows) >= CHUNK or m == spec.months - 1:
                    with database.unit_of_work() as conn:
                        insert_rows(conn, household_id=household_id, rows=rows, tags=tags)
                    progress.advance(task, len(rows))
                    elapsed = (dt.datetime.now() - started).total_seconds() or 1e-9
                    done = progress.tasks[0].completed
                    progress.update(task, rate=f"{done / elapsed:,.0f} rows/s")
                    rows, tags = [], []
    analyze(engine)
    return emails
