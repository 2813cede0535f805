"""The job queue: huey on the broker FOYER_QUEUE names, foyer's `job` table for the rest.

- `sqlite` (default): a huey SQLite file beside the database; the API process runs the
  jobs itself (an embedded consumer thread), `foyer worker` processes may help.
- `redis` (FOYER_REDIS_URL): `foyer worker` processes on any machine, same task code.
- `immediate` (tests): a job runs inside `enqueue`, retries included when they have no delay.

huey is handed a job's id and nothing else (one registered task, `foyer.run_job`): the
job's kind, payload, status and outcome live in the database, which the /jobs API reads.
"""

from __future__ import annotations

import datetime as dt
import logging
import random
from collections.abc import Callable, Mapping
from functools import partial
from typing import Any

from huey import MemoryHuey, RedisHuey, SqliteHuey, crontab
from huey.api import Huey
from huey.consumer import Consumer

from foyer.auth import revocation
from foyer.db.engine import Database
from foyer.jobs.backoff import retry_delay
from foyer.jobs.kinds import KINDS, JobFunction
from foyer.jobs.runner import describe, run_job
from foyer.observability.logs import job_logging
from foyer.services import imports, jobs
from foyer.settings import Settings

log = logging.getLogger("foyer.jobs")

RUN_JOB = "foyer.run_job"
HOUSEKEEPING = "foyer.housekeeping"
RECLAIM_JOBS = "foyer.reclaim_jobs"


class UnknownJobKindError(ValueError):
    """No kind of that name in foyer.jobs.kinds.KINDS."""


#: An idle consumer polls its broker at most this many seconds apart. huey's default (10 s,
#: reached by backoff while idle) left a job queued 2.8 s after a click in a quiet app;
#: one cheap query a second per worker thread buys a pickup within a second.
POLL_AT_MOST_EVERY = 1.0


class QueueUnavailableError(RuntimeError):
    """The broker refused the job (e.g. Redis down); the job row is marked failed."""


class EmbeddedConsumer(Consumer):  # type: ignore[misc]
    """huey's consumer inside a host process: its threads, not its signal handlers
    (the host — uvicorn — owns SIGINT/SIGTERM, and a non-main thread cannot set them)."""

    def _set_signal_handlers(self) -> None:
        pass


def make_huey(settings: Settings) -> Huey:
    # results=False: outcomes are written to the job table, never to the broker.
    name = settings.queue_name
    if settings.queue == "immediate":
        return MemoryHuey(name, immediate=True, results=False)
    if settings.queue == "redis":
        # clean_name=False: the keys carry the name as given (`huey.redis.<name>`).
        return RedisHuey(name, url=settings.redis_url, results=False, clean_name=False)
    settings.queue_file.parent.mkdir(parents=True, exist_ok=True)
    return SqliteHuey(name, filename=str(settings.queue_file), results=False)


