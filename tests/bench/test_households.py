"""The many-household bench datasets (foyer/bench/households.py), built tiny: 20 households
of 50 rows. The builder takes shortcuts the services do not (configuration copied in SQL,
rows without aggregates, aggregates rebuilt set-based at the end), so what it builds is
held to what the services would have built: every household complete, the aggregates
exact, each household's configuration the first one's, and both readers agreeing."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console
from sqlalchemy import Engine, Table, func, select

from foyer.bench import datasets, households
from foyer.bench.households import CONFIG_TABLES, Shape, build
from foyer.db.engine import read_connection
from foyer.db.migrate import upgrade
from foyer.db.schema import bank_transaction, data_stamp, household, user_account
from foyer.demo.loader import demo_email
from foyer.read import OptimizedReader, ReferenceReader
from foyer.services import aggregates
from tests.helpers import create_pg_database, drop_pg_database, engine_for

TINY = Shape(20, months=2, per_month=25)
END = "2026-06"


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def empty(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'hh.db'}"
    else:
        url = create_pg_database("foyer_hh")
    engine = engine_for(url)
    upgrade(engine)
    yield engine
    engine.dispose()
    if request.param == "postgresql":
        drop_pg_database(url)


def _config(conn: Any, table: Table, household_id: int) -> list[tuple[Any, ...]]:
    """A household's rows of `table`, without their ids: what copying must preserve."""
    kept = [c for c in table.columns if c.name != "household_id" and not c.primary_key]
    query = select(*kept).where(table.c.household_id == household_id)
    return sorted(tuple(row) for row in conn.execute(query))


def test_builds_every_household_complete_with_exact_aggregates(empty: Engine) -> None:
    stats = build(empty, TINY, end_month=END, password="pw")

    assert (stats.households, stats.rows) == (20, 1_000)
    with read_connection(empty) as conn:
        ids = conn.execute(
            select(household.c.id, user_account.c.email)
            .join(user_account, user_account.c.household_id == household.c.id)
            .order_by(household.c.id)
        ).all()
        assert [email for _, email in ids] == [demo_email(i) for i in range(20)]
        per_household = dict(
            conn.execute(
                select(bank_transaction.c.household_id, func.count()).group_by(
                    bank_transaction.c.household_id
                )
            ).all()
        )
        assert per_household == {h: 50 for h, _ in ids}
        assert aggregates.verify(conn) == []  # the set-based rebuild is the definition
        for table in aggregates.TABLES:
            count = conn.execute(select(func.count()).select_from(table)).scalar_one()
            assert stats.aggregate_rows[table.name] == count > 0
        template = ids[0][0]
        for table in CONFIG_TABLES:
            expected = _config(conn, table, template)
            assert expected, table.name
            for household_id, _ in ids[1:]:
                assert _config(conn, table, household_id) == expected, table.name
        stamped = conn.execute(
            select(data_stamp.c.household_id).where(data_stamp.c.scope == END).distinct()
        ).all()
        assert {h for (h,) in stamped} == {h for h, _ in ids}  # every month is stamped
        last = ids[-1][0]  # a copied household reads as the services' household would
        for month in ("2026-05", END):
            optimized = OptimizedReader().summary(conn, household_id=last, month=month)
            assert optimized == ReferenceReader().summary(conn, household_id=last, month=month)
            assert optimized != OptimizedReader().summary(conn, household_id=template, month=month)


def test_households_differ_but_each_build_is_the_same(tmp_path: Path) -> None:
    def rows_of(path: Path) -> list[tuple[Any, ...]]:
        engine = engine_for(f"sqlite:///{path}")
        upgrade(engine)
        build(engine, Shape(3, months=1, per_month=30), end_month=END, password="pw")
        with read_connection(engine) as conn:
            query = select(
                bank_transaction.c.household_id,
                bank_transaction.c.date,
                bank_transaction.c.label,
                bank_transaction.c.amount_cents,
            ).order_by(bank_transaction.c.id)
            rows = [tuple(row) for row in conn.execute(query)]
        engine.dispose()
        return rows

    first, second = rows_of(tmp_path / "a.db"), rows_of(tmp_path / "b.db")
    assert first == second
    by_household: dict[int, list[tuple[Any, ...]]] = {}
    for household_id, *rest in first:
        by_household.setdefault(household_id, []).append(tuple(rest))
    assert len(by_household) == 3
    assert len({tuple(rows) for rows in by_household.values()}) == 3  # not one copied thrice


def test_ensure_dataset_builds_a_kind_once_and_names_its_first_households(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FOYER_BENCH_CACHE", str(tmp_path))
    monkeypatch.setitem(households.KINDS, "hhtiny", TINY)

    dataset = datasets.ensure_dataset("hhtiny", "sqlite", Console(quiet=True))
    assert (dataset.rows, dataset.main_rows) == (1_000, 50)
    assert dataset.emails == tuple(demo_email(i) for i in range(3))
    cached = Path(dataset.url.removeprefix("sqlite:///"))
    built_at = cached.stat().st_mtime_ns
    assert datasets.ensure_dataset("hhtiny", "sqlite").url == dataset.url
    assert cached.stat().st_mtime_ns == built_at  # found complete: not built again
