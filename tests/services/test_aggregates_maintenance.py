"""The aggregate tables are exact after every write (SPEC §6's read path rests on them):
emptied groups disappear, min and max follow deletes and patches, API writes and failed
bulks, `verify` finds drift and `rebuild` repairs it, concurrent writers leave exact sums.
"""

from __future__ import annotations

import datetime as dt
import threading

from sqlalchemy import Engine, select

from foyer.db.engine import read_connection
from foyer.db.schema import agg_category, agg_month
from foyer.services import aggregates
from foyer.services import transactions as tx
from foyer.services.transactions import NewRow
from tests.factories import (
    Api,
    insert_rows,
    make_households,
    make_transaction,
    new_row,
    service_row,
    unit_of_work,
)


def test_emptied_groups_disappear(engine: Engine) -> None:
    [household_id, _] = make_households(engine)
    row = service_row(
        date=dt.date(2025, 11, 3),
        label="CB UGC",
        amount_cents=-950,
        category="cinéma",
        category_parent="loisirs",
        tags=["sortie"],
    )
    [transaction_id] = insert_rows(engine, household_id, row)
    with unit_of_work(engine) as conn:
        assert tx.delete_transaction(conn, household_id=household_id, transaction_id=transaction_id)
    with read_connection(engine) as conn:
        for table in aggregates.TABLES:
            left = conn.execute(select(table).where(table.c.household_id == household_id)).all()
            assert left == [], table.name


def test_min_and_max_follow_deletes_and_patches(engine: Engine) -> None:
    [household_id, _] = make_households(engine)
    ids = insert_rows(
        engine,
        household_id,
        *(service_row(date=dt.date(2025, 11, 2), amount_cents=a) for a in (-100, -500, -900)),
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
    # Computed from the damaged aggregates (nothing of June was cached before: the app
    # starts empty, and no write of June, a month long gone, warms it) and cached.
    damaged = api.ok("/transactions/hierarchy", month="2025-06")
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
    [household_id, _] = make_households(engine)
    categories = ("courses", "loyer", "cinéma")
    workers, rounds = 4, 15
    barrier = threading.Barrier(workers)
    errors: list[BaseException] = []

    def row(n: int, category: str) -> NewRow:
        return new_row(
            service_row(
                date=dt.date(2025, 12, 1 + n % 28),
                amount_cents=-(n % 7 + 1) * 100,
                category=category,
            )
        )

    def work(worker: int) -> None:
        try:
            mine: list[int] = []
            for r in range(rounds):
                barrier.wait(timeout=30)
                # Opposite orders of the same two groups: sorted upserts must not deadlock.
                cats = categories[:2] if worker % 2 else categories[1::-1]
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
                                category=categories[r % 3], tags=["sortie"]
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
