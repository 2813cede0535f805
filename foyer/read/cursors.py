"""Opaque, signed keyset cursors for paginated listings.

A cursor carries the sort order and the last row's (sort value, id); it is signed with
the instance secret so a tampered or foreign cursor is a clear 400, never a wrong page.
Written by hand: it is a dozen lines around `hmac`, and no library fits keyset paging.

It lives below the HTTP layer because cached drill-down pages are computed there too;
a bad cursor raises `InvalidCursorError`, which foyer.api.errors answers as a 400.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from typing import Any

import orjson


class InvalidCursorError(ValueError):
    """A cursor that was tampered with, is not ours, or belongs to another sort order."""


class CursorCodec:
    def __init__(self, secret: str) -> None:
        self._key = hashlib.sha256(b"cursor:" + secret.encode()).digest()

    def _sign(self, payload: bytes) -> bytes:
        return hmac.new(self._key, payload, hashlib.sha256).digest()[:16]

    def encode(self, sort: str, value: Any, last_id: int) -> str:
        payload = orjson.dumps([sort, value, last_id])
        return base64.urlsafe_b64encode(payload + self._sign(payload)).decode().rstrip("=")

    def decode(self, cursor: str, sort: str) -> tuple[Any, int]:
        """(sort value, id) of the row the previous page ended on."""
        try:
            raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
            payload, signature = raw[:-16], raw[-16:]
            if not hmac.compare_digest(signature, self._sign(payload)):
                raise ValueError("bad signature")
            cursor_sort, value, last_id = orjson.loads(payload)
        except (ValueError, TypeError, orjson.JSONDecodeError) as exc:
            raise InvalidCursorError("invalid cursor") from exc
        if cursor_sort != sort or not isinstance(last_id, int):
            raise InvalidCursorError("cursor does not belong to this sort order")
        return value, last_id
