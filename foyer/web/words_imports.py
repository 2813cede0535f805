"""The words of the imports and rules pages, in English and French (see foyer.web.messages)."""

from __future__ import annotations

EN: dict[str, str] = {}

FR: dict[str, str] = {}
