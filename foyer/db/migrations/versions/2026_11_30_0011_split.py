"""split_original and bank_transaction.split_of: split a bank row into parts (SPEC §12)

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-30 18:30:00

A new table (a split row's original, out of bank_transaction while it is split) and a
nullable column on bank_transaction with a partial index (the parts of a split). Adding a
nullable column without a default rewrites nothing on either database; no foreign key, so
SQLite never has to rebuild bank_transaction. Existing rows are not split: nothing to fill.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
PARTS = sa.text("split_of IS NOT NULL")


def upgrade() -> None:
    op.create_table(
        "split_original",
        sa.Column("id", BigId, autoincrement=False, nullable=False),
        sa.Column("household_id", sa.Integer(), nullable=False),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("label", sa.String(length=500), nullable=False),
        sa.Column("amount_cents", sa.BigInteger(), nullable=False),
        sa.Column("category", sa.String(length=100), nullable=False),
        sa.Column("category_parent", sa.String(length=100), nullable=False),
        sa.Column("account", sa.String(length=100), nullable=False),
        sa.Column("exclude", sa.Boolean(), nullable=False),
        sa.Column("expense_type", sa.String(length=10), nullable=False),
        sa.Column("import_id", sa.String(length=100), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("tags", sa.Text(), nullable=False),
        sa.Column("split_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "expense_type IN ('VARIABLE', 'FIXED', 'PROVISION')",
            name=op.f("ck_split_original_expense_type"),
        ),
        sa.ForeignKeyConstraint(
            ["household_id"],
            ["household.id"],
            name=op.f("fk_split_original_household_id_household"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_split_original")),
    )
    op.create_index(
        "ix_split_original_household_id_date", "split_original", ["household_id", "date"]
    )
    op.create_index(
        "ix_split_original_household_id_import_id", "split_original", ["household_id", "import_id"]
    )
    op.add_column("bank_transaction", sa.Column("split_of", sa.BigInteger(), nullable=True))
    op.create_index(
        "ix_bank_transaction_split_of",
        "bank_transaction",
        ["household_id", "split_of"],
        sqlite_where=PARTS,
        postgresql_where=PARTS,
    )


def downgrade() -> None:
    # Rows still split stay split for good: their parts become ordinary rows (they add up to
    # the original, so every total and aggregate is unchanged) and the originals are dropped.
    op.drop_index("ix_bank_transaction_split_of", table_name="bank_transaction")
    op.drop_column("bank_transaction", "split_of")
    op.drop_index("ix_split_original_household_id_import_id", table_name="split_original")
    op.drop_index("ix_split_original_household_id_date", table_name="split_original")
    op.drop_table("split_original")
