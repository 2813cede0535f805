"""Operator-only memory profiling: tracemalloc snapshots, each compared with the last.

tracemalloc costs CPU and memory while it traces (every allocation is recorded), so it
is off until an operator starts it (`POST /api/v1/monitoring/memory/start`) and off again
when they stop it. The RSS trend, always on and free, lives in the monitor's window.
"""

from __future__ import annotations

import threading
import tracemalloc
from typing import Any


class NotTracingError(RuntimeError):
    """A snapshot was asked for while tracemalloc is not tracing."""


class MemoryProfiler:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._previous: tracemalloc.Snapshot | None = None
        self._started_here = False

    @property
    def tracing(self) -> bool:
        return tracemalloc.is_tracing()

    def start(self, frames: int = 5) -> dict[str, Any]:
        with self._lock:
            if not tracemalloc.is_tracing():
                tracemalloc.start(frames)
                self._started_here = True
            self._previous = _snapshot()
        return self.status()

    def diff(self, limit: int = 20) -> dict[str, Any]:
        """The allocation sites that grew (or shrank) most since the previous snapshot."""
        with self._lock:
            if not tracemalloc.is_tracing() or self._previous is None:
                raise NotTracingError("memory tracing is off: POST .../memory/start first")
            current = _snapshot()
            stats = current.compare_to(self._previous, "lineno")
            self._previous = current
        top = [
            {
                "where": str(stat.traceback[0]) if stat.traceback else "?",
                "size_bytes": stat.size,
                "size_diff_bytes": stat.size_diff,
                "count": stat.count,
                "count_diff": stat.count_diff,
            }
            for stat in stats[:limit]
        ]
        return {**self.status(), "top": top}

    def stop(self) -> None:
        with self._lock:
            self._previous = None
            if self._started_here and tracemalloc.is_tracing():
                tracemalloc.stop()
            self._started_here = False

    def status(self) -> dict[str, Any]:
        current, peak = tracemalloc.get_traced_memory()
        return {"tracing": tracemalloc.is_tracing(), "traced_bytes": current, "peak_bytes": peak}


def _snapshot() -> tracemalloc.Snapshot:
    # tracemalloc's own bookkeeping is noise in a diff of the app's memory.
    return tracemalloc.take_snapshot().filter_traces(
        (tracemalloc.Filter(False, tracemalloc.__file__),)
    )
