"""Pure ASGI middleware (no BaseHTTPMiddleware: it breaks contextvars and streaming).

`FrontMiddleware` is the outermost of foyer's layers; `BodySizeLimitMiddleware` refuses
large bodies (foyer/app.py sets them in order).
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Mapping

from asgi_correlation_id import correlation_id
from asgi_correlation_id.extensions.sentry import get_sentry_extension
from asgi_correlation_id.middleware import FAILED_VALIDATION_MESSAGE, is_valid_uuid4
from starlette.requests import HTTPConnection
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from foyer.api.errors import ApiError, envelope
from foyer.api.headers import with_security_headers
from foyer.auth.security import InvalidTokenError
from foyer.observability.context import current_request
from foyer.observability.requests import RequestObserver

CORRELATION_HEADER = "X-Correlation-ID"
_correlation_log = logging.getLogger("asgi_correlation_id")  # its own warnings, as before


#: Correlation ids made ahead, from one `os.urandom` call per batch: the system call
#: costs more than the rest of an id, and one is needed per request.
_ids: list[str] = []
_IDS_PER_BATCH = 256
# A forked child must not hand out its parent's ids.
os.register_at_fork(after_in_child=_ids.clear)


def new_correlation_id() -> str:
    """A random UUID4 as 32 hex digits, as `uuid4().hex` makes them (os.urandom's bytes,
    the version and variant bits set), at a sixth of its cost."""
    try:
        return _ids.pop()  # atomic: threads never share an id
    except IndexError:
        pass
    raw = bytearray(os.urandom(16 * _IDS_PER_BATCH))
    for at in range(0, len(raw), 16):
        raw[at + 6] = (raw[at + 6] & 0x0F) | 0x40  # version 4
        raw[at + 8] = (raw[at + 8] & 0x3F) | 0x80  # RFC 4122 variant
    text = raw.hex()
    _ids.extend(text[at : at + 32] for at in range(32, len(text), 32))
    return text[:32]


Headers = list[tuple[bytes, bytes]]


def _with_header(headers: Headers, name: bytes, value: bytes) -> Headers:
    """`headers` with `name` set to `value` (Starlette's MutableHeaders rule: the first
    occurrence replaced in place, the others dropped; appended when absent)."""
    out, found = [], False
    for item in headers:
        if item[0] != name:
            out.append(item)
        elif not found:
            out.append((name, value))
            found = True
    if not found:
        out.append((name, value))
    return out


class FrontMiddleware:
    """Three layers' work in one, around every request: the correlation id, the request
    observer (`foyer.observability.requests`, None with FOYER_MONITORING=off) and the
    security headers (`foyer.api.headers`) — one call and one wrapped `send` instead of
    three of each, on a cache hit that costs tens of microseconds in all.

    The correlation id follows asgi-correlation-id's `CorrelationIdMiddleware` exactly:
    the request's `X-Correlation-ID` when it is a valid UUID (else a new one, with that
    library's warning), set in its context variable (which every log line reads), into
    the request's headers and onto the response. The response start gets the security
    headers the app did not set, then the correlation id, as the three layers did.
    """

    def __init__(self, app: ASGIApp, *, observer: RequestObserver | None = None) -> None:
        self.app = app
        self.observer = observer
        self._header = CORRELATION_HEADER.lower().encode("latin-1")
        self._sentry = get_sentry_extension()  # a no-op without sentry-sdk

    def _correlate(self, scope: Scope) -> None:
        given = None
        for name, value in scope["headers"]:
            if name == self._header:
                given = value.decode("latin-1")
                break
        if not given:
            cid = new_correlation_id()
        elif not is_valid_uuid4(given):
            cid = new_correlation_id()
            _correlation_log.warning(FAILED_VALIDATION_MESSAGE, cid)
        else:
            cid = given
        if cid != given:
            scope["headers"] = _with_header(list(scope["headers"]), self._header, cid.encode())
        correlation_id.set(cid)
        self._sentry(cid)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope["type"]
        if kind != "http":
            if kind == "websocket":  # the correlation id only (no response start to mark)
                self._correlate(scope)
            await self.app(scope, receive, send)
            return
        self._correlate(scope)
        status = 500  # an exception escaping the app becomes a 500 outside this middleware
        header = self._header

        async def front_send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = with_security_headers(message.get("headers", ()))
                cid = correlation_id.get()
                if cid:
                    headers.append((header, cid.encode("latin-1")))
                message["headers"] = headers
            await send(message)

        observer = self.observer
        if observer is None:
            await self.app(scope, receive, front_send)
            return
        info = observer.open(scope)
        token = current_request.set(info)
        started = time.perf_counter()
        try:
            await self.app(scope, receive, front_send)
        finally:
            elapsed = time.perf_counter() - started
            current_request.reset(token)
            observer.record(scope, info, status, elapsed)


#: Does this request carry a credential that verifies? (Only asked on the larger routes.)
Credential = Callable[[HTTPConnection], bool]


def token_credential(verify: Callable[[str], object], cookie: str) -> Credential:
    """A bearer token (the API) or a session cookie (the web pages) that `verify` accepts
    (`TokenReader.read`: a signature check, remembered; no I/O)."""

    def signed_in(conn: HTTPConnection) -> bool:
        scheme, _, token = conn.headers.get("authorization", "").partition(" ")
        sent = [token.strip()] if scheme.lower() == "bearer" else []
        sent.append(conn.cookies.get(cookie, ""))
        for candidate in filter(None, sent):
            try:
                verify(candidate)
            except InvalidTokenError:
                continue
            return True
        return False

    return signed_in


class BodyTooLargeError(ApiError):
    """Raised inside the app's body read once a streamed body passes its limit."""

    def __init__(self, max_bytes: int) -> None:
        super().__init__(413, f"request body larger than {max_bytes} bytes")


