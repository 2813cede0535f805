"""The Budget Famille migration's writes: one file's contents into a household, once.

`migrate_budget_famille` takes what `foyer.imports.read_budget_famille` read and writes it
inside the caller's unit of work (all or nothing) through the ordinary write paths: the
configuration with `budget.update_config`, fixed lines and provisions with
`budget.fixed_lines/provisions.create`, transactions with `transactions.insert_transactions`
(so the aggregates and the data stamps are exact at commit, as for any bulk insert).

Running it again changes nothing. Each transaction carries its marker (`bf:<row_id>`) in
`import_id`, fixed lines are recognised by label and provisions by name; occurrences are
counted, as bank imports count duplicates (SPEC §8): the second of two identical old rows
is new only while the household holds fewer than two. The configuration is the file's:
it is written when it differs from the household's, so a second run leaves it as it is.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass

from sqlalchemy import Connection, func, select

from foyer.auth.service import ensure_household
from foyer.db.schema import bank_transaction, household
from foyer.imports.budget_famille import MARKER, BudgetFamilleData
from foyer.services import budget, transactions
from foyer.services.budget import ConfigChanges, NewFixedLine, NewProvision
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


def migrate_budget_famille(
    conn: Connection, *, household_name: str, data: BudgetFamilleData
) -> MigrationSummary:
    """Write `data` into the household called `household_name` (created if new)."""
    existing = conn.execute(select(household.c.id).where(household.c.name == household_name))
    created = existing.scalar() is None
    household_id = ensure_household(conn, name=household_name)
    return MigrationSummary(
        household_id=household_id,
        household_created=created,
        config_written=_config(conn, household_id, data),
        fixed_lines=_fixed_lines(conn, household_id, data),
        provisions=_provisions(conn, household_id, data),
        transactions=_transactions(conn, household_id, data),
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
            item = NewFixedLine(**asdict(line))
            budget.fixed_lines.create(conn, household_id=household_id, item=item)
    return _counts(verdicts)


def _provisions(conn: Connection, household_id: int, data: BudgetFamilleData) -> Counts:
    held = Counter(item.name for item in budget.provisions.list(conn, household_id=household_id))
    verdicts = new_by_occurrence(held, (item.name for item in data.provisions))
    for item, new in zip(data.provisions, verdicts, strict=True):
        if new:
            budget.provisions.create(
                conn, household_id=household_id, item=NewProvision(**asdict(item))
            )
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


def _counts(verdicts: Sequence[bool]) -> Counts:
    inserted = sum(verdicts)
    return Counts(inserted=inserted, skipped=len(verdicts) - inserted)
