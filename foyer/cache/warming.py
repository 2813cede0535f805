"""Cache warming: after a write, recompute the views its readers will ask for next.

After a write commits, of each household it touched:
- the base views (summary, slim summary, hierarchy) of the calendar's current and
  previous month, when the write changed them — the months people look at;
- the views the household computed recently (`remember`: its last `recent` misses, any
  view, any month) whose data stamps the write changed — what its people are looking
  at now, so their next read after their own write is most often a hit.
At start: the base views of the households active this month or last, at most
`households` of them. Only households the `warming` feature flag names (`warms`): the
others' next read after a write computes.

Only what gets read: a view whose last warm-up no reader was served by the time the
next write changed it is not warmed again, until a reader misses it (`remember`). Writes
in a row into a month nobody is looking at (an import, a batch of edits, the writes of a
household whose screen is closed) then cost no warm-ups after the first: in a load of
writes alone the warmer had taken 39 % of the interpreter's time (docs/PERFORMANCE.md,
"Warm-ups only for views read"). Each entry knows whether a reader was served it
(`Entry.read`, set by the cache's hits; the warmer watches its entries weakly, so one
L1 evicted counts as unknown). Only without a shared L2 (`adaptive`): with
Redis another process may serve this one's warm-ups from there, unseen here.

All of it on one worker thread, after the commit: the write's answer never waits for a
warm-up, and no warm-up runs inside a write transaction. (The first eight used to run
there, just before the commit; writes then queued behind view computations, on SQLite's
single writer lock and PostgreSQL's aggregate and stamp row locks — docs/PERFORMANCE.md,
"Writes under load".) A reader that misses a view while the worker computes it waits for
that computation instead of repeating it (single-flight, `foyer.cache.store`); one that
comes first computes it, and the worker then finds it cached. Bounded: a job already
waiting is not queued twice, and at most `max_pending` wait — past that the oldest are
dropped, being the least likely to be read next. One thread, so warming never takes more
than one core's slice from requests. Warm-ups are not counted as cache lookups
(`tally=False`): the hit rate is the readers'.

Exact as every cache fill: a worker's batch reads the household's data stamps first,
then computes on the same connection, so an entry can hold data newer than its key,
never older (`foyer.cache.lookup`).

Why not the job queue: a warm-up is worth something only in the next second, in this
process's L1; a persistent, retried job would outlive its use.
"""

from __future__ import annotations

import logging
import threading
import weakref
from collections import OrderedDict
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import NamedTuple

from cachetools import LRUCache
from sqlalchemy import Connection

from foyer.cache.keys import CacheKey
from foyer.cache.lookup import entry_on, key_from
from foyer.cache.params import Params
from foyer.cache.store import Entry, TieredCache
from foyer.cache.views import BY_NAME, VIEWS, Sources, View
from foyer.db.engine import Database, Notes
from foyer.months import previous_month, this_month
from foyer.read.activity import busiest_households
from foyer.services import stamps

log = logging.getLogger("foyer.cache")

#: The dashboard's first paint (`View.first_paint`): warmed for the months people look at.
#: They take a month and nothing else, which is what the jobs below give them.
BASE_VIEWS = tuple(view.name for view in VIEWS if view.first_paint)
if any(BY_NAME[name].params != ("month",) for name in BASE_VIEWS):
    raise TypeError("a first-paint view must take exactly one parameter, month")

#: Warm-ups waiting at most: a write queues up to `recent` + 6 of them per household, and
#: the worker gets through a few hundred a second, so this is seconds of work — past it,
#: the oldest are stale enough to drop.
MAX_PENDING = 1024
#: Jobs whose last warm-up's entry is watched to see whether it was read (~200 bytes
#: each: the job and a weak reference; the oldest forgotten first, then warmed again).
UNREAD_TRACKED = 20_000


class WarmJob(NamedTuple):
    household_id: int
    view_name: str
    params: tuple[tuple[str, str | int], ...]  # sorted items: hashable, one per request

    @classmethod
    def of(cls, household_id: int, view: View, params: Params) -> WarmJob:
        return cls(household_id, view.name, tuple(sorted(params.items())))

    @property
    def spec(self) -> View:
        return BY_NAME[self.view_name]


