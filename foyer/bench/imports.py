"""Bank imports through the API against `insert_rows` alone, side by side (issue 11).

One run per database and size: the statement files (`foyer.bench.statements`) go, one
at a time, both
- through the API of a server in its own process (`POST /imports` for the preview, then
  `POST /imports/{id}/commit` and `GET /jobs/{id}` until the job succeeded), into a fresh
  database, and
- straight to `insert_rows`, in this process, in one unit of work per file (what the
  commit job does), the very rows the import inserts, into another fresh database,
alternating which goes first from file to file, so this noisy machine's drift lands on
both. The import's "work" is the preview request (upload, detection, parsing, dedupe,
the stored file) plus the job's own run (the parse, kept from the preview or done again,
dedupe, rules, insert with aggregates, statistics), as the server's job table times it;
"wall" adds the queue's pickup delay and our polling. The server's memory is watched from
the warm-up on (`PeakMemory`: resident peak, heap peak, the heap around each file). Both
databases are checked at the end (row counts and `aggregates.verify`), and the last file
is uploaded again: every row must be a duplicate.
"""

from __future__ import annotations

import datetime as dt
import gc
import statistics
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx2 as httpx
from rich.console import Console
from sqlalchemy import func, select

from foyer.auth.service import create_user, ensure_household
from foyer.bench.datasets import PASSWORD, scratch_database
from foyer.bench.server import PeakMemory, ServerConfig, ServerProcess
from foyer.bench.statements import ACCOUNT, Statement, statements
from foyer.db.engine import Database, make_engine
from foyer.db.schema import bank_transaction, household
from foyer.services import aggregates
from foyer.services.transactions import insert_rows
from foyer.settings import Settings

EMAIL = "imports@foyer.local"
#: A small statement imported before measuring, months before the measured ones, so both
#: sides have their code loaded and their tables non-empty.
WARM_UP_ROWS = 200
WARM_UP_END = "2019-12"
JOB_POLL_SECONDS = 0.1


def parse_size(text: str) -> int:
    """`100k` -> 100,000, `1m` -> 1,000,000, `600` -> 600."""
    value = text.strip().lower()
    scale = {"k": 1_000, "m": 1_000_000}.get(value[-1:], 1)
    return int(value[:-1] if scale > 1 else value) * scale


class Baseline:
    """`insert_rows` alone into its own database: one unit of work per file."""

    def __init__(self, url: str) -> None:
        self.database = Database(make_engine(Settings(database_url=url, _env_file=None)))
        with self.database.unit_of_work() as conn:
            self.household_id = ensure_household(conn, name="baseline")

    def insert(self, statement: Statement, import_id: str) -> float:
        rows = [row._replace(import_id=import_id) for row in statement.rows]
        started = time.perf_counter()
        with self.database.unit_of_work() as conn:
            insert_rows(conn, household_id=self.household_id, rows=rows, tags=[()] * len(rows))
        return time.perf_counter() - started


class ApiImporter:
    """The import as a user's browser does it, against a server in its own process."""

    def __init__(self, base_url: str) -> None:
        self.client = httpx.Client(base_url=f"{base_url}/api/v1", timeout=600)
        response = self.client.post("/auth/token", data={"username": EMAIL, "password": PASSWORD})
        response.raise_for_status()
        self.client.headers["Authorization"] = f"Bearer {response.json()['access_token']}"

    def preview(self, statement: Statement) -> tuple[float, dict[str, Any]]:
        """(seconds from the POST to the 201 preview, the preview)."""
        files = {"file": (statement.name, statement.content, "text/csv")}
        started = time.perf_counter()
        response = self.client.post("/imports", files=files, data={"account": ACCOUNT})
        elapsed = time.perf_counter() - started
        if response.status_code != 201:
            raise RuntimeError(
                f"upload of {statement.name}: {response.status_code} {response.text}"
            )
        return elapsed, response.json()

    def commit(self, import_id: int) -> dict[str, Any]:
        """Commit and wait for the job: its JSON plus `wall_s`, POST to seen succeeded."""
        started = time.perf_counter()
        response = self.client.post(f"/imports/{import_id}/commit")
        response.raise_for_status()
        job_id = response.json()["job_id"]
        while True:
            job: dict[str, Any] = self.client.get(f"/jobs/{job_id}").raise_for_status().json()
            if job["status"] in {"succeeded", "failed"}:
                break
            time.sleep(JOB_POLL_SECONDS)  # each poll is a request the server answers
        if job["status"] != "succeeded":
            raise RuntimeError(f"commit job {job_id} failed: {job['error']}")
        job["wall_s"] = time.perf_counter() - started
        return job

    def close(self) -> None:
        self.client.close()


