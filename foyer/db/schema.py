"""Every table and index of foyer (SQLAlchemy Core). Migrations must produce exactly this.

Conventions: tables singular snake_case, money in `*_cents` BIGINT, percentages in `*_bp`
(hundredths of a percent, so 12.34 % is 1234 and no float is ever stored), `household_id`
on every row that belongs to a household, constraint names from `NAMING_CONVENTION`.
"""

from __future__ import annotations

from dataclasses import fields

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    UniqueConstraint,
    desc,
)

from foyer.domain.model import MonthTotals

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = MetaData(naming_convention=NAMING_CONVENTION)

# SQLite only auto-assigns ids to an INTEGER PRIMARY KEY (the rowid alias); PostgreSQL gets
# a 64-bit identity so ids never run out at scale.
BigId = BigInteger().with_variant(Integer(), "sqlite")

SPLIT_MODES = "('key', 'equal', 'member1', 'member2', 'custom')"


def _household_fk() -> Column[int]:
    return Column(
        "household_id",
        Integer,
        ForeignKey("household.id", ondelete="CASCADE"),
        nullable=False,
    )


household = Table(
    "household",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(100), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("name"),
)

user_account = Table(
    "user_account",
    metadata,
    Column("id", Integer, primary_key=True),
    _household_fk(),
    Column("email", String(254), nullable=False),
    Column("password_hash", String(255), nullable=False),
    Column("is_operator", Boolean, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("email"),
    Index(None, "household_id"),
)

household_config = Table(
    "household_config",
    metadata,
    Column(
        "household_id",
        Integer,
        ForeignKey("household.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("member1_name", String(50), nullable=False),
    Column("member2_name", String(50), nullable=False),
    Column("income1_cents", BigInteger, nullable=False),
    Column("income2_cents", BigInteger, nullable=False),
    Column("tax_rate1_bp", Integer, nullable=False),
    Column("tax_rate2_bp", Integer, nullable=False),
    Column("split_mode", String(10), nullable=False),
    Column("manual_share1_bp", Integer, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    CheckConstraint("split_mode IN ('income', 'manual')", name="split_mode"),
    CheckConstraint("income1_cents >= 0 AND income2_cents >= 0", name="income"),
    CheckConstraint(
        "tax_rate1_bp BETWEEN 0 AND 10000 AND tax_rate2_bp BETWEEN 0 AND 10000", name="tax_rate"
    ),
    CheckConstraint("manual_share1_bp BETWEEN 0 AND 10000", name="manual_share1"),
)

fixed_line = Table(
    "fixed_line",
    metadata,
    Column("id", Integer, primary_key=True),
    _household_fk(),
    Column("label", String(200), nullable=False),
    Column("amount_cents", BigInteger, nullable=False),
    Column("frequency", String(10), nullable=False),
    Column("split_mode", String(10), nullable=False),
    Column("custom_share1_bp", Integer, nullable=True),
    Column("category", String(100), nullable=False),
    Column("active", Boolean, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    CheckConstraint("amount_cents > 0", name="amount"),
    CheckConstraint("frequency IN ('monthly', 'quarterly', 'annual')", name="frequency"),
    CheckConstraint(f"split_mode IN {SPLIT_MODES}", name="split_mode"),
    Index(None, "household_id", "id"),
)

provision = Table(
    "provision",
    metadata,
    Column("id", Integer, primary_key=True),
    _household_fk(),
    Column("name", String(100), nullable=False),
    Column("icon", String(50), nullable=False),
    Column("color", String(7), nullable=False),
    Column("display_order", Integer, nullable=False),
    Column("base", String(10), nullable=False),
    Column("percentage_bp", Integer, nullable=False),
    Column("fixed_amount_cents", BigInteger, nullable=False),
    Column("split_mode", String(10), nullable=False),
    Column("custom_share1_bp", Integer, nullable=True),
    Column("is_active", Boolean, nullable=False),
    Column("start_month", String(7), nullable=True),
    Column("end_month", String(7), nullable=True),
    Column("target_amount_cents", BigInteger, nullable=True),
    Column("current_amount_cents", BigInteger, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    CheckConstraint("base IN ('total', 'member1', 'member2', 'fixed')", name="base"),
    CheckConstraint("percentage_bp BETWEEN 0 AND 10000", name="percentage"),
    CheckConstraint(f"split_mode IN {SPLIT_MODES}", name="split_mode"),
    Index(None, "household_id", "id"),  # every listing of provisions is in id order
)

bank_transaction = Table(
    "bank_transaction",
    metadata,
    Column("id", BigId, primary_key=True),
    _household_fk(),
    Column("date", Date, nullable=False),
    Column("month", String(7), nullable=False),  # derived from date: 'YYYY-MM'
    Column("label", String(500), nullable=False),
    Column("amount_cents", BigInteger, nullable=False),
    Column("category", String(100), nullable=False),
    Column("category_parent", String(100), nullable=False),
    Column("account", String(100), nullable=False),
    Column("exclude", Boolean, nullable=False),
    Column("expense_type", String(10), nullable=False),
    Column("import_id", String(100), nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    CheckConstraint("expense_type IN ('VARIABLE', 'FIXED', 'PROVISION')", name="expense_type"),
    # One index per keyset order and filter prefix (foyer.read.plans checks each query's
    # plan): all of a household's rows by date (a month filter is also a date range on it)
    # and by amount; a month's rows by amount; a category's rows by date (drill-down) and,
    # within a month, by amount. That last one also answers agg_category's min/max
    # recomputation and the reference reader's month scans.
    Index(None, "household_id", "date", "id"),
    Index(None, "household_id", "amount_cents", "id"),
    Index("ix_bank_transaction_month_amount", "household_id", "month", "amount_cents", "id"),
    Index("ix_bank_transaction_category_date", "household_id", "category", "date", "id"),
    Index(
        "ix_bank_transaction_month_category_amount",
        "household_id",
        "month",
        "category",
        "amount_cents",
        "id",
    ),
)

transaction_tag = Table(
    "transaction_tag",
    metadata,
    Column(
        "transaction_id",
        BigId,
        ForeignKey("bank_transaction.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("tag", String(50), primary_key=True),
    _household_fk(),
)

# Materialised aggregates, exact at every commit: foyer.services.aggregates maintains them in
# the same database transaction as the rows they sum (the only writer; a test enforces it).
# Groups with nothing left in them are deleted, so every row has count > 0. Debit totals
# are positive cents (sums of -amount_cents), as every view shows them. SQLite stores them
# WITHOUT ROWID: the primary key is the table, so a month's groups are one b-tree range.

agg_month = Table(
    "agg_month",
    metadata,
    _household_fk(),
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
    _household_fk(),
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
        _household_fk(),
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
    _household_fk(),
    Column("scope", String(20), nullable=False),
    Column("stamp", BigInteger, nullable=False),
    PrimaryKeyConstraint("household_id", "scope"),
    sqlite_with_rowid=False,
)

# Jobs (foyer.jobs): the queue's broker (huey: SQLite file or Redis) only carries a job's
# id; its status, progress, attempts, payload and outcome live here, so the /jobs API
# reads the database and a job's history outlives the broker. `result` and `payload`
# are JSON text. Listing a household's recent jobs is one range of the index.
JOB_STATUSES = ("queued", "running", "succeeded", "failed")

job = Table(
    "job",
    metadata,
    Column("id", BigId, primary_key=True),
    _household_fk(),
    Column("kind", String(50), nullable=False),
    Column("status", String(10), nullable=False),
    Column("progress", Float, nullable=False),
    Column("payload", Text, nullable=False),
    Column("result", Text, nullable=True),
    Column("error", Text, nullable=True),
    Column("attempts", Integer, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("started_at", DateTime(timezone=True), nullable=True),
    Column("finished_at", DateTime(timezone=True), nullable=True),
    CheckConstraint("status IN ('queued', 'running', 'succeeded', 'failed')", name="status"),
    CheckConstraint("progress >= 0 AND progress <= 1", name="progress"),
    CheckConstraint("attempts >= 0", name="attempts"),
    Index(None, "household_id", "id"),  # read backwards: newest first
)

instance_secret = Table(
    "instance_secret",
    metadata,
    Column("name", String(50), primary_key=True),
    Column("value", String(200), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)
