"""PostgreSQL's statement_timeout (FOYER_DB_STATEMENT_TIMEOUT_MS): a statement running past
it is cancelled and its request answers 503 instead of holding a connection; jobs run
under their own, longer one (FOYER_DB_JOB_STATEMENT_TIMEOUT_MS). SQLite has no such
timeout: the tests of the timeout itself run on PostgreSQL only."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlalchemy.exc import OperationalError

from foyer.app import create_app
from foyer.db.engine import Database, StatementTimeoutError, make_engine, note
from foyer.jobs import JobQueue
from foyer.jobs.kinds import JobContext
from foyer.read.jobs import get_job
from foyer.settings import Settings
from tests.factories import household_api, make_user
from tests.helpers import assert_envelope

SLEEP = "SELECT pg_sleep(0.3)"  # past the 100 ms these tests set, and no longer than needed

#: Why the SQLite half skips (the `pg` fixture, tests/db/conftest.py).
PG_ONLY = "statement_timeout is PostgreSQL's; SQLite has none"


@pytest.fixture
def timed(pg: Settings) -> Iterator[Engine]:
    """An engine whose connections cancel statements after 100 ms."""
    limited = make_engine(pg, statement_timeout_ms=100)
    yield limited
    limited.dispose()


def test_a_statement_past_the_timeout_is_cancelled(timed: Engine) -> None:
    with timed.connect() as conn:
        assert conn.exec_driver_sql("SHOW statement_timeout").scalar_one() == "100ms"
        with pytest.raises(StatementTimeoutError) as raised:
            conn.exec_driver_sql(SLEEP)
    assert isinstance(raised.value, OperationalError)  # what code catching those expects


def test_no_timeout_unless_asked(pg: Settings) -> None:
    plain = make_engine(pg)  # commands an operator runs: migrations, rebuilds, imports
    try:
        with plain.connect() as conn:
            assert conn.exec_driver_sql("SHOW statement_timeout").scalar_one() == "0"
    finally:
        plain.dispose()


def test_a_longer_timeout_holds_for_its_transactions_only(timed: Engine) -> None:
    database = Database(timed)
    longer = database.with_statement_timeout(0)
    with longer.read() as conn:
        conn.exec_driver_sql(SLEEP)
    with longer.unit_of_work() as conn:
        conn.exec_driver_sql(SLEEP)
    assert longer.engine is database.engine
    # SET LOCAL: the pooled connection is back at the engine's 100 ms.
    with database.read() as conn, pytest.raises(StatementTimeoutError):
        conn.exec_driver_sql(SLEEP)


def test_the_api_answers_503_while_a_statement_waits_too_long(pg: Settings, engine: Engine) -> None:
    timed = make_engine(pg, statement_timeout_ms=200)
    try:
        with TestClient(create_app(pg, engine=timed), raise_server_exceptions=False) as client:
            api = household_api(client, engine, email="slow@example.com", household="Slow")
            with engine.connect() as locker:
                # Another session holds the table: the listing's read waits, then is cancelled.
                locker.exec_driver_sql("LOCK TABLE bank_transaction IN ACCESS EXCLUSIVE MODE")
                response = api.get("/transactions")
                locker.rollback()
            assert_envelope(response, 503, "unavailable")
            assert response.headers["Retry-After"] == "5"
            assert api.get("/transactions").status_code == 200  # and nothing stays broken
    finally:
        timed.dispose()


def test_the_app_applies_the_setting(pg: Settings) -> None:
    app = create_app(pg.model_copy(update={"db_statement_timeout_ms": 1234}))
    engine = app.state.foyer.database.engine
    try:
        with engine.connect() as conn:
            assert conn.exec_driver_sql("SHOW statement_timeout").scalar_one() == "1234ms"
    finally:
        engine.dispose()


def sleeps(ctx: JobContext) -> dict[str, Any]:
    with ctx.database.read() as conn:
        conn.exec_driver_sql(SLEEP)
    return {"slept": True}


@pytest.mark.parametrize(("job_timeout_ms", "status"), [(0, "succeeded"), (100, "failed")])
def test_jobs_run_under_their_own_timeout(
    pg: Settings, timed: Engine, engine: Engine, job_timeout_ms: int, status: str
) -> None:
    """The API's engine cancels at 100 ms; a job's statements get the job timeout."""
    settings = pg.model_copy(
        update={"db_job_statement_timeout_ms": job_timeout_ms, "job_max_attempts": 1}
    )
    database = Database(timed)
    queue = JobQueue(settings, database, kinds={"sleeps": sleeps})
    household = make_user(engine, email="jobs@example.com").household_id
    job_id = queue.enqueue("sleeps", household_id=household)
    with database.read() as conn:
        job = get_job(conn, household_id=household, job_id=job_id)
    assert job is not None
    assert job.status == status, job


def test_a_longer_timeout_shares_everything_else(engine: Engine) -> None:
    """Jobs' copy of the app's database: the same commit listeners and the same memory of
    the last statistics refresh (ten imports in a row refresh them once), on both databases."""
    database = Database(engine)
    heard: list[set[tuple[int, str]]] = []
    database.after_commit(heard.append)
    longer = database.with_statement_timeout(0)
    with longer.unit_of_work() as conn:
        note(conn, (1, "transactions"))
    assert heard == [{(1, "transactions")}]
    assert longer.optimize(unless_within=600)
    assert not database.optimize(unless_within=600)
