"""A job's progress as the Imports room shows it (a bank file's commit, rules applied to
months): a page, and the fragment htmx polls every second until the job is finished.

It reads the `job` row (foyer.read.jobs), as `GET /api/v1/jobs/{id}` does — never the broker —
scoped to the session's household: another household's job is a 404.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from starlette.responses import Response

from foyer.api.deps import State
from foyer.read.jobs import JobView, get_job
from foyer.web.i18n import Words
from foyer.web.imports_shared import NO_STORE, not_found, page, valid_month
from foyer.web.pages import Lang_
from foyer.web.render import html, render
from foyer.web.session import WebClaims

router = APIRouter(prefix="/jobs", include_in_schema=False)  # under /imports (imports_pages)

TITLES = {"commit_import": "imports.job_commit", "apply_rules": "imports.job_apply"}
STATUSES = {
    "queued": "imports.job_queued",
    "running": "imports.job_running",
    "succeeded": "imports.job_succeeded",
    "failed": "imports.job_failed",
}
#: What each kind's result shows, in order: (result key, words).
RESULTS = {
    "commit_import": (
        ("inserted", "imports.result_inserted"),
        ("duplicates", "imports.result_duplicates"),
        ("errors", "imports.result_errors"),
    ),
    "apply_rules": (
        ("changed", "imports.result_changed"),
        ("examined", "imports.result_examined"),
        ("months", "imports.result_months"),
    ),
}
FINISHED = frozenset({"succeeded", "failed"})


@dataclass(frozen=True, slots=True)
class JobShown:
    """A job as its fragment shows it."""

    id: int
    title: str
    status: str
    finished: bool
    percent: int
    results: list[tuple[str, int]]
    error: str | None
    month: str | None  # the dashboard month to go and see, when known
    poll: str  # the fragment's own URL
    page: str  # the job's page (to reload it by hand without the script)


def shown(w: Words, job: JobView, month: str | None) -> JobShown:
    query = "" if month is None else "?" + urlencode({"month": month})
    result = job.result or {}
    return JobShown(
        id=job.id,
        title=w.t(TITLES.get(job.kind, "imports.job_other")),
        status=w.t(STATUSES.get(job.status, "imports.job_queued")),
        finished=job.status in FINISHED,
        percent=100 if job.status == "succeeded" else round(100 * job.progress),
        results=[
            (w.t(key), int(result[name]))
            for name, key in RESULTS.get(job.kind, ())
            if isinstance(result.get(name), int)
        ],
        error=job.error if job.status == "failed" else None,
        month=month if job.status == "succeeded" else None,
        poll=f"/imports/jobs/{job.id}/progress{query}",
        page=f"/imports/jobs/{job.id}{query}",
    )


def fragment(request: Request, w: Words, job: JobView, month: str | None) -> Response:
    """The job's fragment alone (htmx: a poll, or the answer to a form that started it)."""
    body = render("_imports_job.html", {"w": w, "job": shown(w, job, month)})
    return html(body, headers=NO_STORE)


def _job(state: State, household_id: int, job_id: int) -> JobView | None:
    with state.database.read() as conn:
        return get_job(conn, household_id=household_id, job_id=job_id)


@router.get("/{job_id:int}")
def job_page(
    request: Request,
    state: State,
    claims: WebClaims,
    w: Lang_,
    job_id: int,
    month: str | None = None,
) -> Response:
    job = _job(state, claims.household_id, job_id)
    if job is None:
        return not_found(request, w)
    shown_job = shown(w, job, valid_month(month))
    back = "/imports/rules" if job.kind == "apply_rules" else "/imports"
    tab = "rules" if job.kind == "apply_rules" else "files"
    return page(request, w, "imports_job.html", job=shown_job, back=back, tab=tab)


@router.get("/{job_id:int}/progress")
def job_progress(
    request: Request,
    state: State,
    claims: WebClaims,
    w: Lang_,
    job_id: int,
    month: str | None = None,
) -> Response:
    job = _job(state, claims.household_id, job_id)
    if job is None:
        return not_found(request, w)
    return fragment(request, w, job, valid_month(month))
