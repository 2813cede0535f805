"""The dashboard's read paths, behind one seam (`DashboardReader`).

Routes only ever talk to a `DashboardReader`; the reference reader recomputes from raw
rows, the optimized reader reads the aggregates. The app's reader (`make_reader`) picks
one of them per household — the `engine` feature flag, whose default FOYER_READER sets —
and answers with the reference reader when the optimized one fails (`read/fallback.py`).
"""

from __future__ import annotations

from collections.abc import Callable

from foyer.read.fallback import PASSTHROUGH, FallbackReader
from foyer.read.optimized import OptimizedReader
from foyer.read.protocol import DashboardReader
from foyer.read.reference import ReferenceReader

__all__ = [
    "PASSTHROUGH",
    "DashboardReader",
    "FallbackReader",
    "OptimizedReader",
    "ReferenceReader",
    "make_reader",
]


def make_reader(
    *,
    use_optimized: Callable[[int], bool],
    on_fallback: Callable[[str], None],
    passthrough: tuple[type[Exception], ...] = PASSTHROUGH,
) -> FallbackReader:
    """The app's reader: optimized for the households `use_optimized` names, reference for
    the others and for any optimized read that fails (`on_fallback(view)` hears of it)."""
    return FallbackReader(
        OptimizedReader(),
        ReferenceReader(),
        use_optimized=use_optimized,
        on_fallback=on_fallback,
        passthrough=passthrough,
    )
