"""One run of one job: claim it, run its kind, record the outcome in the `job` table.

The broker only carries the job id; everything the /jobs API shows is written here, each
step in a unit of work of its own so it is visible at once. A failed run with attempts
left goes back to `queued` (its error kept) and asks huey to deliver it again after a
jittered backoff (`RetryTask`); the last failed attempt marks it `failed`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping

from huey.exceptions import RetryTask

from foyer.db.engine import Database
from foyer.jobs.kinds import JobContext, JobFunction
from foyer.services import jobs

log = logging.getLogger("foyer.jobs")


def describe(exc: BaseException) -> str:
    """The error a user sees: the exception's type and message, never a traceback."""
    message = str(exc)
    return f"{type(exc).__name__}: {message}" if message else type(exc).__name__


def run_job(
    *,
    database: Database,
    kinds: Mapping[str, JobFunction],
    job_id: int,
    max_attempts: int,
    delay: Callable[[int], float],
) -> None:
    """Run job `job_id` once. Raises `RetryTask` when huey should deliver it again."""
    with database.unit_of_work() as conn:
        claimed = jobs.claim(conn, job_id)
    if claimed is None:
        # Running, finished, or gone with its household: a duplicate delivery does nothing.
        log.info("job %s is not queued; nothing to run", job_id)
        return
    function = kinds.get(claimed.kind)
    if function is None:
        with database.unit_of_work() as conn:
            jobs.fail(conn, job_id, f"unknown job kind {claimed.kind!r}")
        return

    def progress(fraction: float) -> None:
        with database.unit_of_work() as conn:
            jobs.set_progress(conn, job_id, fraction)

    context = JobContext(
        database=database,
        job_id=job_id,
        household_id=claimed.household_id,
        payload=claimed.payload,
        attempt=claimed.attempts,
        progress=progress,
    )
    try:
        result = function(context)
    except Exception as exc:
        error = describe(exc)
        log.exception("job %s (%s) attempt %s failed", job_id, claimed.kind, claimed.attempts)
        if claimed.attempts >= max_attempts:
            with database.unit_of_work() as conn:
                jobs.fail(conn, job_id, error)
            return
        with database.unit_of_work() as conn:
            jobs.requeue(conn, job_id, error)
        wait = delay(claimed.attempts)
        # No delay: huey enqueues it again at once (and runs it at once in immediate mode).
        raise RetryTask(error, delay=wait or None) from exc
    with database.unit_of_work() as conn:
        jobs.succeed(conn, job_id, result)
