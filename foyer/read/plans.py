"""Every hot-path read query foyer runs, with its plan: what tests check, `foyer advise` prints.

`registered(sample)` lists the statements exactly as the optimised engine, the listings and
the aggregate maintenance build them, filled with real values from a populated database.
`explain` asks the database for its plan (EXPLAIN QUERY PLAN on SQLite, EXPLAIN (FORMAT
JSON) on PostgreSQL) and flags what must not be there:

- a full scan of a large table: transactions and tags always; an aggregate table once it
  holds 1,000 rows or more (below that it is a page or two, which PostgreSQL rightly reads
  sequentially — as it does the per-household config tables of tens of rows);
- a sort step over a large table, where an index should give the order;
- and, across all queries, indexes of large tables that no plan uses (write cost for
  nothing).

Hand-written because nothing off the shelf reads both databases' plans against a list of
an application's own statements; the seeds' "query optimizer" (seed 002 §2.1) asked for
exactly this.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, Executable, func, select
from sqlalchemy.sql import ClauseElement

from foyer.db.households import fixed_lines_query, provisions_query, q_month_balance
from foyer.db.schema import bank_transaction as t
from foyer.db.schema import household, metadata, transaction_tag, user_account
from foyer.months import add_months, previous_month
from foyer.read import optimized as q
from foyer.read.budgets import budgets_query
from foyer.read.exports import (
    batch_tags_query,
    batch_tags_range_query,
    date_range,
    export_query,
)
from foyer.read.transactions import SORT_COLUMNS, TransactionFilter, listing_query, tags_query
from foyer.services.aggregates import TABLES as AGGREGATE_TABLES
from foyer.services.aggregates import extreme_query
from foyer.services.splits import parts_query
from foyer.services.stamps import stamps_query
from foyer.services.transactions import import_rows_query

ROW_TABLES = frozenset({t.name, transaction_tag.name})
LARGE_TABLES = ROW_TABLES | {table.name for table in AGGREGATE_TABLES}
SMALL_AGGREGATE_ROWS = 1_000
PAGE = 50


@dataclass(frozen=True, slots=True)
class Sample:
    """Real values to fill the statements with (the busiest household, a month it has)."""

    household_id: int
    month: str
    category: str
    parent: str
    expense_type: str
    page_ids: tuple[int, ...]  # the ids of a first page, for the tags query
    # (sort value, id) of the 50th row of each sort's first page, for "page n" statements
    cursors: dict[str, tuple[Any, int]] = field(default_factory=dict)


def find_sample(conn: Connection) -> Sample:
    """The household with the most transactions, its latest full month and top category."""
    household_id = conn.execute(
        select(t.c.household_id).group_by(t.c.household_id).order_by(func.count().desc()).limit(1)
    ).scalar()
    if household_id is None:
        raise LookupError("no transactions: load some first (foyer demo)")
    latest = conn.execute(
        select(func.max(t.c.month)).where(t.c.household_id == household_id)
    ).scalar_one()
    month = previous_month(latest)  # a full month, not the one in progress
    category, parent, expense_type = conn.execute(
        select(t.c.category, t.c.category_parent, t.c.expense_type)
        .where(t.c.household_id == household_id, t.c.month == month, t.c.amount_cents < 0)
        .group_by(t.c.category, t.c.category_parent, t.c.expense_type)
        .order_by(func.count().desc())
        .limit(1)
    ).one()
    cursors = {}
    page_ids: tuple[int, ...] = ()
    for sort, (column, _desc) in SORT_COLUMNS.items():
        rows = conn.execute(listing_query(household_id, TransactionFilter(), sort, PAGE - 1)).all()
        if rows:
            last = rows[-1]
            value = getattr(last, column)
            cursors[sort] = (value.isoformat() if column == "date" else value, last.id)
            page_ids = page_ids or tuple(r.id for r in rows)
    return Sample(household_id, month, category, parent, expense_type, page_ids, cursors)


def registered(s: Sample, dialect: str = "sqlite") -> Iterator[tuple[str, Executable]]:
    """(name, statement) of every hot-path read, filled with the sample's values."""
    h, month = s.household_id, s.month
    yield "summary: config + month totals", q.q_config_and_month(h, month)
    yield "summary: fixed lines", fixed_lines_query(h)
    yield "summary: provisions", provisions_query(h)
    yield "transfers: the month's balance", q_month_balance(h, month)
    yield "trends: 36 months", q.q_trend_months(h, add_months(month, -35), month)
    # A quarter: in the sample (two households, 12 months) a year is half of agg_category,
    # which PostgreSQL rightly scans; in a real instance a household's year is a sliver,
    # and the quarter shows the plan that case gets (the index's household-month range).
    # Three months, not six, for the kpis' reason below: in the sample six are a quarter of
    # agg_category; in a real instance, one household's six months are a sliver.
    yield (
        "budget suggestions: months' categories",
        q.q_months_category_totals(h, add_months(month, -3), add_months(month, -1)),
    )
    # Three months, not thirteen, for the same reason: in the sample thirteen months are
    # all of a household's agg_category; in a real instance, one household's thirteen
    # months are a sliver.
    yield (
        "anomalies: the month's and its history's categories",
        q.q_months_category_totals(h, add_months(month, -2), month),
    )
    yield "budgets: the household's budgets", budgets_query(h)
    yield "kpis: a quarter's categories", q.q_range_categories(h, add_months(month, -2), month)
    yield "hierarchy/analytics: month's categories", q.q_month_categories(h, month)
    yield "drill-down summary", q.q_category_months(h, s.category, (month, previous_month(month)))
    yield "drill-down details: top tags", q.q_top("tag", h, s.category, month)
    yield "drill-down details: top labels", q.q_top("label", h, s.category, month)
    listings = {
        "transactions": TransactionFilter(),
        "transactions of a month": TransactionFilter(month=month),
        "drill-down transactions": TransactionFilter(
            month=month, category=s.category, debits_only=True
        ),
    }
    for name, filters in listings.items():
        for sort in SORT_COLUMNS:
            yield f"{name}, {sort}, page 1", listing_query(h, filters, sort, PAGE)
            after = s.cursors.get(sort)
            if after is not None:
                yield f"{name}, {sort}, page n", listing_query(h, filters, sort, PAGE, after)
    yield "transactions: tags of a page", tags_query(list(s.page_ids) or [0])
    # An export reads a batch's tags by ids on PostgreSQL, by the batch's date range on
    # SQLite (foyer.read.exports): each database is checked on the statement it runs.
    if dialect == "postgresql":
        yield "export: tags of a batch", batch_tags_query(list(s.page_ids) or [0])
    else:
        # A batch spans a few days (5,000 rows; a household has ~3,000 a month at most):
        # the sample's mid-month week.
        week = (dt.date.fromisoformat(f"{month}-10"), dt.date.fromisoformat(f"{month}-16"))
        yield "export: tags of a batch", batch_tags_range_query(h, *week)
    year = date_range(add_months(month, -11), month)
    yield "export: a year, first batch", export_query(h, *year, None)
    oldest = s.cursors.get("date_asc")  # the 50th row of the household, oldest first
    if oldest is not None:
        cursor = (dt.date.fromisoformat(oldest[0]), oldest[1])
        yield "export: a year, next batch", export_query(h, *year, cursor)
    yield "transaction by id", select(t).where(t.c.household_id == h, t.c.id == s.page_ids[0])
    yield "login: user by email", select(user_account).where(user_account.c.email == "x@y.z")
    key = (h, month, s.category, s.parent, s.expense_type)
    yield "write: recompute a group's min", extreme_query(func.max, *key)
    yield "write: recompute a group's max", extreme_query(func.min, *key)
    yield "household by id", select(household).where(household.c.id == h)
    yield "imports: rows of an import (undo)", import_rows_query(h, "1")
    yield "splits: the parts of a split row (merge)", parts_query(h, 1)
    yield "cache: data stamps of a view", stamps_query(h, ("budget", month))


