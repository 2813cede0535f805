"""A job's life in the `job` table: queued → running → succeeded | failed, retries counted,
progress committed while it runs; on SQLite and PostgreSQL, with huey in immediate mode."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy import Engine, update

from foyer.db.engine import Database
from foyer.db.schema import agg_month, bank_import, job
from foyer.jobs import KINDS, JobContext, UnknownJobKindError
from foyer.jobs.queue import HOUSEKEEPING, RECLAIM_JOBS
from foyer.read.jobs import JobView, get_job
from foyer.services import aggregates, imports
from tests.factories import insert_rows, make_households, service_row, unit_of_work
from tests.jobs.conftest import MakeQueue


def read(engine: Engine, household_id: int, job_id: int) -> JobView:
    with Database(engine).read() as conn:
        view = get_job(conn, household_id=household_id, job_id=job_id)
    assert view is not None
    return view


def failing(times: int, calls: list[int]) -> Any:
    """A kind failing its first `times` runs, then answering {"attempt": n}."""

    def run(ctx: JobContext) -> dict[str, Any]:
        calls.append(ctx.attempt)
        if len(calls) <= times:
            raise ValueError("bank unreachable")
        return {"attempt": ctx.attempt}

    return run


def test_rebuild_aggregates_runs_to_succeeded_with_its_result(
    engine: Engine, make_queue: MakeQueue
) -> None:
    household, other = make_households(engine)
    insert_rows(engine, household, service_row(amount_cents=-1250), service_row(amount_cents=-300))
    insert_rows(engine, other, service_row(amount_cents=-999))
    with engine.begin() as conn:  # damage this household's month totals
        conn.execute(update(agg_month).values(transactions=99))
    queue = make_queue(KINDS)

    job_id = queue.enqueue("rebuild_aggregates", household_id=household)

    view = read(engine, household, job_id)
    assert (view.kind, view.status, view.progress, view.attempts) == (
        "rebuild_aggregates",
        "succeeded",
        1.0,
        1,
    )
    assert view.error is None
    assert view.result == {
        "mismatches_before": 1,
        "groups": {"agg_month": 1, "agg_category": 1, "agg_tag": 0, "agg_label": 1},
    }
    assert view.started_at is not None
    assert view.finished_at is not None
    assert view.created_at <= view.started_at <= view.finished_at
    with Database(engine).read() as conn:
        assert aggregates.verify(conn, household) == []
        # The other household's (damaged) totals were not the job's business.
        assert len(aggregates.verify(conn, other)) == 1


def test_a_failing_job_is_retried_then_failed_with_its_error(
    engine: Engine, make_queue: MakeQueue
) -> None:
    household, _ = make_households(engine)
    calls: list[int] = []
    queue = make_queue({"flaky": failing(99, calls)}, job_max_attempts=3)

    job_id = queue.enqueue("flaky", household_id=household)

    view = read(engine, household, job_id)
    assert calls == [1, 2, 3]
    assert (view.status, view.attempts, view.error) == ("failed", 3, "ValueError: bank unreachable")
    assert view.result is None
    assert view.finished_at is not None


def test_a_job_that_succeeds_on_a_retry_keeps_no_error(
    engine: Engine, make_queue: MakeQueue
) -> None:
    household, _ = make_households(engine)
    calls: list[int] = []
    queue = make_queue({"flaky": failing(2, calls)}, job_max_attempts=3)

    job_id = queue.enqueue("flaky", household_id=household)

    view = read(engine, household, job_id)
    assert (view.status, view.attempts, view.error, view.result) == (
        "succeeded",
        3,
        None,
        {"attempt": 3},
    )


def test_a_retried_job_waits_queued_with_a_jittered_backoff(
    engine: Engine, make_queue: MakeQueue
) -> None:
    household, _ = make_households(engine)
    calls: list[int] = []
    queue = make_queue({"flaky": failing(99, calls)}, job_retry_delay_seconds=10, rng=lambda: 0.0)

    before = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    job_id = queue.enqueue("flaky", household_id=household)

    view = read(engine, household, job_id)
    assert calls == [1]  # the retry is scheduled, not run
    assert (view.status, view.attempts, view.error) == ("queued", 1, "ValueError: bank unreachable")
    [scheduled] = queue.huey.scheduled()
    assert scheduled.args == (job_id,)
    # rng 0: the low end of [step / 2, step] for the first step of 10 s.
    waited = (scheduled.eta - before).total_seconds()
    assert 5 <= waited < 6


def test_progress_is_committed_while_the_job_runs(engine: Engine, make_queue: MakeQueue) -> None:
    household, _ = make_households(engine)
    seen: list[tuple[str, float]] = []

    def halfway(ctx: JobContext) -> dict[str, Any]:
        ctx.progress(0.25)
        view = read(engine, household, ctx.job_id)  # another connection sees it
        seen.append((view.status, view.progress))
        ctx.progress(7)  # clamped to 1
        seen.append((read(engine, household, ctx.job_id).status, 1.0))
        return {}

    job_id = make_queue({"halfway": halfway}).enqueue("halfway", household_id=household)

    assert seen == [("running", 0.25), ("running", 1.0)]
    assert read(engine, household, job_id).status == "succeeded"


def test_a_second_delivery_of_a_finished_job_runs_nothing(
    engine: Engine, make_queue: MakeQueue
) -> None:
    household, _ = make_households(engine)
    calls: list[int] = []
    queue = make_queue({"once": failing(0, calls)})
    job_id = queue.enqueue("once", household_id=household)

    queue.run(job_id)  # e.g. the broker delivered the message again

    assert calls == [1]
    assert read(engine, household, job_id).attempts == 1


def test_unknown_kinds_are_refused_before_anything_is_written(
    engine: Engine, make_queue: MakeQueue
) -> None:
    household, _ = make_households(engine)
    with pytest.raises(UnknownJobKindError):
        make_queue(KINDS).enqueue("reticulate_splines", household_id=household)
    with engine.connect() as conn:
        assert conn.execute(job.select()).all() == []


def test_old_finished_jobs_and_previews_are_purged_daily(
    engine: Engine, make_queue: MakeQueue
) -> None:
    household, _ = make_households(engine)
    queue = make_queue({"noop": lambda ctx: {}}, job_retention_days=30)
    old, recent = (queue.enqueue("noop", household_id=household) for _ in range(2))

    previews = []
    for _ in range(3):
        with unit_of_work(engine) as conn:
            staged = imports.create_import(
                conn,
                household_id=household,
                file_name="releve.csv",
                content=b"Date;Libelle;Montant\n05/02/2024;CAFE;-2,00\n",
                account="joint",
            )
        previews.append(staged.import_id)
    stale, committed, fresh = previews
    with unit_of_work(engine) as conn:
        imports.commit_import(conn, household_id=household, import_id=committed)
    long_ago = dt.datetime.now(dt.UTC) - dt.timedelta(days=31)
    with engine.begin() as conn:
        conn.execute(update(job).where(job.c.id == old).values(finished_at=long_ago))
        conn.execute(
            update(bank_import)
            .where(bank_import.c.id.in_((stale, committed)))
            .values(created_at=long_ago)
        )

    assert queue.housekeeping() == {"jobs": 1, "previews": 1}

    with engine.connect() as conn:
        kept = {row.id for row in conn.execute(bank_import.select())}
    assert kept == {committed, fresh}

    with engine.connect() as conn:
        assert [row.id for row in conn.execute(job.select())] == [recent]
    periodic = {task.name: task for task in queue.huey._registry.periodic_tasks}
    assert set(periodic) == {HOUSEKEEPING, RECLAIM_JOBS}  # what huey's scheduler enqueues
    assert periodic[HOUSEKEEPING].validate_datetime(dt.datetime(2026, 1, 5, 3, 17))
    assert not periodic[HOUSEKEEPING].validate_datetime(dt.datetime(2026, 1, 5, 4, 17))
    assert periodic[RECLAIM_JOBS].validate_datetime(dt.datetime(2026, 1, 5, 4, 18))
