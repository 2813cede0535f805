"""How a dashboard view is answered: versioned key → 304, or cached bytes, or compute.

1. Read the data versions the view depends on (one primary-key query).
2. Build its key and ETag (`foyer.cache.keys.cache_key`). If the client already holds
   that ETag, answer 304 with no body and no further work.
3. Otherwise take the body from L1, then L2, else compute it once (single-flight) and
   fill both; bodies are orjson bytes, kept gzipped too when over 1 KB.

The versions are read in the same connection (SQLite: the same snapshot) as the compute,
before it: an entry can hold data newer than its key, never older.

`VIEWS` names every cached view once — its scopes and how to compute it — so routes and
the warmer (`Warmer`) build identical keys.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import nullcontext
from dataclasses import dataclass
from typing import Any

import orjson
from cachetools import LRUCache
from fastapi import Request, Response
from prometheus_client import Histogram
from sqlalchemy import Connection, Engine, func, select
from starlette.concurrency import run_in_threadpool

from foyer.api.pagination import CursorCodec, keyset_page
from foyer.cache.keys import Key, cache_key
from foyer.cache.store import GZIP_MIN_BYTES, Entry, TieredCache
from foyer.db.engine import read_connection
from foyer.db.schema import agg_month
from foyer.months import months_between, previous_month, this_month
from foyer.read.protocol import DashboardReader
from foyer.services import versions
from foyer.services.transactions import TransactionFilter

log = logging.getLogger("foyer.cache")

CACHE_CONTROL = "private, no-cache"  # the browser keeps it, and asks again with the ETag
JSON_TYPE = "application/json"
Params = Mapping[str, Any]

VIEW_SECONDS = Histogram(
    "foyer_view_seconds",
    "Server-side time of a dashboard view, from its version read to its response (the "
    "framework's share excluded), by view and outcome: hit (L1), not_modified (304), "
    "miss (L2 or computed).",
    ["view", "outcome"],
    # Fine below 1 ms: a warm hit's p95 must be read off these.
    buckets=(
        0.00005,
        0.0001,
        0.00025,
        0.0005,
        0.00075,
        0.001,
        0.0025,
        0.005,
        0.01,
        0.025,
        0.05,
        0.1,
        0.25,
        0.5,
        1.0,
        2.5,
    ),
)


@dataclass(frozen=True, slots=True)
class Sources:
    """What views are computed with."""

    reader: DashboardReader
    cursors: CursorCodec


@dataclass(frozen=True, slots=True)
class View:
    scopes: Callable[[Params], Sequence[str]]  # the data versions it depends on
    compute: Callable[[Sources, Connection, int, Params], Any]


def _categories(p: Params) -> Sequence[str]:
    return (versions.categories(p["month"]),)


def _budget_and_totals(p: Params) -> Sequence[str]:
    return (versions.BUDGET, versions.totals(p["month"]))


VIEWS: dict[str, View] = {
    "summary": View(
        _budget_and_totals, lambda s, c, h, p: s.reader.summary(c, household_id=h, month=p["month"])
    ),
    "slim_summary": View(
        _budget_and_totals,
        lambda s, c, h, p: s.reader.slim_summary(c, household_id=h, month=p["month"]),
    ),
    "hierarchy": View(
        _categories, lambda s, c, h, p: s.reader.hierarchy(c, household_id=h, month=p["month"])
    ),
    "drill_down_summary": View(
        # previous_total reads the month before
        lambda p: (
            versions.categories(p["month"]),
            versions.categories(previous_month(p["month"])),
        ),
        lambda s, c, h, p: s.reader.drill_down_summary(
            c, household_id=h, category=p["category"], month=p["month"]
        ),
    ),
    "drill_down_details": View(
        lambda p: (versions.details(p["month"]),),
        lambda s, c, h, p: s.reader.drill_down_details(
            c, household_id=h, category=p["category"], month=p["month"]
        ),
    ),
    "trends": View(
        lambda p: [versions.totals(m) for m in months_between(p["from"], p["to"])],
        lambda s, c, h, p: s.reader.trends(c, household_id=h, start=p["from"], end=p["to"]),
    ),
    "analytics_categories": View(
        _categories,
        lambda s, c, h, p: s.reader.analytics_categories(
            c, household_id=h, month=p["month"], expense_types=p["expense_types"].split(",")
        ),
    ),
    "drill_down_page": View(
        # its rows themselves, whatever changed in them
        lambda p: (versions.rows(p["month"]),),
        lambda s, c, h, p: keyset_page(
            c,
            s.cursors,
            household_id=h,
            filters=TransactionFilter(month=p["month"], category=p["category"], debits_only=True),
            sort=p["sort"],
            limit=p["limit"],
            cursor=p["cursor"] or None,
        ),
    ),
    "provisions_calculate": View(
        # provisions and config only, no transactions
        lambda p: (versions.BUDGET,),
        lambda s, c, h, p: s.reader.provisions_calculate(c, household_id=h, month=p["month"]),
    ),
}


def _key(conn: Connection, view: str, household_id: int, params: Params) -> Key:
    """The view's key: its scopes' current data versions (one primary-key read)."""
    current = versions.read(conn, household_id, VIEWS[view].scopes(params))
    return cache_key(view, household_id, params, current)


def key_from(current: Mapping[str, int], view: str, household_id: int, params: Params) -> Key:
    """The view's key from versions already read (a superset of its scopes)."""
    scopes = VIEWS[view].scopes(params)
    return cache_key(view, household_id, params, {scope: current[scope] for scope in scopes})


