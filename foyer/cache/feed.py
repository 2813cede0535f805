"""PostgreSQL: the data stamps pushed to this process, so a cache hit needs no query.

Every change of `data_stamp` is announced on the channel `foyer_stamps` by a trigger
(migration 0013), in commit order. Each API process listens on one connection of its
own and keeps what it hears in a bounded in-process map, `(household, scope) -> stamp`
(`foyer.cache.stamp_map`, with the rule that keeps it exact).

Exact, not "usually fresh": hearing a change takes time, and a reader in this process
may arrive after a write committed elsewhere but before its announcement got here. So a
read first waits for a *fence*: one `SELECT 1` on the feed's connection. PostgreSQL
delivers a listener every notification it was signalled for before it reports ready for
the next query, and a committing backend signals the listeners before its own client
hears of the commit; so when the fence's answer is back, every change committed before
the fence was sent has been heard (tests/cache/test_feed.py and the cross-process test
hold PostgreSQL to it). A request waits for a fence sent after it arrived, or finds one
already back; every request waiting meanwhile shares the next one (the read-index
technique of etcd and Raft). One round trip per batch of concurrent hits, none of them on
the pool, instead of one query per hit. Why not a NOTIFY of its own coming back, whose
ordering PostgreSQL documents: NOTIFY takes a transaction id, and a fence per batch of
hits would burn them by the thousand a second (forcing anti-wraparound vacuums).

The fence is first waited for on the loop thread itself, for at most
`INLINE_FENCE_SECONDS` (a local round trip takes ~0.1 ms; after one came back late, not
for `INLINE_BACKOFF_SECONDS`): a hit awaiting it would be split over two or three turns
of the loop, each behind every other client's work, which is what made PostgreSQL's hits
slow under load. And while the loop thread waits, nothing else runs, which gives the
inline fence a wider reach than its send time: every request whose code runs before the
callback `_uncover`, scheduled just before the fence was sent, runs in a task created
before the fence was sent, so from bytes read before it (uvicorn creates a request's task
as it reads its headers). A task created later has its first step scheduled after
`_uncover`, and the loop runs callbacks first in, first out (asyncio's and uvloop's
alike). So a fence back on the loop covers the rest of its round of hits, however many:
none of them awaits. A fence not back in time is finished asynchronously, and its read
awaits it. Two cases await every fence, measured or reasoned in docs/SCALING.md: while
requests work on the thread pool (the loop's turns are theirs), and with a task factory
(which may run a task's first step before `_uncover`: a fence then covers only itself).

When the feed cannot answer — not connected yet, its connection lost, a fence slower
than `FENCE_TIMEOUT_SECONDS`, a scope never heard of — `read` says so and the caller
reads the stamps from the database, as without a feed (`foyer.cache.loop`). The feed
reconnects in the background and forgets everything it knew on reconnecting, since
announcements sent while it was away are lost. What it learns from those reads
(`learn`) is kept only when no announcement for that household arrived since the read
began: the read's value might be older than the announcement.

Why by hand: psycopg gives the LISTEN connection and its notifications; the map, the
fence and the fallback are foyer's consistency rules, which no library knows. One fence
on the wire, waited for blocking or awaited: `foyer.cache.fence`; the map:
`foyer.cache.stamp_map`.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections.abc import Callable, Sequence
from typing import Any

import anyio
import anyio.to_thread
import psycopg

from foyer.cache import fence
from foyer.cache.stamp_map import StampMap, Token
from foyer.db.identity import SameDatabase

log = logging.getLogger("foyer.cache")

CHANNEL = "foyer_stamps"

#: A fence sent and still out: its connection, when it was sent, its steps, what they wait for.
_Out = tuple[psycopg.AsyncConnection[Any], float, fence.Steps, int]


class StampFeed:
    """This process's live copy of the data stamps (see the module docstring)."""

    #: A fence slower than this (PostgreSQL overloaded, a network stall) is given up:
    #: the waiting reads fall back to reading the stamps and the connection is renewed.
    FENCE_TIMEOUT_SECONDS = 1.0
    #: How long the loop thread waits for a fence itself before awaiting it (module
    #: docstring): ~10 local round trips. Blocking it longer would stall every request
    #: for a PostgreSQL that is busy anyway; 0 awaits every fence.
    INLINE_FENCE_SECONDS = 0.001
    #: After a fence late on the loop thread, fences are awaited for this long: while
    #: PostgreSQL is busy (a burst of writes), blocking on it would stall every request.
    INLINE_BACKOFF_SECONDS = 0.05
    #: With no reads, a fence this often drains the socket and notices a dead connection.
    HEARTBEAT_SECONDS = 1.0
    RECONNECT_SECONDS = (0.05, 0.2, 1.0, 5.0)  # then every 5 s

    def __init__(
        self,
        url: str,
        households: int = 20_000,
        same_as: str | None = None,
        background: Callable[[], bool] | None = None,
    ) -> None:
        """`background`: whether the process's own threads are working (the warmer);
        then, as while requests work on threads, fences are awaited."""
        self._url = url
        self._background = background
        # FOYER_STAMP_FEED_URL: the main database's URL, whose identity the feed's must have.
        self._same_as = None if same_as is None else SameDatabase(same_as)
        self.refused = False  # it did not: the feed stays off for the process's life
        self.map = StampMap(households)
        self._conn: psycopg.AsyncConnection[Any] | None = None
        self._waiters: list[asyncio.Future[None]] = []
        self._own: asyncio.Future[None] | None = None  # the read of a late inline fence
        self._fencing = False
        self._task: asyncio.Task[None] | None = None  # connecting, then heartbeats
        self._fencer: asyncio.Task[None] | None = None
        self._broken = asyncio.Event()  # set when a fence fails: reconnect now
        self._loop: asyncio.AbstractEventLoop | None = None
        self.fences = 0
        self.inline_fences = 0  # of `fences`: back while the loop thread waited
        self.inline_late = 0  # waited for on the loop thread, not back in time
        self._inline_after = -math.inf  # no inline fence before (backing off)
        self.connects = 0
        # True from an inline fence's return until `_uncover` runs (module docstring).
        self._covered = False
        self._threads: anyio.CapacityLimiter | None = None
        self.last_fence_seconds = 0.0
        #: When the last fence back was sent (perf_counter) on the current connection.
        self._fenced_from = -math.inf

    @property
    def live(self) -> bool:
        return self._conn is not None

    def status(self) -> dict[str, Any]:
        """For the operators' performance report."""
        return {
            "live": self.live,
            "refused": self.refused,
            "connects": self.connects,
            "fences": self.fences,
            "inline_fences": self.inline_fences,
            "inline_late": self.inline_late,
            "last_fence_ms": round(self.last_fence_seconds * 1000, 3),
            "households": len(self.map),
            "sequence": self.map.seq,  # announcements heard, plus one per connect
        }

    async def read(
        self, household_id: int, scopes: Sequence[str], since: float | None = None
    ) -> dict[str, int] | Token | None:
        """The current stamps; or a `Token` when the caller must read them (then `learn`
        them); or None when the feed is down (read them, learn nothing).

        `since`: a `time.perf_counter()` taken after the request arrived. A fence sent
        after it and already back covers every write the request may have seen
        acknowledged, so the read need not wait for another — under load, most do not.
        """
        self._start()
        if self._conn is None:
            return None
        # `since` is a request's: without one (a caller's own write may have just committed
        # on this thread) only a fence sent from here on will do.
        covered = since is not None and (self._covered or self._fenced_from >= since)
        if not covered:
            inline = self._fence_inline(covered_after=since is not None)
            if inline is not True:
                if self._conn is None:
                    return None  # the inline fence lost the connection
                try:
                    # Late, the inline fence (sent after `since`) still covers this read.
                    await (self._fence() if inline is False else inline)
                except _FenceFailed:
                    return None
        return self.map.get(household_id, scopes)

    def learn(self, household_id: int, current: dict[str, int], token: Token) -> None:
        """Stamps read from the database after `token` was taken (`StampMap.learn`)."""
        self.map.learn(household_id, current, token)

    # -- the connection ---------------------------------------------------------------

    def _start(self) -> None:
        """Start connecting on first use, in the running loop (again if it changed, or
        after `aclose`: an app may be started more than once)."""
        loop = asyncio.get_running_loop()
        if self._loop is not loop:
            if self._conn is not None:  # the old loop's (gone, or a test's): release it now
                _finish(self._conn)
            self._loop, self._conn, self._waiters, self._fencing = loop, None, [], False
            self._own = None
            self._covered = False  # the old loop's `_uncover` will never run
            # The thread pool requests hand their blocking work to (starlette's, anyio's).
            self._threads = anyio.to_thread.current_default_thread_limiter()
            self._broken = asyncio.Event()
            self._task = loop.create_task(self._keep_connected(), name="foyer-stamp-feed")

    async def _keep_connected(self) -> None:
        attempt = 0
        while True:
            try:
                conn = await psycopg.AsyncConnection.connect(
                    self._url, autocommit=True, application_name="foyer-stamp-feed"
                )
            except psycopg.Error as exc:
                delay = self.RECONNECT_SECONDS[min(attempt, len(self.RECONNECT_SECONDS) - 1)]
                log.warning("stamp feed: cannot connect (%s); retrying in %ss", exc, delay)
                attempt += 1
                await asyncio.sleep(delay)
                continue
            try:
                if self._same_as is not None:
                    same = await self._same_as.check(conn)
                    if same is None:  # the check itself failed: try again later
                        await asyncio.sleep(self.RECONNECT_SECONDS[-1])
                        continue
                    if not same:
                        self.refused = True
                        return
                if not await self._listen(conn):
                    await asyncio.sleep(self.RECONNECT_SECONDS[0])
                    continue
                attempt = 0
                await self._heartbeats()
            finally:  # also when cancelled (shutdown): never leave a connection open
                if self._conn is conn:
                    self._conn = None
                _finish(conn)

    async def _listen(self, conn: psycopg.AsyncConnection[Any]) -> bool:
        try:
            conn.add_notify_handler(self._heard)
            await conn.execute(f"LISTEN {CHANNEL}")
        except psycopg.Error as exc:
            log.warning("stamp feed: cannot listen (%s)", exc)
            return False
        # Announcements sent before LISTEN were not heard: forget everything, and refuse
        # what reads begun before now would teach (their tokens are older).
        self.map.forget()
        self._broken.clear()
        self._fenced_from = -math.inf  # fences of the old connection cover nothing here
        self._covered = False
        self._conn = conn
        if self.connects:
            log.info("stamp feed: connected again")
        self.connects += 1
        return True

    async def _heartbeats(self) -> None:
        """Until a fence fails: a fence whenever reads left none for a while."""
        while True:
            try:
                await asyncio.wait_for(self._broken.wait(), self.HEARTBEAT_SECONDS)
                return
            except TimeoutError:
                pass
            if not self._fencing:
                try:
                    await self._fence()
                except _FenceFailed:
                    return

    def _heard(self, notify: psycopg.Notify) -> None:
        if notify.channel == CHANNEL:
            self.map.heard(notify.payload)

    # -- fences ------------------------------------------------------------------------

    def _fence_inline(self, covered_after: bool) -> bool | asyncio.Future[None]:
        """Send a fence and wait for it on the loop thread, up to INLINE_FENCE_SECONDS:
        True when it is back (then, with `covered_after`, it covers this round of hits).
        Not back in time, it is finished by `_send_fences`: a future done when it is.
        False: none sent."""
        conn, loop = self._conn, self._loop
        if conn is None or loop is None or self._fencing or self.INLINE_FENCE_SECONDS <= 0:
            return False  # a fence is out already (pgconn busy): await the next one
        if (self._threads is not None and self._threads.borrowed_tokens) or (
            self._background is not None and self._background()
        ):
            # Requests (writes, misses) or the warmer are working on threads: measured,
            # fences waited for on the loop thread then made the writes' and misses'
            # 95th percentile 12-24 % worse (docs/SCALING.md); awaited, the loop passes
            # its turns to them meanwhile.
            return False
        started = time.perf_counter()
        if started < self._inline_after:
            return False  # the last one was late: PostgreSQL is busy, do not block on it
        # A task factory may run a task's first step inside `create_task` (Python 3.12's
        # eager tasks), before `_uncover`: then a fence covers only itself.
        covered_after = covered_after and loop.get_task_factory() is None
        if covered_after:
            # Scheduled before the fence is sent: everything scheduled later runs after it.
            loop.call_soon(self._uncover)
        try:
            conn.pgconn.send_query(fence.FENCE)
            steps = fence.steps(conn.pgconn)
            waiting = fence.drive_inline(conn.pgconn, steps, started + self.INLINE_FENCE_SECONDS)
        except psycopg.Error as exc:
            self._lost(conn, exc)
            return False
        if waiting is not None:  # still out: finished asynchronously
            self.inline_late += 1
            self._inline_after = started + self.INLINE_BACKOFF_SECONDS
            self._fencing = True
            own = self._own = loop.create_future()
            self._fencer = loop.create_task(self._send_fences((conn, started, steps, waiting)))
            return own
        self._fenced(conn, started)
        self.inline_fences += 1
        self._covered = covered_after
        return True

    def _uncover(self) -> None:
        self._covered = False

    async def _fence(self) -> None:
        """Return once a fence sent after this call came back."""
        assert self._loop is not None
        waiter = self._loop.create_future()
        self._waiters.append(waiter)
        if not self._fencing:
            self._fencing = True
            self._fencer = self._loop.create_task(self._send_fences())
        await waiter

    async def _send_fences(self, out: _Out | None = None) -> None:
        """Send fences until no read waits for one; `out`: an inline fence to finish
        first, for `_own`, the read that sent it (the reads waiting meanwhile may have
        arrived after it was sent: the next fence is theirs)."""
        batch: Sequence[asyncio.Future[None]] = ()
        try:
            if out is not None:
                batch = () if self._own is None else (self._own,)
                self._own = None
                if not await self._finish_fence(*out, batch=batch):
                    return
                _release(batch)
            while self._waiters:
                batch, self._waiters = self._waiters, []
                conn = self._conn
                started = time.perf_counter()
                if conn is None:
                    self._failed(None, psycopg.OperationalError("stamp feed: not connected"), batch)
                    return
                steps = fence.steps(conn.pgconn)
                try:
                    conn.pgconn.send_query(fence.FENCE)
                    waiting = next(steps, None)  # up to its first wait, if any
                except psycopg.Error as exc:
                    self._failed(conn, exc, batch)
                    return
                if waiting is None:  # back already
                    self._fenced(conn, started)
                elif not await self._finish_fence(conn, started, steps, waiting, batch):
                    return
                _release(batch)
        except BaseException as exc:
            # Cancelled (aclose), or anything unforeseen (then the connection, its fence
            # perhaps still out, is renewed): no read may wait forever.
            conn = None if isinstance(exc, asyncio.CancelledError) else self._conn
            self._failed(conn, exc, batch)
            raise
        finally:
            self._fencing = False

    async def _finish_fence(
        self,
        conn: psycopg.AsyncConnection[Any],
        started: float,
        steps: fence.Steps,
        waiting: int,
        batch: Sequence[asyncio.Future[None]] = (),
    ) -> bool:
        """Wait for a fence sent at `started` (its `steps` now `waiting` for the socket):
        True once it is back; else the connection is given up and every read waiting
        for a fence falls back."""
        assert self._loop is not None
        try:
            async with asyncio.timeout(self.FENCE_TIMEOUT_SECONDS):
                await fence.drive_async(self._loop, conn.pgconn.socket, steps, waiting)
        except (psycopg.Error, TimeoutError) as exc:
            self._failed(conn, exc, batch)
            return False
        self._fenced(conn, started)
        return True

    def _fenced(self, conn: psycopg.AsyncConnection[Any], started: float) -> None:
        self.fences += 1
        self.last_fence_seconds = time.perf_counter() - started
        if self._conn is conn:
            self._fenced_from = max(self._fenced_from, started)

    def _failed(
        self,
        conn: psycopg.AsyncConnection[Any] | None,
        exc: BaseException,
        batch: Sequence[asyncio.Future[None]] = (),
    ) -> None:
        self._lost(conn, exc)
        own, self._own = self._own, None
        for waiter in (*batch, *self._waiters, *(() if own is None else (own,))):
            if not waiter.done():
                waiter.set_exception(_FenceFailed())
        self._waiters = []

    def _lost(self, conn: psycopg.AsyncConnection[Any] | None, exc: BaseException) -> None:
        if conn is not None and self._conn is conn:
            log.warning("stamp feed lost (%s): reading stamps until it is back", exc)
            self._conn = None
            self._broken.set()  # `_keep_connected` closes it and connects again

    async def aclose(self) -> None:
        """Stop listening (shutdown); a later read starts again."""
        loop, self._loop = self._loop, None
        tasks = [task for task in (self._task, self._fencer) if task is not None]
        self._task = self._fencer = None
        for task in tasks:
            task.cancel()
        if loop is asyncio.get_running_loop():
            await asyncio.gather(*tasks, return_exceptions=True)  # cancelled: nothing to report
        # A fencer cancelled before its first step ran no clean-up: its reads fall back.
        self._failed(None, _FenceFailed())
        conn, self._conn = self._conn, None
        if conn is not None:  # its task never ran its `finally` (another loop's, gone)
            _finish(conn)


def _release(waiters: Sequence[asyncio.Future[None]]) -> None:
    for waiter in waiters:
        if not waiter.done():  # a read cancelled meanwhile is done
            waiter.set_result(None)


class _FenceFailed(Exception):
    """The fence did not come back: the waiting reads fall back to the database."""


def _finish(conn: psycopg.AsyncConnection[Any]) -> None:
    """Close the connection at once, without awaiting: from a `finally` of a cancelled
    task, or for a loop that is gone. (AsyncConnection.close does little more.)"""
    if not conn.closed:
        conn.pgconn.finish()
