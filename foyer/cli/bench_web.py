"""`foyer bench --web`: the web dashboard in headless Chromium, over databases and sizes;
writes web.json and web.md. With `--screenshots DIR`: the documentation's screenshots
instead (no timing).

The measuring is `foyer.bench.web` (the browser's side `foyer.bench.web_page`); this module
runs it for each database and size and writes the report.
"""

from __future__ import annotations

import statistics
from pathlib import Path
from typing import Any

import typer

from foyer.cli.common import console

KIND_ORDER = ("html", "css", "js", "font", "image", "other")
SERIES = (
    ("cold_server", "cold: fresh server process, fresh browser context"),
    ("cold_month", "cold: a month the server has not shown, fresh browser context"),
    ("floor_cold", "floor, cold: the same bytes from memory, fresh browser context"),
    ("warm", "warm: the same page again (server and browser caches warm)"),
    ("floor_warm", "floor, warm: the same bytes from memory, same context again"),
)


def _ms(value: float) -> str:
    return f"{value:,.0f}" if value >= 10 else f"{value:.1f}"


def _fine(value: float) -> str:
    return f"{value:.2f}"


def _verdict(goal: dict[str, Any]) -> str:
    if goal["met"]:
        return "**met**"
    if goal["met_median"]:
        return "met at the median, **missed at p95**"
    return "**missed**"


def _events(events: dict[str, float]) -> str:
    return ", ".join(f"{k} {v:.0f}" for k, v in sorted(events.items())) or "none"


