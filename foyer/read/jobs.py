"""A household's jobs, as the /jobs API shows them (newest first)."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Select, func, select

from foyer.db.engine import as_utc
from foyer.db.schema import job

JSON = dict[str, Any]


@dataclass(frozen=True, slots=True)
class JobView:
    id: int
    kind: str
    status: str
    progress: float
    result: JSON | None
    error: str | None
    created_at: dt.datetime
    started_at: dt.datetime | None
    finished_at: dt.datetime | None
    attempts: int


def _query() -> Select[Any]:
    return select(
        job.c.id,
        job.c.kind,
        job.c.status,
        job.c.progress,
        job.c.result,
        job.c.error,
        job.c.created_at,
        job.c.started_at,
        job.c.finished_at,
        job.c.attempts,
    )


def _utc(value: dt.datetime | None) -> dt.datetime | None:
    return None if value is None else as_utc(value)


def _view(row: Any) -> JobView:
    return JobView(
        id=int(row.id),
        kind=row.kind,
        status=row.status,
        progress=float(row.progress),
        result=None if row.result is None else json.loads(row.result),
        error=row.error,
        created_at=_utc(row.created_at) or row.created_at,
        started_at=_utc(row.started_at),
        finished_at=_utc(row.finished_at),
        attempts=int(row.attempts),
    )


def get_job(conn: Connection, *, household_id: int, job_id: int) -> JobView | None:
    """The job, or None when it does not exist *for this household*."""
    row = conn.execute(
        _query().where(job.c.household_id == household_id, job.c.id == job_id)
    ).one_or_none()
    return None if row is None else _view(row)


def list_jobs(conn: Connection, *, household_id: int, limit: int) -> list[JobView]:
    """The household's `limit` most recent jobs (ix_job_household_id_id, read backwards)."""
    query = (
        _query().where(job.c.household_id == household_id).order_by(job.c.id.desc()).limit(limit)
    )
    return [_view(row) for row in conn.execute(query)]


def counts_by_kind_and_status(conn: Connection) -> dict[tuple[str, str], int]:
    """Every household's jobs counted by (kind, status): the operators' gauge and report.
    The job table is purged of finished jobs after FOYER_JOB_RETENTION_DAYS, so it stays small."""
    query = select(job.c.kind, job.c.status, func.count()).group_by(job.c.kind, job.c.status)
    return {(kind, status): int(count) for kind, status, count in conn.execute(query)}
