"""How a cached view's body is found: data stamps → key → L1, else L2, else computed.

1. Read the data stamps the view depends on (one primary-key query).
2. Build its key and ETag (`foyer.cache.keys.cache_key`). The HTTP layer answers 304 when
   the client already holds that ETag, with no further work.
3. Otherwise take the body from L1 (`peek`, on the event loop), then L2, else compute it
   once (single-flight) and fill both (`fill`, on a worker thread); bodies are orjson
   bytes, kept gzipped too when over 1 KB.

The stamps are read before the body, on the same connection or an earlier one: an
entry can hold data newer than its key, never older. Nothing here knows HTTP: the
answers' conditional handling lives in `foyer.api.conditional`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

import orjson
from sqlalchemy import Connection

from foyer.cache.keys import CacheKey, cache_key
from foyer.cache.loop import LoopStamps
from foyer.cache.params import Params
from foyer.cache.store import Entry, TieredCache
from foyer.cache.views import Sources, View
from foyer.db.engine import Database
from foyer.services import stamps

if TYPE_CHECKING:  # the warmer builds its keys and entries with this module's functions
    from foyer.cache.warming import Warmer


def key_from(current: Mapping[str, int], view: View, household_id: int, params: Params) -> CacheKey:
    """The view's key from stamps already read (a superset of its scopes)."""
    scopes = view.scopes(params)
    return cache_key(view.name, household_id, params, {scope: current[scope] for scope in scopes})


def key_on(conn: Connection, view: View, household_id: int, params: Params) -> CacheKey:
    """The view's key, its scopes' stamps read on `conn` (one primary-key read)."""
    current = stamps.read(conn, household_id, view.scopes(params))
    return cache_key(view.name, household_id, params, current)


def entry_on(
    conn: Connection,
    cache: TieredCache,
    sources: Sources,
    view: View,
    household_id: int,
    params: Params,
    key: CacheKey,
    *,
    tally: bool = True,
) -> Entry:
    """The body under `key`: from the cache, or computed on `conn` (read after the key)."""
    return cache.get_or_compute(
        view.name,
        key.text,
        lambda: orjson.dumps(view.compute(sources, conn, household_id, params)),
        tally=tally,
    )


class ViewCache:
    """The cached views of one app: keys read on the event loop's own connections, hits
    from L1, misses filled on a read connection and remembered for the warmer."""

    def __init__(
        self,
        *,
        database: Database,
        cache: TieredCache,
        loop_stamps: LoopStamps,
        sources: Sources,
        warmer: Warmer,
    ) -> None:
        self.database = database
        self.cache = cache
        self.loop_stamps = loop_stamps
        self.sources = sources
        self.warmer = warmer

    async def key(
        self, view: View, household_id: int, params: Params, since: float | None = None
    ) -> CacheKey:
        """The view's current key. On the event loop's own connections (SQLite: in-process;
        PostgreSQL: from the stamp feed, else awaited), so a busy main pool never blocks
        the loop. `since`: a perf_counter taken after the request arrived."""
        current = await self.loop_stamps.read(household_id, view.scopes(params), since)
        return cache_key(view.name, household_id, params, current)

    def peek(self, view: View, key: CacheKey) -> Entry | None:
        """The L1 entry (counted as a hit), or None."""
        return self.cache.peek(view.name, key.text)

    def fill(self, view: View, household_id: int, params: Params, key: CacheKey) -> Entry:
        """The entry from L2 or computed (blocking: run it on a worker thread). A later
        connection than the key's: its data is the same or newer, never older."""
        self.warmer.remember(household_id, view, params)
        with self.database.read() as conn:
            return entry_on(conn, self.cache, self.sources, view, household_id, params, key)
