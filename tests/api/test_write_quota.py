"""The write quota below HTTP (foyer.services.quota): its Retry-After arithmetic, Redis
shared by processes, and a Redis that fails never stopping a write. The routes' use of
it is tests/api/test_limits.py."""

from __future__ import annotations

import logging
import uuid

import pytest

from foyer.bench.server import free_port
from foyer.cache.breaker import CircuitBreaker
from foyer.services.quota import QuotaExceededError, WriteQuota, seconds_until_fits
from tests.helpers import reachable_redis_url

LIMIT, EXPIRY = 100, 60.0


@pytest.mark.parametrize(
    ("window", "cost", "wait"),
    [
        ((0, 0.0, 0, 0.0), 10, 0.0),  # nothing written
        ((80, 30.0, 50, 90.0), 10, 0.0),  # 80 × 30/60 + 50 + 10 = 100: fits now
        ((80, 30.0, 60, 90.0), 10, 7.5),  # the previous window must weigh 30: 22.5 s left
        ((0, 0.0, 95, 80.0), 10, 20 + 60 - 90 * 60 / 95),  # after the current window shifts
    ],
)
def test_seconds_until_a_charge_fits(
    window: tuple[int, float, int, float], cost: int, wait: float
) -> None:
    assert seconds_until_fits(window, limit=LIMIT, cost=cost, expiry=EXPIRY) == pytest.approx(wait)


def test_a_refused_charge_takes_nothing_and_says_when() -> None:
    quota = WriteQuota("10/hour")
    quota.charge(1, 8)
    with pytest.raises(QuotaExceededError) as refused:
        quota.charge(1, 3)
    assert refused.value.rows == 3
    assert 1 <= refused.value.retry_after <= 2 * 3600
    quota.charge(1, 2)  # the refused 3 were not taken
    with pytest.raises(QuotaExceededError):
        quota.charge(1, 1)
    quota.charge(2, 10)  # another household


@pytest.fixture
def redis_url() -> str:
    return reachable_redis_url()


@pytest.mark.redis
def test_processes_share_the_quota_through_redis(redis_url: str) -> None:
    prefix = f"foyer-test-{uuid.uuid4().hex[:8]}"
    one, two = (
        WriteQuota("10/hour", redis_url, prefix=prefix),
        WriteQuota("10/hour", redis_url, prefix=prefix),
    )
    try:
        one.charge(7, 6)
        with pytest.raises(QuotaExceededError):
            two.charge(7, 6)
        two.charge(7, 4)
    finally:
        assert one.item is not None
        one.limiter.clear(one.item, "writes", "7")  # its exact keys: no SCAN, no FLUSH


def test_a_failing_redis_never_stops_a_write(caplog: pytest.LogCaptureFixture) -> None:
    dead = f"redis://127.0.0.1:{free_port()}/0"
    quota = WriteQuota("1/hour", dead, breaker=CircuitBreaker(threshold=3, cooldown=60))
    with caplog.at_level(logging.WARNING, logger="foyer.quota"):
        for _ in range(10):
            quota.charge(1, 5)  # over the quota, yet not refused: nothing could count it
    assert quota.breaker.state == "open"  # Redis no longer asked...
    # ...after the 3 failures in a row that opened the breaker, each logged.
    assert len([r for r in caplog.records if "not counted" in r.getMessage()]) == 3


def test_off_means_no_quota() -> None:
    for off in ("0", "", " "):
        quota = WriteQuota(off)
        assert not quota.enabled
        quota.charge(1, 10**9)
