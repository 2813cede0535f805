"""Alerts: thresholds from settings, checked over the monitoring window; each fires once
and resolves once.

`check` turns what the window saw (`Observed`) into `Reading`s — one per rule and
subject with enough evidence — and says which break their threshold. `Alerts` keeps one
state per (rule, subject): a reading that starts breaking fires it, one that stops
breaking (or a subject that no longer has enough samples in the window) resolves it;
repeated evaluations of an unchanged condition emit nothing. Each transition goes to the
log (`foyer.alerts`, the values as structured `extra`) and, when a webhook is set, to a
`WebhookSender` (queued: evaluation never waits on the network).

The rules (docs/OPERATIONS.md, "Monitoring and alerts"):
- `route_p95`: a route's p95 above FOYER_ALERT_ROUTE_P95_MS, over at least
  FOYER_ALERT_MIN_SAMPLES requests;
- `error_rate`: the share of 5xx answers above FOYER_ALERT_ERROR_RATE, per route and for
  all routes together (subject `*`), over at least FOYER_ALERT_MIN_SAMPLES requests;
- `cache_hit_rate`: a view's hit rate (L1 or L2) below FOYER_ALERT_HIT_RATE_MIN, over at
  least FOYER_ALERT_MIN_SAMPLES lookups;
- `rss_growth`: resident memory grown by more than FOYER_ALERT_RSS_GROWTH_PCT % over the
  window, once the process has been watched for a whole window (start-up is no leak);
- `reader_fallback`: the optimized reader failed and the reference reader answered at
  least once in the window.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal, Protocol

from foyer.observability.trends import HitRate, MemoryReport
from foyer.observability.window import RouteStats
from foyer.settings import Settings

log = logging.getLogger("foyer.alerts")

ALL_ROUTES = "*"


class Sink(Protocol):
    def send(self, payload: Mapping[str, Any]) -> bool: ...


@dataclass(frozen=True, slots=True)
class Thresholds:
    """The alert rules' limits (their defaults are the settings')."""

    route_p95_ms: float
    error_rate: float
    hit_rate_min: float
    rss_growth_pct: float
    min_samples: int

    @classmethod
    def from_settings(cls, settings: Settings) -> Thresholds:
        return cls(
            route_p95_ms=settings.alert_route_p95_ms,
            error_rate=settings.alert_error_rate,
            hit_rate_min=settings.alert_hit_rate_min,
            rss_growth_pct=settings.alert_rss_growth_pct,
            min_samples=settings.alert_min_samples,
        )


@dataclass(frozen=True, slots=True)
class Observed:
    """What the window saw, as the monitor reports it."""

    routes: Mapping[str, RouteStats]
    hit_rates: Mapping[str, Mapping[str, HitRate]]
    memory: MemoryReport | None = None
    fallbacks: int = 0  # optimized reads answered by the reference reader in the window


@dataclass(frozen=True, slots=True)
class Reading:
    rule: str
    subject: str
    value: float
    threshold: float
    breaking: bool


def check(observed: Observed, limits: Thresholds) -> list[Reading]:
    """Every rule over every subject with enough evidence."""
    readings: list[Reading] = []
    total = errors = 0
    for route, stats in sorted(observed.routes.items()):
        total += stats["count"]
        errors += stats["errors"]
        if stats["count"] < limits.min_samples:
            continue
        p95, rate = stats["p95_ms"], stats["error_rate"]
        readings.append(
            Reading("route_p95", route, p95, limits.route_p95_ms, p95 > limits.route_p95_ms)
        )
        readings.append(
            Reading("error_rate", route, rate, limits.error_rate, rate > limits.error_rate)
        )
    if total >= limits.min_samples:
        rate = errors / total
        readings.append(
            Reading("error_rate", ALL_ROUTES, rate, limits.error_rate, rate > limits.error_rate)
        )
    for view, tiers in sorted(observed.hit_rates.items()):
        both = tiers["all"]
        if both["rate"] is not None and both["lookups"] >= limits.min_samples:
            low = both["rate"] < limits.hit_rate_min
            readings.append(Reading("cache_hit_rate", view, both["rate"], limits.hit_rate_min, low))
    memory = observed.memory
    if memory is not None and memory["full"]:
        growth = memory["growth_pct"]
        readings.append(
            Reading(
                "rss_growth",
                "process",
                growth,
                limits.rss_growth_pct,
                growth > limits.rss_growth_pct,
            )
        )
    readings.append(
        Reading("reader_fallback", "reader", observed.fallbacks, 0, observed.fallbacks > 0)
    )
    return readings


@dataclass(slots=True)
class Alert:
    rule: str
    subject: str
    value: float
    threshold: float
    since: float  # wall clock (epoch seconds) when it fired

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.rule,
            "subject": self.subject,
            "value": self.value,
            "threshold": self.threshold,
            "since": _iso(self.since),
        }


@dataclass(frozen=True, slots=True)
class Transition:
    event: Literal["fired", "resolved"]
    rule: str
    subject: str
    value: float | None  # None: resolved because the subject left the window
    threshold: float
    since: float  # when it fired
    at: float

    def payload(self) -> dict[str, Any]:
        """The webhook's JSON body (docs/OPERATIONS.md)."""
        return {
            "source": "foyer",
            "event": self.event,
            "alert": self.rule,
            "subject": self.subject,
            "value": self.value,
            "threshold": self.threshold,
            "since": _iso(self.since),
            "at": _iso(self.at),
            "summary": self.summary(),
        }

    def summary(self) -> str:
        if self.event == "fired":
            return f"{self.rule} {self.subject}: {self.value} breaks {self.threshold}"
        if self.value is None:
            return f"{self.rule} {self.subject}: resolved (no longer enough samples)"
        return f"{self.rule} {self.subject}: resolved at {self.value} (threshold {self.threshold})"


