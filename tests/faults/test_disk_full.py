"""SQLite on a full or read-only disk, or write-locked by another process: writes answer 503
reads still answer, and once space is freed the file is intact and writes work again.

Full: the database lives on a small tmpfs of the test's own (`mount -t tmpfs -o size=…`),
filled to the last byte by a filler file while a foyer server process has the database
open; a real full disk, not a simulated error. Mounting needs root (or CAP_SYS_ADMIN):
elsewhere that test skips and says so.

Read-only: a filesystem cannot be made read-only under a running server (Linux refuses to
remount it while files are open for writing: EBUSY), and SQLite cannot open a WAL database
on one from the start. So SQLite's own read-only switch stands in, `PRAGMA query_only` on
every connection of an app in this process: writes then fail with the same
SQLITE_READONLY ("attempt to write a readonly database") a read-only file gives.
"""

from __future__ import annotations

import errno
import os
import shutil
import sqlite3
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx2 as httpx
import orjson
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import event, func, select

from foyer.app import create_app
from foyer.bench.server import BENCH_SECRET
from foyer.db.engine import read_connection
from foyer.db.schema import bank_transaction
from foyer.schemas.transactions import MAX_BULK
from foyer.settings import Settings
from tests.factories import make_transaction
from tests.faults.harness import (
    Household,
    aggregate_mismatches,
    make_households,
    migrate,
    start_server,
)
from tests.helpers import assert_envelope, engine_for, service_unavailable

MONTH = "2025-06"
TMPFS_SIZE = "4m"


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 4 MiB tmpfs mounted at a folder of the test's own, unmounted afterwards."""
    where = tmp_path / "disk"
    where.mkdir()
    if shutil.which("mount") is None:
        service_unavailable("no mount command: a small filesystem to fill cannot be made here")
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={TMPFS_SIZE}", "tmpfs", str(where)],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        service_unavailable(
            f"cannot mount a tmpfs here (needs root or CAP_SYS_ADMIN): {done.stderr}"
        )
    try:
        yield where
    finally:
        subprocess.run(["umount", str(where)], check=True)


def _fill(disk: Path) -> Path:
    """Write a filler file until the filesystem is full; the filler's path."""
    filler = disk / "filler"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT)
    try:
        for size in (65536, 1):  # then byte by byte, so not even a page is left
            chunk = b"\0" * size
            while _write(fd, chunk):
                pass
    finally:
        os.close(fd)
    return filler


def _write(fd: int, chunk: bytes) -> bool:
    """False once the disk is full."""
    try:
        os.write(fd, chunk)
    except OSError as exc:
        if exc.errno != errno.ENOSPC:
            raise
        return False
    return True


def _bulk() -> bytes:
    items = [
        make_transaction(date=f"{MONTH}-{n % 28 + 1:02d}", label="FULL DISK", amount=-1)
        for n in range(MAX_BULK)
    ]
    return orjson.dumps({"items": items})


def test_sqlite_on_a_full_disk_answers_503(small_disk: Path, tmp_path: Path) -> None:
    database_url = f"sqlite:///{small_disk / 'foyer.db'}"
    migrate(database_url)
    (household,) = make_households(database_url, 1)
    server = start_server(database_url, tmp_path)
    bulk = {**household.headers, "Content-Type": "application/json"}
    try:
        with httpx.Client(base_url=server.base_url, headers=household.headers) as client:
            one = make_transaction(date=f"{MONTH}-01")
            assert client.post("/api/v1/transactions", json=one).status_code == 201
            summary = client.get("/api/v1/dashboard/summary", params={"month": MONTH})
            assert summary.status_code == 200

            filler = _fill(small_disk)
            refused = client.post("/api/v1/transactions/bulk", content=_bulk(), headers=bulk)
            assert_envelope(refused, 503, "unavailable")
            assert refused.headers["Retry-After"].isdigit()
            # Reads still answer, the cached view and a listing read from the file alike.
            again = client.get("/api/v1/dashboard/summary", params={"month": MONTH})
            assert again.status_code == 200
            assert again.json() == summary.json()
            listing = client.get("/api/v1/transactions", params={"month": MONTH})
            assert listing.status_code == 200
            assert len(listing.json()["items"]) == 1

            filler.unlink()
            assert (
                client.post("/api/v1/transactions/bulk", content=_bulk(), headers=bulk).status_code
                == 201
            )
            assert client.post("/api/v1/transactions", json=one).status_code == 201
    finally:
        server.stop()

    engine = engine_for(database_url)
    try:
        with read_connection(engine) as conn:
            assert conn.exec_driver_sql("PRAGMA integrity_check").scalar_one() == "ok"
            count = select(func.count()).select_from(bank_transaction)
            assert conn.execute(count).scalar_one() == 2 + MAX_BULK
    finally:
        engine.dispose()
    assert aggregate_mismatches(database_url) == []


