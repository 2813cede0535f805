"""Every write of the `job` table: a job's life from queued to succeeded or failed.

The runner (foyer.jobs.runner) calls these, each in a unit of work of its own, so a
job's state is visible to the /jobs API as soon as it changes. `claim` is the guard
against a job running twice at once: it moves only a *queued* job to running, so a
message delivered twice (a broker retry, a requeue) finds the job taken and does nothing.

Every job carries a deadline (`deadline_at`, its lease): a queued job must be claimed by
then, a running one finished or renewed by then (the runner's heartbeat). `reclaim`
sends overdue jobs again: a worker killed mid-run leaves its job running with a deadline
that passes. A run's own outcome is written only while the job is still that run's
(status running, same attempt), so a run taken for lost that wakes up later changes nothing.
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


def create(
    conn: Connection, *, household_id: int, kind: str, payload: JSON, lease: dt.timedelta
) -> int:
    """A queued job, to be claimed within `lease`; its id (all the broker is handed)."""
    values = {
        "household_id": household_id,
        "kind": kind,
        "status": "queued",
        "progress": 0.0,
        "payload": json.dumps(payload),
        "attempts": 0,
        "created_at": _now(),
        "deadline_at": _now() + lease,
    }
    return int(conn.execute(insert(job).values(values).returning(job.c.id)).scalar_one())


def claim(conn: Connection, job_id: int, *, lease: dt.timedelta) -> ClaimedJob | None:
    """Queued → running, one more attempt, due within `lease`; None when the job is not
    queued (already taken, finished, or deleted with its household)."""
    now = _now()
    taken = conn.execute(
        update(job)
        .where(and_(job.c.id == job_id, job.c.status == "queued"))
        .values(
            status="running",
            attempts=job.c.attempts + 1,
            deadline_at=now + lease,
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


def _this_run(job_id: int, attempt: int) -> Any:
    """The job, while it is still run number `attempt`'s."""
    return and_(job.c.id == job_id, job.c.status == "running", job.c.attempts == attempt)


def set_progress(
    conn: Connection, job_id: int, attempt: int, progress: float, *, lease: dt.timedelta
) -> None:
    """Progress is also a sign of life: the deadline moves too."""
    clamped = min(max(progress, 0.0), 1.0)
    conn.execute(
        update(job)
        .where(_this_run(job_id, attempt))
        .values(progress=clamped, deadline_at=_now() + lease)
    )


def renew(conn: Connection, job_id: int, attempt: int, *, lease: dt.timedelta) -> bool:
    """The running job's heartbeat: due within `lease` from now; False when it is no
    longer this run's (finished, or reclaimed after a missed deadline)."""
    moved = conn.execute(
        update(job).where(_this_run(job_id, attempt)).values(deadline_at=_now() + lease)
    ).rowcount
    return bool(moved == 1)


def succeed(conn: Connection, job_id: int, attempt: int, result: JSON) -> bool:
    """False when the job is no longer this run's: its outcome is dropped."""
    done = conn.execute(
        update(job)
        .where(_this_run(job_id, attempt))
        .values(
            status="succeeded",
            progress=1.0,
            result=json.dumps(result),
            error=None,
            finished_at=_now(),
            deadline_at=None,
        )
    ).rowcount
    return bool(done == 1)


def requeue(conn: Connection, job_id: int, attempt: int, error: str, *, due: dt.timedelta) -> bool:
    """A failed run with attempts left: queued again (to be claimed within `due`), the
    last error kept for the user. False when the job is no longer this run's."""
    moved = conn.execute(
        update(job)
        .where(_this_run(job_id, attempt))
        .values(status="queued", error=error, deadline_at=_now() + due)
    ).rowcount
    return bool(moved == 1)


def fail(conn: Connection, job_id: int, error: str, *, attempt: int | None = None) -> bool:
    """Failed for good. With `attempt`, only while the job is that run's; without, from
    any state but finished (a job the broker refused, an unknown kind)."""
    where = (
        _this_run(job_id, attempt)
        if attempt is not None
        else and_(job.c.id == job_id, job.c.status.in_(("queued", "running")))
    )
    done = conn.execute(
        update(job)
        .where(where)
        .values(status="failed", error=error, finished_at=_now(), deadline_at=None)
    ).rowcount
    return bool(done == 1)


@dataclass(frozen=True, slots=True)
class Overdue:
    """A job past its deadline: a queued one no worker took, a running one whose worker
    stopped renewing its lease."""

    id: int
    status: str
    attempts: int


def overdue(conn: Connection, *, now: dt.datetime | None = None) -> list[Overdue]:
    """Jobs past their deadline (ix status, deadline_at), oldest deadline first."""
    rows = conn.execute(
        select(job.c.id, job.c.status, job.c.attempts)
        .where(job.c.status.in_(("queued", "running")), job.c.deadline_at < (now or _now()))
        .order_by(job.c.deadline_at)
    )
    return [Overdue(int(r.id), str(r.status), int(r.attempts)) for r in rows]


def reclaim(
    conn: Connection, lost: Overdue, *, max_attempts: int, lease: dt.timedelta
) -> str | None:
    """Take an overdue job back: `resend` (queued again, due within `lease`), `failed`
    (its worker was lost on the last attempt), or None when another process was first
    or the job moved on (finished, renewed) since `overdue` saw it."""
    still = and_(
        job.c.id == lost.id,
        job.c.status == lost.status,
        job.c.attempts == lost.attempts,
        job.c.deadline_at < _now(),
    )
    if lost.status == "running" and lost.attempts >= max_attempts:
        error = "worker lost during the last attempt (no heartbeat before the deadline)"
        values: dict[str, Any] = {
            "status": "failed",
            "error": error,
            "finished_at": _now(),
            "deadline_at": None,
        }
        outcome = "failed"
    else:
        values = {"status": "queued", "deadline_at": _now() + lease}
        if lost.status == "running":
            values["error"] = "worker lost (no heartbeat before the deadline): run again"
        outcome = "resend"
    moved = conn.execute(update(job).where(still).values(**values)).rowcount
    return outcome if moved == 1 else None


def purge_finished(conn: Connection, *, before: dt.datetime) -> int:
    """Delete the jobs that finished before `before`; how many."""
    return int(
        conn.execute(
            delete(job).where(
                and_(job.c.status.in_(("succeeded", "failed")), job.c.finished_at < before)
            )
        ).rowcount
    )
