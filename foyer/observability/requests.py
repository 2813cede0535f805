"""The request observer: the outermost of foyer's own middleware, around every HTTP request.

It opens the request's `RequestInfo` (foyer.observability.context), lets the request run
(the fast path, routing, the query monitor fill the info in), and at the end records it
once: `foyer_request_seconds` per method, route template, status and handler (`fast` for
answers the fast path gave before routing), `foyer_request_queries`, the monitor's sliding
window, N+1 suspects, and the access log line.

Pure ASGI (BaseHTTPMiddleware breaks context variables and streaming) and cheap: a cache
hit is answered in ~30 µs, so the labelled histogram children are looked up once per
label set (`Metrics.request_timer`) and the rest is a handful of attribute writes
(docs/PERFORMANCE.md, "Operations": the whole of it on vs off, side by side).
"""

from __future__ import annotations

import time
from collections.abc import Callable

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from foyer.observability.context import RequestInfo, current_request, route_template
from foyer.observability.metrics import Metrics
from foyer.observability.queries import QueryMonitor

#: (route label, status, seconds, fast, queries) -> None: the monitor's sliding window.
Observer = Callable[[str, int, float, bool, int], None]
#: (info, status, seconds) -> None: the access log.
AccessLog = Callable[[RequestInfo, int, float], None]


def route_of(scope: Scope, info: RequestInfo) -> str:
    """The route template that answered (the fast path sets it itself), or UNMATCHED."""
    return info.route if info.fast else route_template(scope)


class ObserveMiddleware:
    def __init__(
        self,
        app: ASGIApp,
        *,
        metrics: Metrics,
        queries: QueryMonitor,
        observe: Observer | None = None,
        access: AccessLog | None = None,
    ) -> None:
        self.app = app
        self.metrics = metrics
        self.queries = queries
        self.observe = observe
        self.access = access

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        info = RequestInfo(scope["method"], scope["path"], monitor=self.queries)
        token = current_request.set(info)
        status = 500  # an exception escaping the app becomes a 500 outside this middleware
        started = time.perf_counter()

        async def observed_send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, observed_send)
        finally:
            elapsed = time.perf_counter() - started
            current_request.reset(token)
            info.route = route_of(scope, info)
            self._record(info, status, elapsed)

    def _record(self, info: RequestInfo, status: int, elapsed: float) -> None:
        self.metrics.request_timer(info.method, info.route, status, info.fast).observe(elapsed)
        self.metrics.query_counter(info.route).observe(info.queries)
        self.queries.finish(info)
        if self.observe is not None:
            label = f"fast:{info.route}" if info.fast else info.route
            self.observe(label, status, elapsed, info.fast, info.queries)
        if self.access is not None:
            self.access(info, status, elapsed)