class Warmer:
    """Recomputes views in the background so the next reader finds them cached (see the
    module docstring for which, and when)."""

    def __init__(
        self,
        database: Database,
        cache: TieredCache,
        sources: Sources,
        recent: int = 32,
        warms: Callable[[int], bool] = lambda _household_id: True,
        max_pending: int = MAX_PENDING,
    ) -> None:
        self.database = database
        self.warms = warms  # which households are warmed (the `warming` flag)
        self.cache = cache
        self.sources = sources
        self.recent = recent
        self.max_pending = max_pending
        self.dropped = 0  # jobs dropped unrun for the bound, since start
        self.skipped = 0  # jobs not queued: their last warm-up went unread, since start
        # Skip warm-ups nobody read (module docstring): only when this process sees every
        # read of what it warms, i.e. without a shared L2.
        self.adaptive = cache.redis is None
        # job -> the entry its last warm-up made (or found), until a reader misses it. Weak:
        # the bodies are L1's to keep; one it evicted counts as unknown, and is warmed.
        self._warmed: LRUCache[WarmJob, weakref.ref[Entry]] = LRUCache(maxsize=UNREAD_TRACKED)
        self._pool_: ThreadPoolExecutor | None = None
        self._pending: OrderedDict[WarmJob, None] = OrderedDict()  # oldest first
        self._draining = False  # a `_drain` is queued or running on the worker
        self._starting = False  # `at_start`'s warm-up is queued or running on the worker
        # household -> its recent views (LRU); households themselves LRU-bounded.
        self._recent: LRUCache[int, LRUCache[WarmJob, None]] = LRUCache(maxsize=10_000)
        self._lock = threading.Lock()  # shared by request threads and the worker

    @property
    def _pool(self) -> ThreadPoolExecutor:
        # Made on first use (again after close(): an app may be started more than once).
        with self._lock:
            if self._pool_ is None:
                self._pool_ = ThreadPoolExecutor(max_workers=1, thread_name_prefix="foyer-warm")
            return self._pool_

    @property
    def working(self) -> bool:
        """Warm-ups queued or running (read without the lock: a racy hint, for
        `StampFeed`'s choice of how to wait for a fence)."""
        return self._draining or self._starting

    def queue_state(self) -> tuple[int, int, int]:
        """(warm-ups waiting, dropped unrun, skipped as unread since start): for /metrics."""
        with self._lock:
            return len(self._pending), self.dropped, self.skipped

    def remember(self, household_id: int, view: View, params: Params) -> None:
        """A reader missed this view: keep it among the household's recent ones, and warm
        it again after writes (even if its last warm-up went unread)."""
        if not self.cache.enabled:
            return
        job = WarmJob.of(household_id, view, params)
        with self._lock:
            self._warmed.pop(job, None)
            if self.recent <= 0:
                return
            views = self._recent.get(household_id)
            if views is None:
                views = self._recent[household_id] = LRUCache(maxsize=self.recent)
            views[job] = None

    def forget(self) -> None:
        """Drop every household's recent views (a fresh start, as in a new process)."""
        with self._lock:
            self._recent.clear()
            self._warmed.clear()

    def after_commit(self, notes: Notes) -> None:
        """A unit of work committed these (household, scope) stamp renewals: queue their
        warm-ups for the worker and return at once (the write's answer does not wait)."""
        if not self.cache.enabled:
            return
        jobs = self._jobs(notes)
        if not jobs:
            return
        with self._lock:
            for job in jobs:
                self._pending.setdefault(job)
            while len(self._pending) > self.max_pending:
                self._pending.popitem(last=False)
                self.dropped += 1
            start, self._draining = not self._draining, True
        if start:
            self._pool.submit(self._drain)

    def _jobs(self, notes: Notes) -> list[WarmJob]:
        """The views to re-warm after a write with these notes, most wanted first."""
        changed: dict[int, set[str]] = {}
        for household_id, scope in notes:
            changed.setdefault(household_id, set()).add(scope)
        today = this_month()
        recent_months = (today, previous_month(today))
        jobs: dict[WarmJob, None] = {}  # ordered: the most recently read first
        for household_id, scopes in changed.items():
            if not self.warms(household_id):
                continue
            with self._lock:
                candidates = list(reversed(list(self._recent.get(household_id) or ())))
            candidates += [
                WarmJob(household_id, view, (("month", month),))
                for month in recent_months
                for view in BASE_VIEWS
            ]
            changed_jobs = [
                job for job in candidates if scopes.intersection(job.spec.scopes(dict(job.params)))
            ]
            with self._lock:
                jobs.update((job, None) for job in changed_jobs if not self._unread(job))
        return sorted(jobs, key=lambda job: job.view_name not in BASE_VIEWS)

    def _unread(self, job: WarmJob) -> bool:
        """Whether the job's last warm-up went unread (then it is skipped, and counted).
        Under `_lock`."""
        if not self.adaptive:
            return False
        held = self._warmed.get(job)
        last = None if held is None else held()
        if last is None or last.read:
            return False
        self.skipped += 1
        return True

    def _drain(self) -> None:
        """On the worker: run the waiting jobs, oldest first, a household's together."""
        try:
            while True:
                with self._lock:
                    if not self._pending:
                        self._draining = False
                        return
                    first, _ = self._pending.popitem(last=False)
                    batch = [first] + [
                        job for job in self._pending if job.household_id == first.household_id
                    ]
                    for job in batch[1:]:
                        del self._pending[job]
                self._warm(batch)
        except BaseException:
            with self._lock:  # the next job queued starts a new drain
                self._draining = False
            raise

    def at_start(self, households: int) -> None:
        if not self.cache.enabled or households <= 0:
            return
        self._starting = True
        self._pool.submit(self._warm_active, households)

    def _warm_active(self, households: int) -> None:
        try:
            self._warm_busiest(households)
        finally:
            self._starting = False

    def _warm_busiest(self, households: int) -> None:
        today = this_month()
        months = (today, previous_month(today))
        with self.database.read() as conn:
            chosen = busiest_households(conn, months, households)
        for household_id in filter(self.warms, chosen):
            self._warm(
                [
                    WarmJob(household_id, view, (("month", month),))
                    for month in months
                    for view in BASE_VIEWS
                ]
            )

    def _warm(self, jobs: Sequence[WarmJob]) -> None:
        """Compute one household's jobs on one read connection, its stamps read once,
        first. A failing job is logged, never raised (a warm-up is an optimisation); the
        ones after it go on on a new connection (PostgreSQL aborts the failed one's
        transaction)."""
        remaining = list(jobs)
        while remaining:
            try:
                with self.database.read() as conn:
                    household_id = remaining[0].household_id
                    scopes = sorted(
                        {s for job in remaining for s in job.spec.scopes(dict(job.params))}
                    )
                    current = stamps.read(conn, household_id, scopes)
                    while remaining:
                        job = remaining[0]
                        key = key_from(current, job.spec, household_id, dict(job.params))
                        self._compute(conn, job, key)
                        remaining.pop(0)
            except Exception:
                job = remaining.pop(0)
                log.exception(
                    "cache warm-up of %s failed for household %s", job.view_name, job.household_id
                )

    def _compute(self, conn: Connection, job: WarmJob, key: CacheKey) -> None:
        params = dict(job.params)
        entry = entry_on(
            conn, self.cache, self.sources, job.spec, job.household_id, params, key, tally=False
        )
        with self._lock:
            self._warmed[job] = weakref.ref(entry)

    def wait(self) -> None:
        """Block until the queued warm-ups ran (tests, shutdown)."""
        self._pool.submit(lambda: None).result()

    def close(self) -> None:
        with self._lock:
            self._pending.clear()  # a running drain stops after its batch
            pool, self._pool_ = self._pool_, None
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)
        with self._lock:  # a cancelled drain never ran: the next job starts one
            self._pending.clear()
            self._draining = self._starting = False