@dataclass(slots=True)
class Plan:
    name: str
    sql: str
    lines: list[str]  # the plan, readable
    indexes: set[str]  # indexes (and primary keys) the plan reads
    flags: list[str]  # what is wrong with it, empty when nothing is


def _sql(conn: Connection, statement: ClauseElement) -> str:
    return str(statement.compile(dialect=conn.dialect, compile_kwargs={"literal_binds": True}))


_SQLITE_SCAN = re.compile(r"^SCAN (\w+)")
_SQLITE_INDEX = re.compile(r"USING (?:COVERING )?INDEX (\w+)|USING (INTEGER )?PRIMARY KEY")
_SQLITE_SEARCH = re.compile(r"^SEARCH (\w+)")


def _explain_sqlite(conn: Connection, sql: str) -> tuple[list[str], set[str], list[str]]:
    rows = conn.exec_driver_sql("EXPLAIN QUERY PLAN " + sql).all()
    depth: dict[int, int] = {0: -1}
    lines, used, flags = [], set(), []
    for node_id, parent, _unused, detail in rows:
        depth[node_id] = depth.get(parent, -1) + 1
        lines.append("  " * depth[node_id] + detail)
        scan = _SQLITE_SCAN.match(detail)
        if scan and scan.group(1) in LARGE_TABLES:
            flags.append(f"full scan of {scan.group(1)}")
        if "USE TEMP B-TREE" in detail:
            flags.append(f"sort step: {detail}")
        index = _SQLITE_INDEX.search(detail)
        table = _SQLITE_SEARCH.match(detail) or scan or None
        if index and table:
            used.add(index.group(1) or f"pk_{table.group(1)}")
    return lines, used, flags


