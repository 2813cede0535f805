"""Benchmark datasets built with the demo generator and cached between runs.

A dataset is one main household of a given size plus two small households (for the
mixed session), ending at a fixed month so every build is identical; or, for the kinds
of `foyer.bench.households` (`hh1`, `hh10k`, …), many households of one size each.
SQLite datasets are files in the cache folder; PostgreSQL datasets are databases named
`foyer_bench_<size>_v<N>`.
Runs never write to the cache: they work on a copy (file copy, or CREATE DATABASE … TEMPLATE).
"""

from __future__ import annotations

import os
import shutil
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path

import psycopg
from rich.console import Console
from sqlalchemy import func, select

from foyer.bench import households
from foyer.db.engine import make_engine
from foyer.db.migrate import upgrade
from foyer.db.schema import bank_transaction
from foyer.demo import DemoSpec, load_demo
from foyer.demo.loader import demo_email
from foyer.settings import Settings

VERSION = 5  # bump when the generator or schema changes, so caches rebuild
MONTHS = 36
END_MONTH = "2026-06"
PASSWORD = "bench-password"  # noqa: S105 (bench datasets only, on the loopback)
#: size name -> transactions per month of the main household (36 months)
SIZES = {"10k": 300, "100k": 3_000, "1m": 30_000, "5m": 140_000}
SMALL_PER_MONTH = 300
EXTRA_HOUSEHOLDS = 2


@dataclass(frozen=True, slots=True)
class Dataset:
    size: str
    db: str  # "sqlite" | "postgresql"
    url: str  # the cached, read-only copy
    rows: int
    emails: tuple[str, ...]  # main household first

    @property
    def main_rows(self) -> int:
        if self.size in households.KINDS:
            return households.KINDS[self.size].rows_each
        return MONTHS * SIZES[self.size]


def cache_dir() -> Path:
    base = os.environ.get("FOYER_BENCH_CACHE") or Path.home() / ".cache" / "foyer" / "bench"
    path = Path(base)
    path.mkdir(parents=True, exist_ok=True)
    return path


def pg_admin_url() -> str:
    return os.environ.get("FOYER_BENCH_PG", "postgresql://postgres@127.0.0.1:5432/postgres")


def _pg_url(name: str) -> str:
    return f"{pg_admin_url().rsplit('/', 1)[0]}/{name}"


def _emails(size: str) -> tuple[str, ...]:
    count = EXTRA_HOUSEHOLDS + 1
    if size in households.KINDS:  # the first three, for the mixed session
        count = min(count, households.KINDS[size].households)
    return tuple(demo_email(i) for i in range(count))


def _expected_rows(size: str) -> int:
    if size in households.KINDS:
        return households.KINDS[size].rows
    return MONTHS * (SIZES[size] + EXTRA_HOUSEHOLDS * SMALL_PER_MONTH)


def _version(size: str) -> int:
    return households.VERSION if size in households.KINDS else VERSION


def _count_rows(url: str) -> int:
    engine = make_engine(Settings(database_url=url, _env_file=None))
    try:
        with engine.connect() as conn:
            return int(
                conn.execute(select(func.count()).select_from(bank_transaction)).scalar_one()
            )
    finally:
        engine.dispose()


def _populate(url: str, size: str, console: Console) -> None:
    engine = make_engine(Settings(database_url=url, _env_file=None))
    try:
        upgrade(engine)
        if size in households.KINDS:
            shape = households.KINDS[size]
            stats = households.build(
                engine, shape, end_month=END_MONTH, password=PASSWORD, console=console
            )
            console.print(
                f"built {size} in {stats.seconds:.0f} s: users, configuration and rows "
                f"{stats.seconds_rows:.0f} s, aggregates {stats.seconds_aggregates:.0f} s, "
                f"ANALYZE {stats.seconds_analyze:.0f} s"
            )
            return
        base = DemoSpec(months=MONTHS, password=PASSWORD, end_month=END_MONTH, seed=7)
        main = replace(base, transactions_per_month=SIZES[size])
        small = replace(
            base,
            transactions_per_month=SMALL_PER_MONTH,
            households=EXTRA_HOUSEHOLDS,
            first_index=1,
        )
        load_demo(engine, main, console=console)
        load_demo(engine, small, console=console)
    finally:
        engine.dispose()


