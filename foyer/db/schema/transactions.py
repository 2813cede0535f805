"""Bank rows: transactions, their tags, and the bank imports they came in by."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Table,
    Text,
    text,
)

from foyer.db.schema.base import BigId, household_fk, metadata

bank_transaction = Table(
    "bank_transaction",
    metadata,
    Column("id", BigId, primary_key=True),
    household_fk(),
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
    # A part of a split bank row (SPEC §12): the id of the original, kept in split_original
    # while it is split; NULL for every other row. No foreign key: adding one to this table
    # would rebuild it on SQLite; foyer.services.splits is the only writer of both sides.
    Column("split_of", BigInteger, nullable=True),
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
    Index(None, "household_id", "import_id"),  # an import's rows: its undo
    # The parts of a split row (a merge); partial, so the millions of other rows cost nothing.
    Index(
        "ix_bank_transaction_split_of",
        "household_id",
        "split_of",
        sqlite_where=text("split_of IS NOT NULL"),
        postgresql_where=text("split_of IS NOT NULL"),
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
    household_fk(),
)

# Split bank rows (SPEC §12, foyer.services.splits): while a row is split it lives here, out
# of bank_transaction, so no view, listing, aggregate or recomputation can count it next to
# its parts (they are rows of bank_transaction with `split_of` = its id). It keeps its id
# (restored by a merge), every column, and its tags as a JSON list. Only the bank imports'
# dedupe reads it: the bank row is still held once (foyer.read.imports.held_counts).
split_original = Table(
    "split_original",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=False),  # the row's own id
    household_fk(),
    Column("date", Date, nullable=False),
    Column("month", String(7), nullable=False),
    Column("label", String(500), nullable=False),
    Column("amount_cents", BigInteger, nullable=False),
    Column("category", String(100), nullable=False),
    Column("category_parent", String(100), nullable=False),
    Column("account", String(100), nullable=False),
    Column("exclude", Boolean, nullable=False),
    Column("expense_type", String(10), nullable=False),
    Column("import_id", String(100), nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("tags", Text, nullable=False),  # JSON list of the row's tags
    Column("split_at", DateTime(timezone=True), nullable=False),
    CheckConstraint("expense_type IN ('VARIABLE', 'FIXED', 'PROVISION')", name="expense_type"),
    Index(None, "household_id", "date"),  # the dedupe of an import's date range
    Index(None, "household_id", "import_id"),  # an import's undo
)

# Materialised aggregates, exact at every commit: foyer.services.aggregates maintains them in
# the same database transaction as the rows they sum (the only writer; a test enforces it).
# Groups with nothing left in them are deleted, so every row has count > 0. Debit totals
# are positive cents (sums of -amount_cents), as every view shows them. SQLite stores them
# WITHOUT ROWID: the primary key is the table, so a month's groups are one b-tree range.


# Bank imports (SPEC §8, foyer.services.imports): one row per uploaded file, from preview
# to commit (and undo). `content` keeps the file's bytes so the commit parses exactly what
# was previewed; `detection` is the JSON of the dialect and mapping in force. Committed
# rows carry the import's id, as text, in bank_transaction.import_id.
IMPORT_STATUSES = ("preview", "committed", "undone")

bank_import = Table(
    "bank_import",
    metadata,
    Column("id", BigId, primary_key=True),
    household_fk(),
    Column("file_name", String(255), nullable=False),
    Column("format", String(10), nullable=False),
    Column("encoding", String(50), nullable=False),
    Column("account", String(100), nullable=False),
    Column("status", String(10), nullable=False),
    Column("detection", Text, nullable=False),
    Column("row_count", Integer, nullable=False),
    Column("duplicate_count", Integer, nullable=False),
    Column("error_count", Integer, nullable=False),
    Column("inserted_count", Integer, nullable=False),
    Column("content", LargeBinary, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("committed_at", DateTime(timezone=True), nullable=True),
    CheckConstraint("status IN ('preview', 'committed', 'undone')", name="status"),
    Index(None, "household_id", "id"),  # the history, newest first
)
