"""Leases: a job whose worker stops renewing it (killed, machine gone) is sent again once
its deadline passes and lands exactly once; a run taken for lost cannot overwrite the
outcome of the run that replaced it. Deadlines are moved by hand: no test sleeps a lease."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Engine, select, update

from foyer.db.engine import Database
from foyer.db.schema import job
from foyer.jobs import JobContext
from foyer.services import jobs
from tests.factories import make_households
from tests.jobs.conftest import MakeQueue

LEASE = dt.timedelta(minutes=5)


def state(engine: Engine, job_id: int) -> tuple[str, int, str | None]:
    with engine.connect() as conn:
        row = conn.execute(
            select(job.c.status, job.c.attempts, job.c.error).where(job.c.id == job_id)
        ).one()
    return str(row.status), int(row.attempts), row.error


def expire(engine: Engine, job_id: int) -> None:
    with engine.begin() as conn:
        past = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)
        conn.execute(update(job).where(job.c.id == job_id).values(deadline_at=past))


def lost_run(engine: Engine, household: int, kind: str) -> int:
    """A job claimed by a worker that then died: running, attempt 1, deadline passed."""
    database = Database(engine)
    with database.unit_of_work() as conn:
        job_id = jobs.create(conn, household_id=household, kind=kind, payload={}, lease=LEASE)
        assert jobs.claim(conn, job_id, lease=LEASE) is not None
    expire(engine, job_id)
    return job_id


def test_a_job_whose_worker_died_is_run_again_after_its_lease(
    engine: Engine, make_queue: MakeQueue
) -> None:
    household, _ = make_households(engine)
    calls: list[int] = []

    def record(ctx: JobContext) -> dict[str, Any]:
        calls.append(ctx.attempt)
        return {"attempt": ctx.attempt}

    queue = make_queue({"record": record})
    job_id = lost_run(engine, household, "record")

    assert queue.reclaim() == {"resent": 1, "failed": 0}

    assert calls == [2]
    assert state(engine, job_id) == ("succeeded", 2, None)
    assert queue.reclaim() == {"resent": 0, "failed": 0}  # nothing overdue any more


def test_a_job_within_its_lease_is_left_alone(engine: Engine, make_queue: MakeQueue) -> None:
    household, _ = make_households(engine)
    queue = make_queue({"record": lambda ctx: {}})
    with Database(engine).unit_of_work() as conn:
        job_id = jobs.create(conn, household_id=household, kind="record", payload={}, lease=LEASE)
        jobs.claim(conn, job_id, lease=LEASE)

    assert queue.reclaim() == {"resent": 0, "failed": 0}
    assert state(engine, job_id) == ("running", 1, None)


def test_a_worker_lost_on_the_last_attempt_fails_the_job(
    engine: Engine, make_queue: MakeQueue
) -> None:
    household, _ = make_households(engine)
    queue = make_queue({"record": lambda ctx: {}}, job_max_attempts=1)
    job_id = lost_run(engine, household, "record")

    assert queue.reclaim() == {"resent": 0, "failed": 1}

    status, attempts, error = state(engine, job_id)
    assert (status, attempts) == ("failed", 1)
    assert error is not None
    assert "worker lost" in error


def test_a_queued_job_no_worker_took_is_sent_again(engine: Engine, make_queue: MakeQueue) -> None:
    household, _ = make_households(engine)
    calls: list[int] = []
    queue = make_queue({"record": lambda ctx: calls.append(ctx.attempt) or {}})
    with Database(engine).unit_of_work() as conn:  # queued; its message lost with a broker
        job_id = jobs.create(conn, household_id=household, kind="record", payload={}, lease=LEASE)
    expire(engine, job_id)

    assert queue.reclaim() == {"resent": 1, "failed": 0}
    assert calls == [1]
    assert state(engine, job_id) == ("succeeded", 1, None)


def test_a_run_taken_for_lost_cannot_overwrite_its_replacement(engine: Engine) -> None:
    household, _ = make_households(engine)
    database = Database(engine)
    job_id = lost_run(engine, household, "record")
    with database.unit_of_work() as conn:
        [late] = jobs.overdue(conn)
        assert jobs.reclaim(conn, late, max_attempts=3, lease=LEASE) == "resend"
        assert jobs.claim(conn, job_id, lease=LEASE) is not None  # attempt 2 runs
        # Attempt 1 wakes up: its heartbeat, progress and outcome all miss.
        assert not jobs.renew(conn, job_id, 1, lease=LEASE)
        assert not jobs.succeed(conn, job_id, 1, {"stale": True})
        assert not jobs.fail(conn, job_id, "stale", attempt=1)
        assert jobs.succeed(conn, job_id, 2, {"fresh": True})
    assert state(engine, job_id) == ("succeeded", 2, None)


def test_two_reclaimers_send_a_lost_job_once(engine: Engine) -> None:
    household, _ = make_households(engine)
    job_id = lost_run(engine, household, "record")
    database = Database(engine)
    with database.read() as conn:
        seen_by_first, seen_by_second = jobs.overdue(conn), jobs.overdue(conn)
    outcomes = []
    for seen in (seen_by_first, seen_by_second):
        with database.unit_of_work() as conn:
            outcomes.append(jobs.reclaim(conn, seen[0], max_attempts=3, lease=LEASE))
    assert outcomes == ["resend", None]
    assert state(engine, job_id)[0] == "queued"
