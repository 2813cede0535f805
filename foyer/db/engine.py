"""Engines and connections: SQLite pragmas, the PostgreSQL pool, and write transactions.

SQLite: WAL so readers never block the writer, foreign keys on, a busy timeout instead of
instant "database is locked", synchronous=NORMAL (durable at checkpoints, safe with WAL),
a memory map and a larger page cache. Write transactions start with BEGIN IMMEDIATE so two
writers queue on the lock instead of deadlocking on a read-to-write upgrade.

PostgreSQL: a statement_timeout on the API's connections (FOYER_DB_STATEMENT_TIMEOUT_MS),
so a runaway statement is cancelled and its request answers 503 instead of holding a
connection; work that may legitimately run longer (jobs) widens it per transaction with
`Database.with_statement_timeout`. A cancelled statement raises `StatementTimeoutError`.
A pooled connection's liveness is checked at checkout on its socket, not by a ping
(`foyer.db.liveness`).
"""

from __future__ import annotations

import copy
import datetime as dt
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from typing import Any

import psycopg
from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import ExceptionContext
from sqlalchemy.exc import OperationalError
from sqlalchemy.pool import StaticPool

from foyer.db import liveness, tail
from foyer.db.urgency import open_writes
from foyer.settings import Settings

SQLITE_PRAGMAS = (
    "PRAGMA journal_mode=WAL",
    "PRAGMA foreign_keys=ON",
    "PRAGMA busy_timeout=10000",
    "PRAGMA synchronous=NORMAL",
    "PRAGMA mmap_size=268435456",
    "PRAGMA cache_size=-65536",
    "PRAGMA temp_store=MEMORY",
)


def _adapt_datetime(value: dt.datetime) -> str:
    # SQLAlchemy's SQLite DateTime reads back naive 'YYYY-MM-DD HH:MM:SS.ffffff'; foyer
    # stores UTC. Only raw-driver bulk inserts reach these adapters (Core converts first).
    if value.tzinfo is not None:
        value = value.astimezone(dt.UTC).replace(tzinfo=None)
    return value.isoformat(" ", "microseconds")


def as_utc(value: dt.datetime) -> dt.datetime:
    """A stored timestamp as an aware UTC datetime: SQLite hands them back naive (the
    adapter above stored UTC), PostgreSQL aware."""
    return value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)


# sqlite3's built-in date adapters are deprecated (3.12); register explicit ones.
sqlite3.register_adapter(dt.date, dt.date.isoformat)
sqlite3.register_adapter(dt.datetime, _adapt_datetime)


def _casefold(value: str | None) -> str | None:
    return None if value is None else value.casefold()


def _on_sqlite_connect(dbapi_connection: sqlite3.Connection, _record: Any) -> None:
    # Take transaction control from the sqlite3 module so SQLAlchemy's BEGIN is the real one
    # (the module would otherwise defer BEGIN to the first write and break isolation).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    for pragma in SQLITE_PRAGMAS:
        cursor.execute(pragma)
    cursor.close()
    # SQLite's built-in lower() only folds ASCII; label search must match "Électricité".
    dbapi_connection.create_function("lower", 1, _casefold, deterministic=True)


def _on_sqlite_begin(conn: Connection) -> None:
    mode = "BEGIN IMMEDIATE" if conn.get_execution_options().get("foyer_write") else "BEGIN"
    conn.exec_driver_sql(mode)


class StatementTimeoutError(OperationalError):
    """PostgreSQL cancelled a statement that ran past its statement_timeout."""


def _on_pg_error(context: ExceptionContext) -> None:
    # SQLAlchemy wraps every driver error in OperationalError; give the timeout its own
    # class so the API can answer it (503) without claiming every OperationalError.
    original = context.original_exception
    if isinstance(original, psycopg.errors.QueryCanceled) and context.statement is not None:
        raise StatementTimeoutError(context.statement, context.parameters, original) from original


