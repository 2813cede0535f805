"""The monitoring window (foyer.observability.window, .trends): percentiles against a
sorted-list oracle, expiry with a hand-moved clock, the per-route bound, cache hit rates
from counter increases, and the memory trend."""

from __future__ import annotations

import os
import resource

import pytest
from hypothesis import given
from hypothesis import strategies as st

from foyer.cache.store import TieredCache
from foyer.observability import trends, window
from foyer.observability.metrics import Metrics
from foyer.observability.trends import (
    CounterTrend,
    MemoryTrend,
    cache_event_counts,
    current_rss,
    hit_rates,
)
from foyer.observability.window import OTHER_ROUTE, RequestWindow


class FakeClock:
    def __init__(self, now: float = 1000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def oracle_percentile(values: list[float], p: int) -> float:
    """The smallest value with at least p % of the values at or below it."""
    return min(v for v in values if sum(x <= v for x in values) * 100 >= p * len(values))


requests = st.lists(
    st.tuples(
        st.floats(0, 10, allow_nan=False),  # seconds
        st.sampled_from([200, 201, 304, 404, 500, 503]),
        st.integers(0, 40),  # queries
    ),
    min_size=1,
    max_size=300,
)


@given(requests)
def test_route_statistics_match_a_recomputation(observed: list[tuple[float, int, int]]) -> None:
    recent = RequestWindow(clock=FakeClock())
    for seconds, status, queries in observed:
        recent.observe("/api/v1/transactions", status, seconds, fast=False, queries=queries)
    stats = recent.snapshot()["/api/v1/transactions"]
    durations = [seconds for seconds, _, _ in observed]
    errors = sum(status >= 500 for _, status, _ in observed)
    for p in (50, 95, 99):
        assert stats[f"p{p}_ms"] == round(oracle_percentile(durations, p) * 1000, 3)  # type: ignore[literal-required]
    assert stats["max_ms"] == round(max(durations) * 1000, 3)
    assert stats["count"] == len(observed)
    assert stats["errors"] == errors
    assert stats["error_rate"] == errors / len(observed)
    counts = [q for _, _, q in observed]
    assert stats["queries_mean"] == round(sum(counts) / len(counts), 3)
    assert stats["queries_max"] == max(counts)
    assert not stats["capped"]


def test_samples_leave_the_window_when_they_are_older_than_it() -> None:
    clock = FakeClock()
    recent = RequestWindow(seconds=300, clock=clock)
    for _ in range(3):
        recent.observe("/a", 500, 0.9, fast=False, queries=1)
    clock.now += 200
    recent.observe("/a", 200, 0.1, fast=False, queries=1)
    recent.observe("/a", 200, 0.2, fast=False, queries=1)
    assert recent.snapshot()["/a"]["count"] == 5
    clock.now += 100  # the first three are exactly 300 s old: still in
    assert recent.snapshot()["/a"]["count"] == 5
    clock.now += 1
    stats = recent.snapshot()["/a"]
    assert (stats["count"], stats["errors"], stats["max_ms"]) == (2, 0, 200.0)
    clock.now += 200
    assert recent.snapshot() == {}


def test_a_route_keeps_its_latest_samples_and_says_it_was_capped() -> None:
    recent = RequestWindow(per_route=10, clock=FakeClock())
    for i in range(25):
        recent.observe("/a", 200, i / 1000, fast=False, queries=0)
    stats = recent.snapshot()["/a"]
    assert stats["count"] == 10
    assert stats["p50_ms"] == 19.0  # 15..24 ms retained
    assert stats["capped"]


def test_fast_path_routes_are_reported_apart_and_flagged() -> None:
    recent = RequestWindow(clock=FakeClock())
    recent.observe("fast:/api/v1/summary", 200, 0.00003, True, 0)
    recent.observe("/api/v1/summary", 200, 0.004, False, 2)
    snapshot = recent.snapshot()
    assert snapshot["fast:/api/v1/summary"]["fast"]
    assert not snapshot["/api/v1/summary"]["fast"]
    assert snapshot["/api/v1/summary"]["queries_max"] == 2


def test_reset_forgets_every_route() -> None:
    recent = RequestWindow(clock=FakeClock())
    recent.observe("/a", 200, 0.01, fast=False, queries=0)
    recent.reset()
    assert recent.snapshot() == {}
    recent.observe("/a", 200, 0.01, fast=False, queries=0)
    assert recent.snapshot()["/a"]["count"] == 1


def test_routes_past_the_bound_share_one_label(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(window, "MAX_ROUTES", 3)
    recent = RequestWindow(clock=FakeClock())
    for route in ("/a", "/b", "/c", "/d", "/e"):
        recent.observe(route, 200, 0.01, fast=False, queries=0)
    snapshot = recent.snapshot()
    assert sorted(snapshot) == ["/a", "/b", "/c", OTHER_ROUTE]
    assert snapshot[OTHER_ROUTE]["count"] == 2  # /d and /e


# -- cache hit rates ------------------------------------------------------------------------


def test_hit_rates_are_increases_over_the_window() -> None:
    clock = FakeClock()
    metrics = Metrics()
    events = metrics.cache_events
    events.labels("summary", "l1", "hit").inc(1000)  # before the window: not counted
    trend = CounterTrend(lambda: cache_event_counts(metrics), seconds=300, clock=clock)
    trend.tick()
    clock.now += 10
    events.labels("summary", "l1", "hit").inc(30)
    events.labels("summary", "l1", "miss").inc(10)
    events.labels("summary", "l2", "hit").inc(6)
    events.labels("summary", "l2", "miss").inc(4)
    for event in ("warm", "error", "fallback", "off"):  # not lookups
        events.labels("summary", "l1" if event in ("warm", "off") else "l2", event).inc(50)
    trend.tick()
    rates = hit_rates(trend.increases())
    assert rates == {
        "summary": {
            "l1": {"lookups": 40, "hits": 30, "rate": 0.75},
            "l2": {"lookups": 10, "hits": 6, "rate": 0.6},
            "all": {"lookups": 40, "hits": 36, "rate": 0.9},
        }
    }
    clock.now += 301  # both samples leave the window
    trend.tick()
    assert hit_rates(trend.increases()) == {}


def test_hit_rates_follow_what_the_cache_counts() -> None:
    clock = FakeClock()
    metrics = Metrics()
    cache = TieredCache(metrics=metrics)
    trend = CounterTrend(lambda: cache_event_counts(metrics), clock=clock)
    trend.tick()
    for _ in range(4):  # one miss computes, three hits
        cache.get_or_compute("kpis", "kpis:1:2024-05:v1", lambda: b"{}")
    trend.tick()
    assert hit_rates(trend.increases())["kpis"]["l1"] == {"lookups": 4, "hits": 3, "rate": 0.75}
    assert hit_rates(trend.increases())["kpis"]["l2"] == {"lookups": 0, "hits": 0, "rate": None}


def test_a_counter_that_restarted_counts_from_zero() -> None:
    values: dict[tuple[str, ...], float] = {("x",): 100.0}
    clock = FakeClock()
    trend = CounterTrend(lambda: values, clock=clock)
    trend.tick()
    values = {("x",): 7.0}
    trend.tick()
    assert trend.increases() == {("x",): 7.0}


def test_reset_takes_a_new_baseline() -> None:
    values: dict[tuple[str, ...], float] = {("x",): 5.0}
    trend = CounterTrend(lambda: values, clock=FakeClock())
    trend.tick()
    values = {("x",): 9.0}
    trend.reset()
    assert trend.increases() == {("x",): 0.0}


# -- memory ---------------------------------------------------------------------------------


def test_memory_trend_reports_growth_over_the_window() -> None:
    clock = FakeClock()
    readings = iter([100, 90, 150, 120, 120])
    memory = MemoryTrend(seconds=300, read=lambda: next(readings), clock=clock)
    assert memory.report() is None
    for _ in range(3):
        memory.tick()
        clock.now += 100
    report = memory.report()
    assert report == {
        "current_bytes": 150,
        "min_bytes": 90,
        "max_bytes": 150,
        "growth_bytes": 50,
        "growth_pct": 50.0,
        "samples": [(300.0, 100), (200.0, 90), (100.0, 150)],
        "full": True,  # watched since 300 s
    }
    clock.now += 1  # the first sample leaves
    memory.tick()
    report = memory.report()
    assert report is not None
    assert (report["growth_bytes"], report["min_bytes"], len(report["samples"])) == (30, 90, 3)
    memory.reset()  # a new window: not full again until 300 s have passed
    report = memory.report()
    assert report is not None
    assert not report["full"]


def test_rss_is_read_from_proc_and_falls_back_to_getrusage(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with open("/proc/self/statm", "rb") as statm:
        pages = int(statm.read().split()[1])
    assert current_rss() // os.sysconf("SC_PAGE_SIZE") == pytest.approx(pages, rel=0.2)

    def no_proc(*args: object, **kwargs: object) -> None:
        raise FileNotFoundError("/proc/self/statm")

    monkeypatch.setattr(trends, "open", no_proc, raising=False)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    assert current_rss() >= peak * 1024 > 0
