"""Alerts (foyer.observability.alerts, .webhook): the rules' thresholds and minimum
samples, fire once / resolve once over any sequence of evaluations, the log, and the
webhook against a receiver the test starts — payload, retries, the circuit breaker, a
bounded queue."""

from __future__ import annotations

import logging
import socket
from collections.abc import Mapping
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from tenacity import wait_none

from foyer.cache.breaker import CircuitBreaker
from foyer.observability.alerts import ALL_ROUTES, Alerts, Observed, Reading, Thresholds, check
from foyer.observability.trends import MemoryReport
from foyer.observability.webhook import WebhookSender
from foyer.observability.window import RouteStats
from tests.observability.receiver import receiver

LIMITS = Thresholds(
    route_p95_ms=250, error_rate=0.05, hit_rate_min=0.5, rss_growth_pct=50, min_samples=50
)


def route(count: int, p95_ms: float = 10.0, errors: int = 0) -> RouteStats:
    return RouteStats(
        count=count,
        errors=errors,
        error_rate=errors / count,
        p50_ms=p95_ms / 2,
        p95_ms=p95_ms,
        p99_ms=p95_ms,
        max_ms=p95_ms,
        queries_mean=1.0,
        queries_max=1,
        fast=False,
        capped=False,
    )


def memory(first: int, last: int, *, full: bool = True) -> MemoryReport:
    return MemoryReport(
        current_bytes=last,
        min_bytes=min(first, last),
        max_bytes=max(first, last),
        growth_bytes=last - first,
        growth_pct=(last - first) * 100 / first,
        samples=[(60.0, first), (0.0, last)],
        full=full,
    )


def breaking(readings: list[Reading]) -> set[tuple[str, str]]:
    return {(r.rule, r.subject) for r in readings if r.breaking}


# -- the rules ------------------------------------------------------------------------------


def test_a_slow_route_breaks_only_with_enough_samples() -> None:
    few = check(Observed({"/slow": route(49, p95_ms=900)}, {}), LIMITS)
    assert ("route_p95", "/slow") not in {(r.rule, r.subject) for r in few}
    enough = check(Observed({"/slow": route(50, p95_ms=900), "/ok": route(50)}, {}), LIMITS)
    assert breaking(enough) == {("route_p95", "/slow")}
    reading = next(r for r in enough if r.rule == "route_p95" and r.subject == "/slow")
    assert (reading.value, reading.threshold) == (900, 250)


def test_error_rate_breaks_per_route_and_for_all_routes_together() -> None:
    routes = {"/a": route(100, errors=6), "/b": route(20, errors=2), "/c": route(20, errors=2)}
    # /a: 6 % > 5 %; /b, /c: too few to judge alone; all: 10/140 = 7.1 %
    assert breaking(check(Observed(routes, {}), LIMITS)) == {
        ("error_rate", "/a"),
        ("error_rate", ALL_ROUTES),
    }
    routes["/a"] = route(100, errors=5)  # 5 % is not above 5 %
    routes["/b"] = route(20)
    assert breaking(check(Observed(routes, {}), LIMITS)) == set()


def test_hit_rate_breaks_below_the_minimum_with_enough_lookups() -> None:
    def view(lookups: int, hits: int) -> dict[str, Any]:
        rate = hits / lookups if lookups else None
        return {"all": {"lookups": lookups, "hits": hits, "rate": rate}}

    rates = {"summary": view(100, 49), "kpis": view(10, 0), "trends": view(100, 50)}
    assert breaking(check(Observed({}, rates), LIMITS)) == {("cache_hit_rate", "summary")}


def test_rss_growth_and_reader_fallbacks() -> None:
    assert breaking(check(Observed({}, {}, memory(100, 150)), LIMITS)) == set()
    assert breaking(check(Observed({}, {}, memory(100, 151)), LIMITS)) == {
        ("rss_growth", "process")
    }
    # a process not watched for a whole window yet: its start-up is not judged
    assert check(Observed({}, {}, memory(100, 300, full=False)), LIMITS) == [
        Reading("reader_fallback", "reader", 0, 0, False)
    ]
    assert breaking(check(Observed({}, {}, None, fallbacks=1), LIMITS)) == {
        ("reader_fallback", "reader")
    }