def _job_seconds(job: dict[str, Any]) -> float:
    started = dt.datetime.fromisoformat(job["started_at"])
    return (dt.datetime.fromisoformat(job["finished_at"]) - started).total_seconds()


@dataclass(slots=True)
class Timings:
    """What one run measured, file by file."""

    insert_rows_s: list[float] = field(default_factory=list)
    preview_s: list[float] = field(default_factory=list)
    job_s: list[float] = field(default_factory=list)
    wall_s: list[float] = field(default_factory=list)
    file_mib: list[float] = field(default_factory=list)
    # The server's heap (MiB) just before each file, and its peak while importing it.
    heap_before_mib: list[float] = field(default_factory=list)
    heap_peak_mib: list[float] = field(default_factory=list)


def _import(api: ApiImporter, statement: Statement, out: Timings) -> None:
    preview_s, preview = api.preview(statement)
    counts = preview["counts"]
    if counts != {"rows": len(statement.rows), "duplicates": 0, "errors": 0}:
        raise RuntimeError(f"{statement.name}: unexpected preview counts {counts}")
    job = api.commit(preview["id"])
    if job["result"]["inserted"] != len(statement.rows):
        raise RuntimeError(f"{statement.name}: the commit inserted {job['result']}")
    out.preview_s.append(preview_s)
    out.job_s.append(_job_seconds(job))
    out.wall_s.append(preview_s + job["wall_s"])


def _measure(
    api: ApiImporter,
    baseline: Baseline,
    statement: Statement,
    out: Timings,
    memory: PeakMemory,
    console: Console,
) -> None:
    before = memory.window_peak()
    api_first = statement.index % 2 == 1  # alternate which side goes first
    if api_first:
        _import(api, statement, out)
    out.insert_rows_s.append(baseline.insert(statement, str(statement.index)))
    if not api_first:
        _import(api, statement, out)
    out.file_mib.append(len(statement.content) / 2**20)
    after = memory.window_peak()
    if before is not None and after is not None:
        out.heap_before_mib.append(before[0])
        out.heap_peak_mib.append(after[1])
    console.print(
        f"file {statement.index + 1} ({len(statement.rows):,} rows, {out.file_mib[-1]:.1f} MiB):"
        f" insert_rows {out.insert_rows_s[-1]:.2f} s, import: preview {out.preview_s[-1]:.2f} s"
        f" + job {out.job_s[-1]:.2f} s"
    )


def _rows_and_mismatches(url: str, household_name: str) -> tuple[int, int]:
    database = Database(make_engine(Settings(database_url=url, _env_file=None)))
    try:
        with database.read() as conn:
            household_id = conn.execute(
                select(household.c.id).where(household.c.name == household_name)
            ).scalar_one()
            rows = conn.execute(
                select(func.count()).where(bank_transaction.c.household_id == household_id)
            ).scalar_one()
            return int(rows), len(aggregates.verify(conn, household_id))
    finally:
        database.engine.dispose()


def _check(urls: dict[str, str], expected: int) -> None:
    """Both households hold every row, and their aggregates match their rows."""
    for side, url in urls.items():
        rows, mismatches = _rows_and_mismatches(url, side)
        if rows != expected or mismatches:
            raise RuntimeError(f"{side}: {rows} rows (expected {expected}), {mismatches} off")


