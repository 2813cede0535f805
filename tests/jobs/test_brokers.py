"""The real brokers: huey's SQLite file with the API's embedded consumer, Redis with a
separate consumer (what `foyer worker` runs), and `foyer worker` itself as a process.

Redis (127.0.0.1:6379, FOYER_TEST_REDIS_URL): each test's queue is named
`foyer-test-<random>` and only its own keys are deleted afterwards, never the database.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from foyer.db.engine import Database
from foyer.jobs import JobQueue
from foyer.settings import Settings
from tests.factories import household_api

DEADLINE = 30.0  # seconds a job may take to be picked up and run (polling, not timing)


def wait_finished(get: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    end = time.monotonic() + DEADLINE
    while True:
        job = get()
        if job["status"] in ("succeeded", "failed") or time.monotonic() > end:
            return job
        time.sleep(0.05)


def start_rebuild(client: TestClient, engine: Engine) -> tuple[Callable[[], dict[str, Any]], int]:
    api = household_api(client, engine, email="alex@example.com", household="Home")
    job_id = api.post("/jobs/rebuild-aggregates", None).json()["job_id"]
    return (lambda: api.ok(f"/jobs/{job_id}")), job_id


def test_the_api_runs_jobs_itself_on_the_sqlite_queue(
    fresh_app: Callable[..., FastAPI], engine: Engine, tmp_path: Path
) -> None:
    app = fresh_app(queue="sqlite", queue_path=tmp_path / "queue.db")
    with TestClient(app) as client:
        get, _ = start_rebuild(client, engine)
        job = wait_finished(get)
    assert (job["status"], job["attempts"]) == ("succeeded", 1)
    assert (tmp_path / "queue.db").exists()


def test_redis_queue_jobs_run_in_a_separate_consumer(
    fresh_app: Callable[..., FastAPI],
    migrated: tuple[Settings, Engine],
    engine: Engine,
    redis_queue_name: tuple[str, str],
) -> None:
    url, name = redis_queue_name
    broker = {"queue": "redis", "redis_url": url, "queue_name": name}
    app = fresh_app(**broker, worker_embedded="off")
    settings, _ = migrated
    worker = JobQueue(settings.model_copy(update=broker), Database(engine))
    with TestClient(app) as client:
        get, _ = start_rebuild(client, engine)
        assert get()["status"] == "queued"  # the API process runs nothing itself
        worker.start_embedded()
        try:
            job = wait_finished(get)
        finally:
            worker.stop_embedded()
    assert (job["status"], job["attempts"]) == ("succeeded", 1)


def test_foyer_worker_runs_queued_jobs(
    fresh_app: Callable[..., FastAPI],
    migrated: tuple[Settings, Engine],
    engine: Engine,
    tmp_path: Path,
) -> None:
    settings, _ = migrated
    queue_path = tmp_path / "queue.db"
    app = fresh_app(queue="sqlite", queue_path=queue_path, worker_embedded="off")
    env = {
        **os.environ,
        "FOYER_DATABASE_URL": settings.database_url,
        "FOYER_QUEUE": "sqlite",
        "FOYER_QUEUE_PATH": str(queue_path),
        "FOYER_LOG_LEVEL": "WARNING",
    }
    env.pop("FOYER_REDIS_URL", None)
    with TestClient(app) as client:
        get, _ = start_rebuild(client, engine)
        assert get()["status"] == "queued"
        command = [sys.executable, "-m", "foyer", "worker"]
        worker = subprocess.Popen(command, env=env, cwd=tmp_path)
        try:
            job = wait_finished(get)
        finally:
            worker.send_signal(signal.SIGINT)  # graceful: finish what runs, then exit
            assert worker.wait(timeout=DEADLINE) == 0
    assert (job["status"], job["attempts"]) == ("succeeded", 1)