# -- fire once, resolve once ----------------------------------------------------------------


@given(st.lists(st.floats(0, 500, allow_nan=False), max_size=40))
def test_each_alert_fires_once_and_resolves_once(p95s: list[float]) -> None:
    alerts = Alerts()
    events: list[tuple[int, str]] = []
    for i, p95 in enumerate(p95s):
        readings = check(Observed({"/r": route(60, p95_ms=p95)}, {}), LIMITS)
        events += [
            (i, t.event) for t in alerts.evaluate(readings, now=float(i)) if t.rule == "route_p95"
        ]
    expected: list[tuple[int, str]] = []
    was = False
    for i, p95 in enumerate(p95s):
        now = p95 > 250
        if now != was:
            expected.append((i, "fired" if now else "resolved"))
        was = now
    assert events == expected
    firing = [a for a in alerts.active() if a["name"] == "route_p95"]
    assert len(firing) == (1 if was else 0)


def test_an_alert_whose_subject_left_the_window_resolves_once() -> None:
    alerts = Alerts()
    slow = check(Observed({"/r": route(60, p95_ms=400)}, {}), LIMITS)
    [fired] = alerts.evaluate(slow, now=1_700_000_000)
    assert alerts.evaluate(slow, now=1_700_000_015) == []
    assert alerts.active() == [
        {
            "name": "route_p95",
            "subject": "/r",
            "value": 400,
            "threshold": 250,
            "since": "2023-11-14T22:13:20+00:00",
        }
    ]
    [resolved] = alerts.evaluate(check(Observed({}, {}), LIMITS), now=1_700_000_030)
    assert (resolved.event, resolved.value, resolved.since) == ("resolved", None, fired.at)
    assert alerts.evaluate(check(Observed({}, {}), LIMITS), now=1_700_000_045) == []
    assert alerts.active() == []


def test_transitions_reach_the_log_with_their_values(caplog: pytest.LogCaptureFixture) -> None:
    alerts = Alerts()
    with caplog.at_level(logging.INFO, logger="foyer.alerts"):
        alerts.evaluate([Reading("error_rate", "*", 0.2, 0.05, True)], now=0)
        alerts.evaluate([Reading("error_rate", "*", 0.01, 0.05, False)], now=15)
    fired, resolved = caplog.records
    assert (fired.levelno, resolved.levelno) == (logging.WARNING, logging.INFO)
    assert fired.alert_event == "fired"  # type: ignore[attr-defined]
    assert (fired.alert, fired.subject, fired.value) == ("error_rate", "*", 0.2)  # type: ignore[attr-defined]
    assert (resolved.alert_event, resolved.value) == ("resolved", 0.01)  # type: ignore[attr-defined]


# -- the webhook ----------------------------------------------------------------------------


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def sender(url: str, **options: Any) -> WebhookSender:
    return WebhookSender(url, timeout=5, wait=wait_none(), **options)


def test_transitions_are_posted_as_json() -> None:
    with receiver() as got:
        hook = sender(got.url)
        alerts = Alerts(hook)
        alerts.evaluate(
            [Reading("route_p95", "/api/v1/summary", 412.5, 250, True)], now=1_700_000_000
        )
        alerts.evaluate(
            [Reading("route_p95", "/api/v1/summary", 80, 250, False)], now=1_700_000_060
        )
        assert hook.flush(10)
        hook.stop()
    assert got.bodies == [
        {
            "source": "foyer",
            "event": "fired",
            "alert": "route_p95",
            "subject": "/api/v1/summary",
            "value": 412.5,
            "threshold": 250,
            "since": "2023-11-14T22:13:20+00:00",
            "at": "2023-11-14T22:13:20+00:00",
            "summary": "route_p95 /api/v1/summary: 412.5 breaks 250",
        },
        {
            "source": "foyer",
            "event": "resolved",
            "alert": "route_p95",
            "subject": "/api/v1/summary",
            "value": 80,
            "threshold": 250,
            "since": "2023-11-14T22:13:20+00:00",
            "at": "2023-11-14T22:14:20+00:00",
            "summary": "route_p95 /api/v1/summary: resolved at 80 (threshold 250)",
        },
    ]
    assert got.headers[0]["Content-Type"] == "application/json"
    assert hook.counts() == {
        "delivered": 2, "failed": 0, "dropped": 0, "skipped": 0, "retries": 0, "pending": 0
    }  # fmt: skip


