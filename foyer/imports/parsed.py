"""A whole file's rows and line errors, remembered for the commit that follows its preview.

Parsing is a pure function of the file's bytes and its detection, and a bank import
parses its file twice: for the preview (counts, duplicates) and again when the commit job
runs, seconds later, usually in the same process (the API's embedded job consumer). Parsing
costs about a tenth of what inserting the rows does (docs/PERFORMANCE.md, "Imports"), so
the last file parsed is kept, keyed by a digest of its bytes and the detection used, and
a commit of the same bytes read the same way takes its rows from here. Anything else —
another file, a fixed mapping, another process (`foyer worker`), a commit more than
`KEEP_SECONDS` later — parses again, with the same result. At most one file's rows are
held (~50 MiB for 100,000 rows), and not past `KEEP_SECONDS` in an idle process.
"""

from __future__ import annotations

import hashlib
import io
import threading

from foyer.imports.detect import parse
from foyer.imports.model import Detection, LineError, ParsedRow

_Key = tuple[bytes, Detection]
_Parsed = tuple[tuple[ParsedRow, ...], tuple[LineError, ...]]


#: How long a parse is kept for its commit.
KEEP_SECONDS = 600.0


class _LastParse:
    """The most recent parse, shared by the threads of a process, dropped after
    `KEEP_SECONDS` (a timer, so an idle process lets go of it too)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._key: _Key | None = None
        self._value: _Parsed = ((), ())
        self._timer: threading.Timer | None = None

    def get(self, key: _Key) -> _Parsed | None:
        with self._lock:
            return self._value if key == self._key else None

    def put(self, key: _Key, value: _Parsed) -> None:
        timer = threading.Timer(KEEP_SECONDS, self._expire, (key,))
        timer.daemon = True
        with self._lock:
            if self._timer is not None:
                self._timer.cancel()
            self._key, self._value, self._timer = key, value, timer
        timer.start()

    def _expire(self, key: _Key) -> None:
        with self._lock:
            if self._key == key:
                self._key, self._value, self._timer = None, ((), ()), None

    def clear(self) -> None:
        with self._lock:
            if self._timer is not None:
                self._timer.cancel()
            self._key, self._value, self._timer = None, ((), ()), None


_LAST = _LastParse()


def rows_and_errors(content: bytes, detection: Detection) -> _Parsed:
    """The file's rows and line errors in file order (skipped lines left out)."""
    key = (hashlib.blake2b(content, digest_size=20).digest(), detection)
    found = _LAST.get(key)
    if found is not None:
        return found
    # Let go of the previous file's rows before reading this one: two files' rows at once
    # would double the memory an upload needs.
    _LAST.clear()
    rows: list[ParsedRow] = []
    errors: list[LineError] = []
    keep_row, keep_error = rows.append, errors.append
    for item in parse(io.BytesIO(content), detection):
        if type(item) is ParsedRow:
            keep_row(item)
        elif type(item) is LineError:
            keep_error(item)
    parsed = (tuple(rows), tuple(errors))
    _LAST.put(key, parsed)
    return parsed