def _entry(
    conn: Connection,
    cache: TieredCache,
    sources: Sources,
    view: str,
    household_id: int,
    params: Params,
    key: Key,
    *,
    tally: bool = True,
) -> Entry:
    """The body under `key`: from the cache, or computed on `conn` (read after the key)."""
    compute = VIEWS[view].compute
    return cache.get_or_compute(
        view,
        key.text,
        lambda: orjson.dumps(compute(sources, conn, household_id, params)),
        tally=tally,
    )


def accepts_gzip(header: str) -> bool:
    for part in header.lower().split(","):
        name, _, params = part.strip().partition(";")
        if name.strip() in ("gzip", "*"):
            return params.replace(" ", "") not in ("q=0", "q=0.0", "q=0.00", "q=0.000")
    return False


def tag_list(header: str) -> set[str]:
    # If-None-Match compares weakly (RFC 9110 §13.1.2): W/ does not matter.
    return {tag.strip().removeprefix("W/") for tag in header.split(",") if tag.strip()}


def _gzip_tag(key: Key) -> str:
    return key.etag[:-1] + '-gz"'  # a strong ETag per representation


async def view_endpoint(
    request: Request, state: Any, view: str, household_id: int, params: Params
) -> Response:
    """A dashboard view for an async route: the ETag check and L1 hits on the event loop,
    L2 and computing on the threadpool.

    The one database read of the fast path is a primary-key lookup on the driver's cursor
    (~10 µs on SQLite), cheaper than the threadpool hop it saves. A miss computes with a
    later connection than the one that read the versions: its data is the same or newer,
    never older than its key says.
    """
    started = time.perf_counter()
    headers = request.headers
    if_none_match, accept_encoding = headers.get("if-none-match"), headers.get("accept-encoding")
    answer = await cached_answer(
        state, view, household_id, params, if_none_match, accept_encoding, started
    )
    if isinstance(answer, Response):
        return answer
    entry = await run_in_threadpool(_fill, state, view, household_id, params, answer)
    gzip_ok = accepts_gzip(accept_encoding or "")
    return respond(view, "miss", answer, entry, tag_list(if_none_match or ""), gzip_ok, started)


async def cached_answer(
    state: Any,
    view: str,
    household_id: int,
    params: Params,
    if_none_match: str | None,
    accept_encoding: str | None,
    started: float,
) -> Response | Key:
    """The answer without computing anything — a 304, or the body from L1 — or else the
    key the caller must fill (`_fill`). Shared by the routes and `foyer.api.fastpath`."""
    wanted = tag_list(if_none_match or "")
    # On the event loop's own connections (SQLite: in-process; PostgreSQL: awaited).
    current = await state.loop_engine.versions(household_id, VIEWS[view].scopes(params))
    key = cache_key(view, household_id, params, current)
    gzip_ok = accepts_gzip(accept_encoding or "")
    if wanted & {key.etag, _gzip_tag(key), "*"}:
        return respond(view, "not_modified", key, None, wanted, gzip_ok, started)
    entry = state.cache.peek(view, key.text)
    if entry is None:
        return key
    return respond(view, "hit", key, entry, wanted, gzip_ok, started)


