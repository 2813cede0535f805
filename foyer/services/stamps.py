"""Data stamps: tokens that change whenever their data does; the cache and ETags build on them.

A stamp is a random 62-bit token per (household, scope). Every write renews, in its own
transaction, the stamps of the scopes its data belongs to. A transaction write renews,
for each month it touched, the scope of each aggregate table it really changed there
(`aggregates.Delta.scopes`): `<month>` for the month totals (agg_month),
`<month>:categories` (agg_category), `<month>:details` (agg_tag, agg_label) — so
retagging a transaction leaves the summary's key alone — and `<month>:rows` for any row
written at all (cached transaction pages). A config, fixed-line or provision write
renews `budget`. A view names the scopes it depends on; its cache key and ETag include
their current stamps, read from the database in one primary-key lookup. So a committed
write changes the key of exactly the views that depend on it, in every process and on
every machine sharing the database, with no message to send and nothing to delete — and
a reader never needs Redis to know what is current.

Random, not a counter: a counter restarts when rows are deleted and re-created (a
household id reused, a database restored from a backup), and a restarted counter would
match cache entries of data that no longer exists. A fresh token per write never
repeats; a scope never written reads as 0.

Consistency: the renewal commits with the data. A reader that sees the new stamp (read
first, then the data) sees the new data too. One that read the old stamp may build its
entry from newer data under the old key; no later reader asks for that key.
"""

from __future__ import annotations

import functools
import secrets
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import Connection, Select, select
from sqlalchemy.dialects import postgresql, sqlite

from foyer.db import tail
from foyer.db.engine import note
from foyer.db.schema import data_stamp

BUDGET = "budget"  # config, fixed lines, provisions
BUDGETS = "budgets"  # category budgets (SPEC §12)


def totals(month: str) -> str:
    """The scope of a month's totals (agg_month)."""
    return month


def categories(month: str) -> str:
    """The scope of a month's debits by category (agg_category)."""
    return f"{month}:categories"


def details(month: str) -> str:
    """The scope of a month's top tags and labels (agg_tag, agg_label)."""
    return f"{month}:details"


def rows(month: str) -> str:
    """The scope of a month's transactions themselves (any row added, removed or edited)."""
    return f"{month}:rows"


def balance(month: str) -> str:
    """The scope of the joint account's balance entered for a month (transfer plan)."""
    return f"{month}:balance"


def of_months(months: Iterable[str]) -> set[str]:
    """Every scope of these months."""
    return {s for m in months for s in (totals(m), categories(m), details(m), rows(m))}


@functools.cache
def _renew_statement(dialect: str) -> Any:
    stmt = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(data_stamp)
    return stmt.on_conflict_do_update(
        index_elements=["household_id", "scope"], set_={"stamp": stmt.excluded.stamp}
    )


def renew(conn: Connection, household_id: int, scopes: Iterable[str]) -> None:
    """Give each scope a new stamp, on the caller's transaction (sorted: lock order)."""
    ordered = sorted(set(scopes))
    if ordered:
        rows = [
            {"household_id": household_id, "scope": scope, "stamp": secrets.randbits(62) + 1}
            for scope in ordered
        ]
        conn.execute(_renew_statement(conn.dialect.name), rows)
        # After the commit, listeners (the cache warmer) learn what changed.
        note(conn, *((household_id, scope) for scope in ordered))


def renew_households(conn: Connection, scopes: dict[int, set[str]]) -> None:
    """A transaction write changed these scopes of these households."""
    for household_id in sorted(scopes):
        renew(conn, household_id, scopes[household_id])


def renew_budget(conn: Connection, household_id: int) -> None:
    renew(conn, household_id, (BUDGET,))


def stamps_query(household_id: int, scopes: Sequence[str]) -> Select[Any]:
    return select(data_stamp.c.scope, data_stamp.c.stamp).where(
        data_stamp.c.household_id == household_id, data_stamp.c.scope.in_(list(scopes))
    )


@functools.cache
def read_sql(dialect: str, count: int) -> str:
    """`stamps_query` compiled once per dialect and scope count, for the driver's cursor:
    this runs on every cached request. Compiled from the Core statement, so the query
    foyer.read.plans checks is the one that runs (tests/read/test_plans.py checks this)."""
    # The dialects the drivers' cursors speak: qmark (sqlite3), format (psycopg).
    make: Any = sqlite.dialect if dialect == "sqlite" else postgresql.psycopg.dialect
    positional = make(paramstyle="qmark" if dialect == "sqlite" else "format")
    placeholders = [f"s{i}" for i in range(count)]
    compiled = stamps_query(0, placeholders).compile(
        dialect=positional, compile_kwargs={"render_postcompile": True}
    )
    # The driver call passes (household_id, *scopes): the statement must bind them so.
    assert compiled.positiontup is not None
    assert len(compiled.positiontup) == count + 1
    assert compiled.positiontup[0].startswith("household_id")
    return str(compiled)


def read(conn: Connection, household_id: int, scopes: Sequence[str]) -> dict[str, int]:
    """The current stamp of each scope (0 for one never written)."""
    # On the driver's cursor, inside the connection's own transaction (and snapshot):
    # building and executing the Core statement cost 115 µs, the driver call 7 µs, and
    # this runs on every cached request.
    tail.settle(conn)  # the driver's own cursor: no SQLAlchemy event closes a write's tail
    return read_dbapi(conn.connection.dbapi_connection, conn.dialect.name, household_id, scopes)


def read_dbapi(raw: Any, dialect: str, household_id: int, scopes: Sequence[str]) -> dict[str, int]:
    """`read` on a driver connection (sqlite3 or psycopg), in its current transaction — or,
    in autocommit, as one statement of its own, which is a snapshot too."""
    cursor = raw.cursor()
    try:
        cursor.execute(read_sql(dialect, len(scopes)), (household_id, *scopes))
        found = dict(cursor.fetchall())
    finally:
        cursor.close()
    return {scope: int(found.get(scope, 0)) for scope in scopes}


async def read_async(conn: Any, household_id: int, scopes: Sequence[str]) -> dict[str, int]:
    """`read` on an async psycopg connection (PostgreSQL, from the event loop)."""
    async with conn.cursor() as cursor:
        await cursor.execute(read_sql("postgresql", len(scopes)), (household_id, *scopes))
        found = dict(await cursor.fetchall())
    return {scope: int(found.get(scope, 0)) for scope in scopes}
