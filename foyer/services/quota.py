"""Per-household write quota: rows written per window (FOYER_WRITE_QUOTA), with `limits`.

Why: one account repeating 10,000-row bulk inserts, or committing large bank files one
after another, keeps the database busy for every household. Each write route charges
its rows before it writes — a bulk insert its items, an import commit its new rows, any
other write 1 — and a charge past the quota is refused (the route answers 429 with
Retry-After).

The strategy is limits' sliding window counter: two counters per household, a charge
taken atomically (a lock per key in memory, a Lua script in Redis) and, when refused,
not taken at all; a moving window would store one timestamp per row. With
FOYER_REDIS_URL the counters are shared by every API process (keys `foyer:quota:…`),
else each process counts its own. A Redis that fails does not stop writes: the quota
protects the server, it is not part of any answer. The failure is logged, the write goes
on, and after 3 failures in a row a circuit breaker stops asking Redis for 10 s (as the
cache's does), so a dead Redis costs a write at most one timeout per cooldown.
"""

from __future__ import annotations

import logging
import math
from typing import TYPE_CHECKING

from limits import RateLimitItem, parse
from limits.errors import StorageError
from limits.strategies import SlidingWindowCounterRateLimiter

from foyer.auth.ratelimit import limits_storage
from foyer.cache.breaker import CircuitBreaker

if TYPE_CHECKING:
    from foyer.read.imports import ImportRecord

log = logging.getLogger("foyer.quota")

#: Redis may take this long to answer a charge before the write goes on without it.
REDIS_TIMEOUT_SECONDS = 0.5
#: Sliding window counters: (previous count, its ttl, current count, its ttl), seconds.
Window = tuple[int, float, int, float]


class QuotaExceededError(Exception):
    """The household has written its quota's rows for now."""

    def __init__(self, rows: int, retry_after: int) -> None:
        super().__init__(f"write quota reached: {rows} more rows fit in {retry_after} s")
        self.rows = rows
        self.retry_after = retry_after


class WriteQuota:
    """Rows each household may write per window; `rate` "0" or "" turns it off."""

    def __init__(
        self,
        rate: str,
        redis_url: str | None = None,
        *,
        prefix: str = "foyer",
        breaker: CircuitBreaker | None = None,
    ) -> None:
        self.item: RateLimitItem | None = None if rate.strip() in ("", "0") else parse(rate)
        self.storage = limits_storage(redis_url, f"{prefix}:quota", REDIS_TIMEOUT_SECONDS)
        self.limiter = SlidingWindowCounterRateLimiter(self.storage)
        self.breaker = breaker or CircuitBreaker(threshold=3, cooldown=10.0)

    @property
    def enabled(self) -> bool:
        return self.item is not None

    def charge(self, household_id: int, rows: int) -> None:
        """Count `rows` written by the household, or raise `QuotaExceededError` (nothing
        counted). A write larger than the whole quota needs all of it (a window with
        nothing else written), rather than never fitting."""
        item = self.item
        if item is None or rows <= 0:
            return
        cost = min(rows, item.amount)
        key = ("writes", str(household_id))
        if not self.breaker.allow():
            return  # Redis failed just now (logged then): writes go on unmetered
        try:
            taken = self.limiter.hit(item, *key, cost=cost)
            window = (
                None
                if taken
                else self.storage.get_sliding_window(item.key_for(*key), item.get_expiry())
            )
        except StorageError as exc:
            self.breaker.failure()
            log.warning("write quota not counted, its storage failed: %s", exc.storage_error)
            return
        self.breaker.success()
        if window is not None:
            wait = seconds_until_fits(
                window, limit=item.amount, cost=cost, expiry=item.get_expiry()
            )
            raise QuotaExceededError(rows, max(1, math.ceil(wait)))

    def reset(self) -> None:
        """Forget every count (tests: a new process starts from zero)."""
        self.storage.reset()


def import_commit_rows(record: ImportRecord) -> int:
    """What committing an import charges: the preview's rows not already held (its
    errors insert nothing), or 1 once it is committed (a commit then inserts nothing)."""
    if record.status != "preview":
        return 1
    return max(1, record.rows - record.duplicates)


def seconds_until_fits(window: Window, *, limit: int, cost: int, expiry: float) -> float:
    """Seconds until `cost` more fits, from limits' sliding window counters.

    limits weighs the previous window by the share of the current one still to run:
    weighted = previous × previous_ttl / expiry + current, and takes `cost` when
    weighted + cost ≤ limit. The previous window's weight falls to 0 as the current window
    runs out (its ttl); then the current window becomes the previous one (in
    current_ttl - expiry: limits gives a current window twice the expiry) and falls the
    same way. Counts taken meanwhile are not foreseen: the answer is a lower bound.
    """
    previous, previous_ttl, current, current_ttl = window
    room = limit - cost - current  # what the previous window's weight may still be
    if room >= 0:
        if previous == 0:
            return 0.0
        return max(0.0, previous_ttl - room * expiry / previous)
    shift = max(0.0, current_ttl - expiry)
    return shift + max(0.0, expiry - (limit - cost) * expiry / current)
