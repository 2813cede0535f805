"""The soak's report as markdown (`foyer bench --soak`, foyer/bench/soak.py): the run's
conditions, the verdict, and every sample as a table row."""

from __future__ import annotations

from typing import Any


def _flat_line(name: str, figures: dict[str, Any] | None, unit: str) -> str:
    if figures is None or "first" not in figures:
        return f"- {name}: no sample after the warm-up"
    word = "flat" if figures["flat"] else "NOT flat"
    return (
        f"- {name}: {figures['first']:g} → {figures['last']:g}{unit} (min {figures['min']:g}, "
        f"max {figures['max']:g}; at most {figures['max_deviation']:.1%} from the first): {word}"
    )


def markdown(result: dict[str, Any]) -> str:
    meta, totals, judged = result["meta"], result["totals"], result["verdict"]
    plan = meta["plan"]
    lat = totals["latency_ms"]
    env = "".join(f"{name}={value} " for name, value in meta.get("server_env", {}).items())
    lines = [
        "# Soak",
        "",
        f"`{env}{meta['command']}` — {meta['started_at']}; {meta['machine']['cpus']} cores, "
        f"load average at the end {', '.join(f'{x:.1f}' for x in meta['machine']['load_average'])}",
        "",
        f"{plan['clients']} clients × {plan['seconds']:.0f} s of the mixed session on the "
        f"{plan['size']} dataset ({meta['dataset_rows']:,} rows, {plan['db']}), the optimized "
        f"reader with the cache on, {plan['workers']} worker(s), Redis "
        f"{'on' if plan['redis'] else 'off'}. {meta['scenario']}",
        "",
        f"**{'PASSED' if judged['passed'] else 'FAILED'}**: {judged['errors']} errors in "
        f"{totals['requests']:,} requests ({totals['throughput_rps']} req/s; p50 {lat['p50']} ms, "
        f"p95 {lat['p95']} ms, p99 {lat['p99']} ms, max {lat['max']} ms). After the "
        f"{plan['warmup_seconds']:g} s warm-up, within {plan['tolerance']:.0%}:",
        "",
        _flat_line("RSS", judged["rss"], " MiB"),
        _flat_line("open fds", judged["fds"], ""),
        _flat_line("heap (RssAnon, reported only)", judged["heap"], " MiB"),
        "",
        "| t (s) | req/s since previous | errors | RSS MiB | heap MiB | fds | CPU s |",
        "|---:|---:|---:|---:|---:|---:|---:|",
    ]
    previous: dict[str, Any] | None = None
    for s in result["samples"]:
        rate = ""
        if previous is not None and s["t"] > previous["t"]:
            rate = f"{(s['requests'] - previous['requests']) / (s['t'] - previous['t']):.1f}"
        heap = "" if s["heap_mib"] is None else f"{s['heap_mib']:.1f}"
        lines.append(
            f"| {s['t']:.1f} | {rate} | {s['errors']} | {s['rss_mib']:.1f} | {heap} | "
            f"{s['fds']} | {s['cpu_seconds']:.1f} |"
        )
        previous = s
    if result["errors_kept"]:
        lines += ["", "First errors:", ""] + [f"- `{e}`" for e in result["errors_kept"]]
    return "\n".join(lines) + "\n"
