"""Turn raw bench results into medians, ratios, a markdown report and PNG charts."""

from __future__ import annotations

import statistics
from collections import defaultdict
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")  # files only, no display
import matplotlib.pyplot as plt
from matplotlib.lines import Line2D

from foyer.bench.bare import BARE
from foyer.bench.datasets import SIZES
from foyer.bench.runner import CEILING

Cell = tuple[str, str, int, str]  # size, scenario, concurrency, target


def aggregate(results: list[dict[str, Any]]) -> dict[Cell, dict[str, float]]:
    """Median over rounds of every figure, per (size, scenario, concurrency, target)."""
    groups: dict[Cell, list[dict[str, Any]]] = defaultdict(list)
    for row in results:
        groups[(row["size"], row["scenario"], row["concurrency"], row["target"])].append(row)
    cells = {}
    for key, rows in groups.items():
        cells[key] = {
            "throughput_rps": statistics.median(r["throughput_rps"] for r in rows),
            "p50": statistics.median(r["latency_ms"]["p50"] for r in rows),
            "p95": statistics.median(r["latency_ms"]["p95"] for r in rows),
            "p99": statistics.median(r["latency_ms"]["p99"] for r in rows),
            "max": max(r["latency_ms"]["max"] for r in rows),
            "errors": sum(r["errors"] for r in rows),
            "requests": sum(r["requests"] for r in rows),
            "rss_mb": max(r["server"]["rss_mb"] for r in rows),
            "cpu_percent": statistics.median(r["server"]["cpu_percent"] for r in rows),
            "cpu_us": _median_or_none([r["server"].get("cpu_us_per_request") for r in rows]),
            "rounds": len(rows),
            "hit_rate": _median_or_none([r.get("cache_hit_rate") for r in rows]),
            "hit_p95": _median_or_none([r.get("hit_server_p95_ms") for r in rows]),
        }
    return cells


def _median_or_none(values: list[Any]) -> float | None:
    present = [v for v in values if v is not None]
    return statistics.median(present) if present else None


#: The name suffix of a server with FOYER_MONITORING=off: `ratios` sets each server
#: against its twin with this suffix.
NO_MONITORING = "+nomon"
#: The name suffix of a server with FOYER_STAMP_FEED=off (PostgreSQL): what the feed gains.
NO_FEED = "+nofeed"
#: Before the name of another checkout a server runs (`foyer bench --tree`): `ratios` sets
#: each server against its twins running other code ("optimized / optimized@before").
TREE = "@"


#: Replays of foyer's bytes, not foyer: a base of ratios, never their first target
#: (but for "ceiling / bare": what foyer's middleware costs FastAPI's own route).
REPLAYS = (CEILING, BARE)


def ratios(cells: dict[Cell, dict[str, float]]) -> list[dict[str, Any]]:
    """Each target against the ceiling and the bare app, every other reader against
    reference, and a server against its twin without monitoring (`+nomon`, what operations
    cost), and against its twins running another checkout's code, per cell."""
    out = []
    names = {key[3] for key in cells}
    for (size, scenario, conc, target), cell in sorted(cells.items()):
        twins = sorted(name for name in names if name.startswith(target + TREE))
        for base in (CEILING, BARE, "reference", target + NO_MONITORING, target + NO_FEED, *twins):
            other = cells.get((size, scenario, conc, base))
            replay = target in REPLAYS and (target, base) != (CEILING, BARE)
            if replay or target == base or other is None:
                continue
            out.append(
                {
                    "size": size,
                    "scenario": scenario,
                    "concurrency": conc,
                    "pair": f"{target} / {base}",
                    "throughput_ratio": cell["throughput_rps"] / other["throughput_rps"],
                    "p50_ratio": cell["p50"] / other["p50"] if other["p50"] else None,
                    "p95_ratio": cell["p95"] / other["p95"] if other["p95"] else None,
                    "cpu_ratio": _ratio(cell.get("cpu_us"), other.get("cpu_us")),
                }
            )
    return out


def _ratio(value: float | None, base: float | None) -> float | None:
    return value / base if value is not None and base else None


def size_order(cells: dict[Cell, dict[str, float]]) -> list[str]:
    """The cells' sizes, smallest dataset first (names sort wrongly: "100k" < "10k")."""
    order = list(SIZES)
    return sorted({k[0] for k in cells}, key=lambda s: order.index(s) if s in order else 99)


