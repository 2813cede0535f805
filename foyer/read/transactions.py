"""Transaction reads: one transaction, keyset-paginated listings, and their wire shape.

The listing's statements are built here (`listing_query`, `tags_query`) so that
foyer.read.plans checks the very queries pages run. `to_read` is the one place a row
becomes its JSON form (ISO dates, "Z" timestamps, money as numbers): routes answer with
it, and so do the drill-down pages foyer's cache computes below the HTTP layer.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

from sqlalchemy import (
    ColumnElement,
    Connection,
    Row,
    Select,
    String,
    and_,
    exists,
    func,
    literal,
    select,
    tuple_,
)

from foyer.db.engine import as_utc
from foyer.db.schema import bank_transaction as t
from foyer.db.schema import transaction_tag
from foyer.domain.vocabulary import SORTS
from foyer.money import to_money
from foyer.months import month_bounds
from foyer.read.cursors import CursorCodec


class SortColumn(NamedTuple):
    column: str
    descending: bool


# A sort's name says its column and its direction (SPEC §5: date_desc, amount_asc, …).
_SORT_KEYS = {"date": "date", "amount": "amount_cents"}
#: sort name (foyer.domain.vocabulary.Sort) -> the column it orders by, and the direction.
SORT_COLUMNS: dict[str, SortColumn] = {
    sort: SortColumn(_SORT_KEYS[sort.partition("_")[0]], sort.endswith("_desc")) for sort in SORTS
}


class StoredRow(NamedTuple):
    """A transaction's `ROW_COLUMNS` as a write left them, built by the write itself: it
    answers without reading the row back while it holds the month's aggregate rows locked
    (tests/api/test_write_answers.py holds each answer equal to a read of the row)."""

    id: int
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
    split_of: int | None


ROW_COLUMNS = tuple(t.c[name] for name in StoredRow._fields)


class Written(NamedTuple):
    """A transaction a write just left, as `to_read` takes it: `to_read(*written)`."""

    row: StoredRow
    tags: list[str]


def to_read(row: Row[*tuple[Any, ...]] | StoredRow, tags: list[str]) -> dict[str, Any]:
    """A transaction row (`ROW_COLUMNS`) and its tags as the API answers it (TransactionRead)."""
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
        "created_at": as_utc(row.created_at).isoformat().replace("+00:00", "Z"),
        "split_of": row.split_of,  # the split row's id for its parts, else null (SPEC §12)
    }


def tags_query(ids: Sequence[int]) -> Select[Any]:
    return (
        select(transaction_tag.c.transaction_id, transaction_tag.c.tag)
        .where(transaction_tag.c.transaction_id.in_(ids))
        .order_by(transaction_tag.c.transaction_id, transaction_tag.c.tag)
    )


def tags_of(conn: Connection, ids: Iterable[int]) -> dict[int, list[str]]:
    """Each transaction's tags, sorted (an empty list for one without)."""
    ids = list(ids)
    tags: dict[int, list[str]] = {i: [] for i in ids}
    if ids:
        for transaction_id, tag in conn.execute(tags_query(ids)):
            tags[transaction_id].append(tag)
        for found in tags.values():
            # By code point, as `sorted_tags` orders a write's: the database's ORDER BY
            # follows its collation, which differs between servers (en_US vs C).
            found.sort()
    return tags


def sorted_tags(tags: Iterable[str]) -> list[str]:
    """Tags in the order a read lists them (`tags_of`)."""
    return sorted(tags)


def get_transaction(
    conn: Connection, *, household_id: int, transaction_id: int
) -> dict[str, Any] | None:
    row = conn.execute(
        select(*ROW_COLUMNS).where(t.c.household_id == household_id, t.c.id == transaction_id)
    ).one_or_none()
    if row is None:
        return None
    return to_read(row, tags_of(conn, [row.id])[row.id])


def get_transactions(
    conn: Connection, *, household_id: int, transaction_ids: Sequence[int]
) -> list[dict[str, Any]]:
    """The household's transactions of `transaction_ids`, in that order (missing ones left out)."""
    query = select(*ROW_COLUMNS).where(
        t.c.household_id == household_id, t.c.id.in_(transaction_ids)
    )
    rows = {row.id: row for row in conn.execute(query)}
    tags = tags_of(conn, rows)
    return [to_read(rows[i], tags[i]) for i in transaction_ids if i in rows]


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
    column_name, descending = SORT_COLUMNS[sort]
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
    return select(*ROW_COLUMNS).where(and_(*where)).order_by(*order).limit(limit + 1)


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
    tags = tags_of(conn, (r.id for r in rows)) if with_tags else {}
    items = [to_read(r, tags.get(r.id, [])) for r in rows]
    last_key = None
    if more:
        last = rows[-1]
        by_date = SORT_COLUMNS[sort].column == "date"
        sort_value = last.date.isoformat() if by_date else last.amount_cents
        last_key = (sort_value, last.id)
    return Page(items, last_key)


def keyset_page(
    conn: Connection,
    cursors: CursorCodec,
    *,
    household_id: int,
    filters: TransactionFilter,
    sort: str,
    limit: int,
    cursor: str | None,
    wanted: list[str] | None = None,
) -> dict[str, Any]:
    """One keyset page as SPEC §5 describes it: items (projected to `wanted` fields when
    given) and the signed cursor of the next page. Listings and the drill-down share it.

    Raises foyer.read.cursors.InvalidCursorError for a cursor that is not a valid one."""
    after = cursors.decode(cursor, sort) if cursor else None
    page = list_transactions(
        conn,
        household_id=household_id,
        filters=filters,
        sort=sort,
        limit=limit,
        after=after,
        with_tags=wanted is None or "tags" in wanted,
    )
    items = page.rows if wanted is None else [{k: r[k] for k in wanted} for r in page.rows]
    next_cursor = None if page.last_key is None else cursors.encode(sort, *page.last_key)
    return {"items": items, "next_cursor": next_cursor}
