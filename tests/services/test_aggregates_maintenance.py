"""The aggregates are exact after every write, and the optimised engine equals the reference.

- Differential (Hypothesis): random sequences of single inserts, bulk inserts, patches
  (category, parent, exclude, expense_type, label, tags, amount) and deletes over two
  households and a few months; afterwards every view of the optimised engine equals the
  reference engine's, and `verify` finds nothing.
- Concurrency: several connections writing the same groups at once leave exact sums.
- Only foyer.services writes the transaction and aggregate tables (source check).
- Query budget: summary costs at most 3 queries.
"""

from __future__ import annotations

import ast
import datetime as dt
import itertools
import re
import threading
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Connection, Engine, event, select

import foyer
from foyer.auth.service import ensure_household
from foyer.db.engine import read_connection
from foyer.db.schema import agg_category, agg_month, household_config
from foyer.domain.vocabulary import EXPENSE_TYPES
from foyer.months import month_of
from foyer.read import OptimizedReader, ReferenceReader
from foyer.services import aggregates, budget, stamps
from foyer.services import transactions as tx
from foyer.services.transactions import NewRow
from tests.factories import Api, make_transaction, unit_of_work

optimized = OptimizedReader()
reference = ReferenceReader()

MONTHS = ("2025-11", "2025-12", "2026-01")
CATEGORIES = ("courses", "loyer", "cinéma")
PARENTS = ("alimentation", "logement")
LABELS = ("CB CARREFOUR", "PRLV LOYER", "CB UGC", "cb ugc")
TAGS = ("vacances", "sortie", "maison")
CREATED = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
_numbers = itertools.count()

row_strategy = st.fixed_dictionaries(
    {
        "date": st.sampled_from(MONTHS).flatmap(
            lambda m: st.integers(1, 28).map(lambda d: dt.date.fromisoformat(f"{m}-{d:02d}"))
        ),
        "label": st.sampled_from(LABELS),
        # Small amounts so groups collide and equal min/max values happen; 0 included.
        "amount_cents": st.integers(-900, 300),
        "category": st.sampled_from(CATEGORIES),
        "category_parent": st.sampled_from(PARENTS),
        "exclude": st.booleans(),
        "expense_type": st.sampled_from(EXPENSE_TYPES),
        "tags": st.lists(st.sampled_from(TAGS), unique=True, max_size=2),
    }
)
patch_strategy = st.fixed_dictionaries(
    {},
    optional={
        "category": st.sampled_from(CATEGORIES),
        "category_parent": st.sampled_from(PARENTS),
        "exclude": st.booleans(),
        "expense_type": st.sampled_from(EXPENSE_TYPES),
        "label": st.sampled_from(LABELS),
        "tags": st.lists(st.sampled_from(TAGS), unique=True, max_size=2),
        "amount_cents": st.integers(-900, 300),
    },
)
op_strategy = st.one_of(
    st.tuples(st.just("insert"), st.integers(0, 1), st.lists(row_strategy, min_size=1, max_size=1)),
    st.tuples(st.just("bulk"), st.integers(0, 1), st.lists(row_strategy, min_size=2, max_size=12)),
    st.tuples(st.just("patch"), st.integers(0, 10_000), patch_strategy),
    st.tuples(st.just("delete"), st.integers(0, 10_000), st.none()),
)


def _new_row(row: dict[str, Any]) -> NewRow:
    return NewRow(
        row["date"],
        month_of(row["date"]),
        row["label"],
        row["amount_cents"],
        row["category"],
        row["category_parent"],
        "joint",
        row["exclude"],
        row["expense_type"],
        None,
        CREATED,
    )


def _households(engine: Engine) -> list[int]:
    n = next(_numbers)
    with unit_of_work(engine) as conn:
        first = ensure_household(conn, name=f"agg {n} a")
        second = ensure_household(conn, name=f"agg {n} b")
        budget.update_config(
            conn,
            household_id=first,
            changes={"member1_name": "A", "income1": 2500, "income2": 1800, "tax_rate1": 10},
        )
        # The second household has no config row at all: the summary's join must cope.
        conn.execute(household_config.delete().where(household_config.c.household_id == second))
    return [first, second]


