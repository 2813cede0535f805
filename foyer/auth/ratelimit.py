"""How many password checks may run: login throttling windows and bounded hashing.

Windows (the `limits` library, moving window, memory or Redis storage; Redis keys carry
the `foyer:` prefix so every API process shares them):

- per account and client address (FOYER_LOGIN_RATE_LIMIT): a partner typing a password
  wrong a few times is slowed, a script guessing one account's password is stopped. A
  success clears it, so only failures add up;
- per client address, whatever the account (FOYER_LOGIN_ADDRESS_RATE_LIMIT): one password
  tried on many accounts is stopped too. Every attempt counts here, successes included:
  clearing it on success would let anyone with an account of their own reset it at will.

An attempt takes its place in both windows *before* the password is checked (`take`):
`limits`' moving-window hit is atomic (a lock per key in memory, a Lua script in Redis)
and refuses once the window is full, so N requests at once get at most the window's
number of guesses, not N. Accounts are keyed as `foyer.auth.policy.normalise_email`
spells them, the same spelling the user lookup uses.

Hashing: argon2 is slow on purpose and runs on the threadpool every sync route shares.
At most FOYER_LOGIN_HASH_CONCURRENCY checks run at once (default: one per core); an
attempt that finds no free slot is refused at once (503, Retry-After) rather than queued,
so a flood of logins never holds the threadpool's threads waiting for one.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import NamedTuple

from limits import RateLimitItem, parse
from limits.storage import MemoryStorage, RedisStorage
from limits.strategies import MovingWindowRateLimiter
from redis.backoff import NoBackoff
from redis.retry import Retry

from foyer.settings import Settings


def limits_storage(
    redis_url: str | None, key_prefix: str, timeout: float
) -> MemoryStorage | RedisStorage:
    """The `limits` storage of a window shared by every process (Redis, keys under
    `key_prefix`), or in memory without Redis. Fails fast, as the cache's client does:
    each call bounded by `timeout`, no retry, errors raised as `limits`' StorageError."""
    if not redis_url:
        return MemoryStorage()
    return RedisStorage(
        redis_url,
        key_prefix=key_prefix,
        wrap_exceptions=True,
        socket_timeout=timeout,
        socket_connect_timeout=timeout,
        retry=Retry(NoBackoff(), 0),  # type: ignore[arg-type]  # a redis.Redis option
    )


class _Window(NamedTuple):
    item: RateLimitItem
    keys: tuple[str, ...]


class LoginThrottle:
    def __init__(
        self,
        rate: str,
        address_rate: str,
        *,
        redis_url: str | None = None,
        prefix: str = "foyer",
        redis_timeout: float = 0.5,
        hash_slots: int = 1,
    ) -> None:
        self.item: RateLimitItem = parse(rate)
        self.address_item: RateLimitItem = parse(address_rate)
        # A Redis that does not answer within the timeout makes a login answer 503
        # (foyer.auth.login), never hang.
        self.storage = limits_storage(redis_url, f"{prefix}:limits", redis_timeout)
        self.limiter = MovingWindowRateLimiter(self.storage)
        self._slots = threading.BoundedSemaphore(hash_slots)

    @classmethod
    def from_settings(cls, settings: Settings) -> LoginThrottle:
        return cls(
            settings.login_rate_limit,
            settings.login_address_rate_limit,
            redis_url=settings.redis_url,
            redis_timeout=settings.login_redis_timeout_ms / 1000,
            hash_slots=settings.login_hash_concurrency or os.cpu_count() or 1,
        )

    def _windows(self, account: str | None, client: str) -> list[_Window]:
        windows = [_Window(self.address_item, ("address", client))]
        if account is not None:
            windows.append(_Window(self.item, ("account", account, client)))
        return windows

    def take(self, account: str | None, client: str) -> int | None:
        """Count one attempt for `account` (normalised; None: the address alone) from
        `client`, atomically. None when it may go ahead; else the seconds to wait.

        Raises limits.errors.StorageError when Redis does not answer."""
        windows = self._windows(account, client)
        # A look first, so an attempt refused by one window takes no place in the other
        # (a partner locked out of one account does not use up the household's address).
        for item, keys in windows:
            if not self.limiter.test(item, *keys):
                return self._retry_after(item, keys)
        for item, keys in windows:
            if not self.limiter.hit(item, *keys):  # the atomic step
                return self._retry_after(item, keys)
        return None

    def succeeded(self, account: str, client: str) -> None:
        """The account's password matched: its failures from `client` are forgiven."""
        self.limiter.clear(self.item, "account", account, client)

    def _retry_after(self, item: RateLimitItem, keys: tuple[str, ...]) -> int:
        reset_at, _remaining = self.limiter.get_window_stats(item, *keys)
        return max(1, int(reset_at - time.time()) + 1)

    @contextmanager
    def hashing_slot(self) -> Iterator[bool]:
        """True (and a slot held for the block) when a password check may run now."""
        acquired = self._slots.acquire(blocking=False)
        try:
            yield acquired
        finally:
            if acquired:
                self._slots.release()
