"""A route's blocking work and its JSON in one thread-pool hop.

FastAPI runs a sync endpoint on the thread pool, then validates what it returned against
its `response_model` on the thread pool again (`fastapi.routing.serialize_response`): two
hops, and each one waits for the event loop to take its result back. Under a mixed load
the loop is busy with hits, so each hop of a write queued behind them
(docs/PERFORMANCE.md, "The mixed session"). The busiest writes instead run as `async`
endpoints that hand their work and its encoding to one `json_in_thread` call and return the
bytes: the route keeps its `response_model` for the API docs, and the bodies come from the
same builders as the reads (`foyer.read.transactions.to_read`), which
tests/api/test_write_answers.py holds equal to a read of what was written.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import orjson
from sqlalchemy import Connection
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from foyer.db.engine import Database

T = TypeVar("T")


async def json_in_thread(work: Callable[[], object], *, status_code: int = 200) -> Response:
    """`work()` run on the thread pool and its result encoded there, as a JSON response."""
    body = await run_in_threadpool(lambda: orjson.dumps(work()))
    return Response(body, status_code=status_code, media_type="application/json")


async def in_unit_of_work(database: Database, work: Callable[[Connection], T]) -> T:
    """`work(conn)` in a unit of work on the thread pool, for an `async` route: a write may
    wait for SQLite's writer lock or a PostgreSQL row lock, which on the event loop would
    hold up every request of the process (tests/api/test_event_loop_io.py refuses one or a
    read opened in an `async` function)."""

    def run() -> T:
        with database.unit_of_work() as conn:
            return work(conn)

    return await run_in_threadpool(run)