def _iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).isoformat(timespec="seconds")


class Alerts:
    def __init__(self, sink: Sink | None = None) -> None:
        self.sink = sink
        self._active: dict[tuple[str, str], Alert] = {}
        self._lock = threading.Lock()  # evaluate (monitor thread) vs active (a report)

    def evaluate(self, readings: Iterable[Reading], now: float) -> list[Transition]:
        """Fire what starts breaking, resolve what stopped; deliver the transitions.
        `now` is the wall clock (epoch seconds): it dates the alerts."""
        transitions: list[Transition] = []
        seen: set[tuple[str, str]] = set()
        with self._lock:
            for reading in readings:
                key = (reading.rule, reading.subject)
                alert = self._active.get(key)
                if reading.breaking:
                    seen.add(key)
                    if alert is None:
                        alert = Alert(
                            reading.rule, reading.subject, reading.value, reading.threshold, now
                        )
                        self._active[key] = alert
                        transitions.append(_transition("fired", alert, reading.value, now))
                    else:
                        alert.value = reading.value  # still firing: the latest value, no event
                elif alert is not None:
                    seen.add(key)
                    del self._active[key]
                    transitions.append(_transition("resolved", alert, reading.value, now))
            for key in [key for key in self._active if key not in seen]:
                alert = self._active.pop(key)
                transitions.append(_transition("resolved", alert, None, now))
        for transition in transitions:
            self._deliver(transition)
        return transitions

    def active(self) -> list[dict[str, Any]]:
        """The firing alerts, oldest first."""
        with self._lock:
            alerts = sorted(self._active.values(), key=lambda a: (a.since, a.rule, a.subject))
            return [alert.as_dict() for alert in alerts]

    def _deliver(self, transition: Transition) -> None:
        level = logging.WARNING if transition.event == "fired" else logging.INFO
        payload = transition.payload()
        log.log(
            level,
            "alert %s: %s",
            transition.event,
            payload["summary"],
            # `alert_event`, not `event`: structlog's name for the message itself.
            extra={
                "alert": transition.rule,
                "alert_event": transition.event,
                "subject": transition.subject,
                "value": transition.value,
                "threshold": transition.threshold,
                "since": payload["since"],
            },
        )
        if self.sink is not None:
            self.sink.send(payload)


def _transition(
    event: Literal["fired", "resolved"], alert: Alert, value: float | None, now: float
) -> Transition:
    return Transition(event, alert.rule, alert.subject, value, alert.threshold, alert.since, now)
