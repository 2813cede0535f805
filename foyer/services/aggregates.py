"""The materialised aggregates: maintained in every write's own transaction, verified, rebuilt.

`agg_month`, `agg_category`, `agg_tag` and `agg_label` (see foyer.db.schema) hold counts
and sums of `bank_transaction` per group. They are exact at every commit because the only
code that writes transactions (foyer.services.transactions) hands every row it adds or
removes to `Delta`, and applies it with `apply` before its unit of work commits: one
upsert per touched group, not per row, so a bulk load pays little for it (docs/PERFORMANCE.md
has the measured cost). A test fails if any other module writes those tables.

Why not database triggers: SQLite only has row-level triggers, which would turn a
10,000-row bulk insert into 10,000 upserts per aggregate table; maintaining the groups in
one place in Python costs one upsert per group, on both databases, with the same code.

Concurrency (PostgreSQL): upserts add deltas (`count = count + excluded.count`), which the
row lock makes atomic; groups are always locked in one global order (table, then sorted
key), so two writers cannot deadlock on them. min/max cannot be undone by a delta, so a
removal recomputes them from `ix_bank_transaction_month_category_amount` after the rows
have changed (two index seeks per group).

`recompute_query` defines every aggregate straight from the rows with GROUP BY: `verify`
compares against it and `rebuild` reloads from it (`foyer aggregates verify|rebuild`).
"""

from __future__ import annotations

import functools
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
    bindparam,
    case,
    cast,
    func,
    literal_column,
    select,
)
from sqlalchemy.dialects import postgresql, sqlite

from foyer.db.schema import agg_category, agg_label, agg_month, agg_tag
from foyer.db.schema import bank_transaction as t
from foyer.db.schema import transaction_tag as tt
from foyer.services import versions

# agg_month's value columns, in the order of foyer.domain.model.MonthTotals.
MONTH_COLUMNS = (
    "variable_cents",
    "variable_count",
    "fixed_debits_cents",
    "provision_debits_cents",
    "income_cents",
    "excluded_cents",
    "transactions",
)
_DEBIT_SLOT = {"VARIABLE": 0, "FIXED": 2, "PROVISION": 3}
# low/high of a group no row was added to: least()/greatest() keep the stored value. (Not
# NULL: both databases check NOT NULL on the proposed row before resolving the conflict.)
_NO_LOW = 2**62
_NO_HIGH = -1


@dataclass(frozen=True, slots=True)
class Fact:
    """What one transaction contributes to the aggregates."""

    household_id: int
    month: str
    label: str
    amount_cents: int
    category: str
    category_parent: str
    exclude: bool
    expense_type: str
    tags: tuple[str, ...] = ()


#: The bank_transaction columns a `Fact` is built from, in its field order (tags apart).
FACT_COLUMNS = (
    t.c.household_id,
    t.c.month,
    t.c.label,
    t.c.amount_cents,
    t.c.category,
    t.c.category_parent,
    t.c.exclude,
    t.c.expense_type,
)


