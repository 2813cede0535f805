"""What a login name and a password must look like (SPEC §7), declared once.

`normalise_email` is the one spelling of an email: the user lookup, user creation and the
login throttle all key on it, so `" A@x"`, `"a@x "` and `"a@X"` are one account to each
of them (a throttle keyed on the raw text gave each spelling fresh attempts).
"""

from __future__ import annotations

MAX_EMAIL_CHARS = 254  # RFC 5321's longest path; user_account.email is VARCHAR(254)
MIN_PASSWORD_CHARS = 12
# argon2 reads the whole password: a login with a megabyte of it costs that much hashing
# for nothing. Longer ones are refused when set and fail without hashing at login.
MAX_PASSWORD_CHARS = 1024


class WeakPasswordError(ValueError):
    """A new password that does not meet the policy; the message says why."""


class InvalidEmailError(ValueError):
    """A new user's email that cannot be one; the message says why."""


def normalise_email(raw: str) -> str:
    """The email as stored and looked up: surrounding whitespace gone, lower case."""
    return raw.strip().lower()


def check_new_email(raw: str) -> str:
    """`raw` normalised, when a new user may have it; raises InvalidEmailError otherwise."""
    email = normalise_email(raw)
    local, at, domain = email.rpartition("@")
    if not (local and at and domain) or any(c.isspace() for c in email):
        raise InvalidEmailError(f"{raw!r} is not an email address")
    if len(email) > MAX_EMAIL_CHARS:
        raise InvalidEmailError(f"an email has at most {MAX_EMAIL_CHARS} characters")
    return email


def plausible_login(email: str, password: str) -> bool:
    """False for credentials no account can have (checked before any hashing)."""
    return 0 < len(email) <= MAX_EMAIL_CHARS and len(password) <= MAX_PASSWORD_CHARS


def check_new_password(password: str) -> str:
    """`password` when it may be set; raises WeakPasswordError otherwise."""
    if len(password) < MIN_PASSWORD_CHARS:
        raise WeakPasswordError(f"password must have at least {MIN_PASSWORD_CHARS} characters")
    if len(password) > MAX_PASSWORD_CHARS:
        raise WeakPasswordError(f"password must have at most {MAX_PASSWORD_CHARS} characters")
    return password
