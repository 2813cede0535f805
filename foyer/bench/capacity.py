"""The unit costs docs/SCALING.md's capacity model is built from, measured.

- `storage`: rows and bytes (`pg_total_relation_size`: heap, indexes, TOAST) of the raw
  and aggregate tables of a PostgreSQL database, and per household-month;
- `cache_bytes`: what a household's first-paint views (`View.first_paint`, this month and
  the previous one: what the warmer keeps warm) cost in L1 — `Entry.nbytes`, the L1's own
  accounting — and in Redis (`MEMORY USAGE` of their L2 keys);
- `cpu_cells`: wrk against hits (cache on, every key read first), misses (cache off:
  every read computes) and single-row inserts, with the CPU seconds of the API server's
  processes and of the PostgreSQL backends serving this database (found by the database
  name in their process title), so a request's cost is known on both sides.
"""

from __future__ import annotations

import gc
import random
import threading
import time
import tracemalloc
from collections.abc import Sequence
from typing import Any

import httpx2 as httpx
import orjson
import psutil
import psycopg
from redis import Redis

from foyer.bench.freshness import VIEWS, Login, view_path
from foyer.bench.load import check_and_capture, run_wrk
from foyer.bench.scenarios import Req
from foyer.bench.server import ServerProcess
from foyer.cache.stamp_map import StampMap, Token
from foyer.cache.store import make_entry
from foyer.cache.views import VIEWS as CACHED_VIEWS
from foyer.months import add_months
from foyer.services import stamps

RAW_TABLES = ("bank_transaction", "transaction_tag")
AGGREGATE_TABLES = ("agg_month", "agg_category", "agg_tag", "agg_label", "data_stamp")
FIRST_PAINT = {view.name: view.path for view in CACHED_VIEWS if view.first_paint}


def storage(url: str) -> dict[str, Any]:
    """Rows and bytes per table, with the household-months they hold (from agg_month)."""
    with psycopg.connect(url, autocommit=True) as conn:
        households, household_months = conn.execute(
            "SELECT count(DISTINCT household_id), count(*) FROM agg_month"
        ).fetchone() or (0, 0)
        tables = {}
        for table in (*RAW_TABLES, *AGGREGATE_TABLES):
            rows, size = conn.execute(
                f"SELECT count(*), pg_total_relation_size('{table}') FROM {table}"  # noqa: S608
            ).fetchone() or (0, 0)
            tables[table] = {
                "rows": int(rows),
                "bytes": int(size),
                "rows_per_household_month": rows / household_months if household_months else 0,
                "bytes_per_household_month": size / household_months if household_months else 0,
            }
    return {"households": households, "household_months": household_months, "tables": tables}


