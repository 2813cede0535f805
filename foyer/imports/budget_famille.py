"""Read a Budget Famille v2.3 `budget.db` into foyer's vocabulary and cents (SPEC §8).

`read_budget_famille(path)` opens the old app's SQLite file read-only and answers a
`BudgetFamilleData`: the household configuration, fixed lines, provisions, transactions,
month balances and category budgets already in foyer's words and integer cents, plus how
many rows of the tables foyer does not take (users), and notes on what changes meaning or
is left out on the way. Nothing is written anywhere: the writes are
`foyer.services.budget_famille`'s. The column facts come from
thomy03/BUDGET-APP `backend/models/database.py`; conversions of single cells are in
`foyer.imports.budget_famille_values`.
"""

from __future__ import annotations

import sqlite3
from collections import Counter
from collections.abc import Callable, Hashable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from fractions import Fraction
from pathlib import Path
from typing import Any, TypeVar

from foyer.domain.model import HouseholdConfig
from foyer.imports import budget_famille_rows as rows
from foyer.imports.budget_famille_rows import (
    MARKER,
    BalanceRow,
    BudgetRow,
    FixedLineRow,
    ProvisionRow,
    TransactionRow,
)
from foyer.imports.budget_famille_values import BudgetFamilleError

T = TypeVar("T")

__all__ = [
    "MARKER",
    "BalanceRow",
    "BudgetFamilleData",
    "BudgetFamilleError",
    "BudgetRow",
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
    "global_months": ("month", "account_balance"),
    "category_budgets": ("category", "budget_amount"),
}
#: Tables of REQUIRED a file may lack (an older release's), with what they hold: nothing of
#: theirs is migrated then, and a note says so. Present, they need their columns.
MAY_BE_ABSENT: dict[str, str] = {
    "global_months": "monthly balances",
    "category_budgets": "category budgets",
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
    "global_months": (),
    # Without a month column every budget is a default (every month); without is_active,
    # every budget is active.
    "category_budgets": ("month", "is_active"),
}
#: Tables foyer counts but never migrates: users (partners sign up anew).
LEFT_BEHIND = ("users",)


@dataclass(frozen=True, slots=True)
class BudgetFamilleData:
    """Everything foyer takes from one file, in foyer's terms."""

    config: HouseholdConfig | None  # None: the file has no configuration row
    #: Member 1's share of the key as Budget Famille computed it (gross incomes).
    legacy_key1: Fraction | None
    fixed_lines: tuple[FixedLineRow, ...]
    provisions: tuple[ProvisionRow, ...]
    transactions: tuple[TransactionRow, ...]
    #: The joint account's balance per month (rows without one left out), one per month.
    balances: tuple[BalanceRow, ...] = ()
    #: Active budgets of amount > 0, one per (category, month).
    budgets: tuple[BudgetRow, ...] = ()
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
    notes: list[str] = []
    for table, needed in REQUIRED.items():
        if table not in columns:
            if table in MAY_BE_ABSENT:
                notes.append(
                    f"the file has no {table} table (an older Budget Famille): "
                    f"no {MAY_BE_ABSENT[table]} to migrate"
                )
                continue
            raise BudgetFamilleError(
                f"{source}: not a Budget Famille database (no {table!r} table)"
            )
        missing = [name for name in needed if name not in columns[table]]
        if missing:
            raise BudgetFamilleError(
                f"{source}: not a Budget Famille database "
                f"({table!r} has no column {', '.join(map(repr, missing))})"
            )
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
    balances = _balances(conn, columns, notes)
    budgets = _budgets(conn, columns, transactions, notes)
    left_behind = {
        table: int(conn.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0])  # noqa: S608 (fixed names)
        for table in LEFT_BEHIND
        if table in columns
    }
    return BudgetFamilleData(
        config=config,
        legacy_key1=legacy_key1,
        fixed_lines=fixed_lines,
        provisions=provisions,
        transactions=transactions,
        balances=balances,
        budgets=budgets,
        left_behind=left_behind,
        notes=tuple(notes),
    )


