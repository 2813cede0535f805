"""data versions for cache keys and ETags

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24 19:20:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Starts empty: a missing row is version 0, and no cache exists before this revision.
    op.create_table(
        "data_version",
        sa.Column("household_id", sa.Integer(), nullable=False),
        sa.Column("scope", sa.String(length=7), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["household_id"],
            ["household.id"],
            name=op.f("fk_data_version_household_id_household"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("household_id", "scope", name=op.f("pk_data_version")),
        sqlite_with_rowid=False,
    )


def downgrade() -> None:
    op.drop_table("data_version")
