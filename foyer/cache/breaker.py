"""A circuit breaker for the Redis tier.

Hand-written (≈40 lines) because the libraries available do not fit a threaded server:
pybreaker holds its lock for the whole guarded call (10 parallel 0.1 s calls take 1 s,
danielfm/pybreaker#55), circuitbreaker has no locking at all, purgatory pins redis<6.
Here the lock only guards state changes, never the I/O.

closed → (`threshold` consecutive failures) → open: calls are refused for `cooldown`
seconds → half-open: one trial call at a time; success closes, failure re-opens.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable


class CircuitBreaker:
    def __init__(
        self,
        threshold: int = 3,
        cooldown: float = 2.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.threshold = threshold
        self.cooldown = cooldown
        self._clock = clock
        self._lock = threading.Lock()
        self._failures = 0
        self._open_until = 0.0
        self._trial = False  # a half-open trial call is in flight

    @property
    def state(self) -> str:
        with self._lock:
            if self._failures < self.threshold:
                return "closed"
            return "open" if self._clock() < self._open_until else "half-open"

    def allow(self) -> bool:
        """May a call go through now? (Half-open: only one trial at a time.)"""
        with self._lock:
            if self._failures < self.threshold:
                return True
            if self._clock() < self._open_until or self._trial:
                return False
            self._trial = True
            return True

    def success(self) -> None:
        with self._lock:
            self._failures = 0
            self._trial = False

    def failure(self) -> None:
        with self._lock:
            self._failures += 1
            self._trial = False
            if self._failures >= self.threshold:
                self._open_until = self._clock() + self.cooldown
