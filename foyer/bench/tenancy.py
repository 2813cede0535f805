"""Is a household as fast among 10,000 as alone? Issue 15's many-household measurement.

Two cached datasets of the same per-household size (foyer/bench/households.py): `many`
(`hh10k`: 10,000 households, 5M rows) and `one` (`hh1`: one household). Each runs on a
working copy with two servers: the cache on (Redis as L2 when given) and the cache off.
The same reads — summary, hierarchy, drill-down summary, each at a random month of the
twelve, the month sequence shared — go to a random sample of the many households and to
the one household:
- **first reads**: every distinct key read once, sequentially, through the cache-on
  servers (misses: the servers' counters say so), timed by the client;
- **cold**: wrk replaying the reads against the cache-off servers (every read computes,
  as a miss does), at each concurrency;
- **warm**: wrk replaying them against the cache-on servers, after the first reads (hits);
- **direct**: the optimized reader called in this process on both copies, alternating at
  every call (`foyer.bench.tenancy_direct`): the database's share without HTTP, and
  without the load changing between one side's cell and the other's.
Targets alternate within each cell and the order reverses every round, as `foyer bench`
does. Then freshness (`foyer.bench.freshness`): writes through a second cache-on server
on the many copy, reads through the first, each compared with a recomputation.
"""

from __future__ import annotations

import random
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx2 as httpx
from rich.console import Console

from foyer.bench import freshness
from foyer.bench.datasets import drop_working_copy, ensure_dataset, working_copy
from foyer.bench.load import run_wrk
from foyer.bench.runner import hit_rate, scrape
from foyer.bench.server import ServerConfig, ServerProcess
from foyer.bench.tenancy_direct import direct_reads
from foyer.bench.tenancy_plan import (
    SIDES,
    Side,
    TenancyPlan,
    direct_visits,
    logins_of,
    months,
    plan_reads,
)
from foyer.db.engine import make_engine
from foyer.settings import Settings


def first_reads(sides: list[Side]) -> dict[tuple[str, str], dict[str, Any]]:
    """Every distinct read once through the cache-on servers, sides interleaved: client
    latency (ms) and the servers' L1/L2 hit rate over it (0 when all were misses)."""
    out: dict[tuple[str, str], dict[str, Any]] = {}
    before = {side.name: scrape(side.cached.base_url)[0] for side in sides}
    clients = {s.name: httpx.Client(base_url=s.cached.base_url, timeout=120) for s in sides}
    try:
        for view in freshness.VIEWS:
            seen: dict[str, set[tuple[str, str]]] = {s.name: set() for s in sides}
            times: dict[str, list[float]] = {s.name: [] for s in sides}
            errors = dict.fromkeys(seen, 0)
            for i in range(len(sides[0].reads[view])):
                for side in sides if i % 2 == 0 else sides[::-1]:
                    req = side.reads[view][i]
                    if (req.path, req.token) in seen[side.name]:
                        continue
                    seen[side.name].add((req.path, req.token))
                    started = time.perf_counter()
                    response = clients[side.name].get(req.path, headers=req.headers)
                    times[side.name].append((time.perf_counter() - started) * 1000)
                    errors[side.name] += response.status_code >= 300
            for name, values in times.items():
                out[(view, name)] = {**_summary_ms(values), "errors": errors[name]}
    finally:
        for client in clients.values():
            client.close()
    for side in sides:
        rate = hit_rate(before[side.name], scrape(side.cached.base_url)[0])
        for view in freshness.VIEWS:
            out[(view, side.name)]["hit_rate"] = rate
    return out


def _summary_ms(values: list[float]) -> dict[str, Any]:
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * len(ordered)) - 1)] if ordered else 0.0
    return {"reads": len(values), "p50": statistics.median(ordered) if ordered else 0.0, "p95": p95}


