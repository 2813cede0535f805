"""The benchmark ceiling: the same bytes a real route returned, served from memory.

Mounted only when FOYER_BENCH_CEILING_DIR is set (bench servers). The harness captures
each scenario request's real response body into that folder; this route then answers
with those bytes and does no other work, so "foyer / ceiling" measures how close a real
route is to the framework's own limit in the same server, not a guess.
"""

from __future__ import annotations

import re
from pathlib import Path

from fastapi import APIRouter, Request, Response

from foyer.api.errors import not_found

router = APIRouter(include_in_schema=False)
_KEY = re.compile(r"^[a-z0-9_-]{1,100}$")


class CeilingStore:
    """Captured bodies, each read from disk once and then kept in memory."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.bodies: dict[str, bytes] = {}

    def get(self, key: str) -> bytes | None:
        body = self.bodies.get(key)
        if body is None and _KEY.match(key):
            path = self.folder / f"{key}.json"
            if path.is_file():
                body = self.bodies[key] = path.read_bytes()
        return body


@router.get("/bench/ceiling/{key}")
async def ceiling(key: str, request: Request) -> Response:
    body = request.app.state.ceiling.get(key)
    if body is None:
        raise not_found("ceiling body")
    return Response(content=body, media_type="application/json")
