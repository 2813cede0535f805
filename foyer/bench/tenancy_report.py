"""The many-household measurement's figures as medians, ratios and a markdown report.

Ratios are `many / one`: a household among 10,000 against the same reads of a household
alone. The goal (issue 15) is a latency ratio ≤ 1.2 with 0 errors and 0 stale reads.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Iterator
from typing import Any

GOAL = 1.2

Key = tuple[str, str, int]  # phase, view, concurrency


def medians(cells: list[dict[str, Any]]) -> dict[tuple[str, str, int, str], dict[str, float]]:
    """Median over rounds of each (phase, view, concurrency, side)'s figures."""
    groups: dict[tuple[str, str, int, str], list[dict[str, Any]]] = defaultdict(list)
    for row in cells:
        groups[(row["phase"], row["view"], row["concurrency"], row["side"])].append(row)
    out = {}
    for key, rows in groups.items():
        figures = {
            name: statistics.median(r[name] for r in rows)
            for name in ("throughput_rps", "p50", "p95", "p99", "cpu_percent")
        }
        rates = [r["hit_rate"] for r in rows if r["hit_rate"] is not None]
        figures["hit_rate"] = statistics.median(rates) if rates else float("nan")
        figures["errors"] = sum(r["errors"] for r in rows)
        figures["requests"] = sum(r["requests"] for r in rows)
        out[key] = figures
    return out


def paired(
    by_side: dict[Any, dict[str, Any]],
) -> Iterator[tuple[tuple[Any, ...], dict[str, Any], dict[str, Any]]]:
    """(key without its side, the "one" figures, the "many" figures) for every key measured
    on both sides, in key order; `by_side` is keyed by tuples ending in the side."""
    for key, many in sorted(by_side.items()):
        one = by_side.get((*key[:-1], "one"))
        if key[-1] == "many" and one is not None:
            yield key[:-1], one, many


def _first_reads(data: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    return {(r["view"], r["side"]): r for r in data["first_reads"]}


def ratios(data: dict[str, Any]) -> list[dict[str, Any]]:
    """many / one for every cell and every first-read view."""
    cells = medians(data["cells"])
    out = []
    for (phase, view, conc), one, many in paired(cells):
        out.append(
            {
                "phase": phase,
                "view": view,
                "concurrency": conc,
                "p50_ratio": many["p50"] / one["p50"],
                "p95_ratio": many["p95"] / one["p95"],
                "throughput_ratio": many["throughput_rps"] / one["throughput_rps"],
            }
        )
    for row in data.get("direct", []):
        alone = _direct(data, row["view"], "one", row["pass"])
        if row["side"] != "many" or alone is None:
            continue
        out.append(
            {
                "phase": f"direct, pass {row['pass'] + 1}",
                "view": row["view"],
                "concurrency": 1,
                "p50_ratio": row["p50"] / alone["p50"],
                "p95_ratio": row["p95"] / alone["p95"],
                "throughput_ratio": None,
            }
        )
    for (view,), one, many in paired(_first_reads(data)):
        out.append(
            {
                "phase": "first read",
                "view": view,
                "concurrency": 1,
                "p50_ratio": many["p50"] / one["p50"],
                "p95_ratio": many["p95"] / one["p95"],
                "throughput_ratio": None,
            }
        )
    return out


def _direct(data: dict[str, Any], view: str, side: str, number: int) -> dict[str, Any] | None:
    for row in data.get("direct", []):
        if (row["view"], row["side"], row["pass"]) == (view, side, number):
            return dict(row)
    return None


def errors(data: dict[str, Any]) -> int:
    return int(
        sum(r["errors"] for r in data["cells"])
        + sum(r["errors"] for r in data["first_reads"])
        + len(data["freshness"]["errors"])
    )


def markdown(data: dict[str, Any], command: str) -> str:
    cells = medians(data["cells"])
    sets = data["datasets"]
    lines = [
        "# Many households: a household among 10,000 against the same household alone",
        "",
        f"`{command}`",
        "",
        f"- one: `{sets['one']['kind']}`, {sets['one']['households']:,} household, "
        f"{sets['one']['rows']:,} rows; many: `{sets['many']['kind']}`, "
        f"{sets['many']['households']:,} households, {sets['many']['rows']:,} rows",
        f"- {data['plan']['sample']} reads per view (many: that many random households), "
        f"{data['plan']['rounds']} rounds of {data['plan']['seconds']:.0f} s cells, "
        f"Redis L2: {data['plan']['redis_url'] or 'none'}; run took {data['seconds']:.0f} s",
        "",
        "## wrk cells (medians over rounds)",
        "",
        "| phase | view | clients | one req/s | many req/s | one p50 / p95 ms "
        "| many p50 / p95 ms | p50 ratio | p95 ratio | many hit rate | errors |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for (phase, view, conc), one, many in paired(cells):
        rate = "–" if phase == "cold" else f"{100 * many['hit_rate']:.1f} %"
        lines.append(
            f"| {phase} | {view} | {conc} | {one['throughput_rps']:,.0f} "
            f"| {many['throughput_rps']:,.0f} | {one['p50']:.2f} / {one['p95']:.2f} "
            f"| {many['p50']:.2f} / {many['p95']:.2f} | **{many['p50'] / one['p50']:.2f}** "
            f"| {many['p95'] / one['p95']:.2f} | {rate} | {int(one['errors'] + many['errors'])} |"
        )
    lines += [
        "",
        "## First reads (each key once, sequential, client-side ms; misses)",
        "",
        "| view | one reads | one p50 / p95 | many reads | many p50 / p95 | p50 ratio "
        "| hit rate one / many |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for (view,), one, many in paired(_first_reads(data)):
        lines.append(
            f"| {view} | {one['reads']} | {one['p50']:.2f} / {one['p95']:.2f} | {many['reads']} "
            f"| {many['p50']:.2f} / {many['p95']:.2f} | **{many['p50'] / one['p50']:.2f}** "
            f"| {one['hit_rate']:.2f} / {many['hit_rate']:.2f} |"
        )
    direct = [r for r in data.get("direct", []) if r["side"] == "many"]
    if direct:
        lines += [
            "",
            "## Direct reads (optimized reader in the bench process, sides alternated call "
            "by call; ms)",
            "",
            "| view | pass | calls | one p50 / p95 | many p50 / p95 | p50 ratio | p95 ratio |",
            "|---|---:|---:|---:|---:|---:|---:|",
        ]
    for row in direct:
        alone = _direct(data, row["view"], "one", row["pass"])
        if alone is None:
            continue
        lines.append(
            f"| {row['view']} | {row['pass'] + 1} | {row['calls']} "
            f"| {alone['p50']:.2f} / {alone['p95']:.2f} | {row['p50']:.2f} / {row['p95']:.2f} "
            f"| **{row['p50'] / alone['p50']:.2f}** | {row['p95'] / alone['p95']:.2f} |"
        )
    fresh = data["freshness"]
    worst = max((r["p50_ratio"] for r in ratios(data)), default=float("nan"))
    lines += [
        "",
        "## Freshness and errors",
        "",
        f"- {fresh['pairs']} write → read pairs on `many` (writes {fresh['writes']}): "
        f"**{len(fresh['stale'])} stale**",
        f"- errors, every phase: **{errors(data)}**",
        f"- worst p50 ratio many / one: **{worst:.2f}** (goal ≤ {GOAL})",
        "",
    ]
    lines += [f"- stale: {s}" for s in fresh["stale"][:20]]
    lines += [f"- error: {e}" for e in fresh["errors"][:20]]
    return "\n".join(lines) + "\n"
