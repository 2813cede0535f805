"""L1 is bounded by bytes (FOYER_CACHE_L1_BYTES), not by entries: bodies and their gzipped
copies count, the least recently used go first, and a body over a sixteenth of the
budget is served without being kept (Redis still keeps it)."""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from pydantic import ValidationError

from foyer.cache.store import ENTRY_OVERHEAD_BYTES, L1_ENTRY_SHARE, TieredCache, redis_client
from foyer.settings import Settings
from tests.helpers import reachable_redis_url

BUDGET = 64 * 1024


def body(size: int, seed: int = 0) -> bytes:
    """`size` bytes of hex digits: they gzip to about half, so the gzipped copy counts."""
    return random.Random(seed).randbytes(size // 2 + 1).hex()[:size].encode()


class Computes:
    """A compute function that counts its calls."""

    def __init__(self, value: bytes) -> None:
        self.value = value
        self.calls = 0

    def __call__(self) -> bytes:
        self.calls += 1
        return self.value


def test_l1_holds_at_most_its_budget_in_bytes() -> None:
    cache = TieredCache(l1_bytes=BUDGET)
    bodies = [body(2000, i) for i in range(40)]  # 40 × ~3.3 KB with gzipped copies: 2× the budget
    for i, value in enumerate(bodies):
        cache.get_or_compute("v", f"k{i}", Computes(value))

    entries, used = cache.l1_usage()
    assert used <= BUDGET
    assert 0 < entries < 40
    newest, oldest = Computes(bodies[-1]), Computes(bodies[0])
    cache.get_or_compute("v", "k39", newest)
    cache.get_or_compute("v", "k0", oldest)
    assert (newest.calls, oldest.calls) == (0, 1)  # the least recently used went first


def test_the_gzipped_copy_counts() -> None:
    cache = TieredCache(l1_bytes=BUDGET)
    entry = cache.get_or_compute("v", "k", Computes(body(2000)))
    assert entry.gzipped is not None
    assert entry.nbytes == 2000 + len(entry.gzipped) + ENTRY_OVERHEAD_BYTES
    assert cache.l1_usage() == (1, entry.nbytes)


def test_a_body_over_a_sixteenth_of_the_budget_is_served_but_not_kept() -> None:
    cache = TieredCache(l1_bytes=BUDGET)
    small = cache.get_or_compute("v", "small", Computes(body(1000)))
    huge = Computes(body(BUDGET // L1_ENTRY_SHARE))  # with its gzipped copy: over the cap
    assert cache.get_or_compute("v", "huge", huge).body == huge.value
    assert cache.get_or_compute("v", "huge", huge).body == huge.value
    assert huge.calls == 2
    assert cache.l1_usage() == (1, small.nbytes)  # nothing pushed out for it
    assert cache.peek("v", "huge") is None


@pytest.fixture
def shared_redis() -> Iterator[Any]:
    client = redis_client(reachable_redis_url(), timeout=0.5)
    yield client
    client.close()


@pytest.mark.redis
def test_a_body_too_large_for_l1_still_comes_from_redis(shared_redis: Any) -> None:
    namespace = f"foyer-test-{uuid.uuid4().hex[:8]}"
    cache = TieredCache(l1_bytes=BUDGET, redis=shared_redis, namespace=namespace, ttl_seconds=60)
    huge = Computes(body(BUDGET // 4))
    try:
        for _ in range(3):
            assert cache.get_or_compute("v-huge", "huge", huge).body == huge.value
        assert huge.calls == 1
        assert cache.metrics.count("v-huge", "l2", "hit") == 2
        assert cache.l1_usage() == (0, 0)
    finally:
        shared_redis.delete(f"{namespace}:huge")  # exact key: no SCAN, no FLUSH


def test_the_entry_count_setting_is_retired() -> None:
    assert Settings(_env_file=None).cache_l1_bytes == 16 * 1024 * 1024
    with pytest.raises(ValidationError, match="FOYER_CACHE_L1_BYTES"):
        Settings(_env_file=None, cache_l1_entries=4096)


def test_the_app_sizes_its_l1_from_the_setting(fresh_app: Any) -> None:
    app = fresh_app(cache_l1_bytes=BUDGET)
    assert app.state.foyer.cache.l1_entry_max_bytes == BUDGET // L1_ENTRY_SHARE