def _fill(state: Any, view: str, household_id: int, params: Params, key: Key) -> Entry:
    state.warmer.remember(household_id, view, params)
    with read_connection(state.engine) as conn:
        sources = Sources(state.reader, state.cursors)
        return _entry(conn, state.cache, sources, view, household_id, params, key)


def respond(
    view: str,
    outcome: str,
    key: Key,
    entry: Entry | None,
    wanted: set[str],
    gzip_ok: bool,
    started: float,
) -> Response:
    """The answer for `key`: 304 when `entry` is None (the client holds it), else the body
    in the representation the client accepts. Times itself into VIEW_SECONDS."""
    headers = {"Cache-Control": CACHE_CONTROL, "Vary": "Accept-Encoding"}
    if entry is None:  # the client has it
        headers["ETag"] = _gzip_tag(key) if gzip_ok and _gzip_tag(key) in wanted else key.etag
        status, body = 304, b""
    elif entry.gzipped is not None and gzip_ok:
        headers.update({"ETag": _gzip_tag(key), "Content-Encoding": "gzip"})
        status, body = 200, entry.gzipped
    else:
        headers["ETag"] = key.etag
        status, body = 200, entry.body
        if len(body) >= GZIP_MIN_BYTES:
            # Starlette's GZipMiddleware adds this Vary itself to uncompressed bodies of
            # its minimum size (and would duplicate ours); every other answer needs ours.
            del headers["Vary"]
    media = JSON_TYPE if status == 200 else None
    # Time spent here, cache and database included (the framework's share is not).
    elapsed = time.perf_counter() - started
    headers["Server-Timing"] = f"view;dur={elapsed * 1000:.3f}"
    VIEW_SECONDS.labels(view, outcome).observe(elapsed)
    return Response(body, status_code=status, media_type=media, headers=headers)


Job = tuple[int, str, tuple[tuple[str, Any], ...]]  # household, view, sorted params


