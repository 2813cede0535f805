"""The feature flags operators set at run time (table `feature_flag`), as every process
reads them (`foyer.observability.flags`)."""

from __future__ import annotations

import datetime as dt
from typing import NamedTuple

from sqlalchemy import Connection, select

from foyer.db.engine import as_utc
from foyer.db.schema import feature_flag


class StoredFlag(NamedTuple):
    percent: int
    updated_at: dt.datetime
    updated_by: str | None


def stored_flags(conn: Connection) -> dict[str, StoredFlag]:
    """Every flag an operator has set, by name (a handful of rows: no filter, no index)."""
    rows = conn.execute(
        select(
            feature_flag.c.name,
            feature_flag.c.percent,
            feature_flag.c.updated_at,
            feature_flag.c.updated_by,
        )
    )
    return {
        row.name: StoredFlag(int(row.percent), as_utc(row.updated_at), row.updated_by)
        for row in rows
    }
