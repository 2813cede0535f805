"""GET /jobs/{id}, GET /jobs and POST /jobs/rebuild-aggregates (SPEC §8): shapes, order,
household scope. The suite's app runs jobs immediately (tests/conftest.py)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Engine, update

from foyer.db.schema import agg_month
from tests.factories import Api, make_transaction
from tests.helpers import assert_envelope

FIELDS = {
    "id",
    "kind",
    "status",
    "progress",
    "result",
    "error",
    "created_at",
    "started_at",
    "finished_at",
    "attempts",
}


def test_a_started_rebuild_is_read_back_with_the_specs_shape(api: Api, engine: Engine) -> None:
    api.create_transactions(make_transaction(amount=-12.5), make_transaction(amount=-3))
    with engine.begin() as conn:
        conn.execute(update(agg_month).values(transactions=0))

    started = api.post("/jobs/rebuild-aggregates", None)

    assert started.status_code == 202
    assert set(started.json()) == {"job_id"}
    job = api.ok(f"/jobs/{started.json()['job_id']}")
    assert set(job) == FIELDS
    assert job["kind"] == "rebuild_aggregates"
    assert (job["status"], job["progress"], job["attempts"], job["error"]) == (
        "succeeded",
        1.0,
        1,
        None,
    )
    assert job["result"]["mismatches_before"] == 1
    for field in ("created_at", "started_at", "finished_at"):
        assert dt.datetime.fromisoformat(job[field]).utcoffset() == dt.timedelta(0)
    assert api.ok("/dashboard/summary", month="2025-06")["actuals"]["transactions"] == 2


def test_the_listing_is_newest_first_and_limited(api: Api) -> None:
    ids = [api.post("/jobs/rebuild-aggregates", None).json()["job_id"] for _ in range(3)]

    assert [j["id"] for j in api.ok("/jobs")["items"]] == ids[::-1]
    assert [j["id"] for j in api.ok("/jobs", limit=2)["items"]] == ids[:0:-1]
    assert api.get("/jobs", limit=0).status_code == 422


def test_another_households_job_is_a_404(api: Api, other_api: Api) -> None:
    job_id = api.post("/jobs/rebuild-aggregates", None).json()["job_id"]

    assert_envelope(other_api.get(f"/jobs/{job_id}"), 404, "not_found")
    assert other_api.ok("/jobs") == {"items": []}
    assert api.ok(f"/jobs/{job_id}")["id"] == job_id


def test_jobs_need_a_token(api: Api) -> None:
    assert api.client.get("/api/v1/jobs").status_code == 401
