"""Writing a `Delta` to the aggregate tables: one upsert per changed group, then min/max,
then the data stamps.

Concurrency (PostgreSQL): upserts add deltas (`count = count + excluded.count`), which the
row lock makes atomic; groups are always locked in one global order (table, then sorted
key), so two writers cannot deadlock on them. min/max cannot be undone by a delta, so a
removal recomputes them from `ix_bank_transaction_month_category_amount` after the rows
have changed (two index seeks per group).
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy import ColumnElement, Connection, Select, Table, and_, bindparam, func, select
from sqlalchemy.dialects import postgresql, sqlite

from foyer.db import tail
from foyer.db.schema import MONTH_COLUMNS, agg_category, agg_label, agg_month, agg_tag
from foyer.db.schema import bank_transaction as t
from foyer.services import stamps
from foyer.services.aggregates.delta import Delta


def _pk_names(table: Table) -> list[str]:
    return [c.name for c in table.primary_key.columns]


def _adding(dialect: str, table: Table, new: Any) -> dict[str, Any]:
    """ON CONFLICT's SET: every value column gets the incoming (`excluded`) value added."""
    sets: dict[str, Any] = {}
    for column in table.columns:
        name = column.name
        if column.primary_key:
            continue
        if name in ("low_cents", "high_cents"):
            # least/greatest of the stored and the added value (SQLite spells them min/max
            # with two arguments); removals are recomputed afterwards, in `apply`.
            low = name == "low_cents"
            if dialect == "sqlite":
                sets[name] = (func.min if low else func.max)(column, new[name])
            else:
                sets[name] = (func.least if low else func.greatest)(column, new[name])
        else:
            sets[name] = column + new[name]
    return sets


@functools.cache
def _upsert_statement(dialect: str, table: Table) -> Any:
    """INSERT … ON CONFLICT (primary key) DO UPDATE adding the new values to the group's.

    Built once per dialect and table: constructing it per write cost more than running it.
    """
    stmt = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(table)
    return stmt.on_conflict_do_update(
        index_elements=_pk_names(table), set_=_adding(dialect, table, stmt.excluded)
    )


def _upsert(conn: Connection, table: Table, rows: list[dict[str, Any]]) -> None:
    """Add each row's values to its group, creating the group when it is new."""
    # executemany: psycopg pipelines the statements; a single statement over arrays
    # (INSERT … SELECT FROM unnest) measured no faster, the server's upserts dominate.
    if rows:
        conn.execute(_upsert_statement(conn.dialect.name, table), rows)


def _rows(
    table: Table, groups: Mapping[Any, Sequence[Any]], names: Sequence[str]
) -> list[dict[str, Any]]:
    pk = _pk_names(table)
    # Sorted: every writer locks groups in the same order, so none can deadlock another.
    return [
        dict(zip(pk, key, strict=True)) | dict(zip(names, values, strict=True))
        for key, values in sorted(groups.items())
    ]


def _bound_pk(table: Table) -> ColumnElement[bool]:
    return and_(*(column == bindparam(f"k_{column.name}") for column in table.primary_key.columns))


def _keys(table: Table, keys: Iterable[tuple[Any, ...]]) -> list[dict[str, Any]]:
    names = [f"k_{name}" for name in _pk_names(table)]
    return [dict(zip(names, key, strict=True)) for key in sorted(keys)]


def extreme_query(fn: Any, *key: Any) -> Select[Any]:
    """min or max amount of one agg_category group's kept debits (key: its primary key,
    values or bind parameters): a seek at one end of ix_bank_transaction_month_category_amount."""
    household_id, month, category, parent, expense_type = key
    return select(fn(t.c.amount_cents)).where(
        t.c.household_id == household_id,
        t.c.month == month,
        t.c.category == category,
        t.c.amount_cents < 0,
        t.c.category_parent == parent,
        t.c.expense_type == expense_type,
        ~t.c.exclude,
    )


_BOUND_KEY: list[Any] = [bindparam(f"k_{c.name}") for c in agg_category.primary_key.columns]


def apply(conn: Connection, delta: Delta) -> None:
    """Write `delta` to the aggregate tables, on the caller's transaction (after the rows).

    With one row counted out at most, a group whose count and sums net to zero is left
    alone: the same row left and re-entered it, its min/max too (`Delta.scopes`), so it is
    unchanged — and writing it would only lock it until the commit, the hot row every
    other write of that month queues on (a retag locked the month's totals for nothing).

    PostgreSQL: the statements are pipelined, one round trip; inside a unit of work they
    share it with the COMMIT (`foyer.db.tail`), so the hot rows are held for no client
    round trip at all.
    """
    if not delta:
        return
    every = delta.removed > 1
    groups: dict[Table, dict[Any, Sequence[Any]]] = {
        agg_month: {k: s.values() for k, s in delta.month.items() if every or any(s.values())},
        agg_category: {k: g for k, g in delta.category.items() if every or g[0] or g[1]},
        agg_tag: {k: p for k, p in delta.tag.items() if every or any(p)},
        agg_label: {k: p for k, p in delta.label.items() if every or any(p)},
    }
    with tail.sending(conn):
        _upsert(conn, agg_month, _rows(agg_month, groups[agg_month], MONTH_COLUMNS))
        category_names = ("count", "total_cents", "low_cents", "high_cents")
        _upsert(conn, agg_category, _rows(agg_category, groups[agg_category], category_names))
        _upsert(conn, agg_tag, _rows(agg_tag, groups[agg_tag], ("count", "total_cents")))
        _upsert(conn, agg_label, _rows(agg_label, groups[agg_label], ("count", "total_cents")))
        _shrink(conn, [(table, key) for table, key in delta.shrunk if key in groups[table]])
        # Last, after every aggregate: the same lock order for every writer, and the
        # stamps' rows (which every write of the month renews) locked for the shortest time.
        stamps.renew_households(conn, delta.scopes())


def _shrink(conn: Connection, shrunk: Iterable[tuple[Table, tuple[Any, ...]]]) -> None:
    """Recompute the min/max of the groups a removal touched; delete the emptied ones."""
    by_table: dict[Table, list[tuple[Any, ...]]] = {}
    for table, key in shrunk:
        by_table.setdefault(table, []).append(key)
    if agg_category in by_table:
        conn.execute(
            agg_category.update()
            .where(_bound_pk(agg_category), agg_category.c.count > 0)
            .values(
                low_cents=-extreme_query(func.max, *_BOUND_KEY).scalar_subquery(),
                high_cents=-extreme_query(func.min, *_BOUND_KEY).scalar_subquery(),
            ),
            _keys(agg_category, by_table[agg_category]),
        )
    for table, keys in by_table.items():
        emptied = (table.c.transactions if table is agg_month else table.c.count) == 0
        conn.execute(table.delete().where(_bound_pk(table), emptied), _keys(table, keys))