def make_engine(
    settings: Settings, *, single: bool = False, statement_timeout_ms: int = 0
) -> Engine:
    """Create the engine for `settings.database_url` with foyer's connection setup.

    `single`: a pool of one connection that fails fast instead of waiting (`LoopEngine`).
    `statement_timeout_ms`: PostgreSQL's statement_timeout on every connection (0: none;
    the API passes FOYER_DB_STATEMENT_TIMEOUT_MS; commands an operator runs take none).
    """
    one = {"pool_size": 1, "max_overflow": 0, "pool_timeout": 1} if single else {}
    if settings.is_sqlite:
        kwargs: dict[str, Any] = {}
        if settings.sqlite_path is None:
            # An in-memory database lives in one connection: share it.
            kwargs = {"poolclass": StaticPool, "connect_args": {"check_same_thread": False}}
        else:
            settings.sqlite_path.parent.mkdir(parents=True, exist_ok=True)
            kwargs = {"connect_args": {"check_same_thread": False}, "pool_size": 10, **one}
        engine = create_engine(settings.database_url, **kwargs)
        event.listen(engine, "connect", _on_sqlite_connect)
        event.listen(engine, "begin", _on_sqlite_begin)
        return engine
    pool: dict[str, Any] = {
        "pool_size": settings.db_pool_size,
        "max_overflow": settings.db_max_overflow,
        **one,
    }
    if statement_timeout_ms > 0:
        # A startup option: set when the connection opens, no round trip per checkout.
        pool["connect_args"] = {"options": f"-c statement_timeout={int(statement_timeout_ms)}"}
    # No pool_pre_ping: `liveness` checks the socket instead, without a round trip.
    engine = create_engine(settings.database_url, pool_recycle=1800, **pool)
    event.listen(engine, "checkout", liveness.check_on_checkout)
    event.listen(engine, "handle_error", _on_pg_error)
    event.listen(engine, "before_cursor_execute", tail.before_cursor_execute)
    return engine


def set_statement_timeout(conn: Connection, ms: int) -> None:
    """This transaction's statement_timeout (PostgreSQL; 0: none). SQLite has none."""
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql(f"SET LOCAL statement_timeout = {int(ms)}")


def analyze(engine: Engine) -> None:
    """Refresh the planner's statistics after a bulk load.

    Without them SQLite guesses, and guesses badly here: it used the amount index
    (every debit of the household) for a month's hierarchy, 2.5 s instead of 50 ms at
    1M rows. PostgreSQL's autovacuum would get there eventually; a bulk load should not wait.
    """
    with engine.connect() as conn:
        # Every table: the aggregates too (without statistics PostgreSQL guessed one row
        # per category and sorted a month's labels instead of reading the top index).
        conn.exec_driver_sql("ANALYZE")
        conn.commit()


@contextmanager
def read_connection(engine: Engine) -> Iterator[Connection]:
    """A connection for reads; its transaction is rolled back at the end."""
    with engine.connect() as conn:
        yield conn


@contextmanager
def statement_reads(engine: Engine) -> Iterator[Connection]:
    """PostgreSQL: a connection for reads in autocommit (`Database.read`); the pool puts
    its isolation level back when it returns."""
    with engine.connect() as conn:
        yield conn.execution_options(isolation_level="AUTOCOMMIT")


#: conn.info key where a unit of work collects notes for its commit listeners.
NOTES = "foyer_notes"
#: Notes left by services: (household id, data-stamp scope) pairs, today.
Notes = set[tuple[int, str]]
AfterCommit = Callable[[Notes], None]


def note(conn: Connection, *items: tuple[int, str]) -> None:
    """Leave notes for the commit listeners of this unit of work."""
    conn.info.setdefault(NOTES, set()).update(items)


