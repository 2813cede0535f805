"""Pure ASGI middleware (no BaseHTTPMiddleware: it breaks contextvars and streaming)."""

from __future__ import annotations

from collections.abc import Mapping

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from foyer.api.errors import ApiError, envelope


class BodySizeLimitMiddleware:
    """Answer 413 to request bodies over `max_bytes`, declared or streamed.

    `larger` raises the limit for the POSTs to some exact paths (the bank import upload,
    whose route checks the file itself against its own limit).
    """

    def __init__(
        self, app: ASGIApp, max_bytes: int, larger: Mapping[str, int] | None = None
    ) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.larger = dict(larger or {})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        max_bytes = self.max_bytes
        if scope["method"] == "POST":
            max_bytes = max(max_bytes, self.larger.get(scope["path"], 0))
        for name, value in scope["headers"]:
            if name == b"content-length" and value.isdigit() and int(value) > max_bytes:
                response = envelope(413, "payload_too_large", self._message(max_bytes))
                await response(scope, receive, send)
                return
        received = 0

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > max_bytes:
                    # Raised inside the route's body read: the error handlers render it.
                    raise ApiError(413, self._message(max_bytes))
            return message

        await self.app(scope, limited_receive, send)

    @staticmethod
    def _message(max_bytes: int) -> str:
        return f"request body larger than {max_bytes} bytes"
