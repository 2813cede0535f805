"""materialised aggregates and the keyset indexes of the optimised engine

Creates agg_month, agg_category, agg_tag and agg_label, fills them from the rows already
there (plain INSERT … SELECT … GROUP BY, the same definitions `foyer aggregates rebuild`
uses, frozen here so this migration never changes meaning), and replaces the
(household_id, month, category) index with the month and category keyset indexes, drops an
unused tag index, and the provision
index with one in the order provisions are listed.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24 18:05:16
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

_KEPT_DEBIT = "amount_cents < 0 AND NOT exclude"
# The SQL below is assembled from the constants in this file only: no input reaches it.


def _household_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["household_id"],
        ["household.id"],
        name=op.f(f"fk_{table}_household_id_household"),
        ondelete="CASCADE",
    )


def _money(name: str) -> sa.Column[int]:
    return sa.Column(name, sa.BigInteger(), nullable=False)


def _top_table(name: str, column: sa.Column[str]) -> None:
    op.create_table(
        name,
        sa.Column("household_id", sa.Integer(), nullable=False),
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("category", sa.String(length=100), nullable=False),
        column,
        _money("count"),
        _money("total_cents"),
        _household_fk(name),
        sa.PrimaryKeyConstraint(
            "household_id", "month", "category", column.name, name=op.f(f"pk_{name}")
        ),
        sqlite_with_rowid=False,
    )
    op.create_index(
        f"ix_{name}_top",
        name,
        ["household_id", "month", "category", sa.text("total_cents DESC"), column.name],
    )


def upgrade() -> None:
    op.create_table(
        "agg_month",
        sa.Column("household_id", sa.Integer(), nullable=False),
        sa.Column("month", sa.String(length=7), nullable=False),
        _money("variable_cents"),
        _money("variable_count"),
        _money("fixed_debits_cents"),
        _money("provision_debits_cents"),
        _money("income_cents"),
        _money("excluded_cents"),
        _money("transactions"),
        _household_fk("agg_month"),
        sa.PrimaryKeyConstraint("household_id", "month", name=op.f("pk_agg_month")),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "agg_category",
        sa.Column("household_id", sa.Integer(), nullable=False),
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("category", sa.String(length=100), nullable=False),
        sa.Column("category_parent", sa.String(length=100), nullable=False),
        sa.Column("expense_type", sa.String(length=10), nullable=False),
        _money("count"),
        _money("total_cents"),
        _money("low_cents"),
        _money("high_cents"),
        _household_fk("agg_category"),
        sa.PrimaryKeyConstraint(
            "household_id",
            "month",
            "category",
            "category_parent",
            "expense_type",
            name=op.f("pk_agg_category"),
        ),
        sqlite_with_rowid=False,
    )
    _top_table("agg_tag", sa.Column("tag", sa.String(length=50), nullable=False))
    _top_table("agg_label", sa.Column("label", sa.String(length=500), nullable=False))

    # Provisions are always listed in id order; the display_order index gave no order used.
    op.drop_index("ix_provision_household_id_display_order", "provision")
    op.create_index("ix_provision_household_id_id", "provision", ["household_id", "id"])
    op.drop_index("ix_bank_transaction_household_id_month_category", "bank_transaction")
    # Tag filters probe the primary key (transaction_id, tag); this index served no query.
    op.drop_index("ix_transaction_tag_household_id_tag_transaction_id", "transaction_tag")
    op.create_index(
        "ix_bank_transaction_month_amount",
        "bank_transaction",
        ["household_id", "month", "amount_cents", "id"],
    )
    op.create_index(
        "ix_bank_transaction_category_date",
        "bank_transaction",
        ["household_id", "category", "date", "id"],
    )
    op.create_index(
        "ix_bank_transaction_month_category_amount",
        "bank_transaction",
        ["household_id", "month", "category", "amount_cents", "id"],
    )

    def debit_sum(expense_type: str) -> str:
        return f"SUM(CASE WHEN {_KEPT_DEBIT} AND expense_type = '{expense_type}' THEN "

    op.execute(
        "INSERT INTO agg_month (household_id, month, variable_cents, variable_count, "
        "fixed_debits_cents, provision_debits_cents, income_cents, excluded_cents, "
        "transactions) SELECT household_id, month, "
        f"{debit_sum('VARIABLE')}-amount_cents ELSE 0 END), "
        f"{debit_sum('VARIABLE')}1 ELSE 0 END), "
        f"{debit_sum('FIXED')}-amount_cents ELSE 0 END), "
        f"{debit_sum('PROVISION')}-amount_cents ELSE 0 END), "
        "SUM(CASE WHEN amount_cents > 0 AND NOT exclude THEN amount_cents ELSE 0 END), "
        "SUM(CASE WHEN exclude THEN ABS(amount_cents) ELSE 0 END), COUNT(*) "
        "FROM bank_transaction GROUP BY household_id, month"
    )
    op.execute(
        "INSERT INTO agg_category (household_id, month, category, category_parent, "
        "expense_type, count, total_cents, low_cents, high_cents) "
        "SELECT household_id, month, category, category_parent, expense_type, COUNT(*), "
        "SUM(-amount_cents), MIN(-amount_cents), MAX(-amount_cents) FROM bank_transaction "
        f"WHERE {_KEPT_DEBIT} "
        "GROUP BY household_id, month, category, category_parent, expense_type"
    )
    op.execute(
        "INSERT INTO agg_label (household_id, month, category, label, count, total_cents) "
        "SELECT household_id, month, category, label, COUNT(*), SUM(-amount_cents) "
        f"FROM bank_transaction WHERE {_KEPT_DEBIT} "
        "GROUP BY household_id, month, category, label"
    )
    op.execute(
        "INSERT INTO agg_tag (household_id, month, category, tag, count, total_cents) "
        "SELECT t.household_id, t.month, t.category, g.tag, COUNT(*), SUM(-t.amount_cents) "
        "FROM bank_transaction t JOIN transaction_tag g ON g.transaction_id = t.id "
        f"WHERE t.{_KEPT_DEBIT.replace(' NOT ', ' NOT t.')} "
        "GROUP BY t.household_id, t.month, t.category, g.tag"
    )


def downgrade() -> None:
    op.create_index(
        "ix_transaction_tag_household_id_tag_transaction_id",
        "transaction_tag",
        ["household_id", "tag", "transaction_id"],
    )
    op.drop_index("ix_bank_transaction_month_amount", "bank_transaction")
    op.drop_index("ix_bank_transaction_month_category_amount", "bank_transaction")
    op.drop_index("ix_bank_transaction_category_date", "bank_transaction")
    op.create_index(
        "ix_bank_transaction_household_id_month_category",
        "bank_transaction",
        ["household_id", "month", "category"],
    )
    op.drop_index("ix_provision_household_id_id", "provision")
    op.create_index(
        "ix_provision_household_id_display_order", "provision", ["household_id", "display_order"]
    )
    for table in ("agg_label", "agg_tag", "agg_category", "agg_month"):
        op.drop_table(table)
