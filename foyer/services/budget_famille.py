"""The Budget Famille migration's writes: one file's contents into a household, once.

`migrate_budget_famille` takes what `foyer.imports.read_budget_famille` read and writes it
inside the caller's unit of work (all or nothing) through the ordinary write paths: the
configuration with `budget.update_config`, fixed lines and provisions with
`budget.fixed_lines/provisions.create`, transactions with `transactions.insert_transactions`
(so the aggregates and the data stamps are exact at commit, as for any bulk insert), month
balances with `balances.set_balance` and category budgets with `budgets.create_budget`.

Running it again changes nothing. Each transaction carries its marker (`bf:<row_id>`) in
`import_id`, fixed lines are recognised by label and provisions by name; occurrences are
counted, as bank imports count duplicates (SPEC §8): the second of two identical old rows
is new only while the household holds fewer than two. A month's balance is recognised by
its month, a budget by its (category, month): what the household already holds is kept,
even when its amount differs (a note says so), and nothing is written for it, so no data
stamp is renewed. The configuration is the file's: it is written when it differs from the
household's, so a second run leaves it as it is.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass

from sqlalchemy import Connection, func, select

from foyer.auth.service import ensure_household
from foyer.db.schema import bank_transaction, household, month_balance
from foyer.imports.budget_famille import MARKER, BudgetFamilleData
from foyer.read.budgets import list_budgets
from foyer.services import balances, budget, budgets, transactions
from foyer.services.budget import ConfigChanges
from foyer.services.transaction_inputs import NewTransaction


@dataclass(frozen=True, slots=True)
class Counts:
    """Rows of one kind: written now, or already in the household (skipped)."""

    inserted: int = 0
    skipped: int = 0


@dataclass(frozen=True, slots=True)
class MigrationSummary:
    household_id: int
    household_created: bool
    #: True: written; False: the household already had it; None: the file has none.
    config_written: bool | None
    fixed_lines: Counts
    provisions: Counts
    transactions: Counts
    balances: Counts
    budgets: Counts
    #: What the household held that differs from the file (kept as it was).
    notes: tuple[str, ...] = ()


def migrate_budget_famille(
    conn: Connection, *, household_name: str, data: BudgetFamilleData
) -> MigrationSummary:
    """Write `data` into the household called `household_name` (created if new)."""
    existing = conn.execute(select(household.c.id).where(household.c.name == household_name))
    created = existing.scalar() is None
    household_id = ensure_household(conn, name=household_name)
    notes: list[str] = []
    return MigrationSummary(
        household_id=household_id,
        household_created=created,
        config_written=_config(conn, household_id, data),
        fixed_lines=_fixed_lines(conn, household_id, data),
        provisions=_provisions(conn, household_id, data),
        transactions=_transactions(conn, household_id, data),
        balances=_balances(conn, household_id, data, notes),
        budgets=_budgets(conn, household_id, data, notes),
        notes=tuple(notes),
    )


def new_by_occurrence(held: Counter[str], keys: Iterable[str]) -> list[bool]:
    """For each key in order, whether it is new: its n-th occurrence is new only when the
    household holds fewer than n of it."""
    seen: Counter[str] = Counter()
    verdicts = []
    for key in keys:
        seen[key] += 1
        verdicts.append(seen[key] > held[key])
    return verdicts


def _config(conn: Connection, household_id: int, data: BudgetFamilleData) -> bool | None:
    if data.config is None:
        return None
    if budget.get_config(conn, household_id=household_id) == data.config:
        return False  # unchanged: no write, no renewed stamp
    budget.update_config(
        conn, household_id=household_id, changes=ConfigChanges(**asdict(data.config))
    )
    return True


def _fixed_lines(conn: Connection, household_id: int, data: BudgetFamilleData) -> Counts:
    held = Counter(line.label for line in budget.fixed_lines.list(conn, household_id=household_id))
    verdicts = new_by_occurrence(held, (line.label for line in data.fixed_lines))
    for line, new in zip(data.fixed_lines, verdicts, strict=True):
        if new:
            item = line
            budget.fixed_lines.create(conn, household_id=household_id, item=item)
    return _counts(verdicts)


def _provisions(conn: Connection, household_id: int, data: BudgetFamilleData) -> Counts:
    held = Counter(item.name for item in budget.provisions.list(conn, household_id=household_id))
    verdicts = new_by_occurrence(held, (item.name for item in data.provisions))
    for item, new in zip(data.provisions, verdicts, strict=True):
        if new:
            budget.provisions.create(conn, household_id=household_id, item=item)
    return _counts(verdicts)


def _transactions(conn: Connection, household_id: int, data: BudgetFamilleData) -> Counts:
    t = bank_transaction
    carried = conn.execute(
        select(t.c.import_id, func.count())
        .where(t.c.household_id == household_id, t.c.import_id.like(f"{MARKER}%"))
        .group_by(t.c.import_id)
    )
    held = Counter({str(marker): int(count) for marker, count in carried})
    verdicts = new_by_occurrence(held, (row.import_id for row in data.transactions))
    items = [
        NewTransaction(
            date=row.date,
            label=row.label,
            amount_cents=row.amount_cents,
            category=row.category,
            category_parent=row.category_parent,
            account=row.account,
            exclude=row.exclude,
            expense_type=row.expense_type,
            tags=row.tags,
            import_id=row.import_id,
        )
        for row, new in zip(data.transactions, verdicts, strict=True)
        if new
    ]
    if items:
        transactions.insert_transactions(conn, household_id=household_id, items=items)
    return _counts(verdicts)


def _balances(
    conn: Connection, household_id: int, data: BudgetFamilleData, notes: list[str]
) -> Counts:
    m = month_balance
    held = {
        str(month): int(cents)
        for month, cents in conn.execute(
            select(m.c.month, m.c.account_balance_cents).where(m.c.household_id == household_id)
        )
    }
    verdicts = []
    for item in data.balances:  # one per month (the reader saw to it)
        kept = held.get(item.month)
        verdicts.append(kept is None)
        if kept is None:
            balances.set_balance(
                conn, household_id=household_id, month=item.month, cents=item.cents
            )
        elif kept != item.cents:
            notes.append(
                f"balance of {item.month}: foyer's {kept / 100:.2f} kept "
                f"(Budget Famille: {item.cents / 100:.2f})"
            )
    return _counts(verdicts)


def _budgets(
    conn: Connection, household_id: int, data: BudgetFamilleData, notes: list[str]
) -> Counts:
    held = {(b.category, b.month): b for b in list_budgets(conn, household_id=household_id)}
    verdicts = []
    for item in data.budgets:  # one per (category, month) (the reader saw to it)
        kept = held.get((item.category, item.month))
        verdicts.append(kept is None)
        if kept is None:
            new = budgets.NewBudget(
                category=item.category,
                category_parent=None,
                month=item.month,
                amount_cents=item.amount_cents,
            )
            budgets.create_budget(conn, household_id=household_id, item=new)
        elif kept.amount_cents != item.amount_cents:
            notes.append(
                f"budget {item.category!r} ({item.month or 'every month'}): foyer's "
                f"{kept.amount_cents / 100:.2f} kept (Budget Famille: "
                f"{item.amount_cents / 100:.2f})"
            )
    return _counts(verdicts)


def _counts(verdicts: Sequence[bool]) -> Counts:
    inserted = sum(verdicts)
    return Counts(inserted=inserted, skipped=len(verdicts) - inserted)
