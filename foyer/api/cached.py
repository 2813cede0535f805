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
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import orjson
from fastapi import Request, Response
from sqlalchemy import Connection, Engine, func, select
from starlette.concurrency import run_in_threadpool

from foyer.cache.keys import Key, cache_key
from foyer.cache.store import GZIP_MIN_BYTES, Entry, TieredCache
from foyer.db.engine import read_connection
from foyer.db.schema import agg_month
from foyer.domain.model import EXPENSE_TYPES
from foyer.months import previous_month, this_month
from foyer.read.protocol import DashboardReader
from foyer.services import versions

log = logging.getLogger("foyer.cache")

CACHE_CONTROL = "private, no-cache"  # the browser keeps it, and asks again with the ETag
JSON_TYPE = "application/json"
Params = Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class View:
    scopes: Callable[[Params], Sequence[str]]  # the data versions it depends on
    compute: Callable[[DashboardReader, Connection, int, Params], Any]


def _month(p: Params) -> Sequence[str]:
    return (p["month"],)


def _budget_and_month(p: Params) -> Sequence[str]:
    return (versions.BUDGET, p["month"])


VIEWS: dict[str, View] = {
    "summary": View(
        _budget_and_month, lambda r, c, h, p: r.summary(c, household_id=h, month=p["month"])
    ),
    "slim_summary": View(
        _budget_and_month,
        lambda r, c, h, p: r.slim_summary(c, household_id=h, month=p["month"]),
    ),
    "hierarchy": View(_month, lambda r, c, h, p: r.hierarchy(c, household_id=h, month=p["month"])),
    "drill_down_summary": View(
        # previous_total reads the month before
        lambda p: (p["month"], previous_month(p["month"])),
        lambda r, c, h, p: r.drill_down_summary(
            c, household_id=h, category=p["category"], month=p["month"]
        ),
    ),
    "drill_down_details": View(
        _month,
        lambda r, c, h, p: r.drill_down_details(
            c, household_id=h, category=p["category"], month=p["month"]
        ),
    ),
    "trends": View(
        # any month of the range: every transaction write bumps `rows`
        lambda p: (versions.ROWS,),
        lambda r, c, h, p: r.trends(c, household_id=h, start=p["from"], end=p["to"]),
    ),
    "analytics_categories": View(
        _month,
        lambda r, c, h, p: r.analytics_categories(
            c, household_id=h, month=p["month"], expense_types=p["expense_types"].split(",")
        ),
    ),
    "provisions_calculate": View(
        # provisions and config only, no transactions
        lambda p: (versions.BUDGET,),
        lambda r, c, h, p: r.provisions_calculate(c, household_id=h, month=p["month"]),
    ),
}
ALL_EXPENSE_TYPES = ",".join(EXPENSE_TYPES)


def _key(conn: Connection, view: str, household_id: int, params: Params) -> Key:
    """The view's key: its scopes' current data versions (one primary-key read)."""
    current = versions.read(conn, household_id, VIEWS[view].scopes(params))
    return cache_key(view, household_id, params, current)


def _entry(
    conn: Connection,
    cache: TieredCache,
    reader: DashboardReader,
    view: str,
    household_id: int,
    params: Params,
    key: Key,
) -> Entry:
    """The body under `key`: from the cache, or computed on `conn` (read after the key)."""
    compute = VIEWS[view].compute
    return cache.get_or_compute(
        view, key.text, lambda: orjson.dumps(compute(reader, conn, household_id, params))
    )


def _accepts_gzip(header: str) -> bool:
    for part in header.lower().split(","):
        name, _, params = part.strip().partition(";")
        if name.strip() in ("gzip", "*"):
            return params.replace(" ", "") not in ("q=0", "q=0.0", "q=0.00", "q=0.000")
    return False


def _tag_list(header: str) -> set[str]:
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
    wanted = _tag_list(request.headers.get("if-none-match", ""))
    with read_connection(state.engine) as conn:
        key = _key(conn, view, household_id, params)
    entry = None
    if not wanted & {key.etag, _gzip_tag(key), "*"}:
        entry = state.cache.peek(view, key.text)
        if entry is None:
            entry = await run_in_threadpool(_fill, state, view, household_id, params, key)
    return _respond(request, key, entry, wanted, started)


def _fill(state: Any, view: str, household_id: int, params: Params, key: Key) -> Entry:
    with read_connection(state.engine) as conn:
        return _entry(conn, state.cache, state.reader, view, household_id, params, key)


def _respond(
    request: Request, key: Key, entry: Entry | None, wanted: set[str], started: float
) -> Response:
    gzip_ok = _accepts_gzip(request.headers.get("accept-encoding", ""))
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
    # Time spent here, cache and database included (the framework's share is not).
    headers["Server-Timing"] = f"view;dur={(time.perf_counter() - started) * 1000:.3f}"
    media = JSON_TYPE if status == 200 else None
    return Response(body, status_code=status, media_type=media, headers=headers)


class Warmer:
    """Recomputes views in the background so the next reader finds them cached.

    After a write: the views of the months it touched (summary, slim summary, hierarchy),
    for the current month and the one before only — the months people look at. At start:
    those views for the households active this month or last, at most `households` of
    them. One worker thread, so warming never competes with requests for more than one
    core's slice; duplicates of a queued job are skipped.
    """

    VIEWS = ("summary", "slim_summary", "hierarchy")

    def __init__(self, engine: Engine, cache: TieredCache, reader: DashboardReader) -> None:
        self.engine = engine
        self.cache = cache
        self.reader = reader
        self._pool_: ThreadPoolExecutor | None = None
        self._queued: set[tuple[int, str]] = set()
        self._lock = threading.Lock()  # _queued is shared by request threads and the worker

    @property
    def _pool(self) -> ThreadPoolExecutor:
        # Made on first use (again after close(): an app may be started more than once).
        with self._lock:
            if self._pool_ is None:
                self._pool_ = ThreadPoolExecutor(max_workers=1, thread_name_prefix="foyer-warm")
            return self._pool_

    def after_commit(self, notes: set[Any]) -> None:
        """A unit of work committed these (household, scope) version bumps."""
        by_household: dict[int, set[str]] = {}
        for household_id, scope in notes:
            months = by_household.setdefault(household_id, set())
            if scope == versions.BUDGET:  # every month changed: warm the current one
                months.add(this_month())
            elif scope != versions.ROWS:
                months.add(scope)
        for household_id, months in by_household.items():
            self.after_write(household_id, months)

    def after_write(self, household_id: int, months: Iterable[str]) -> None:
        if not self.cache.enabled:
            return
        today = this_month()
        recent = {today, previous_month(today)}
        for month in sorted(set(months) & recent):
            job = (household_id, month)
            with self._lock:
                if job in self._queued:
                    continue
                self._queued.add(job)
            self._pool.submit(self._warm, household_id, month)

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
                self._warm(household_id, month)

    def _warm(self, household_id: int, month: str) -> None:
        with self._lock:
            self._queued.discard((household_id, month))
        try:
            with read_connection(self.engine) as conn:
                for view in self.VIEWS:
                    params = {"month": month}
                    key = _key(conn, view, household_id, params)
                    _entry(conn, self.cache, self.reader, view, household_id, params, key)
        except Exception:  # a warm-up is an optimisation: log it, never fail a request
            log.exception("cache warm-up failed for household %s, %s", household_id, month)

    def wait(self) -> None:
        """Block until the queued warm-ups ran (tests, shutdown)."""
        self._pool.submit(lambda: None).result()

    def close(self) -> None:
        with self._lock:
            pool, self._pool_ = self._pool_, None
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)
