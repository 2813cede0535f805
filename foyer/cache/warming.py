"""Cache warming: after a write, recompute the views its readers will ask for next.

After a write, of each household it touched (the first `inline` of these views on the
write's own connection just before it commits — `before_commit` — the rest on the
worker after it):
- the base views (summary, slim summary, hierarchy) of the calendar's current and
  previous month, when the write changed them — the months people look at;
- the views the household computed recently (`remember`: its last `recent` misses, any
  view, any month) whose data stamps the write changed — what its people are looking
  at now, so their next read after their own write is a hit.
At start: the base views of the households active this month or last, at most
`households` of them. Only households the `warming` feature flag names (`warms`): the
others' next read after a write computes. One worker thread, so warming never takes more
than one core's slice from requests; a job already queued is not queued twice. Warm-ups
are not counted as cache lookups (`tally=False`): the hit rate is the readers'.

Why not the job queue: a warm-up is worth something only in the next second, in this
process's L1; a persistent, retried job would outlive its use.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager, nullcontext
from typing import NamedTuple

from cachetools import LRUCache
from sqlalchemy import Connection

from foyer.cache.keys import CacheKey
from foyer.cache.lookup import entry_on, key_from, key_on
from foyer.cache.params import Params
from foyer.cache.store import TieredCache
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
        inline: int = 8,
        warms: Callable[[int], bool] = lambda _household_id: True,
    ) -> None:
        self.database = database
        self.warms = warms  # which households are warmed (the `warming` flag)
        self.cache = cache
        self.sources = sources
        self.recent = recent
        self.inline = inline
        self._pool_: ThreadPoolExecutor | None = None
        self._queued: set[WarmJob] = set()
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

    def remember(self, household_id: int, view: View, params: Params) -> None:
        """A reader missed this view: keep it among the household's recent ones."""
        if self.recent <= 0 or not self.cache.enabled:
            return
        job = WarmJob.of(household_id, view, params)
        with self._lock:
            views = self._recent.get(household_id)
            if views is None:
                views = self._recent[household_id] = LRUCache(maxsize=self.recent)
            views[job] = None

    def forget(self) -> None:
        """Drop every household's recent views (a fresh start, as in a new process)."""
        with self._lock:
            self._recent.clear()

    def before_commit(self, conn: Connection, notes: Notes) -> None:
        """The first `inline` jobs, on the writer's connection, before it commits.

        The entries are computed from exactly the data the commit publishes, under the
        keys of the stamps it publishes, so they are in the cache before any reader can
        ask for those keys: the next read of each is a hit, in every process sharing the
        L2. Were the commit to fail, they would sit under keys that never come to exist.
        A failing warm-up is logged, never raised; on PostgreSQL each runs in a savepoint
        (an error there aborts the whole transaction; SQLite only undoes the statement).
        SQLite holds its write lock meanwhile, so this does few statements: one stamp
        read for all the jobs, no savepoints.
        """
        if not self.cache.enabled:
            return
        jobs = self._jobs(notes)[: self.inline]
        wanted: dict[int, set[str]] = {}
        for job in jobs:
            wanted.setdefault(job.household_id, set()).update(job.spec.scopes(dict(job.params)))
        current: dict[int, dict[str, int]] = {}  # read once per household, on first need
        for job in jobs:
            household_id, params = job.household_id, dict(job.params)
            try:
                with _savepoint(conn):
                    if household_id not in current:
                        scopes = sorted(wanted[household_id])
                        current[household_id] = stamps.read(conn, household_id, scopes)
                    key = key_from(current[household_id], job.spec, household_id, params)
                    self._compute(conn, job, key)
            except Exception:  # an optimisation: log it, never fail the write
                log.exception(
                    "cache warm-up of %s failed for household %s", job.view_name, job.household_id
                )

    def after_commit(self, notes: Notes) -> None:
        """A unit of work committed these (household, scope) stamp renewals: the jobs
        `before_commit` left, on the worker thread."""
        if not self.cache.enabled:
            return
        for job in self._jobs(notes)[self.inline :]:
            self._submit(job)

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
            jobs.update(
                (job, None)
                for job in candidates
                if scopes.intersection(job.spec.scopes(dict(job.params)))
            )
        return sorted(jobs, key=lambda job: job.view_name not in BASE_VIEWS)

    def _submit(self, job: WarmJob) -> None:
        with self._lock:
            if job in self._queued:
                return
            self._queued.add(job)
        self._pool.submit(self._warm, job)

    def at_start(self, households: int) -> None:
        if not self.cache.enabled or households <= 0:
            return
        self._pool.submit(self._warm_active, households)

    def _warm_active(self, households: int) -> None:
        today = this_month()
        months = (today, previous_month(today))
        with self.database.read() as conn:
            chosen = busiest_households(conn, months, households)
        for household_id in filter(self.warms, chosen):
            for month in months:
                for view in BASE_VIEWS:
                    self._warm(WarmJob(household_id, view, (("month", month),)), queued=False)

    def _warm(self, job: WarmJob, *, queued: bool = True) -> None:
        if queued:
            with self._lock:
                self._queued.discard(job)
        try:
            with self.database.read() as conn:
                key = key_on(conn, job.spec, job.household_id, dict(job.params))
                self._compute(conn, job, key)
        except Exception:  # a warm-up is an optimisation: log it, never fail a request
            log.exception(
                "cache warm-up of %s failed for household %s", job.view_name, job.household_id
            )

    def _compute(self, conn: Connection, job: WarmJob, key: CacheKey) -> None:
        params = dict(job.params)
        entry_on(
            conn, self.cache, self.sources, job.spec, job.household_id, params, key, tally=False
        )

    def wait(self) -> None:
        """Block until the queued warm-ups ran (tests, shutdown)."""
        self._pool.submit(lambda: None).result()

    def close(self) -> None:
        with self._lock:
            pool, self._pool_ = self._pool_, None
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)
        with self._lock:  # cancelled jobs never ran: queue them again if asked again
            self._queued.clear()


def _savepoint(conn: Connection) -> AbstractContextManager[object]:
    # PostgreSQL: an error aborts the whole transaction unless inside a savepoint.
    return nullcontext() if conn.dialect.name == "sqlite" else conn.begin_nested()
