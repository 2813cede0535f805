"""Engines and connections: SQLite pragmas, the PostgreSQL pool, and write transactions.

SQLite: WAL so readers never block the writer, foreign keys on, a busy timeout instead of
instant "database is locked", synchronous=NORMAL (durable at checkpoints, safe with WAL),
a memory map and a larger page cache. Write transactions start with BEGIN IMMEDIATE so two
writers queue on the lock instead of deadlocking on a read-to-write upgrade.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from typing import Any
from weakref import WeakKeyDictionary, WeakMethod

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.pool import StaticPool

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


def make_engine(settings: Settings, *, single: bool = False) -> Engine:
    """Create the engine for `settings.database_url` with foyer's connection setup.

    `single`: a pool of one connection that fails fast instead of waiting (`LoopEngine`).
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
    return create_engine(settings.database_url, pool_pre_ping=True, pool_recycle=1800, **pool)


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


#: conn.info key where a unit of work collects notes for after-commit listeners.
NOTES = "foyer_notes"
_Listener = Callable[[set[Any]], None]
_commit_listeners: WeakKeyDictionary[Engine, list[WeakMethod[_Listener]]] = WeakKeyDictionary()


_BeforeCommit = Callable[[Connection, set[Any]], None]
_before_commit_listeners: WeakKeyDictionary[Engine, list[WeakMethod[_BeforeCommit]]] = (
    WeakKeyDictionary()
)


def before_commit(engine: Engine, listener: _BeforeCommit) -> None:
    """Call the bound method `listener(conn, notes)` at the end of each unit of work with
    notes, on its connection, just before it commits: what it reads there is exactly what
    the commit will publish. An exception it raises fails the write; held weakly."""
    _before_commit_listeners.setdefault(engine, []).append(WeakMethod(listener))


def _alive(registry: WeakKeyDictionary[Engine, list[WeakMethod[Any]]], engine: Engine) -> list[Any]:
    listeners = []
    for ref in list(registry.get(engine, ())):
        listener = ref()
        if listener is None:
            registry[engine].remove(ref)
        else:
            listeners.append(listener)
    return listeners


def on_commit(engine: Engine, listener: _Listener) -> None:
    """Call the bound method `listener(notes)` after each unit of work on `engine` commits
    with notes (what services left in `conn.info[NOTES]`, e.g. the data versions they
    bumped). Held weakly: an app that is gone stops listening."""
    _commit_listeners.setdefault(engine, []).append(WeakMethod(listener))


def note(conn: Connection, *items: Any) -> None:
    """Leave notes for the after-commit listeners of this unit of work."""
    conn.info.setdefault(NOTES, set()).update(items)


_writer_locks: WeakKeyDictionary[Engine, threading.RLock] = WeakKeyDictionary()
_writer_locks_guard = threading.Lock()


def _sqlite_writer_lock(engine: Engine) -> AbstractContextManager[Any]:
    if engine.dialect.name != "sqlite":
        return nullcontext()
    with _writer_locks_guard:
        lock = _writer_locks.get(engine)
        if lock is None:
            lock = _writer_locks[engine] = threading.RLock()
        return lock


@contextmanager
def unit_of_work(engine: Engine) -> Iterator[Connection]:
    """A write transaction that commits only when the block ends without an exception.

    The one place foyer commits (cosmicpython's unit of work): services receive the
    connection and never commit themselves, so a multi-step write is all or nothing.
    After the commit, and only then, listeners get the notes the services left.
    """
    # SQLite takes one writer at a time. Writers of this process queue on a lock first:
    # waiting in SQLite's busy handler instead means sleeping in growing steps (up to
    # 100 ms each) and retrying, which under concurrent writes turned into second-long
    # tails. Other processes still meet at the database lock (busy_timeout).
    lock = _sqlite_writer_lock(engine)
    with lock, engine.connect().execution_options(foyer_write=True) as conn:
        try:
            with conn.begin():
                yield conn
                pending = conn.info.get(NOTES)
                if pending:
                    for listener in _alive(_before_commit_listeners, engine):
                        listener(conn, pending)
        finally:
            # conn.info lives with the pooled DBAPI connection: never leave notes behind.
            notes: set[Any] = conn.info.pop(NOTES, set())
    if notes:
        for listener in _alive(_commit_listeners, engine):
            listener(notes)
