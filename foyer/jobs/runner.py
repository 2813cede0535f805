"""One run of one job: claim it, run its kind, record the outcome in the `job` table.

The broker only carries the job id; everything the /jobs API shows is written here, each
step in a unit of work of its own so it is visible at once. A failed run with attempts
left goes back to `queued` (its error kept) and asks huey to deliver it again after a
jittered backoff (`RetryTask`); the last failed attempt marks it `failed`.

While a job runs, a heartbeat thread renews its lease every third of it: a worker that
dies (killed, its machine gone) stops renewing, and `JobQueue.reclaim` sends the job again
once the lease has passed. The kinds are idempotent, so the job lands exactly once.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager

from huey.exceptions import RetryTask

from foyer.db.engine import Database
from foyer.jobs.kinds import JobContext, JobFunction
from foyer.services import jobs

log = logging.getLogger("foyer.jobs")


def describe(exc: BaseException) -> str:
    """The error a user sees: the exception's type and message, never a traceback."""
    message = str(exc)
    return f"{type(exc).__name__}: {message}" if message else type(exc).__name__


@contextmanager
def heartbeat(database: Database, job_id: int, attempt: int, lease: dt.timedelta) -> Iterator[None]:
    """Renew the running job's lease every lease/3 until the block ends."""
    stop = threading.Event()

    def beat() -> None:
        while not stop.wait(lease.total_seconds() / 3):
            try:
                with database.unit_of_work() as conn:
                    if not jobs.renew(conn, job_id, attempt, lease=lease):
                        return  # finished, or reclaimed: nothing left to keep alive
            except Exception:
                # A missed beat is not fatal (the next one may get through); if they all
                # fail, the lease passes and the job runs again, which kinds allow.
                log.warning("job %s: lease renewal failed", job_id, exc_info=True)

    thread = threading.Thread(target=beat, name=f"foyer-job-{job_id}-heartbeat", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()


def run_job(
    *,
    database: Database,
    kinds: Mapping[str, JobFunction],
    job_id: int,
    max_attempts: int,
    delay: Callable[[int], float],
    lease: dt.timedelta,
) -> None:
    """Run job `job_id` once. Raises `RetryTask` when huey should deliver it again."""
    with database.unit_of_work() as conn:
        claimed = jobs.claim(conn, job_id, lease=lease)
    if claimed is None:
        # Running, finished, or gone with its household: a duplicate delivery does nothing.
        log.info("job %s is not queued; nothing to run", job_id)
        return
    attempt = claimed.attempts
    function = kinds.get(claimed.kind)
    if function is None:
        with database.unit_of_work() as conn:
            jobs.fail(conn, job_id, f"unknown job kind {claimed.kind!r}", attempt=attempt)
        return

    def progress(fraction: float) -> None:
        with database.unit_of_work() as conn:
            jobs.set_progress(conn, job_id, attempt, fraction, lease=lease)

    context = JobContext(
        database=database,
        job_id=job_id,
        household_id=claimed.household_id,
        payload=claimed.payload,
        attempt=attempt,
        progress=progress,
    )
    try:
        with heartbeat(database, job_id, attempt, lease):
            result = function(context)
    except Exception as exc:
        error = describe(exc)
        log.exception("job %s (%s) attempt %s failed", job_id, claimed.kind, attempt)
        if attempt >= max_attempts:
            with database.unit_of_work() as conn:
                jobs.fail(conn, job_id, error, attempt=attempt)
            return
        wait = delay(attempt)
        with database.unit_of_work() as conn:
            requeued = jobs.requeue(
                conn, job_id, attempt, error, due=dt.timedelta(seconds=wait) + lease
            )
        if not requeued:
            log.warning("job %s was reclaimed during attempt %s: not retried here", job_id, attempt)
            return
        # No delay: huey enqueues it again at once (and runs it at once in immediate mode).
        raise RetryTask(error, delay=wait or None) from exc
    with database.unit_of_work() as conn:
        if not jobs.succeed(conn, job_id, attempt, result):
            log.warning("job %s was reclaimed during attempt %s: result dropped", job_id, attempt)