def _balances(
    conn: sqlite3.Connection, columns: dict[str, set[str]], notes: list[str]
) -> tuple[BalanceRow, ...]:
    if "global_months" not in columns:
        return ()
    found: list[tuple[int, BalanceRow]] = []
    empty = 0
    for row in _rows(conn, "global_months", columns["global_months"]):
        balance = rows.balance_from(row)
        if balance is None:
            empty += 1
        else:
            found.append((row["_rowid"], balance))
    if empty:
        notes.append(f"months without a balance (global_months): {empty}; nothing to migrate")
    return _last_wins(
        found,
        key=lambda b: b.month,
        what=lambda b: f"balances for {b.month}",
        amount=lambda b: b.cents,
        table="global_months",
        notes=notes,
    )


def _budgets(
    conn: sqlite3.Connection,
    columns: dict[str, set[str]],
    transactions: Iterable[TransactionRow],
    notes: list[str],
) -> tuple[BudgetRow, ...]:
    if "category_budgets" not in columns:
        return ()
    inactive: Counter[str] = Counter()
    found = [
        (row["_rowid"], budget)
        for row in _rows(conn, "category_budgets", columns["category_budgets"])
        if (budget := rows.budget_from(row, notes, inactive)) is not None
    ]
    if inactive:
        notes.append(
            f"inactive category budgets not migrated: {sum(inactive.values())} "
            f"({', '.join(map(repr, sorted(inactive)))}); Budget Famille no longer applied them"
        )
    # Budget Famille saved a budget's category lower-cased ("courses") and kept the
    # transactions' as the bank spelled them ("Courses"); foyer matches a budget to its
    # category exactly, so a budget takes the file's transactions' spelling of its category.
    spelling = _spellings(transactions)
    respelled: dict[str, str] = {}
    for i, (rowid, budget) in enumerate(found):
        wanted = spelling.get(budget.category.casefold(), budget.category)
        if wanted != budget.category:
            respelled[budget.category] = wanted
            found[i] = (rowid, replace(budget, category=wanted))
    if respelled:
        notes.append(
            "category budgets spelled as the transactions spell their category: "
            + ", ".join(f"{old!r} -> {new!r}" for old, new in sorted(respelled.items()))
        )
    return _last_wins(
        found,
        key=lambda b: (b.category, b.month),
        what=lambda b: f"budgets for {b.category!r} ({b.month or 'every month'})",
        amount=lambda b: b.amount_cents,
        table="category_budgets",
        notes=notes,
    )


def _spellings(transactions: Iterable[TransactionRow]) -> dict[str, str]:
    """Each category of the transactions, case aside, as most of them spell it (ties: the
    spelling met first)."""
    counts = Counter(t.category for t in transactions)
    best: dict[str, str] = {}
    for category, count in counts.items():  # insertion order: first met first
        folded = category.casefold()
        if folded not in best or count > counts[best[folded]]:
            best[folded] = category
    return best


def _last_wins(
    found: list[tuple[int, T]],
    *,
    key: Callable[[T], Hashable],
    what: Callable[[T], str],
    amount: Callable[[T], int],
    table: str,
    notes: list[str],
) -> tuple[T, ...]:
    """One item per key, the file's last row for it (the latest the couple saved); a note
    names the rows that were set aside. Order: the kept rows' order in the file."""
    last: dict[Hashable, tuple[int, T]] = {}
    rowids: dict[Hashable, list[int]] = {}
    for rowid, item in found:
        last[key(item)] = (rowid, item)
        rowids.setdefault(key(item), []).append(rowid)
    for k, ids in rowids.items():
        if len(ids) > 1:
            rowid, item = last[k]
            notes.append(
                f"{table} rows {', '.join(map(str, ids))} are {what(item)}: row {rowid}'s "
                f"{amount(item) / 100:.2f} was taken (the last one)"
            )
    return tuple(item for _, item in sorted(last.values(), key=lambda pair: pair[0]))


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
