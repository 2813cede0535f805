"""The request observer: what foyer records of every HTTP request, at its end.

`foyer.api.middleware.FrontMiddleware`, the outermost of foyer's layers, opens each
request's `RequestInfo` (foyer.observability.context) with `open`, lets the request run
(the fast path, routing, the query monitor fill the info in), and at the end hands it to
`record`, once: `foyer_request_seconds` per method, route template, status and handler
(`fast` for answers the fast path gave before routing), `foyer_request_queries`, the
monitor's sliding window, N+1 suspects, and the access log line.

Cheap, because a cache hit is answered in tens of microseconds: what a request is
recorded into (its histogram children, its window label) is looked up once per label set
with one dict read (`Metrics.request_key`), the histograms take observations in batches
(`metrics.BatchedHistogram`), the window is one deque append and the access line is
queued as raw fields, rendered by the log's writer thread (docs/PERFORMANCE.md,
"Operations": the whole of it on vs off, side by side). `FOYER_MONITORING=off`: no
observer at all.
"""

from __future__ import annotations

from collections.abc import Callable

from starlette.types import Scope

from foyer.observability.context import RequestInfo, route_template
from foyer.observability.metrics import Metrics
from foyer.observability.queries import QueryMonitor

#: (route label, status, seconds, fast, queries) -> None: the monitor's sliding window.
Observer = Callable[[str, int, float, bool, int], None]
#: (info, status, seconds) -> None: the access log.
AccessLog = Callable[[RequestInfo, int, float], None]


class RequestObserver:
    def __init__(
        self,
        *,
        metrics: Metrics,
        queries: QueryMonitor,
        observe: Observer | None = None,
        access: AccessLog | None = None,
    ) -> None:
        self.metrics = metrics
        self.queries = queries
        self.observe = observe
        self.access = access

    def open(self, scope: Scope) -> RequestInfo:
        """The info of a request starting (the caller makes it the current one)."""
        return RequestInfo(scope["method"], scope["path"], monitor=self.queries)

    def record(self, scope: Scope, info: RequestInfo, status: int, elapsed: float) -> None:
        """Everything recorded of a finished request: `elapsed` seconds, `status` (500 when
        an exception escaped the app: Starlette answers it outside every middleware)."""
        fast = info.fast
        route = info.route if fast else route_template(scope)
        info.route = route
        key = (info.method, route, status, fast)
        timers = self.metrics.request_keys.get(key) or self.metrics.request_key(key)
        queries = info.queries
        timers[0].observe(elapsed)
        timers[1].observe(queries)
        if info.shapes is not None:  # it ran statements: were some repeated (N+1)?
            self.queries.finish(info)
        if self.observe is not None:
            self.observe(timers[2], status, elapsed, fast, queries)
        if self.access is not None:
            self.access(info, status, elapsed)
