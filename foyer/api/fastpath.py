"""Cache hits of the dashboard's hot GETs, answered before FastAPI routing.

Why by hand, and why here: a warm hit costs foyer ~30 µs (one version read, a key, an L1
lookup), but FastAPI spends ~250 µs around it — a linear walk over every route, then
dependency resolution and parameter validation — so under load hits ran at under half
the speed of a bare route. No library serves a framework's routes from a cache while
keeping the routes' own checks, so this middleware does the least that is exact:

- it takes only the requests it can answer exactly as the route would: a GET of one of
  `HOT` paths, a bearer token the app already verified (`TokenReader`), exactly the
  route's parameters, each once, passing the route's own checks (`checked_month`,
  `check_trend_range`, `parse_expense_types`) and a stricter month pattern;
- it answers only a 304 or an L1 hit, through the routes' own `cached_answer`;
- everything else — a miss, an error of any kind, an extra or repeated parameter, a
  HEAD — goes to the route untouched, which recomputes and reports as always.

`tests/test_fastpath.py` holds it to this with a differential test: for generated
queries, an app with it and one without answer the same status, headers and bytes.
`FOYER_FAST_HITS=off` removes it.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from typing import Any, get_args
from urllib.parse import parse_qsl

import psycopg
from sqlalchemy.exc import SQLAlchemyError
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from foyer.api.cached import Params, cached_answer
from foyer.api.deps import checked_month
from foyer.api.errors import ApiError
from foyer.api.routes.analytics import parse_expense_types
from foyer.api.routes.dashboard import check_trend_range
from foyer.api.routes.transactions import MAX_LIMIT
from foyer.auth.security import InvalidTokenError
from foyer.domain.vocabulary import Sort

# What the routes' pattern (^\d{4}-\d{2}$) accepts, minus its oddities (non-ASCII digits,
# a trailing newline): anything else goes to the route, which decides.
_MONTH = re.compile(r"[0-9]{4}-[0-9]{2}")
_LIMIT = re.compile(r"[1-9][0-9]{0,2}")  # what Limit (1..500) parses, minus "+5", "05"…
_PAGE = ("sort", "limit", "cursor")
SORTS = frozenset(get_args(Sort))
Query = dict[str, str]
Parser = Callable[[Query, str], tuple[str, Params] | None]


def _month(query: Query) -> str | None:
    value = query.get("month")
    if value is None or not _MONTH.fullmatch(value):
        return None
    return checked_month(value, "month")


def _month_only(view: str) -> Parser:
    def parse(query: Query, _rest: str) -> tuple[str, Params] | None:
        month = _month(query) if query.keys() == {"month"} else None
        return None if month is None else (view, {"month": month})

    return parse


def _drill_down(query: Query, category: str) -> tuple[str, Params] | None:
    level = query.get("level", "summary")
    month = _month(query)
    if month is None or not category or "/" in category:
        return None
    if level in ("summary", "details") and query.keys() <= {"month", "level"}:
        return f"drill_down_{level}", {"category": category, "month": month}
    if level != "transactions" or not query.keys() <= {"month", "level", *_PAGE}:
        return None
    sort, limit = query.get("sort", "date_desc"), query.get("limit", "50")
    if sort not in SORTS or not _LIMIT.fullmatch(limit) or int(limit) > MAX_LIMIT:
        return None
    # Any cursor text: only one the route accepted before can have an entry (a bad one
    # fails its computation, which caches nothing), so a hit means the route took it.
    page = {"category": category, "month": month, "sort": sort, "limit": int(limit)}
    return "drill_down_page", {**page, "cursor": query.get("cursor", "")}


def _trends(query: Query, _rest: str) -> tuple[str, Params] | None:
    if query.keys() != {"from", "to"}:
        return None
    start, end = query["from"], query["to"]
    if not (_MONTH.fullmatch(start) and _MONTH.fullmatch(end)):
        return None
    check_trend_range(start, end)
    return "trends", {"from": start, "to": end}


def _analytics(query: Query, _rest: str) -> tuple[str, Params] | None:
    month = _month(query) if query.keys() <= {"month", "expense_types"} else None
    if month is None:
        return None
    types = parse_expense_types(query.get("expense_types"))
    return "analytics_categories", {"month": month, "expense_types": ",".join(types)}


PREFIX = "/api/v1"
HOT: dict[str, Parser] = {
    f"{PREFIX}/dashboard/summary": _month_only("summary"),
    f"{PREFIX}/dashboard/summary/slim": _month_only("slim_summary"),
    f"{PREFIX}/transactions/hierarchy": _month_only("hierarchy"),
    f"{PREFIX}/provisions/calculate": _month_only("provisions_calculate"),
    f"{PREFIX}/dashboard/trends": _trends,
    f"{PREFIX}/analytics/categories": _analytics,
}
DRILL_DOWN = f"{PREFIX}/dashboard/drill-down/"


class CachedHitsMiddleware:
    """Answer 304s and L1 hits of `HOT` routes; pass everything else on (see module)."""

    def __init__(self, app: ASGIApp, state: Any) -> None:
        self.app = app
        self.state = state

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "GET" and not scope.get("root_path"):
            response = await self._answer(scope)
            if response is not None:
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)

    async def _answer(self, scope: Scope) -> Response | None:
        started = time.perf_counter()
        path: str = scope["path"]
        parser, rest = HOT.get(path), ""
        if parser is None:
            if not path.startswith(DRILL_DOWN):
                return None
            parser, rest = _drill_down, path[len(DRILL_DOWN) :]
        headers: dict[bytes, bytes] = {}
        for name, value in scope["headers"]:
            headers.setdefault(name, value)  # the first of repeated headers, as Starlette
        try:
            household_id = self._household(headers.get(b"authorization"))
            if household_id is None:
                return None
            pairs = parse_qsl(scope["query_string"].decode("latin-1"), keep_blank_values=True)
            query = dict(pairs)
            if len(query) != len(pairs):
                return None  # a repeated parameter: FastAPI's rule for it is the route's
            parsed = parser(query, rest)
            if parsed is None:
                return None
            view, params = parsed
            answer = await cached_answer(
                self.state,
                view,
                household_id,
                params,
                _text(headers.get(b"if-none-match")),
                _text(headers.get(b"accept-encoding")),
                started,
            )
        except (ApiError, InvalidTokenError, SQLAlchemyError, psycopg.Error):
            # The route meets the same problem again and answers it with the app's
            # error handlers (a 401, a 422, a 503): nothing is lost by passing it on.
            return None
        return answer if isinstance(answer, Response) else None

    def _household(self, authorization: bytes | None) -> int | None:
        # OAuth2PasswordBearer's reading: "<scheme> <token>", scheme case-insensitive.
        scheme, _, token = _text(authorization).partition(" ")
        if scheme.lower() != "bearer" or not token:
            return None
        return int(self.state.tokens.read(token).household_id)


def _text(value: bytes | None) -> str:
    return value.decode("latin-1") if value is not None else ""
