"""A worker killed mid-import (SIGKILL, no chance to clean up): the import lands exactly
once. Killed inside its write transaction, nothing was committed and the job runs again;
killed after its commit, the job runs again and inserts nothing. On SQLite and PostgreSQL,
on both brokers: huey's SQLite queue file and Redis, shared by the doomed worker and the
consumer that takes over.
"""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select, update

from foyer.db.engine import Database
from foyer.db.schema import bank_transaction, job
from foyer.jobs import JobQueue
from foyer.read.jobs import get_job
from foyer.services import aggregates, imports
from foyer.settings import Settings
from tests.factories import make_households, unit_of_work

ROOT = Path(__file__).resolve().parents[2]
FIXTURE = ROOT / "tests" / "imports" / "fixtures" / "bnp_nbsp_balance.csv"
DEADLINE = 30.0  # polling bound, not a timing assertion


def wait_for(condition: object, what: str) -> None:
    end = time.monotonic() + DEADLINE
    while not condition():  # type: ignore[operator]
        if time.monotonic() > end:
            raise AssertionError(f"gave up waiting for {what}")
        time.sleep(0.05)


def rows_of(engine: Engine, household: int) -> int:
    with engine.connect() as conn:
        query = select(func.count()).where(bank_transaction.c.household_id == household)
        return int(conn.execute(query).scalar_one())


@pytest.mark.parametrize("queue", ["sqlite", "redis"])
@pytest.mark.parametrize("phase", ["inside", "after"])
def test_an_import_lands_exactly_once_when_its_worker_is_killed(
    migrated: tuple[Settings, Engine],
    engine: Engine,
    tmp_path: Path,
    request: pytest.FixtureRequest,
    phase: str,
    queue: str,
) -> None:
    base, _ = migrated
    if queue == "sqlite":
        chosen: dict[str, object] = {"queue": "sqlite", "queue_path": tmp_path / "queue.db"}
    else:
        url, name = request.getfixturevalue("redis_queue_name")
        chosen = {"queue": "redis", "redis_url": url, "queue_name": name}
    settings = base.model_copy(update={**chosen, "job_lease_seconds": 60})
    household, _ = make_households(engine)
    with unit_of_work(engine) as conn:
        staged = imports.create_import(
            conn,
            household_id=household,
            file_name=FIXTURE.name,
            content=FIXTURE.read_bytes(),
            account="joint",
        )
    expected = len(staged.analysis.rows) - staged.analysis.duplicates
    assert expected > 0
    database = Database(engine)
    jobs = JobQueue(settings, database)
    job_id = jobs.enqueue(
        "commit_import", household_id=household, payload={"import_id": staged.import_id}
    )

    marker = tmp_path / "marker"
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "FOYER_DATABASE_URL": settings.database_url,
        "FOYER_QUEUE": settings.queue,
        "FOYER_QUEUE_NAME": settings.queue_name,
        "FOYER_LOG_LEVEL": "WARNING",
    }
    env.pop("FOYER_REDIS_URL", None)
    if settings.queue == "sqlite":
        env["FOYER_QUEUE_PATH"] = str(settings.queue_file)
    else:
        env["FOYER_REDIS_URL"] = str(settings.redis_url)
    doomed = subprocess.Popen(
        [sys.executable, "-m", "tests.jobs.doomed_worker", phase, str(marker)], env=env, cwd=ROOT
    )
    try:
        wait_for(marker.exists, f"the doomed worker to reach {phase!r}")
    finally:
        doomed.send_signal(signal.SIGKILL)
        doomed.wait(timeout=DEADLINE)

    assert rows_of(engine, household) == (expected if phase == "after" else 0)
    with engine.connect() as conn:
        assert conn.execute(select(job.c.status).where(job.c.id == job_id)).scalar_one() == (
            "running"
        )
    # The lease passes (moved by hand rather than waited for).
    with engine.begin() as conn:
        past = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)
        conn.execute(update(job).where(job.c.id == job_id).values(deadline_at=past))

    jobs.start_embedded()  # reclaims what the dead worker left, then consumes it
    try:

        def finished() -> bool:
            with database.read() as conn:
                view = get_job(conn, household_id=household, job_id=job_id)
            return view is not None and view.status in ("succeeded", "failed")

        wait_for(finished, "the reclaimed job to finish")
    finally:
        jobs.stop_embedded()

    with database.read() as conn:
        view = get_job(conn, household_id=household, job_id=job_id)
        assert view is not None
        assert (view.status, view.attempts) == ("succeeded", 2)
        assert view.result is not None
        assert view.result["inserted"] == (0 if phase == "after" else expected)
        assert aggregates.verify(conn, household) == []
    assert rows_of(engine, household) == expected
