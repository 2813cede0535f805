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

import bisect
import os
import platform
import shutil
import tempfile
import threading
from collections import deque
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
from prometheus_client.metrics_core import CounterMetricFamily, GaugeMetricFamily, Metric
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
    """Gauges read when scraped: build info, the job queue's depth and job counts by kind
    and status (from the `job` table, so exact across processes and machines), and the
    warmer's queue (this process's)."""

    def __init__(self) -> None:
        self.queue_depth: Callable[[], int] | None = None
        self.job_counts: Callable[[], dict[tuple[str, str], int]] | None = None
        #: (warm-ups waiting, dropped unrun, skipped as unread, since start) of this
        #: process's warmer.
        self.warm_queue: Callable[[], tuple[int, int, int]] | None = None

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
        if self.warm_queue is not None:
            pending, dropped, skipped = self.warm_queue()
            yield GaugeMetricFamily(
                "foyer_warm_pending",
                "Cache warm-ups after commits waiting for the warmer thread (this process).",
                value=pending,
            )
            yield CounterMetricFamily(
                "foyer_warm_dropped",
                "Warm-ups dropped unrun because the bounded queue was full, oldest first "
                "(this process, since start): their views are computed by the next reader.",
                value=dropped,
            )
            yield CounterMetricFamily(
                "foyer_warm_skipped",
                "Warm-ups not queued because the view's last warm-up was not read before the "
                "next write changed it (this process, since start): its next reader computes it.",
                value=skipped,
            )


#: Observations a batched histogram gathers before folding them itself (bounded memory
#: when nobody scrapes): ~10 KB of floats, a few folds a second on a busy process.
FOLD_AT = 1024


#: (method, route template, status, fast) of a request.
RequestKey = tuple[str, str, int, bool]
#: (its request timer, its route's query counter, its label in the monitor's window).
RequestTimers = tuple[Any, Any, str]
#: Request label sets remembered: routes, methods and statuses are few, but a client's odd
#: methods must not grow the map without end.
MAX_REQUEST_KEYS = 4096


class BatchedHistogram:
    """A labelled child of a prometheus_client `Histogram`, observed in batches.

    `observe` appends the value to a deque (~0.05 µs, no lock); `fold` adds what gathered
    to the child at once, one locked increment per bucket touched and one for the sum.
    prometheus-client's own `observe` takes two locked increments per observation
    (~0.8 µs); foyer observes two to four histograms per request, on cache hits that
    cost ~40 µs in all, so that was the largest part of what monitoring cost a hit
    (docs/PERFORMANCE.md, "Operations"). prometheus-client has no batch observation:
    `fold` writes the child's bucket and sum values (`_buckets`, `_sum`, `_upper_bounds`,
    its storage since 0.4; the version is pinned, and tests/observability/test_batched.py
    holds a folded histogram's exposition equal to one observed value by value).

    Folded before every read of the registry (`FoldingRegistry`), and by `observe` once
    `FOLD_AT` values gathered. Not used in multiprocess mode: there another process's
    scrape reads this one's files, and nothing would fold them first.
    """

    __slots__ = ("_bounds", "_child", "_lock", "_pending")

    def __init__(self, child: Any) -> None:
        self._child = child
        self._bounds: list[float] = list(child._upper_bounds)
        self._pending: deque[float] = deque()
        self._lock = threading.Lock()  # one fold at a time: each pops what it counted

    def observe(self, amount: float) -> None:
        pending = self._pending
        pending.append(amount)  # atomic: threads (sync routes) may observe too
        if len(pending) >= FOLD_AT:
            self.fold()

    def fold(self) -> None:
        with self._lock:
            pending = self._pending
            values = [pending.popleft() for _ in range(len(pending))]
        if not values:
            return
        counts = [0] * len(self._bounds)
        bounds = self._bounds
        for value in values:
            # prometheus-client's rule: the first bucket whose bound is >= the value.
            counts[bisect.bisect_left(bounds, value)] += 1
        child = self._child
        child._sum.inc(sum(values))
        for index, count in enumerate(counts):
            if count:
                child._buckets[index].inc(count)


