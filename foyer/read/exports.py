"""The rows of an export (SPEC §12): every transaction of a household in a range of months,
read in keyset batches so that memory stays flat whatever the range holds.

Each batch is one query on the index (household_id, date, id), strictly after the last
row of the previous batch, plus one query for that batch's tags: the cost of a batch is
the same at the first row and at the millionth, and nothing ever holds more than one batch.
`export_query` and `batch_tags_query` are in foyer.read.plans' checks. No HTTP, no format:
foyer.exports writes the batches as CSV, XLSX or OFX.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from typing import Any, NamedTuple

from sqlalchemy import (
    BindParameter,
    ColumnElement,
    Connection,
    Select,
    String,
    bindparam,
    select,
    tuple_,
    type_coerce,
)

from foyer.db.schema import bank_transaction as t
from foyer.db.schema import transaction_tag as tt
from foyer.months import parse_month

#: Rows per batch: large enough that the per-query cost disappears (a few ms for 5,000
#: rows), small enough that a batch is a few hundred KB of memory.
BATCH = 5_000


class ExportRow(NamedTuple):
    """One transaction as the exports write it (amount in cents, tags sorted)."""

    id: int
    date: dt.date
    label: str
    amount_cents: int
    category: str
    category_parent: str
    account: str
    expense_type: str
    exclude: bool
    tags: tuple[str, ...]


#: ExportRow's columns, in its order (the batches build rows positionally).
# The date as the driver gives it (SQLite: its 'YYYY-MM-DD' text; PostgreSQL: a date),
# without SQLAlchemy's Date processing: on SQLite that parses every row's date with a regex
# in Python, a quarter of an export's time; `fromisoformat` (C) does it in a tenth.
_COLUMNS = tuple(
    type_coerce(t.c.date, String) if name == "date" else t.c[name]
    for name in ExportRow._fields
    if name != "tags"
)


def date_range(first_month: str, last_month: str) -> tuple[dt.date, dt.date]:
    """[first day of `first_month`, first day after `last_month`) — 2201-01-01 after 2200-12,
    a day that foyer.months, bounded to the years of dates foyer takes, does not name."""
    year, month = parse_month(last_month)
    return dt.date(*parse_month(first_month), 1), dt.date(year + month // 12, month % 12 + 1, 1)


def export_query(
    household_id: int,
    start: dt.date,
    end: dt.date,
    after: tuple[dt.date, int] | None,
    limit: int = BATCH,
) -> Select[Any]:
    """The next batch: rows dated in [start, end) strictly after `after` in (date, id) order.

    After the first batch the lower bound is the cursor alone: it is tighter than `start`,
    and SQLite, which takes one bound per side, could otherwise range from `start` and step
    over every row already exported (the listings do the same, foyer.read.transactions).
    """
    where: list[ColumnElement[bool]] = [t.c.household_id == household_id, t.c.date < end]
    if after is None:
        where.append(t.c.date >= start)
    else:
        where.append(tuple_(t.c.date, t.c.id) > tuple_(*after))
    return select(*_COLUMNS).where(*where).order_by(t.c.date, t.c.id).limit(limit)


def batch_tags_range_query(household_id: int, first: dt.date, last: dt.date) -> Select[Any]:
    """The tags of the household's rows dated `first`..`last` (a batch's first and last
    dates): a range of the (household_id, date, id) index joined to the tags' primary key.
    A fixed statement, compiled once for every batch — the ids of a batch as 5,000 bound
    parameters cost SQLite exports a fifth of their time in SQLAlchemy's compiler. Rows of
    those dates outside the batch (its first and last day are shared with its neighbours)
    are left out by the caller."""
    return (
        select(tt.c.transaction_id, tt.c.tag)
        .join(t, t.c.id == tt.c.transaction_id)
        .where(t.c.household_id == household_id, t.c.date >= first, t.c.date <= last)
    )


def batch_tags_query(ids: Sequence[int], *, inline: bool = False) -> Select[Any]:
    """The tags of a batch's rows (primary-key lookups), unordered: each row's are sorted in
    Python, and no sort step runs.

    `inline` (PostgreSQL) writes the ids into the SQL as numbers: as 5,000 bound parameters
    the statement was re-parsed by psycopg for every batch (too long for its cache), a third
    of an export's time. Not on SQLite, whose driver keeps its last 128 statements prepared:
    a new text per batch held ~1 MB each there, where the bound form is one statement. The
    ids are integers this module read from the database, never text from a request."""
    values: BindParameter[list[int]] = bindparam(
        "ids", list(ids), expanding=True, literal_execute=inline
    )
    return select(tt.c.transaction_id, tt.c.tag).where(tt.c.transaction_id.in_(values))


def _fetched(conn: Connection, statement: Select[Any]) -> Sequence[Any]:
    return conn.execute(statement).all()


def _driver_fetched(conn: Connection, statement: Select[Any]) -> Sequence[Any]:
    """`statement` run on the connection's DB-API cursor, in its transaction: plain tuples,
    no type processing (SQLite: dates as their 'YYYY-MM-DD' text, booleans as 0/1). Its
    parameters are dates and numbers, which the adapters foyer.db.engine registers store
    exactly as SQLAlchemy does."""
    compiled = statement.compile(dialect=conn.dialect, compile_kwargs={"render_postcompile": True})
    values = compiled.construct_params()
    positional = tuple(values[name] for name in compiled.positiontup or ())
    cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.execute(compiled.string, positional)
        return cursor.fetchall()
    finally:
        cursor.close()


def snapshot(conn: Connection) -> Connection:
    """`conn` reading one snapshot for all its batches, before it begins a transaction.

    SQLite's read transaction is one already (foyer's BEGIN, WAL). PostgreSQL reads at
    READ COMMITTED: an import committed during a long export would land in it by halves
    (its rows interleave by date); REPEATABLE READ, read-only, never fails or blocks.
    """
    if conn.dialect.name == "postgresql" and not conn.in_transaction():
        conn.execution_options(isolation_level="REPEATABLE READ")
    return conn


def export_batches(
    conn: Connection,
    *,
    household_id: int,
    first_month: str,
    last_month: str,
    batch: int = BATCH,
) -> Iterator[list[ExportRow]]:
    """Every row of the household dated in `first_month`..`last_month` (inclusive), in
    (date, id) order, `batch` rows at a time (no empty batch)."""
    start, end = date_range(first_month, last_month)
    inline = conn.dialect.name == "postgresql"
    # SQLite: the batches go through the driver's own cursor (plain tuples, dates as text):
    # SQLAlchemy's Row objects and result processing were a quarter of a CSV export's time.
    # PostgreSQL keeps SQLAlchemy's results: there the server's round trip dominates.
    fetch = _fetched if inline else _driver_fetched
    as_date = dt.date.fromisoformat
    after: tuple[dt.date, int] | None = None
    while True:
        rows = fetch(conn, export_query(household_id, start, end, after, batch))
        if not rows:
            return
        first = row_date if isinstance(row_date := rows[0][1], dt.date) else as_date(row_date)
        last = row_date if isinstance(row_date := rows[-1][1], dt.date) else as_date(row_date)
        if inline:
            tagged = fetch(conn, batch_tags_query([row[0] for row in rows], inline=True))
        else:
            tagged = fetch(conn, batch_tags_range_query(household_id, first, last))
        grouped: dict[int, list[str]] = {}
        for transaction_id, tag in tagged:
            grouped.setdefault(transaction_id, []).append(tag)
        tags = {transaction_id: tuple(sorted(found)) for transaction_id, found in grouped.items()}
        # Positional (the columns' order is ExportRow's): reading 9 attributes by name
        # from each Row was a third of a CSV export's time.
        yield [
            ExportRow._make(
                (
                    row[0],
                    day if isinstance(day := row[1], dt.date) else as_date(day),
                    *row[2:8],
                    bool(row[8]),  # SQLite's driver gives 0/1
                    tags.get(row[0], ()),
                )
            )
            for row in rows
        ]
        if len(rows) < batch:
            return
        after = (last, int(rows[-1][0]))
