"""Every cache key and ETag comes from `cache_key`: view, household, parameters, stamps.

The parts are encoded as canonical JSON (sorted, typed) before hashing, so two different
requests can only share a key if SHA-256 collides; the readable prefix (view, household)
is for people reading Redis, not for uniqueness. tests/cache/test_keys.py checks with
Hypothesis that distinct inputs never share a key.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass

import orjson

#: Bump when the cached representation changes (new fields, other encoding): old entries
#: in a shared Redis then stop matching instead of being served to new code.
FORMAT = 1


@dataclass(frozen=True, slots=True)
class CacheKey:
    text: str  # the cache key
    etag: str  # the strong ETag of the identity body, quoted


def cache_key(
    view: str,
    household_id: int,
    params: Mapping[str, str | int | None],
    stamps: Mapping[str, int],
) -> CacheKey:
    canonical = orjson.dumps(
        [FORMAT, view, household_id, sorted(params.items()), sorted(stamps.items())]
    )
    digest = hashlib.sha256(canonical).hexdigest()[:40]
    return CacheKey(f"foyer:c{FORMAT}:{view}:{household_id}:{digest}", f'"{digest}"')
