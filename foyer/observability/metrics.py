"""The app's Prometheus metrics, on a registry of its own — or, with several worker
processes, in prometheus_client's multiprocess mode so one scrape sees them all.

Each app (`create_app`) makes one `Metrics` and hands it to what counts: the request
observer (per route template, the fast path's answers included), the query monitor, the
cache tiers and the view answers. A registry per app rather than prometheus_client's
global one: two apps in one process (tests, the bench's in-process servers) then count
apart, and a test reads its own app's numbers instead of a difference of process-wide totals.

Multiprocess: `foyer serve --workers N` sets `PROMETHEUS_MULTIPROC_DIR` before the workers
start; prometheus_client then keeps every counter and histogram in a memory-mapped file
per process, and `exposition` merges them (`MultiProcessCollector`). The process, GC and
platform collectors then describe the scraped process only (prometheus_client's rule).

Labels are bounded: a route template, never a raw path; a view name; a status code; never
a household id or a month.
"""

from __future__ import annotations

import os
import platform
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from prometheus_client import (
    GC_COLLECTOR,
    PLATFORM_COLLECTOR,
    PROCESS_COLLECTOR,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.metrics_core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from foyer import __version__

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
_QUERY_COUNT_BUCKETS = (0, 1, 2, 3, 5, 8, 13, 21, 34, 55, 100, 250, 1000)

#: Set by `foyer serve --workers N` (N > 1): prometheus_client reads it when first imported.
MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"


def multiprocess_dir() -> str | None:
    return os.environ.get(MULTIPROC_ENV) or None


@contextmanager
def multiprocess_metrics(workers: int) -> Iterator[None]:
    """Around `uvicorn.run` with `workers` processes: with more than one, a fresh directory
    for prometheus_client's per-process files (set before the workers import it), removed
    afterwards. An operator's own PROMETHEUS_MULTIPROC_DIR is kept as it is."""
    if workers < 2 or multiprocess_dir() is not None:
        yield
        return
    directory = tempfile.mkdtemp(prefix="foyer-metrics-")
    os.environ[MULTIPROC_ENV] = directory
    try:
        yield
    finally:
        del os.environ[MULTIPROC_ENV]
        shutil.rmtree(directory, ignore_errors=True)


def process_exited() -> None:
    """A worker stopping: its live gauges leave the merged view (prometheus_client's rule;
    its counters and histograms stay counted)."""
    directory = multiprocess_dir()
    if directory is not None:
        multiprocess.mark_process_dead(os.getpid(), directory)  # type: ignore[no-untyped-call]


class _StateCollector(Collector):
    """Gauges read when scraped: build info, and the job queue's depth and job counts by
    kind and status (from the `job` table, so exact across processes and machines)."""

    def __init__(self) -> None:
        self.queue_depth: Callable[[], int] | None = None
        self.job_counts: Callable[[], dict[tuple[str, str], int]] | None = None

    def collect(self) -> Iterator[Metric]:
        build = GaugeMetricFamily(
            "foyer_build_info", "foyer's version and Python's.", labels=["version", "python"]
        )
        build.add_metric([__version__, platform.python_version()], 1)
        yield build
        if self.queue_depth is not None:
            depth = GaugeMetricFamily(
                "foyer_job_queue_depth", "Messages waiting in the job broker (-1: unreachable)."
            )
            try:
                depth.add_metric([], self.queue_depth())
            except Exception:  # a broker down is a value here; /ready reports the reason
                depth.add_metric([], -1)
            yield depth
        if self.job_counts is not None:
            jobs = GaugeMetricFamily(
                "foyer_jobs", "Jobs in the job table by kind and status.", labels=["kind", "status"]
            )
            for (kind, status), count in sorted(self.job_counts().items()):
                jobs.add_metric([kind, status], count)
            yield jobs


class Metrics:
    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry()
        self.multiprocess = multiprocess_dir() is not None
        # The process's own numbers (memory, CPU, file descriptors, GC, Python version),
        # as prometheus_client's default registry exposes them: dashboards rely on them.
        for collector in (PROCESS_COLLECTOR, PLATFORM_COLLECTOR, GC_COLLECTOR):
            self.registry.register(collector)
        self.state = _StateCollector()
        self.registry.register(self.state)
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
        self.request_seconds = Histogram(
            "foyer_request_seconds",
            "HTTP requests by method, route template, status and handler (fast: answered by "
            "the fast path before routing; route: by FastAPI), from the observer's first byte "
            "in to the last byte out.",
            ["method", "route", "status", "handler"],
            buckets=_VIEW_BUCKETS,
            registry=self.registry,
        )
        self.request_queries = Histogram(
            "foyer_request_queries",
            "Database statements run by one request, by route template.",
            ["route"],
            buckets=_QUERY_COUNT_BUCKETS,
            registry=self.registry,
        )
        self.query_seconds = Histogram(
            "foyer_query_seconds",
            "Database statement latency (every statement through the app's engines, "
            "requests' and background work's), by kind (select, insert, update, delete, other).",
            ["kind"],
            buckets=_VIEW_BUCKETS,
            registry=self.registry,
        )
        self.repeated_statements = Counter(
            "foyer_repeated_statements_total",
            "Requests that ran one statement shape at least FOYER_QUERY_REPEAT_THRESHOLD times "
            "(N+1 suspects), by route template.",
            ["route"],
            registry=self.registry,
        )
        self._request_children: dict[tuple[str, str, int, bool], Any] = {}
        self._query_children: dict[str, Any] = {}
        self._view_children: dict[tuple[str, str], Any] = {}
        self.slow_statements = Counter(
            "foyer_slow_statements_total",
            "Statements slower than FOYER_SLOW_QUERY_MS, by kind.",
            ["kind"],
            registry=self.registry,
        )
        self.reader_fallbacks = Counter(
            "foyer_reader_fallbacks_total",
            "Dashboard reads the optimized reader failed and the reference reader answered "
            "(foyer/read/fallback.py), by view.",
            ["view"],
            registry=self.registry,
        )

        self.stamp_reads = Counter(
            "foyer_stamp_reads_total",
            "PostgreSQL: data stamp reads of cache lookups by source: feed (in memory, "
            "after a fence), database (the feed had not heard of them yet), feed_down (the "
            "feed could not answer), feed_off (FOYER_STAMP_FEED=off).",
            ["source"],
            registry=self.registry,
        )

    def request_timer(self, method: str, route: str, status: int, fast: bool) -> Any:
        """The labelled child of `foyer_request_seconds`, looked up once per label set:
        prometheus_client's labels() (a lock, a tuple, a dict) costs more than observe()."""
        key = (method, route, status, fast)
        child = self._request_children.get(key)
        if child is None:
            handler = "fast" if fast else "route"
            child = self.request_seconds.labels(method, route, str(status), handler)
            self._request_children[key] = child
        return child

    def view_timer(self, view: str, outcome: str) -> Any:
        """The labelled child of `foyer_view_seconds` (looked up once per label set)."""
        child = self._view_children.get((view, outcome))
        if child is None:
            child = self._view_children[(view, outcome)] = self.view_seconds.labels(view, outcome)
        return child

    def query_counter(self, route: str) -> Any:
        """The labelled child of `foyer_request_queries` for `route` (looked up once)."""
        child = self._query_children.get(route)
        if child is None:
            child = self._query_children[route] = self.request_queries.labels(route)
        return child

    def reset_requests(self) -> None:
        """Request counts from zero (tests count exactly)."""
        self.request_seconds.clear()
        self.request_queries.clear()
        self._request_children.clear()
        self._query_children.clear()

    def fallbacks_total(self) -> float:
        """Every view's reader fallbacks so far (the monitor's alert reads its increase)."""
        return sum(
            sample.value
            for metric in self.reader_fallbacks.collect()
            for sample in metric.samples
            if sample.name.endswith("_total")
        )

    def count(self, view: str, tier: str, event: str) -> float:
        """The current value of one cache counter (tests and monitoring read these)."""
        labels = {"view": view, "tier": tier, "event": event}
        return self.registry.get_sample_value("foyer_cache_events_total", labels) or 0.0

    def exposition(self) -> bytes:
        """Every metric in the Prometheus text format: this process's, or with several
        worker processes every process's, merged."""
        directory = multiprocess_dir()
        if directory is None:
            return generate_latest(self.registry)
        merged = CollectorRegistry()
        multiprocess.MultiProcessCollector(merged, path=directory)  # type: ignore[no-untyped-call]
        for collector in (self.state, PROCESS_COLLECTOR, PLATFORM_COLLECTOR, GC_COLLECTOR):
            merged.register(collector)
        return generate_latest(merged)
