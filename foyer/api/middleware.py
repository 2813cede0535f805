"""Pure ASGI middleware (no BaseHTTPMiddleware: it breaks contextvars and streaming)."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from starlette.requests import HTTPConnection
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from foyer.api.errors import ApiError, envelope
from foyer.auth.security import InvalidTokenError

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