class Warmer:
    """Recomputes views in the background so the next reader finds them cached.

    After a write, of each household it touched (the first `inline` of these views on
    the write's own connection just before it commits — `before_commit` — the rest on
    the worker after it):
    - the base views (summary, slim summary, hierarchy) of the calendar's current and
      previous month, when the write changed them — the months people look at;
    - the views the household computed recently (`remember`: its last `recent` misses,
      any view, any month) whose data versions the write changed — what its people are
      looking at now, so their next read after their own write is a hit.
    At start: the base views of the households active this month or last, at most
    `households` of them. One worker thread, so warming never takes more than one core's
    slice from requests; a job already queued is not queued twice. Warm-ups are not
    counted as cache lookups (`tally=False`): the hit rate is the readers'.
    """

    VIEWS = ("summary", "slim_summary", "hierarchy")

    def __init__(
        self,
        engine: Engine,
        cache: TieredCache,
        sources: Sources,
        recent: int = 32,
        inline: int = 8,
    ) -> None:
        self.engine = engine
        self.cache = cache
        self.sources = sources
        self.recent = recent
        self.inline = inline
        self._pool_: ThreadPoolExecutor | None = None
        self._queued: set[Job] = set()
        # household -> its recent views (LRU); households themselves LRU-bounded.
        self._recent: LRUCache[int, LRUCache[Job, None]] = LRUCache(maxsize=10_000)
        self._lock = threading.Lock()  # shared by request threads and the worker

    @property
    def _pool(self) -> ThreadPoolExecutor:
        # Made on first use (again after close(): an app may be started more than once).
        with self._lock:
            if self._pool_ is None:
                self._pool_ = ThreadPoolExecutor(max_workers=1, thread_name_prefix="foyer-warm")
            return self._pool_

    def remember(self, household_id: int, view: str, params: Params) -> None:
        """A reader missed this view: keep it among the household's recent ones."""
        if self.recent <= 0 or not self.cache.enabled:
            return
        job = (household_id, view, tuple(sorted(params.items())))
        with self._lock:
            views = self._recent.get(household_id)
            if views is None:
                views = self._recent[household_id] = LRUCache(maxsize=self.recent)
            views[job] = None

    def before_commit(self, conn: Connection, notes: set[Any]) -> None:
        """The first `inline` jobs, on the writer's connection, before it commits.

        The entries are computed from exactly the data the commit publishes, under the
        keys of the versions it publishes, so they are in the cache before any reader can
        ask for those keys: the next read of each is a hit, in every process sharing the
        L2. Were the commit to fail, they would sit under keys that never come to exist.
        A failing warm-up is logged, never raised; on PostgreSQL each runs in a savepoint
        (an error there aborts the whole transaction; SQLite only undoes the statement).
        SQLite holds its write lock meanwhile, so this does few statements: one version
        read for all the jobs, no savepoints.
        """
        if not self.cache.enabled:
            return
        jobs = self._jobs(notes)[: self.inline]
        guard = nullcontext if conn.dialect.name == "sqlite" else conn.begin_nested
        wanted: dict[int, set[str]] = {}
        for household_id, view, items in jobs:
            wanted.setdefault(household_id, set()).update(VIEWS[view].scopes(dict(items)))
        current: dict[int, dict[str, int]] = {}  # read once per household, on first need
        for household_id, view, items in jobs:
            params = dict(items)
            try:
                with guard():
                    if household_id not in current:
                        scopes = sorted(wanted[household_id])
                        current[household_id] = versions.read(conn, household_id, scopes)
                    key = key_from(current[household_id], view, household_id, params)
                    _entry(
                        conn, self.cache, self.sources, view, household_id, params, key, tally=False
                    )
            except Exception:  # an optimisation: log it, never fail the write
                log.exception("cache warm-up of %s failed for household %s", view, household_id)

    def after_commit(self, notes: set[Any]) -> None:
        """A unit of work committed these (household, scope) version bumps: the jobs
        `before_commit` left, on the worker thread."""
        if not self.cache.enabled:
            return
        for job in self._jobs(notes)[self.inline :]:
            self._submit(job)

    def _jobs(self, notes: set[Any]) -> list[Job]:
        """The views to re-warm after a write with these notes, most wanted first."""
        changed: dict[int, set[str]] = {}
        for household_id, scope in notes:
            changed.setdefault(household_id, set()).add(scope)
        today = this_month()
        recent_months = (today, previous_month(today))
        jobs: dict[Job, None] = {}  # ordered: the most recently read first
        for household_id, scopes in changed.items():
            with self._lock:
                candidates = list(reversed(list(self._recent.get(household_id) or ())))
            for month in recent_months:
                candidates += [(household_id, view, (("month", month),)) for view in self.VIEWS]
            jobs.update(
                (job, None)
                for job in candidates
                if scopes.intersection(VIEWS[job[1]].scopes(dict(job[2])))
            )
        # The dashboard's first paint first.
        return sorted(jobs, key=lambda job: job[1] not in self.VIEWS)

    def _submit(self, job: Job) -> None:
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
        with read_connection(self.engine) as conn:
            active = conn.execute(
                select(agg_month.c.household_id)
                .where(agg_month.c.month.in_([today, previous_month(today)]))
                .group_by(agg_month.c.household_id)
                .order_by(func.sum(agg_month.c.transactions).desc())
                .limit(households)
            ).scalars()
            chosen = list(active)
        for household_id in chosen:
            for month in (today, previous_month(today)):
                for view in self.VIEWS:
                    self._warm((household_id, view, (("month", month),)), queued=False)

    def _warm(self, job: Job, *, queued: bool = True) -> None:
        household_id, view, items = job
        if queued:
            with self._lock:
                self._queued.discard(job)
        params = dict(items)
        try:
            with read_connection(self.engine) as conn:
                key = _key(conn, view, household_id, params)
                _entry(conn, self.cache, self.sources, view, household_id, params, key, tally=False)
        except Exception:  # a warm-up is an optimisation: log it, never fail a request
            log.exception("cache warm-up of %s failed for household %s", view, household_id)

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