def ensure_dataset(size: str, db: str, console: Console | None = None) -> Dataset:
    """The cached dataset of `size` on `db`, built first if missing or incomplete."""
    console = console or Console(quiet=True)
    if size not in SIZES and size not in households.KINDS:
        known = ", ".join([*SIZES, *households.KINDS])
        raise ValueError(f"unknown size {size!r}; choose from {known}")
    expected = _expected_rows(size)
    if db == "sqlite":
        path = cache_dir() / f"foyer-{size}-v{_version(size)}.db"
        url = f"sqlite:///{path}"
        if not path.exists() or _count_rows(url) != expected:
            console.print(f"building dataset {size} (sqlite, {expected:,} rows)…")
            tmp = path.with_suffix(".building")
            for stale in tmp.parent.glob(tmp.name + "*"):
                stale.unlink()
            _populate(f"sqlite:///{tmp}", size, console)
            _checkpoint(tmp)
            tmp.replace(path)
        return Dataset(size, db, url, expected, _emails(size))
    name = f"foyer_bench_{size}_v{_version(size)}"
    url = _pg_url(name)
    with psycopg.connect(pg_admin_url(), autocommit=True) as admin:
        exists = admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
    if not exists or _count_rows(url) != expected:
        console.print(f"building dataset {size} (postgresql, {expected:,} rows)…")
        with psycopg.connect(pg_admin_url(), autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            admin.execute(f'CREATE DATABASE "{name}"')
        _populate(url, size, console)
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("VACUUM ANALYZE")  # visibility map and statistics, every table
    return Dataset(size, db, url, expected, _emails(size))


def _checkpoint(path: Path) -> None:
    # Fold the WAL into the main file so the cached dataset is one self-contained file.
    # (load_demo has already run ANALYZE.) Closed before the files are checked: deleting
    # a WAL under an open connection loses whatever it still holds.
    conn = sqlite3.connect(path)
    try:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        conn.close()
    for suffix in ("-wal", "-shm"):
        leftover = Path(str(path) + suffix)
        if leftover.exists() and leftover.stat().st_size:
            raise RuntimeError(f"{leftover} still holds data after the checkpoint")
        leftover.unlink(missing_ok=True)


def working_copy(dataset: Dataset, workdir: Path, tag: str = "") -> tuple[str, object]:
    """A writable copy of the dataset for one run, migrated to head: (url, cleanup handle).
    `tag` tells apart the copies of several datasets one process holds at once.

    Migrations that only add (a table, an index) apply to the copy in a moment; one that
    rewrites data should bump VERSION instead, so the cache itself is rebuilt.
    """
    if dataset.db == "sqlite":
        source = Path(dataset.url.removeprefix("sqlite:///"))
        target = workdir / source.name
        shutil.copyfile(source, target)
        url, handle = f"sqlite:///{target}", str(target)
    else:
        name = f"foyer_bench_run_{os.getpid()}{tag}"
        source_name = dataset.url.rsplit("/", 1)[1]
        with psycopg.connect(pg_admin_url(), autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            admin.execute(f'CREATE DATABASE "{name}" TEMPLATE "{source_name}"')
        url, handle = _pg_url(name), name
    engine = make_engine(Settings(database_url=url, _env_file=None))
    try:
        upgrade(engine)
    finally:
        engine.dispose()
    return url, handle


def drop_working_copy(dataset: Dataset, handle: object) -> None:
    if dataset.db == "sqlite":
        path = Path(str(handle))
        for suffix in ("", "-wal", "-shm"):
            Path(str(path) + suffix).unlink(missing_ok=True)
        return
    with psycopg.connect(pg_admin_url(), autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{handle}" WITH (FORCE)')


@contextmanager
def scratch_database(db: str, tag: str, folder: Path) -> Iterator[str]:
    """A new, migrated database for this run (a file, or a PostgreSQL database of its
    own name), dropped afterwards; its URL."""
    if db == "sqlite":
        path = folder / f"imports-{tag}.db"
        url = f"sqlite:///{path}"
    else:
        name = f"foyer_bench_imports_{os.getpid()}_{tag}"
        with psycopg.connect(pg_admin_url(), autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            admin.execute(f'CREATE DATABASE "{name}"')
        url = _pg_url(name)
    engine = make_engine(Settings(database_url=url, _env_file=None))
    try:
        upgrade(engine)
    finally:
        engine.dispose()
    try:
        yield url
    finally:
        if db == "sqlite":
            for suffix in ("", "-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)
        else:
            with psycopg.connect(pg_admin_url(), autocommit=True) as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
