"""Cache warming (foyer.cache.warming): after a write, the views its readers ask for next
are computed already (the calendar's recent months, what the household read recently, on
the worker after the commit); at start-up, the active households'. Warm-ups are not
lookups, and a failing one never fails the write. (The worker itself — the write's answer
not waiting for it, single-flight with readers, its bound: test_warming_worker.py.)

Counters are exact: each test's app counts from zero (tests/conftest.py).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from foyer.cache import views as view_catalogue
from foyer.months import this_month
from tests.factories import Api, make_transaction
from tests.helpers import reachable_redis_url


def l1(api: Api, view: str) -> tuple[float, float]:
    """(hits, misses) of `view` in the L1 of `api`'s app."""
    return api.count(view, "l1", "hit"), api.count(view, "l1", "miss")


def test_a_write_warms_the_views_of_its_recent_month(api: Api, app: FastAPI) -> None:
    month = this_month()
    api.create_transactions(make_transaction(date=f"{month}-01"))
    app.state.foyer.warmer.wait()
    api.ok("/dashboard/summary", month=month)
    api.ok("/transactions/hierarchy", month=month)
    assert (l1(api, "summary"), l1(api, "hierarchy")) == ((1, 0), (1, 0))


def test_old_months_are_not_warmed(api: Api, app: FastAPI) -> None:
    api.create_transactions(make_transaction(date="2020-01-05"))
    app.state.foyer.warmer.wait()
    api.ok("/dashboard/summary", month="2020-01")
    assert l1(api, "summary") == (0, 1)


def test_a_write_rewarms_what_its_household_read_recently(api: Api, app: FastAPI) -> None:
    api.create_transactions(make_transaction(date="2021-03-04", category="courses"))
    reads = [
        ("/dashboard/trends", {"from": "2020-10", "to": "2021-03"}),
        ("/dashboard/drill-down/courses", {"month": "2021-03", "level": "details"}),
        ("/dashboard/summary", {"month": "2021-03"}),
    ]
    for path, params in reads:
        api.ok(path, **params)  # misses: remembered
    api.create_transactions(make_transaction(date="2021-03-09", category="courses"))
    app.state.foyer.warmer.wait()
    for path, params in reads:
        body = api.ok(path, **params)
        if path == "/dashboard/summary":
            assert body["actuals"]["transactions"] == 2  # fresh, not the old entry
    # Each read twice: missed before the write, found warm after it.
    for view in ("trends", "drill_down_details", "summary"):
        assert l1(api, view) == (1, 1), view


