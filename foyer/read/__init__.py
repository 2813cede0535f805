"""The dashboard's read paths, behind one seam (`DashboardReader`), chosen by FOYER_ENGINE.

Routes only ever talk to a `DashboardReader`; the reference engine recomputes from raw
rows, and faster engines (or a caching wrapper) replace it without touching a route.
"""

from __future__ import annotations

import logging

from foyer.read.protocol import DashboardReader
from foyer.read.reference import ReferenceReader
from foyer.settings import Settings

log = logging.getLogger("foyer")

__all__ = ["DashboardReader", "ReferenceReader", "make_reader"]


def make_reader(settings: Settings) -> DashboardReader:
    """The reader FOYER_ENGINE names."""
    if settings.engine == "optimized":
        # The aggregate-backed engine is the next milestone; until it lands, the
        # reference engine answers and says so once at start-up.
        log.warning("FOYER_ENGINE=optimized is not built yet; serving the reference engine")
    return ReferenceReader()
