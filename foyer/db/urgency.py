"""SQLite's writer gets the interpreter's attention: a short GIL switch interval.

A SQLite write holds the process's writer lock (`Database.unit_of_work`) from BEGIN to
COMMIT. Each of its statements releases the GIL inside the driver, and must take it back
before the next: when the event loop thread is busy answering cache hits, CPython lets
it keep the GIL for up to the switch interval (5 ms by default) before the waiting thread
gets a turn. So under load a write of ~0.3 ms of work held the lock for milliseconds, and
every other write queued behind it: 69 % of a write's time in the mixed session was spent
waiting for the writer lock (docs/PERFORMANCE.md, "Writes under load").

While a SQLite write transaction is open in this process, the switch interval is
WRITE_SWITCH_SECONDS; when it ends it is put back. Measured side by side
(docs/PERFORMANCE.md): the mixed session's p95 0.79–0.92× on SQLite in 8 cells of 9 (1.20
in one run's 50-client cell, on a loaded machine). Not on PostgreSQL,
where no process lock serialises writers and some write is nearly always open: there
the short interval only added switches (CPU per request 1.1–1.2×, throughput 0.85–1.0×).
Lowering it for the whole process (0.5 or 1 ms) was measured before and not kept either:
hits then pay for the switches all the time. No library does this: it is a process-wide
interpreter setting, changed under a counter.
"""

from __future__ import annotations

import sys
import threading
from types import TracebackType

#: The switch interval while a write transaction is open (measured: 0.1, 0.25, 1 and 5 ms
#: side by side; 0.25 ms gave the mixed session's best p95).
WRITE_SWITCH_SECONDS = 0.00025


class _OpenWrites:
    """A context manager around each SQLite write transaction: the first to open (several
    databases of one process: tests, the bench) shortens the switch interval, the last to
    close puts back what it found."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._open = 0
        self._saved = sys.getswitchinterval()

    def __enter__(self) -> None:
        with self._lock:
            if self._open == 0:
                self._saved = sys.getswitchinterval()
                sys.setswitchinterval(min(self._saved, WRITE_SWITCH_SECONDS))
            self._open += 1

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        with self._lock:
            self._open -= 1
            if self._open == 0:
                sys.setswitchinterval(self._saved)

    @property
    def open(self) -> int:
        return self._open


#: Process-wide, as the interval is: every `Database` of the process counts here.
open_writes = _OpenWrites()
