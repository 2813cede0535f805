"""No secret reaches a log line, whichever way it is logged.

The property: a generated secret (a password, a JWT, a bearer token, a session or CSRF
cookie, a database URL's password), written the ways code and libraries write them, fed
through every logger path — a structured field, a nested dict, a `%s` argument (stdlib
and structlog), an exception's message and traceback, a stdlib record's `extra`, the
access log — never appears in the output, in any escaping, while every line stays one
JSON object carrying the request's correlation id.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import jwt
import orjson
import pytest
import structlog
from asgi_correlation_id import correlation_id
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from foyer.observability.access import access, flush_access
from foyer.observability.context import RequestInfo
from foyer.observability.redaction import REDACTED, clean, scrub
from tests.observability.logcapture import captured_logs, lines, strings

CID = "0d6f3c1ab2e94f5c8a7d6e5f4c3b2a19"

# Printable ASCII but spaces: what people put in passwords (a space would end `a=b` text).
password = st.text(st.characters(min_codepoint=33, max_codepoint=126), min_size=12, max_size=40)
token68 = st.text(
    st.sampled_from("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~+/"),
    min_size=16,
    max_size=64,
)


@st.composite
def jwts(draw: st.DrawFn) -> str:
    claims = {"sub": str(draw(st.integers(1, 10**9))), "hh": draw(st.integers(1, 10**6))}
    key = draw(st.binary(min_size=32, max_size=32))
    return jwt.encode(claims, key, algorithm="HS256")


@st.composite
def secrets(draw: st.DrawFn) -> tuple[str, str]:
    """(the secret, a text that carries it, as some code or library would write it)."""
    kind = draw(st.sampled_from(["password", "repr", "url", "raw_url", "jwt", "bearer", "cookie"]))
    if kind in ("password", "repr", "url", "raw_url"):
        secret = draw(password)
        if kind == "password":
            name = draw(st.sampled_from(["password", "new_password", "DB_PASSWORD", "api_key"]))
            return secret, f"{name}={secret}"
        if kind == "repr":  # an exception built from a dict, a dataclass's repr
            body = {"email": "a@b.c", "password": secret}
            return secret, f"bad input {body!r}"
        # Percent-encoded, or typed into FOYER_DATABASE_URL as is (a URL's password holds
        # no `@`).
        secret = quote(secret, safe="") if kind == "url" else secret.replace("@", "")
        return secret, f"could not connect to postgresql+psycopg://foyer:{secret}@db:5432/foyer"
    if kind == "jwt":
        secret = draw(jwts())
        return secret, draw(st.sampled_from([secret, f"token {secret} expired"]))
    if kind == "bearer":
        secret = draw(st.one_of(jwts(), token68))
        header = draw(st.sampled_from(["Authorization: Bearer {}", "bearer {}", "auth=Bearer {}"]))
        return secret, header.format(secret)
    secret = draw(st.one_of(jwts(), token68))
    cookie = draw(
        st.sampled_from(
            [
                "foyer_session={}",
                "Cookie: foyer_csrf=abc; foyer_session={}",
                "Set-Cookie: foyer_session={}; HttpOnly; Path=/",
                "cookie={}",
            ]
        )
    )
    return secret, cookie.format(secret)


def written_forms(secret: str) -> set[str]:
    """The secret as a line may hold it: as is, escaped by repr(), escaped by JSON."""
    return {secret, repr(secret)[1:-1], orjson.dumps(secret).decode()[1:-1]}


@pytest.fixture
def logs_with_cid() -> Iterator[io.StringIO]:
    token = correlation_id.set(CID)
    with captured_logs("DEBUG") as buffer:
        yield buffer
    correlation_id.reset(token)


def log_everywhere(secret: str, text: str) -> None:
    stdlib = logging.getLogger("foyer.test")
    slog = structlog.get_logger("foyer.test")
    slog.info("login", password=secret, note=text)  # a structured field
    slog.info(
        "request",
        request={
            "headers": {"Authorization": f"Bearer {secret}", "X-Note": [text]},
            "body": {"user": {"email": "a@b.c", "password": secret}, "notes": (text,)},
        },
    )
    stdlib.info("x %s", text)  # a format-string argument
    slog.warning("y %s", text)
    stdlib.warning("login failed", extra={"password": secret, "detail": text})
    try:
        raise RuntimeError(f"failed: {text}")
    except RuntimeError:
        stdlib.exception("boom")  # message and traceback
        slog.exception("boom")
    try:
        raise ValueError({"password": secret})
    except ValueError as exc:
        stdlib.error("rejected: %s", exc, exc_info=True)
    route = f"/api/v1/x?{text}"  # no route template is free text; this one is
    access(RequestInfo(method="GET", path=f"/reset?{text}"), 404, 0.001)
    access(RequestInfo(method="GET", path="/x", route=route, household_id=3), 200, 0.001)
    flush_access()  # written off the request path: now, for the reader


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(secret_and_text=secrets())
def test_no_logger_path_lets_a_secret_through(
    logs_with_cid: io.StringIO, secret_and_text: tuple[str, str]
) -> None:
    secret, text = secret_and_text
    logs_with_cid.seek(0)
    logs_with_cid.truncate()  # one example's lines (the fixture spans all examples)
    log_everywhere(secret, text)
    output = logs_with_cid.getvalue()
    got = lines(logs_with_cid)
    assert len(got) == 10
    assert all(line["correlation_id"] == CID for line in got)
    for form in written_forms(secret):
        assert form not in output
        assert not any(form in value for line in got for value in strings(line))
    assert REDACTED in output


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("login password=hunter2hunter2 ok", "login password=[redacted] ok"),
        ("{'password': 'a b', 'user': 'x'}", "{'password': [redacted] 'user': 'x'}"),
        ("Authorization: Bearer abc.def\nnext", "Authorization: [redacted]\nnext"),
        ("call with bearer abcdef", "call with bearer [redacted]"),
        ("Cookie: a=1; foyer_session=xyz", "Cookie: [redacted]"),
        ("foyer_csrf=abcdef; Path=/", "foyer_csrf=[redacted] Path=/"),
        ("redis://:pw@localhost:6379/0", "redis://:[redacted]@localhost:6379/0"),
        ("dsn=postgresql://u:p/w@h/db", "dsn=postgresql://u:[redacted]@h/db"),
        ("eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2ln", "[redacted]"),
        # What stays: words that merely name a secret, URLs without a password, times.
        ("password authentication failed", "password authentication failed"),
        ("token expired for user 3", "token expired for user 3"),
        ("GET http://example.com:8080/x at 12:30:00", "GET http://example.com:8080/x at 12:30:00"),
        ("route /api/v1/{path:path}", "route /api/v1/{path:path}"),
    ],
)
def test_scrub(text: str, expected: str) -> None:
    assert scrub(text) == expected


@pytest.mark.parametrize("text", ["tokentoken" * 3000, "a:" * 20000, "password=x " * 5000])
def test_scrub_handles_long_texts(text: str) -> None:
    # Would take seconds, not milliseconds, if a pattern backtracked over long words
    # (asserted by outcome, never by time: the test suite's own timeout catches a hang).
    assert len(scrub(text)) > 0


def test_structured_secret_keys_are_redacted_at_any_depth() -> None:
    value: Any = {"a": [{"Set-Cookie": "x", "api_key": "y", "n": 1}], "csrf_token": "z"}
    assert clean(value) == {
        "a": [{"Set-Cookie": REDACTED, "api_key": REDACTED, "n": 1}],
        "csrf_token": REDACTED,
    }
