"""Bench datasets of many households: N demo households of R rows each, built at COPY speed.

Issue 15 asks whether a household's latency stays the same when it shares the database
with 10,000 others (5M rows). These datasets answer it: `hh10k` (10,000 households of
504 rows: 12 months × 42, ending at the bench's END_MONTH) and `hh1`, one household of
the same size to compare with. Like the other bench datasets they are cached
(`foyer_bench_<kind>_v<N>` on PostgreSQL, a file on SQLite: `ensure_dataset` in
`foyer.bench.datasets` builds them with `build` below) and runs work on a copy.

Why not `load_demo` household after household: it configures each household through
the budget services (18 creates, each renewing a stamp) and maintains the aggregates by
upsert, ~80 ms a household here — 13 minutes for 10,000, of which the upserts are most
(at 42 rows a month nearly every label is a group of its own: ~800 aggregate rows per
household). Instead:
- household 0 is created and configured through the services, as `foyer demo` does;
- the others get their user through `auth.service.create_user` (the password hashed once),
  and their configuration copied from household 0 in SQL (one INSERT … SELECT per table
  and household, pipelined), many households per transaction;
- rows come from the demo generator (`month_rows`) and go in through `store_rows` (COPY);
- the aggregates are then computed once, set-based, by `aggregates.rebuild` (GROUP BY
  over every row: the same definition `foyer aggregates verify` checks against), which
  also gives every month its data stamps.
"""

from __future__ import annotations

import datetime as dt
import random
import time
from dataclasses import dataclass

from rich.console import Console
from sqlalchemy import BigInteger, Connection, Engine, Table, bindparam, insert, select

from foyer.auth.security import hash_password
from foyer.auth.service import create_user
from foyer.db.engine import Database, analyze
from foyer.db.schema import fixed_line, household_config, provision
from foyer.demo.generator import month_rows
from foyer.demo.household import profile
from foyer.demo.loader import configure_household, demo_email, household_name
from foyer.months import add_months
from foyer.services import aggregates
from foyer.services.transactions import store_rows

#: Bump when the builder, the generator or the schema changes, so cached copies rebuild.
VERSION = 1
SEED = 15
#: Households per transaction: big enough that commits do not dominate, small enough
#: that a failure loses little and progress shows.
BATCH = 250
#: What household 0's configuration writes, and so what the others copy.
CONFIG_TABLES: tuple[Table, ...] = (household_config, fixed_line, provision)


@dataclass(frozen=True, slots=True)
class Shape:
    """How many households, and how many rows each (`months` × `per_month`)."""

    households: int
    months: int = 12
    per_month: int = 42  # ~20 recurring rows a month (salaries, debits), the rest payments

    @property
    def rows_each(self) -> int:
        return self.months * self.per_month

    @property
    def rows(self) -> int:
        return self.households * self.rows_each


#: Dataset kinds (`foyer bench --sizes`), next to foyer.bench.datasets' SIZES.
KINDS: dict[str, Shape] = {
    "hh1": Shape(1),
    "hh100": Shape(100),
    "hh10k": Shape(10_000),  # 5,040,000 rows
    # The demo couple's own density (`foyer demo`: 130 rows a month), for storage figures.
    "hh1k130": Shape(1_000, per_month=130),  # 1,560,000 rows
}


@dataclass(frozen=True, slots=True)
class BuildStats:
    households: int
    rows: int
    seconds_rows: float  # users, configuration and rows, in batches
    seconds_aggregates: float  # the set-based rebuild
    seconds_analyze: float
    aggregate_rows: dict[str, int]

    @property
    def seconds(self) -> float:
        return self.seconds_rows + self.seconds_aggregates + self.seconds_analyze


def build(
    engine: Engine,
    shape: Shape,
    *,
    end_month: str,
    password: str,
    console: Console | None = None,
    batch: int = BATCH,
) -> BuildStats:
    """Fill an empty, migrated database with `shape`'s households (see the module docstring)."""
    console = console or Console(quiet=True)
    database = Database(engine)  # a command's own: no app, no commit listeners
    password_hash = hash_password(password)  # once: argon2 is slow on purpose
    rng = random.Random(SEED)  # noqa: S311 (reproducible bench data, not security)
    couple = profile(end_month)
    created_at = dt.datetime(2026, 7, 1, tzinfo=dt.UTC)
    months = [add_months(end_month, m - shape.months + 1) for m in range(shape.months)]
    started = time.perf_counter()
    template: int | None = None
    for first in range(0, shape.households, batch):
        with database.unit_of_work() as conn:
            ids = [
                create_user(
                    conn,
                    email=demo_email(i),
                    password=password,
                    household_name=household_name(i),
                    password_hash=password_hash,
                ).household_id
                for i in range(first, min(first + batch, shape.households))
            ]
            if template is None:
                template = ids[0]
                configure_household(conn, template, end_month)  # as `foyer demo` does
            copies = [h for h in ids if h != template]
            if copies:
                copy_configuration(conn, template, copies)
            for household_id in ids:
                rows, tags = [], []
                for month in months:
                    month_data, month_tags = month_rows(
                        rng, month, shape.per_month, created_at, household=couple
                    )
                    rows += month_data
                    tags += month_tags
                store_rows(conn, household_id=household_id, rows=rows, tags=tags)
        done = min(first + batch, shape.households)
        elapsed = time.perf_counter() - started
        console.print(
            f"  {done:,}/{shape.households:,} households, "
            f"{done * shape.rows_each / elapsed:,.0f} rows/s"
        )
    seconds_rows = time.perf_counter() - started
    started = time.perf_counter()
    with database.unit_of_work() as conn:
        counts = aggregates.rebuild(conn)
    seconds_aggregates = time.perf_counter() - started
    started = time.perf_counter()
    analyze(engine)
    return BuildStats(
        shape.households,
        shape.rows,
        seconds_rows,
        seconds_aggregates,
        time.perf_counter() - started,
        counts,
    )


def copy_configuration(conn: Connection, template: int, household_ids: list[int]) -> None:
    """Give each household the template household's configuration, fixed lines and
    provisions (new ids), replacing the default configuration `create_user` made."""
    conn.execute(
        household_config.delete().where(household_config.c.household_id.in_(household_ids))
    )
    params = [{"target": h} for h in household_ids]
    for table in CONFIG_TABLES:
        copied = [
            c
            for c in table.columns
            if c.name != "household_id" and c is not table.autoincrement_column
        ]
        source = select(bindparam("target", type_=BigInteger), *copied).where(
            table.c.household_id == template
        )
        names = ["household_id", *(c.name for c in copied)]
        conn.execute(insert(table).from_select(names, source), params)
