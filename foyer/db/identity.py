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


class SameDatabase:
    """Checks that connections reach the database of `main_url`, whose identity is read
    once (it cannot change under a running process; a feed reconnecting asks again)."""

    def __init__(self, main_url: str) -> None:
        self.main_url = main_url
        self._expected: tuple[Any, ...] | None = None

    async def check(self, conn: psycopg.AsyncConnection[Any]) -> bool | None:
        """Whether `conn` reaches it; None when that cannot be told now (a connection or
        a query failed: ask again later). A mismatch is logged as an error."""
        try:
            if self._expected is None:
                async with await psycopg.AsyncConnection.connect(
                    self.main_url, autocommit=True
                ) as main:
                    self._expected = await (await main.execute(IDENTITY)).fetchone()
            found = await (await conn.execute(IDENTITY)).fetchone()
        except psycopg.Error as exc:
            log.warning("stamp feed: cannot check FOYER_STAMP_FEED_URL yet (%s)", exc)
            return None
        if found != self._expected:
            log.error(
                "stamp feed: FOYER_STAMP_FEED_URL reaches %s, the main database is %s "
                "(database, cluster); the feed stays off and cache hits read their stamps",
                _named(found),
                _named(self._expected),
            )
            return False
        return True


def _named(identity: tuple[Any, ...] | None) -> str:
    return "?" if identity is None else f"{identity[1]} of cluster {identity[0]}"
