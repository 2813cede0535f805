"""Which PostgreSQL database a connection reaches, whatever the path to it.

The stamp feed may connect through its own URL (`FOYER_STAMP_FEED_URL`: directly, while
the main pool goes through a pooler). A feed listening to another database would hear
none of the writes and let stale cache answers through, so it first checks that both
URLs reach the same cluster (its system identifier) and the same database.
"""

from __future__ import annotations

import logging
from typing import Any

import psycopg

log = logging.getLogger("foyer.cache")

IDENTITY = "SELECT system_identifier, current_database() FROM pg_control_system()"


async def same_database(conn: psycopg.AsyncConnection[Any], main_url: str) -> bool | None:
    """Whether `conn` reaches the database of `main_url`; None when that cannot be told now
    (a connection failed: ask again later). A mismatch is logged as an error."""
    try:
        async with await psycopg.AsyncConnection.connect(main_url, autocommit=True) as main:
            expected = await (await main.execute(IDENTITY)).fetchone()
        found = await (await conn.execute(IDENTITY)).fetchone()
    except psycopg.Error as exc:
        log.warning("stamp feed: cannot check FOYER_STAMP_FEED_URL yet (%s)", exc)
        return None
    if found != expected:
        log.error(
            "stamp feed: FOYER_STAMP_FEED_URL reaches %s, the main database is %s (database, "
            "cluster); the feed stays off and cache hits read their stamps",
            _named(found),
            _named(expected),
        )
        return False
    return True


def _named(identity: tuple[Any, ...] | None) -> str:
    return "?" if identity is None else f"{identity[1]} of cluster {identity[0]}"
