"""The many-household measurement without HTTP: the database's share, alternated call by call.

Through servers, a cell of one dataset and the next cell of the other are seconds apart,
and on a shared 2-core machine the load changes in between. Here the bench process
calls the optimized reader itself on both working copies, alternating at every call
(one, many, many, one, …), so both meet the same moments of the machine: what differs is
only the data — one household alone, or one of 10,000 in tables of 5M rows (index depth,
pages not yet in shared buffers). Each read is made `passes` times; the first pass of
the many households reads pages no earlier read brought in.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Engine

from foyer.bench.freshness import VIEWS, expected_of
from foyer.db.engine import read_connection
from foyer.read import OptimizedReader

Visit = tuple[int, str]  # household, month

_reader = OptimizedReader()


def direct_reads(
    engines: Mapping[str, Engine], visits: Mapping[str, Sequence[Visit]], passes: int = 3
) -> list[dict[str, Any]]:
    """Per view, side and pass: calls and p50/p95 ms of the optimized reader's reads of
    `visits` (the same length on every side), alternating sides call by call."""
    names = list(engines)
    times: dict[tuple[str, str, int], list[float]] = {}
    for number in range(passes):
        for view in VIEWS:
            for i in range(len(visits[names[0]])):
                for name in names if (i + number) % 2 == 0 else names[::-1]:
                    household_id, month = visits[name][i]
                    with read_connection(engines[name]) as conn:
                        started = time.perf_counter()
                        expected_of(_reader, conn, view, household_id, month)
                        elapsed = (time.perf_counter() - started) * 1000
                    times.setdefault((view, name, number), []).append(elapsed)
    out = []
    for (view, name, number), values in sorted(times.items()):
        ordered = sorted(values)
        out.append(
            {
                "view": view,
                "side": name,
                "pass": number,
                "calls": len(ordered),
                "p50": statistics.median(ordered),
                "p95": ordered[min(len(ordered) - 1, round(0.95 * len(ordered)) - 1)],
            }
        )
    return out
