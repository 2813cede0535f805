"""A real HTTP server for the browser: uvicorn in a background thread, serving the app of
the test that runs.

One server (one thread, one event loop, one port) lives for the whole run; each test hands
it its own app with `serving(app)`, which runs that app's lifespan on the server's loop —
as `foyer serve` would start it — and shuts it down after the test. Starting uvicorn per
test would cost ~0.3 s each (its shutdown alone waits on two 0.1 s ticks); swapping the
app costs what `create_app` costs (~40 ms).
"""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Coroutine, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

import uvicorn
from fastapi import FastAPI
from starlette.types import Receive, Scope, Send

T = TypeVar("T")

#: What the server answers between tests (no app being served).
IDLE_BODY = b"no foyer app is being served (tests/web/live.py: one app per test)"


class LiveServer:
    def __init__(self) -> None:
        # The socket is bound here and handed to uvicorn: the port is known before the
        # thread starts, and nothing else can take it between choosing and binding.
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._socket.bind(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self._socket.getsockname()[1]}"
        self._app: FastAPI | None = None
        config = uvicorn.Config(
            self._asgi,
            interface="asgi3",
            lifespan="off",  # each served app's lifespan is run by `serving`
            ws="none",
            log_config=None,  # leave the test process's logging alone
            log_level="warning",
            access_log=False,
            timeout_graceful_shutdown=5,
        )
        self._server = uvicorn.Server(config)
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._run, name="foyer-live-server", daemon=True)

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        self._loop.run_until_complete(self._server.serve(sockets=[self._socket]))

    def start(self, timeout: float = 10.0) -> None:
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not self._server.started:
            if not self._thread.is_alive():
                raise RuntimeError("the live server's thread ended before it started serving")
            if time.monotonic() > deadline:
                raise TimeoutError(f"the live server did not start within {timeout:.0f} s")
            time.sleep(0.005)

    def stop(self, timeout: float = 10.0) -> None:
        """Stop serving and end the thread; raises if it does not end in time."""
        self._server.should_exit = True
        self._thread.join(timeout)
        if self._thread.is_alive():
            raise RuntimeError(f"the live server did not stop within {timeout:.0f} s")
        self._loop.close()

    @property
    def running(self) -> bool:
        return self._thread.is_alive()

    @contextmanager
    def serving(self, app: FastAPI) -> Iterator[str]:
        """Serve `app` (its lifespan started first, shut down after); yields the base URL."""
        if self._app is not None:
            raise RuntimeError("the live server already serves an app")
        lifespan = app.router.lifespan_context(app)
        self._call(lifespan.__aenter__())
        self._app = app
        try:
            yield self.url
        finally:
            self._app = None
            self._call(lifespan.__aexit__(None, None, None))

    def _call(self, coroutine: Coroutine[Any, Any, T], timeout: float = 30.0) -> T:
        """Run `coroutine` on the server's loop (where the app's requests run) and wait."""
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(timeout)

    async def _asgi(self, scope: Scope, receive: Receive, send: Send) -> None:
        app = self._app
        if app is not None:
            await app(scope, receive, send)
            return
        if scope["type"] != "http":
            return
        headers = [(b"content-type", b"text/plain; charset=utf-8")]
        await send({"type": "http.response.start", "status": 503, "headers": headers})
        await send({"type": "http.response.body", "body": IDLE_BODY})