def payload(n: int) -> Mapping[str, Any]:
    return {"alert": "test", "event": "fired", "n": n}


def test_a_failing_receiver_is_retried_until_it_answers() -> None:
    with receiver() as got:
        got.statuses = [500, 503]
        hook = sender(got.url)
        hook.send(payload(1))
        assert hook.flush(10)
        hook.stop()
    assert [body["n"] for body in got.bodies] == [1, 1, 1]
    assert hook.counts()["delivered"] == 1
    assert hook.counts()["retries"] == 2
    assert hook.state() == "closed"


def test_a_client_error_is_not_retried() -> None:
    with receiver() as got:
        got.statuses = [400]
        hook = sender(got.url)
        hook.send(payload(1))
        assert hook.flush(10)
        hook.stop()
    assert len(got.bodies) == 1
    assert (hook.counts()["failed"], hook.counts()["retries"]) == (1, 0)


def test_a_dead_receiver_opens_the_breaker_then_a_trial_delivers() -> None:
    clock = Clock()
    with receiver() as got:
        got.then = 503  # down
        hook = sender(got.url, attempts=2, breaker=CircuitBreaker(2, 60, clock))
        for n in range(5):
            hook.send(payload(n))
        assert hook.flush(10)
        # two deliveries of two attempts each, then the breaker skips the other three
        assert len(got.bodies) == 4
        assert hook.counts()["failed"] == 2
        assert hook.counts()["skipped"] == 3
        assert hook.state() == "open"
        got.then = 200  # back up, but the breaker has not looked yet
        hook.send(payload(5))
        assert hook.flush(10)
        assert (hook.counts()["skipped"], len(got.bodies)) == (4, 4)
        clock.now = 60.0  # cooldown over: one trial
        hook.send(payload(6))
        hook.send(payload(7))
        assert hook.flush(10)
        hook.stop()
    assert [body["n"] for body in got.bodies[4:]] == [6, 7]
    assert hook.counts()["delivered"] == 2
    assert hook.state() == "closed"


def test_a_receiver_refusing_connections_counts_as_failed() -> None:
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]  # nobody listens once it is closed
    hook = sender(
        f"http://127.0.0.1:{port}/hook", attempts=2, breaker=CircuitBreaker(1, 60, Clock())
    )
    hook.send(payload(1))
    hook.send(payload(2))
    assert hook.flush(10)
    hook.stop()
    counts = hook.counts()
    assert (counts["failed"], counts["retries"], counts["skipped"]) == (1, 1, 1)


def test_a_full_queue_drops_and_counts_never_blocks(caplog: pytest.LogCaptureFixture) -> None:
    with receiver() as got:
        got.hold = True  # the receiver takes the first payload and does not answer
        hook = sender(got.url, queue_size=1)
        assert hook.send(payload(1))
        assert got.arrived.wait(10)  # the thread holds payload 1: the queue is empty
        assert hook.send(payload(2))  # queued
        with caplog.at_level(logging.WARNING, logger="foyer.alerts"):
            assert not hook.send(payload(3))  # full: dropped at once
        assert hook.counts()["dropped"] == 1
        assert [r.reason for r in caplog.records] == ["queue full"]  # type: ignore[attr-defined]
        got.release.set()
        assert hook.flush(10)
        hook.stop()
    assert [body["n"] for body in got.bodies] == [1, 2]
    assert hook.counts()["delivered"] == 2


def test_a_stopped_sender_drops(caplog: pytest.LogCaptureFixture) -> None:
    with receiver() as got:
        hook = sender(got.url)
        hook.stop()
        assert not hook.send(payload(1))
        hook.start()
        assert hook.send(payload(2))
        assert hook.flush(10)
        hook.stop()
    assert [body["n"] for body in got.bodies] == [2]
    assert (hook.counts()["dropped"], hook.counts()["delivered"]) == (1, 1)
