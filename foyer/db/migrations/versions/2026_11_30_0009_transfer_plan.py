"""household_config.buffer_cents and month_balance: the transfer plan (SPEC §12)

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-30 17:40:00

A column with a default (existing households keep no buffer) and a new table.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("household_config") as batch:
        batch.add_column(
            sa.Column("buffer_cents", sa.BigInteger(), nullable=False, server_default="0")
        )
        batch.create_check_constraint("buffer", "buffer_cents >= 0")
    op.create_table(
        "month_balance",
        sa.Column("household_id", sa.Integer(), nullable=False),
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("account_balance_cents", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["household_id"],
            ["household.id"],
            name=op.f("fk_month_balance_household_id_household"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("household_id", "month", name=op.f("pk_month_balance")),
    )


def downgrade() -> None:
    op.drop_table("month_balance")
    with op.batch_alter_table("household_config") as batch:
        batch.drop_constraint("buffer", type_="check")
        batch.drop_column("buffer_cents")
