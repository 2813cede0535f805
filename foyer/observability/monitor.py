"""The monitor: the recent past of this process, and the alerts judged on it.

One `Monitor` per app owns the request window (fed by the request observer on every
request: `observe`), the cache counters' and memory's trends and the alert engine. A
daemon thread (`start`/`stop`, from the app's lifespan) calls `tick` every
FOYER_ALERT_INTERVAL_SECONDS: sample the counters and the memory, evaluate the alerts.
`report` is what `/api/v1/monitoring/performance` shows of it; `reset` starts a new window.

Everything is per process: with `--workers N` each worker watches its own requests (the
Prometheus metrics are the merged view).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from foyer.observability.alerts import Alerts, Observed, Thresholds, Transition, check
from foyer.observability.metrics import Metrics
from foyer.observability.trends import (
    CounterTrend,
    MemoryTrend,
    cache_event_counts,
    current_rss,
    hit_rates,
)
from foyer.observability.webhook import WebhookSender
from foyer.observability.window import Clock, RequestWindow
from foyer.settings import Settings

log = logging.getLogger("foyer.monitor")

_FALLBACKS = ("fallbacks",)


class Monitor:
    def __init__(
        self,
        settings: Settings,
        metrics: Metrics,
        clock: Clock = time.monotonic,
        *,
        wall: Clock = time.time,
        rss: Callable[[], int] = current_rss,
        fallbacks: Callable[[], float] | None = None,
        sender: WebhookSender | None = None,
        on_tick: Callable[[], None] | None = None,
    ) -> None:
        """`fallbacks`: the running total of optimized reads the reference reader answered
        (its increase over the window feeds the `reader_fallback` alert). `sender`: the
        webhook's, made from the settings when None and FOYER_ALERT_WEBHOOK_URL is set."""
        seconds = settings.monitor_window_seconds
        self.interval = settings.alert_interval_seconds
        self.thresholds = Thresholds.from_settings(settings)
        self._clock = clock
        self._wall = wall
        self.window = RequestWindow(seconds, clock=clock)
        # The hot path calls the window's own method: no extra frame per request.
        self.observe = self.window.observe
        self.cache = CounterTrend(lambda: cache_event_counts(metrics), seconds, clock)
        self.memory = MemoryTrend(seconds, rss, clock)
        read_fallbacks = fallbacks or (lambda: 0.0)
        self.fallbacks = CounterTrend(lambda: {_FALLBACKS: read_fallbacks()}, seconds, clock)
        if sender is None and settings.alert_webhook_url:
            sender = WebhookSender(
                settings.alert_webhook_url, timeout=settings.alert_webhook_timeout_seconds
            )
        self.sender = sender
        self.alerts = Alerts(sender)
        # More background work of the same rhythm (the query monitor's plans), after a tick.
        self._on_tick = on_tick
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._sample()  # the baselines the first window's increases start from

    def _sample(self) -> None:
        self.cache.tick()
        self.memory.tick()
        self.fallbacks.tick()

    def observed(self) -> Observed:
        return Observed(
            routes=self.window.snapshot(),
            hit_rates=hit_rates(self.cache.increases()),
            memory=self.memory.report(),
            fallbacks=int(self.fallbacks.increases().get(_FALLBACKS, 0)),
        )

    def tick(self) -> list[Transition]:
        """Sample, evaluate the alerts (their transitions are logged and sent), then run
        `on_tick`."""
        self._sample()
        transitions = self.alerts.evaluate(check(self.observed(), self.thresholds), self._wall())
        if self._on_tick is not None:
            self._on_tick()
        return transitions

    def report(self) -> dict[str, Any]:
        """JSON-able: per route latency and errors, hit rates per view and tier, memory
        trend, active alerts, webhook delivery counts (None without a webhook)."""
        observed = self.observed()
        webhook = None
        if self.sender is not None:
            webhook = {**self.sender.counts(), "breaker": self.sender.state()}
        return {
            "window_seconds": self.window.seconds,
            "routes": dict(observed.routes),
            "cache": dict(observed.hit_rates),
            "memory": observed.memory,
            "reader_fallbacks": observed.fallbacks,
            "alerts": {"active": self.alerts.active(), "webhook": webhook},
        }

    def reset(self) -> None:
        """A new window from now. Firing alerts stay firing until the next evaluation
        judges them on the new window (and resolves them once if they no longer hold)."""
        self.window.reset()
        self.cache.reset()
        self.memory.reset()
        self.fallbacks.reset()

    # -- the background thread -----------------------------------------------------------

    def start(self) -> None:
        if self._thread is not None and self._thread.is_alive():
            return
        self._stop.clear()
        if self.sender is not None:
            self.sender.start()
        self._thread = threading.Thread(target=self._run, name="foyer-monitor", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None
        if self.sender is not None:
            self.sender.stop(timeout)

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self.tick()  # `on_tick` included (it ran twice a tick before)
            except Exception:  # one bad tick must not end monitoring: logged, next one runs
                log.exception("monitor tick failed")
