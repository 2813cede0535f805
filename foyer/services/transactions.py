"""Transaction writes: single and bulk inserts, patches, deletes.

Every write to `bank_transaction` and `transaction_tag` goes through this module (or its
siblings `transaction_moves`, rows recategorised in bulk, and `splits`, split bank rows), and
every one of them hands the rows it added or removed to `foyer.services.aggregates` in the same
transaction, so the aggregates are exact at every commit
(tests/services/test_only_services_write.py fails if another module writes these tables).
Reads, listings included, are in foyer.read.transactions; these functions take typed
inputs (foyer.services.transaction_inputs, re-exported here) and answer ids or found/not
found, never JSON.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import replace
from typing import Any

from sqlalchemy import Connection, Select, func, select

from foyer.db import tail
from foyer.db.schema import bank_transaction as t
from foyer.db.schema import split_original, transaction_tag
from foyer.read.transactions import ROW_COLUMNS, StoredRow, Written, sorted_tags, tags_of
from foyer.services import aggregates, rules
from foyer.services.transaction_inputs import (
    NEW_ROW_COLUMNS,
    NewRow,
    NewTransaction,
    TransactionChanges,
    new_row,
)

__all__ = [
    "NEW_ROW_COLUMNS",
    "NewRow",
    "NewTransaction",
    "TransactionChanges",
    "delete_import_rows",
    "delete_transaction",
    "import_rows_query",
    "insert_rows",
    "insert_transaction",
    "insert_transactions",
    "new_row",
    "store_rows",
    "update_transaction",
]


_INSERT_COLUMNS = ("id", "household_id", *NEW_ROW_COLUMNS)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _allocate_ids(conn: Connection, count: int) -> list[int]:
    """Reserve `count` new ids, so bulk inserts can report them in input order."""
    if conn.dialect.name == "postgresql":
        rows = conn.exec_driver_sql(
            "SELECT nextval(pg_get_serial_sequence('bank_transaction', 'id')) "
            "FROM generate_series(1, %(n)s)",
            {"n": count},
        )
        return [int(r[0]) for r in rows]
    # SQLite: the caller's write transaction holds the database lock (BEGIN IMMEDIATE), so
    # max(id) cannot move under us; max(rowid) is a single b-tree lookup. A split row's
    # original keeps its id in split_original (a merge puts it back): never hand it out.
    highest = [
        select(func.coalesce(func.max(table.c.id), 0)).scalar_subquery()
        for table in (t, split_original)
    ]
    start = int(conn.execute(select(func.max(*highest))).scalar_one()) + 1
    return list(range(start, start + count))


def _copy_rows(
    conn: Connection, table: str, columns: Sequence[str], rows: Iterable[tuple[Any, ...]]
) -> None:
    """Write rows on the connection's own transaction at driver speed.

    Bulk loads are the one place foyer steps under SQLAlchemy: COPY on PostgreSQL and a
    plain executemany of tuples on SQLite are 3–10x faster than Core's per-row parameter
    processing, and `demo` must load a million rows in well under a minute.
    """
    # The driver's own connection (sqlite3 or psycopg), inside SQLAlchemy's transaction;
    # an earlier batch's aggregates (`foyer.db.tail`) awaited first: COPY cannot pipeline.
    tail.settle(conn)
    raw: Any = conn.connection.dbapi_connection
    assert raw is not None
    names = ", ".join(columns)
    if conn.dialect.name == "postgresql":
        with raw.cursor() as cursor, cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        return
    marks = ", ".join("?" * len(columns))
    cursor = raw.cursor()
    try:
        # Dates and datetimes are stored by the adapters foyer.db.engine registers.
        cursor.executemany(
            f"INSERT INTO {table} ({names}) VALUES ({marks})",  # noqa: S608 (fixed names)
            rows,
        )
    finally:
        cursor.close()


def insert_rows(
    conn: Connection, *, household_id: int, rows: Sequence[NewRow], tags: Sequence[Sequence[str]]
) -> list[int]:
    """Insert new transactions and their tags; the ids, in input order.

    The one write path for new rows (single create, bulk create, demo, imports), inside
    the caller's unit of work, so a bulk insert and its aggregates are all or nothing.
    """
    ids = store_rows(conn, household_id=household_id, rows=rows, tags=tags)
    delta = aggregates.Delta()
    delta.add_new(household_id, rows, tags)
    aggregates.apply(conn, delta)
    return ids


def store_rows(
    conn: Connection, *, household_id: int, rows: Sequence[NewRow], tags: Sequence[Sequence[str]]
) -> list[int]:
    """The plain insert, without the aggregates: only `insert_rows`, `splits` (whose one
    delta also counts the split row out) and the write-cost benchmark (its baseline) call it."""
    if not rows:
        return []
    postgres = conn.dialect.name == "postgresql"
    if len(rows) == 1 and postgres:
        ids = [_insert_one(conn, household_id, rows[0])]
    else:
        ids = _allocate_ids(conn, len(rows))
        _copy_rows(
            conn,
            "bank_transaction",
            _INSERT_COLUMNS,
            ((new_id, household_id, *row) for new_id, row in zip(ids, rows, strict=True)),
        )
    tag_rows = [
        (new_id, household_id, tag)
        for new_id, row_tags in zip(ids, tags, strict=True)
        for tag in row_tags
    ]
    if not tag_rows:
        return ids
    if len(tag_rows) > _PIPELINED_TAGS_MAX or not postgres:
        _copy_rows(conn, "transaction_tag", _TAG_COLUMNS, tag_rows)
    else:
        # A few: pipelined, sent with the aggregates and the COMMIT (foyer.db.tail).
        with tail.sending(conn):
            named = [dict(zip(_TAG_COLUMNS, row, strict=True)) for row in tag_rows]
            conn.execute(transaction_tag.insert(), named)
    return ids


#: Up to this many tags go in with the write's tail; more, by COPY.
_PIPELINED_TAGS_MAX = 64
_TAG_COLUMNS = ("transaction_id", "household_id", "tag")


def _insert_one(conn: Connection, household_id: int, row: NewRow) -> int:
    """PostgreSQL, one row (a single create): INSERT … RETURNING id, one round trip where
    reserving the id and a COPY take two or three — each, under load, a wait for the
    interpreter's lock (docs/PERFORMANCE.md, "The write's tail")."""
    values = dict(zip(NEW_ROW_COLUMNS, row, strict=True))
    query = t.insert().values(household_id=household_id, **values).returning(t.c.id)
    return int(conn.execute(query).scalar_one())