def run_one(
    db: str, total_rows: int, file_rows: int, folder: Path, console: Console
) -> dict[str, Any]:
    """One size on one database; the measured figures (see the module docstring).

    `folder` is scratch space: the SQLite files, the server's job queue.
    """
    server_dir = folder / "server"  # its job queue's file goes beside it, in `folder`
    server_dir.mkdir(parents=True, exist_ok=True)
    out = Timings()
    with (
        scratch_database(db, "baseline", folder) as base_url,
        scratch_database(db, "api", folder) as api_url,
    ):
        database = Database(make_engine(Settings(database_url=api_url, _env_file=None)))
        with database.unit_of_work() as conn:
            create_user(conn, email=EMAIL, password=PASSWORD, household_name="api")
        database.engine.dispose()
        baseline = Baseline(base_url)
        server = ServerProcess(ServerConfig("imports", "optimized", "on"), api_url, server_dir)
        server.start()
        api = ApiImporter(server.base_url)
        try:
            for warm in statements(WARM_UP_ROWS, WARM_UP_ROWS, seed=1, end_month=WARM_UP_END):
                _import(api, warm, Timings())
                baseline.insert(warm, "warm-up")
            server.wait_idle()
            # The server freezes what it loaded at start-up (foyer.app.create_app_from_env):
            # the same here, so neither side's collections walk its start-up objects.
            gc.collect()
            gc.freeze()
            memory = PeakMemory(server)
            for statement in statements(total_rows, file_rows):
                _measure(api, baseline, statement, out, memory, console)
            peak, peak_heap = memory.peaks()
            # The last file again: every row a duplicate, the preview's dedupe at its worst.
            again_s, again = api.preview(statement)
        finally:
            gc.unfreeze()
            api.close()
            server.stop()
            baseline.database.engine.dispose()
        _check({"baseline": base_url, "api": api_url}, total_rows + WARM_UP_ROWS)
    if again["counts"]["duplicates"] != len(statement.rows):
        raise RuntimeError(f"re-upload of {statement.name}: {again['counts']}")
    memory_mib = {"start": memory.start, "peak": peak, "growth": peak - memory.start}
    if memory.start_heap is not None and peak_heap is not None:
        memory_mib |= {
            "heap_start": memory.start_heap,
            "heap_peak": peak_heap,
            "heap_growth": peak_heap - memory.start_heap,
        }
    return _figures(db, total_rows, file_rows, out, again_s, memory_mib)


def _figures(
    db: str,
    total_rows: int,
    file_rows: int,
    out: Timings,
    again_s: float,
    memory_mib: dict[str, float],
) -> dict[str, Any]:
    base, work = sum(out.insert_rows_s), sum(out.preview_s) + sum(out.job_s)
    wall = sum(out.wall_s)
    return {
        "db": db,
        "rows": total_rows,
        "files": len(out.insert_rows_s),
        "file_rows": file_rows,
        "file_mib_max": max(out.file_mib),
        "insert_rows": {
            "seconds": base,
            "rows_per_s": total_rows / base,
            "per_file_s": out.insert_rows_s,
        },
        "api": {
            "seconds": work,
            "rows_per_s": total_rows / work,
            "wall_seconds": wall,
            "wall_rows_per_s": total_rows / wall,
            "preview_s": out.preview_s,
            "job_s": out.job_s,
            "wall_s": out.wall_s,
        },
        "ratio": base / work,
        "wall_ratio": base / wall,
        "preview": {
            "median_s": statistics.median(out.preview_s),
            "max_s": max(out.preview_s),
            "all_duplicates_s": again_s,
        },
        "rss_mib": {
            **memory_mib,
            "heap_before_each_file": out.heap_before_mib,
            "heap_peak_each_file": out.heap_peak_mib,
        },
    }
