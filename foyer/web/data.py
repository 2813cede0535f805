"""What a page reads: the same cached views as the API (data stamps, L1/L2), and the page
itself cached under the keys of the views it shows.

A page's key is built from its views' keys (which carry the data stamps of what they read),
its language, and the templates' version: a warm page costs the stamp reads of its views
and one L1 lookup — what a warm API hit costs — and a write that changes any of its views
changes its key, so it is never stale. The cached HTML holds no per-browser secret (see
foyer.web.session), so one entry serves every browser of the household.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from typing import Any

import orjson
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from foyer.api.conditional import accepts_gzip, tag_list
from foyer.api.deps import AppState
from foyer.cache.keys import CacheKey
from foyer.cache.params import Params
from foyer.cache.store import Entry
from foyer.cache.views import BY_NAME
from foyer.web.render import VERSION

Need = tuple[str, Params]  # a view's name and its parameters


async def view_data(state: AppState, household_id: int, name: str, params: Params) -> Any:
    """One cached view's JSON, parsed (fragments: small bodies, never a page cache)."""
    view = BY_NAME[name]
    key = await state.view_cache.key(view, household_id, params)
    entry = state.view_cache.peek(view, key)
    if entry is None:
        entry = await run_in_threadpool(state.view_cache.fill, view, household_id, params, key)
    return orjson.loads(entry.body)


async def page_entry(
    state: AppState,
    *,
    page: str,
    lang: str,
    household_id: int,
    needs: Sequence[Need],
    build: Callable[[list[Any]], str],
) -> tuple[Entry, str]:
    """The page's cached body and its strong ETag: `build(views' JSON)` on a miss."""
    views = [BY_NAME[name] for name, _params in needs]
    keys: list[CacheKey] = [
        await state.view_cache.key(view, household_id, params)
        for view, (_name, params) in zip(views, needs, strict=True)
    ]
    text = "|".join(["page", page, lang, VERSION, *(key.text for key in keys)])
    digest = hashlib.sha256(text.encode()).hexdigest()[:40]
    cache_name = f"page_{page}"
    entry = state.cache.peek(cache_name, digest)
    if entry is None:

        def render() -> bytes:
            data = [
                orjson.loads(state.view_cache.fill(view, household_id, params, key).body)
                for view, (_name, params), key in zip(views, needs, keys, strict=True)
            ]
            return build(data).encode()

        entry = await run_in_threadpool(state.cache.get_or_compute, cache_name, digest, render)
    return entry, f'"p{digest}"'


def page_response(request: Request, entry: Entry, etag: str) -> Response:
    """200 with the body (gzipped when the browser takes it), or 304 when it holds it.
    `no-cache`: the browser keeps the page but asks each time (a 304 is one round trip)."""
    headers = {
        "ETag": etag,
        "Cache-Control": "private, no-cache",
        "Vary": "Accept-Encoding, Cookie",
    }
    held = tag_list(request.headers.get("if-none-match", ""))
    gzip_tag = etag[:-1] + '-gz"'
    if held & {etag, gzip_tag}:
        return Response(status_code=304, headers=headers)
    media = "text/html; charset=utf-8"
    if entry.gzipped is not None and accepts_gzip(request.headers.get("accept-encoding", "")):
        headers.update({"ETag": gzip_tag, "Content-Encoding": "gzip"})
        return Response(entry.gzipped, media_type=media, headers=headers)
    return Response(entry.body, media_type=media, headers=headers)
