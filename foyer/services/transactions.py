"""Transaction writes: single and bulk inserts, patches, deletes.

Every write to `bank_transaction` and `transaction_tag` goes through this module, and every
one of them hands the rows it added or removed to `foyer.services.aggregates` in the same
transaction, so the aggregates are exact at every commit
(tests/services/test_only_services_write.py fails if another module writes these tables).
Reads, listings included, are in
foyer.read.transactions; these functions take typed inputs and answer ids or found/not
found, never JSON.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Any, NamedTuple

from sqlalchemy import Connection, func, select

from foyer.db.schema import bank_transaction as t
from foyer.db.schema import transaction_tag
from foyer.domain.vocabulary import ExpenseType
from foyer.months import month_of
from foyer.read.transactions import tags_of
from foyer.services import aggregates


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class NewRow(NamedTuple):
    """One new transaction, the one shape every insert path hands to `insert_rows`.

    A NamedTuple, not a dataclass: bulk loads build millions of them, COPY writes them
    as they are, and `aggregates.Delta.add_new` unpacks them by position.
    """

    date: dt.date
    month: str
    label: str
    amount_cents: int
    category: str
    category_parent: str
    account: str
    exclude: bool
    expense_type: str
    import_id: str | None
    created_at: dt.datetime


#: Column order of `NewRow`s.
NEW_ROW_COLUMNS = NewRow._fields
_INSERT_COLUMNS = ("id", "household_id", *NEW_ROW_COLUMNS)


@dataclass(frozen=True, slots=True)
class NewTransaction:
    """A transaction to create, validated, its amount in cents."""

    date: dt.date
    label: str
    amount_cents: int
    category: str
    category_parent: str
    account: str
    exclude: bool
    expense_type: ExpenseType
    tags: Sequence[str] = ()
    import_id: str | None = None


@dataclass(frozen=True, slots=True)
class TransactionChanges:
    """A patch: the fields to change, None for those left as they are.

    (None never means "set to NULL": none of these columns is nullable.) The API exposes
    the SPEC's subset; amount_cents is for services.
    """

    category: str | None = None
    category_parent: str | None = None
    exclude: bool | None = None
    expense_type: ExpenseType | None = None
    label: str | None = None
    amount_cents: int | None = None
    tags: Sequence[str] | None = None  # the new set of tags, replacing the old one

    def columns(self) -> dict[str, Any]:
        """The bank_transaction columns to set (also `aggregates.Fact` fields)."""
        values = {
            "category": self.category,
            "category_parent": self.category_parent,
            "exclude": self.exclude,
            "expense_type": self.expense_type,
            "label": self.label,
            "amount_cents": self.amount_cents,
        }
        return {name: value for name, value in values.items() if value is not None}


def new_row(item: NewTransaction, created_at: dt.datetime) -> NewRow:
    """The insert row of a transaction to create."""
    return NewRow(
        item.date,
        month_of(item.date),
        item.label,
        item.amount_cents,
        item.category,
        item.category_parent,
        item.account,
        item.exclude,
        item.expense_type,
        item.import_id,
        created_at,
    )


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
    # max(id) cannot move under us; max(rowid) is a single b-tree lookup.
    start = int(conn.execute(select(func.coalesce(func.max(t.c.id), 0))).scalar_one()) + 1
    return list(range(start, start + count))


def _copy_rows(
    conn: Connection, table: str, columns: Sequence[str], rows: Iterable[tuple[Any, ...]]
) -> None:
    """Write rows on the connection's own transaction at driver speed.

    Bulk loads are the one place foyer steps under SQLAlchemy: COPY on PostgreSQL and a
    plain executemany of tuples on SQLite are 3–10x faster than Core's per-row parameter
    processing, and `demo` must load a million rows in well under a minute.
    """
    # The driver's own connection (sqlite3 or psycopg), inside SQLAlchemy's transaction.
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
    """The plain insert, without the aggregates: only `insert_rows` and the write-cost
    benchmark (its baseline) call it."""
    if not rows:
        return []
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
    if tag_rows:
        _copy_rows(conn, "transaction_tag", ("transaction_id", "household_id", "tag"), tag_rows)
    return ids


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


def _locked_fact(
    conn: Connection, household_id: int, transaction_id: int
) -> aggregates.Fact | None:
    """The row's aggregate contribution, locked until commit (PostgreSQL: FOR UPDATE, so a
    concurrent PATCH or DELETE of the same row waits and then sees this one's result;
    SQLite's BEGIN IMMEDIATE already serialises writers)."""
    query = select(*aggregates.FACT_COLUMNS).where(
        t.c.household_id == household_id, t.c.id == transaction_id
    )
    row = conn.execute(query.with_for_update()).one_or_none()
    if row is None:
        return None
    return aggregates.Fact(*row, tags=tuple(tags_of(conn, [transaction_id])[transaction_id]))


def update_transaction(
    conn: Connection, *, household_id: int, transaction_id: int, changes: TransactionChanges
) -> bool:
    """Apply a patch; False when the transaction is not this household's.

    The row leaves its old aggregate groups and joins its new ones in the same transaction.
    """
    before = _locked_fact(conn, household_id, transaction_id)
    if before is None:
        return False
    columns = changes.columns()
    tags = changes.tags
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
    if after != before:
        delta = aggregates.Delta()
        delta.add(before, -1)
        delta.add(after, 1)
        aggregates.apply(conn, delta)
    return True


def delete_transaction(conn: Connection, *, household_id: int, transaction_id: int) -> bool:
    before = _locked_fact(conn, household_id, transaction_id)
    if before is None:
        return False
    # Tags go with it: ON DELETE CASCADE (foreign keys are on in SQLite too).
    conn.execute(t.delete().where(t.c.id == transaction_id))
    delta = aggregates.Delta()
    delta.add(before, -1)
    aggregates.apply(conn, delta)
    return True
