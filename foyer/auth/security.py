"""Password hashing (argon2id), signed bearer tokens (JWT HS256) and the instance secret."""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Callable
from dataclasses import dataclass

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Engine, select
from sqlalchemy.exc import IntegrityError

from foyer.db.engine import unit_of_work
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


def read_token(secret: str, token: str) -> TokenClaims:
    try:
        payload = jwt.decode(
            token, secret, algorithms=[TOKEN_ALGORITHM], options={"require": ["exp", "sub"]}
        )
        return TokenClaims(user_id=int(payload["sub"]), household_id=int(payload["hh"]))
    except (jwt.PyJWTError, KeyError, TypeError, ValueError) as exc:
        raise InvalidTokenError(str(exc)) from exc


def resolve_secret(engine: Engine, configured: str | None) -> str:
    """FOYER_SECRET_KEY when set; else the instance's own key, generated on first use.

    The generated key is stored in the database itself so every process and machine
    sharing that database signs with the same key; the first writer wins the race.
    """
    return configured or stored_value(engine, SECRET_NAME, lambda: secrets.token_urlsafe(48))


def stored_value(engine: Engine, name: str, make: Callable[[], str]) -> str:
    """The database's value called `name` (table instance_secret), made on first use."""
    existing = _read_value(engine, name)
    if existing is not None:
        return existing
    try:
        with unit_of_work(engine) as conn:
            conn.execute(
                instance_secret.insert().values(
                    name=name, value=make(), created_at=dt.datetime.now(dt.UTC)
                )
            )
    except IntegrityError:
        pass  # another process stored its value first; read that one below
    stored = _read_value(engine, name)
    assert stored is not None  # inserted above, by us or by the process that won
    return stored


def _read_value(engine: Engine, name: str) -> str | None:
    query = select(instance_secret.c.value).where(instance_secret.c.name == name)
    with engine.connect() as conn:
        value = conn.execute(query).scalar_one_or_none()
    return None if value is None else str(value)
