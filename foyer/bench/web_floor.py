"""The browser's floor for the web bench: the dashboard's very bytes served from memory.

As the API bench's ceiling route replays a view's bytes with no work, this serves the
dashboard's HTML, CSS and scripts as the server sent them (gzipped, the same cache
headers: `no-cache` + ETag for the page, a year's `immutable` for versioned assets) from a
thread of this process, doing nothing else. The first contentful paint of the floor is what
Chromium itself needs on this machine to fetch, parse, style and paint those bytes; the
dashboard's own figure minus the floor's is foyer's share.
"""

from __future__ import annotations

import gzip
import hashlib
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit


@dataclass(frozen=True, slots=True)
class Captured:
    """One response to replay: its path (with query), type, body (uncompressed) and
    Cache-Control."""

    path: str
    content_type: str
    body: bytes
    cache_control: str


class WebFloor:
    """A loopback HTTP/1.1 server answering each captured path with its bytes (gzipped
    when the browser takes gzip; a 304 when it holds the ETag), anything else 404."""

    def __init__(self, responses: list[Captured]) -> None:
        table = {
            item.path: (
                item,
                gzip.compress(item.body, compresslevel=5),
                '"' + hashlib.sha256(item.body).hexdigest()[:16] + '"',
            )
            for item in responses
        }

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                found = table.get(self.path) or table.get(urlsplit(self.path).path)
                if found is None:
                    self.send_response(404)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                item, packed, etag = found
                if self.headers.get("If-None-Match") == etag:
                    self.send_response(304)
                    self.send_header("ETag", etag)
                    self.send_header("Cache-Control", item.cache_control)
                    self.end_headers()
                    return
                body = item.body
                self.send_response(200)
                self.send_header("Content-Type", item.content_type)
                self.send_header("Cache-Control", item.cache_control)
                self.send_header("ETag", etag)
                if "gzip" in self.headers.get("Accept-Encoding", ""):
                    body = packed
                    self.send_header("Content-Encoding", "gzip")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:
                return

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> WebFloor:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()
