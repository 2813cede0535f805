"""What the access line costs apart from the rest of monitoring (docs/PERFORMANCE.md).

Three servers side by side on the warm summary, differing only in FOYER_MONITORING and
FOYER_ACCESS_LOG, through `foyer bench`'s own runner (the CLI's --monitoring has no access
log switch). Run from the repository: `.venv/bin/python docs/bench/operations-access/run.py`.
"""

from __future__ import annotations

import sys
from pathlib import Path

import orjson
from rich.console import Console

from foyer.bench.report import aggregate, markdown, ratios
from foyer.bench.runner import Plan, run_plan
from foyer.bench.server import ServerConfig

OUT = Path(sys.argv[1] if len(sys.argv) > 1 else "bench-results/operations-access")


def config(name: str, **env: str) -> ServerConfig:
    base = {"FOYER_CACHE_WARM_RECENT": "32", "FOYER_MONITORING": "on", "FOYER_STAMP_FEED": "on"}
    return ServerConfig(name, reader="optimized", cache="on", extra_env={**base, **env})


def main() -> None:
    plan = Plan(
        sizes=["10k"],
        db="sqlite",
        configs=[
            config("optimized"),
            config("optimized+noaccess", FOYER_ACCESS_LOG="off"),
            config("optimized+nomon", FOYER_MONITORING="off"),
        ],
        scenarios=["summary"],
        concurrency=[10, 50],
        seconds=6,
        rounds=4,
        generator="wrk",
        bare=False,
    )
    data = run_plan(plan, Console())
    cells = aggregate(data["results"])
    data["ratios"] = ratios(cells)
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "results.json").write_bytes(orjson.dumps(data))
    (OUT / "report.md").write_text(markdown(data, cells, " ".join(sys.argv)))


if __name__ == "__main__":
    main()
