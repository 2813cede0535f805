"""data versions per aggregate table: longer scope names

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-24 21:50:00

Scopes become '<month>' (month totals), '<month>:categories' and '<month>:details'
(foyer.services.versions); 'rows' is no longer read or written.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("data_version") as batch:
        batch.alter_column("scope", existing_type=sa.String(length=7), type_=sa.String(length=20))
    op.execute("DELETE FROM data_version WHERE scope = 'rows'")


def downgrade() -> None:
    op.execute("DELETE FROM data_version WHERE length(scope) > 7")
    with op.batch_alter_table("data_version") as batch:
        batch.alter_column("scope", existing_type=sa.String(length=20), type_=sa.String(length=7))
