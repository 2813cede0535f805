"""The API process killed (SIGKILL) in the middle of a bulk insert: no partial rows.

A bulk insert of 10,000 transactions (the route's limit) is one unit of work: its rows,
their tags and the aggregates' changes commit together or not at all. The server is
killed -9 while one runs — at fixed fractions of an uninterrupted bulk's duration (the
body being parsed, the rows being written), and at the moment the database shows the
write under way (SQLite's WAL file growing; PostgreSQL's COPY running) — then the
database is opened again: each bulk is there whole or not at all (whole whenever it was
acknowledged), the aggregates equal a recomputation from the rows, and on SQLite
`PRAGMA integrity_check` answers ok. On SQLite (a file) and on PostgreSQL (a database of
the test's own on the shared server).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx2 as httpx
import orjson
import psycopg
import pytest
from sqlalchemy import func, select

from foyer.bench.server import ServerProcess
from foyer.db.engine import read_connection
from foyer.db.schema import bank_transaction, transaction_tag
from foyer.schemas.transactions import MAX_BULK
from tests.factories import make_transaction
from tests.faults.harness import (
    Household,
    aggregate_mismatches,
    make_households,
    migrate,
    start_servers,
    wait_until,
)
from tests.helpers import create_pg_database, drop_pg_database, engine_for

#: Kill points: fractions of an uninterrupted bulk insert's duration.
FRACTIONS = (0.3, 0.7)
TAGGED_EVERY = 3  # every third row carries a tag: the tags commit with their rows too


def _bulk(label: str) -> bytes:
    items = [
        make_transaction(
            date=f"2025-{n % 6 + 1:02d}-{n % 28 + 1:02d}",
            label=label,
            amount=-(n % 5000 + 1) / 100,
            category=("courses", "loisirs", "transport")[n % 3],
            tags=["bulk"] if n % TAGGED_EVERY == 0 else [],
        )
        for n in range(MAX_BULK)
    ]
    return orjson.dumps({"items": items})


class BulkRequest:
    """One bulk insert sent from a thread: its status once answered (None: no answer)."""

    def __init__(self, server: ServerProcess, household: Household, label: str) -> None:
        self.status: int | None = None
        body = _bulk(label)
        headers = {**household.headers, "Content-Type": "application/json"}

        def send() -> None:
            try:
                response = httpx.post(
                    f"{server.base_url}/api/v1/transactions/bulk",
                    content=body,
                    headers=headers,
                    timeout=120,
                )
            except httpx.TransportError:
                return  # the server died first: no answer, status stays None
            self.status = response.status_code

        self._thread = threading.Thread(target=send, daemon=True)
        self.started = time.monotonic()
        self._thread.start()

    def wait(self) -> int | None:
        self._thread.join(timeout=130)
        return self.status


def _stored(database_url: str, label: str) -> tuple[int, int]:
    """(rows, tags) stored for the bulk labelled `label`."""
    engine = engine_for(database_url)
    try:
        with read_connection(engine) as conn:
            ids = select(bank_transaction.c.id).where(bank_transaction.c.label == label)
            rows = conn.execute(select(func.count()).select_from(ids.subquery())).scalar_one()
            tags = conn.execute(
                select(func.count())
                .select_from(transaction_tag)
                .where(transaction_tag.c.transaction_id.in_(ids))
            ).scalar_one()
            if engine.dialect.name == "sqlite":
                assert conn.exec_driver_sql("PRAGMA integrity_check").scalar_one() == "ok"
        return rows, tags
    finally:
        engine.dispose()


@contextmanager
def _sqlite_writing(database_url: str) -> Iterator[Callable[[], bool]]:
    """Has the bulk's write begun? The WAL file grew."""
    wal = Path(database_url.removeprefix("sqlite:///") + "-wal")
    before = wal.stat().st_size if wal.exists() else 0
    yield lambda: wal.exists() and wal.stat().st_size > before


@contextmanager
def _pg_copying(database_url: str) -> Iterator[Callable[[], bool]]:
    """Has the bulk's write begun? Its COPY runs."""
    with psycopg.connect(database_url, autocommit=True) as admin:

        def copying() -> bool:
            found = admin.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND state = 'active' AND query LIKE 'COPY bank_transaction%'"
            ).fetchone()
            return bool(found and found[0])

        yield copying


def _wait_for_no_transaction(database_url: str) -> None:
    """PostgreSQL ends a dead client's session, rolling back what it had not committed,
    when it notices the closed socket: read only once no session is inside a transaction
    (the servers not yet killed sit idle between requests)."""
    with psycopg.connect(database_url, autocommit=True) as admin:

        def ended() -> bool:
            row = admin.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND pid <> pg_backend_pid() AND xact_start IS NOT NULL"
            ).fetchone()
            return row is not None and row[0] == 0

        assert wait_until(ended, timeout=10), "the killed server's transaction stayed open"


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'foyer.db'}"
        return
    url = create_pg_database("foyer_faults")
    yield url
    drop_pg_database(url)


def test_api_killed_mid_bulk_insert(database_url: str, tmp_path: Path) -> None:
    sqlite = database_url.startswith("sqlite")
    migrate(database_url)
    (household,) = make_households(database_url, 1)
    writing = _sqlite_writing if sqlite else _pg_copying
    outcomes: list[tuple[str, int | None, int, int]] = []

    def check(label: str, status: int | None) -> None:
        if not sqlite:
            _wait_for_no_transaction(database_url)
        rows, tags = _stored(database_url, label)
        outcomes.append((label, status, rows, tags))

    # One server per kill, started side by side up front (a start takes seconds here);
    # the first also runs an uninterrupted bulk: it succeeds whole, and says how long one
    # takes on this machine now.
    servers = start_servers(len(FRACTIONS) + 1, database_url, tmp_path, cache="off")
    try:
        bulk = BulkRequest(servers[0], household, "BULK whole")
        assert bulk.wait() == 201
        duration = time.monotonic() - bulk.started
        kills = [(f"BULK at {f:.0%}", f * duration) for f in FRACTIONS] + [("BULK writing", None)]
        for server, (label, delay) in zip(servers, kills, strict=True):
            with writing(database_url) as started:
                bulk = BulkRequest(server, household, label)
                if delay is None:
                    assert wait_until(started, timeout=60, step=0.005), "no write began"
                else:
                    time.sleep(delay)
                assert server.process is not None
                server.process.kill()  # SIGKILL: no shutdown, no rollback by the server
                server.process.wait()
            check(label, bulk.wait())
    finally:
        for server in servers:
            server.stop()

    whole = (MAX_BULK, len(range(0, MAX_BULK, TAGGED_EVERY)))
    assert _stored(database_url, "BULK whole") == whole
    for label, status, rows, tags in outcomes:
        assert (rows, tags) in {(0, 0), whole}, f"{label}: partial bulk ({rows} rows, {tags} tags)"
        if status == 201:
            assert (rows, tags) == whole, f"{label}: acknowledged, then lost"
    # Some kill came before the commit: the all-or-nothing above was put to the test.
    assert any(rows == 0 for _, _, rows, _ in outcomes)
    assert aggregate_mismatches(database_url) == []
