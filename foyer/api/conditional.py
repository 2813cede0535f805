"""Conditional requests and content negotiation of cached views: ETag/304 and gzip.

A cached view has two representations, identity and gzip (kept compressed in the cache),
each with its own strong ETag. `foyer.api.answer.view_answer` picks the one the client
accepts, or a 304 when it already holds it (RFC 9110 §13.1.2: If-None-Match compares
weakly), with the helpers here.
"""

from __future__ import annotations

from foyer.cache.keys import CacheKey


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
