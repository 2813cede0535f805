"""The warmer's worker (foyer.cache.warming): a write's answer does not wait for its
warm-ups, a reader that misses a view the worker is computing waits for that computation
instead of repeating it, and the jobs waiting are bounded.

Deterministic: warm-ups are held on an Event, not raced against a clock; the waits below
are bounds that fail a broken build instead of hanging it, never timing assertions.
"""

from __future__ import annotations

import dataclasses
import threading
import time
from collections.abc import Callable
from typing import Any

import pytest
from fastapi import FastAPI

from foyer.cache import views as view_catalogue
from foyer.cache.warming import Warmer
from foyer.months import this_month
from tests.factories import Api, make_transaction

#: How long a held warm-up waits for its release, at most (a regression fails, not hangs).
HOLD_SECONDS = 10.0

Compute = Callable[[Any, Any, int, Any], Any]


class Gate:
    """Wraps a view's compute: once `armed`, each call is recorded, then held until
    `release` is set."""

    def __init__(self, real: Compute) -> None:
        self.real = real
        self.armed = False
        self.started = threading.Event()
        self.release = threading.Event()
        self.calls: list[tuple[str, int]] = []  # (thread name, household id)
        self.finished = 0

    def compute(self, reader: Any, conn: Any, household_id: int, params: Any) -> Any:
        if not self.armed:
            return self.real(reader, conn, household_id, params)
        self.calls.append((threading.current_thread().name, household_id))
        self.started.set()
        self.release.wait(HOLD_SECONDS)
        try:
            return self.real(reader, conn, household_id, params)
        finally:
            self.finished += 1


def gated(monkeypatch: pytest.MonkeyPatch, view: str, real: Compute | None = None) -> Gate:
    spec = view_catalogue.BY_NAME[view]
    gate = Gate(real or spec.compute)
    monkeypatch.setitem(
        view_catalogue.BY_NAME, view, dataclasses.replace(spec, compute=gate.compute)
    )
    return gate


def until(condition: Callable[[], bool]) -> None:
    """Wait for `condition`, failing after HOLD_SECONDS (a bound, not a measurement)."""
    deadline = time.monotonic() + HOLD_SECONDS
    while not condition():
        assert time.monotonic() < deadline, "condition not reached"
        time.sleep(0.005)


def summary_lookups(api: Api) -> tuple[float, float]:
    return api.count("summary", "l1", "hit"), api.count("summary", "l1", "miss")


def test_the_write_answer_does_not_wait_for_its_warm_ups(
    api: Api, app: FastAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    gate = gated(monkeypatch, "summary")
    api.ok("/dashboard/summary", month="2021-03")  # a miss: remembered, re-warmed after writes
    gate.armed = True
    api.create_transactions(make_transaction(date="2021-03-09"))  # answered…
    assert gate.started.wait(HOLD_SECONDS)  # …with its warm-up started…
    assert gate.finished == 0  # …and held still: the answer did not wait for it
    assert [thread for thread, _ in gate.calls] == ["foyer-warm_0"]  # on the worker
    gate.release.set()
    app.state.foyer.warmer.wait()
    body = api.ok("/dashboard/summary", month="2021-03")
    assert summary_lookups(api) == (1, 1)  # warmed, under the write's stamps
    assert body["actuals"]["transactions"] == 1


def test_a_reader_that_misses_during_a_warm_up_waits_for_it(
    api: Api, app: FastAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    gate = gated(monkeypatch, "summary")
    api.ok("/dashboard/summary", month="2021-03")  # remembered
    gate.armed = True
    api.create_transactions(make_transaction(date="2021-03-09"))
    assert gate.started.wait(HOLD_SECONDS)  # the worker computes the new key, held
    bodies: list[dict[str, Any]] = []
    reader = threading.Thread(
        target=lambda: bodies.append(api.ok("/dashboard/summary", month="2021-03"))
    )
    reader.start()
    until(lambda: summary_lookups(api)[1] == 2)  # it missed, and waits for the flight
    gate.release.set()
    reader.join(HOLD_SECONDS)
    assert not reader.is_alive()
    assert len(gate.calls) == 1  # computed once, by the worker, for both
    assert bodies[0]["actuals"]["transactions"] == 1


def test_the_jobs_waiting_are_bounded_the_oldest_dropped(
    app: FastAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    def fake(reader: Any, conn: Any, household_id: int, params: Any) -> Any:
        return {"household": household_id}

    summaries, slims = gated(monkeypatch, "summary", fake), gated(monkeypatch, "slim_summary", fake)
    summaries.armed = slims.armed = True
    slims.release.set()  # only the summaries are held
    state = app.state.foyer
    warmer = Warmer(state.database, state.cache, state.warmer.sources, max_pending=3)
    month = this_month()
    try:
        # A write of this month's totals warms its summary and slim summary (2 jobs).
        warmer.after_commit({(1, month)})
        assert summaries.started.wait(HOLD_SECONDS)  # household 1's batch, held
        for household_id in (2, 3, 4, 4):  # 6 jobs more (the last write's are queued)
            warmer.after_commit({(household_id, month)})
        assert warmer.dropped == 3  # 2's two and 3's summary: the oldest
        # What /metrics reads of it (the app's own warmer is the one it is wired to).
        state.metrics.state.warm_queue = warmer.queue_state
        registry = state.metrics.registry
        assert registry.get_sample_value("foyer_warm_dropped_total") == 3
        assert registry.get_sample_value("foyer_warm_pending") == 3
        summaries.release.set()
        warmer.wait()
        assert [h for _, h in summaries.calls] == [1, 4]
        assert [h for _, h in slims.calls] == [1, 3, 4]
        warmer.close()  # and started again by the next write
        warmer.after_commit({(5, month)})
        warmer.wait()
        assert [h for _, h in summaries.calls] == [1, 4, 5]
    finally:
        state.metrics.state.warm_queue = state.warmer.queue_state
        summaries.release.set()
        warmer.close()


def test_the_warm_up_at_start_counts_as_working(
    app: FastAPI, api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`Warmer.working` is what the stamp feed asks before blocking the event loop on a
    fence (foyer.cache.feed): the warm-up at start works on the same thread as the others."""
    today = f"{this_month()}-01"  # the warm-up at start warms this month's busiest households
    assert api.post("/transactions", json=make_transaction(date=today)).status_code == 201
    summaries = gated(monkeypatch, "summary")
    summaries.armed = True
    state = app.state.foyer
    warmer = Warmer(state.database, state.cache, state.warmer.sources)
    try:
        state.cache.clear_l1()
        assert not warmer.working
        warmer.at_start(households=10)
        assert warmer.working  # queued: working from the call on
        assert summaries.started.wait(HOLD_SECONDS)
        assert warmer.working  # computing
        summaries.release.set()
        warmer.wait()
        assert not warmer.working
        assert summaries.calls, "the household with this month's write was warmed"
    finally:
        summaries.release.set()
        warmer.close()
