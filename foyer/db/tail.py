"""PostgreSQL: a write's aggregate statements and its COMMIT in one round trip.

Every write of a month upserts the same aggregate rows (the month's totals, its
categories) and renews the same data stamps: from the first upsert to the COMMIT, every
other write of that month waits for those row locks. `aggregates.apply` sends its
statements in one psycopg pipeline; awaiting their results and then sending COMMIT cost
a round trip each and, under load, a wait for the interpreter's lock after each, since
the thread must run Python to go on — the locks held meanwhile (docs/PERFORMANCE.md,
"The write's tail and its COMMIT in one round trip").

So inside a unit of work the pipeline is left open after `apply` (its *tail*), and the
unit of work's COMMIT joins it: one Sync sends the upserts and the COMMIT together, and
PostgreSQL releases the locks as soon as it has run them, whatever the client's thread
is doing. Nothing else changes. Any statement run before the end closes the tail first
(`settle`: from SQLAlchemy's `before_cursor_execute`, and from the code that uses the driver
directly), so it sees the aggregates, and an error in them comes out where it came out
before — at the tail's Sync, as the driver's own (`foyer.api.guards` answers those). An
error in the block ends the tail with it, before the rollback. Outside a unit of work
(`conn.info` without `ALLOWED`: commands, tests) the pipeline is synced at once, as
before.

Why by hand: psycopg gives the pipeline; which statements may share a Sync with the
COMMIT is the unit of work's rule.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection

#: Set by the unit of work on its connection's info: a tail may be left open.
ALLOWED = "foyer_tail_allowed"
_TAIL = "foyer_tail"
#: False only inside `separate_commits` (a micro-benchmark's baseline).
_joined = True


@dataclass(slots=True)
class _Tail:
    pipeline: Any  # psycopg.Pipeline, entered
    sending: bool = False  # `apply`'s own statements are going into it


@contextmanager
def sending(conn: Connection) -> Iterator[None]:
    """The block's statements pipelined (PostgreSQL; none of them may return rows): left
    open at the end inside a unit of work, synced at the end outside one."""
    if conn.dialect.name != "postgresql":
        yield
        return
    raw: Any = conn.connection.dbapi_connection
    if not (_joined and conn.info.get(ALLOWED)):
        with raw.pipeline():
            yield
        return
    tail = conn.info.get(_TAIL)
    if tail is None:
        pipeline = raw.pipeline()
        pipeline.__enter__()
        tail = conn.info[_TAIL] = _Tail(pipeline)
    outer, tail.sending = tail.sending, True  # a block inside another keeps it open
    try:
        yield
    except BaseException as exc:
        _end(conn, exc)
        raise
    tail.sending = outer


@contextmanager
def separate_commits() -> Iterator[None]:
    """Within the block, every pipeline synced at once and the COMMIT sent alone, as
    before the tail: the baseline of `foyer.bench.micro.contended_writes`, side by side."""
    global _joined  # noqa: PLW0603 (a process-wide switch, for a benchmark's baseline)
    _joined = False
    try:
        yield
    finally:
        _joined = True


def settle(conn: Connection) -> None:
    """Close the connection's tail, if one is open: its results awaited (an error in them
    raised here). Before any other statement of the transaction."""
    tail = conn.info.get(_TAIL)
    if tail is not None and not tail.sending:
        _end(conn, None)


def commit(conn: Connection) -> None:
    """The unit of work's COMMIT, in the tail when one is open (one Sync for both); then
    SQLAlchemy's own commit finds the transaction ended and sends nothing. Without a
    tail, nothing: SQLAlchemy commits."""
    tail = conn.info.get(_TAIL)
    if tail is None:
        return
    raw: Any = conn.connection.dbapi_connection
    # A statement, not `raw.commit()`: that one syncs at once, and the pipeline's exit
    # would sync again (two round trips). psycopg tracks the transaction by libpq's status,
    # IDLE once this COMMIT has run; SQLAlchemy's commit (psycopg's) then does nothing.
    raw.execute("COMMIT")
    _end(conn, None)


def abandon(conn: Connection, exc: BaseException) -> None:
    """The block failed: end the tail (its results dropped) before the rollback."""
    if conn.info.get(_TAIL) is not None:
        _end(conn, exc)


def _end(conn: Connection, exc: BaseException | None) -> None:
    tail: _Tail = conn.info.pop(_TAIL)
    if exc is None:
        tail.pipeline.__exit__(None, None, None)
    else:
        tail.pipeline.__exit__(type(exc), exc, exc.__traceback__)


def before_cursor_execute(conn: Connection, *_args: Any) -> None:
    """SQLAlchemy's `before_cursor_execute` (PostgreSQL engines): any statement closes the
    tail. (Not `before_execute`: `exec_driver_sql` does not fire it.)"""
    settle(conn)
