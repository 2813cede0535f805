"""The request observer: what foyer records of every HTTP request, at its end.

`foyer.api.middleware.FrontMiddleware`, the outermost of foyer's layers, opens each
request's `RequestInfo` (foyer.observability.context) with `open`, lets the request run
(the fast path, routing, the query monitor fill the info in), and at the end hands it to
`record`, once: `foyer_request_seconds` per method, route template, status and handler
(`fast` for answers the fast path gave before routing), `foyer_request_queries`, the
monitor's sliding window, N+1 suspects, and the access log line.

Cheap, because a cache hit is answered in tens of microseconds: the labelled histogram
children are looked up once per label set (`Metrics.request_timer`), the window's label
of a fast route is made once, and the rest is a handful of attribute writes and the
access log's append (docs/PERFORMANCE.md, "Operations": the whole of it on vs off, side
by side). `FOYER_MONITORING=off`: no observer at all.
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


def route_of(scope: Scope, info: RequestInfo) -> str:
    """The route template that answered (the fast path sets it itself), or UNMATCHED."""
    return info.route if info.fast else route_template(scope)


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
        self._fast_labels: dict[str, str] = {}  # route -> the window's label of its fast answers

    def open(self, scope: Scope) -> RequestInfo:
        """The info of a request starting (the caller makes it the current one)."""
        return RequestInfo(scope["method"], scope["path"], monitor=self.queries)

    def record(self, scope: Scope, info: RequestInfo, status: int, elapsed: float) -> None:
        """Everything recorded of a finished request: `elapsed` seconds, `status` (500 when
        an exception escaped the app: Starlette answers it outside every middleware)."""
        info.route = route = route_of(scope, info)
        fast = info.fast
        self.metrics.request_timer(info.method, route, status, fast).observe(elapsed)
        self.metrics.query_counter(route).observe(info.queries)
        self.queries.finish(info)
        if self.observe is not None:
            label = route
            if fast:
                label = self._fast_labels.get(route) or self._fast_labels.setdefault(
                    route, f"fast:{route}"
                )
            self.observe(label, status, elapsed, fast, info.queries)
        if self.access is not None:
            self.access(info, status, elapsed)
