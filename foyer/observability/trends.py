"""Trends sampled every few seconds (the monitor's thread, never a request): counters'
increases and resident memory over the monitoring window.

- `CounterTrend`: periodic samples of monotonic counters (the cache events of
  `Metrics.cache_events`), reported as increases over the window → `hit_rates` per view
  and tier.
- `MemoryTrend`: periodic samples of the process's resident memory.

Every clock is a parameter, so tests move time by hand instead of sleeping.
"""

from __future__ import annotations

import os
import resource  # POSIX only, as foyer is
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping
from typing import Generic, TypedDict, TypeVar

from foyer.observability.metrics import Metrics
from foyer.observability.window import Clock

T = TypeVar("T")


class _History(Generic[T]):
    """(time, value) samples no older than `seconds`, at most `max_samples` of them.
    Locked: the monitor's thread adds while a report prunes (neither is a request's path)."""

    def __init__(self, seconds: float, max_samples: int) -> None:
        self.seconds = seconds
        self._samples: deque[tuple[float, T]] = deque(maxlen=max_samples)
        self._lock = threading.Lock()

    def add(self, now: float, value: T) -> None:
        with self._lock:
            self._samples.append((now, value))

    def recent(self, now: float) -> list[tuple[float, T]]:
        """The samples inside the window ending at `now`, oldest first."""
        with self._lock:
            while self._samples and self._samples[0][0] < now - self.seconds:
                self._samples.popleft()
            return list(self._samples)

    def clear(self) -> None:
        with self._lock:
            self._samples.clear()


CounterKey = tuple[str, ...]


class CounterTrend:
    """Increases of monotonic counters between the oldest and the newest sample inside
    the window. Sampled by `tick()` (the monitor's thread), never on a request."""

    def __init__(
        self,
        read: Callable[[], Mapping[CounterKey, float]],
        seconds: float = 300,
        clock: Clock = time.monotonic,
        max_samples: int = 1024,
    ) -> None:
        self._read = read
        self._clock = clock
        self._history: _History[Mapping[CounterKey, float]] = _History(seconds, max_samples)

    def tick(self) -> None:
        self._history.add(self._clock(), dict(self._read()))

    def increases(self) -> dict[CounterKey, float]:
        samples = self._history.recent(self._clock())
        if not samples:
            return {}
        first, last = samples[0][1], samples[-1][1]
        # A value below its first sample means the counter restarted: all of it is new
        # (Prometheus' increase() does the same).
        return {
            key: value if value < first.get(key, 0.0) else value - first.get(key, 0.0)
            for key, value in last.items()
        }

    def reset(self) -> None:
        """Forget the past; the current values become the new baseline."""
        self._history.clear()
        self.tick()


def cache_event_counts(metrics: Metrics) -> dict[CounterKey, float]:
    """`foyer_cache_events_total` now, keyed (view, tier, event)."""
    counts: dict[CounterKey, float] = {}
    for family in metrics.cache_events.collect():
        for sample in family.samples:
            if sample.name.endswith("_total"):
                labels = sample.labels
                counts[(labels["view"], labels["tier"], labels["event"])] = sample.value
    return counts


class HitRate(TypedDict):
    lookups: int
    hits: int
    rate: float | None  # None: no lookup in the window


def hit_rates(increases: Mapping[CounterKey, float]) -> dict[str, dict[str, HitRate]]:
    """Per view: `l1` and `l2` (hits over that tier's lookups) and `all` (L1 or L2 hits
    over all lookups, i.e. answers not computed). Warm-ups, errors, fallbacks and the
    cache being off are not lookups (foyer/cache/store.py)."""
    views = sorted({key[0] for key in increases})
    report: dict[str, dict[str, HitRate]] = {}
    for view in views:

        def count(tier: str, event: str, view: str = view) -> int:
            return int(increases.get((view, tier, event), 0))

        l1_hits, l1_lookups = count("l1", "hit"), count("l1", "hit") + count("l1", "miss")
        l2_hits, l2_lookups = count("l2", "hit"), count("l2", "hit") + count("l2", "miss")
        if l1_lookups == 0 and l2_lookups == 0:
            continue
        report[view] = {
            "l1": _rate(l1_hits, l1_lookups),
            "l2": _rate(l2_hits, l2_lookups),
            "all": _rate(l1_hits + l2_hits, l1_lookups),
        }
    return report


def _rate(hits: int, lookups: int) -> HitRate:
    return HitRate(lookups=lookups, hits=hits, rate=round(hits / lookups, 4) if lookups else None)


def current_rss() -> int:
    """The process's resident memory in bytes: /proc/self/statm on Linux; elsewhere the
    peak (getrusage's maxrss), the best the standard library offers without psutil."""
    try:
        with open("/proc/self/statm", "rb") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except OSError:
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return peak if sys.platform == "darwin" else peak * 1024  # bytes there, KiB here


class MemoryReport(TypedDict):
    current_bytes: int
    min_bytes: int
    max_bytes: int
    growth_bytes: int  # newest sample minus the oldest inside the window
    growth_pct: float
    samples: list[tuple[float, int]]  # (seconds ago, bytes), oldest first
    # Watched for a whole window since start (or reset): only then is growth judged, so the
    # memory a process takes while starting (imports, cache warming) fires no alert.
    full: bool


class MemoryTrend:
    def __init__(
        self,
        seconds: float = 300,
        read: Callable[[], int] = current_rss,
        clock: Clock = time.monotonic,
        max_samples: int = 1024,
    ) -> None:
        self._read = read
        self._clock = clock
        self._history: _History[int] = _History(seconds, max_samples)
        self._since: float | None = None  # the first sample's time

    def tick(self) -> None:
        now = self._clock()
        self._history.add(now, self._read())
        if self._since is None:
            self._since = now

    def report(self) -> MemoryReport | None:
        """None before the first sample."""
        now = self._clock()
        samples = self._history.recent(now)
        if not samples:
            return None
        values = [value for _, value in samples]
        first, last = values[0], values[-1]
        return MemoryReport(
            current_bytes=last,
            min_bytes=min(values),
            max_bytes=max(values),
            growth_bytes=last - first,
            growth_pct=round((last - first) * 100 / first, 2) if first else 0.0,
            samples=[(round(now - at, 3), value) for at, value in samples],
            full=self._since is not None and now - self._since >= self._history.seconds,
        )

    def reset(self) -> None:
        self._history.clear()
        self._since = None
        self.tick()
