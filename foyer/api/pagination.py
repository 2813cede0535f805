"""Opaque, signed keyset cursors for paginated listings.

A cursor carries the sort order and the last row's (sort value, id); it is signed with
the instance secret so a tampered or foreign cursor is a clear 400, never a wrong page.
Written by hand: it is a dozen lines around `hmac`, and no library fits keyset paging.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from typing import Any

import orjson
from sqlalchemy import Connection

from foyer.api.errors import ApiError
from foyer.services import transactions as service
from foyer.services.transactions import TransactionFilter


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
            raise ApiError(400, "invalid cursor", code="invalid_cursor") from exc
        if cursor_sort != sort or not isinstance(last_id, int):
            raise ApiError(400, "cursor does not belong to this sort order", code="invalid_cursor")
        return value, last_id


def keyset_page(
    conn: Connection,
    cursors: CursorCodec,
    *,
    household_id: int,
    filters: TransactionFilter,
    sort: str,
    limit: int,
    cursor: str | None,
    wanted: list[str] | None = None,
) -> dict[str, Any]:
    """One keyset page as SPEC §5 describes it: items (projected to `wanted` fields when
    given) and the signed cursor of the next page. Listings and the drill-down share it."""
    after = cursors.decode(cursor, sort) if cursor else None
    page = service.list_transactions(
        conn,
        household_id=household_id,
        filters=filters,
        sort=sort,
        limit=limit,
        after=after,
        with_tags=wanted is None or "tags" in wanted,
    )
    items = page.rows if wanted is None else [{k: r[k] for k in wanted} for r in page.rows]
    next_cursor = None if page.last_key is None else cursors.encode(sort, *page.last_key)
    return {"items": items, "next_cursor": next_cursor}
