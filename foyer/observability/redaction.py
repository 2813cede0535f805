"""Secrets out of log lines: a structlog processor, and the text scrubber it uses.

Two nets, because a secret reaches a log line two ways:
- under a key that names it (`password=`, a headers dict's `Authorization`, `set-cookie`):
  the value is replaced whole, at any depth of dicts and lists;
- inside free text (a message's `%s` argument, an exception's message, a traceback, a
  repr of a dict): patterns for what a secret looks like — a JWT (`eyJ…` in three
  base64url parts), `Bearer …`, a URL's `user:password@`, `name=value` or `'name': 'value'`
  where the name is a secret's, and whole `Authorization:` / `Cookie:` header lines.

Hand-written (one regular expression and a walk over the event) because structlog has
no redaction of its own and the packages that add one match keys only, never free text,
which is where the exception and `%s` paths put secrets.
"""

from __future__ import annotations

import re
from typing import Any

from structlog.typing import EventDict, WrappedLogger

REDACTED = "[redacted]"

# A key whose value is a secret, wherever it appears in its name (case-insensitive):
# `password`, `new_password`, `access_token`, `X-CSRF-Token`, `set-cookie`, `session_id`.
_CREDENTIAL_WORDS = (
    r"passw(?:or)?d|pwd|secret|token|authori[sz]ation|cookie|api[-_]?key|session|csrf"
)
_CREDENTIAL_KEY = re.compile(_CREDENTIAL_WORDS, re.IGNORECASE)

_TEXT = re.compile(
    r"""
    # A JWT: header and payload are base64url JSON objects, so both start with `eyJ`.
    eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*
    # Header lines whose whole value is a credential (`Cookie: a=1; foyer_session=…`):
    # masked to the end of the line, so no part of a `Bearer x` or a cookie list remains.
  | (?P<line>\b(?:proxy-)?(?:authori[sz]ation|set-cookie|cookie)["']?\s*[=:]\s*)[^\r\n]+
  | (?P<bearer>\bbearer\s+)[^\s"',;]+
    # A URL's password: `scheme://user:password@` (the password may hold anything but `@`).
    # The look-behind starts a match only where a word starts: without it a long word
    # (a base64 blob in a traceback) is rescanned from each of its characters.
  | (?P<url>(?<![A-Za-z0-9+.-])[A-Za-z][A-Za-z0-9+.-]*://[^\s:/@]*:)[^\s@]+(?=@)
    """,
    re.IGNORECASE | re.VERBOSE,
)
# name=value, name: value, 'name': 'value' where the name holds a secret's: a quoted value
# to its closing quote, and on to the next space either way (a password may hold `,` `]`
# `&`: masking a trailing comma too is the safe error). The name is atomic and starts a
# word only: a long word holding several secret names is scanned once, not once per name.
# A value `_TEXT` already masked is left alone.
_PAIR = re.compile(
    rf"""
    (?P<head>(?<![\w-])(?>[\w-]*?(?:{_CREDENTIAL_WORDS})[\w-]*+)["']?\s*[=:]\s*+)
    (?!\[redacted\](?:\s|$))
    (?:"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')?\S*
    """,
    re.IGNORECASE | re.VERBOSE,
)

# Fields foyer writes itself, never from user input: not worth a scan on every line.
_OWN = frozenset({"timestamp", "level", "logger", "correlation_id", "job_id"})
_KEY_CACHE: dict[str, bool] = {}
_KEY_CACHE_MAX = 4096


def _masked(match: re.Match[str]) -> str:
    return (match.group("line") or match.group("bearer") or match.group("url") or "") + REDACTED


def _masked_pair(match: re.Match[str]) -> str:
    return match.group("head") + REDACTED


def scrub(text: str) -> str:
    """`text` with every secret-looking part masked."""
    # Every pattern needs one of these: most lines (the access log's route and method, a
    # plain message) skip both expressions for four substring checks (0.1 µs against 1-7).
    if "=" not in text and ":" not in text and "eyJ" not in text and "bearer" not in text.lower():
        return text
    return _PAIR.sub(_masked_pair, _TEXT.sub(_masked, text))


def is_secret_key(key: str) -> bool:
    known = _KEY_CACHE.get(key)
    if known is None:
        known = _CREDENTIAL_KEY.search(key) is not None
        if len(_KEY_CACHE) < _KEY_CACHE_MAX:  # keys are code's names: few, but never unbounded
            _KEY_CACHE[key] = known
    return known


def clean(value: Any) -> Any:
    """`value` made safe to log and to serialise: strings scrubbed, dicts and lists walked
    (a secret key's value replaced), anything else by its scrubbed `str()`."""
    if value is None or isinstance(value, bool | int | float):
        return value
    if isinstance(value, str):
        return scrub(value)
    if isinstance(value, dict):
        return {str(k): REDACTED if is_secret_key(str(k)) else clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [clean(item) for item in value]
    return scrub(str(value))


def redact(_logger: WrappedLogger, _name: str, event_dict: EventDict) -> EventDict:
    """The structlog processor: runs after the exception is rendered to text, before the
    renderer, so the traceback is scrubbed like any other field."""
    for key, value in event_dict.items():
        if key in _OWN:
            continue
        if is_secret_key(key):
            event_dict[key] = REDACTED
        elif value is not None and not isinstance(value, bool | int | float):
            event_dict[key] = clean(value)
    return event_dict
