"""The request observer: what foyer records of every HTTP request, at its end.

`foyer.api.middleware.FrontMiddleware`, the outermost of foyer's layers, opens each
request's `RequestInfo` (foyer.observability.context) with `open`, lets the request run
(the fast path, routing, the query monitor fill the info in), and at the end hands it to
`record`, once. `record` resolves the route template, checks the request's statements for
N+1 suspects (their warning carries the request's correlation id, so it is logged now)
and adds the request to the journal (`foyer.observability.journal`): one tuple, one
append. The journal's thread then hands batches back to `finish`, which feeds
`foyer_request_seconds` per method, route template, status and handler (`fast` for
answers the fast path gave before routing), `foyer_request_queries`, the monitor's sliding
window and the access log.

Cheap, because a cache hit is answered in tens of microseconds: the request pays for the
append; the rest runs in batches (docs/PERFORMANCE.md, "Operations": the whole of it on vs
off, side by side). In prometheus_client's multiprocess mode `record` finishes the request
at once (another process's scrape cannot drain this one's journal). `FOYER_MONITORING=off`:
no observer at all.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from asgi_correlation_id import correlation_id
from starlette.types import Scope

from foyer.observability.access import access_writer, raw_of
from foyer.observability.context import RequestInfo, current_job, route_template
from foyer.observability.journal import Entry, journal
from foyer.observability.metrics import Metrics
from foyer.observability.queries import QueryMonitor
from foyer.observability.window import Clock

#: (route label, status, seconds, fast, queries, at) -> None: the monitor's sliding window.
Observer = Callable[[str, int, float, bool, int, float], None]


class RequestObserver:
    def __init__(
        self,
        *,
        metrics: Metrics,
        queries: QueryMonitor,
        observe: Observer | None = None,
        clock: Clock = time.monotonic,
        access_log: bool = False,
    ) -> None:
        """`observe` and `clock`: the monitor's window and its clock (a request's time in
        the window is its end, not when the journal got to it)."""
        self.metrics = metrics
        self.queries = queries
        self.observe = observe
        self.clock = clock
        self.access_log = access_log
        self._now = metrics.multiprocess  # nothing queued: see the module

    def open(self, scope: Scope) -> RequestInfo:
        """The info of a request starting (the caller makes it the current one)."""
        return RequestInfo(scope["method"], scope["path"], monitor=self.queries)

    def record(self, scope: Scope, info: RequestInfo, status: int, elapsed: float) -> None:
        """A finished request: `elapsed` seconds, `status` (500 when an exception escaped
        the app: Starlette answers it outside every middleware)."""
        if not info.fast:
            info.route = route_template(scope)
        if info.shapes is not None:  # it ran statements: were some repeated (N+1)?
            self.queries.finish(info)
        entry: Entry = (
            self,
            info,
            status,
            elapsed,
            time.time_ns(),
            self.clock(),
            correlation_id.get(),
            current_job.get(),
        )
        if self._now:
            self.finish([entry])
        else:
            journal.add(entry)

    def finish(self, batch: list[Entry]) -> None:
        """Account for finished requests (the journal's thread, or a reader draining it):
        their histograms, the window, their access lines."""
        keys, metrics, observe = self.metrics.request_keys, self.metrics, self.observe
        for _, info, status, elapsed, _at, clock, _cid, _job in batch:
            fast, queries = info.fast, info.queries
            key = (info.method, info.route, status, fast)
            timers = keys.get(key) or metrics.request_key(key)
            timers[0].observe(elapsed)
            timers[1].observe(queries)
            if observe is not None:
                observe(timers[2], status, elapsed, fast, queries, clock)
        if self.access_log:
            access_writer.write([raw_of(entry) for entry in batch])