def run_ops(engine: Engine, households: list[int], ops: list[Any]) -> None:
    """Apply ops through the services, one unit of work each (as the API does)."""
    owned: list[tuple[int, int]] = []  # (household, transaction id) still present
    for kind, arg, payload in ops:
        with unit_of_work(engine) as conn:
            if kind in ("insert", "bulk"):
                household_id = households[arg]
                ids = tx.insert_rows(
                    conn,
                    household_id=household_id,
                    rows=[_new_row(r) for r in payload],
                    tags=[r["tags"] for r in payload],
                )
                owned += [(household_id, i) for i in ids]
            elif owned:
                household_id, transaction_id = owned[arg % len(owned)]
                if kind == "patch":
                    assert tx.update_transaction(
                        conn,
                        household_id=household_id,
                        transaction_id=transaction_id,
                        changes=tx.TransactionChanges(**payload),
                    )
                else:
                    assert tx.delete_transaction(
                        conn, household_id=household_id, transaction_id=transaction_id
                    )
                    owned.remove((household_id, transaction_id))


def assert_engines_agree(conn: Connection, household_id: int) -> None:
    h = {"household_id": household_id}
    for month in (*MONTHS, "2026-02"):  # and a month with nothing in it
        for view in ("summary", "slim_summary", "hierarchy", "provisions_calculate"):
            got = getattr(optimized, view)(conn, **h, month=month)
            assert got == getattr(reference, view)(conn, **h, month=month), (view, month)
        for types in (EXPENSE_TYPES, ("VARIABLE",), ("FIXED", "PROVISION")):
            got = optimized.analytics_categories(conn, **h, month=month, expense_types=types)
            want = reference.analytics_categories(conn, **h, month=month, expense_types=types)
            assert got == want, (month, types)
        for category in (*CATEGORIES, "inconnue"):
            for view in ("drill_down_summary", "drill_down_details"):
                got = getattr(optimized, view)(conn, **h, category=category, month=month)
                want = getattr(reference, view)(conn, **h, category=category, month=month)
                assert got == want, (view, category, month)
    got = optimized.trends(conn, **h, start="2025-10", end="2026-02")
    assert got == reference.trends(conn, **h, start="2025-10", end="2026-02")


