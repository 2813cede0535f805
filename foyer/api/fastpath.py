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
- it answers a 304, an L1 hit, or a miss (computed on the threadpool), through the
  routes' own `cached_answer` and `filled_answer` — a miss skips FastAPI's routing too;
- everything else — an error of any kind (the miss's computation included: the route
  computes it again and answers with the app's handlers), an extra or repeated
  parameter, a HEAD — goes to the route untouched, which reports as always.

It sits just inside `foyer.api.middleware.FrontMiddleware` (correlation id, observer,
security headers), outside gzip and the body limit: their work for its answers is known
in advance, so it does that itself instead of running two more layers per hit. A cached
answer is already gzipped when the client accepts gzip, and gets GZipMiddleware's Vary
when not (`cached_answer(outside_gzip=True)`); a request the body limit would refuse (a
declared Content-Length over FOYER_MAX_BODY_BYTES), or whose Accept-Encoding names gzip
only to refuse it (GZipMiddleware would compress the identity body), goes to the route.

`tests/api/test_fastpath.py` holds it to this with a differential test: for generated
queries, an app with it and one without answer the same status, headers and bytes.
It answers only for the households the `fast_path` feature flag names
(`foyer.observability.flags`, 100 % by default): the others' requests go to their routes.
`FOYER_FAST_HITS=off` removes it (the flag then stays at 0 %).
"""

from __future__ import annotations

import time
from types import MappingProxyType
from urllib.parse import parse_qsl

import psycopg
from sqlalchemy.exc import SQLAlchemyError
from starlette.types import ASGIApp, Receive, Scope, Send

from foyer.api import API_PREFIX
from foyer.api.answer import Conditions, ViewAnswer, cached_answer, filled_answer
from foyer.api.conditional import accepts_gzip, tag_list
from foyer.api.deps import AppState
from foyer.api.params import HTTP_PARAMS
from foyer.auth.security import InvalidTokenError
from foyer.cache.keys import CacheKey
from foyer.cache.params import ParamError, Params
from foyer.cache.views import View, by_path, path_params
from foyer.observability.context import current_request

Query = dict[str, str]
Parsed = tuple[View, Params]
#: Requests parsed (path, query string) -> view and parameters, kept by the fast path:
#: parsing is a pure function of the two, and a dashboard asks the same few again and
#: again. Emptied when full (a client walking every month of a decade fills it slowly).
PARSED_ENTRIES = 4096


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
        return view, MappingProxyType(params)  # shared by the requests that parse alike


class CachedHitsMiddleware:
    """Answer 304s and L1 hits of cached views; pass everything else on (see module)."""

    def __init__(self, app: ASGIApp, state: AppState) -> None:
        self.app = app
        self.state = state
        self.max_body = state.settings.max_body_bytes  # BodySizeLimitMiddleware's, for a GET
        self.exact: dict[str, _Route] = {}
        self.prefixed: dict[str, _Route] = {}  # paths ending in their parameter, by the rest
        for path, views in by_path().items():
            if "{" in path:
                self.prefixed[API_PREFIX + path[: path.index("{")]] = _Route(views)
            else:
                self.exact[API_PREFIX + path] = _Route(views)
        self._parsed: dict[tuple[str, bytes], Parsed] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] == "http"
            and scope["method"] == "GET"
            and not scope.get("root_path")
            and self.state.flags.percent("fast_path")  # 0: on for nobody, nothing to parse
        ):
            answer = await self._answer(scope)
            if answer is not None:
                await answer.send(send)
                return
        await self.app(scope, receive, send)

    async def _answer(self, scope: Scope) -> ViewAnswer | None:
        started = time.perf_counter()
        request = (scope["path"], scope["query_string"])
        parsed = self._parsed.get(request)
        if parsed is None and not self._route_of(request[0]):
            return None
        # The first of repeated headers, as Starlette reads them (names come lowercase).
        authorization = if_none_match = accept_encoding = None
        for name, value in scope["headers"]:
            if name == b"authorization":
                authorization = value if authorization is None else authorization
            elif name == b"accept-encoding":
                accept_encoding = value if accept_encoding is None else accept_encoding
            elif name == b"if-none-match":
                if_none_match = value if if_none_match is None else if_none_match
            elif name == b"content-length" and value.isdigit() and int(value) > self.max_body:
                return None  # BodySizeLimitMiddleware's 413
        gzip_ok = accepts_gzip(_text(accept_encoding))
        if not gzip_ok and accept_encoding is not None and b"gzip" in accept_encoding:
            return None  # GZipMiddleware would compress the identity body
        try:
            household_id = self._household(authorization)
            if household_id is None or not self.state.flags.enabled("fast_path", household_id):
                return None
            if parsed is None:
                parsed = self._parse(*request)
                if parsed is None:
                    return None
            view, params = parsed
            conditions = Conditions(tag_list(_text(if_none_match)), gzip_ok)
            answer = await cached_answer(
                self.state, view, household_id, params, conditions, started, outside_gzip=True
            )
        except (ParamError, InvalidTokenError, SQLAlchemyError, psycopg.Error):
            # The route meets the same problem again and answers it with the app's
            # error handlers (a 401, a 422, a 503): nothing is lost by passing it on.
            return None
        if isinstance(answer, CacheKey):  # a miss: computed here, FastAPI's routing skipped
            try:
                answer = await filled_answer(
                    self.state,
                    view,
                    household_id,
                    params,
                    answer,
                    conditions,
                    started,
                    outside_gzip=True,
                )
            except Exception:  # not swallowed: the route computes it again
                # The route meets the same error and answers it with the app's handlers (a
                # forged cursor's 400, a timeout's 503, a bug's logged 500). Errors are rare;
                # computing twice for one is the price of one error path.
                return None
        info = current_request.get()
        if info is not None:  # the observer labels it: a fast answer, and its route template
            info.fast, info.route = True, API_PREFIX + view.path
            info.household_id = household_id
        return answer

    def _route_of(self, path: str) -> tuple[_Route, str] | None:
        """The views' route of `path` and the rest after its prefix, or None."""
        route = self.exact.get(path)
        if route is not None:
            return route, ""
        for prefix, candidate in self.prefixed.items():
            if path.startswith(prefix):
                return candidate, path[len(prefix) :]
        return None

    def _parse(self, path: str, query_string: bytes) -> Parsed | None:
        """The view and parameters of a request (remembered), or None: the route decides.
        Raises ParamError as the view's checks do."""
        found = self._route_of(path)
        query = _query(query_string)
        if found is None or query is None:
            return None  # a repeated parameter: FastAPI's rule for it is the route's
        parsed = found[0].parse(query, found[1])
        if parsed is not None:
            if len(self._parsed) >= PARSED_ENTRIES:
                self._parsed.clear()
            self._parsed[(path, query_string)] = parsed
        return parsed

    def _household(self, authorization: bytes | None) -> int | None:
        # OAuth2PasswordBearer's reading: "<scheme> <token>", scheme case-insensitive.
        scheme, _, token = _text(authorization).partition(" ")
        if scheme.lower() != "bearer" or not token:
            return None
        return int(self.state.tokens.read(token).household_id)


def _text(value: bytes | None) -> str:
    return value.decode("latin-1") if value is not None else ""


def _query(raw: bytes) -> Query | None:
    """The query string's parameters as Starlette reads them (`parse_qsl`, blank values
    kept), or None when one is repeated. Without `%` or `+` there is nothing to decode:
    split by hand, the same pairs at a fifth of the cost."""
    text = raw.decode("latin-1")
    if "%" in text or "+" in text:
        pairs = parse_qsl(text, keep_blank_values=True)
    else:
        fields = (field.partition("=") for field in text.split("&") if field)
        pairs = [(name, value) for name, _, value in fields]
    query = dict(pairs)
    return query if len(query) == len(pairs) else None
