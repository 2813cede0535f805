"""bank_import: uploaded bank files, preview to commit and undo (SPEC §8)

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-30 17:00:00

A new table and an index on bank_transaction (household_id, import_id) for an import's
rows (undo); nothing existing changes.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "bank_import",
        sa.Column("id", BigId, nullable=False),
        sa.Column("household_id", sa.Integer(), nullable=False),
        sa.Column("file_name", sa.String(length=255), nullable=False),
        sa.Column("format", sa.String(length=10), nullable=False),
        sa.Column("encoding", sa.String(length=50), nullable=False),
        sa.Column("account", sa.String(length=100), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("detection", sa.Text(), nullable=False),
        sa.Column("row_count", sa.Integer(), nullable=False),
        sa.Column("duplicate_count", sa.Integer(), nullable=False),
        sa.Column("error_count", sa.Integer(), nullable=False),
        sa.Column("inserted_count", sa.Integer(), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("committed_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "status IN ('preview', 'committed', 'undone')", name=op.f("ck_bank_import_status")
        ),
        sa.ForeignKeyConstraint(
            ["household_id"],
            ["household.id"],
            name=op.f("fk_bank_import_household_id_household"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bank_import")),
    )
    op.create_index("ix_bank_import_household_id_id", "bank_import", ["household_id", "id"])
    op.create_index(
        "ix_bank_transaction_household_id_import_id",
        "bank_transaction",
        ["household_id", "import_id"],
    )


def downgrade() -> None:
    op.drop_index("ix_bank_transaction_household_id_import_id", table_name="bank_transaction")
    op.drop_index("ix_bank_import_household_id_id", table_name="bank_import")
    op.drop_table("bank_import")
