"""Read a Budget Famille v2.3 `budget.db` into foyer's vocabulary and cents (SPEC §8).

`read_budget_famille(path)` opens the old app's SQLite file read-only and answers a
`BudgetFamilleData`: the household configuration, fixed lines, provisions and transactions
already in foyer's words and integer cents, plus how many rows of the tables foyer does not
take yet, and notes on what changes meaning on the way. Nothing is written anywhere: the
writes are `foyer.services.budget_famille`'s. The column facts come from
thomy03/BUDGET-APP `backend/models/database.py`; conversions of single cells are in
`foyer.imports.budget_famille_values`.
"""

from __future__ import annotations

import sqlite3
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

from foyer.domain.model import HouseholdConfig
from foyer.imports import budget_famille_rows as rows
from foyer.imports.budget_famille_rows import MARKER, FixedLineRow, ProvisionRow, TransactionRow
from foyer.imports.budget_famille_values import BudgetFamilleError

__all__ = [
    "LATER",
    "MARKER",
    "BudgetFamilleData",
    "BudgetFamilleError",
    "FixedLineRow",
    "ProvisionRow",
    "TransactionRow",
    "read_budget_famille",
]

#: The tables a v2.3 file has, with the columns foyer cannot do without.
REQUIRED: dict[str, tuple[str, ...]] = {
    "config": ("member1", "member2", "rev1", "rev2", "split_mode", "split1"),
    "fixed_lines": ("label", "amount", "freq", "split_mode"),
    "custom_provisions": ("name", "percentage", "base_calculation", "split_mode"),
    "transactions": ("id", "month", "date_op", "label", "amount"),
}
#: Columns read when present (later v2.x releases added them), defaults otherwise.
OPTIONAL: dict[str, tuple[str, ...]] = {
    "config": ("tax_rate1", "tax_rate2", "other_split_mode"),
    "fixed_lines": ("split1", "category", "active"),
    "custom_provisions": (
        *("fixed_amount", "split_member1", "icon", "color", "display_order", "is_active"),
        *("start_date", "end_date", "target_amount", "current_amount"),
    ),
    "transactions": (
        *("category", "category_parent", "account_label", "exclude", "expense_type"),
        *("row_id", "tags"),
    ),
}
#: Budget Famille tables foyer cannot take yet (it has no balances or budgets: SPEC §12),
#: with what they hold.
LATER: dict[str, str] = {
    "global_months": "monthly balances",
    "category_budgets": "category budgets",
}
#: Tables foyer counts but never migrates: rows of LATER, and users (partners sign up anew).
LEFT_BEHIND = (*LATER, "users")


@dataclass(frozen=True, slots=True)
class BudgetFamilleData:
    """Everything foyer takes from one file, in foyer's terms."""

    config: HouseholdConfig | None  # None: the file has no configuration row
    #: Member 1's share of the key as Budget Famille computed it (gross incomes).
    legacy_key1: Fraction | None
    fixed_lines: tuple[FixedLineRow, ...]
    provisions: tuple[ProvisionRow, ...]
    transactions: tuple[TransactionRow, ...]
    #: Rows of the tables foyer does not migrate (LEFT_BEHIND), by table, when present.
    left_behind: dict[str, int] = field(default_factory=dict)
    notes: tuple[str, ...] = ()


def read_budget_famille(path: Path | str) -> BudgetFamilleData:
    """The file's contents in foyer's terms; `BudgetFamilleError` if it is not one."""
    source = Path(path)
    if not source.is_file():
        raise BudgetFamilleError(f"{source}: no such file")
    # mode=ro: the old app's file is never changed, not even its journal.
    uri = f"{source.resolve().as_uri()}?mode=ro"
    try:
        conn = sqlite3.connect(uri, uri=True)
    except sqlite3.Error as exc:
        raise BudgetFamilleError(f"{source}: cannot open ({exc})") from None
    try:
        conn.row_factory = sqlite3.Row
        return _read(conn, source)
    except sqlite3.DatabaseError as exc:  # e.g. "file is not a database"
        raise BudgetFamilleError(f"{source}: not a Budget Famille database ({exc})") from None
    finally:
        conn.close()


def _read(conn: sqlite3.Connection, source: Path) -> BudgetFamilleData:
    columns = _columns(conn)
    for table, needed in REQUIRED.items():
        if table not in columns:
            raise BudgetFamilleError(
                f"{source}: not a Budget Famille database (no {table!r} table)"
            )
        missing = [name for name in needed if name not in columns[table]]
        if missing:
            raise BudgetFamilleError(
                f"{source}: not a Budget Famille database "
                f"({table!r} has no column {', '.join(map(repr, missing))})"
            )
    notes: list[str] = []
    configs = list(_rows(conn, "config", columns["config"]))
    config, legacy_key1 = (None, None) if not configs else rows.config_from(configs[0], notes)
    if len(configs) > 1:
        notes.append(f"the file has {len(configs)} configuration rows; the first was used")
    fixed_lines = tuple(
        line
        for row in _rows(conn, "fixed_lines", columns["fixed_lines"])
        if (line := rows.fixed_line_from(row, notes)) is not None
    )
    provisions = tuple(
        rows.provision_from(row)
        for row in _rows(conn, "custom_provisions", columns["custom_provisions"])
    )
    moved: Counter[str] = Counter()
    transactions = tuple(
        rows.transaction_from(row, moved)
        for row in _rows(conn, "transactions", columns["transactions"])
    )
    if moved:
        notes.append(
            f"transactions whose month was not their date's: {sum(moved.values())}; "
            "foyer files them under their date"
        )
    left_behind = {
        table: int(conn.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0])  # noqa: S608 (fixed names)
        for table in LEFT_BEHIND
        if table in columns
    }
    return BudgetFamilleData(
        config, legacy_key1, fixed_lines, provisions, transactions, left_behind, tuple(notes)
    )


def _columns(conn: sqlite3.Connection) -> dict[str, set[str]]:
    tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
    return {
        table: {r[1] for r in conn.execute("SELECT * FROM pragma_table_info(?)", (table,))}
        for table in tables
    }


def _rows(conn: sqlite3.Connection, table: str, present: set[str]) -> Iterator[dict[str, Any]]:
    """Every row of `table` as a dict of the columns foyer reads (None where absent)."""
    wanted = [*REQUIRED[table], *OPTIONAL[table]]
    selected = ", ".join(f'"{name}"' for name in wanted if name in present)
    query = f'SELECT rowid AS "_rowid", {selected} FROM "{table}" ORDER BY rowid'  # noqa: S608
    for row in conn.execute(query):
        values = dict.fromkeys(wanted)
        values.update(dict(row))
        yield values
