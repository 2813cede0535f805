"""The dashboard's read paths, behind one seam (`DashboardReader`), chosen by FOYER_READER.

Routes only ever talk to a `DashboardReader`; the reference reader recomputes from raw
rows, and the optimized reader (or a caching wrapper) replaces it without touching a route.
"""

from __future__ import annotations

from foyer.read.optimized import OptimizedReader
from foyer.read.protocol import DashboardReader
from foyer.read.reference import ReferenceReader
from foyer.settings import Settings

__all__ = ["DashboardReader", "OptimizedReader", "ReferenceReader", "make_reader"]


def make_reader(settings: Settings) -> DashboardReader:
    """The reader FOYER_READER names."""
    if settings.reader == "optimized":
        return OptimizedReader()
    return ReferenceReader()