def growth(cells: dict[Cell, dict[str, float]]) -> list[dict[str, Any]]:
    """Per target, scenario and concurrency: latency at the largest size / the smallest."""
    sizes = size_order(cells)
    out: list[dict[str, Any]] = []
    if len(sizes) < 2:
        return out
    small, large = sizes[0], sizes[-1]
    for (size, scenario, conc, target), cell in sorted(cells.items()):
        other = cells.get((large, scenario, conc, target))
        if size != small or target in REPLAYS or other is None:
            continue
        out.append(
            {
                "scenario": scenario,
                "concurrency": conc,
                "target": target,
                "from": small,
                "to": large,
                "p50_growth": other["p50"] / cell["p50"] if cell["p50"] else None,
                "p95_growth": other["p95"] / cell["p95"] if cell["p95"] else None,
            }
        )
    return out


def _percent(value: float | None) -> str:
    return "–" if value is None else f"{100 * value:.1f} %"


def _fmt(value: float | None, digits: int = 2) -> str:
    return "–" if value is None else f"{value:,.{digits}f}"


def markdown(data: dict[str, Any], cells: dict[Cell, dict[str, float]], command: str) -> str:
    meta = data["meta"]
    plan = meta["plan"]
    lines = [
        "# foyer bench report",
        "",
        f"- command: `{command}`",
        f"- started {meta['started_at']}, finished {meta['finished_at']}",
        f"- machine: {meta['machine']['cpus']} CPUs, Python {meta['machine']['python']}, "
        f"{meta['machine']['platform']}",
        f"- database: {plan['db']}; generator: {plan['generator']}; {plan['seconds']} s per "
        f"measurement, {plan['rounds']} rounds alternating targets; figures are medians of "
        "rounds (max is the max)",
        "- configs: "
        + ", ".join(
            f"`{c['name']}` (reader {c['reader']}, cache {c['cache']}, {c['workers']} worker(s)"
            + (f", the code of {c['tree']}" if c.get("tree") else "")
            + ")"
            for c in plan["configs"]
        ),
        "",
    ]
    sizes = size_order(cells)
    targets = {k[3] for k in cells}
    if {"reference", "optimized"} <= targets:
        lines += [
            "## Readers side by side",
            "",
            "Latency in ms (p50 / p95); speed-up = reference latency / optimized latency.",
            "",
            "| size | scenario | clients | reference p50 / p95 | optimized p50 / p95 "
            "| speed-up p50 | speed-up p95 |",
            "|---|---|---:|---:|---:|---:|---:|",
        ]
        for size in sizes:
            for (s, scenario, conc, target), ref in sorted(cells.items()):
                opt = cells.get((s, scenario, conc, "optimized"))
                if s != size or target != "reference" or opt is None:
                    continue
                lines.append(
                    f"| {size} | {scenario} | {conc} | {_fmt(ref['p50'])} / {_fmt(ref['p95'])} "
                    f"| {_fmt(opt['p50'])} / {_fmt(opt['p95'])} "
                    f"| {_fmt(ref['p50'] / opt['p50'], 1)}x | {_fmt(ref['p95'] / opt['p95'], 1)}x |"
                )
        lines.append("")
    grown = growth(cells)
    if grown:
        lines += [
            f"## Growth from {grown[0]['from']} to {grown[0]['to']}",
            "",
            "Latency at the largest dataset divided by latency at the smallest (1.00 = flat).",
            "",
            "| scenario | clients | target | p50 growth | p95 growth |",
            "|---|---:|---|---:|---:|",
        ]
        for g in grown:
            lines.append(
                f"| {g['scenario']} | {g['concurrency']} | {g['target']} "
                f"| {_fmt(g['p50_growth'])} | {_fmt(g['p95_growth'])} |"
            )
        lines.append("")
    for size in sizes:
        rows = next(r["rows"] for r in data["results"] if r["size"] == size)
        lines += [
            f"## {size} ({rows:,} transactions)",
            "",
            "| scenario | clients | target | req/s | p50 ms | p95 ms | p99 ms | max ms "
            "| errors | RSS MiB | CPU % | cache hits | hit p95 ms (server) | CPU µs / request |",
            "|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
        ]
        for (s, scenario, conc, target), c in sorted(cells.items()):
            if s != size:
                continue
            lines.append(
                f"| {scenario} | {conc} | {target} | {_fmt(c['throughput_rps'], 1)} | "
                f"{_fmt(c['p50'])} | {_fmt(c['p95'])} | {_fmt(c['p99'])} | {_fmt(c['max'], 1)} | "
                f"{int(c['errors'])} | {_fmt(c['rss_mb'], 0)} | {_fmt(c['cpu_percent'], 0)} | "
                f"{_percent(c['hit_rate'])} | {_fmt(c['hit_p95'], 3)} | "
                f"{_fmt(c.get('cpu_us'), 0)} |"
            )
        lines.append("")
    lines += [
        "## Ratios",
        "",
        "Throughput ratio > 1 and latency or CPU ratio < 1 favour the first target of the pair "
        "(CPU: the server's CPU time per request).",
        "",
        "| size | scenario | clients | pair | throughput | p50 | p95 | CPU / request |",
        "|---|---|---:|---|---:|---:|---:|---:|",
    ]
    for r in ratios(cells):
        lines.append(
            f"| {r['size']} | {r['scenario']} | {r['concurrency']} | {r['pair']} | "
            f"{_fmt(r['throughput_ratio'])} | {_fmt(r['p50_ratio'])} | {_fmt(r['p95_ratio'])} | "
            f"{_fmt(r['cpu_ratio'])} |"
        )
    return "\n".join(lines) + "\n"


