"""One stamp-feed fence on the wire: `SELECT 1` sent through libpq's asynchronous query
protocol, waited for by blocking the thread up to a deadline (`drive_inline`), and, if it
is not back by then, awaited on the event loop (`drive_async`) from where it stopped.

Why by hand: psycopg's `execute` can only be awaited (or only blocked on) from start to
end, with no deadline; the stamp feed (`foyer.cache.feed`) first waits for a fence on the
loop thread and awaits it only when it is late. So the fence is written here once, as the
steps of libpq's asynchronous protocol (`psycopg.pq`, psycopg's public libpq layer), which
a blocking and an awaiting driver both run.
"""

from __future__ import annotations

import asyncio
import select
import time
from collections.abc import Generator

import psycopg
from psycopg import pq

#: No transaction id, no WAL: a round trip the backend answers after delivering what it
#: was signalled for.
FENCE = b"SELECT 1"

Steps = Generator[int, None, None]
READ, WRITE = select.POLLIN, select.POLLOUT


def steps(pgconn: pq.abc.PGconn) -> Steps:
    """After `send_query(FENCE)`: yield what the socket must be ready for, until the
    fence's answer and the ready-for-query after it are in; then hand every notification
    that came with them to the connection's handler (`StampFeed._heard`). Raises
    psycopg.OperationalError when the connection fails or the fence does."""
    while pgconn.flush():  # non-blocking (psycopg's async connections are): may be partial
        # libpq's rule: wait for either, and read what came, or the server may be blocked
        # writing to us while we wait to write to it.
        yield READ | WRITE
        pgconn.consume_input()
    while True:
        pgconn.consume_input()
        while pgconn.is_busy():
            yield READ
            pgconn.consume_input()
        result = pgconn.get_result()
        if result is None:  # ready for the next query: every notification is in
            break
        if result.status != pq.ExecStatus.TUPLES_OK:
            message = result.error_message.decode(errors="replace").strip()
            raise psycopg.OperationalError(f"stamp feed: fence failed: {message}")
    while (notify := pgconn.notifies()) is not None:
        if pgconn.notify_handler is not None:
            pgconn.notify_handler(notify)


def drive_inline(pgconn: pq.abc.PGconn, steps: Steps, deadline: float) -> int | None:
    """Run `steps`, blocking the thread until `deadline` (perf_counter) at most: None when
    they are done, else what they still wait for."""
    poller = select.poll()  # not select.select: socket numbers may exceed FD_SETSIZE
    fileno = pgconn.socket
    for waiting in steps:
        remaining = deadline - time.perf_counter()
        if remaining <= 0:
            return waiting
        poller.register(fileno, waiting)
        ready = poller.poll(remaining * 1000)
        poller.unregister(fileno)
        if not ready:
            return waiting
    return None


async def drive_async(
    loop: asyncio.AbstractEventLoop, fileno: int, steps: Steps, waiting: int
) -> None:
    """Run `steps` to the end, awaiting the socket (first for `waiting`)."""
    while True:
        ready = loop.create_future()
        if waiting & READ:
            loop.add_reader(fileno, _wake, ready)
        if waiting & WRITE:
            loop.add_writer(fileno, _wake, ready)
        try:
            await ready
        finally:
            if waiting & READ:
                loop.remove_reader(fileno)
            if waiting & WRITE:
                loop.remove_writer(fileno)
        try:
            waiting = next(steps)
        except StopIteration:
            return


def _wake(ready: asyncio.Future[None]) -> None:
    if not ready.done():  # the socket may be seen ready twice before the waiter runs
        ready.set_result(None)
