"""The retry delay: exponential steps, jitter within [step / 2, step], capped."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from foyer.jobs.backoff import MAX_DELAY_SECONDS, retry_delay


@given(attempt=st.integers(1, 40), base=st.floats(0.01, 600), r=st.floats(0, 1, exclude_max=True))
def test_delay_lies_in_the_jittered_step(attempt: int, base: float, r: float) -> None:
    step = min(base * 2.0 ** (attempt - 1), MAX_DELAY_SECONDS)
    delay = retry_delay(attempt, base=base, rng=lambda: r)
    assert step / 2 <= delay <= step


def test_steps_double_and_zero_means_at_once() -> None:
    low = [retry_delay(n, base=10, rng=lambda: 0.0) for n in (1, 2, 3)]
    assert low == [5, 10, 20]
    assert retry_delay(1, base=10, rng=lambda: 0.999) < 10
    assert retry_delay(5, base=0) == 0
