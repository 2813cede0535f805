"""A job worker made to be killed: `python -m tests.jobs.doomed_worker PHASE MARKER`.

It consumes the queue FOYER_* names (what `foyer worker` does), but its `commit_import`
hangs, and writes MARKER first, at PHASE: `inside` its write transaction (the rows are
inserted, not committed) or `after` it (committed; the job's success not yet recorded).
tests/jobs/test_killed_worker.py kills it there with SIGKILL.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

from foyer.db.engine import Database, make_engine
from foyer.jobs import JobContext, JobQueue
from foyer.services import imports
from foyer.settings import Settings


def main(phase: str, marker: Path) -> None:
    def commit_and_hang(ctx: JobContext) -> dict[str, Any]:
        with ctx.database.unit_of_work() as conn:
            imports.commit_import(
                conn, household_id=ctx.household_id, import_id=int(ctx.payload["import_id"])
            )
            if phase == "inside":
                marker.write_text(phase)
                time.sleep(600)
        marker.write_text(phase)
        time.sleep(600)
        raise AssertionError("a doomed worker lived")

    settings = Settings()
    queue = JobQueue(
        settings, Database(make_engine(settings)), kinds={"commit_import": commit_and_hang}
    )
    queue.consumer(workers=1).run()


if __name__ == "__main__":
    main(sys.argv[1], Path(sys.argv[2]))