def _query_only(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.execute("PRAGMA query_only=ON")


def _sqlite_app(path: Path) -> tuple[str, Household, FastAPI]:
    """A migrated SQLite database at `path` with one household, and an app on it."""
    database_url = f"sqlite:///{path}"
    migrate(database_url)
    (household,) = make_households(database_url, 1)
    settings = Settings(
        database_url=database_url, secret_key=BENCH_SECRET, queue="immediate", _env_file=None
    )
    return database_url, household, create_app(settings)


def test_sqlite_read_only_answers_503(tmp_path: Path) -> None:
    _url, household, app = _sqlite_app(tmp_path / "foyer.db")
    engine = app.state.foyer.database.engine
    one = make_transaction(date=f"{MONTH}-01")
    with TestClient(app, raise_server_exceptions=False, headers=household.headers) as client:
        assert client.post("/api/v1/transactions", json=one).status_code == 201
        event.listen(engine, "connect", _query_only)
        engine.dispose()  # every connection from now on is read-only
        refused = client.post("/api/v1/transactions", json=one)
        assert_envelope(refused, 503, "unavailable")
        assert refused.headers["Retry-After"].isdigit()
        summary = client.get("/api/v1/dashboard/summary", params={"month": MONTH})
        assert summary.status_code == 200
        assert summary.json()["variable"]["count"] == 1
        assert client.get("/api/v1/transactions").status_code == 200

        event.remove(engine, "connect", _query_only)
        engine.dispose()
        assert client.post("/api/v1/transactions", json=one).status_code == 201
    with read_connection(engine) as conn:
        assert conn.exec_driver_sql("PRAGMA integrity_check").scalar_one() == "ok"
    engine.dispose()


def _short_busy_timeout(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.execute("PRAGMA busy_timeout=50")  # foyer's 10 s, shortened for the test


def test_sqlite_locked_by_another_process_answers_503_then_writes(tmp_path: Path) -> None:
    """Another process holding SQLite's write lock past the busy timeout ("database is
    locked"): the write answers 503 with a short Retry-After and leaves nothing behind;
    once the lock is released the same write succeeds and the aggregates are exact."""
    path = tmp_path / "foyer.db"
    database_url, household, app = _sqlite_app(path)
    engine = app.state.foyer.database.engine
    event.listen(engine, "connect", _short_busy_timeout)
    engine.dispose()
    one = make_transaction(date=f"{MONTH}-01")
    other = sqlite3.connect(path, isolation_level=None)  # another process's connection
    with TestClient(app, raise_server_exceptions=False, headers=household.headers) as client:
        other.execute("BEGIN IMMEDIATE")  # holds the write lock
        try:
            refused = client.post("/api/v1/transactions", json=one)
            assert_envelope(refused, 503, "unavailable")
            assert refused.headers["Retry-After"] == "1"
            assert "busy" in refused.json()["error"]["message"]
            assert client.get("/api/v1/transactions").json()["items"] == []  # reads go on
        finally:
            other.execute("ROLLBACK")
            other.close()
        assert client.post("/api/v1/transactions", json=one).status_code == 201
        summary = client.get("/api/v1/dashboard/summary", params={"month": MONTH})
        assert summary.json()["variable"]["count"] == 1
    with read_connection(engine) as conn:
        assert conn.execute(select(func.count()).select_from(bank_transaction)).scalar() == 1
    assert aggregate_mismatches(database_url) == []
