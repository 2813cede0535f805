"""The request journal (foyer.observability.journal): a finished request costs one append;
its histograms, window sample and access line come later, in order, and every reader
(a scrape, the monitor, the access log's flush) sees the requests that ended before it."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from starlette.types import Scope

from foyer.observability import metrics as metrics_module
from foyer.observability.context import RequestInfo
from foyer.observability.journal import Entry, RequestJournal
from foyer.observability.metrics import Metrics
from foyer.observability.monitor import Monitor
from foyer.observability.queries import QueryMonitor
from foyer.observability.requests import RequestObserver
from foyer.settings import Settings
from tests.observability.logcapture import captured_logs, lines
from tests.observability.test_monitor import Clock

ROUTE = "/api/v1/dashboard/summary"
LABELS = {"method": "GET", "route": ROUTE, "status": "200", "handler": "fast"}


class SpyObserver(RequestObserver):
    """Notes, for each batch it finishes, whether that ran inside its own `record` call."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.recording: int | None = None  # the thread inside `record`, if any
        self.inside_record: list[bool] = []

    def record(self, scope: Scope, info: RequestInfo, status: int, elapsed: float) -> None:
        self.recording = threading.get_ident()
        try:
            super().record(scope, info, status, elapsed)
        finally:
            self.recording = None

    def finish(self, batch: list[Entry]) -> None:
        self.inside_record.append(self.recording == threading.get_ident())
        super().finish(batch)


def observer(metrics: Metrics, monitor: Monitor | None = None) -> SpyObserver:
    return SpyObserver(
        metrics=metrics,
        queries=QueryMonitor(metrics, slow_ms=1000, repeat_threshold=10),
        observe=monitor.observe if monitor is not None else None,
        clock=monitor.clock if monitor is not None else Clock(),
        access_log=True,
    )


def hit(household_id: int = 7) -> RequestInfo:
    return RequestInfo("GET", ROUTE, route=ROUTE, fast=True, household_id=household_id)


def count(metrics: Metrics) -> float | None:
    return metrics.registry.get_sample_value("foyer_request_seconds_count", LABELS)


class Recorder:
    def __init__(self, fail: bool = False) -> None:
        self.batches: list[list[int]] = []
        self.fail = fail

    def finish(self, batch: list[Entry]) -> None:
        self.batches.append([entry[2] for entry in batch])  # their statuses
        if self.fail:
            raise RuntimeError("finisher failed")


def entry(finisher: Recorder, status: int) -> Entry:
    return (finisher, hit(), status, 0.001, 0, 0.0, None, None)


def test_a_request_waits_in_the_journal_until_a_reader_drains_it() -> None:
    metrics = Metrics()
    watching = observer(metrics)
    with captured_logs() as buffer:
        watching.record({}, hit(), 200, 0.0002)
        assert count(metrics) == 1.0  # a scrape drains first
        [line] = [line for line in lines(buffer) if line["route"] == ROUTE]
    assert (line["status"], line["fast"], line["household_id"]) == (200, True, 7)
    # The request paid for the append only: the accounting ran later (the scrape's drain
    # or the journal's thread), never inside `record`.
    assert watching.inside_record == [False]


def test_the_window_places_a_request_at_its_end_not_when_drained() -> None:
    clock = Clock()
    monitor = Monitor(Settings(_env_file=None), Metrics(), clock, rss=lambda: 1)
    watching = observer(Metrics(), monitor)
    watching.record({}, hit(), 200, 0.0002)
    clock.now += monitor.window.seconds + 1  # past the window before anyone drained it
    assert monitor.report()["routes"] == {}


def test_the_monitor_report_sees_the_requests_that_ended_before_it() -> None:
    clock = Clock()
    monitor = Monitor(Settings(_env_file=None), Metrics(), clock, rss=lambda: 1)
    watching = observer(Metrics(), monitor)
    for _ in range(3):
        watching.record({}, hit(), 200, 0.0002)
    assert monitor.report()["routes"][f"fast:{ROUTE}"]["count"] == 3


def test_a_reset_forgets_the_requests_that_ended_before_it() -> None:
    metrics = Metrics()
    watching = observer(metrics)
    watching.record({}, hit(), 200, 0.0002)
    metrics.reset_requests()
    watching.record({}, hit(), 200, 0.0002)
    assert count(metrics) == 1.0


def test_batches_keep_their_order_and_go_to_their_finisher() -> None:
    own = RequestJournal()  # not started: nothing drains it but this test
    own._thread = object()  # type: ignore[assignment]
    one, two = Recorder(), Recorder()
    for finisher, status in [(one, 1), (one, 2), (two, 3), (one, 4)]:
        own.add(entry(finisher, status))
    own.drain()
    assert one.batches == [[1, 2], [4]]
    assert two.batches == [[3]]
    assert own.pending() == 0


def test_a_failing_finisher_does_not_lose_the_others_batches() -> None:
    own = RequestJournal()
    own._thread = object()  # type: ignore[assignment]
    bad, good = Recorder(fail=True), Recorder()
    own.add(entry(bad, 1))
    own.add(entry(good, 2))
    with pytest.raises(RuntimeError, match="finisher failed"):
        own.drain()
    assert good.batches == [[2]]
    assert own.pending() == 0


def test_in_multiprocess_mode_a_request_is_counted_at_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Another process's scrape reads this one's files: nothing would drain the journal.
    monkeypatch.setattr(metrics_module, "multiprocess_dir", lambda: "/nowhere")
    metrics = Metrics()
    watching = observer(metrics)
    watching.record({}, hit(), 200, 0.0002)
    assert watching.inside_record == [True]
    child = metrics.request_seconds.labels("GET", ROUTE, "200", "fast")
    assert child._sum.get() == pytest.approx(0.0002)  # observed directly, not batched
