"""How a dashboard view is answered: versioned key → 304, or cached bytes, or compute.

1. Read the data versions the view depends on (one primary-key query).
2. Build its key and ETag (`foyer.cache.keys.cache_key`). If the client already holds
   that ETag, answer 304 with no body and no further work.
3. Otherwise take the body from L1, then L2, else compute it once (single-flight) and
   fill both; bodies are orjson bytes, kept gzipped too when over 1 KB.

The versions are read in the same connection (SQLite: the same snapshot) as the compute,
before it: an entry can hold data newer than its key, never older.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import orjson
from fastapi import Request, Response
from sqlalchemy import Connection

from foyer.api.deps import AppState
from foyer.cache.keys import cache_key
from foyer.db.engine import read_connection
from foyer.services import versions

CACHE_CONTROL = "private, no-cache"  # the browser keeps it, and asks again with the ETag
JSON_TYPE = "application/json"


def _accepts_gzip(header: str) -> bool:
    for part in header.lower().split(","):
        name, _, params = part.strip().partition(";")
        if name.strip() in ("gzip", "*"):
            return params.replace(" ", "") not in ("q=0", "q=0.0", "q=0.00", "q=0.000")
    return False


def _tag_list(header: str) -> set[str]:
    # If-None-Match compares weakly (RFC 9110 §13.1.2): W/ does not matter.
    return {tag.strip().removeprefix("W/") for tag in header.split(",") if tag.strip()}


def view_response(
    request: Request,
    state: AppState,
    *,
    view: str,
    household_id: int,
    params: Mapping[str, str | int | None],
    scopes: Sequence[str],
    compute: Callable[[Connection], Any],
) -> Response:
    """The response of one dashboard view, through the ETag check and the cache."""
    with read_connection(state.engine) as conn:
        current = versions.read(conn, household_id, scopes)
        key = cache_key(view, household_id, params, current)
        gzip_tag = key.etag[:-1] + '-gz"'  # a strong ETag per representation
        headers = {"Cache-Control": CACHE_CONTROL, "Vary": "Accept-Encoding"}
        wanted = _tag_list(request.headers.get("if-none-match", ""))
        if wanted & {key.etag, gzip_tag, "*"}:
            use_gzip = _accepts_gzip(request.headers.get("accept-encoding", ""))
            headers["ETag"] = gzip_tag if use_gzip and gzip_tag in wanted else key.etag
            return Response(status_code=304, headers=headers)
        entry = state.cache.get_or_compute(view, key.text, lambda: orjson.dumps(compute(conn)))
    if entry.gzipped is not None and _accepts_gzip(request.headers.get("accept-encoding", "")):
        headers.update({"ETag": gzip_tag, "Content-Encoding": "gzip"})
        return Response(entry.gzipped, media_type=JSON_TYPE, headers=headers)
    headers["ETag"] = key.etag
    return Response(entry.body, media_type=JSON_TYPE, headers=headers)