@settings(
    max_examples=30,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(ops=st.lists(op_strategy, min_size=1, max_size=25))
def test_optimized_equals_reference_after_any_writes(engine: Engine, ops: list[Any]) -> None:
    households = _households(engine)
    run_ops(engine, households, ops)
    with read_connection(engine) as conn:
        assert aggregates.verify(conn) == []
        for household_id in households:
            assert_engines_agree(conn, household_id)


def test_emptied_groups_disappear(engine: Engine) -> None:
    [household_id, _] = _households(engine)
    row = {
        "date": dt.date(2025, 11, 3),
        "label": "CB UGC",
        "amount_cents": -950,
        "category": "cinéma",
        "category_parent": "loisirs",
        "exclude": False,
        "expense_type": "VARIABLE",
        "tags": ["sortie"],
    }
    with unit_of_work(engine) as conn:
        [transaction_id] = tx.insert_rows(
            conn, household_id=household_id, rows=[_new_row(row)], tags=[row["tags"]]
        )
    with unit_of_work(engine) as conn:
        assert tx.delete_transaction(conn, household_id=household_id, transaction_id=transaction_id)
    with read_connection(engine) as conn:
        for table in aggregates.TABLES:
            left = conn.execute(select(table).where(table.c.household_id == household_id)).all()
            assert left == [], table.name


def test_min_and_max_follow_deletes_and_patches(engine: Engine) -> None:
    [household_id, _] = _households(engine)
    base = {
        "label": "CB CARREFOUR",
        "category": "courses",
        "category_parent": "alimentation",
        "exclude": False,
        "expense_type": "VARIABLE",
        "tags": [],
    }
    amounts = [-100, -500, -900]
    rows = [{**base, "date": dt.date(2025, 11, 2), "amount_cents": a} for a in amounts]
    with unit_of_work(engine) as conn:
        ids = tx.insert_rows(
            conn, household_id=household_id, rows=[_new_row(r) for r in rows], tags=[[]] * 3
        )

    def low_high() -> tuple[int, int]:
        with read_connection(engine) as conn:
            row = conn.execute(
                select(agg_category.c.low_cents, agg_category.c.high_cents).where(
                    agg_category.c.household_id == household_id
                )
            ).one()
            return row[0], row[1]

    assert low_high() == (100, 900)
    with unit_of_work(engine) as conn:  # the largest leaves the group
        tx.update_transaction(
            conn,
            household_id=household_id,
            transaction_id=ids[2],
            changes=tx.TransactionChanges(exclude=True),
        )
    assert low_high() == (100, 500)
    with unit_of_work(engine) as conn:  # the smallest is deleted
        tx.delete_transaction(conn, household_id=household_id, transaction_id=ids[0])
    assert low_high() == (500, 500)
    with unit_of_work(engine) as conn:  # an amount change moves both ends
        tx.update_transaction(
            conn,
            household_id=household_id,
            transaction_id=ids[1],
            changes=tx.TransactionChanges(amount_cents=-7),
        )
    assert low_high() == (7, 7)


def test_api_writes_keep_aggregates_exact(api: Api, engine: Engine) -> None:
    ids = api.create_transactions(
        make_transaction(amount=-12.5, tags=["sortie"]),
        make_transaction(amount=-3, category="cinéma", category_parent="loisirs"),
        make_transaction(amount=2000, category="salaire", category_parent="revenus"),
    )
    assert api.patch(f"/transactions/{ids[0]}", {"category": "cinéma"}).status_code == 200
    assert api.patch(f"/transactions/{ids[1]}", {"exclude": True, "tags": ["x"]}).status_code == 200
    assert api.delete(f"/transactions/{ids[2]}").status_code == 204
    with read_connection(engine) as conn:
        assert aggregates.verify(conn) == []
        stored = conn.execute(select(agg_month.c.transactions, agg_month.c.variable_cents)).one()
    assert tuple(stored) == (2, 1250)


def test_failed_bulk_insert_leaves_aggregates_untouched(api: Api, engine: Engine) -> None:
    api.create_transactions(make_transaction(amount=-10))
    with read_connection(engine) as conn:
        before = [conn.execute(select(t)).all() for t in aggregates.TABLES]
    bad = [make_transaction(amount=-5), make_transaction(amount=-5, expense_type="NOPE")]
    assert api.post("/transactions/bulk", {"items": bad}).status_code == 422
    with read_connection(engine) as conn:
        assert [conn.execute(select(t)).all() for t in aggregates.TABLES] == before
        assert aggregates.verify(conn) == []


def test_verify_reports_drift_and_rebuild_repairs_it(api: Api, engine: Engine) -> None:
    api.create_transactions(make_transaction(amount=-10, tags=["a"]), make_transaction(amount=4))
    with unit_of_work(engine) as conn:  # simulate damage the services could never do
        conn.execute(agg_month.update().values(transactions=agg_month.c.transactions + 1))
        conn.execute(agg_category.delete())
    with read_connection(engine) as conn:
        drift = aggregates.verify(conn)
    assert {m.table for m in drift} == {"agg_month", "agg_category"}
    assert any(m.stored is None for m in drift)  # the deleted group shows as missing
    state = api.client.app.state.foyer  # type: ignore[attr-defined]
    state.warmer.wait()
    state.cache.clear_l1()  # nothing cached from before the damage (warm-ups included)
    damaged = api.ok("/transactions/hierarchy", month="2025-06")  # cached, from the damage
    assert damaged == []
    with unit_of_work(engine) as conn:
        counts = aggregates.rebuild(conn)
    assert counts == {"agg_month": 1, "agg_category": 1, "agg_tag": 1, "agg_label": 1}
    with read_connection(engine) as conn:
        assert aggregates.verify(conn) == []
    # The rebuild gave the months new data stamps: the damaged entry is not served.
    assert api.ok("/transactions/hierarchy", month="2025-06") != damaged


# --- concurrency --------------------------------------------------------------------


def test_concurrent_writers_leave_exact_sums(engine: Engine) -> None:
    """Writers on their own connections hit the same groups at once (PostgreSQL: really
    concurrently, row locks on the groups; SQLite: serialised by BEGIN IMMEDIATE)."""
    [household_id, _] = _households(engine)
    workers, rounds = 4, 15
    barrier = threading.Barrier(workers)
    errors: list[BaseException] = []

    def row(n: int, category: str) -> NewRow:
        return _new_row(
            {
                "date": dt.date(2025, 12, 1 + n % 28),
                "label": "CB CARREFOUR",
                "amount_cents": -(n % 7 + 1) * 100,
                "category": category,
                "category_parent": "alimentation",
                "exclude": False,
                "expense_type": "VARIABLE",
                "tags": [],
            }
        )

    def work(worker: int) -> None:
        try:
            mine: list[int] = []
            for r in range(rounds):
                barrier.wait(timeout=30)
                # Opposite orders of the same two groups: sorted upserts must not deadlock.
                cats = CATEGORIES[:2] if worker % 2 else CATEGORIES[1::-1]
                with unit_of_work(engine) as conn:
                    mine += tx.insert_rows(
                        conn,
                        household_id=household_id,
                        rows=[row(worker * 100 + r, c) for c in cats],
                        tags=[["vacances"], []],
                    )
                with unit_of_work(engine) as conn:
                    if r % 3 == 0:
                        tx.delete_transaction(
                            conn, household_id=household_id, transaction_id=mine.pop(0)
                        )
                    else:
                        tx.update_transaction(
                            conn,
                            household_id=household_id,
                            transaction_id=mine[0],
                            changes=tx.TransactionChanges(
                                category=CATEGORIES[r % 3], tags=["sortie"]
                            ),
                        )
        except BaseException as exc:  # reported below, in the test's own thread
            errors.append(exc)
            barrier.abort()

    threads = [threading.Thread(target=work, args=(w,)) for w in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with read_connection(engine) as conn:
        assert aggregates.verify(conn) == []
        transactions = conn.execute(
            select(agg_month.c.transactions).where(agg_month.c.household_id == household_id)
        ).scalar_one()
    assert transactions == workers * rounds * 2 - workers * len(range(0, rounds, 3))


# --- only the services write ----------------------------------------------------------

PROTECTED = {"bank_transaction", "transaction_tag", *(t.name for t in aggregates.TABLES)}
WRITERS = {
    "foyer/services/transactions.py",
    "foyer/services/aggregates/maintain.py",
    "foyer/services/aggregates/recompute.py",
}


def test_only_the_services_write_transactions_and_aggregates() -> None:
    root = Path(foyer.__file__).parent
    raw_sql = re.compile(
        r"(INSERT\s+INTO|UPDATE|DELETE\s+FROM|COPY)\s+(" + "|".join(PROTECTED) + r")\b", re.I
    )
    offenders = []
    for path in root.rglob("*.py"):
        name = f"foyer/{path.relative_to(root)}"
        if name in WRITERS or "/migrations/" in name:
            continue
        source = path.read_text()
        if raw_sql.search(source):
            offenders.append(f"{name}: SQL text writes a protected table")
        tree = ast.parse(source)
        tables = {  # local names bound to protected tables by `from foyer.db.schema import`
            alias.asname or alias.name
            for node in ast.walk(tree)
            if isinstance(node, ast.ImportFrom) and node.module == "foyer.db.schema"
            for alias in node.names
            if alias.name in PROTECTED
        }
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Attribute)
                and node.attr in {"insert", "update", "delete"}
                and isinstance(node.value, ast.Name)
                and node.value.id in tables
            ):
                offenders.append(f"{name}:{node.lineno}: {node.value.id}.{node.attr}()")
    assert offenders == []


