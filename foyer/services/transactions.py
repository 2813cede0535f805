"""Transaction writes (single, bulk, patch, delete) and keyset-paginated listings.

Every write to `bank_transaction` and `transaction_tag` goes through this module, and every
one of them hands the rows it added or removed to `foyer.services.aggregates` in the same
transaction, so the aggregates are exact at every commit. (tests/test_aggregates.py fails
if another module writes these tables.)
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    Select,
    String,
    and_,
    exists,
    func,
    literal,
    select,
    tuple_,
)

from foyer.db.schema import bank_transaction as t
from foyer.db.schema import transaction_tag
from foyer.money import to_cents, to_money
from foyer.months import month_bounds, month_of
from foyer.services import aggregates

SORTS: dict[str, tuple[str, bool]] = {
    # sort name -> (column, descending)
    "date_desc": ("date", True),
    "date_asc": ("date", False),
    "amount_asc": ("amount_cents", False),
    "amount_desc": ("amount_cents", True),
}
_ROW_COLUMNS = (
    t.c.id,
    t.c.date,
    t.c.month,
    t.c.label,
    t.c.amount_cents,
    t.c.category,
    t.c.category_parent,
    t.c.account,
    t.c.exclude,
    t.c.expense_type,
    t.c.import_id,
    t.c.created_at,
)


def _utc(value: dt.datetime) -> dt.datetime:
    # SQLite hands back naive datetimes; foyer only ever stores UTC.
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


#: Column order of `NewRow` tuples, the one shape every insert path hands to `insert_rows`.
NEW_ROW_COLUMNS = (
    "date",
    "month",
    "label",
    "amount_cents",
    "category",
    "category_parent",
    "account",
    "exclude",
    "expense_type",
    "import_id",
    "created_at",
)
NewRow = tuple[dt.date, str, str, int, str, str, str, bool, str, str | None, dt.datetime]
_INSERT_COLUMNS = ("id", "household_id", *NEW_ROW_COLUMNS)


def new_row(item: dict[str, Any], created_at: dt.datetime) -> NewRow:
    """The insert tuple of a validated create body (API field names)."""
    return (
        item["date"],
        month_of(item["date"]),
        item["label"],
        to_cents(item["amount"]),
        item["category"],
        item["category_parent"],
        item["account"],
        item["exclude"],
        item["expense_type"],
        item.get("import_id"),
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


def _copy_rows(conn: Connection, table: str, columns: Sequence[str], rows: Iterable[Any]) -> None:
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
    conn: Connection, *, household_id: int, items: Sequence[dict[str, Any]]
) -> list[int]:
    """Insert validated create bodies (API field names); ids in input order."""
    created_at = _now()
    return insert_rows(
        conn,
        household_id=household_id,
        rows=[new_row(item, created_at) for item in items],
        tags=[item.get("tags") or () for item in items],
    )


def tags_query(ids: Sequence[int]) -> Select[Any]:
    return (
        select(transaction_tag.c.transaction_id, transaction_tag.c.tag)
        .where(transaction_tag.c.transaction_id.in_(ids))
        .order_by(transaction_tag.c.transaction_id, transaction_tag.c.tag)
    )


def _tags_of(conn: Connection, ids: Iterable[int]) -> dict[int, list[str]]:
    ids = list(ids)
    tags: dict[int, list[str]] = {i: [] for i in ids}
    if ids:
        for transaction_id, tag in conn.execute(tags_query(ids)):
            tags[transaction_id].append(tag)
    return tags


def to_read(row: Any, tags: list[str]) -> dict[str, Any]:
    return {
        "id": row.id,
        "date": row.date.isoformat(),
        "month": row.month,
        "label": row.label,
        "amount": to_money(row.amount_cents),
        "category": row.category,
        "category_parent": row.category_parent,
        "account": row.account,
        "exclude": bool(row.exclude),
        "expense_type": row.expense_type,
        "tags": tags,
        "import_id": row.import_id,
        # The same text the response models emit for aware UTC datetimes ("…Z").
        "created_at": _utc(row.created_at).isoformat().replace("+00:00", "Z"),
    }


def get_transaction(
    conn: Connection, *, household_id: int, transaction_id: int
) -> dict[str, Any] | None:
    row = conn.execute(
        select(*_ROW_COLUMNS).where(t.c.household_id == household_id, t.c.id == transaction_id)
    ).one_or_none()
    if row is None:
        return None
    return to_read(row, _tags_of(conn, [row.id])[row.id])


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
    return aggregates.Fact(*row, tags=tuple(_tags_of(conn, [transaction_id])[transaction_id]))


#: Columns a PATCH may change (the API exposes the SPEC's subset; amount is for services).
PATCHABLE = frozenset(
    {"category", "category_parent", "exclude", "expense_type", "label", "amount_cents"}
)


def update_transaction(
    conn: Connection, *, household_id: int, transaction_id: int, changes: dict[str, Any]
) -> dict[str, Any] | None:
    """Apply a PATCH; None when the transaction is not this household's.

    The row leaves its old aggregate groups and joins its new ones in the same transaction.
    """
    changes = dict(changes)
    tags = changes.pop("tags", None)
    if not changes.keys() <= PATCHABLE:
        raise ValueError(f"not patchable: {sorted(changes.keys() - PATCHABLE)}")
    before = _locked_fact(conn, household_id, transaction_id)
    if before is None:
        return None
    if changes:
        conn.execute(t.update().where(t.c.id == transaction_id).values(**changes))
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
    after = replace(before, **changes)
    if tags is not None:
        after = replace(after, tags=tuple(tags))
    if after != before:
        delta = aggregates.Delta()
        delta.add(before, -1)
        delta.add(after, 1)
        aggregates.apply(conn, delta)
    return get_transaction(conn, household_id=household_id, transaction_id=transaction_id)


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


@dataclass(frozen=True, slots=True)
class TransactionFilter:
    month: str | None = None
    category: str | None = None
    category_parent: str | None = None
    expense_type: str | None = None
    exclude: bool | None = None
    tag: str | None = None
    q: str | None = None
    debits_only: bool = False  # drill-down: debits not excluded


def _conditions(
    household_id: int,
    f: TransactionFilter,
    by_date: bool,
    cursor: tuple[dt.date, bool] | None = None,
) -> list[ColumnElement[bool]]:
    """WHERE terms of a listing; `cursor` is (date, descending) of a date-ordered keyset."""
    where: list[ColumnElement[bool]] = [t.c.household_id == household_id]
    if f.month is not None:
        # Date-ordered pages filter a month as a date range (the date indexes order it);
        # amount-ordered pages as month equality (the month-prefixed indexes order them).
        # Never both: PostgreSQL would multiply their selectivities and misjudge the plan.
        if by_date:
            first, after = month_bounds(f.month)
            # A cursor inside the month already bounds that side, and tighter: leave the
            # month's bound out, or SQLite (one bound per side) may range over the month's
            # bound and walk every row before the cursor, making deep pages slow.
            cursor_date, descending = cursor or (None, False)
            if not (descending and cursor_date is not None and cursor_date < after):
                where.append(t.c.date < after)
            if not (not descending and cursor_date is not None and cursor_date >= first):
                where.append(t.c.date >= first)
        else:
            where.append(t.c.month == f.month)
    if f.category is not None:
        where.append(t.c.category == f.category)
    if f.category_parent is not None:
        where.append(t.c.category_parent == f.category_parent)
    if f.expense_type is not None:
        where.append(t.c.expense_type == f.expense_type)
    if f.exclude is not None:
        where.append(t.c.exclude == f.exclude)
    if f.debits_only:
        where += [t.c.amount_cents < 0, ~t.c.exclude]
    if f.tag is not None:
        where.append(
            exists().where(
                transaction_tag.c.transaction_id == t.c.id, transaction_tag.c.tag == f.tag
            )
        )
    if f.q:
        # Both sides through the database's own lower() (SQLite: str.casefold, see
        # foyer.db.engine), so a label always matches its own text on either backend;
        # folding q in Python instead broke "Straße" on PostgreSQL, whose lower() keeps ß.
        needle = f.q.replace("/", "//").replace("%", "/%").replace("_", "/_")
        pattern = func.lower(literal("%" + needle + "%", String()))
        where.append(func.lower(t.c.label).like(pattern, escape="/"))
    return where


@dataclass(frozen=True, slots=True)
class Page:
    rows: list[dict[str, Any]]
    last_key: tuple[Any, int] | None  # (sort value, id) of the last row when more follow


def listing_query(
    household_id: int,
    filters: TransactionFilter,
    sort: str,
    limit: int,
    after: tuple[Any, int] | None = None,
) -> Select[Any]:
    """One keyset page's query: rows strictly after `after` in `sort` order, ties on id.

    Each order has its index (see foyer.db.schema; foyer.read.plans checks the plans), so a
    page costs the same wherever it is in the listing.
    """
    column_name, descending = SORTS[sort]
    column = t.c[column_name]
    by_date = column_name == "date"
    value: Any = None
    if after is not None:
        value = dt.date.fromisoformat(after[0]) if by_date else after[0]
    cursor = (value, descending) if by_date and after is not None else None
    where = _conditions(household_id, filters, by_date=by_date, cursor=cursor)
    if after is not None:
        key, last = tuple_(column, t.c.id), tuple_(value, after[1])
        where.append(key < last if descending else key > last)
    order = (column.desc(), t.c.id.desc()) if descending else (column.asc(), t.c.id.asc())
    return select(*_ROW_COLUMNS).where(and_(*where)).order_by(*order).limit(limit + 1)


def list_transactions(
    conn: Connection,
    *,
    household_id: int,
    filters: TransactionFilter,
    sort: str,
    limit: int,
    after: tuple[Any, int] | None,
    with_tags: bool = True,
) -> Page:
    """One keyset page (`listing_query`), with the rows' tags."""
    rows = conn.execute(listing_query(household_id, filters, sort, limit, after)).all()
    more = len(rows) > limit
    rows = rows[:limit]
    tags = _tags_of(conn, (r.id for r in rows)) if with_tags else {}
    items = [to_read(r, tags.get(r.id, [])) for r in rows]
    last_key = None
    if more:
        last = rows[-1]
        sort_value = last.date.isoformat() if SORTS[sort][0] == "date" else last.amount_cents
        last_key = (sort_value, last.id)
    return Page(items, last_key)
