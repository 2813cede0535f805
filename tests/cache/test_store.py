"""The tiered store (foyer.cache.store): single-flight misses, the off switch, a dead Redis
skipped after a few timeouts, and Redis as the L2 another process reads."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from foyer.bench.server import free_port
from foyer.cache.breaker import CircuitBreaker
from foyer.cache.store import TieredCache, redis_client
from tests.helpers import reachable_redis_url


def test_concurrent_misses_compute_once() -> None:
    cache = TieredCache()
    calls = 0
    lock = threading.Lock()
    start = threading.Barrier(16)

    def compute() -> bytes:
        nonlocal calls
        with lock:
            calls += 1
        time.sleep(0.05)
        return b'{"n": 1}'

    def ask() -> None:
        start.wait()
        assert cache.get_or_compute("summary", "k", compute).body == b'{"n": 1}'

    threads = [threading.Thread(target=ask) for _ in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert calls == 1


def test_cache_off_computes_every_time() -> None:
    cache = TieredCache(enabled=False)
    bodies = iter([b"1", b"2"])
    assert cache.get_or_compute("v", "k", lambda: next(bodies)).body == b"1"
    assert cache.get_or_compute("v", "k", lambda: next(bodies)).body == b"2"


def test_a_dead_redis_costs_a_few_timeouts_then_is_skipped() -> None:
    dead = redis_client(f"redis://127.0.0.1:{free_port()}/0", timeout=0.05)
    cache = TieredCache(redis=dead, breaker=CircuitBreaker(threshold=3, cooldown=60))
    count = cache.metrics.count
    for i in range(20):
        assert cache.get_or_compute("t-dead", f"k{i}", lambda: b"{}").body == b"{}"
    # The cost is counted, not timed: 3 timeouts, then the breaker opened.
    assert count("t-dead", "l2", "error") == 3
    # A miss asks Redis twice (get, then set): 40 attempts, 3 errors, the rest skipped.
    assert count("t-dead", "l2", "fallback") == 2 * 20 - 3


# --- Redis as L2 ---------------------------------------------------------------------------


@pytest.fixture
def shared_redis() -> Iterator[Any]:
    client = redis_client(reachable_redis_url(), timeout=0.5)
    yield client
    client.close()


@pytest.mark.redis
def test_l2_serves_another_process(shared_redis: Any) -> None:
    namespace = f"foyer-test-{uuid.uuid4().hex[:8]}"
    one = TieredCache(redis=shared_redis, namespace=namespace, ttl_seconds=60)
    two = TieredCache(redis=shared_redis, namespace=namespace, ttl_seconds=60)
    try:
        assert one.get_or_compute("summary", "k", lambda: b'{"a": 1}').body == b'{"a": 1}'
        assert two.metrics.count("summary", "l2", "hit") == 0

        def never() -> bytes:
            raise AssertionError("should come from Redis")

        assert two.get_or_compute("summary", "k", never).body == b'{"a": 1}'
        assert two.metrics.count("summary", "l2", "hit") == 1
        assert 0 < shared_redis.ttl(f"{namespace}:k") <= 60
    finally:
        shared_redis.delete(f"{namespace}:k")  # exact key: no SCAN, no FLUSH