# --- query budget ---------------------------------------------------------------------


@pytest.fixture
def count_queries(engine: Engine) -> Any:
    statements: list[str] = []

    def record(*args: Any) -> None:
        # SQLite's BEGIN is issued as a statement by foyer.db.engine; it is not a query.
        # The cache warmer's background thread is not the request under test either.
        warming = threading.current_thread().name.startswith("foyer-warm")
        if args[2] != "BEGIN" and not warming:
            statements.append(args[2])

    event.listen(engine, "before_cursor_execute", record)
    yield statements
    event.remove(engine, "before_cursor_execute", record)


#: Queries each optimized view may run (the engine's own budget, cache aside).
ENGINE_BUDGET = {
    "summary": 3,
    "slim_summary": 3,
    "hierarchy": 1,
    "provisions_calculate": 2,
    "drill_down_summary": 1,
    "drill_down_details": 2,
    "trends": 1,
    "analytics_categories": 1,
}


@pytest.mark.parametrize(("view", "budget_"), ENGINE_BUDGET.items())
def test_views_stay_within_their_query_budget(
    engine: Engine, count_queries: list[str], view: str, budget_: int
) -> None:
    [household_id, _] = _households(engine)
    run_ops(
        engine,
        [household_id],
        [("bulk", 0, [_row(-500, "2025-12-03"), _row(1200, "2025-12-04", tags=["maison"])])],
    )
    args: dict[str, Any] = {"household_id": household_id}
    if view == "trends":
        args.update(start="2023-01", end="2025-12")
    else:
        args["month"] = "2025-12"
    if view.startswith("drill_down"):
        args["category"] = "courses"
    if view == "analytics_categories":
        args["expense_types"] = EXPENSE_TYPES
    with read_connection(engine) as conn:
        count_queries.clear()
        getattr(optimized, view)(conn, **args)
    assert 0 < len(count_queries) <= budget_, count_queries