def insert_transactions(
    conn: Connection, *, household_id: int, items: Sequence[NewTransaction]
) -> list[int]:
    """Insert transactions (one, or a bulk create's); ids in input order."""
    created_at = _now()
    return insert_rows(
        conn,
        household_id=household_id,
        rows=[new_row(item, created_at) for item in items],
        tags=[item.tags for item in items],
    )


def insert_transaction(conn: Connection, *, household_id: int, item: NewTransaction) -> Written:
    """Insert one transaction; the row as stored, for the answer (no read back)."""
    row = new_row(item, _now())
    (new_id,) = insert_rows(conn, household_id=household_id, rows=[row], tags=[item.tags])
    return Written(StoredRow(new_id, *row, split_of=None), sorted_tags(item.tags))


# The locking read takes the whole row at once: the fact, and the rest for the answer.
_FACT_NAMES = [column.name for column in aggregates.FACT_COLUMNS]
_LOCKED_COLUMNS = (
    *aggregates.FACT_COLUMNS,
    *(column for column in ROW_COLUMNS if column.name not in _FACT_NAMES),
)


def _locked(
    conn: Connection, household_id: int, transaction_id: int
) -> tuple[aggregates.Fact, Written] | None:
    """The row's aggregate contribution and the row itself, locked until commit
    (PostgreSQL: FOR UPDATE, so a concurrent PATCH or DELETE of the same row waits and then
    sees this one's result; SQLite's BEGIN IMMEDIATE already serialises writers)."""
    query = select(*_LOCKED_COLUMNS).where(
        t.c.household_id == household_id, t.c.id == transaction_id
    )
    row = conn.execute(query.with_for_update()).one_or_none()
    if row is None:
        return None
    # Its tags by a statement of their own, after the lock: under READ COMMITTED a
    # statement reads from a snapshot taken as it starts, so tags read by the locking
    # statement itself (one round trip fewer) would miss those of the write it waited for.
    tags = tags_of(conn, [transaction_id])[transaction_id]
    fields = row._mapping
    fact = aggregates.Fact(**{name: fields[name] for name in _FACT_NAMES}, tags=tuple(tags))
    return fact, Written(StoredRow(*(fields[name] for name in StoredRow._fields)), tags)


