"""The last few minutes of requests, per route: latency percentiles, errors, queries.

Prometheus histograms only grow; an operator asking "how is it now?" needs the recent
past alone. `RequestWindow` keeps every request's route, status, duration and query count,
per route in a bounded deque, in this process (each worker its own); the monitor
(`foyer.observability.monitor`) reports it and the alerts judge it. Cache hit rates and
memory, sampled rather than recorded per request, are `foyer.observability.trends`.

`observe` runs on every request, cache hits answered in ~30 µs included, so it is one dict
lookup and one `deque.append` — no lock: deque appends are atomic (thread-safe by the
deque's documentation) and the readers copy. Percentiles are exact over the samples
retained (nearest rank over a sorted copy). The clock is a parameter, so tests move time
by hand instead of sleeping.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from typing import TypedDict

Clock = Callable[[], float]

#: A runaway caller (a raw path passed as a route) must not grow the window without end:
#: past this many routes, new ones are all recorded as OTHER_ROUTE.
MAX_ROUTES = 512
OTHER_ROUTE = "other"


#: (at: the window's clock, seconds, status, queries). A bare tuple, not a NamedTuple:
#: a NamedTuple's constructor is a Python call, which doubled `observe` (450 -> 200 ns).
Sample = tuple[float, float, int, int]


class RouteStats(TypedDict):
    count: int
    errors: int  # 5xx
    error_rate: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    max_ms: float
    queries_mean: float
    queries_max: int
    fast: bool  # answered by the fast path before routing
    capped: bool  # the window held more requests than `per_route`: these are the latest


def percentile(ordered: list[float], p: int) -> float:
    """Nearest-rank percentile of an ascending, non-empty list: the smallest value with at
    least p % of the values at or below it (integer arithmetic: no rounding surprises)."""
    rank = max(1, -(-p * len(ordered) // 100))
    return ordered[rank - 1]


class RequestWindow:
    def __init__(self, seconds: float = 300, per_route: int = 4096, clock: Clock = time.monotonic):
        self.seconds = seconds
        self.per_route = per_route
        self._clock = clock
        self._routes: dict[str, deque[Sample]] = {}
        self._fast: dict[str, bool] = {}

    def observe(self, route: str, status: int, seconds: float, fast: bool, queries: int) -> None:
        """Record one request (`route`: a template, or "fast:" + template). The hot path:
        no lock, no sorting, nothing that grows with the traffic."""
        samples = self._routes.get(route)
        if samples is None:
            samples = self._add_route(route, fast)
        samples.append((self._clock(), seconds, status, queries))

    def _add_route(self, route: str, fast: bool) -> deque[Sample]:
        routes = self._routes
        if len(routes) >= MAX_ROUTES and route not in routes:
            route = OTHER_ROUTE
        self._fast.setdefault(route, fast)
        # setdefault is atomic: two threads meeting a new route share one deque.
        return routes.setdefault(route, deque(maxlen=self.per_route))

    def snapshot(self) -> dict[str, RouteStats]:
        """Per route, the requests still inside the window (routes without any left out)."""
        cutoff = self._clock() - self.seconds
        report: dict[str, RouteStats] = {}
        for route, samples in list(self._routes.items()):
            # deque.copy is a single C call (atomic under the GIL); iterating the live
            # deque while requests append to it would raise.
            retained = samples.copy()
            recent = [sample for sample in retained if sample[0] >= cutoff]
            if recent:
                capped = len(retained) == self.per_route and retained[0][0] >= cutoff
                report[route] = _stats(recent, fast=self._fast.get(route, False), capped=capped)
        return report

    def reset(self) -> None:
        # A new dict rather than clear(): a request between lookup and append writes to
        # the old deque, which nobody reads any more. `_fast` first: a route added in
        # between then finds its flag in the new one.
        self._fast = {}
        self._routes = {}


def _stats(samples: list[Sample], *, fast: bool, capped: bool) -> RouteStats:
    # About 1 ms for a full route (4096 samples, sorting most of it), on the monitor's
    # thread every FOYER_ALERT_INTERVAL_SECONDS and for each report: never on a request.
    ordered = sorted(seconds for _, seconds, _, _ in samples)
    count = len(ordered)
    errors = sum(1 for _, _, status, _ in samples if status >= 500)
    queries = [queries for _, _, _, queries in samples]
    return RouteStats(
        count=count,
        errors=errors,
        error_rate=errors / count,
        p50_ms=_ms(percentile(ordered, 50)),
        p95_ms=_ms(percentile(ordered, 95)),
        p99_ms=_ms(percentile(ordered, 99)),
        max_ms=_ms(ordered[-1]),
        queries_mean=round(sum(queries) / count, 3),
        queries_max=max(queries),
        fast=fast,
        capped=capped,
    )


def _ms(seconds: float) -> float:
    return round(seconds * 1000, 3)
