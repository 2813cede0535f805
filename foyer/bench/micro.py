"""In-process micro-benchmarks: what the aggregates cost writes, and what page depth costs reads.

- `write_cost`: the same demo rows inserted alternately through `insert_rows` (rows plus
  aggregate maintenance) and `store_rows` (the plain insert, no aggregates), into one
  scratch database, in bulk batches and as single-row transactions. The ratio of their
  median times is the maintenance's price. The scratch database's aggregates are wrong by
  construction (half the rows skipped them) and it is dropped at the end.
- `page_depth`: a keyset page far into a listing against the first page, on a cached
  bench dataset (read only).
- `contended_writes` (PostgreSQL): threads writing one row each per unit of work into the
  same household's month — the same hot aggregate rows — while another thread keeps the
  interpreter busy, as a server's event loop does; the write's tail (`foyer.db.tail`: the
  aggregates and the COMMIT in one round trip) against the COMMIT sent alone, alternating.

Timed with perf_counter around the service call, inside its transaction: no HTTP, so the
figures isolate the database work.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import random
import statistics
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psycopg
from sqlalchemy import Engine, func, select

from foyer.auth.service import ensure_household
from foyer.bench.datasets import END_MONTH, _pg_url, ensure_dataset, pg_admin_url
from foyer.db import tail
from foyer.db.engine import Database, analyze, make_engine, read_connection
from foyer.db.migrate import upgrade
from foyer.db.schema import bank_transaction as t
from foyer.demo import month_rows
from foyer.months import add_months
from foyer.read.transactions import (
    SORT_COLUMNS,
    TransactionFilter,
    list_transactions,
    listing_query,
)
from foyer.services.transactions import NewRow, insert_rows, store_rows
from foyer.settings import Settings

Inserter = Callable[..., list[int]]
MODES: dict[str, Inserter] = {"plain": store_rows, "aggregates": insert_rows}


def _scratch(db: str, pool_size: int = 5) -> tuple[Engine, Callable[[], None]]:
    if db == "sqlite":
        folder = Path(tempfile.mkdtemp(prefix="foyer-writes-"))
        engine = make_engine(Settings(database_url=f"sqlite:///{folder / 'w.db'}", _env_file=None))

        def drop() -> None:
            engine.dispose()
            for path in folder.iterdir():
                path.unlink()
            folder.rmdir()

        return engine, drop
    name = f"foyer_bench_writes_{os.getpid()}"
    with psycopg.connect(pg_admin_url(), autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{name}"')
    settings = Settings(database_url=_pg_url(name), db_pool_size=pool_size, _env_file=None)
    engine = make_engine(settings)

    def drop_pg() -> None:
        engine.dispose()
        with psycopg.connect(pg_admin_url(), autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    return engine, drop_pg


def _summary(times: list[float], rows: int) -> dict[str, float]:
    median = statistics.median(times)
    return {"median_s": median, "rows_per_s": rows / median, "runs": len(times)}


def write_cost(
    db: str, *, batches: int = 12, batch_rows: int = 10_000, singles: int = 360, seed: int = 3
) -> dict[str, Any]:
    """Median time of plain vs maintained inserts, bulk and single-row, alternating."""
    engine, drop = _scratch(db)
    try:
        upgrade(engine)
        database = Database(engine)
        with database.unit_of_work() as conn:
            household_id = ensure_household(conn, name="writes")
        rng = random.Random(seed)  # noqa: S311 (reproducible data, not security)
        created = dt.datetime.now(dt.UTC)
        month_index = 0

        def next_rows(count: int) -> tuple[list[NewRow], list[list[str]]]:
            nonlocal month_index
            month_index += 1
            return month_rows(rng, add_months(END_MONTH, -month_index), count, created)

        # Warm-up: a populated table, so index depth and statistics are realistic.
        with database.unit_of_work() as conn:
            rows, tags = next_rows(batch_rows)
            insert_rows(conn, household_id=household_id, rows=rows, tags=tags)
        analyze(engine)

        bulk: dict[str, list[float]] = {mode: [] for mode in MODES}
        single: dict[str, list[float]] = {mode: [] for mode in MODES}
        for round_ in range(batches):
            order = list(MODES) if round_ % 2 == 0 else list(reversed(MODES))
            for mode in order:
                rows, tags = next_rows(batch_rows)
                started = time.perf_counter()
                with database.unit_of_work() as conn:
                    MODES[mode](conn, household_id=household_id, rows=rows, tags=tags)
                bulk[mode].append(time.perf_counter() - started)
            for mode in order:
                rows, tags = next_rows(max(1, singles // batches))
                for row, row_tags in zip(rows, tags, strict=True):
                    started = time.perf_counter()
                    with database.unit_of_work() as conn:
                        MODES[mode](conn, household_id=household_id, rows=[row], tags=[row_tags])
                    single[mode].append(time.perf_counter() - started)
        bulk_out = {mode: _summary(times, batch_rows) for mode, times in bulk.items()}
        single_out = {mode: _summary(times, 1) for mode, times in single.items()}
        return {
            "db": db,
            "batch_rows": batch_rows,
            "bulk": bulk_out,
            "bulk_ratio": bulk_out["aggregates"]["median_s"] / bulk_out["plain"]["median_s"],
            "single": single_out,
            "single_ratio": single_out["aggregates"]["median_s"] / single_out["plain"]["median_s"],
        }
    finally:
        drop()


def contended_writes(
    db: str, *, writers: int = 8, seconds: float = 3.0, rounds: int = 3, busy: bool = True
) -> dict[str, Any]:
    """Writes per second and latency of `writers` threads inserting into one month, the
    tail joined to the COMMIT against separate, alternating, medians of `rounds`."""
    engine, drop = _scratch(db, pool_size=writers + 2)
    try:
        upgrade(engine)
        database = Database(engine)
        with database.unit_of_work() as conn:
            household_id = ensure_household(conn, name="contended")
        created = dt.datetime.now(dt.UTC)
        rows, tags = month_rows(random.Random(5), END_MONTH, 1, created)  # noqa: S311

        def run(joined: bool) -> tuple[float, float, float]:
            times: list[float] = []
            until = time.perf_counter() + seconds

            def write() -> None:
                while time.perf_counter() < until:
                    started = time.perf_counter()
                    with database.unit_of_work() as conn:
                        insert_rows(conn, household_id=household_id, rows=rows, tags=tags)
                    times.append(time.perf_counter() - started)

            def spin() -> None:  # pure Python, as the event loop between its awaits
                while time.perf_counter() < until:
                    sum(range(2_000))

            threads = [threading.Thread(target=write) for _ in range(writers)]
            threads += [threading.Thread(target=spin)] if busy else []
            with contextlib.nullcontext() if joined else tail.separate_commits():
                for thread in threads:
                    thread.start()
                for thread in threads:
                    thread.join()
            times.sort()
            return len(times) / seconds, times[len(times) // 2], times[int(len(times) * 0.95)]

        results: dict[str, list[tuple[float, float, float]]] = {"joined": [], "separate": []}
        for round_ in range(rounds):
            for mode in ("joined", "separate") if round_ % 2 == 0 else ("separate", "joined"):
                results[mode].append(run(mode == "joined"))
        out: dict[str, Any] = {"db": db, "writers": writers, "busy": busy, "seconds": seconds}
        for mode, runs in results.items():
            out[mode] = {
                "writes_per_s": statistics.median(r[0] for r in runs),
                "p50_ms": statistics.median(r[1] for r in runs) * 1000,
                "p95_ms": statistics.median(r[2] for r in runs) * 1000,
            }
        for key in ("writes_per_s", "p50_ms", "p95_ms"):
            out[f"{key}_ratio"] = out["joined"][key] / out["separate"][key]
        return out
    finally:
        drop()


def page_depth(db: str, size: str, *, repeats: int = 30) -> list[dict[str, Any]]:
    """Median time of the first page and of a page ~10,000 pages deep, per listing."""
    dataset = ensure_dataset(size, db)
    engine = make_engine(Settings(database_url=dataset.url, _env_file=None))
    month = add_months(END_MONTH, -1)
    out = []
    try:
        with read_connection(engine) as conn:
            household_id = int(
                conn.execute(select(t.c.household_id).order_by(t.c.id).limit(1)).scalar_one()
            )
            listings = {
                "all, date_desc": (TransactionFilter(), "date_desc"),
                "all, amount_desc": (TransactionFilter(), "amount_desc"),
                "month, amount_desc": (TransactionFilter(month=month), "amount_desc"),
                "drill-down, date_desc": (
                    TransactionFilter(month=month, category="courses", debits_only=True),
                    "date_desc",
                ),
            }
            for name, (filters, sort) in listings.items():
                total = _count(conn, household_id, filters)
                depth = min(10_000 * 50, total - 60)  # row offset of the deep page
                after = _key_at(conn, household_id, filters, sort, depth)

                args = (conn, household_id, filters, sort, repeats)
                first, deep = _timed(*args, None), _timed(*args, after)
                out.append(
                    {
                        "db": db,
                        "size": size,
                        "listing": name,
                        "rows_in_listing": total,
                        "deep_page": depth // 50 + 1,
                        "first_ms": first,
                        "deep_ms": deep,
                        "ratio": deep / first,
                    }
                )
    finally:
        engine.dispose()
    return out


def _timed(
    conn: Any,
    household_id: int,
    filters: TransactionFilter,
    sort: str,
    repeats: int,
    after: tuple[Any, int] | None,
) -> float:
    """Median milliseconds of one page."""
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        list_transactions(
            conn, household_id=household_id, filters=filters, sort=sort, limit=50, after=after
        )
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000


def _count(conn: Any, household_id: int, filters: TransactionFilter) -> int:
    rows = listing_query(household_id, filters, "date_desc", 0).limit(None).order_by(None)
    return int(conn.execute(select(func.count()).select_from(rows.subquery())).scalar_one())


def _key_at(
    conn: Any, household_id: int, filters: TransactionFilter, sort: str, offset: int
) -> tuple[Any, int]:
    """The keyset cursor of the row at `offset` (setup only: OFFSET walks, pages do not)."""
    column, _desc = SORT_COLUMNS[sort]
    row = conn.execute(listing_query(household_id, filters, sort, 0).limit(1).offset(offset)).one()
    value = getattr(row, column)
    return (value.isoformat() if column == "date" else value, row.id)
