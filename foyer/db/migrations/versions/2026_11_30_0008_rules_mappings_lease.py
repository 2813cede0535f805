"""rule, import_mapping, recategorisation; job.deadline_at (the lease) (SPEC §8)

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-30 17:10:00

Three new tables and a nullable column: nothing existing changes. Jobs already queued or
running keep a NULL deadline, which the reclaim scan ignores (they run as before).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _household_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["household_id"],
        ["household.id"],
        name=op.f(f"fk_{table}_household_id_household"),
        ondelete="CASCADE",
    )


def upgrade() -> None:
    with op.batch_alter_table("job") as batch:
        batch.add_column(sa.Column("deadline_at", sa.DateTime(timezone=True), nullable=True))
    op.create_index("ix_job_status_deadline_at", "job", ["status", "deadline_at"])
    op.create_table(
        "rule",
        sa.Column("id", BigId, nullable=False),
        sa.Column("household_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("priority", sa.Integer(), nullable=False),
        sa.Column("conditions", sa.Text(), nullable=False),
        sa.Column("actions", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        _household_fk("rule"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rule")),
    )
    op.create_index("ix_rule_household_id_priority_id", "rule", ["household_id", "priority", "id"])
    op.create_table(
        "import_mapping",
        sa.Column("household_id", sa.Integer(), nullable=False),
        sa.Column("signature", sa.String(length=64), nullable=False),
        sa.Column("detection", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        _household_fk("import_mapping"),
        sa.PrimaryKeyConstraint("household_id", "signature", name=op.f("pk_import_mapping")),
    )
    op.create_table(
        "recategorisation",
        sa.Column("id", BigId, nullable=False),
        sa.Column("household_id", sa.Integer(), nullable=False),
        sa.Column("label_key", sa.String(length=500), nullable=False),
        sa.Column("label", sa.String(length=500), nullable=False),
        sa.Column("category", sa.String(length=100), nullable=False),
        sa.Column("category_parent", sa.String(length=100), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        _household_fk("recategorisation"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recategorisation")),
    )
    op.create_index(
        "ix_recategorisation_household_id_label_key",
        "recategorisation",
        ["household_id", "label_key"],
    )


def downgrade() -> None:
    op.drop_index("ix_recategorisation_household_id_label_key", table_name="recategorisation")
    op.drop_table("recategorisation")
    op.drop_table("import_mapping")
    op.drop_index("ix_rule_household_id_priority_id", table_name="rule")
    op.drop_table("rule")
    op.drop_index("ix_job_status_deadline_at", table_name="job")
    with op.batch_alter_table("job") as batch:
        batch.drop_column("deadline_at")
