"""PostgreSQL: a pooled connection's liveness checked at checkout without a round trip.

SQLAlchemy's `pool_pre_ping` sends `SELECT 1` at every checkout and waits for it: one
round trip before every miss and every write, and under load, after it, a wait for the
interpreter's lock before the request's own first statement (docs/PERFORMANCE.md,
"PostgreSQL: a connection's liveness without a round trip, reads without BEGIN").

An idle connection of the pool has nothing to read: the server speaks only when asked.
When it goes away it says so on the socket — a backend ended by a shutdown, a restart,
`pg_terminate_backend`, `idle_session_timeout` or a proxy sends its FATAL message and
closes, and a backend killed outright leaves an end of file there. So at checkout a
zero-timeout `poll` of the socket tells what the ping would: readable means the
connection cannot be trusted, and it is discarded with the rest of the pool (as a failed
pre-ping does: a restart ended them all), and the pool opens a new one for this
checkout. Nothing readable: the connection is used as it is, no statement sent.

What the ping would catch and this does not: a server that vanished without a word (its
machine lost, the network cut) — there the ping waits out the TCP timeout too, and the
request's own first statement fails instead, answered 503 (`foyer.api.errors`). Why by
hand: SQLAlchemy's pool offers the ping or nothing; the `checkout` event and
`InvalidatePoolError` are its documented ways to replace it.
"""

from __future__ import annotations

import select
from typing import Any

import psycopg
from sqlalchemy.exc import InvalidatePoolError


def check_on_checkout(dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
    """The pool's `checkout` listener: raise `InvalidatePoolError` (the pool then
    reconnects this checkout and drops the connections opened before) when the server
    has spoken on an idle connection or closed it."""
    if unsolicited(dbapi_connection):
        raise InvalidatePoolError("the server spoke on an idle connection, or closed it")


def unsolicited(connection: psycopg.Connection[Any]) -> bool:
    """Whether an idle connection's socket has something to read (or is gone)."""
    if connection.closed or connection.broken:
        return True
    try:
        fd = connection.fileno()
    except psycopg.OperationalError:  # no socket left
        return True
    poller = select.poll()
    poller.register(fd, select.POLLIN | select.POLLPRI)
    return bool(poller.poll(0))
