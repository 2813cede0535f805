"""The app's Prometheus metrics, on a registry of its own.

Each app (`create_app`) makes one `Metrics` and hands it to what counts: the cache tiers
and the view answers. A registry per app rather than prometheus_client's global one: two
apps in one process (tests, the bench's in-process servers) then count apart, and a test
reads its own app's numbers instead of a difference of process-wide totals.
"""

from __future__ import annotations

from prometheus_client import (
    GC_COLLECTOR,
    PLATFORM_COLLECTOR,
    PROCESS_COLLECTOR,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)

# Fine below 1 ms: a warm hit's p95 must be read off these.
_VIEW_BUCKETS = (
    0.00005,
    0.0001,
    0.00025,
    0.0005,
    0.00075,
    0.001,
    0.0025,
    0.005,
    0.01,
    0.025,
    0.05,
    0.1,
    0.25,
    0.5,
    1.0,
    2.5,
)


class Metrics:
    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry()
        # The process's own numbers (memory, CPU, file descriptors, GC, Python version),
        # as prometheus_client's default registry exposes them: dashboards rely on them.
        for collector in (PROCESS_COLLECTOR, PLATFORM_COLLECTOR, GC_COLLECTOR):
            self.registry.register(collector)
        self.cache_events = Counter(
            "foyer_cache_events_total",
            "Cache lookups by view, tier (l1, l2) and event (hit, miss, error, fallback, off; "
            "warm: computed by the warmer, not a lookup).",
            ["view", "tier", "event"],
            registry=self.registry,
        )
        self.view_seconds = Histogram(
            "foyer_view_seconds",
            "Server-side time of a dashboard view, from its version read to its response "
            "(the framework's share excluded), by view and outcome: hit (L1), not_modified "
            "(304), miss (L2 or computed).",
            ["view", "outcome"],
            buckets=_VIEW_BUCKETS,
            registry=self.registry,
        )

    def count(self, view: str, tier: str, event: str) -> float:
        """The current value of one cache counter (tests and monitoring read these)."""
        labels = {"view": view, "tier": tier, "event": event}
        return self.registry.get_sample_value("foyer_cache_events_total", labels) or 0.0

    def exposition(self) -> bytes:
        """Every metric in the Prometheus text format."""
        return generate_latest(self.registry)
