"""Signing in, once for both doors: the API's `POST /auth/token` and the web's `POST /login`.

The throttle is asked first, a failed password is counted, and a success gets a token; the
caller turns the outcome into its own answer (a 401/429 envelope, or the login page again).
"""

from __future__ import annotations

from dataclasses import dataclass

from foyer.auth.ratelimit import LoginThrottle
from foyer.auth.security import issue_token
from foyer.auth.service import User, authenticate
from foyer.db.engine import Database


@dataclass(frozen=True, slots=True)
class SignedIn:
    user: User
    token: str
    ttl_seconds: int


@dataclass(frozen=True, slots=True)
class Throttled:
    retry_after: int  # seconds


class BadCredentials:
    """The email and password do not match a user (the message never says which)."""


def log_in(
    *,
    database: Database,
    throttle: LoginThrottle,
    secret: str,
    ttl_minutes: int,
    email: str,
    password: str,
    client: str,
) -> SignedIn | Throttled | BadCredentials:
    if not throttle.allowed(email, client):
        return Throttled(throttle.retry_after(email, client))
    with database.read() as conn:
        user = authenticate(conn, email=email, password=password)
    if user is None:
        throttle.record_failure(email, client)
        return BadCredentials()
    token = issue_token(
        secret, user_id=user.id, household_id=user.household_id, ttl_minutes=ttl_minutes
    )
    return SignedIn(user, token, ttl_minutes * 60)
