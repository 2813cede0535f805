"""1 API worker process against 2, side by side in one run (`foyer scale workers`).

`foyer bench --workers N` gives every server the same N, so comparing N = 1 and 2 took two
runs, minutes apart on a machine whose load drifts. Here both run at once on the same
working copy (same data, same Redis namespace), `w1` with one uvicorn worker and `w2`
with two, and the runner (foyer/bench/runner.py) visits them in turn in every cell, the
order reversing each round. An idle server costs nothing, so each is measured alone.
The bare and ceiling targets are left out: this compares foyer with itself.
"""

from __future__ import annotations

from typing import Any

from rich.console import Console

from foyer.bench.report import aggregate
from foyer.bench.runner import Plan, run_plan
from foyer.bench.server import ServerConfig

#: Issue 15's goals for 2 processes against 1, by scenario.
GOALS = {"summary": 1.8, "mixed": 1.6}


def worker_plan(
    *,
    size: str,
    redis_url: str | None,
    scenarios: list[str],
    concurrency: list[int],
    seconds: float,
    rounds: int,
    counts: tuple[int, ...] = (1, 2),
) -> Plan:
    """A PostgreSQL plan with one server per worker count, the cache on (optimized reader)."""
    configs = [
        ServerConfig(f"w{n}", reader="optimized", cache="on", workers=n, redis_url=redis_url)
        for n in counts
    ]
    return Plan(
        sizes=[size],
        db="postgresql",
        configs=configs,
        scenarios=scenarios,
        concurrency=concurrency,
        seconds=seconds,
        rounds=rounds,
        ceiling=False,
    )


def run_workers(plan: Plan, console: Console) -> dict[str, Any]:
    data = run_plan(plan, console)
    data["scaling"] = scaling(data["results"])
    return data


def scaling(results: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per cell, each server against `w1`: throughput, p50, p95 and CPU ratios."""
    cells = aggregate(results)
    out = []
    for (size, scenario, conc, target), cell in sorted(cells.items()):
        one = cells.get((size, scenario, conc, "w1"))
        if target == "w1" or one is None:
            continue
        out.append(
            {
                "scenario": scenario,
                "concurrency": conc,
                "pair": f"{target} / w1",
                "w1_rps": one["throughput_rps"],
                "rps": cell["throughput_rps"],
                "throughput_ratio": cell["throughput_rps"] / one["throughput_rps"],
                "p50_ratio": cell["p50"] / one["p50"] if one["p50"] else None,
                "p95_ratio": cell["p95"] / one["p95"] if one["p95"] else None,
                "w1_cpu": one["cpu_percent"],
                "cpu": cell["cpu_percent"],
                "errors": int(one["errors"] + cell["errors"]),
                "goal": GOALS.get(scenario),
            }
        )
    return out


def markdown(data: dict[str, Any], command: str) -> str:
    lines = [
        "# API worker processes: 2 against 1, side by side",
        "",
        f"`{command}`",
        "",
        "| scenario | clients | 1 worker req/s | 2 workers req/s | **ratio** | goal "
        "| p50 ratio | p95 ratio | server CPU % 1 / 2 | errors |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for row in data["scaling"]:
        goal = f"≥ {row['goal']}" if row["goal"] else "–"
        p50 = "–" if row["p50_ratio"] is None else f"{row['p50_ratio']:.2f}"
        p95 = "–" if row["p95_ratio"] is None else f"{row['p95_ratio']:.2f}"
        lines.append(
            f"| {row['scenario']} | {row['concurrency']} | {row['w1_rps']:,.0f} "
            f"| {row['rps']:,.0f} | **{row['throughput_ratio']:.2f}** | {goal} | {p50} | {p95} "
            f"| {row['w1_cpu']:.0f} / {row['cpu']:.0f} | {row['errors']} |"
        )
    return "\n".join(lines) + "\n"
