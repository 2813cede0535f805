"""The monitor (foyer.observability.monitor): what it reports, the alerts its ticks fire
and resolve from the window, the counters and memory, the webhook from the settings, reset,
and its background thread."""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable, Sequence

import pytest
from pydantic import ValidationError

from foyer.observability.alerts import Transition
from foyer.observability.metrics import Metrics
from foyer.observability.monitor import Monitor
from foyer.settings import Settings
from tests.observability.receiver import receiver

EPOCH = 1_700_000_000.0


class Clock:
    def __init__(self, now: float = 0.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def settings(**overrides: object) -> Settings:
    values: dict[str, object] = {"monitor_window_seconds": 300, "alert_min_samples": 10}
    return Settings(_env_file=None, **{**values, **overrides})  # type: ignore[arg-type]


def monitor(
    clock: Clock,
    *,
    rss: Callable[[], int] = lambda: 100_000_000,
    fallbacks: Callable[[], float] | None = None,
    **overrides: object,
) -> Monitor:
    wall = Clock(EPOCH)
    return Monitor(settings(**overrides), Metrics(), clock, wall=wall, rss=rss, fallbacks=fallbacks)


def events(transitions: Sequence[Transition]) -> list[tuple[str, str, str]]:
    return [(t.event, t.rule, t.subject) for t in transitions]


def test_a_slow_route_fires_once_and_resolves_when_it_leaves_the_window() -> None:
    clock = Clock()
    watch = monitor(clock)
    for _ in range(9):
        watch.observe("/api/v1/transactions", 200, 0.4, fast=False, queries=3)
    assert events(watch.tick()) == []  # 9 < FOYER_ALERT_MIN_SAMPLES
    watch.observe("/api/v1/transactions", 200, 0.4, fast=False, queries=3)
    assert events(watch.tick()) == [("fired", "route_p95", "/api/v1/transactions")]
    clock.now += 15
    assert watch.tick() == []
    [alert] = watch.report()["alerts"]["active"]
    assert (alert["name"], alert["value"], alert["threshold"]) == ("route_p95", 400.0, 250.0)
    clock.now += 300
    assert events(watch.tick()) == [("resolved", "route_p95", "/api/v1/transactions")]
    assert watch.tick() == []


def test_errors_fire_the_error_rate_alert() -> None:
    watch = monitor(Clock())
    for status in [500] * 2 + [200] * 18:
        watch.observe("/api/v1/config", status, 0.01, False, 1)
    assert sorted(events(watch.tick())) == [
        ("fired", "error_rate", "*"),
        ("fired", "error_rate", "/api/v1/config"),
    ]


def test_a_falling_hit_rate_fires_from_the_cache_counters() -> None:
    clock = Clock()
    metrics = Metrics()
    watch = Monitor(settings(), metrics, clock, rss=lambda: 1)
    metrics.cache_events.labels("summary", "l1", "hit").inc(500)  # before: the baseline
    watch.reset()
    clock.now += 15
    metrics.cache_events.labels("summary", "l1", "hit").inc(4)
    metrics.cache_events.labels("summary", "l1", "miss").inc(16)
    assert events(watch.tick()) == [("fired", "cache_hit_rate", "summary")]
    assert watch.report()["cache"]["summary"]["all"] == {"lookups": 20, "hits": 4, "rate": 0.2}


def test_memory_growth_is_judged_after_a_whole_window() -> None:
    clock = Clock()
    rss = iter([100, 200, 200, 200, 200])
    watch = monitor(clock, rss=lambda: next(rss))
    clock.now += 100
    assert watch.tick() == []  # +100 %, but the process started 100 s ago
    clock.now += 100
    assert watch.tick() == []
    clock.now += 100
    assert events(watch.tick()) == [("fired", "rss_growth", "process")]
    memory = watch.report()["memory"]
    assert memory["samples"] == [(300.0, 100), (200.0, 200), (100.0, 200), (0.0, 200)]
    assert (memory["growth_bytes"], memory["growth_pct"], memory["full"]) == (100, 100.0, True)
    clock.now += 100  # the 100-byte sample leaves: flat since
    assert events(watch.tick()) == [("resolved", "rss_growth", "process")]


def test_a_reader_fallback_fires_until_it_leaves_the_window() -> None:
    clock = Clock()
    count = [0.0]
    watch = monitor(clock, fallbacks=lambda: count[0])
    assert watch.tick() == []
    count[0] = 1
    clock.now += 15
    assert events(watch.tick()) == [("fired", "reader_fallback", "reader")]
    assert watch.report()["reader_fallbacks"] == 1
    clock.now += 301
    assert events(watch.tick()) == [("resolved", "reader_fallback", "reader")]


def test_the_report_is_json_and_reset_starts_a_new_window() -> None:
    watch = monitor(Clock())
    watch.observe("fast:/api/v1/summary", 200, 0.00003, True, 0)
    watch.tick()
    report = watch.report()
    json.dumps(report, allow_nan=False)
    assert report["routes"]["fast:/api/v1/summary"]["count"] == 1
    assert report["alerts"] == {"active": [], "webhook": None}
    assert report["window_seconds"] == 300
    watch.reset()
    assert watch.report()["routes"] == {}


def test_alerts_reach_the_webhook_from_the_settings() -> None:
    with receiver() as got:
        watch = monitor(Clock(), alert_webhook_url=got.url, alert_webhook_timeout_seconds=2)
        assert watch.sender is not None
        assert watch.sender.timeout == 2
        for _ in range(10):
            watch.observe("/api/v1/imports", 503, 0.02, False, 1)
        watch.tick()
        assert watch.sender.flush(10)
        webhook = watch.report()["alerts"]["webhook"]
        watch.stop()
    assert sorted((body["alert"], body["subject"]) for body in got.bodies) == [
        ("error_rate", "*"),
        ("error_rate", "/api/v1/imports"),
    ]
    assert webhook["delivered"] == 2
    assert webhook["breaker"] == "closed"


def test_the_thread_ticks_until_stopped_and_survives_a_failing_tick(
    caplog: pytest.LogCaptureFixture,
) -> None:
    calls = [0]
    ticked = threading.Event()

    def rss() -> int:
        calls[0] += 1
        if calls[0] == 2:  # the first tick fails
            raise OSError("statm unreadable")
        if calls[0] >= 3:
            ticked.set()
        return 1000

    watch = monitor(Clock(), rss=rss, alert_interval_seconds=0.001)
    with caplog.at_level(logging.ERROR, logger="foyer.monitor"):
        watch.start()
        assert ticked.wait(10)
        watch.stop()
    assert watch._thread is None
    assert any(r.message == "monitor tick failed" for r in caplog.records)


def test_on_tick_runs_after_the_alerts_of_each_tick() -> None:
    order: list[str] = []
    clock = Clock()
    watch = Monitor(
        settings(alert_min_samples=1),
        Metrics(),
        clock,
        rss=lambda: 1,
        on_tick=lambda: order.append(f"on_tick, {len(watch.report()['alerts']['active'])} firing"),
    )
    watch.observe("/slow", 200, 1.0, False, 0)
    watch.tick()
    watch.tick()
    assert order == ["on_tick, 1 firing", "on_tick, 1 firing"]


def test_the_webhook_url_must_be_http() -> None:
    with pytest.raises(ValidationError, match="alert_webhook_url"):
        settings(alert_webhook_url="ftp://alerts.example/hook")
