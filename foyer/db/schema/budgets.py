"""Category budgets (SPEC §12): an amount per category, for every month or for one."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Column,
    DateTime,
    Index,
    String,
    Table,
    text,
)

from foyer.db.schema.base import BigId, household_fk, metadata

# `month` NULL: the default for every month; a month's own row overrides it. One of each
# per category: two partial unique indexes, since NULLs never collide in a plain one.
category_budget = Table(
    "category_budget",
    metadata,
    Column("id", BigId, primary_key=True),
    household_fk(),
    Column("category", String(100), nullable=False),
    Column("category_parent", String(100), nullable=True),
    Column("month", String(7), nullable=True),
    Column("amount_cents", BigInteger, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    CheckConstraint("amount_cents > 0", name="amount"),
    Index(None, "household_id", "category", "month"),  # a household's budgets
    Index(
        "ux_category_budget_month",
        "household_id",
        "category",
        "month",
        unique=True,
        sqlite_where=text("month IS NOT NULL"),
        postgresql_where=text("month IS NOT NULL"),
    ),
    Index(
        "ux_category_budget_default",
        "household_id",
        "category",
        unique=True,
        sqlite_where=text("month IS NULL"),
        postgresql_where=text("month IS NULL"),
    ),
)
