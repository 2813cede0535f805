"""data_version becomes data_stamp (its value: a random token, not a counted version)

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-30 15:00:00

A new table with the new names (constraints included), the rows copied, the old one
dropped: the same on SQLite and PostgreSQL, and the stamps keep their values, so no
cache entry or ETag changes with the upgrade.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def _create(table: str, value: str) -> None:
    op.create_table(
        table,
        sa.Column("household_id", sa.Integer(), nullable=False),
        sa.Column("scope", sa.String(length=20), nullable=False),
        sa.Column(value, sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["household_id"],
            ["household.id"],
            name=op.f(f"fk_{table}_household_id_household"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("household_id", "scope", name=op.f(f"pk_{table}")),
        sqlite_with_rowid=False,
    )


def _hold_writers(table: str) -> None:
    # PostgreSQL: a writer still running the old code could renew a stamp between the
    # copy and the drop, and the renewal would be lost (a stale entry served as fresh).
    # Holding the old table until this transaction commits makes such a writer wait,
    # then fail on the dropped table: its write is refused, never half-published.
    # SQLite: the migration's write transaction already excludes every other writer.
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"LOCK TABLE {table} IN EXCLUSIVE MODE")


def upgrade() -> None:
    _hold_writers("data_version")
    _create("data_stamp", "stamp")
    op.execute(
        "INSERT INTO data_stamp (household_id, scope, stamp) "
        "SELECT household_id, scope, version FROM data_version"
    )
    op.drop_table("data_version")


def downgrade() -> None:
    _hold_writers("data_stamp")
    _create("data_version", "version")
    op.execute(
        "INSERT INTO data_version (household_id, scope, version) "
        "SELECT household_id, scope, stamp FROM data_stamp"
    )
    op.drop_table("data_stamp")
