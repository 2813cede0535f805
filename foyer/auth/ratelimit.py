"""Login throttling with the `limits` library: moving window, memory or Redis storage.

Only failures count, per (email, client address): a partner typing a password wrong a few
times is slowed, a script guessing passwords is stopped. With FOYER_REDIS_URL set the window
is shared by every API process; keys carry the `foyer:` prefix.
"""

from __future__ import annotations

import time

from limits import RateLimitItem, parse
from limits.storage import MemoryStorage, RedisStorage, Storage
from limits.strategies import MovingWindowRateLimiter


class LoginThrottle:
    def __init__(self, rate: str, redis_url: str | None = None, prefix: str = "foyer") -> None:
        self.item: RateLimitItem = parse(rate)
        self.storage: Storage = (
            RedisStorage(redis_url, key_prefix=f"{prefix}:limits") if redis_url else MemoryStorage()
        )
        self.limiter = MovingWindowRateLimiter(self.storage)

    def _key(self, email: str, client: str) -> tuple[str, str, str]:
        return ("login", email.casefold(), client)

    def allowed(self, email: str, client: str) -> bool:
        """False when this email/client pair has used up its failures for the window."""
        return self.limiter.test(self.item, *self._key(email, client))

    def record_failure(self, email: str, client: str) -> None:
        self.limiter.hit(self.item, *self._key(email, client))

    def retry_after(self, email: str, client: str) -> int:
        """Seconds until one more attempt is allowed."""
        reset_at, _remaining = self.limiter.get_window_stats(self.item, *self._key(email, client))
        return max(1, int(reset_at - time.time()) + 1)

    def reset(self, email: str, client: str) -> None:
        self.limiter.clear(self.item, *self._key(email, client))
