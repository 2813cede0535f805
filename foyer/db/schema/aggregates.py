"""The materialised aggregates (kept exact by foyer.services.aggregates) and the data stamps."""

from __future__ import annotations

from dataclasses import fields

from sqlalchemy import (
    BigInteger,
    Column,
    Index,
    PrimaryKeyConstraint,
    String,
    Table,
    desc,
)

from foyer.db.schema.base import household_fk, metadata
from foyer.domain.model import MonthTotals

agg_month = Table(
    "agg_month",
    metadata,
    household_fk(),
    Column("month", String(7), nullable=False),
    # The columns of foyer.domain.model.MonthTotals, in its order.
    Column("variable_cents", BigInteger, nullable=False),  # kept VARIABLE debits
    Column("variable_count", BigInteger, nullable=False),
    Column("fixed_debits_cents", BigInteger, nullable=False),  # kept FIXED debits
    Column("provision_debits_cents", BigInteger, nullable=False),  # kept PROVISION debits
    Column("income_cents", BigInteger, nullable=False),  # kept credits
    Column("excluded_cents", BigInteger, nullable=False),  # sum of |amount| of excluded rows
    Column("transactions", BigInteger, nullable=False),  # every row of the month
    PrimaryKeyConstraint("household_id", "month"),
    sqlite_with_rowid=False,
)
#: agg_month's value columns: MonthTotals' fields, in its order (readers build it from them).
MONTH_COLUMNS = tuple(field.name for field in fields(MonthTotals))
if tuple(c.name for c in agg_month.columns)[2:] != MONTH_COLUMNS:
    raise TypeError("agg_month's value columns must be MonthTotals' fields, in order")

# Kept debits (amount < 0, not excluded) only: every category view reads these.
agg_category = Table(
    "agg_category",
    metadata,
    household_fk(),
    Column("month", String(7), nullable=False),
    Column("category", String(100), nullable=False),
    Column("category_parent", String(100), nullable=False),
    Column("expense_type", String(10), nullable=False),
    Column("count", BigInteger, nullable=False),
    Column("total_cents", BigInteger, nullable=False),
    # Smallest and largest |amount|: kept with least/greatest on insert; a removal
    # recomputes them from ix_bank_transaction_month_category_amount (two index seeks).
    Column("low_cents", BigInteger, nullable=False),
    Column("high_cents", BigInteger, nullable=False),
    PrimaryKeyConstraint("household_id", "month", "category", "category_parent", "expense_type"),
    sqlite_with_rowid=False,
)


def _top_table(name: str, column: Column[str]) -> Table:
    """Kept debits of a category's month by one more key (tag or label): drill-down details."""
    return Table(
        name,
        metadata,
        household_fk(),
        Column("month", String(7), nullable=False),
        Column("category", String(100), nullable=False),
        column,
        Column("count", BigInteger, nullable=False),
        Column("total_cents", BigInteger, nullable=False),
        PrimaryKeyConstraint("household_id", "month", "category", column.name),
        # The top 20 by total (desc, then name) is the first 20 entries of this index.
        Index(
            f"ix_{name}_top",
            "household_id",
            "month",
            "category",
            desc("total_cents"),
            column.name,
        ),
        sqlite_with_rowid=False,
    )


agg_tag = _top_table("agg_tag", Column("tag", String(50), nullable=False))
agg_label = _top_table("agg_label", Column("label", String(500), nullable=False))

AGGREGATE_TABLES = (agg_month, agg_category, agg_tag, agg_label)

# Data stamps: a token per (household, scope), replaced in the same transaction as every
# write the scope's views depend on (foyer.services.stamps). Cache keys and ETags are
# built from them, so a committed write changes them exactly when the data changes, for
# every process sharing the database. Scopes: 'YYYY-MM' (the month's totals),
# 'YYYY-MM:categories', 'YYYY-MM:details' (its other aggregates), 'budget' (config, fixed
# lines, provisions).
data_stamp = Table(
    "data_stamp",
    metadata,
    household_fk(),
    Column("scope", String(20), nullable=False),
    Column("stamp", BigInteger, nullable=False),
    PrimaryKeyConstraint("household_id", "scope"),
    sqlite_with_rowid=False,
)
