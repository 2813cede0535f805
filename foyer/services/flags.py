"""An operator's change of a feature flag (table `feature_flag`). Nothing here commits."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Connection
from sqlalchemy.dialects import postgresql, sqlite

from foyer.db.schema import feature_flag


def set_percent(
    conn: Connection, *, name: str, percent: int, updated_at: dt.datetime, updated_by: str | None
) -> None:
    """Store `percent` for the flag `name`, replacing what was stored."""
    insert = postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert
    values = {"percent": percent, "updated_at": updated_at, "updated_by": updated_by}
    stmt = insert(feature_flag).values(name=name, **values)
    # An upsert, not delete + insert: two operators setting the same flag at once on
    # PostgreSQL would otherwise both insert and one fail on the primary key.
    conn.execute(stmt.on_conflict_do_update(index_elements=["name"], set_=values))