def charts(cells: dict[Cell, dict[str, float]], out: Path) -> list[Path]:
    """Latency and throughput vs concurrency per size, and latency vs data size."""
    written = []
    sizes = size_order(cells)
    scenarios = sorted({k[1] for k in cells})
    targets = sorted({k[3] for k in cells})
    # One colour per target in every panel and chart.
    colour = {t: f"C{i}" for i, t in enumerate(targets)}
    for size in sizes:
        for metric, label, name in (
            ("p95", "p95 latency (ms)", "latency"),
            ("throughput_rps", "throughput (req/s)", "throughput"),
        ):
            # The legend goes below the panels, in as many rows as the width needs.
            columns = min(len(targets), 2 * len(scenarios))
            rows = -(-len(targets) // columns)
            fig, axes = plt.subplots(
                1,
                len(scenarios),
                figsize=(max(6, 4 * len(scenarios)), 3.2 + 0.25 * rows),
                squeeze=False,
            )
            for ax, scenario in zip(axes[0], scenarios, strict=True):
                for target in targets:
                    points = sorted(
                        (k[2], c[metric])
                        for k, c in cells.items()
                        if k[0] == size and k[1] == scenario and k[3] == target
                    )
                    if points:
                        xs, ys = zip(*points, strict=True)
                        ax.plot(xs, ys, marker="o", label=target, color=colour[target])
                        if metric == "p95":
                            p50 = [cells[(size, scenario, x, target)]["p50"] for x in xs]
                            ax.plot(xs, p50, linestyle=":", marker=".", color=colour[target])
                ax.set_title(scenario)
                ax.set_xlabel("concurrent clients")
                ax.set_ylabel(label)
                ax.grid(alpha=0.3)
            handles = [Line2D([], [], color=colour[t], marker="o", label=t) for t in targets]
            # Below the panels: in a corner it covered the last panel's title.
            fig.legend(handles=handles, loc="lower center", ncol=columns, fontsize=8)
            note = " (dotted: p50)" if metric == "p95" else ""
            fig.suptitle(f"{label} vs concurrency, {size}{note}")
            fig.tight_layout(rect=(0, 0.075 * rows, 1, 1))
            path = out / f"{name}-{size}.png"
            fig.savefig(path, dpi=90)
            plt.close(fig)
            written.append(path)
    if len(sizes) > 1:
        # Colour = scenario, line style = target: a dozen series stay readable.
        fig, ax = plt.subplots(figsize=(7, 4.2))
        styles = ["-", "--", ":", "-."]
        for t_index, target in enumerate(targets):
            for s_index, scenario in enumerate(scenarios):
                conc = min(k[2] for k in cells)
                size_points: list[tuple[float, str]] = [
                    (cells[(s, scenario, conc, target)]["p95"], s)
                    for s in sizes
                    if (s, scenario, conc, target) in cells
                ]
                if len(size_points) > 1:
                    ax.plot(
                        [p[1] for p in size_points],
                        [p[0] for p in size_points],
                        marker="o",
                        color=f"C{s_index}",
                        linestyle=styles[t_index % len(styles)],
                        label=f"{target} {scenario}",
                    )
        ax.set_yscale("log")
        ax.set_xlabel("dataset")
        ax.set_ylabel("p95 latency (ms), lowest concurrency")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7, loc="center left", bbox_to_anchor=(1.0, 0.5))
        fig.tight_layout()
        path = out / "latency-vs-size.png"
        fig.savefig(path, dpi=90)
        plt.close(fig)
        written.append(path)
    return written
