"""Alembic environment: runs migrations on the connection `foyer.db.migrate` hands over."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from foyer.db.schema import metadata


def run_migrations(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        # SQLite cannot ALTER most things in place; batch mode recreates tables instead.
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations through `foyer migrate` (foyer.db.migrate)")
run_migrations(connection)
