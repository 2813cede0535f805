"""A webhook receiver the alert tests start: stdlib `http.server` on port 0 in a thread.

It answers each POST with the next status of a script (then `then`, 200 by default), can
hold requests until released (a receiver that never answers), and keeps what it got.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class Receiver:
    def __init__(self) -> None:
        self.statuses: list[int] = []  # answered in order, then `then`
        self.then = 200
        self.bodies: list[Any] = []
        self.headers: list[dict[str, str]] = []
        self.arrived = threading.Event()  # set at each request
        self.release = threading.Event()  # requests wait for it when `hold` is set
        self.hold = False
        self.url = ""
        self._lock = threading.Lock()

    def answer(self, body: bytes, headers: dict[str, str]) -> int:
        with self._lock:
            self.bodies.append(json.loads(body))
            self.headers.append(headers)
            status = self.statuses.pop(0) if self.statuses else self.then
        self.arrived.set()
        if self.hold:
            self.release.wait(10)
        return status


@contextmanager
def receiver() -> Iterator[Receiver]:
    got = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            status = got.answer(body, dict(self.headers))
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:  # keep the test output clean
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    # A short poll: shutdown() waits for the loop to notice (0.5 s by default).
    thread = threading.Thread(target=server.serve_forever, args=(0.01,), daemon=True)
    thread.start()
    got.url = f"http://127.0.0.1:{server.server_address[1]}/hook"
    try:
        yield got
    finally:
        got.release.set()
        server.shutdown()
        server.server_close()
        thread.join(5)
