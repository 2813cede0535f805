"""A pooled PostgreSQL connection's round trips: its liveness checked at checkout on its
socket (foyer.db.liveness) — no ping on a live connection, and a connection the server
ended is replaced before anyone uses it, so the request goes through — and reads in
autocommit (`Database.read`), without BEGIN and ROLLBACK. PostgreSQL only (SQLite has no
server to lose, and no round trips)."""

from __future__ import annotations

import tempfile
import time
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from psycopg import pq
from sqlalchemy import Engine

from foyer.app import create_app
from foyer.db import liveness
from foyer.db.engine import Database, make_engine
from foyer.settings import Settings
from tests.factories import household_api, make_transaction
from tests.helpers import pg_admin

#: Why the SQLite half skips (the `pg` fixture, tests/db/conftest.py).
PG_ONLY = "a server connection's liveness is PostgreSQL's; SQLite has no server"


@pytest.fixture
def own(pg: Settings) -> Iterator[Engine]:
    """An engine of this test's own, tagged so its backends can be told from others'."""
    eng = make_engine(pg.model_copy(update={"database_url": _tagged(pg.database_url)}))
    yield eng
    eng.dispose()


def _tagged(url: str) -> str:
    return f"{url}{'&' if '?' in url else '?'}application_name=foyer-liveness-test"


def _terminate_own() -> int:
    """End every backend of the tagged engine (as a restart or an idle timeout would)."""
    with pg_admin() as admin:
        ended = admin.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE application_name = 'foyer-liveness-test'"
        ).fetchone()
    assert ended is not None
    return int(ended[0])


def test_a_live_connection_is_checked_out_without_a_ping(
    own: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    pings: list[object] = []
    monkeypatch.setattr(own.dialect, "do_ping", lambda conn: pings.append(conn) or True)
    for _ in range(5):
        with own.connect() as conn:
            assert conn.exec_driver_sql("SELECT 1").scalar_one() == 1
    assert pings == []
    with own.connect() as conn:  # and the socket of a live, idle connection is quiet
        assert not liveness.unsolicited(conn.connection.dbapi_connection)


def test_connections_the_server_ended_are_replaced_at_checkout(own: Engine) -> None:
    with own.connect() as a, own.connect() as b:  # two pooled connections, then idle
        before = {
            a.exec_driver_sql("SELECT pg_backend_pid()").scalar_one(),
            b.exec_driver_sql("SELECT pg_backend_pid()").scalar_one(),
        }
    assert _terminate_own() == 2
    time.sleep(0.2)  # the backends' FATAL reaches their sockets
    for _ in range(4):  # every checkout works: the first replaces, the pool is renewed
        with own.connect() as conn:
            pid = conn.exec_driver_sql("SELECT pg_backend_pid()").scalar_one()
            assert pid not in before


def test_a_closed_connection_counts_as_unsolicited(own: Engine) -> None:
    raw: Any = own.raw_connection()
    try:
        driver = raw.dbapi_connection
        assert not liveness.unsolicited(driver)
        driver.close()
        assert liveness.unsolicited(driver)
    finally:
        raw.invalidate()


def test_requests_after_the_server_ended_every_connection_succeed(pg: Settings) -> None:
    """Through the API: a read and writes right after every pooled connection was ended
    answer as usual, never 503 (the pre-ping's promise, kept without its round trip)."""
    settings = pg.model_copy(update={"database_url": _tagged(pg.database_url)})
    app = create_app(settings)
    engine = app.state.foyer.database.engine
    with TestClient(app, raise_server_exceptions=False) as client:
        api = household_api(client, engine, email="live@example.com", household="Live")
        month = "2026-03"
        assert api.create("/transactions", make_transaction(date=f"{month}-02")) > 0
        assert api.get("/transactions", month=month).status_code == 200
        assert _terminate_own() >= 1
        time.sleep(0.2)  # the backends' FATAL reaches their sockets
        statuses = [
            api.post("/transactions", make_transaction(date=f"{month}-03")).status_code,
            api.get("/transactions", month=month, limit=10).status_code,
            api.post("/transactions", make_transaction(date=f"{month}-04")).status_code,
        ]
    assert statuses == [201, 200, 201]


def _replies(trace: Any) -> list[list[str]]:
    trace.seek(0)
    lines = [line.split("\t") for line in trace.read().splitlines()]
    return [line[2:] for line in lines if line[0] == "B"]  # what the backend sent


def test_a_read_is_its_own_statements_and_nothing_else(pg: Settings) -> None:
    """A read through `Database.read` waits for the server only for its statements: no
    ping at checkout, no BEGIN, no ROLLBACK (libpq's trace of the pool's one connection
    over two reads)."""
    eng = make_engine(pg, single=True)
    try:
        with eng.connect() as conn:  # the pool's one connection, opened and initialised
            raw: Any = conn.connection.dbapi_connection
        with tempfile.NamedTemporaryFile("w+") as trace:
            raw.pgconn.trace(trace.fileno())
            raw.pgconn.set_trace_flags(pq.Trace.SUPPRESS_TIMESTAMPS | pq.Trace.REGRESS_MODE)
            for n in (1, 2):
                with Database(eng).read() as conn:
                    assert conn.connection.dbapi_connection is raw
                    assert conn.exec_driver_sql(f"SELECT {n}").scalar_one() == n
            raw.pgconn.untrace()
            replies = _replies(trace)
        done = [line[1].strip(' "') for line in replies if line[0] == "CommandComplete"]
        ready = [line for line in replies if line[0] == "ReadyForQuery"]
        assert done == ["SELECT 1", "SELECT 1"]  # (a tag: one row each)
        assert len(ready) == 2
        with Database(eng).unit_of_work() as conn:  # and writes still get their transaction
            conn.exec_driver_sql("SELECT 1")
            status = conn.connection.dbapi_connection.info.transaction_status
            assert status == pq.TransactionStatus.INTRANS
    finally:
        eng.dispose()