def _section(result: dict[str, Any]) -> list[str]:
    machine = result["machine"]
    start, end = machine["started"], machine["finished"]
    fcp = result["fcp"]
    lines = [
        f"## {result['db']}, {result['size']} ({result['rows']:,} rows in the household)",
        "",
        f"- month shown: {result['month']}; drill-down: {result['drill_target']['parent']} → "
        f"{result['drill_target']['category']}; Chromium {result['chromium']} (headless); "
        f"server: one uvicorn worker, reader {result['config']['reader']}, cache "
        f"{result['config']['cache']} (L1 only)",
        f"- machine: {machine['cpus']} cores; load average (1 / 5 / 15 min) "
        f"{start['load_1m']:.2f} / {start['load_5m']:.2f} / {start['load_15m']:.2f} at "
        f"{start['at']}, {end['load_1m']:.2f} / {end['load_5m']:.2f} / {end['load_15m']:.2f} at "
        f"{end['at']}; CPU busy over the run (all processes, both cores): "
        f"{machine['cpu_busy_percent']:.0f} %",
        "",
        "### Against the goals (p95 decides; median shown too)",
        "",
        "| figure | goal | median | p95 | verdict |",
        "|---|---:|---:|---:|---|",
    ]
    for goal in result["goals"]:
        unit = goal["unit"]
        lines.append(
            f"| {goal['figure']} | ≤ {goal['goal']:.0f} {unit} | {_ms(goal['median'])} {unit} "
            f"| {_ms(goal['p95'])} {unit} | {_verdict(goal)} |"
        )
    lines += [
        "",
        "### First contentful paint, ms",
        "",
        "TTFB: the navigation's request start to its first byte (the server's share, "
        "network on the loopback included); the rest of FCP is the browser's.",
        "",
        "| loads | n | median | p95 | min | max | TTFB median |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for key, label in SERIES:
        stats = fcp[key]["stats"]
        ttfb = statistics.median([run["ttfb_ms"] for run in fcp[key]["runs"]])
        lines.append(
            f"| {label} | {stats['n']} | {_ms(stats['median'])} | {_ms(stats['p95'])} "
            f"| {_ms(stats['min'])} | {_ms(stats['max'])} | {_ms(ttfb)} |"
        )
    cold = fcp["cold_server"]["runs"][0]["transfer"]
    warm_total = statistics.median([run["transfer"]["total"] for run in fcp["warm"]["runs"]])
    kinds = [k for k in KIND_ORDER if k in cold["by_kind"]]
    lines += [
        "",
        "### What the first view transfers (cold, compressed, headers included), bytes",
        "",
        "| " + " | ".join(kinds) + " | total | requests | CDP total | warm reload total |",
        "|" + "---:|" * (len(kinds) + 4),
        "| "
        + " | ".join(f"{cold['by_kind'][k]:,}" for k in kinds)
        + f" | **{cold['total']:,}** | {cold['requests']} | {cold['cdp_total']:,} "
        f"| {warm_total:,.0f} |",
        "",
        f"The page's HTML is {cold['html_decoded']:,} bytes uncompressed. Resource timing's "
        "`transferSize` summed over the navigation and its resources; CDP: "
        "`Network.loadingFinished` `encodedDataLength` summed. A warm reload moves the 304's "
        "headers only (assets come from the browser's cache, `immutable`).",
        "",
        "### Interactions, ms (click's event timestamp → the frame showing the change)",
        "",
        "DOM: the change is in the document (MutationObserver); painted: the next frame is out. "
        "Request: the fragment's request in resource timing (network + server). First: the "
        "first of the runs, whose fragment views the server had not computed yet.",
        "",
        "| interaction | n | DOM median | painted median | painted p95 | request median "
        "| first, painted |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    interactions = (
        ("parent click → its categories shown", result["drill"]["parent"]),
        ("category click → its rows shown", result["drill"]["category"]),
        ("exclude a row → new grand total shown", result["edit"]),
    )
    for label, timing in interactions:
        request = timing["request_ms"]
        lines.append(
            f"| {label} | {timing['paint_ms']['n']} | {_ms(timing['dom_ms']['median'])} "
            f"| {_ms(timing['paint_ms']['median'])} | {_ms(timing['paint_ms']['p95'])} "
            f"| {_ms(request['median']) if request else '–'} | {_ms(timing['first_paint_ms'])} |"
        )
    api = result["api"]
    client, server_ms = api["client_ms"], api["server_timing_ms"]
    lines += [
        "",
        "### A warm page against the warm API hits of its views, ms",
        "",
        f"From an HTTP client in the bench process (keep-alive, gzip), {api['requests_each']} "
        "requests each, alternated; Server-Timing: the API's own `view;dur=` header.",
        "",
        "| request | client median | client p95 | Server-Timing median "
        "| body bytes, uncompressed |",
        "|---|---:|---:|---:|---:|",
        f"| page `GET /?month=` (cookie) | {_fine(client['page']['median'])} "
        f"| {_fine(client['page']['p95'])} | – | {api['body_bytes']['page']:,} |",
    ]
    for name in ("summary", "hierarchy", "transfers", "budgets"):
        timing = server_ms.get(name)
        lines.append(
            f"| API {name} (bearer) | {_fine(client[name]['median'])} "
            f"| {_fine(client[name]['p95'])} "
            f"| {_fine(timing['median']) if timing else '–'} | {api['body_bytes'][name]:,} |"
        )
    lines += [
        f"| the four API hits, summed | {_fine(api['views_sum_ms']['median'])} "
        f"| {_fine(api['views_sum_ms']['p95'])} | – | – |",
        "",
        '### The server\'s page cache (`foyer_cache_events_total{view="page_dashboard"}`)',
        "",
        "- cold, fresh server, each load: "
        + "; ".join(_events(run["page_cache"]) for run in fcp["cold_server"]["runs"]),
        "- cold, new month, each load: "
        + "; ".join(_events(run["page_cache"]) for run in fcp["cold_month"]["runs"]),
        f"- the {fcp['warm']['stats']['n']} warm loads: {_events(result['cache']['warm'])}",
        f"- the page's {api['requests_each']} client requests: {_events(api['page_cache'])} "
        f"(API summary: {_events(api['summary_cache'])})",
        "",
    ]
    return lines


def report(results: list[dict[str, Any]], command: str) -> str:
    lines = [
        "# foyer web benchmark",
        "",
        f"- command: `{command}`",
        "",
        "The dashboard in headless Chromium against a server in its own process on a copy of "
        "the bench dataset (`foyer/bench/web.py`). Times are taken in the page "
        "(`performance.now()`, Paint Timing); p95 is interpolated between the two nearest "
        "ranks, so with 5 runs it lies between the two slowest.",
        "",
    ]
    for result in results:
        lines += _section(result)
    return "\n".join(lines)


def run_web_bench(
    dbs: list[str],
    sizes: list[str],
    cold: int,
    warm: int,
    out: Path | None,
    screenshots: Path | None,
    command: str,
) -> None:
    """The web bench over `dbs` × `sizes` into `out` (default docs/bench/web); with
    `screenshots`, the screenshots instead, from the first database and size."""
    import orjson

    from foyer.bench.web import run_web
    from foyer.bench.web_page import WebBenchUnavailable

    if screenshots is not None:
        run_screenshots(dbs[0], sizes[0], screenshots)
        return
    folder = out or Path("docs/bench/web")
    counts = {"cold": cold, "warm": warm, "api": max(5, 5 * warm)}
    results = []
    try:
        for db in dbs:
            for size in sizes:
                console.print(f"web dashboard on {db}, {size}…")
                results.append(run_web(db, size, counts, console))
    except WebBenchUnavailable as exc:
        raise typer.BadParameter(str(exc)) from exc
    folder.mkdir(parents=True, exist_ok=True)
    text = report(results, command)
    data = {"command": command, "results": results}
    (folder / "web.json").write_bytes(orjson.dumps(data, option=orjson.OPT_INDENT_2))
    (folder / "web.md").write_text(text)
    console.print(text, markup=False, highlight=False, soft_wrap=True)


def run_screenshots(db: str, size: str, folder: Path) -> None:
    from foyer.bench.web_page import WebBenchUnavailable
    from foyer.bench.web_shots import take_screenshots

    try:
        written = take_screenshots(db, size, folder, console)
    except WebBenchUnavailable as exc:
        raise typer.BadParameter(str(exc)) from exc
    for path in written:
        console.print(f"wrote {path} ({path.stat().st_size / 1024:.0f} KiB)")