def _walk(node: dict[str, Any], depth: int = 0) -> Iterator[tuple[int, dict[str, Any]]]:
    yield depth, node
    for child in node.get("Plans", []):
        yield from _walk(child, depth + 1)


def _relations(node: dict[str, Any]) -> set[str]:
    return {n["Relation Name"] for _d, n in _walk(node) if "Relation Name" in n}


def _pg_row_estimates(conn: Connection) -> dict[str, float]:
    rows = conn.exec_driver_sql(
        "SELECT relname, reltuples FROM pg_class WHERE relkind = 'r' AND relname = ANY(%(names)s)",
        {"names": sorted(LARGE_TABLES)},
    )
    return {name: float(n) for name, n in rows}


def _explain_postgresql(conn: Connection, sql: str) -> tuple[list[str], set[str], list[str]]:
    plan = conn.exec_driver_sql("EXPLAIN (FORMAT JSON) " + sql).scalar_one()[0]["Plan"]
    estimates = _pg_row_estimates(conn)
    lines, used, flags = [], set(), []
    for depth, node in _walk(plan):
        kind = node["Node Type"]
        on = node.get("Relation Name") or node.get("Index Name") or ""
        index = node.get("Index Name")
        lines.append("  " * depth + f"{kind} {on}".rstrip() + (f" using {index}" if index else ""))
        if index:
            used.add(index)
        large = on in ROW_TABLES or estimates.get(on, 0) >= SMALL_AGGREGATE_ROWS
        if kind == "Seq Scan" and on in LARGE_TABLES and large:
            flags.append(f"full scan of {on}")
        if kind in ("Sort", "Incremental Sort") and _relations(node) & LARGE_TABLES:
            flags.append(f"sort step over {', '.join(sorted(_relations(node)))}")
    return lines, used, flags


def explain(conn: Connection, name: str, statement: Executable) -> Plan:
    sql = _sql(conn, statement)  # type: ignore[arg-type]
    if conn.dialect.name == "sqlite":
        lines, used, flags = _explain_sqlite(conn, sql)
    else:
        lines, used, flags = _explain_postgresql(conn, sql)
    return Plan(name, sql, lines, used, flags)


def large_table_indexes() -> set[str]:
    """Every secondary index of the large tables (primary keys are constraints the
    writes need, e.g. the aggregates' upsert targets, so they are never "unused")."""
    return {
        str(index.name)
        for table in metadata.tables.values()
        if table.name in LARGE_TABLES
        for index in table.indexes
    }


def plans(conn: Connection, sample: Sample | None = None) -> list[Plan]:
    sample = sample or find_sample(conn)
    statements = registered(sample, conn.dialect.name)
    return [explain(conn, name, statement) for name, statement in statements]


def unused_indexes(all_plans: list[Plan]) -> set[str]:
    used = set().union(*(p.indexes for p in all_plans))
    return large_table_indexes() - used
