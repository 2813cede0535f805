"""The Redis circuit breaker (foyer.cache.breaker): it opens after failures, lets one trial
through after its cooldown, and closes on success; its clock is a parameter."""

from __future__ import annotations

from foyer.cache.breaker import CircuitBreaker


def test_breaker_opens_after_failures_and_lets_one_trial_through() -> None:
    now = [0.0]
    breaker = CircuitBreaker(threshold=2, cooldown=5, clock=lambda: now[0])
    breaker.failure()
    assert breaker.allow()
    breaker.failure()
    assert breaker.state == "open"
    assert not breaker.allow()
    now[0] = 5.0
    assert breaker.state == "half-open"
    assert breaker.allow()  # the trial
    assert not breaker.allow()  # only one at a time
    breaker.success()
    assert breaker.state == "closed"
    assert breaker.allow()
