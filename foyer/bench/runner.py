"""Orchestration: datasets → servers → checks → alternating load → raw results.

Every configuration under test runs as its own server at the same time (idle servers
cost nothing), and each measurement cell (size × scenario × concurrency) visits the
targets in turn, reversing the order every round, so drift of this noisy 2-core machine
falls on all targets alike. "ceiling" is the /bench/ceiling route of the first server,
replaying the very bytes the real routes returned; "bare" (`Plan.bare`) replays them
from a minimal FastAPI app in a process of its own (foyer/bench/bare.py).
"""

from __future__ import annotations

import datetime as dt
import os
import platform
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import httpx2 as httpx
from prometheus_client.parser import text_string_to_metric_families
from rich.console import Console

from foyer.bench.bare import BARE, Answer, BareServer, Key, capture, check_same, write_answers
from foyer.bench.datasets import Dataset, drop_working_copy, ensure_dataset, working_copy
from foyer.bench.load import LoadResult, check_and_capture, run_python, run_wrk
from foyer.bench.scenarios import BUILDERS, Req, Scenario, build_context, dataset_logins
from foyer.bench.server import ServerConfig, ServerProcess

Generator = Callable[[str, list[Req], int, float], LoadResult]
CEILING = "ceiling"


@dataclass(slots=True)
class Plan:
    sizes: list[str]
    db: str = "sqlite"
    configs: list[ServerConfig] = field(default_factory=lambda: [ServerConfig("reference")])
    scenarios: list[str] = field(default_factory=lambda: list(BUILDERS))
    concurrency: list[int] = field(default_factory=lambda: [1, 10, 25, 50])
    seconds: float = 10.0
    rounds: int = 2
    generator: str = "wrk"  # or "python"
    ceiling: bool = True
    bare: bool = False  # `foyer bench` turns it on (--bare, the default); the smoke does not


@dataclass(slots=True)
class Target:
    name: str
    server: ServerProcess
    requests: list[Req]

    @property
    def counts(self) -> bool:
        """Does this target count cache events (a foyer route, not a replay of its bytes)?"""
        return self.name not in (CEILING, BARE)


def _ceiling_target(scenario: Scenario, server: ServerProcess, folder: Path) -> Target:
    bodies = check_and_capture(server.base_url, scenario.requests)
    requests = []
    for i, (req, body) in enumerate(zip(scenario.requests, bodies, strict=True)):
        key = f"{scenario.name}-{i}"
        (folder / f"{key}.json").write_bytes(body)
        requests.append(Req("GET", f"/bench/ceiling/{key}", req.token))
    return Target(CEILING, server, requests)


Events = dict[tuple[str, str], float]
Buckets = dict[float, float]  # upper bound (s) -> cumulative count


def scrape(base_url: str) -> tuple[Events, Buckets]:
    """From the server's /metrics, summed over views: the cache counters, (tier, event)
    -> n, and the cumulative histogram of the server-side time of L1 hits."""
    events: Events = {}
    buckets: Buckets = {}
    text = httpx.get(f"{base_url}/metrics", timeout=10).text
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if family.name == "foyer_cache_events" and sample.name.endswith("_total"):
                key = (sample.labels["tier"], sample.labels["event"])
                events[key] = events.get(key, 0.0) + sample.value
            elif (
                family.name == "foyer_view_seconds"
                and sample.name.endswith("_bucket")
                and sample.labels["outcome"] == "hit"
            ):
                bound = float(sample.labels["le"])
                buckets[bound] = buckets.get(bound, 0.0) + sample.value
    return events, buckets


def hit_p95_ms(before: Buckets, after: Buckets) -> float | None:
    """The 95th percentile of the cell's hits, interpolated inside its histogram bucket
    (as Prometheus' histogram_quantile); None without hits. Past the last finite bound,
    that bound (a floor)."""
    counts = sorted((bound, after[bound] - before.get(bound, 0.0)) for bound in after)
    if not counts or counts[-1][1] <= 0:
        return None
    rank = 0.95 * counts[-1][1]
    lower, below = 0.0, 0.0
    for bound, cumulative in counts:
        if cumulative >= rank:
            if bound == float("inf"):
                return lower * 1000
            share = (rank - below) / (cumulative - below)
            return (lower + (bound - lower) * share) * 1000
        lower, below = bound, cumulative
    return lower * 1000


def hit_rate(before: Events, after: Events) -> float | None:
    """Share of lookups answered from a cache tier (L1, or L2 after an L1 miss).

    None when the cell made no lookup (cache off, or a scenario of uncached routes).
    """

    def delta(tier: str, event: str) -> float:
        return after.get((tier, event), 0.0) - before.get((tier, event), 0.0)

    lookups = delta("l1", "hit") + delta("l1", "miss")
    if lookups <= 0:
        return None
    return (delta("l1", "hit") + delta("l2", "hit")) / lookups