class BodySizeLimitMiddleware:
    """Answer 413 to request bodies over `max_bytes`, declared or streamed.

    `larger` raises the limit for the POSTs to some exact paths (the bulk insert, the bank
    file uploads, whose routes check the file itself against its own limit), and only
    for a request `signed_in` vouches for: FastAPI reads a body before any dependency
    runs, so without this an anonymous client could make the server read every large
    body before its 401 (SPEC §7: unauthenticated requests may not send large bodies).

    A streamed body (no Content-Length) is counted as it arrives. Passing the limit raises
    inside the app's read, where FastAPI turns any parsing failure into a 400; so once it
    is passed, this middleware drops whatever the app answers instead and sends the 413
    itself (the body was never read: the app's answer cannot be about anything else).
    """

    def __init__(
        self,
        app: ASGIApp,
        max_bytes: int,
        larger: Mapping[str, int] | None = None,
        signed_in: Credential | None = None,
    ) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.larger = dict(larger or {})
        self.signed_in = signed_in

    def limit(self, scope: Scope) -> int:
        """The body limit of this request."""
        larger = self.larger.get(scope["path"], 0) if scope["method"] == "POST" else 0
        if larger <= self.max_bytes:
            return self.max_bytes
        if self.signed_in is not None and not self.signed_in(HTTPConnection(scope)):
            return self.max_bytes
        return larger

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        max_bytes = self.limit(scope)
        for name, value in scope["headers"]:
            if name == b"content-length" and value.isdigit() and int(value) > max_bytes:
                await self._refuse(max_bytes, scope, receive, send)
                return
        received = 0
        exceeded = started = False

        async def limited_receive() -> Message:
            nonlocal received, exceeded
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > max_bytes:
                    exceeded = True
                    raise BodyTooLargeError(max_bytes)
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if exceeded and not started:
                return  # the app's answer to a body it could not read: the 413 replaces it
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, guarded_send)
        except Exception as exc:
            if not (exceeded and not started and _caused_by_limit(exc)):
                raise
        if exceeded and not started:
            await self._refuse(max_bytes, scope, receive, send)

    @staticmethod
    async def _refuse(max_bytes: int, scope: Scope, receive: Receive, send: Send) -> None:
        error = BodyTooLargeError(max_bytes)
        response = envelope(error.status, error.code, error.message)
        await response(scope, receive, send)


def _caused_by_limit(exc: BaseException | None) -> bool:
    """Is `exc` the limit's own error, or raised while handling it (FastAPI re-raises
    a failed body read as an HTTPException `from` it)?"""
    seen = 0
    while exc is not None and seen < 16:  # a bounded walk: chains can loop
        if isinstance(exc, BodyTooLargeError):
            return True
        exc = exc.__cause__ or exc.__context__
        seen += 1
    return False