class JobQueue:
    """Enqueue jobs, run them (the task huey calls), and host an embedded consumer."""

    def __init__(
        self,
        settings: Settings,
        database: Database,
        *,
        kinds: Mapping[str, JobFunction] = KINDS,
        rng: Callable[[], float] = random.random,
    ) -> None:
        self.settings = settings
        self.database = database
        self.kinds = kinds
        self.huey = make_huey(settings)
        self._delay = partial(retry_delay, base=settings.job_retry_delay_seconds, rng=rng)
        self.lease = dt.timedelta(seconds=settings.job_lease_seconds)
        self._run = self.huey.task(name=RUN_JOB)(self.run)
        # Every consumer runs huey's scheduler, so with several consumers these run once per
        # consumer: each is safe to run concurrently (conditional updates, idempotent deletes).
        self.huey.periodic_task(crontab(minute="17", hour="3"), name=HOUSEKEEPING)(
            self.housekeeping
        )
        self.huey.periodic_task(crontab(), name=RECLAIM_JOBS)(self.reclaim)
        self._consumer: EmbeddedConsumer | None = None

    def enqueue(
        self, kind: str, *, household_id: int, payload: dict[str, Any] | None = None
    ) -> int:
        """A queued job row (committed), then its id handed to huey; the job's id."""
        if kind not in self.kinds:
            raise UnknownJobKindError(kind)
        with self.database.unit_of_work() as conn:
            job_id = jobs.create(
                conn, household_id=household_id, kind=kind, payload=payload or {}, lease=self.lease
            )
        self._send(job_id)
        return job_id

    def _send(self, job_id: int) -> None:
        try:
            self._run(job_id)
        except Exception as exc:
            # A queued row no worker will ever see would wait forever: say so instead.
            with self.database.unit_of_work() as conn:
                jobs.fail(conn, job_id, f"queue unavailable: {describe(exc)}")
            raise QueueUnavailableError(describe(exc)) from exc

    def run(self, job_id: int) -> None:
        """The task huey runs for every message (registered as `foyer.run_job`)."""
        with job_logging(job_id):  # every line the run logs carries the job's id
            run_job(
                # A job's statements may run past the API's statement_timeout (a rebuild, a
                # large import's insert): they get FOYER_DB_JOB_STATEMENT_TIMEOUT_MS instead.
                database=self.database.with_statement_timeout(
                    self.settings.db_job_statement_timeout_ms
                ),
                kinds=self.kinds,
                job_id=job_id,
                max_attempts=self.settings.job_max_attempts,
                delay=self._delay,
                lease=self.lease,
            )

    def depth(self) -> int:
        """Messages waiting in the broker (one round trip: a readiness check, a gauge).
        Raises when the broker does not answer."""
        return int(self.huey.pending_count())

    def reclaim(self) -> dict[str, int]:
        """Send again every job past its lease (every minute, and when a consumer starts):
        a running job whose worker died, a queued job no worker took. A job whose worker was
        lost on its last attempt is failed. Counts of each outcome."""
        with self.database.read() as conn:
            late = jobs.overdue(conn)
        counts = {"resent": 0, "failed": 0}
        for lost in late:
            with self.database.unit_of_work() as conn:
                outcome = jobs.reclaim(
                    conn, lost, max_attempts=self.settings.job_max_attempts, lease=self.lease
                )
            if outcome == "failed":
                counts["failed"] += 1
                log.warning("job %s failed: its worker was lost on the last attempt", lost.id)
            elif outcome == "resend":
                counts["resent"] += 1
                log.warning("job %s was %s past its lease: sent again", lost.id, lost.status)
                self._send(lost.id)
        return counts

    def housekeeping(self) -> dict[str, int]:
        """The daily periodic task (03:17 UTC): delete jobs finished more than
        FOYER_JOB_RETENTION_DAYS ago and import previews older than
        FOYER_IMPORT_PREVIEW_RETENTION_DAYS, and token revocations whose tokens have all
        expired, then refresh the planner's statistics."""
        now = dt.datetime.now(dt.UTC)
        with self.database.unit_of_work() as conn:
            purged_jobs = jobs.purge_finished(
                conn, before=now - dt.timedelta(days=self.settings.job_retention_days)
            )
            purged_previews = imports.purge_previews(
                conn, before=now - dt.timedelta(days=self.settings.import_preview_retention_days)
            )
            revocation.purge_expired(conn, now=now)  # logs what it purged
        self.database.optimize()
        log.info("housekeeping: purged %s job(s), %s preview(s)", purged_jobs, purged_previews)
        return {"jobs": purged_jobs, "previews": purged_previews}

    def consumer(self, *, workers: int) -> Consumer:
        """A consumer for `foyer worker` (huey's own, signals and all)."""
        return self.huey.create_consumer(
            workers=workers, worker_type="thread", max_delay=POLL_AT_MOST_EVERY
        )

    def start_embedded(self) -> None:
        """Run jobs in this process, on `FOYER_WORKER_THREADS` threads (+ huey's scheduler)."""
        if self._consumer is not None:
            return
        self.reclaim()  # what a worker that died before this start left behind
        self._consumer = EmbeddedConsumer(
            self.huey,
            workers=self.settings.worker_threads,
            worker_type="thread",
            check_worker_health=False,
            shutdown_timeout=10.0,
            max_delay=POLL_AT_MOST_EVERY,
        )
        self._consumer.start()

    def stop_embedded(self) -> None:
        """Stop taking jobs; wait (up to 10 s) for the ones running to finish."""
        consumer, self._consumer = self._consumer, None
        if consumer is not None:
            consumer.stop(graceful=True)
