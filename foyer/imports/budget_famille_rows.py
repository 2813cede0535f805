"""One row of a Budget Famille table in foyer's terms: config, fixed line, provision, transaction,
month balance, category budget.

`foyer.imports.budget_famille` reads the tables and hands each row here as a dict of the
columns it found (None for a column the file does not have); the cells' conversions are
`foyer.imports.budget_famille_values`'. Pure functions.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections import Counter
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from foyer.domain.model import HouseholdConfig
from foyer.domain.vocabulary import ExpenseType
from foyer.imports import budget_famille_values as cells
from foyer.imports.budget_famille_values import (
    BudgetFamilleError,
    basis_points,
    cents,
    day,
    flag,
    text,
    where,
    word,
)
from foyer.services.budget import NewFixedLine, NewProvision

Row = dict[str, Any]

#: Rows foyer imports carry `import_id` = MARKER + the old row's stable hash (`row_id`),
#: or MARKER + "id:" + its id when it has none; a second run skips rows already carried.
MARKER = "bf:"
_MARKER_MAX = 100  # bank_transaction.import_id's width


# A fixed line and a provision in foyer's terms are the budget services' own inputs: the
# migration hands them over as they are.
FixedLineRow = NewFixedLine
ProvisionRow = NewProvision


@dataclass(frozen=True, slots=True)
class TransactionRow:
    """A transaction in foyer's terms; `import_id` is its migration marker."""

    date: dt.date
    label: str
    amount_cents: int
    category: str
    category_parent: str
    account: str
    exclude: bool
    expense_type: ExpenseType
    tags: tuple[str, ...]
    import_id: str


@dataclass(frozen=True, slots=True)
class BalanceRow:
    """The joint account's balance at the start of a month (`services.balances.set_balance`)."""

    month: str
    cents: int


@dataclass(frozen=True, slots=True)
class BudgetRow:
    """A category budget in foyer's terms (`services.budgets.NewBudget`, without a parent:
    Budget Famille's budgets named a category only)."""

    category: str
    month: str | None  # None: every month
    amount_cents: int


def config_from(row: Row, notes: list[str]) -> tuple[HouseholdConfig, Fraction]:
    def at(column: str) -> str:
        return where("config", row["_rowid"], column)

    mode = word(row["split_mode"], at("split_mode"), cells.KEY_MODES, "income")
    # split1 is member 1's fraction in `manuel` mode; in `revenus` mode it is dormant, and
    # kept only when it is valid (foyer then ignores it too).
    try:
        share1 = basis_points(row["split1"], at("split1"), scale=10_000, default=5000)
    except BudgetFamilleError:
        if mode == "manual":
            raise
        share1 = 5000
    config = HouseholdConfig(
        member1_name=text(row["member1"], 50, "Member 1"),
        member2_name=text(row["member2"], 50, "Member 2"),
        income1_cents=cents(row["rev1"], at("rev1"), default=0, minimum=0),
        income2_cents=cents(row["rev2"], at("rev2"), default=0, minimum=0),
        tax_rate1_bp=basis_points(row["tax_rate1"], at("tax_rate1"), scale=100, default=0),
        tax_rate2_bp=basis_points(row["tax_rate2"], at("tax_rate2"), scale=100, default=0),
        split_mode=mode,
        manual_share1_bp=share1,
    )
    other = row["other_split_mode"]
    if other is not None and cells.SPLITS.get(cells.fold(str(other))) != "key":
        notes.append(
            f"variable spending was split {other!r} in Budget Famille; foyer splits it by the key"
        )
    return config, legacy_key(config)


def legacy_key(config: HouseholdConfig) -> Fraction:
    """Member 1's share as Budget Famille's `get_split` had it: gross incomes, no taxes."""
    if config.split_mode == "manual":
        return Fraction(config.manual_share1_bp, 10_000)
    total = config.income1_cents + config.income2_cents
    return Fraction(1, 2) if total == 0 else Fraction(config.income1_cents, total)


def fixed_line_from(row: Row, notes: list[str]) -> FixedLineRow | None:
    def at(column: str) -> str:
        return where("fixed_lines", row["_rowid"], column)

    label = text(row["label"], 200, "(sans libellé)")
    amount = cents(row["amount"], at("amount"))
    mode = word(row["split_mode"], at("split_mode"), cells.SPLITS, "key")
    custom = (
        basis_points(row["split1"], at("split1"), scale=10_000, default=5000)
        if mode == "custom"
        else None
    )
    line = FixedLineRow(
        label=label,
        amount_cents=amount,
        frequency=word(row["freq"], at("freq"), cells.FREQUENCIES, "monthly"),
        split_mode=mode,
        custom_share1_bp=custom,
        category=text(row["category"], 100, "uncategorized"),
        active=flag(row["active"], at("active"), default=True),
    )
    if amount <= 0:  # foyer's fixed lines cost something (SPEC §3)
        notes.append(f"fixed line {label!r} ({amount / 100:.2f}) not migrated: amount not > 0")
        return None
    return line


