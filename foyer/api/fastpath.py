"""Cache hits of the cached views' GETs, answered before FastAPI routing.

Why by hand, and why here: a warm hit costs foyer ~30 µs (one version read, a key, an L1
lookup), but FastAPI spends ~250 µs around it — a linear walk over every route, then
dependency resolution and parameter validation — so under load hits ran at under half
the speed of a bare route. No library serves a framework's routes from a cache while
keeping the routes' own checks, so this middleware does the least that is exact:

- it takes only the requests it can answer exactly as the route would: a GET of a view's
  path (`foyer.cache.views.VIEWS`), a bearer token the app already verified
  (`TokenReader`), only the view's parameters, each once, each plainly valid as
  `foyer.api.params` reads it, passing the view's own checks;
- it answers only a 304 or an L1 hit, through the routes' own `cached_answer`;
- everything else — a miss, an error of any kind, an extra or repeated parameter, a
  HEAD — goes to the route untouched, which recomputes and reports as always.

`tests/api/test_fastpath.py` holds it to this with a differential test: for generated
queries, an app with it and one without answer the same status, headers and bytes.
It answers only for the households the `fast_path` feature flag names
(`foyer.observability.flags`, 100 % by default): the others' requests go to their routes.
`FOYER_FAST_HITS=off` removes it (the flag then stays at 0 %).
"""

from __future__ import annotations

import time
from urllib.parse import parse_qsl

import psycopg
from sqlalchemy.exc import SQLAlchemyError
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from foyer.api import API_PREFIX
from foyer.api.answer import Conditions, cached_answer
from foyer.api.deps import AppState
from foyer.api.params import HTTP_PARAMS
from foyer.auth.security import InvalidTokenError
from foyer.cache.params import ParamError
from foyer.cache.views import View, by_path, path_params
from foyer.observability.context import current_request

Query = dict[str, str]
Parsed = tuple[View, dict[str, str | int]]


class _Route:
    """The views of one path, and how to pick one from a query (`level`)."""

    def __init__(self, views: list[View]) -> None:
        self.views = views
        self.by_level = {view.level: view for view in views}
        self.in_path = path_params(views[0].path)

    def parse(self, query: Query, rest: str) -> Parsed | None:
        """The view and its parameters, or None when the route must decide."""
        allowed: set[str]
        if len(self.views) == 1:
            view, allowed = self.views[0], set(self.views[0].params)
        else:
            chosen = self.by_level.get(query.get("level", self.views[0].level))
            if chosen is None:
                return None
            view, allowed = chosen, {*chosen.params, "level"}
        if not query.keys() <= allowed:
            return None
        params: dict[str, str | int] = {}
        for name in self.in_path:
            value = HTTP_PARAMS[name].fast(rest)
            if value is None:
                return None
            params[name] = value
        for name in view.params:
            value = HTTP_PARAMS[name].fast(query.get(name))
            if value is None:
                return None
            params[name] = value
        view.check(params)
        return view, params


class CachedHitsMiddleware:
    """Answer 304s and L1 hits of cached views; pass everything else on (see module)."""

    def __init__(self, app: ASGIApp, state: AppState) -> None:
        self.app = app
        self.state = state
        self.exact: dict[str, _Route] = {}
        self.prefixed: dict[str, _Route] = {}  # paths ending in their parameter, by the rest
        for path, views in by_path().items():
            if "{" in path:
                self.prefixed[API_PREFIX + path[: path.index("{")]] = _Route(views)
            else:
                self.exact[API_PREFIX + path] = _Route(views)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] == "http"
            and scope["method"] == "GET"
            and not scope.get("root_path")
            and self.state.flags.percent("fast_path")  # 0: on for nobody, nothing to parse
        ):
            response = await self._answer(scope)
            if response is not None:
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)

    async def _answer(self, scope: Scope) -> Response | None:
        started = time.perf_counter()
        path: str = scope["path"]
        route, rest = self.exact.get(path), ""
        if route is None:
            for prefix, candidate in self.prefixed.items():
                if path.startswith(prefix):
                    route, rest = candidate, path[len(prefix) :]
                    break
            else:
                return None
        headers: dict[bytes, bytes] = {}
        for name, value in scope["headers"]:
            headers.setdefault(name, value)  # the first of repeated headers, as Starlette
        try:
            household_id = self._household(headers.get(b"authorization"))
            if household_id is None or not self.state.flags.enabled("fast_path", household_id):
                return None
            pairs = parse_qsl(scope["query_string"].decode("latin-1"), keep_blank_values=True)
            query = dict(pairs)
            if len(query) != len(pairs):
                return None  # a repeated parameter: FastAPI's rule for it is the route's
            parsed = route.parse(query, rest)
            if parsed is None:
                return None
            view, params = parsed
            conditions = Conditions.of(
                _text(headers.get(b"if-none-match")), _text(headers.get(b"accept-encoding"))
            )
            answer = await cached_answer(
                self.state, view, household_id, params, conditions, started
            )
        except (ParamError, InvalidTokenError, SQLAlchemyError, psycopg.Error):
            # The route meets the same problem again and answers it with the app's
            # error handlers (a 401, a 422, a 503): nothing is lost by passing it on.
            return None
        if not isinstance(answer, Response):
            return None
        info = current_request.get()
        if info is not None:  # the observer labels it: a fast answer, and its route template
            info.fast, info.route = True, API_PREFIX + view.path
            info.household_id = household_id
        return answer

    def _household(self, authorization: bytes | None) -> int | None:
        # OAuth2PasswordBearer's reading: "<scheme> <token>", scheme case-insensitive.
        scheme, _, token = _text(authorization).partition(" ")
        if scheme.lower() != "bearer" or not token:
            return None
        return int(self.state.tokens.read(token).household_id)


def _text(value: bytes | None) -> str:
    return value.decode("latin-1") if value is not None else ""
