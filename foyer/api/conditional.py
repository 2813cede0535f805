"""Conditional requests and content negotiation of cached views: ETag/304 and gzip.

A cached view has two representations, identity and gzip (kept compressed in the cache),
each with its own strong ETag. `respond` picks the one the client accepts, or a 304 when
it already holds it (RFC 9110 §13.1.2: If-None-Match compares weakly).
"""

from __future__ import annotations

from starlette.responses import Response

from foyer.cache.keys import CacheKey
from foyer.cache.store import GZIP_MIN_BYTES, Entry

CACHE_CONTROL = "private, no-cache"  # the browser keeps it, and asks again with the ETag
JSON_TYPE = "application/json"


def accepts_gzip(header: str) -> bool:
    for part in header.lower().split(","):
        name, _, params = part.strip().partition(";")
        if name.strip() in ("gzip", "*"):
            return params.replace(" ", "") not in ("q=0", "q=0.0", "q=0.00", "q=0.000")
    return False


def tag_list(header: str) -> set[str]:
    # If-None-Match compares weakly (RFC 9110 §13.1.2): W/ does not matter.
    return {tag.strip().removeprefix("W/") for tag in header.split(",") if tag.strip()}


def gzip_tag(key: CacheKey) -> str:
    return key.etag[:-1] + '-gz"'  # a strong ETag per representation


def holds(wanted: set[str], key: CacheKey) -> bool:
    """Whether the client's If-None-Match already names this key's data."""
    return bool(wanted & {key.etag, gzip_tag(key), "*"})


def respond(
    key: CacheKey, entry: Entry | None, wanted: set[str], gzip_ok: bool, timing: str
) -> Response:
    """The answer for `key`: 304 when `entry` is None (the client holds it), else the body
    in the representation the client accepts. `timing` goes into Server-Timing."""
    headers = {"Cache-Control": CACHE_CONTROL, "Vary": "Accept-Encoding"}
    if entry is None:  # the client has it
        headers["ETag"] = gzip_tag(key) if gzip_ok and gzip_tag(key) in wanted else key.etag
        status, body = 304, b""
    elif entry.gzipped is not None and gzip_ok:
        headers.update({"ETag": gzip_tag(key), "Content-Encoding": "gzip"})
        status, body = 200, entry.gzipped
    else:
        headers["ETag"] = key.etag
        status, body = 200, entry.body
        if len(body) >= GZIP_MIN_BYTES:
            # Starlette's GZipMiddleware adds this Vary itself to uncompressed bodies of
            # its minimum size (and would duplicate ours); every other answer needs ours.
            del headers["Vary"]
    headers["Server-Timing"] = timing
    media = JSON_TYPE if status == 200 else None
    return Response(body, status_code=status, media_type=media, headers=headers)
