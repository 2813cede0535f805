"""The CI smoke: a short side-by-side run whose ratios must not regress (≤ 60 s).

Two servers (reference and optimized readers) on the 10k dataset, async Python client (no
wrk needed): summary against the ceiling route, and 36-month trends optimized against
reference (the aggregates' own guard: it collapses if trends ever read raw rows again).
It fails when a throughput ratio falls below its floor in thresholds.json. Ratios, never
absolute times: a slower machine slows both sides alike.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from rich.console import Console

from foyer.bench.report import aggregate, ratios
from foyer.bench.runner import Plan, run_plan
from foyer.bench.server import ServerConfig

THRESHOLDS = Path(__file__).with_name("thresholds.json")
SMOKE_PLAN = Plan(
    sizes=["10k"],
    configs=[
        ServerConfig("reference", reader="reference"),
        ServerConfig("optimized", reader="optimized"),
    ],
    scenarios=["summary", "trends"],
    concurrency=[1, 8],
    seconds=1.5,
    rounds=2,
    generator="python",
)


def run_smoke(console: Console) -> tuple[bool, list[dict[str, Any]]]:
    """(passed, ratio rows). Each ratio row gets its floor and verdict."""
    floors = json.loads(THRESHOLDS.read_text())["throughput_ratio_min"]
    data = run_plan(SMOKE_PLAN, console)
    rows = []
    passed = True
    for row in ratios(aggregate(data["results"])):
        floor = floors.get(f"{row['scenario']}/{row['pair']}/c={row['concurrency']}")
        if floor is None:
            continue
        row["floor"] = floor
        row["ok"] = row["throughput_ratio"] >= floor
        passed &= row["ok"]
        rows.append(row)
    if not rows:
        raise RuntimeError("the smoke measured no ratio that thresholds.json names")
    return passed, rows