class FoldingRegistry(CollectorRegistry):
    """A registry that folds the batched histograms before anything reads it (a scrape,
    `get_sample_value`): a read sees every observation made before it."""

    def __init__(self, fold: Callable[[], None]) -> None:
        super().__init__()
        self._fold = fold

    def collect(self) -> Iterator[Metric]:
        self._fold()
        yield from super().collect()


class Metrics:
    def __init__(self) -> None:
        self.multiprocess = multiprocess_dir() is not None
        self._batched: list[BatchedHistogram] = []
        self._batched_lock = threading.Lock()
        self.registry = FoldingRegistry(self.fold)
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
        #: See `request_key`; read directly by the observer on every request.
        self.request_keys: dict[RequestKey, RequestTimers] = {}
        self._cache_children: dict[tuple[str, str, str], Any] = {}
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
            child = self.batched(self.request_seconds.labels(method, route, str(status), handler))
            self._request_children[key] = child
        return child

    def view_timer(self, view: str, outcome: str) -> Any:
        """The labelled child of `foyer_view_seconds` (looked up once per label set)."""
        child = self._view_children.get((view, outcome))
        if child is None:
            child = self.batched(self.view_seconds.labels(view, outcome))
            self._view_children[(view, outcome)] = child
        return child

    def query_counter(self, route: str) -> Any:
        """The labelled child of `foyer_request_queries` for `route` (looked up once)."""
        child = self._query_children.get(route)
        if child is None:
            child = self._query_children[route] = self.batched(self.request_queries.labels(route))
        return child

    def batched(self, child: Any) -> Any:
        """`child` (a labelled histogram child) observed through a `BatchedHistogram`, or
        as it is in multiprocess mode. Call once per label set and keep the result."""
        if self.multiprocess:
            return child
        batched = BatchedHistogram(child)
        with self._batched_lock:
            self._batched.append(batched)
        return batched

    def fold(self) -> None:
        """Every batched observation into its histogram (before a read)."""
        with self._batched_lock:
            batched = list(self._batched)
        for histogram in batched:
            histogram.fold()

    def cache_counter(self, view: str, tier: str, event: str) -> Any:
        """The labelled child of `foyer_cache_events_total` (looked up once per label set:
        a cache hit counts one, and labels() costs twice the increment)."""
        key = (view, tier, event)
        child = self._cache_children.get(key)
        if child is None:
            child = self._cache_children[key] = self.cache_events.labels(view, tier, event)
        return child

    def request_key(self, key: RequestKey) -> RequestTimers:
        """What the request observer records a request of this (method, route template,
        status, fast) into: its `foyer_request_seconds` child, its route's
        `foyer_request_queries` child, its window label (remembered: one lookup a request)."""
        method, route, status, fast = key
        timers = (
            self.request_timer(method, route, status, fast),
            self.query_counter(route),
            f"fast:{route}" if fast else route,
        )
        if len(self.request_keys) < MAX_REQUEST_KEYS:
            self.request_keys[key] = timers
        return timers

    def reset_requests(self) -> None:
        """Request counts from zero (tests count exactly)."""
        dropped = {
            id(c) for c in (*self._request_children.values(), *self._query_children.values())
        }
        with self._batched_lock:
            self._batched = [b for b in self._batched if id(b) not in dropped]
        self.request_keys.clear()
        self.request_seconds.clear()
        self.request_queries.clear()
        self._request_children.clear()
        self._query_children.clear()

    def reset_cache_events(self) -> None:
        """Cache counters from zero (tests count exactly)."""
        self._cache_children.clear()
        self.cache_events.clear()

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
            return generate_latest(self.registry)  # it folds first
        merged = CollectorRegistry()
        multiprocess.MultiProcessCollector(merged, path=directory)  # type: ignore[no-untyped-call]
        for collector in (self.state, PROCESS_COLLECTOR, PLATFORM_COLLECTOR, GC_COLLECTOR):
            merged.register(collector)
        return generate_latest(merged)
