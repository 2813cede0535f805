"""Password hashing (argon2id), signed bearer tokens (JWT HS256) and the instance's stored values.

The token signing key itself lives in a key file or the environment: foyer.auth.keys.
"""

from __future__ import annotations

import datetime as dt
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from cachetools import LRUCache
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from foyer.db.engine import Database
from foyer.db.schema import instance_secret

_hasher = PasswordHasher()  # argon2id with the library's RFC 9106 low-memory profile
# Verifying against this keeps unknown-email logins as slow as wrong-password ones.
_DUMMY_HASH = _hasher.hash(secrets.token_hex(16))
TOKEN_ALGORITHM = "HS256"  # noqa: S105 (an algorithm name, not a secret)


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and bool(password_hash)
    except (VerificationError, InvalidHashError):
        return False


@dataclass(frozen=True, slots=True)
class TokenClaims:
    user_id: int
    household_id: int
    jti: str  # this token's own id: logout revokes it alone
    generation: int  # the user's token generation when issued: a password change renews it
    expires_at: float  # `exp`, seconds since the epoch


class InvalidTokenError(Exception):
    """The bearer token is missing, malformed, forged, expired or revoked."""


class Revocations(Protocol):
    """What TokenReader asks about a valid token (foyer.auth.revocation.RevocationView)."""

    def refuses(self, claims: TokenClaims) -> bool: ...


def issue_token(
    secret: str, *, user_id: int, household_id: int, ttl_minutes: int, generation: int = 0
) -> str:
    now = dt.datetime.now(dt.UTC)
    payload = {
        "sub": str(user_id),
        "hh": household_id,
        "jti": secrets.token_urlsafe(16),
        "gen": generation,
        "iat": now,
        "exp": now + dt.timedelta(minutes=ttl_minutes),
    }
    return jwt.encode(payload, secret, algorithm=TOKEN_ALGORITHM)


def _decode(secret: str, token: str) -> tuple[TokenClaims, float]:
    """The claims and the token's lifetime (`exp - iat`, seconds)."""
    try:
        payload = jwt.decode(
            token,
            secret,
            algorithms=[TOKEN_ALGORITHM],
            options={"require": ["exp", "iat", "sub", "jti", "gen"]},
        )
        claims = TokenClaims(
            user_id=int(payload["sub"]),
            household_id=int(payload["hh"]),
            jti=str(payload["jti"]),
            generation=int(payload["gen"]),
            expires_at=float(payload["exp"]),
        )
        return claims, claims.expires_at - float(payload["iat"])
    except (jwt.PyJWTError, KeyError, TypeError, ValueError) as exc:
        raise InvalidTokenError(str(exc)) from exc


class TokenReader:
    """Bearer token checks, with a memory of the tokens it already verified.

    A dashboard client sends the same token with every request; checking its HMAC and
    parsing its JSON again each time costs ~30 µs, a tenth of a cached answer. A token is
    immutable, so a verified one stays valid until its `exp` — checked on every use,
    with PyJWT's rule (expired once `exp <= now`) — unless it is revoked: `revocations`
    is asked on every use, remembered or not (an in-memory lookup, no I/O). Failures are
    not remembered: a forged token costs its full check every time, as before. Bounded
    LRU; one lock (requests run on the event loop and on threadpool threads).

    `max_lifetime_seconds`: a token issued to live longer than this (FOYER_TOKEN_TTL_MINUTES
    now) is refused, so shortening the setting shortens the tokens already out, and a
    password change's revocation needs to be remembered no longer than that.
    """

    def __init__(
        self,
        secret: str,
        *,
        revocations: Revocations | None = None,
        max_lifetime_seconds: float | None = None,
        entries: int = 10_000,
    ) -> None:
        self._secret = secret
        self.revocations = revocations
        self._max_lifetime = max_lifetime_seconds
        self._known: LRUCache[str, TokenClaims] = LRUCache(maxsize=entries)
        self._lock = threading.Lock()

    def read(self, token: str) -> TokenClaims:
        with self._lock:
            claims = self._known.get(token)
        if claims is None or time.time() >= claims.expires_at:
            claims = self._verify(token)
        if self.revocations is not None and self.revocations.refuses(claims):
            raise InvalidTokenError("revoked")
        return claims

    def _verify(self, token: str) -> TokenClaims:
        claims, lifetime = _decode(self._secret, token)  # raises when expired, too
        if time.time() >= claims.expires_at:  # one clock for both checks (PyJWT reads datetime)
            raise InvalidTokenError("Signature has expired")
        if self._max_lifetime is not None and lifetime > self._max_lifetime:
            raise InvalidTokenError("issued for longer than tokens now live")
        with self._lock:
            self._known[token] = claims
        return claims


def stored_value(database: Database, name: str, make: Callable[[], str]) -> str:
    """The database's value called `name` (table instance_secret), made on first use."""
    existing = read_value(database, name)
    if existing is not None:
        return existing
    try:
        with database.unit_of_work() as conn:
            conn.execute(
                instance_secret.insert().values(
                    name=name, value=make(), created_at=dt.datetime.now(dt.UTC)
                )
            )
    except IntegrityError:
        pass  # another process stored its value first; read that one below
    stored = read_value(database, name)
    assert stored is not None  # inserted above, by us or by the process that won
    return stored


def read_value(database: Database, name: str) -> str | None:
    """The database's value called `name`, if it has one."""
    query = select(instance_secret.c.value).where(instance_secret.c.name == name)
    with database.read() as conn:
        value = conn.execute(query).scalar_one_or_none()
    return None if value is None else str(value)


def delete_value(database: Database, name: str) -> None:
    with database.unit_of_work() as conn:
        conn.execute(instance_secret.delete().where(instance_secret.c.name == name))
