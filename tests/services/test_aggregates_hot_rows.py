"""A write locks only the aggregate rows it changes, and the data stamps last
(foyer.services.aggregates.maintain.apply): on PostgreSQL every write of a month queues on
its hot rows (the month's totals, its stamps) until the holder commits, so a retag must
not take the month's totals, and the stamps are held for the shortest time. On PostgreSQL
the statements go in one pipeline, whose errors still reach the API as they did.

Checked on the statements a patch runs, and on `verify` (the aggregates stay exact).
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, event, select

from foyer.app import create_app
from foyer.db.engine import Database, make_engine, read_connection
from foyer.db.schema import agg_category, agg_tag
from foyer.read.transactions import tags_of
from foyer.services import aggregates
from foyer.services import transactions as tx
from foyer.services.transaction_inputs import TransactionChanges
from foyer.settings import Settings
from tests.factories import (
    household_api,
    insert_rows,
    make_households,
    make_transaction,
    service_row,
    unit_of_work,
)
from tests.helpers import assert_envelope

AGGREGATES = ("agg_month", "agg_category", "agg_tag", "agg_label")


@pytest.fixture
def statements(engine: Engine) -> Iterator[list[str]]:
    """The SQL of every statement run through `engine` meanwhile, in order."""
    seen: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    yield seen
    event.remove(engine, "before_cursor_execute", record)


def tables_written(statements: list[str]) -> list[str]:
    """The aggregate and stamp tables written, in statement order."""
    written = []
    for sql in statements:
        head = sql.lstrip().split("(", 1)[0].upper()
        if head.startswith(("INSERT", "UPDATE", "DELETE")):
            written += [t for t in (*AGGREGATES, "data_stamp") if f" {t.upper()}" in f" {head}"]
    return written


def one_row(engine: Engine, **fields: Any) -> tuple[int, int]:
    [household_id, _] = make_households(engine)
    [transaction_id] = insert_rows(
        engine,
        household_id,
        service_row(date=dt.date(2025, 11, 3), amount_cents=-950, category="cinéma", **fields),
    )
    return household_id, transaction_id


def _patch(engine: Engine, household_id: int, transaction_id: int, **changes: Any) -> None:
    """One transaction's fields changed, in a unit of work of its own (as the route does)."""
    with unit_of_work(engine) as conn:
        assert tx.update_transaction(
            conn,
            household_id=household_id,
            transaction_id=transaction_id,
            changes=tx.TransactionChanges(**changes),
        )


def test_a_retag_writes_its_tag_groups_only_and_the_stamps_last(
    engine: Engine, statements: list[str]
) -> None:
    household_id, transaction_id = one_row(engine, label="CB UGC", tags=["sortie"])
    statements.clear()
    _patch(engine, household_id, transaction_id, tags=["vacances"])
    written = tables_written(statements)
    # The old tag's group counted out (and deleted, emptied), the new one's in; the
    # month's totals, its category and its label are the same row re-entered: untouched.
    assert set(written) == {"agg_tag", "data_stamp"}
    assert written[-1] == "data_stamp"
    with read_connection(engine) as conn:
        assert aggregates.verify(conn) == []
        tags = conn.execute(select(agg_tag.c.tag, agg_tag.c.count)).all()
    assert [tuple(row) for row in tags] == [("vacances", 1)]


def test_a_relabel_leaves_the_category_and_its_min_max(
    engine: Engine, statements: list[str]
) -> None:
    household_id, transaction_id = one_row(engine, label="CB UGC")
    statements.clear()
    _patch(engine, household_id, transaction_id, label="CB PATHE")
    assert set(tables_written(statements)) == {"agg_label", "data_stamp"}
    with read_connection(engine) as conn:
        assert aggregates.verify(conn) == []
        low_high = conn.execute(select(agg_category.c.low_cents, agg_category.c.high_cents)).one()
    assert tuple(low_high) == (950, 950)


def test_a_patch_that_changes_the_sums_writes_every_group_it_moves(
    engine: Engine, statements: list[str]
) -> None:
    household_id, transaction_id = one_row(engine, label="CB UGC")
    statements.clear()
    _patch(engine, household_id, transaction_id, category="courses")
    written = tables_written(statements)
    assert {"agg_category", "agg_label", "data_stamp"} <= set(written)
    assert written[-1] == "data_stamp"
    with read_connection(engine) as conn:
        assert aggregates.verify(conn) == []


def test_a_write_waiting_too_long_on_a_locked_aggregate_answers_503(
    migrated: tuple[Settings, Engine], engine: Engine
) -> None:
    """The upsert's cancellation comes out of the pipeline's sync: still a 503."""
    settings, _ = migrated
    if settings.is_sqlite:
        pytest.skip("statement_timeout and the pipeline are PostgreSQL's")
    timed = make_engine(settings, statement_timeout_ms=200)
    try:
        with TestClient(
            create_app(settings, engine=timed), raise_server_exceptions=False
        ) as client:
            api = household_api(client, engine, email="hot@example.com", household="Hot")
            with engine.connect() as locker:
                locker.exec_driver_sql("LOCK TABLE agg_month IN ACCESS EXCLUSIVE MODE")
                response = api.post("/transactions", make_transaction())
                locker.rollback()
            assert_envelope(response, 503, "unavailable")
            assert api.post("/transactions", make_transaction()).status_code == 201
    finally:
        timed.dispose()
    with read_connection(engine) as conn:
        assert aggregates.verify(conn) == []


def test_a_patch_that_waited_for_the_row_counts_the_tags_of_the_write_before_it(
    engine: Engine,
) -> None:
    """Two patches of one row's tags (PostgreSQL: the second waits for the first's row
    lock). The second must subtract the tags the first wrote, which a statement that
    began before the first committed would not see (READ COMMITTED): the row's tags are
    read after the lock, by a statement of their own."""
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite's writers queue on its lock before their transaction begins")
    household_id = make_households(engine)[0]
    (row_id,) = insert_rows(engine, household_id, service_row(tags=["old"]))
    database = Database(engine)
    first_holds, release = threading.Event(), threading.Event()
    errors: list[BaseException] = []

    def patch(tags: list[str], hold: bool) -> None:
        try:
            with database.unit_of_work() as conn:
                changes = TransactionChanges(tags=tags)
                tx.update_transaction(
                    conn, household_id=household_id, transaction_id=row_id, changes=changes
                )
                if hold:
                    first_holds.set()
                    release.wait(10)
        except BaseException as exc:  # reported by the test's thread below
            errors.append(exc)

    first = threading.Thread(target=patch, args=(["new"], True))
    first.start()
    assert first_holds.wait(10)
    second = threading.Thread(target=patch, args=(["newer"], False))
    second.start()
    with read_connection(engine) as conn:  # the second waits for the row's lock
        for _ in range(500):
            waiting = conn.exec_driver_sql(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND wait_event_type = 'Lock'"
            ).scalar_one()
            if waiting:
                break
            time.sleep(0.01)
            conn.rollback()  # a fresh snapshot of pg_stat_activity
        assert waiting, "the second patch never waited for the row's lock"
    release.set()
    first.join(10)
    second.join(10)
    assert errors == []
    with read_connection(engine) as conn:
        assert aggregates.verify(conn, household_id) == []
        assert tags_of(conn, [row_id]) == {row_id: ["newer"]}