def load_cells(plan: TenancyPlan, sides: list[Side], console: Console) -> list[dict[str, Any]]:
    """wrk cells: (phase cold|warm) × view × concurrency × side, alternating, each round."""
    rows: list[dict[str, Any]] = []
    for round_no in range(plan.rounds):
        for phase in ("cold", "warm"):
            for view in freshness.VIEWS:
                for conc in plan.concurrency:
                    order = sides if round_no % 2 == 0 else sides[::-1]
                    for side in order:
                        server = side.cached if phase == "warm" else side.uncached
                        server.wait_idle()
                        _, cpu0 = server.usage()
                        events0 = scrape(server.base_url)[0] if phase == "warm" else {}
                        started = time.monotonic()
                        result = run_wrk(server.base_url, side.reads[view], conc, plan.seconds)
                        wall = time.monotonic() - started
                        _, cpu1 = server.usage()
                        rate = (
                            hit_rate(events0, scrape(server.base_url)[0])
                            if phase == "warm"
                            else None
                        )
                        rows.append(
                            {
                                "phase": phase,
                                "view": view,
                                "concurrency": conc,
                                "side": side.name,
                                "round": round_no,
                                "throughput_rps": result.throughput,
                                "p50": result.p50_ms,
                                "p95": result.p95_ms,
                                "p99": result.p99_ms,
                                "requests": result.requests,
                                "errors": result.errors,
                                "cpu_percent": 100 * (cpu1 - cpu0) / wall,
                                "hit_rate": rate,
                            }
                        )
                        console.print(
                            f"{phase:<5} {view:<10} c={conc:<3} {side.name:<5} "
                            f"{result.throughput:8.1f} req/s  p50 {result.p50_ms:6.2f} ms  "
                            f"p95 {result.p95_ms:6.2f} ms  err {result.errors}"
                        )
    return rows


def _side(name: str, kind: str, plan: TenancyPlan, workdir: Path, console: Console) -> Side:
    dataset = ensure_dataset(kind, "postgresql", console)
    started = time.monotonic()
    url, handle = working_copy(dataset, workdir, tag=f"_{name}")
    console.print(f"{name}: {kind} copied in {time.monotonic() - started:.0f} s")
    folder = workdir / name
    folder.mkdir()
    cached = ServerConfig(f"{name}-cache", reader="optimized", cache="on", redis_url=plan.redis_url)
    uncached = ServerConfig(f"{name}-nocache", reader="optimized", cache="off")
    side = Side(
        name,
        dataset,
        url,
        handle,
        ServerProcess(cached, url, folder),
        ServerProcess(uncached, url, folder),
    )
    side.logins = logins_of(url)
    return side


def _direct(plan: TenancyPlan, sides: list[Side]) -> list[dict[str, Any]]:
    engines = {s.name: make_engine(Settings(database_url=s.url, _env_file=None)) for s in sides}
    try:
        return direct_reads(engines, direct_visits(plan, sides))
    finally:
        for engine in engines.values():
            engine.dispose()


def run_tenancy(plan: TenancyPlan, console: Console) -> dict[str, Any]:
    """The whole measurement (module docstring); raw figures, for `tenancy_report`."""
    started = time.time()
    with tempfile.TemporaryDirectory(prefix="foyer-tenancy-") as tmp:
        sides: list[Side] = []
        writer: ServerProcess | None = None
        try:
            for name, kind in zip(SIDES, (plan.one, plan.many), strict=True):
                sides.append(_side(name, kind, plan, Path(tmp), console))
            many = sides[-1]
            writer_config = ServerConfig(
                "many-writer", reader="optimized", cache="on", redis_url=plan.redis_url
            )
            writer = ServerProcess(writer_config, many.url, Path(tmp) / "many")
            for server in [*(s for side in sides for s in (side.cached, side.uncached)), writer]:
                server.start(timeout=120)
            plan_reads(plan, sides)
            first = first_reads(sides)
            cells = load_cells(plan, sides, console)
            direct = _direct(plan, sides)
            rng = random.Random(plan.seed)  # noqa: S311 (reproducible load, not security)
            written = rng.sample(many.logins, min(plan.fresh_households, len(many.logins)))
            engine = make_engine(Settings(database_url=many.url, _env_file=None))
            try:
                fresh = freshness.check(
                    writer.base_url,
                    many.cached.base_url,
                    engine,
                    written,
                    months(),
                    pairs=plan.pairs,
                    seed=plan.seed,
                )
            finally:
                engine.dispose()
        finally:
            for side in sides:
                side.cached.stop()
                side.uncached.stop()
            if writer is not None:
                writer.stop()
            for side in sides:
                drop_working_copy(side.dataset, side.handle)
    return {
        "started_at": started,
        "seconds": time.time() - started,
        "plan": {k: getattr(plan, k) for k in plan.__dataclass_fields__},
        "datasets": {
            s.name: {"kind": s.dataset.size, "rows": s.dataset.rows, "households": len(s.logins)}
            for s in sides
        },
        "first_reads": [{"view": v, "side": n, **figures} for (v, n), figures in first.items()],
        "cells": cells,
        "direct": direct,
        "freshness": {
            "pairs": fresh.pairs,
            "stale": fresh.stale,
            "errors": fresh.errors,
            "writes": fresh.writes,
        },
    }
