"""Jobs: long work run off the request, on huey (SQLite file or Redis), state in the database.

- `queue`: `JobQueue` (enqueue, the task huey runs, the embedded consumer), `make_huey`;
- `runner`: one run of one job (claim, run, record; retries);
- `kinds`: every kind of job, declared once (`KINDS`), and `JobContext`;
- `backoff`: the retry delay (exponential, jittered).
The `job` table's writes are in foyer.services.jobs, its reads in foyer.read.jobs.
"""

from __future__ import annotations

from foyer.jobs.kinds import KINDS, JobContext, JobFunction
from foyer.jobs.queue import JobQueue, QueueUnavailableError, UnknownJobKindError

__all__ = [
    "KINDS",
    "JobContext",
    "JobFunction",
    "JobQueue",
    "QueueUnavailableError",
    "UnknownJobKindError",
]
