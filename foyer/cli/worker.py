"""`foyer worker`: run jobs from the queue in this process until stopped.

With FOYER_QUEUE=sqlite it helps (or replaces, with FOYER_WORKER_EMBEDDED=off) the API
processes' embedded consumers on the same machine; with FOYER_QUEUE=redis it is how jobs
run on any number of machines. Ctrl-C (SIGINT) finishes the running jobs first; SIGTERM
stops at once.
"""

from __future__ import annotations

import logging.config
from typing import Annotated

import typer

from foyer.cli.common import command_engine, console
from foyer.settings import Settings


def worker(
    threads: Annotated[
        int | None, typer.Option(min=1, help="Worker threads (default FOYER_WORKER_THREADS).")
    ] = None,
) -> None:
    """Run queued jobs (FOYER_QUEUE sqlite or redis) until stopped."""
    from foyer.app import check_schema
    from foyer.db.engine import Database
    from foyer.jobs import JobQueue
    from foyer.observability.logs import settings_config

    settings = Settings()
    if settings.queue == "immediate":
        console.print("[red]FOYER_QUEUE=immediate runs jobs where they are enqueued[/red]")
        raise typer.Exit(2)
    # huey's lines and the jobs' (each with its job id) as JSON (FOYER_LOG_FORMAT).
    logging.config.dictConfig(settings_config(settings, access_log=False))
    with command_engine(settings) as engine:
        check_schema(engine)
        queue = JobQueue(settings, Database(engine))
        queue.reclaim()  # jobs a worker that died (this one, before a restart) left running
        console.print(f"foyer worker on the {settings.queue} queue {settings.queue_name!r}")
        queue.consumer(workers=threads or settings.worker_threads).run()
