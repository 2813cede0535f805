"""What one request is, for whoever observes it: route, household, queries, fast path.

The outermost observing middleware (`foyer.observability.requests`) opens a `RequestInfo`
per HTTP request in a context variable; the routing, the fast path, the auth dependency
and the query monitor fill it in; at the end the middleware hands it to the metrics, the
sliding window and the access log. A context variable, not `scope["state"]`: the
SQLAlchemy event listeners that count queries have no scope, only the context they run
in (Starlette copies the context into threadpool calls, so sync routes count too).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from contextvars import ContextVar
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from foyer.observability.queries import QueryMonitor


#: The route of a request no route template matched (a 404 of an unknown path).
UNMATCHED = "unmatched"


def route_template(scope: Mapping[str, Any]) -> str:
    """The template of the route that took the request (never the raw path), or UNMATCHED.

    FastAPI (0.16x) keeps an included router's route as declared, its path without the
    routers' prefixes; the full template is on the effective route it records.
    """
    effective = (scope.get("fastapi") or {}).get("effective_route_context")
    path = getattr(effective, "path_format", None) or getattr(scope.get("route"), "path", None)
    return path if isinstance(path, str) else UNMATCHED


@dataclass(slots=True)
class RequestInfo:
    method: str
    path: str  # raw: never a metric label nor logged as a key (household data may be in it)
    route: str = UNMATCHED  # the route's template, e.g. /api/v1/transactions/{transaction_id}
    fast: bool = False  # answered by foyer.api.fastpath before routing
    household_id: int | None = None
    user_id: int | None = None
    # The app's query monitor: engines may be shared by several apps (tests), so a
    # statement is counted by the monitor of the request it runs for.
    monitor: QueryMonitor | None = None
    queries: int = 0
    query_seconds: float = 0.0
    # statement text -> runs in this request (the query monitor's N+1 detection); made on
    # the first statement, so a cache hit that runs none never allocates it
    shapes: Counter[str] | None = None


current_request: ContextVar[RequestInfo | None] = ContextVar("foyer_request", default=None)
#: The job a consumer thread is running (jobs have no request, hence no correlation id):
#: every log line made while it runs carries its id (foyer.observability.logs.job_logging).
current_job: ContextVar[int | None] = ContextVar("foyer_log_job", default=None)


def note_identity(household_id: int, user_id: int | None = None) -> None:
    """Record who the request is for (called where the token is read)."""
    info = current_request.get()
    if info is not None:
        info.household_id = household_id
        if user_id is not None:
            info.user_id = user_id