def _measure(
    target: Target, generator: Generator, concurrency: int, seconds: float
) -> dict[str, Any]:
    # Each cell starts on an idle server: the previous cell's abandoned requests are done.
    drained = target.server.wait_idle()
    _rss0, cpu0 = target.server.usage()
    before, hits_before = scrape(target.server.base_url) if target.counts else ({}, {})
    started = time.monotonic()
    result = generator(target.server.base_url, target.requests, concurrency, seconds)
    wall = time.monotonic() - started
    rss, cpu1 = target.server.usage()
    after, hits_after = scrape(target.server.base_url) if target.counts else ({}, {})
    return {
        "requests": result.requests,
        "errors": result.errors,
        "error_rate": result.error_rate,
        "throughput_rps": result.throughput,
        "latency_ms": {
            "p50": result.p50_ms,
            "p95": result.p95_ms,
            "p99": result.p99_ms,
            "max": result.max_ms,
        },
        "server": {
            "rss_mb": rss,
            "cpu_percent": 100 * (cpu1 - cpu0) / wall,
            # What a request costs the server, whatever else the machine runs meanwhile:
            # steadier than throughput on a shared machine (its CPU seconds / requests).
            "cpu_us_per_request": 1e6 * (cpu1 - cpu0) / result.requests
            if result.requests
            else None,
        },
        "cache_hit_rate": hit_rate(before, after) if target.counts else None,
        "hit_server_p95_ms": hit_p95_ms(hits_before, hits_after) if target.counts else None,
        "drain_seconds_before": drained,
    }


def _run_size(
    plan: Plan, dataset: Dataset, workdir: Path, console: Console
) -> list[dict[str, Any]]:
    generator: Generator = run_wrk if plan.generator == "wrk" else run_python
    url, handle = working_copy(dataset, workdir)
    ceiling_dir = workdir / f"ceiling-{dataset.size}"
    ceiling_dir.mkdir()
    servers = [ServerProcess(config, url, ceiling_dir) for config in plan.configs]
    # One process for every scenario's answers, started once they are all captured.
    bare = BareServer(workdir / "bare.json", plan.configs[0].workers)
    answers: dict[Key, Answer] = {}
    rows: list[dict[str, Any]] = []
    try:
        for server in servers:
            server.start()
        context = build_context(servers[0].base_url, dataset_logins(dataset))
        cells: list[tuple[Scenario, list[Target]]] = []
        for name in plan.scenarios:
            scenario = BUILDERS[name](context)
            targets = [Target(s.config.name, s, scenario.requests) for s in servers]
            if scenario.read_only:
                for server in servers[1:]:  # every reader must answer every request
                    check_and_capture(server.base_url, scenario.requests)
                if plan.ceiling:
                    targets.append(_ceiling_target(scenario, servers[0], ceiling_dir))
                if plan.bare:
                    answers.update(capture(servers[0].base_url, scenario.requests))
                    targets.append(Target(BARE, bare, scenario.requests))
            else:
                for server in servers:
                    check_and_capture(server.base_url, scenario.requests[:50])
            cells.append((scenario, targets))
        if answers:
            write_answers(bare.answers_file, answers)
            bare.start()
            check_same(bare.base_url, answers)
        for round_no in range(plan.rounds):
            for scenario, targets in cells:
                for concurrency in plan.concurrency:
                    order = targets if round_no % 2 == 0 else targets[::-1]
                    for target in order:
                        measured = _measure(target, generator, concurrency, plan.seconds)
                        rows.append(
                            {
                                "size": dataset.size,
                                "rows": dataset.rows,
                                "db": dataset.db,
                                "scenario": scenario.name,
                                "concurrency": concurrency,
                                "target": target.name,
                                "round": round_no,
                                **measured,
                            }
                        )
                        lat = measured["latency_ms"]
                        console.print(
                            f"{dataset.size:>5} {scenario.name:<12} c={concurrency:<3} "
                            f"{target.name:<10} {measured['throughput_rps']:8.1f} req/s  "
                            f"p50 {lat['p50']:7.2f} ms  p95 {lat['p95']:7.2f} ms  "
                            f"err {measured['errors']}"
                        )
    finally:
        for server in [*servers, bare]:
            server.stop()
        drop_working_copy(dataset, handle)
    return rows


def run_plan(plan: Plan, console: Console) -> dict[str, Any]:
    started = dt.datetime.now(dt.UTC)
    results: list[dict[str, Any]] = []
    scenarios = {name: BUILDERS[name].__doc__ for name in plan.scenarios}
    with tempfile.TemporaryDirectory(prefix="foyer-bench-") as tmp:
        for size in plan.sizes:
            dataset = ensure_dataset(size, plan.db, console)
            size_dir = Path(tmp) / size
            size_dir.mkdir()
            results += _run_size(plan, dataset, size_dir, console)
    return {
        "meta": {
            "started_at": started.isoformat(),
            "finished_at": dt.datetime.now(dt.UTC).isoformat(),
            "machine": {
                "cpus": os.cpu_count(),
                "python": platform.python_version(),
                "platform": platform.platform(),
            },
            "plan": {
                **{k: v for k, v in asdict(plan).items() if k != "configs"},
                "configs": [asdict(c) for c in plan.configs],
            },
            "scenarios": sorted(scenarios),
        },
        "results": results,
    }
