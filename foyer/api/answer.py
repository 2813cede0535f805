"""How the API answers a cached view: a 304, an L1 hit on the event loop, or a fill.

The one database read of a hit is its data stamps' primary-key lookup on the event
loop's own connection (~10 µs on SQLite), cheaper than the threadpool hop it saves. A
miss goes to the threadpool (L2, else compute). Shared by the generated view routes
(`foyer.api.routes.views`) and the fast path (`foyer.api.fastpath`), so both answer the
same bytes.
"""

from __future__ import annotations

import time
from typing import Literal, NamedTuple

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from foyer.api.conditional import accepts_gzip, holds, respond, tag_list
from foyer.api.deps import AppState
from foyer.cache.keys import CacheKey
from foyer.cache.params import Params
from foyer.cache.store import Entry
from foyer.cache.views import View


class Conditions(NamedTuple):
    """What the request says about representations: the ETags it holds, gzip or not."""

    held: set[str]  # the ETags the client already holds (If-None-Match)
    gzip_ok: bool

    @classmethod
    def of(cls, if_none_match: str | None, accept_encoding: str | None) -> Conditions:
        return cls(tag_list(if_none_match or ""), accepts_gzip(accept_encoding or ""))


async def answer_view(
    request: Request, state: AppState, view: View, household_id: int, params: Params
) -> Response:
    """The view's response: from `cached_answer`, else filled on the threadpool."""
    started = time.perf_counter()
    headers = request.headers
    conditions = Conditions.of(headers.get("if-none-match"), headers.get("accept-encoding"))
    answer = await cached_answer(state, view, household_id, params, conditions, started)
    if isinstance(answer, Response):
        return answer
    entry = await run_in_threadpool(state.view_cache.fill, view, household_id, params, answer)
    return _finish(state, view, "miss", answer, entry, conditions, started)


async def cached_answer(
    state: AppState,
    view: View,
    household_id: int,
    params: Params,
    conditions: Conditions,
    started: float,
) -> Response | CacheKey:
    """The answer without computing anything — a 304, or the body from L1 — or else the
    key the caller must fill."""
    key = await state.view_cache.key(view, household_id, params, since=started)
    if holds(conditions.held, key):
        return _finish(state, view, "not_modified", key, None, conditions, started)
    entry = state.view_cache.peek(view, key)
    if entry is None:
        return key
    return _finish(state, view, "hit", key, entry, conditions, started)


def _finish(
    state: AppState,
    view: View,
    outcome: Literal["hit", "not_modified", "miss"],
    key: CacheKey,
    entry: Entry | None,
    conditions: Conditions,
    started: float,
) -> Response:
    # Time spent here, cache and database included (the framework's share is not).
    elapsed = time.perf_counter() - started
    state.metrics.view_seconds.labels(view.name, outcome).observe(elapsed)
    timing = f"view;dur={elapsed * 1000:.3f}"
    return respond(key, entry, conditions.held, conditions.gzip_ok, timing)
