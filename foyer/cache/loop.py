"""The event loop's own database connections, for the data-stamp reads of cache hits."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence
from typing import Any

from psycopg_pool import AsyncConnectionPool
from sqlalchemy import Engine
from sqlalchemy.pool import PoolProxiedConnection, StaticPool

from foyer.cache.feed import StampFeed
from foyer.db.engine import make_engine, read_connection
from foyer.observability.metrics import Metrics
from foyer.observability.queries import QueryMonitor
from foyer.services import stamps
from foyer.settings import Settings


class LoopStamps:
    """The event loop's own connections, for the one read it does itself: the data
    stamps of a cached view (`foyer.cache.lookup.ViewCache.key`).

    Why its own: the loop must never wait for a pooled connection. With every connection
    of the main pool busy on the threadpool, a checkout there would block the loop — and
    every request with it — for up to the pool's timeout.
    - SQLite: one connection held for the app's life, read synchronously (a primary-key
      lookup in the process, ~9 µs: cheaper than any hand-off), and not even that while
      nothing was committed since (`PRAGMA data_version`, ~3.5 µs). Only the loop thread
      uses it, never across an `await`, so it is always free. An in-memory database has
      only one connection, which it shares.
    - PostgreSQL: the stamps come from this process's feed (`foyer.cache.feed`: pushed
      by PostgreSQL, checked by one fence shared by concurrent hits). When the feed
      cannot answer, or with FOYER_STAMP_FEED=off, they are read — a network round
      trip, so awaited, on a small psycopg_pool `AsyncConnectionPool` (autocommit: no
      BEGIN/COMMIT round trips) — other requests run meanwhile.
    Made on first use, in the running loop; `aclose` at shutdown.
    """

    ASYNC_POOL_SIZE = 4
    #: SQLite: (household, scopes) stamp sets remembered between two commits (~0.3 KB each).
    KNOWN_MAX = 20_000
    #: Longest wait for one of those connections (psycopg_pool's default is 30 s). A read
    #: is one round trip, so a longer wait means PostgreSQL is down or restarting: the
    #: request then answers 503 (PoolTimeout, foyer.api.errors) instead of hanging until it
    #: is back (tests/faults/test_postgres_restart.py).
    CHECKOUT_TIMEOUT_SECONDS = 1.0

    def __init__(
        self,
        settings: Settings,
        main: Engine,
        queries: QueryMonitor | None = None,
        metrics: Metrics | None = None,
        background: Callable[[], bool] | None = None,
    ) -> None:
        """`background`: whether the process's own threads are working (the warmer),
        for the stamp feed (`StampFeed`)."""
        self._settings = settings
        self._metrics = metrics
        self._sources: dict[str, Any] = {}
        self._main = main
        self._queries = queries  # times the PostgreSQL reads (SQLite: uncounted, as before)
        self._engine: Engine | None = None
        self._raw: PoolProxiedConnection | None = None  # SQLite: the loop's connection
        # SQLite: the stamps read since the file last changed, by (household, scopes), and
        # the connection's data_version they were read at (see `_read_sqlite`).
        self._known: dict[tuple[int, tuple[str, ...]], dict[str, int]] = {}
        self._version = -1
        self._pool: AsyncConnectionPool[Any] | None = None  # bound to one loop
        self._pool_loop: asyncio.AbstractEventLoop | None = None
        self._opening: asyncio.Lock | None = None
        self.feed: StampFeed | None = None
        if main.dialect.name == "postgresql" and settings.stamp_feed == "on":
            url = main.url.set(drivername="postgresql").render_as_string(hide_password=False)
            self.feed = StampFeed(
                settings.stamp_feed_url or url,
                settings.stamp_feed_households,
                # Its own URL: the feed checks it reaches the main database.
                same_as=url if settings.stamp_feed_url else None,
                background=background,
            )

    async def read(
        self, household_id: int, scopes: Sequence[str], since: float | None = None
    ) -> dict[str, int]:
        """The current data stamp of each scope, read without waiting for the main pool
        (`since`: a perf_counter taken after the request arrived, `StampFeed.read`)."""
        if self._main.dialect.name != "postgresql":
            return self._read_sqlite(household_id, scopes)
        if self.feed is None:
            self._count("feed_off")
            return await self._read_async(household_id, scopes)
        known = await self.feed.read(household_id, scopes, since)
        if isinstance(known, dict):
            self._count("feed")
            return known
        current = await self._read_async(household_id, scopes)
        if known is None:
            self._count("feed_down")
        else:
            self._count("database")
            self.feed.learn(household_id, current, known)
        return current

    def _count(self, source: str) -> None:
        if self._metrics is not None:
            counter = self._sources.get(source)
            if counter is None:  # the labelled child, looked up once
                counter = self._sources[source] = self._metrics.stamp_reads.labels(source)
            counter.inc()

    async def _read_async(self, household_id: int, scopes: Sequence[str]) -> dict[str, int]:
        pool = await self._async_pool()
        started = time.perf_counter()
        async with pool.connection(timeout=self.CHECKOUT_TIMEOUT_SECONDS) as conn:
            current = await stamps.read_async(conn, household_id, scopes)
        if self._queries is not None:  # psycopg's own pool: SQLAlchemy's events never see it
            self._queries.record("select data_stamp", time.perf_counter() - started)
        return current

    def _read_sqlite(self, household_id: int, scopes: Sequence[str]) -> dict[str, int]:
        if self._raw is None:
            if isinstance(self._main.pool, StaticPool):
                # An in-memory database has one connection, the main pool's: share it.
                with read_connection(self._main) as conn:
                    return stamps.read(conn, household_id, scopes)
            # Held for the app's life, in autocommit (foyer's SQLite connections are):
            # the read is one statement, its own snapshot. Checking a connection out of
            # a pool and opening and ending a transaction around it cost ~80 µs a hit,
            # five times the read itself.
            self._engine = make_engine(self._settings, single=True)
            self._raw = self._engine.raw_connection()
            # A data_version means something only to the connection that returned it: a
            # new connection (after `aclose`, the app started again) starts from scratch.
            self._known, self._version = {}, -1
        raw: Any = self._raw.dbapi_connection  # sqlite3's, in autocommit
        # SQLite's data_version changes once any other connection, of this process or
        # another, has committed to the file since this connection last asked; this one
        # only reads. Unchanged: the stamps read since the last change are still exact
        # (3.5 µs against 9 for the read). Only the loop thread comes here, never across
        # an await: the check, the read and the store are one uninterrupted step.
        version = raw.execute("PRAGMA data_version").fetchone()[0]
        key = (household_id, tuple(scopes))
        if version != self._version:
            self._known.clear()
            self._version = version
        else:
            known = self._known.get(key)
            if known is not None:
                return known
        current = stamps.read_dbapi(raw, "sqlite", household_id, scopes)
        if len(self._known) >= self.KNOWN_MAX:
            self._known.clear()
        self._known[key] = current
        return current

    async def _async_pool(self) -> AsyncConnectionPool[Any]:
        loop = asyncio.get_running_loop()
        if self._pool is not None and self._pool_loop is loop:
            return self._pool
        if self._opening is None or self._pool_loop is not loop:
            self._opening, self._pool_loop, self._pool = asyncio.Lock(), loop, None
        async with self._opening:
            if self._pool is None:
                url = self._main.url.set(drivername="postgresql")
                pool = AsyncConnectionPool(
                    url.render_as_string(hide_password=False),
                    min_size=1,
                    max_size=self.ASYNC_POOL_SIZE,
                    kwargs={"autocommit": True},
                    open=False,
                )
                await pool.open()
                self._pool = pool
        return self._pool

    async def aclose(self) -> None:
        if self.feed is not None:
            await self.feed.aclose()
        pool, self._pool, self._pool_loop = self._pool, None, None
        if pool is not None:
            await pool.close()
        raw, self._raw = self._raw, None
        if raw is not None:
            raw.close()
        engine, self._engine = self._engine, None
        if engine is not None:
            engine.dispose()
