"""Every registered read query has a good plan on a populated database, on both backends.

"Good" is what foyer.read.plans flags: no full scan of transactions or tags (nor of an
aggregate table past 1,000 rows), no sort step where an index gives the order, and no
index of those tables that no query uses. Also: a deep keyset page reads as few rows as
the first one.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, select

from foyer.db.engine import read_connection
from foyer.db.migrate import upgrade
from foyer.db.schema import bank_transaction as t
from foyer.demo import DemoSpec, load_demo
from foyer.read.plans import explain, find_sample, plans, registered, unused_indexes
from tests.helpers import create_pg_database, drop_pg_database, engine_for


@pytest.fixture(scope="module")
def populated(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    """A database of its own with two demo households, 12 months x 1,500 rows each."""
    if backend == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('plans') / 'plans.db'}"
    else:
        url = create_pg_database("foyer_plans")
    engine = engine_for(url)
    try:
        upgrade(engine)
        spec = DemoSpec(
            months=12,
            transactions_per_month=1_500,
            households=2,
            password="plans-password",
            end_month="2026-06",
        )
        load_demo(engine, spec)  # ends with ANALYZE: the planner sees real statistics
        yield engine
    finally:
        engine.dispose()
        if backend == "postgresql":
            drop_pg_database(url)
        else:
            Path(url.removeprefix("sqlite:///")).unlink(missing_ok=True)


def test_every_registered_query_has_a_clean_plan(populated: Engine) -> None:
    with read_connection(populated) as conn:
        found = plans(conn)
    assert len(found) >= 39  # every view, every listing order x filter x page 1/page n
    bad = {p.name: (p.flags, p.lines) for p in found if p.flags}
    assert bad == {}
    assert unused_indexes(found) == set()


def test_the_checker_flags_scans_and_sorts(populated: Engine) -> None:
    """The checker itself can fail: an unindexed filter and an unindexed order."""
    with read_connection(populated) as conn:
        scan = explain(conn, "by label", select(t.c.id).where(t.c.label == "x"))
        sort = explain(
            conn,
            "by label order",
            select(t.c.id).where(t.c.household_id == 1).order_by(t.c.label).limit(5),
        )
    assert scan.flags == ["full scan of bank_transaction"]
    assert any(flag.startswith("sort step") for flag in sort.flags)


def test_registry_covers_every_listing_order_and_filter(populated: Engine) -> None:
    with read_connection(populated) as conn:
        names = [name for name, _ in registered(find_sample(conn))]
    for listing in ("transactions", "transactions of a month", "drill-down transactions"):
        for sort in ("date_desc", "date_asc", "amount_asc", "amount_desc"):
            for page in ("page 1", "page n"):
                assert f"{listing}, {sort}, {page}" in names
