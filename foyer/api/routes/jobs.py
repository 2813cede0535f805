"""/jobs (SPEC §8): the household's jobs, read from the database (never the broker), and
the jobs a household may start itself."""

from __future__ import annotations

from fastapi import APIRouter

from foyer.api.deps import Claims, State
from foyer.api.errors import ApiError, not_found
from foyer.api.params import Recent, RowId
from foyer.jobs import QueueUnavailableError
from foyer.read.jobs import get_job, list_jobs
from foyer.schemas.jobs import JobPage, JobRead, JobStarted

router = APIRouter(prefix="/jobs", tags=["jobs"])


@router.get("", response_model=JobPage)
def list_household_jobs(
    state: State,
    claims: Claims,
    limit: Recent = 20,
) -> JobPage:
    """The household's most recent jobs, newest first."""
    with state.database.read() as conn:
        views = list_jobs(conn, household_id=claims.household_id, limit=limit)
    return JobPage(items=[JobRead.model_validate(view) for view in views])


@router.get("/{job_id}", response_model=JobRead, responses={404: {}})
def get_household_job(state: State, claims: Claims, job_id: RowId) -> JobRead:
    with state.database.read() as conn:
        view = get_job(conn, household_id=claims.household_id, job_id=job_id)
    if view is None:
        raise not_found("job")
    return JobRead.model_validate(view)


@router.post("/rebuild-aggregates", response_model=JobStarted, status_code=202, responses={503: {}})
def start_rebuild_aggregates(state: State, claims: Claims) -> JobStarted:
    """Reload the household's dashboard aggregates from its transactions, as a job."""
    try:
        job_id = state.jobs.enqueue("rebuild_aggregates", household_id=claims.household_id)
    except QueueUnavailableError as exc:
        raise ApiError(503, "job queue unavailable") from exc
    return JobStarted(job_id=job_id)
