"""A write's tail (foyer.db.tail): on PostgreSQL the aggregates' statements and the unit of
work's COMMIT go in one Sync; nothing else about the transaction changes — a statement
after them sees them, an error in them rolls the whole write back, outside a unit of work
they are synced at once. The laws run on both databases; the wire, on PostgreSQL."""

from __future__ import annotations

import tempfile
import time
from typing import Any

import psycopg
import pytest
import sqlalchemy.exc
from psycopg import pq
from sqlalchemy import Engine, func, insert, select

from foyer.bench.micro import contended_writes
from foyer.db import tail
from foyer.db.engine import Database, make_engine
from foyer.db.schema import MONTH_COLUMNS, agg_month, bank_transaction
from foyer.services import aggregates
from foyer.services import transactions as tx
from foyer.settings import Settings
from tests.factories import make_user, new_row, service_row
from tests.helpers import PG_ADMIN_URL


def _postgres(engine: Engine) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("the pipeline is PostgreSQL's: SQLite runs each statement in process")


def _month_count(engine: Engine, household_id: int) -> int | None:
    with engine.connect() as conn:
        count = conn.execute(
            select(agg_month.c.transactions).where(agg_month.c.household_id == household_id)
        ).scalar()
    return None if count is None else int(count)


def _rows(engine: Engine, household_id: int) -> int:
    with engine.connect() as conn:
        query = select(func.count()).where(bank_transaction.c.household_id == household_id)
        return int(conn.execute(query).scalar_one())


def _stranger_delta() -> aggregates.Delta:
    """Aggregates of a household that does not exist: their upsert breaks its foreign key."""
    delta = aggregates.Delta()
    delta.add_new(10**9, [new_row(service_row())], [[]])
    return delta


def test_the_aggregates_and_the_commit_share_one_sync(engine: Engine) -> None:
    _postgres(engine)
    user = make_user(engine)
    rows = [new_row(service_row())]
    with tempfile.NamedTemporaryFile("w+") as trace:
        with Database(engine).unit_of_work() as conn:
            tx.store_rows(conn, household_id=user.household_id, rows=rows, tags=[[]])
            raw: Any = conn.connection.dbapi_connection
            raw.pgconn.trace(trace.fileno())  # libpq's log of the protocol, from here
            raw.pgconn.set_trace_flags(pq.Trace.SUPPRESS_TIMESTAMPS | pq.Trace.REGRESS_MODE)
            delta = aggregates.Delta()
            delta.add_new(user.household_id, rows, [[]])
            aggregates.apply(conn, delta)
        raw.pgconn.untrace()
        trace.seek(0)
        lines = [line.split("\t") for line in trace.read().splitlines()]
    # (psycopg prepares a statement run often, so its text is not always sent: the
    # backend's answers tell what ran, and how many times the client waited.)
    received = [line[2:] for line in lines if line[0] == "B"]
    ready = [line for line in received if line[0] == "ReadyForQuery"]
    done = [line[1].strip(' "') for line in received if line[0] == "CommandComplete"]
    assert ready == [["ReadyForQuery", " I"]], "one round trip, ending the transaction"
    assert done[-1] == "COMMIT"
    assert done[:-1] == ["INSERT 0 1"] * (len(done) - 1)  # the aggregates and the stamps
    assert len(done) > 4
    assert _month_count(engine, user.household_id) == 1


def test_a_statement_after_the_aggregates_sees_them(engine: Engine) -> None:
    user = make_user(engine)
    with Database(engine).unit_of_work() as conn:
        tx.insert_rows(
            conn, household_id=user.household_id, rows=[new_row(service_row())], tags=[[]]
        )
        query = select(agg_month.c.transactions).where(
            agg_month.c.household_id == user.household_id
        )
        assert conn.execute(query).scalar_one() == 1
        # a statement by `exec_driver_sql` too (SQLAlchemy fires no `before_execute` for it)
        tx.insert_rows(
            conn, household_id=user.household_id, rows=[new_row(service_row())], tags=[[]]
        )
        sql = f"SELECT transactions FROM agg_month WHERE household_id = {user.household_id:d}"
        assert conn.exec_driver_sql(sql).scalar_one() == 2
        # and a third write after it, in the same transaction (its own tail)
        tx.insert_rows(
            conn, household_id=user.household_id, rows=[new_row(service_row())], tags=[[]]
        )
    assert _month_count(engine, user.household_id) == 3
    assert _rows(engine, user.household_id) == 3