def provision_from(row: Row) -> ProvisionRow:
    def at(column: str) -> str:
        return where("custom_provisions", row["_rowid"], column)

    mode = word(row["split_mode"], at("split_mode"), cells.SPLITS, "key")
    custom = (
        basis_points(row["split_member1"], at("split_member1"), scale=100, default=5000)
        if mode == "custom"
        else None
    )
    order = cells.decimal(row["display_order"], at("display_order"))
    target = cents(row["target_amount"], at("target_amount"), default=0)
    start, end = day(row["start_date"], at("start_date")), day(row["end_date"], at("end_date"))
    return ProvisionRow(
        name=text(row["name"], 100, "(sans nom)"),
        icon=text(row["icon"], 50),
        color=cells.color(row["color"]),
        display_order=999 if order is None else int(order),
        base=word(row["base_calculation"], at("base_calculation"), cells.BASES, "total"),
        percentage_bp=basis_points(row["percentage"], at("percentage"), scale=100, default=0),
        fixed_amount_cents=cents(row["fixed_amount"], at("fixed_amount"), default=0, minimum=0),
        split_mode=mode,
        custom_share1_bp=custom,
        is_active=flag(row["is_active"], at("is_active"), default=True),
        start_month=None if start is None else start.strftime("%Y-%m"),
        end_month=None if end is None else end.strftime("%Y-%m"),
        # No target (NULL or 0) is foyer's "no target": progress is then null.
        target_amount_cents=target if target > 0 else None,
        current_amount_cents=cents(
            row["current_amount"], at("current_amount"), default=0, minimum=0
        ),
    )


def transaction_from(row: Row, moved: Counter[str]) -> TransactionRow:
    def at(column: str) -> str:
        return where("transactions", row["_rowid"], column)

    stated = None if row["month"] is None else cells.month(row["month"], at("month"))
    date = day(row["date_op"], at("date_op"))
    if date is None:  # Budget Famille allowed rows without a date: the first of their month
        if stated is None:
            raise BudgetFamilleError(f"{at('date_op')}: neither a date nor a month")
        date = dt.date.fromisoformat(f"{stated}-01")
    elif stated is not None and stated != date.strftime("%Y-%m"):
        moved[stated] += 1
    expense_type = word(row["expense_type"], at("expense_type"), cells.EXPENSE_TYPES, "VARIABLE")
    return TransactionRow(
        date=date,
        label=text(row["label"], 500),
        amount_cents=cents(row["amount"], at("amount")),
        category=text(row["category"], 100, "uncategorized"),
        category_parent=text(row["category_parent"], 100, "uncategorized"),
        account=text(row["account_label"], 100, "joint"),
        exclude=flag(row["exclude"], at("exclude"), default=False),
        expense_type=expense_type,
        tags=cells.tags(row["tags"]),
        import_id=_marker(row),
    )


def _marker(row: Row) -> str:
    row_id = text(row["row_id"], 10_000)
    marker = MARKER + (row_id or f"id:{row['id']}")
    if len(marker) > _MARKER_MAX:  # row_id is a ~64-character hash; a longer one is hashed
        marker = MARKER + "sha256:" + hashlib.sha256(row_id.encode()).hexdigest()
    return marker


def balance_from(row: Row) -> BalanceRow | None:
    """A `global_months` row's balance; None when it has none (Budget Famille kept other
    things per month too: targets, notes), and such a row is not checked further."""
    if row["account_balance"] is None:
        return None

    def at(column: str) -> str:
        return where("global_months", row["_rowid"], column)

    return BalanceRow(
        month=cells.month(row["month"], at("month")),
        cents=cents(row["account_balance"], at("account_balance")),
    )


def budget_from(row: Row, notes: list[str], inactive: Counter[str]) -> BudgetRow | None:
    """A `category_budgets` row as foyer's budget; None (counted in `inactive`, or said in
    `notes`) when foyer does not take it. An inactive row is not checked further: Budget
    Famille no longer applied it, and foyer has no inactive budgets."""

    def at(column: str) -> str:
        return where("category_budgets", row["_rowid"], column)

    category = text(row["category"], 100, "uncategorized")
    if not flag(row["is_active"], at("is_active"), default=True):
        inactive[category] += 1
        return None
    stated = row["month"]
    blank = stated is None or (isinstance(stated, str) and not stated.strip())
    month = None if blank else cells.month(stated, at("month"))
    amount = cents(row["budget_amount"], at("budget_amount"), default=0)
    if amount <= 0:  # foyer's budgets are > 0 (SPEC §12); NULL is no amount at all
        notes.append(
            f"category budget {category!r} ({month or 'every month'}, {amount / 100:.2f}) "
            "not migrated: amount not > 0"
        )
        return None
    return BudgetRow(category=category, month=month, amount_cents=amount)
