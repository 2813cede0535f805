"""`FrontMiddleware` does in one layer what asgi-correlation-id's middleware and the
security headers did in two: differential, against that library's own middleware."""

from __future__ import annotations

import asyncio
import logging
import uuid
from typing import Any

import pytest
from asgi_correlation_id import CorrelationIdMiddleware, correlation_id
from starlette.types import Message, Receive, Scope, Send

from foyer.api import middleware
from foyer.api.headers import with_security_headers
from foyer.api.middleware import FrontMiddleware, new_correlation_id
from foyer.observability.context import RequestInfo, current_request
from foyer.observability.requests import RequestObserver

GENERATED = "0123456789abcdef0123456789abcdef"
VALID = "5f6c0a3e2b9d4c6f8e1a7b3c9d2e4f60"
ANSWER = [(b"content-type", b"application/json"), (b"content-security-policy", b"img-src x")]


class Recorder:
    """An app that answers 200 and keeps what it saw: its request headers, the id."""

    def __init__(self) -> None:
        self.seen: list[Any] = []

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        self.seen.append((list(scope["headers"]), correlation_id.get()))
        await send({"type": "http.response.start", "status": 200, "headers": list(ANSWER)})
        await send({"type": "http.response.body", "body": b"{}"})


def _with_security(app: Any) -> Any:
    async def wrapped(scope: Scope, receive: Receive, send: Send) -> None:
        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = with_security_headers(message.get("headers", ()))
            await send(message)

        await app(scope, receive, send_with_headers)

    return wrapped


def _call(app: Any, headers: list[tuple[bytes, bytes]]) -> list[Message]:
    sent: list[Message] = []

    async def receive() -> Message:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Message) -> None:
        sent.append(message)

    scope = {"type": "http", "method": "GET", "path": "/x", "headers": headers}
    asyncio.run(app(scope, receive, send))
    return sent


@pytest.mark.parametrize(
    "given",
    [
        [],
        [(b"x-correlation-id", VALID.encode())],
        [(b"x-correlation-id", b"not-a-uuid")],
        [(b"x-correlation-id", b"")],
        [(b"x-correlation-id", b"not-a-uuid"), (b"accept", b"*/*"), (b"x-correlation-id", b"2")],
        [(b"x-correlation-id", VALID.encode()), (b"x-correlation-id", b"other")],
    ],
)
def test_front_answers_as_the_correlation_and_security_layers_did(
    given: list[tuple[bytes, bytes]],
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.setattr(middleware, "new_correlation_id", lambda: GENERATED)
    headers = [(b"host", b"foyer"), *given]
    before, after = Recorder(), Recorder()
    library = CorrelationIdMiddleware(
        _with_security(before), header_name="X-Correlation-ID", generator=lambda: GENERATED
    )
    with caplog.at_level(logging.WARNING, logger="asgi_correlation_id"):
        expected = _call(library, list(headers))
        warned = [r.getMessage() for r in caplog.records]
        caplog.clear()
        got = _call(FrontMiddleware(after), list(headers))
        assert [r.getMessage() for r in caplog.records] == warned
    assert got == expected  # the response: security headers, then the correlation id
    assert after.seen == before.seen  # what the app saw: request headers and the id


def test_new_correlation_ids_are_uuid4_hex_and_never_repeat() -> None:
    ids = [new_correlation_id() for _ in range(2000)]  # several batches
    assert len(set(ids)) == len(ids)
    for value in ids[::97]:
        parsed = uuid.UUID(value)
        assert (parsed.hex, parsed.version, parsed.variant) == (value, 4, uuid.RFC_4122)


class Failing:
    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        raise RuntimeError("boom")


def test_the_observer_records_an_escaping_exception_as_a_500() -> None:
    recorded: list[tuple[RequestInfo, int]] = []

    class Observer(RequestObserver):
        def __init__(self) -> None:
            pass

        def open(self, scope: Scope) -> RequestInfo:
            return RequestInfo(scope["method"], scope["path"])

        def record(self, scope: Scope, info: RequestInfo, status: int, elapsed: float) -> None:
            assert current_request.get() is None  # reset before recording
            recorded.append((info, status))

    with pytest.raises(RuntimeError, match="boom"):
        _call(FrontMiddleware(Failing(), observer=Observer()), [])
    [(info, status)] = recorded
    assert (info.path, status) == ("/x", 500)