def _write_with_a_broken_tail(engine: Engine, household_id: int, after: list[str]) -> None:
    """A unit of work: a row, aggregates that break a foreign key, then one more statement
    (`after` hears whether the block got past it)."""
    with Database(engine).unit_of_work() as conn:
        tx.store_rows(conn, household_id=household_id, rows=[new_row(service_row())], tags=[[]])
        try:
            aggregates.apply(conn, _stranger_delta())
        except sqlalchemy.exc.IntegrityError as exc:
            # psycopg raises a pipelined error as soon as it reads it: inside `apply` when
            # its answer came back before `apply` ended (wrapped by SQLAlchemy: the
            # statement running then was its), else at the next statement's Sync.
            raise exc.orig from exc  # type: ignore[misc]
        conn.execute(select(1))
        after.append("reached")


def test_an_error_in_the_aggregates_rolls_the_whole_write_back(engine: Engine) -> None:
    user = make_user(engine)
    after: list[str] = []
    with pytest.raises(Exception, match=r"(?i)foreign key"):
        _write_with_a_broken_tail(engine, user.household_id, after)
    assert after == [], "the error comes out at the next statement at the latest"
    assert _rows(engine, user.household_id) == 0
    assert _month_count(engine, user.household_id) is None
    # the pool's connections were left clean: the next write commits
    with Database(engine).unit_of_work() as conn:
        tx.insert_rows(
            conn, household_id=user.household_id, rows=[new_row(service_row())], tags=[[]]
        )
    assert _month_count(engine, user.household_id) == 1
    assert _rows(engine, user.household_id) == 1


def _commit_a_broken_tail(engine: Engine) -> None:
    """A unit of work whose tail's last statement breaks a foreign key, its error back
    before the COMMIT is sent: it comes out of the COMMIT's own execute."""
    with Database(engine).unit_of_work() as conn:
        stranger = dict.fromkeys(MONTH_COLUMNS, 0)
        with tail.sending(conn):
            conn.execute(insert(agg_month).values(household_id=10**9, month="2025-12", **stranger))
        time.sleep(0.05)


def test_an_error_at_the_commit_leaves_the_pooled_connection_clean(
    migrated: tuple[Settings, Engine], engine: Engine
) -> None:
    _postgres(engine)
    settings, _ = migrated
    single = make_engine(settings, single=True)  # one connection: the next checkout is it
    try:
        with pytest.raises(psycopg.errors.ForeignKeyViolation):
            _commit_a_broken_tail(single)
        with single.connect() as conn:
            raw: Any = conn.connection.dbapi_connection
            assert raw.pgconn.pipeline_status == pq.PipelineStatus.OFF
            assert not any(key.startswith("foyer_tail") for key in conn.info)
            assert conn.execute(select(1)).scalar_one() == 1
        assert _month_count(single, 10**9) is None
    finally:
        single.dispose()


def test_outside_a_unit_of_work_the_aggregates_are_synced_at_once(engine: Engine) -> None:
    _postgres(engine)
    user = make_user(engine)
    with engine.begin() as conn:
        tx.insert_rows(
            conn, household_id=user.household_id, rows=[new_row(service_row())], tags=[[]]
        )
        raw: Any = conn.connection.dbapi_connection
        assert raw.pgconn.pipeline_status == pq.PipelineStatus.OFF
    assert _month_count(engine, user.household_id) == 1


def test_the_contended_writes_micro_benchmark_runs_both_modes(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    _postgres(engine)  # its scratch database goes where this run's PostgreSQL is
    monkeypatch.setenv("FOYER_BENCH_PG", PG_ADMIN_URL)
    result = contended_writes("postgresql", writers=2, seconds=0.3, rounds=2)
    for mode in ("joined", "separate"):
        assert result[mode]["writes_per_s"] > 0
        assert 0 < result[mode]["p50_ms"] <= result[mode]["p95_ms"]
    assert result["writes_per_s_ratio"] > 0
    assert tail._joined, "the baseline's switch is put back"
