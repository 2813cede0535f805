"""Password hashing (argon2id), signed bearer tokens (JWT HS256) and the instance secret."""

from __future__ import annotations

import datetime as dt
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

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
SECRET_NAME = "token_signing_key"  # noqa: S105 (a row name, not a secret)


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


class InvalidTokenError(Exception):
    """The bearer token is missing, malformed, forged or expired."""


def issue_token(secret: str, *, user_id: int, household_id: int, ttl_minutes: int) -> str:
    now = dt.datetime.now(dt.UTC)
    payload = {
        "sub": str(user_id),
        "hh": household_id,
        "iat": now,
        "exp": now + dt.timedelta(minutes=ttl_minutes),
    }
    return jwt.encode(payload, secret, algorithm=TOKEN_ALGORITHM)


def _decode(secret: str, token: str) -> tuple[TokenClaims, float]:
    try:
        payload = jwt.decode(
            token, secret, algorithms=[TOKEN_ALGORITHM], options={"require": ["exp", "sub"]}
        )
        claims = TokenClaims(user_id=int(payload["sub"]), household_id=int(payload["hh"]))
        return claims, float(payload["exp"])
    except (jwt.PyJWTError, KeyError, TypeError, ValueError) as exc:
        raise InvalidTokenError(str(exc)) from exc


class TokenReader:
    """Bearer token checks, with a memory of the tokens it already verified.

    A dashboard client sends the same token with every request; checking its HMAC and
    parsing its JSON again each time costs ~30 µs, a tenth of a cached answer. A token is
    immutable, so a verified one stays valid until its `exp` — checked on every use,
    with PyJWT's rule (expired once `exp <= now`). Failures are not remembered: a forged
    token costs its full check every time, as before. Bounded LRU; one lock (requests
    run on the event loop and on threadpool threads).
    """

    def __init__(self, secret: str, entries: int = 10_000) -> None:
        self._secret = secret
        self._known: LRUCache[str, tuple[TokenClaims, float]] = LRUCache(maxsize=entries)
        self._lock = threading.Lock()

    def read(self, token: str) -> TokenClaims:
        with self._lock:
            known = self._known.get(token)
        if known is not None and time.time() < known[1]:
            return known[0]
        claims, expires = _decode(self._secret, token)  # raises when expired, too
        if time.time() >= expires:  # one clock for both checks (PyJWT reads datetime)
            raise InvalidTokenError("Signature has expired")
        with self._lock:
            self._known[token] = (claims, expires)
        return claims


def resolve_secret(database: Database, configured: str | None) -> str:
    """FOYER_SECRET_KEY when set; else the instance's own key, generated on first use.

    The generated key is stored in the database itself so every process and machine
    sharing that database signs with the same key; the first writer wins the race.
    """
    return configured or stored_value(database, SECRET_NAME, lambda: secrets.token_urlsafe(48))


def stored_value(database: Database, name: str, make: Callable[[], str]) -> str:
    """The database's value called `name` (table instance_secret), made on first use."""
    existing = _read_value(database, name)
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
    stored = _read_value(database, name)
    assert stored is not None  # inserted above, by us or by the process that won
    return stored


def _read_value(database: Database, name: str) -> str | None:
    query = select(instance_secret.c.value).where(instance_secret.c.name == name)
    with database.read() as conn:
        value = conn.execute(query).scalar_one_or_none()
    return None if value is None else str(value)