def cache_bytes(
    base_url: str,
    logins: Sequence[Login],
    month: str,
    *,
    redis: Redis | None = None,
    namespace: str | None = None,
) -> dict[str, Any]:
    """Per household (median over `logins`), the first-paint views of `month` and the
    month before: L1 bytes as the L1 counts them, the bodies alone, and Redis' own
    figure for the L2 keys (read through the server first, so they are there)."""
    l1, bodies, l2, entries = [], [], [], 0
    with httpx.Client(base_url=base_url, timeout=60) as client:
        for login in logins:
            total_l1 = total_body = 0
            for m in (month, add_months(month, -1)):
                for path in FIRST_PAINT.values():
                    response = client.get(f"/api/v1{path}?month={m}", headers=login.headers)
                    response.raise_for_status()
                    entry = make_entry(response.content)
                    total_l1 += entry.nbytes
                    total_body += len(response.content)
                    entries += 1
            l1.append(total_l1)
            bodies.append(total_body)
            if redis is not None and namespace is not None:
                pattern = f"{namespace}:*:{login.household_id}:*"
                keys = list(redis.scan_iter(match=pattern, count=1000))
                l2.append(sum(int(redis.memory_usage(key) or 0) for key in keys))
    return {
        "households": len(logins),
        "entries_per_household": entries / len(logins) if logins else 0,
        "l1_bytes": sorted(l1)[len(l1) // 2] if l1 else 0,
        "body_bytes": sorted(bodies)[len(bodies) // 2] if bodies else 0,
        "l2_bytes": sorted(l2)[len(l2) // 2] if l2 else None,
    }


def feed_bytes(households: int, months: Sequence[str]) -> float:
    """Bytes the stamp feed's map (foyer/cache/stamp_map.py) holds per household, by tracemalloc:
    `households` households, each with the scopes its first paint of `months` reads (its
    budget, and each month's totals and categories), learned as a fallback read teaches
    them. Scope names are built per household, as parsing announcements builds them."""
    gc.collect()
    tracemalloc.start()
    try:
        feed = StampMap(households)
        before = tracemalloc.get_traced_memory()[0]
        for household_id in range(households):
            scopes = [stamps.BUDGET]
            for month in months:
                # totals(month) is `month` itself: a copy, as a parsed announcement makes
                scopes += ["".join((stamps.totals(month), "")), stamps.categories(month)]
            feed.learn(household_id, {scope: 2**61 + i for i, scope in enumerate(scopes)}, Token(0))
        return (tracemalloc.get_traced_memory()[0] - before) / households
    finally:
        tracemalloc.stop()


def backend_cpu(database: str) -> dict[int, float]:
    """CPU seconds used so far by each PostgreSQL backend connected to `database`, by pid."""
    found = {}
    for proc in psutil.process_iter(["cmdline"]):
        try:
            title = " ".join(proc.info["cmdline"] or [])
            if title.startswith("postgres: ") and f" {database} " in f"{title} ":
                times = proc.cpu_times()
                found[proc.pid] = times.user + times.system
        except psutil.Error:
            continue  # a backend ending between the listing and the reading
    return found


class BackendCpu:
    """The CPU the backends of `database` use from now until `stop`, sampled every
    `every` seconds: pools open and close connections under load (SQLAlchemy's overflow),
    and a backend that exits takes its CPU time with it, so each is counted from its
    first sample (0 if born meanwhile) to its last (at most `every` of it lost)."""

    def __init__(self, database: str, every: float = 0.25) -> None:
        self.database = database
        self._first = backend_cpu(database)
        self._last = dict(self._first)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, args=(every,), daemon=True)
        self._thread.start()

    def _sample(self, every: float) -> None:
        while not self._stop.wait(every):
            self._last.update(backend_cpu(self.database))

    def stop(self) -> float:
        self._stop.set()
        self._thread.join()
        self._last.update(backend_cpu(self.database))
        return sum(cpu - self._first.get(pid, 0.0) for pid, cpu in self._last.items())


Visit = tuple[Login, str, str]  # a household, a view, a month


def visits(logins: Sequence[Login], months: Sequence[str], count: int, seed: int) -> list[Visit]:
    """`count` random (household, view, month)."""
    rng = random.Random(seed)  # noqa: S311 (reproducible load, not security)
    return [(rng.choice(logins), rng.choice(VIEWS), rng.choice(months)) for _ in range(count)]


def reads(planned: Sequence[Visit]) -> list[Req]:
    """GET each visit's view."""
    return [Req("GET", view_path(view, month), login.token) for login, view, month in planned]


def inserts(planned: Sequence[Visit], seed: int) -> list[Req]:
    """A single-row insert (POST /transactions) into each visit's household and month: a
    household writes into a month it read, as people do, so the write has warm-ups to
    queue (the views of that month its process computed recently)."""
    rng = random.Random(seed)  # noqa: S311 (reproducible load, not security)
    out = []
    for i, (login, _view, month) in enumerate(planned):
        body = {
            "date": f"{month}-{rng.randint(1, 28):02d}",
            "label": f"CB CAPACITY {i % 97}",
            "amount": -rng.randint(100, 9_000) / 100,
            "category": "courses",
            "category_parent": "alimentation",
        }
        out.append(Req("POST", "/api/v1/transactions", login.token, orjson.dumps(body)))
    return out


def cpu_cell(
    server: ServerProcess, database: str, requests: list[Req], concurrency: int, seconds: float
) -> dict[str, Any]:
    """One wrk cell with the CPU both sides used: per request, and requests per core."""
    server.wait_idle()
    _, api0 = server.usage()
    backends = BackendCpu(database)
    started = time.monotonic()
    result = run_wrk(server.base_url, requests, concurrency, seconds)
    wall = time.monotonic() - started
    server.wait_idle()  # the requests wrk abandoned at the end are still work done
    _, api1 = server.usage()
    db = backends.stop()
    done = max(result.requests, 1)
    api_ms, db_ms = 1000 * (api1 - api0) / done, 1000 * db / done
    return {
        "requests": result.requests,
        "errors": result.errors,
        "throughput_rps": result.throughput,
        "p50": result.p50_ms,
        "p95": result.p95_ms,
        "api_cpu_percent": 100 * (api1 - api0) / wall,
        "db_cpu_percent": 100 * db / wall,
        "api_cpu_ms": api_ms,
        "db_cpu_ms": db_ms,
        "per_api_core": 1000 / api_ms if api_ms else None,
        "per_db_core": 1000 / db_ms if db_ms else None,
    }


def warm(server: ServerProcess, requests: list[Req]) -> None:
    """Read every request once (so a cache-on server then answers them from its cache)."""
    check_and_capture(server.base_url, requests)
