"""The aggregates defined straight from the rows: `verify` compares, `rebuild` reloads.

`recompute_query` is every aggregate as a GROUP BY over `bank_transaction` (the same
definitions the 0002 migration filled the tables with); `foyer aggregates verify|rebuild`
runs the two functions below.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Connection,
    Select,
    Table,
    and_,
    case,
    cast,
    func,
    literal_column,
    select,
)

from foyer.db.schema import agg_category, agg_label, agg_month, agg_tag
from foyer.db.schema import bank_transaction as t
from foyer.db.schema import transaction_tag as tt
from foyer.services import stamps

TABLES = (agg_month, agg_category, agg_tag, agg_label)

_kept_debit = and_(t.c.amount_cents < 0, ~t.c.exclude)


def _total(value: Any) -> Any:
    # SUM(bigint) is NUMERIC on PostgreSQL; the aggregate columns are BIGINT.
    return cast(func.coalesce(func.sum(value), 0), BigInteger)


def _sum_if(condition: ColumnElement[bool], value: Any) -> Any:
    return _total(case((condition, value), else_=0))


def _debit_of(expense_type: str) -> ColumnElement[bool]:
    return and_(_kept_debit, t.c.expense_type == expense_type)


def recompute_query(table: Table, household_id: int | None = None) -> Select[Any]:
    """`table`'s rows as GROUP BY over the transactions, columns in table order."""
    scope = [] if household_id is None else [t.c.household_id == household_id]
    debit = -t.c.amount_cents
    if table is agg_month:
        return (
            select(
                t.c.household_id,
                t.c.month,
                _sum_if(_debit_of("VARIABLE"), debit),
                _sum_if(_debit_of("VARIABLE"), literal_column("1")),
                _sum_if(_debit_of("FIXED"), debit),
                _sum_if(_debit_of("PROVISION"), debit),
                _sum_if(and_(~t.c.exclude, t.c.amount_cents > 0), t.c.amount_cents),
                _sum_if(t.c.exclude, func.abs(t.c.amount_cents)),
                cast(func.count(), BigInteger),
            )
            .where(*scope)
            .group_by(t.c.household_id, t.c.month)
        )
    keys: tuple[Any, ...]
    if table is agg_category:
        keys = (t.c.household_id, t.c.month, t.c.category, t.c.category_parent, t.c.expense_type)
        return (
            select(
                *keys,
                cast(func.count(), BigInteger),
                _total(debit),
                cast(func.min(debit), BigInteger),
                cast(func.max(debit), BigInteger),
            )
            .where(_kept_debit, *scope)
            .group_by(*keys)
        )
    if table is agg_label:
        keys = (t.c.household_id, t.c.month, t.c.category, t.c.label)
        return (
            select(*keys, cast(func.count(), BigInteger), _total(debit))
            .where(_kept_debit, *scope)
            .group_by(*keys)
        )
    if table is agg_tag:
        keys = (t.c.household_id, t.c.month, t.c.category, tt.c.tag)
        return (
            select(*keys, cast(func.count(), BigInteger), _total(debit))
            .select_from(t.join(tt, tt.c.transaction_id == t.c.id))
            .where(_kept_debit, *scope)
            .group_by(*keys)
        )
    raise ValueError(f"not an aggregate table: {table.name}")


@dataclass(frozen=True, slots=True)
class Mismatch:
    table: str
    key: tuple[Any, ...]
    stored: tuple[int, ...] | None  # None: the group is missing
    expected: tuple[int, ...] | None  # None: the group should not exist


def _as_groups(rows: Iterable[Sequence[Any]], width: int) -> dict[tuple[Any, ...], tuple[int, ...]]:
    return {tuple(row[:width]): tuple(int(v) for v in row[width:]) for row in rows}


def verify(conn: Connection, household_id: int | None = None) -> list[Mismatch]:
    """Every difference between the stored aggregates and a recomputation from the rows."""
    mismatches: list[Mismatch] = []
    for table in TABLES:
        width = len(table.primary_key.columns)
        scope = [] if household_id is None else [table.c.household_id == household_id]
        stored = _as_groups(conn.execute(select(table).where(*scope)), width)
        expected = _as_groups(conn.execute(recompute_query(table, household_id)), width)
        for key in sorted(stored.keys() | expected.keys(), key=repr):
            if stored.get(key) != expected.get(key):
                mismatches.append(Mismatch(table.name, key, stored.get(key), expected.get(key)))
    return mismatches


def _months(conn: Connection, household_id: int | None) -> dict[int, set[str]]:
    found: dict[int, set[str]] = {}
    for table in TABLES:
        query = select(table.c.household_id, table.c.month).distinct()
        if household_id is not None:
            query = query.where(table.c.household_id == household_id)
        for household, month in conn.execute(query):
            found.setdefault(household, set()).add(month)
    return found


def rebuild(conn: Connection, household_id: int | None = None) -> dict[str, int]:
    """Reload the aggregates (of one household, or all) from the rows; groups per table.

    Every month with aggregates before or after gets new data stamps: entries cached
    from damaged aggregates are never served again.
    """
    months = _months(conn, household_id)
    counts: dict[str, int] = {}
    for table in TABLES:
        scope = [] if household_id is None else [table.c.household_id == household_id]
        conn.execute(table.delete().where(*scope))
        query = recompute_query(table, household_id)
        conn.execute(table.insert().from_select([c.name for c in table.columns], query))
        counts[table.name] = int(
            conn.execute(select(func.count()).select_from(table).where(*scope)).scalar_one()
        )
    for household, after in _months(conn, household_id).items():
        months.setdefault(household, set()).update(after)
    stamps.renew_households(conn, {h: stamps.of_months(m) for h, m in months.items()})
    return counts