class Delta:
    """Net changes to every aggregate group from a set of added and removed rows."""

    __slots__ = ("category", "label", "month", "shrunk", "tag")

    def __init__(self) -> None:
        self.month: dict[tuple[int, str], list[int]] = {}
        # [count, total, low, high]; low/high of the added rows only (sentinels: none added)
        self.category: dict[tuple[int, str, str, str, str], list[Any]] = {}
        self.tag: dict[tuple[int, str, str, str], list[int]] = {}
        self.label: dict[tuple[int, str, str, str], list[int]] = {}
        # Groups a removal touched: their min/max are recomputed, and they are deleted when
        # nothing is left in them. Insert-only deltas leave this empty.
        self.shrunk: set[tuple[Table, tuple[Any, ...]]] = set()

    def __bool__(self) -> bool:
        return bool(self.month)

    def scopes(self) -> dict[int, set[str]]:
        """The data-version scopes (foyer.services.versions) this delta really changes.

        A group whose count and sums net to zero is unchanged: every write path changes
        one row (patch, delete) or only adds rows (inserts), so a zero net means the same
        row left and re-entered the group with the same amount — its min/max too.
        """
        changed: dict[int, set[str]] = {}
        for (household_id, month), sums in self.month.items():
            scopes = changed.setdefault(household_id, set())
            scopes.add(versions.rows(month))  # a row was written: its page changes
            if any(sums):
                scopes.add(versions.totals(month))
        for (household_id, month, *_rest), group in self.category.items():
            if group[0] or group[1]:
                changed.setdefault(household_id, set()).add(versions.categories(month))
        for groups in (self.tag, self.label):
            for (household_id, month, *_rest), sums in groups.items():
                if any(sums):
                    changed.setdefault(household_id, set()).add(versions.details(month))
        return changed

    def add(self, fact: Fact, sign: int = 1) -> None:
        """Count `fact` in (sign 1) or out (sign -1)."""
        self._add(
            fact.household_id,
            fact.month,
            fact.label,
            fact.amount_cents,
            fact.category,
            fact.category_parent,
            fact.exclude,
            fact.expense_type,
            fact.tags,
            sign,
        )

    def add_new(
        self, household_id: int, rows: Sequence[Sequence[Any]], tags: Sequence[Any]
    ) -> None:
        """Count in freshly inserted rows (`services.transactions.NewRow` tuples).

        The bulk-load hot path: positional unpacking, no per-row objects.
        """
        add = self._add
        for (_d, month, label, amount, category, parent, _a, exclude, etype, *_r), row_tags in zip(
            rows, tags, strict=True
        ):
            add(household_id, month, label, amount, category, parent, exclude, etype, row_tags, 1)

    def _add(
        self,
        household_id: int,
        month: str,
        label: str,
        amount: int,
        category: str,
        parent: str,
        exclude: bool,
        expense_type: str,
        tags: Iterable[str],
        sign: int,
    ) -> None:
        month_key = (household_id, month)
        totals = self.month.get(month_key)
        if totals is None:
            totals = self.month[month_key] = [0, 0, 0, 0, 0, 0, 0]
        totals[6] += sign
        if sign < 0:
            self.shrunk.add((agg_month, month_key))
        if exclude:
            totals[5] += sign * abs(amount)
            return
        if amount > 0:
            totals[4] += sign * amount
            return
        if amount == 0:
            return
        # A kept debit: the month's debit total of its type, and every category view.
        magnitude = -amount
        slot = _DEBIT_SLOT[expense_type]
        totals[slot] += sign * magnitude
        if slot == 0:
            totals[1] += sign
        cat_key = (household_id, month, category, parent, expense_type)
        group = self.category.get(cat_key)
        if group is None:
            group = self.category[cat_key] = [0, 0, _NO_LOW, _NO_HIGH]
        group[0] += sign
        group[1] += sign * magnitude
        if sign > 0:
            group[2] = min(group[2], magnitude)
            group[3] = max(group[3], magnitude)
        else:
            self.shrunk.add((agg_category, cat_key))
        # Written out rather than looped over (label, *tags): this runs per bulk-loaded row.
        key = (household_id, month, category, label)
        sums = self.label.get(key)
        if sums is None:
            sums = self.label[key] = [0, 0]
        sums[0] += sign
        sums[1] += sign * magnitude
        if sign < 0:
            self.shrunk.add((agg_label, key))
        for tag in tags:
            key = (household_id, month, category, tag)
            sums = self.tag.get(key)
            if sums is None:
                sums = self.tag[key] = [0, 0]
            sums[0] += sign
            sums[1] += sign * magnitude
            if sign < 0:
                self.shrunk.add((agg_tag, key))


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


def _rows(table: Table, groups: dict[Any, list[Any]], names: Sequence[str]) -> list[dict[str, Any]]:
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
    """Write `delta` to the aggregate tables, on the caller's transaction (after the rows)."""
    if not delta:
        return
    _upsert(conn, agg_month, _rows(agg_month, delta.month, MONTH_COLUMNS))
    category_names = ("count", "total_cents", "low_cents", "high_cents")
    _upsert(conn, agg_category, _rows(agg_category, delta.category, category_names))
    _upsert(conn, agg_tag, _rows(agg_tag, delta.tag, ("count", "total_cents")))
    _upsert(conn, agg_label, _rows(agg_label, delta.label, ("count", "total_cents")))
    # Last, after every aggregate: the same lock order for every writer.
    versions.bump_households(conn, delta.scopes())
    if not delta.shrunk:
        return
    by_table: dict[Table, list[tuple[Any, ...]]] = {}
    for table, key in delta.shrunk:
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


# --- recomputation from the rows: the definition verify and rebuild share -------------

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


TABLES = (agg_month, agg_category, agg_tag, agg_label)


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

    Every month with aggregates before or after gets new data versions: entries cached
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
    versions.bump_households(conn, {h: versions.of_months(m) for h, m in months.items()})
    return counts
