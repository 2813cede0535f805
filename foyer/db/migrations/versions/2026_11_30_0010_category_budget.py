"""category_budget: budgets per category, default and per month (SPEC §12)

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-30 17:50:00

A new table; nothing existing changes.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "category_budget",
        sa.Column("id", BigId, nullable=False),
        sa.Column("household_id", sa.Integer(), nullable=False),
        sa.Column("category", sa.String(length=100), nullable=False),
        sa.Column("category_parent", sa.String(length=100), nullable=True),
        sa.Column("month", sa.String(length=7), nullable=True),
        sa.Column("amount_cents", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("amount_cents > 0", name=op.f("ck_category_budget_amount")),
        sa.ForeignKeyConstraint(
            ["household_id"],
            ["household.id"],
            name=op.f("fk_category_budget_household_id_household"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_category_budget")),
    )
    op.create_index(
        "ix_category_budget_household_id_category_month",
        "category_budget",
        ["household_id", "category", "month"],
    )
    where_month = sa.text("month IS NOT NULL")
    where_default = sa.text("month IS NULL")
    op.create_index(
        "ux_category_budget_month",
        "category_budget",
        ["household_id", "category", "month"],
        unique=True,
        sqlite_where=where_month,
        postgresql_where=where_month,
    )
    op.create_index(
        "ux_category_budget_default",
        "category_budget",
        ["household_id", "category"],
        unique=True,
        sqlite_where=where_default,
        postgresql_where=where_default,
    )


def downgrade() -> None:
    op.drop_index("ux_category_budget_default", table_name="category_budget")
    op.drop_index("ux_category_budget_month", table_name="category_budget")
    op.drop_index("ix_category_budget_household_id_category_month", table_name="category_budget")
    op.drop_table("category_budget")
