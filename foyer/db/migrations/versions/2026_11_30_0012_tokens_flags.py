"""Token revocation (user_account.token_generation, revoked_token) and feature_flag

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-30 20:30:00

SPEC §7 logout and password change refuse tokens issued before them; SPEC §8 feature flags
are changed by an operator at run time and read by every process. A NOT NULL column with a
server default (existing users start at generation 0) and two new tables: nothing rewritten.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "user_account",
        sa.Column("token_generation", sa.Integer(), server_default="0", nullable=False),
    )
    op.create_table(
        "revoked_token",
        sa.Column("jti", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user_account.id"],
            name=op.f("fk_revoked_token_user_id_user_account"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("jti", name=op.f("pk_revoked_token")),
    )
    op.create_index(
        op.f("ix_revoked_token_expires_at"), "revoked_token", ["expires_at"], unique=False
    )
    op.create_table(
        "feature_flag",
        sa.Column("name", sa.String(length=50), nullable=False),
        sa.Column("percent", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(length=254), nullable=True),
        sa.CheckConstraint("percent BETWEEN 0 AND 100", name=op.f("ck_feature_flag_percent")),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_feature_flag")),
    )


def downgrade() -> None:
    op.drop_table("feature_flag")
    op.drop_index(op.f("ix_revoked_token_expires_at"), table_name="revoked_token")
    op.drop_table("revoked_token")
    op.drop_column("user_account", "token_generation")
