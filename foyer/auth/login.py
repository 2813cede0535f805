"""Signing in, once for both doors: the API's `POST /auth/token` and the web's `POST /login`.

Every password check (a login, a password change) goes through `guarded`: the throttle
takes the attempt first (atomically, foyer.auth.ratelimit), then the check runs if a
hashing slot is free, and a success clears the account's failures. Credentials no account
can have (an email over 254 characters, a password over 1024) count against the address
and fail without hashing. The caller turns the outcome into its own answer (a 401/429/503
envelope, or the login page again).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from limits.errors import StorageError

from foyer.auth.policy import normalise_email, plausible_login
from foyer.auth.ratelimit import LoginThrottle
from foyer.auth.security import issue_token
from foyer.auth.service import User, authenticate
from foyer.db.engine import Database

log = logging.getLogger("foyer.auth")

T = TypeVar("T")
BUSY_RETRY_AFTER = 1  # seconds: a password check takes a fraction of one
THROTTLE_DOWN_RETRY_AFTER = 5  # seconds: Redis is restarting, or its network is


@dataclass(frozen=True, slots=True)
class SignedIn:
    user: User
    token: str
    ttl_seconds: int


@dataclass(frozen=True, slots=True)
class Throttled:
    """Too many attempts (429)."""

    retry_after: int  # seconds


@dataclass(frozen=True, slots=True)
class Busy:
    """No password check can run now (503): every hashing slot is taken, or the shared
    throttle does not answer (no attempt goes unthrottled)."""

    retry_after: int  # seconds


class BadCredentials:
    """The email and password do not match a user (the message never says which)."""


def guarded(
    throttle: LoginThrottle,
    *,
    account: str | None,
    client: str,
    check: Callable[[], T | None],
) -> T | Throttled | Busy | BadCredentials:
    """Run `check` — a password check, None when it fails — if the throttle lets
    `account` (normalised; None: implausible credentials, never checked) try from
    `client` and a hashing slot is free."""
    try:
        wait = throttle.take(account, client)
    except StorageError as exc:
        log.warning("login throttle unavailable, logins refused: %s", exc.__class__.__name__)
        return Busy(THROTTLE_DOWN_RETRY_AFTER)
    if wait is not None:
        return Throttled(wait)
    if account is None:
        return BadCredentials()
    with throttle.hashing_slot() as free:
        if not free:
            return Busy(BUSY_RETRY_AFTER)
        outcome = check()
    if outcome is None:
        return BadCredentials()
    try:
        throttle.succeeded(account, client)
    except StorageError as exc:  # the success stands; its failures just age out instead
        log.warning("login throttle unavailable, failures not cleared: %s", exc)
    return outcome


def log_in(
    *,
    database: Database,
    throttle: LoginThrottle,
    secret: str,
    ttl_minutes: int,
    email: str,
    password: str,
    client: str,
) -> SignedIn | Throttled | Busy | BadCredentials:
    account = normalise_email(email)

    def check() -> SignedIn | None:
        with database.read() as conn:
            user = authenticate(conn, email=account, password=password)
        if user is None:
            return None
        token = issue_token(
            secret,
            user_id=user.id,
            household_id=user.household_id,
            ttl_minutes=ttl_minutes,
            generation=user.token_generation,
        )
        return SignedIn(user, token, ttl_minutes * 60)

    plausible = plausible_login(account, password)
    return guarded(throttle, account=account if plausible else None, client=client, check=check)
