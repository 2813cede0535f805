"""Browser sessions and CSRF protection for the web pages (the API keeps its bearer tokens).

- The session is the same signed token the API issues, in an HttpOnly cookie
  (`foyer_session`, SameSite=Lax, Secure when the request came over https), so the pages
  check identity exactly as the API does: no server-side session store. Signing out
  (`POST /logout`) revokes that token (foyer.auth.revocation), so a copy of the cookie
  stops working too, in the pages and the API alike.
- CSRF: a double-submit token. `foyer_csrf` is a random cookie (SameSite=Strict) that the
  page's script copies into an `X-CSRF-Token` header on every htmx request and into the
  `csrf_token` field of plain forms; an unsafe request whose token is missing or differs
  is refused (403). The cookie is readable by the page's own script on purpose: cached
  pages carry no per-browser secret, so a household's warm page is one cached body for
  every browser. A cross-site page can neither read the cookie nor set the header.
"""

from __future__ import annotations

import hmac
import secrets
from typing import Annotated

from fastapi import Depends, Request
from starlette.responses import Response

from foyer.api.deps import State
from foyer.auth.security import InvalidTokenError, TokenClaims

SESSION_COOKIE = "foyer_session"
CSRF_COOKIE = "foyer_csrf"
CSRF_HEADER = "x-csrf-token"
CSRF_FIELD = "csrf_token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class LoginRequired(Exception):
    """No valid session: pages redirect to /login, htmx requests get HX-Redirect."""


class CsrfRefused(Exception):
    """An unsafe request without the right CSRF token: 403."""


def _secure(request: Request) -> bool:
    return request.url.scheme == "https"


def set_session(response: Response, request: Request, token: str, max_age: int) -> None:
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=max_age,
        httponly=True,
        samesite="lax",
        secure=_secure(request),
        path="/",
    )


def clear_session(response: Response) -> None:
    response.delete_cookie(SESSION_COOKIE, path="/")


def csrf_cookie(request: Request) -> str | None:
    value = request.cookies.get(CSRF_COOKIE)
    return value if value and len(value) <= 128 else None


def csrf_token_for(request: Request) -> str:
    """The browser's CSRF token, or a new one (`keep_csrf` then sets it)."""
    return csrf_cookie(request) or secrets.token_urlsafe(32)


def keep_csrf(request: Request, response: Response, token: str) -> None:
    """Set the CSRF cookie on `response` unless the browser already holds `token`."""
    if csrf_cookie(request) != token:
        response.set_cookie(
            CSRF_COOKIE,
            token,
            httponly=False,  # read by the page's script (see the module docstring)
            samesite="strict",
            secure=_secure(request),
            path="/",
        )


def ensure_csrf(request: Request, response: Response) -> str:
    """The browser's CSRF token, set on `response` when it had none; the token."""
    token = csrf_token_for(request)
    keep_csrf(request, response, token)
    return token


async def require_csrf(request: Request) -> None:
    """For unsafe methods: the header (htmx) or form field (plain forms) must equal the
    cookie. Compared in constant time."""
    if request.method in SAFE_METHODS:
        return
    expected = csrf_cookie(request)
    sent = request.headers.get(CSRF_HEADER)
    if sent is None and request.headers.get("content-type", "").startswith(
        ("application/x-www-form-urlencoded", "multipart/form-data")
    ):
        field = (await request.form()).get(CSRF_FIELD)
        sent = field if isinstance(field, str) else None
    if not expected or not sent or not hmac.compare_digest(expected, sent):
        raise CsrfRefused


async def web_claims(request: Request, state: State) -> TokenClaims:
    """The signed-in user of this browser, from the session cookie."""
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        raise LoginRequired
    try:
        return state.tokens.read(token)
    except InvalidTokenError as exc:
        raise LoginRequired from exc


WebClaims = Annotated[TokenClaims, Depends(web_claims)]
Csrf = Depends(require_csrf)