def test_a_cached_summary_costs_one_query_and_a_revalidation_too(
    api: Api, count_queries: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # The data-stamp lookup runs on the driver's cursor (foyer.services.stamps.read),
    # out of SQLAlchemy's sight: count it by wrapping it.
    lookups: list[int] = []
    real_read = stamps.read

    def counted(*args: Any) -> dict[str, int]:
        # Requests only: warmers (this app's, or one of an earlier test still alive on
        # this engine) read stamps on their own thread.
        if not threading.current_thread().name.startswith("foyer-warm"):
            lookups.append(1)
        return real_read(*args)

    real_read_async = stamps.read_async

    async def counted_async(*args: Any) -> dict[str, int]:  # PostgreSQL, on the event loop
        lookups.append(1)
        return await real_read_async(*args)

    monkeypatch.setattr(stamps, "read", counted)
    monkeypatch.setattr(stamps, "read_async", counted_async)
    api.create_transactions(make_transaction(), make_transaction(amount=12))
    # A warmer may have cached it already (household ids are reused between tests and
    # warmers re-warm what was read): start from an empty L1.
    state = api.client.app.state.foyer  # type: ignore[attr-defined]
    state.warmer.wait()
    state.cache.clear_l1()
    count_queries.clear()
    lookups.clear()  # the write's own warm-up read stamps too
    first = api.get("/dashboard/summary", month="2025-06")
    # A miss: the fast path (foyer.api.fastpath) reads the stamps, finds no entry and
    # passes the request on; the route reads them again and computes.
    assert (len(lookups), len(count_queries)) == (2, ENGINE_BUDGET["summary"])
    count_queries.clear()
    assert api.get("/dashboard/summary", month="2025-06").content == first.content
    assert (len(lookups), len(count_queries)) == (3, 0)  # a hit: the stamps only
    again = api.client.get(
        "/api/v1/dashboard/summary",
        params={"month": "2025-06"},
        headers={**api.headers, "If-None-Match": first.headers["ETag"]},
    )
    assert again.status_code == 304
    assert (len(lookups), len(count_queries)) == (4, 0)


def _row(amount: int, day: str, tags: list[str] | None = None) -> dict[str, Any]:
    return {
        "date": dt.date.fromisoformat(day),
        "label": "CB CARREFOUR",
        "amount_cents": amount,
        "category": "courses",
        "category_parent": "alimentation",
        "exclude": False,
        "expense_type": "VARIABLE",
        "tags": tags or [],
    }