def update_transaction(
    conn: Connection, *, household_id: int, transaction_id: int, changes: TransactionChanges
) -> Written | None:
    """Apply a patch; the row as it now stands, or None when it is not this household's.

    The row leaves its old aggregate groups and joins its new ones in the same transaction.
    A changed category is logged for the rule suggestions (foyer.read.rules).
    """
    locked = _locked(conn, household_id, transaction_id)
    if locked is None:
        return None
    before, shown = locked
    columns = changes.columns()
    tags = changes.tags
    # Statements that return nothing: pipelined, sent with the aggregates and the COMMIT
    # in one round trip on PostgreSQL (foyer.db.tail).
    with tail.sending(conn):
        if columns:
            conn.execute(t.update().where(t.c.id == transaction_id).values(**columns))
        if tags is not None:
            conn.execute(
                transaction_tag.delete().where(transaction_tag.c.transaction_id == transaction_id)
            )
            if tags:
                conn.execute(
                    transaction_tag.insert(),
                    [
                        {"transaction_id": transaction_id, "household_id": household_id, "tag": tag}
                        for tag in tags
                    ],
                )
    after = replace(before, **columns)
    if tags is not None:
        after = replace(after, tags=tuple(tags))
    if (after.category, after.category_parent) != (before.category, before.category_parent):
        # A member's own recategorisation: what rule suggestions are made of.
        rules.note_recategorisation(
            conn,
            household_id=household_id,
            label=after.label,
            category=after.category,
            category_parent=after.category_parent,
        )
    if after != before:
        delta = aggregates.Delta()
        delta.add(before, -1)
        delta.add(after, 1)
        aggregates.apply(conn, delta)
    return Written(
        shown.row._replace(**columns),
        shown.tags if tags is None else sorted_tags(tags),
    )


def delete_transaction(conn: Connection, *, household_id: int, transaction_id: int) -> bool:
    locked = _locked(conn, household_id, transaction_id)
    if locked is None:
        return False
    before = locked[0]
    # Tags go with it: ON DELETE CASCADE (foreign keys are on in SQLite too). Pipelined
    # with the aggregates and the COMMIT on PostgreSQL (foyer.db.tail).
    with tail.sending(conn):
        conn.execute(t.delete().where(t.c.id == transaction_id))
    delta = aggregates.Delta()
    delta.add(before, -1)
    aggregates.apply(conn, delta)
    return True


def import_rows_query(household_id: int, import_id: str) -> Select[Any]:
    """An import's rows and what each adds to the aggregates (ix household_id, import_id)."""
    return select(t.c.id, *aggregates.FACT_COLUMNS).where(
        t.c.household_id == household_id, t.c.import_id == import_id
    )


def delete_import_rows(conn: Connection, *, household_id: int, import_id: str) -> int:
    """Delete every row of an import (its undo) with one aggregates delta; how many.

    The rows are locked first (PostgreSQL: FOR UPDATE), as `delete_transaction` does, so a
    concurrent patch of one of them waits and the delta removes what is really there.
    """
    rows = conn.execute(import_rows_query(household_id, import_id).with_for_update()).all()
    if not rows:
        return 0
    # Imported rows start without tags, but a user may have tagged some since.
    tags: dict[int, list[str]] = {}
    tagged = (
        select(transaction_tag.c.transaction_id, transaction_tag.c.tag)
        .join(t, t.c.id == transaction_tag.c.transaction_id)
        .where(t.c.household_id == household_id, t.c.import_id == import_id)
        .order_by(transaction_tag.c.transaction_id, transaction_tag.c.tag)
    )
    for transaction_id, tag in conn.execute(tagged):
        tags.setdefault(transaction_id, []).append(tag)
    delta = aggregates.Delta()
    for row in rows:
        fact = aggregates.Fact(
            household_id,
            row.month,
            row.label,
            row.amount_cents,
            row.category,
            row.category_parent,
            row.exclude,
            row.expense_type,
            tags=tuple(tags.get(row.id, ())),
        )
        delta.add(fact, -1)
    # Tags go with them: ON DELETE CASCADE. A split row's parts carry its import id: they
    # went above, and its original (outside every aggregate) goes too.
    conn.execute(t.delete().where(t.c.household_id == household_id, t.c.import_id == import_id))
    conn.execute(
        split_original.delete().where(
            split_original.c.household_id == household_id,
            split_original.c.import_id == import_id,
        )
    )
    aggregates.apply(conn, delta)
    return len(rows)
