"""The words of the settings pages (fixed lines, provisions, configuration), en and fr."""

from __future__ import annotations

EN: dict[str, str] = {}

FR: dict[str, str] = {}
