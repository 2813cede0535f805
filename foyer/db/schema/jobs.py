"""The job table: what the queue's jobs did (foyer.jobs)."""

from __future__ import annotations

from sqlalchemy import (
    CheckConstraint,
    Column,
    DateTime,
    Float,
    Index,
    Integer,
    String,
    Table,
    Text,
)

from foyer.db.schema.base import BigId, household_fk, metadata

# Jobs (foyer.jobs): the queue's broker (huey: SQLite file or Redis) only carries a job's
# id; its status, progress, attempts, payload and outcome live here, so the /jobs API
# reads the database and a job's history outlives the broker. `result` and `payload`
# are JSON text. Listing a household's recent jobs is one range of the index.
# `deadline_at` is the lease (foyer.jobs.queue.JobQueue.reclaim): a queued job must be
# claimed by then, a running one finished or its lease renewed by then; past it, the
# worker is taken for lost (killed, its machine gone) and the job is sent again.
JOB_STATUSES = ("queued", "running", "succeeded", "failed")

job = Table(
    "job",
    metadata,
    Column("id", BigId, primary_key=True),
    household_fk(),
    Column("kind", String(50), nullable=False),
    Column("status", String(10), nullable=False),
    Column("progress", Float, nullable=False),
    Column("payload", Text, nullable=False),
    Column("result", Text, nullable=True),
    Column("error", Text, nullable=True),
    Column("attempts", Integer, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("started_at", DateTime(timezone=True), nullable=True),
    Column("finished_at", DateTime(timezone=True), nullable=True),
    Column("deadline_at", DateTime(timezone=True), nullable=True),
    CheckConstraint("status IN ('queued', 'running', 'succeeded', 'failed')", name="status"),
    CheckConstraint("progress >= 0 AND progress <= 1", name="progress"),
    CheckConstraint("attempts >= 0", name="attempts"),
    Index(None, "household_id", "id"),  # read backwards: newest first
    Index(None, "status", "deadline_at"),  # the reclaim scan: overdue queued/running jobs
)
