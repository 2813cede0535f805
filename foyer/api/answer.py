"""How the API answers a cached view: a 304, an L1 hit on the event loop, or a fill.

The one database read of a hit is its data stamps' primary-key lookup on the event
loop's own connection (~10 µs on SQLite), cheaper than the threadpool hop it saves. A
miss goes to the threadpool (L2, else compute). Shared by the generated view routes
(`foyer.api.routes.views`) and the fast path (`foyer.api.fastpath`), so both answer the
same bytes.

An answer is built once as ASGI parts (`ViewAnswer`: status, raw header list, body): the
fast path sends them as they are, the routes return them as a `ViewResponse`. A view
has two representations, identity and gzip (kept compressed in the cache), each with
its own strong ETag (`foyer.api.conditional`).
"""

from __future__ import annotations

import time
from typing import Literal, NamedTuple

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Send

from foyer.api.conditional import accepts_gzip, gzip_tag, holds, tag_list
from foyer.api.deps import AppState
from foyer.cache.keys import CacheKey
from foyer.cache.params import Params
from foyer.cache.store import GZIP_MIN_BYTES, Entry
from foyer.cache.views import View

Header = tuple[bytes, bytes]
# The browser keeps a view, and asks again with its ETag.
CACHE_CONTROL: Header = (b"cache-control", b"private, no-cache")
VARY: Header = (b"vary", b"Accept-Encoding")
JSON_TYPE: Header = (b"content-type", b"application/json")
GZIPPED: Header = (b"content-encoding", b"gzip")


class Conditions(NamedTuple):
    """What the request says about representations: the ETags it holds, gzip or not."""

    held: set[str]  # the ETags the client already holds (If-None-Match)
    gzip_ok: bool

    @classmethod
    def of(cls, if_none_match: str | None, accept_encoding: str | None) -> Conditions:
        return cls(tag_list(if_none_match or ""), accepts_gzip(accept_encoding or ""))


class ViewAnswer(NamedTuple):
    """A view's answer as ASGI carries it: its header names lowercase, in the order
    Starlette's `Response` lays them out (its own, then length and type)."""

    status: int
    headers: list[Header]
    body: bytes

    async def send(self, send: Send) -> None:
        await send({"type": "http.response.start", "status": self.status, "headers": self.headers})
        await send({"type": "http.response.body", "body": self.body})


class ViewResponse(Response):
    """A `ViewAnswer` as a route returns it (its parts taken as they are)."""

    def __init__(self, answer: ViewAnswer) -> None:
        self.status_code, self.raw_headers, self.body = answer
        self.background = None


async def answer_view(
    request: Request, state: AppState, view: View, household_id: int, params: Params
) -> Response:
    """The view's response: from `cached_answer`, else filled on the threadpool."""
    started = time.perf_counter()
    headers = request.headers
    conditions = Conditions.of(headers.get("if-none-match"), headers.get("accept-encoding"))
    answer = await cached_answer(state, view, household_id, params, conditions, started)
    if isinstance(answer, CacheKey):
        answer = await filled_answer(state, view, household_id, params, answer, conditions, started)
    return ViewResponse(answer)


async def filled_answer(
    state: AppState,
    view: View,
    household_id: int,
    params: Params,
    key: CacheKey,
    conditions: Conditions,
    started: float,
    *,
    outside_gzip: bool = False,
) -> ViewAnswer:
    """The answer of a miss: the body from L2 or computed, on the threadpool (what
    `cached_answer` could not find). Raises what the computation raises."""
    entry = await run_in_threadpool(state.view_cache.fill, view, household_id, params, key)
    return _finish(state, view, "miss", key, entry, conditions, started, outside_gzip)


async def cached_answer(
    state: AppState,
    view: View,
    household_id: int,
    params: Params,
    conditions: Conditions,
    started: float,
    *,
    outside_gzip: bool = False,
) -> ViewAnswer | CacheKey:
    """The answer without computing anything — a 304, or the body from L1 — or else the
    key the caller must fill. `outside_gzip`: the caller answers outside
    `GZipMiddleware` (the fast path), so the answer carries what it would have added."""
    key = await state.view_cache.key(view, household_id, params, since=started)
    if holds(conditions.held, key):
        return _finish(state, view, "not_modified", key, None, conditions, started, outside_gzip)
    entry = state.view_cache.peek(view, key)
    if entry is None:
        return key
    return _finish(state, view, "hit", key, entry, conditions, started, outside_gzip)


def _finish(
    state: AppState,
    view: View,
    outcome: Literal["hit", "not_modified", "miss"],
    key: CacheKey,
    entry: Entry | None,
    conditions: Conditions,
    started: float,
    outside_gzip: bool = False,
) -> ViewAnswer:
    # Time spent here, cache and database included (the framework's share is not).
    elapsed = time.perf_counter() - started
    state.metrics.view_timer(view.name, outcome).observe(elapsed)
    timing = (b"server-timing", b"view;dur=%.3f" % (elapsed * 1000))
    return view_answer(key, entry, conditions, timing, outside_gzip)


def view_answer(
    key: CacheKey,
    entry: Entry | None,
    conditions: Conditions,
    timing: Header,
    outside_gzip: bool = False,
) -> ViewAnswer:
    """The answer for `key`: 304 when `entry` is None (the client holds it), else the body
    in the representation the client accepts, with Server-Timing `timing`."""
    held, gzip_ok = conditions
    if entry is None:  # the client has it
        tag = gzip_tag(key) if gzip_ok and gzip_tag(key) in held else key.etag
        return ViewAnswer(304, [CACHE_CONTROL, VARY, (b"etag", tag.encode()), timing], b"")
    vary_last = False
    if entry.gzipped is not None and gzip_ok:
        body = entry.gzipped
        headers = [CACHE_CONTROL, VARY, (b"etag", gzip_tag(key).encode()), GZIPPED, timing]
    elif len(entry.body) >= GZIP_MIN_BYTES:
        # Starlette's GZipMiddleware adds this Vary itself to uncompressed bodies of its
        # minimum size, after the others (and would duplicate ours): outside it, so do we.
        body, vary_last = entry.body, outside_gzip
        headers = [CACHE_CONTROL, (b"etag", key.etag.encode()), timing]
    else:
        body = entry.body
        headers = [CACHE_CONTROL, VARY, (b"etag", key.etag.encode()), timing]
    headers += [(b"content-length", b"%d" % len(body)), JSON_TYPE]
    if vary_last:
        headers.append(VARY)
    return ViewAnswer(200, headers, body)
