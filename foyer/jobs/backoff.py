"""How long a failed job waits before its next attempt: exponential backoff with jitter.

huey's own `retry_delay`/`retry_backoff` are deterministic: every job that failed on the
same outage would come back at the same instant and hit the recovering dependency
together. "Equal jitter" (half the exponential step fixed, half random) keeps the
growth and spreads the herd. The random source is a parameter, so tests need no patching.
"""

from __future__ import annotations

import random
from collections.abc import Callable

#: No retry waits longer than this, however many attempts came before.
MAX_DELAY_SECONDS = 3600.0


def retry_delay(attempt: int, *, base: float, rng: Callable[[], float] = random.random) -> float:
    """Seconds to wait after failed attempt number `attempt` (1 for the first run).

    The step is `base * 2 ** (attempt - 1)` (capped); the delay is uniform in
    [step / 2, step]. `base` 0 retries at once.
    """
    if base <= 0:
        return 0.0
    step = min(base * 2.0 ** (attempt - 1), MAX_DELAY_SECONDS)
    return step / 2 + rng() * step / 2
