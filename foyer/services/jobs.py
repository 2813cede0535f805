"""Every write of the `job` table: a job's life from queued to succeeded or failed.

The runner (foyer.jobs.runner) calls these, each in a unit of work of its own, so a
job's state is visible to the /jobs API as soon as it changes. `claim` is the guard
against a job running twice at once: it moves only a *queued* job to running, so a
message delivered twice (a broker retry, a requeue) finds the job taken and does nothing.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, and_, delete, func, insert, select, update

from foyer.db.schema import job

JSON = dict[str, Any]


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@dataclass(frozen=True, slots=True)
class ClaimedJob:
    """What a runner needs to run a job it has just moved to running."""

    id: int
    household_id: int
    kind: str
    payload: JSON
    attempts: int  # this run included


def create(conn: Connection, *, household_id: int, kind: str, payload: JSON) -> int:
    """A queued job; its id (the only thing the broker is handed)."""
    values = {
        "household_id": household_id,
        "kind": kind,
        "status": "queued",
        "progress": 0.0,
        "payload": json.dumps(payload),
        "attempts": 0,
        "created_at": _now(),
    }
    return int(conn.execute(insert(job).values(values).returning(job.c.id)).scalar_one())


def claim(conn: Connection, job_id: int) -> ClaimedJob | None:
    """Queued → running, one more attempt; None when the job is not queued (already
    taken, finished, or deleted with its household)."""
    now = _now()
    taken = conn.execute(
        update(job)
        .where(and_(job.c.id == job_id, job.c.status == "queued"))
        .values(
            status="running",
            attempts=job.c.attempts + 1,
            # started_at is the first run's start: a retry keeps it.
            started_at=func.coalesce(job.c.started_at, now),
        )
    ).rowcount
    if taken != 1:
        return None
    row = conn.execute(
        select(job.c.household_id, job.c.kind, job.c.payload, job.c.attempts).where(
            job.c.id == job_id
        )
    ).one()
    return ClaimedJob(
        id=job_id,
        household_id=int(row.household_id),
        kind=str(row.kind),
        payload=json.loads(row.payload),
        attempts=int(row.attempts),
    )


def set_progress(conn: Connection, job_id: int, progress: float) -> None:
    clamped = min(max(progress, 0.0), 1.0)
    conn.execute(
        update(job)
        .where(and_(job.c.id == job_id, job.c.status == "running"))
        .values(progress=clamped)
    )


def succeed(conn: Connection, job_id: int, result: JSON) -> None:
    conn.execute(
        update(job)
        .where(job.c.id == job_id)
        .values(
            status="succeeded",
            progress=1.0,
            result=json.dumps(result),
            error=None,
            finished_at=_now(),
        )
    )


def requeue(conn: Connection, job_id: int, error: str) -> None:
    """A failed run with attempts left: queued again, the last error kept for the user."""
    conn.execute(update(job).where(job.c.id == job_id).values(status="queued", error=error))


def fail(conn: Connection, job_id: int, error: str) -> None:
    conn.execute(
        update(job)
        .where(job.c.id == job_id)
        .values(status="failed", error=error, finished_at=_now())
    )


def purge_finished(conn: Connection, *, before: dt.datetime) -> int:
    """Delete the jobs that finished before `before`; how many."""
    return int(
        conn.execute(
            delete(job).where(
                and_(job.c.status.in_(("succeeded", "failed")), job.c.finished_at < before)
            )
        ).rowcount
    )
