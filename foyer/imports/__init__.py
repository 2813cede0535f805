"""Bank file detection and parsing: CSV, OFX/QFX and QIF to rows in integer cents.

Pure: no database, no HTTP. `detect` a file, `parse` it (lazily), fix the detection with
`with_overrides`, and tell new rows from duplicates with `dedupe_key`/`mark_duplicates`.
"""

from foyer.imports.dedupe import DedupeKey, dedupe_key, mark_duplicates
from foyer.imports.detect import detect, parse, with_overrides
from foyer.imports.model import (
    ColumnMapping,
    Detection,
    Dialect,
    LineError,
    MappingError,
    NotABankExport,
    ParsedRow,
    ParseItem,
    SkippedLine,
    header_signature,
)

__all__ = [
    "ColumnMapping",
    "DedupeKey",
    "Detection",
    "Dialect",
    "LineError",
    "MappingError",
    "NotABankExport",
    "ParseItem",
    "ParsedRow",
    "SkippedLine",
    "dedupe_key",
    "detect",
    "header_signature",
    "mark_duplicates",
    "parse",
    "with_overrides",
]