def test_a_failing_warm_up_never_fails_the_write_nor_the_next_warm_ups(
    api: Api, app: FastAPI, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    # Remembered, re-warmed after writes: the summary first (the most recent read), then
    # the hierarchy, one household's batch on one connection.
    api.ok("/transactions/hierarchy", month="2021-03")
    api.ok("/dashboard/summary", month="2021-03")
    real = view_catalogue.BY_NAME["summary"]

    def broken(reader: Any, conn: Any, household_id: int, params: Any) -> Any:
        conn.exec_driver_sql("SELECT no_such_column FROM household")  # PostgreSQL: aborts
        raise AssertionError("unreachable")

    monkeypatch.setitem(
        view_catalogue.BY_NAME, "summary", dataclasses.replace(real, compute=broken)
    )
    [new_id] = api.create_transactions(make_transaction(date="2021-03-09"))
    assert api.get(f"/transactions/{new_id}").status_code == 200  # committed
    app.state.foyer.warmer.wait()
    assert "cache warm-up of summary failed" in caplog.text
    # The batch went on after the failure (PostgreSQL: on a new connection, the failed
    # one's transaction being aborted): the hierarchy was warmed.
    assert api.count("hierarchy", "l1", "warm") == 1
    assert l1(api, "hierarchy") == (0, 1)
    api.ok("/transactions/hierarchy", month="2021-03")
    assert l1(api, "hierarchy") == (1, 1)
    monkeypatch.setitem(view_catalogue.BY_NAME, "summary", real)
    assert api.ok("/dashboard/summary", month="2021-03")["actuals"]["transactions"] == 1


def test_warm_ups_are_not_counted_as_lookups(api: Api, app: FastAPI) -> None:
    month = this_month()
    api.ok("/dashboard/summary", month=month)
    assert l1(api, "summary") == (0, 1)
    api.create_transactions(make_transaction(date=f"{month}-03"))
    app.state.foyer.warmer.wait()
    assert l1(api, "summary") == (0, 1)
    assert api.count("summary", "l1", "warm") == 1  # this app's warmer, once
    api.ok("/dashboard/summary", month=month)
    assert l1(api, "summary") == (1, 1)


def test_without_recent_warming_only_the_calendar_months_are_warmed(
    fresh_app: Callable[..., FastAPI], api: Api
) -> None:
    plain = fresh_app(cache_warm_recent=0)
    with TestClient(plain) as client:
        other = Api(client, api.headers, api.household_id)
        other.ok("/dashboard/summary", month="2021-03")
        other.create_transactions(make_transaction(date="2021-03-09"))
        plain.state.foyer.warmer.wait()
        other.ok("/dashboard/summary", month="2021-03")
        assert l1(other, "summary") == (0, 2)


def test_start_up_warms_active_households(api: Api, fresh_app: Callable[..., FastAPI]) -> None:
    month = this_month()
    api.create_transactions(make_transaction(date=f"{month}-02"))
    fresh = fresh_app()  # a new process's empty L1
    with TestClient(fresh) as client:
        fresh.state.foyer.warmer.wait()
        other = Api(client, api.headers, api.household_id)
        other.ok("/dashboard/summary/slim", month=month)
        assert l1(other, "slim_summary") == (1, 0)


def warms(api: Api, view: str = "summary") -> float:
    return api.count(view, "l1", "warm")


def test_a_warm_up_nobody_read_is_not_repeated_until_a_reader_asks(api: Api, app: FastAPI) -> None:
    warmer, month = app.state.foyer.warmer, "2021-03"
    skipped = warmer.skipped  # since the session's app started
    api.ok("/dashboard/summary", month=month)  # a miss: remembered
    api.create_transactions(make_transaction(date=f"{month}-04"))
    warmer.wait()
    assert (warms(api), warmer.skipped - skipped) == (1, 0)
    api.create_transactions(make_transaction(date=f"{month}-05"))  # that warm-up unread
    warmer.wait()
    assert (warms(api), warmer.skipped - skipped) == (1, 1)
    registry = app.state.foyer.metrics.registry  # what /metrics says of it
    assert registry.get_sample_value("foyer_warm_skipped_total") == warmer.skipped
    body = api.ok("/dashboard/summary", month=month)  # so its reader computes it, fresh
    assert body["actuals"]["transactions"] == 2
    assert l1(api, "summary") == (0, 2)
    api.create_transactions(make_transaction(date=f"{month}-06"))  # asked again: warmed
    warmer.wait()
    assert (warms(api), warmer.skipped - skipped) == (2, 1)
    assert api.ok("/dashboard/summary", month=month)["actuals"]["transactions"] == 3
    assert l1(api, "summary") == (1, 2)


def test_a_warm_up_that_was_read_is_repeated_after_the_next_write(api: Api, app: FastAPI) -> None:
    warmer, month = app.state.foyer.warmer, "2021-03"
    skipped = warmer.skipped  # since the session's app started
    api.ok("/dashboard/summary", month=month)  # a miss: remembered
    for day in (4, 5, 6):
        api.create_transactions(make_transaction(date=f"{month}-{day:02d}"))
        warmer.wait()
        api.ok("/dashboard/summary", month=month)  # a hit: the warm-up was read
    assert (warms(api), warmer.skipped - skipped) == (3, 0)
    assert l1(api, "summary") == (3, 1)


def test_with_a_shared_l2_every_warm_up_is_repeated(
    fresh_app: Callable[..., FastAPI], api: Api
) -> None:
    """Another process may serve this one's warm-ups from Redis, unseen here: no skipping."""
    shared = fresh_app(redis_url=reachable_redis_url())
    with TestClient(shared) as client:
        other = Api(client, api.headers, api.household_id)
        warmer = shared.state.foyer.warmer
        assert not warmer.adaptive
        other.ok("/dashboard/summary", month="2021-03")
        for day in (4, 5, 6):
            other.create_transactions(make_transaction(date=f"2021-03-{day:02d}"))
            warmer.wait()
        assert (warms(other), warmer.skipped) == (3, 0)


def test_an_unread_warm_up_evicted_from_l1_is_warmed_again(api: Api, app: FastAPI) -> None:
    """The warmer watches its entries weakly (L1 keeps the bodies): one evicted unread is
    no longer known unread, and is warmed after the next write as before."""
    warmer, month = app.state.foyer.warmer, "2021-03"
    skipped = warmer.skipped
    api.ok("/dashboard/summary", month=month)  # a miss: remembered
    api.create_transactions(make_transaction(date=f"{month}-04"))
    warmer.wait()
    app.state.foyer.cache.clear_l1()  # its warm-up, unread, evicted
    api.create_transactions(make_transaction(date=f"{month}-05"))
    warmer.wait()
    assert (warms(api), warmer.skipped - skipped) == (2, 0)
    assert api.ok("/dashboard/summary", month=month)["actuals"]["transactions"] == 2
    assert l1(api, "summary") == (1, 1)