class Database:
    """An engine and what foyer hangs on it: commit listeners and the SQLite writer lock.

    One per app (`create_app`), or per command; the listeners and the lock live here, not
    in module globals keyed by engine, so an app that is gone takes them with it and two
    apps in one test process only share them when they share this object.
    """

    def __init__(self, engine: Engine, *, statement_timeout_ms: int | None = None) -> None:
        self.engine = engine
        # None: the engine's own (the API's, or none); else set in every transaction.
        self.statement_timeout_ms = statement_timeout_ms
        # time.monotonic() of the last optimize, in a list: `with_statement_timeout`'s
        # copies share it, as they share the listeners and the lock.
        self._optimized_at: list[float] = []
        self._after_commit: list[AfterCommit] = []
        # SQLite takes one writer at a time. Writers of this process queue on this lock
        # first: waiting in SQLite's busy handler instead means sleeping in growing steps
        # (up to 100 ms each) and retrying, which under concurrent writes turned into
        # second-long tails. Other processes still meet at the database lock (busy_timeout).
        self._writer_lock: AbstractContextManager[Any] = (
            threading.RLock() if engine.dialect.name == "sqlite" else nullcontext()
        )
        self._urgent: AbstractContextManager[Any] = (
            open_writes if engine.dialect.name == "sqlite" else nullcontext()
        )

    def with_statement_timeout(self, ms: int) -> Database:
        """This database — its engine, listeners, writer lock and last `optimize` shared —
        whose reads and units of work run under statement_timeout `ms` (0: none): for
        jobs, whose statements (an aggregate rebuild, a large import's insert) may run
        past the API's limit."""
        other = copy.copy(self)  # shallow: the same engine, listener lists, lock, list
        other.statement_timeout_ms = ms
        return other

    def after_commit(self, listener: AfterCommit) -> None:
        """Call `listener(notes)` after each unit of work with notes commits (what services
        left with `note`, e.g. the data stamps they renewed)."""
        self._after_commit.append(listener)

    def ping(self) -> None:
        """One round trip to the database; raises when it does not answer (readiness)."""
        with read_connection(self.engine) as conn:
            conn.exec_driver_sql("SELECT 1")

    def optimize(self, *, unless_within: float = 0.0) -> bool:
        """Refresh the planner's statistics after a big write (an import of thousands of
        rows, a periodic task), as `analyze` does after a bulk load, but bounded: SQLite
        samples (`analysis_limit`) instead of reading every index, a second or less at 1M
        rows; PostgreSQL's ANALYZE samples by itself. Skipped (False) when this process
        ran one less than `unless_within` seconds ago: ten files imported in a row need
        one refresh, not ten (each cost a PostgreSQL import 0.1-0.16 s, growing with the
        table)."""
        now = time.monotonic()
        if self._optimized_at and now - self._optimized_at[0] < unless_within:
            return False
        self._optimized_at[:] = [now]
        with self._writer_lock, self.engine.connect() as conn:
            if self.statement_timeout_ms is not None:
                set_statement_timeout(conn, self.statement_timeout_ms)
            if self.engine.dialect.name == "sqlite":
                # PRAGMA optimize would be the idiom, but before SQLite 3.46 it only analyses
                # tables this connection's own queries used, which a fresh one has none of.
                conn.exec_driver_sql("PRAGMA analysis_limit=1000")
            conn.exec_driver_sql("ANALYZE")
            conn.commit()
        return True

    def read(self) -> AbstractContextManager[Connection]:
        """A connection for reads.

        SQLite: in a transaction (a snapshot of the WAL), rolled back at the end.
        PostgreSQL: in autocommit, each statement its own snapshot — what READ COMMITTED
        gave a read transaction anyway, without the BEGIN and ROLLBACK round trips. A
        reader that needs one snapshot for several statements asks for it before its
        first (`foyer.read.exports.snapshot`); reads under a statement timeout (jobs)
        keep their transaction, which SET LOCAL needs.
        """
        if self.statement_timeout_ms is not None:
            return self._read_with_timeout(self.statement_timeout_ms)
        if self.engine.dialect.name == "postgresql":
            return statement_reads(self.engine)
        return read_connection(self.engine)

    @contextmanager
    def _read_with_timeout(self, ms: int) -> Iterator[Connection]:
        with read_connection(self.engine) as conn:
            set_statement_timeout(conn, ms)
            yield conn

    @contextmanager
    def unit_of_work(self) -> Iterator[Connection]:
        """A write transaction that commits only when the block ends without an exception.

        The one place foyer commits (cosmicpython's unit of work): services receive the
        connection and never commit themselves, so a multi-step write is all or nothing.
        After the commit, and only then, the after-commit listeners get the notes the
        services left. PostgreSQL: the COMMIT goes with the aggregates' statements, one
        round trip (`foyer.db.tail`).
        """
        # SQLite: the lock's holder gets the interpreter's turns (foyer.db.urgency), not the
        # threads queued for the lock.
        with (
            self._writer_lock,
            self._urgent,
            self.engine.connect().execution_options(foyer_write=True) as conn,
        ):
            conn.info[tail.ALLOWED] = True
            try:
                with conn.begin():
                    if self.statement_timeout_ms is not None:
                        set_statement_timeout(conn, self.statement_timeout_ms)
                    try:
                        yield conn
                        # (Inside the `try`: an error of the tail's statements may come
                        # out of the COMMIT's execute, and the tail must end with it.)
                        tail.commit(conn)
                    except BaseException as exc:
                        tail.abandon(conn, exc)
                        raise
            finally:
                # conn.info lives with the pooled DBAPI connection: never leave notes (nor
                # the tail's permission) behind.
                conn.info.pop(tail.ALLOWED, None)
                notes: Notes = conn.info.pop(NOTES, set())
        if notes:
            for after in self._after_commit:
                after(notes)
