"""`foyer scale capacity`: measure the capacity model's unit costs (foyer/bench/capacity.py)
on the bench datasets, and write them as a report.

Storage is read from the cached datasets themselves (read-only queries). Cache bytes and
CPU per request come from servers on a working copy of the many-household dataset
(`hh10k`), reading random households, views and months: one with the cache on (Redis
as L2 when given: hits, and inserts into the months read, with their after-write
warm-ups), one with it off (misses), one with the cache on but no after-write warm-ups
(FOYER_CACHE_WARM_RECENT=0: what an insert itself costs). The cells alternate, the
order reversing every round, as `foyer bench` does.
"""

from __future__ import annotations

import random
import statistics
import tempfile
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import psycopg
from rich.console import Console

from foyer.bench import capacity
from foyer.bench.datasets import END_MONTH, drop_working_copy, ensure_dataset, working_copy
from foyer.bench.server import ServerConfig, ServerProcess
from foyer.bench.tenancy_plan import logins_of, months
from foyer.cache.store import redis_client
from foyer.months import add_months

#: The stamp feed's map is measured at its default bound (FOYER_STAMP_FEED_HOUSEHOLDS).
FEED_HOUSEHOLDS = 20_000


@dataclass(slots=True)
class CapacityPlan:
    storage_kinds: list[str] = field(default_factory=lambda: ["hh10k", "10k"])
    kind: str = "hh10k"  # servers run on a copy of this one
    households: int = 100  # households whose cache bytes are measured
    requests: int = 1_000  # distinct requests per CPU cell's list
    concurrency: list[int] = field(default_factory=lambda: [10])
    seconds: float = 10.0
    rounds: int = 2
    redis_url: str | None = None
    seed: int = 15


def _namespace(url: str) -> str:
    """The L2 prefix of the servers on `url`: `foyer:<instance id>` (foyer.app.make_cache)."""
    with psycopg.connect(url) as conn:
        row = conn.execute(
            "SELECT value FROM instance_secret WHERE name = 'instance_id'"
        ).fetchone()
    if row is None:
        raise RuntimeError("no instance_id: has a server started on this database?")
    return f"foyer:{row[0]}"


def run_capacity(plan: CapacityPlan, console: Console) -> dict[str, Any]:
    started = time.time()
    data: dict[str, Any] = {"plan": {k: getattr(plan, k) for k in plan.__dataclass_fields__}}
    data["storage"] = {}
    for kind in plan.storage_kinds:
        dataset = ensure_dataset(kind, "postgresql", console)
        data["storage"][kind] = capacity.storage(dataset.url)
        console.print(f"storage of {kind} read")
    first_paint = [END_MONTH, add_months(END_MONTH, -1)]
    data["feed"] = {
        "households": FEED_HOUSEHOLDS,
        "bytes_per_household": capacity.feed_bytes(FEED_HOUSEHOLDS, first_paint),
    }
    dataset = ensure_dataset(plan.kind, "postgresql", console)
    with tempfile.TemporaryDirectory(prefix="foyer-capacity-") as tmp:
        url, handle = working_copy(dataset, Path(tmp), tag="_capacity")
        database = url.rsplit("/", 1)[1]
        folder = Path(tmp)
        # A pool as large as the clients: overflow connections would open and close within
        # a sampling interval, and their backends' CPU go uncounted (`BackendCpu`).
        pool = {"FOYER_DB_POOL_SIZE": str(max(plan.concurrency) + 5)}
        on = ServerConfig(
            "hits", reader="optimized", cache="on", redis_url=plan.redis_url, extra_env=pool
        )
        hits = ServerProcess(on, url, folder)
        off = ServerConfig("misses", reader="optimized", cache="off", extra_env=pool)
        misses = ServerProcess(off, url, folder)
        # Writes without the after-write warm-ups: what the write itself costs.
        cold = replace(on, name="nowarm", extra_env={**pool, "FOYER_CACHE_WARM_RECENT": "0"})
        nowarm = ServerProcess(cold, url, folder)
        servers = (hits, misses, nowarm)
        try:
            for server in servers:
                server.start(timeout=120)
            logins = logins_of(url)
            redis = redis_client(plan.redis_url, 2.0) if plan.redis_url else None
            rng = random.Random(plan.seed)  # noqa: S311 (reproducible sample)
            sample = rng.sample(logins, min(plan.households, len(logins)))
            data["cache"] = capacity.cache_bytes(
                hits.base_url,
                sample,
                END_MONTH,
                redis=redis,
                namespace=_namespace(url) if redis is not None else None,
            )
            console.print(f"cache bytes per household: {data['cache']}")
            planned = capacity.visits(logins, months(), plan.requests, plan.seed)
            reads, writes = capacity.reads(planned), capacity.inserts(planned, plan.seed)
            for server in (hits, nowarm):  # each has now computed every view read
                capacity.warm(server, reads)
            targets = [
                ("hit", hits, reads),
                ("miss", misses, reads),
                ("insert", hits, writes),
                ("insert, no warm-ups", nowarm, writes),
            ]
            rows = []
            for round_no in range(plan.rounds):
                for conc in plan.concurrency:
                    for name, server, requests in targets if round_no % 2 == 0 else targets[::-1]:
                        if name == "hit":  # inserts made earlier cells' keys stale
                            capacity.warm(server, requests)
                        cell = capacity.cpu_cell(server, database, requests, conc, plan.seconds)
                        rows.append({"kind": name, "concurrency": conc, "round": round_no, **cell})
                        console.print(
                            f"{name:<6} c={conc:<3} {cell['throughput_rps']:8.1f} req/s  "
                            f"p50 {cell['p50']:6.2f} ms  api {cell['api_cpu_ms']:.3f} ms  "
                            f"db {cell['db_cpu_ms']:.3f} ms  err {cell['errors']}"
                        )
            data["cpu"] = rows
        finally:
            for server in servers:
                server.stop()
            drop_working_copy(dataset, handle)
    data["seconds"] = time.time() - started
    return data


def _median(rows: list[dict[str, Any]], name: str) -> float:
    values = [r[name] for r in rows if r[name] is not None]
    return statistics.median(values) if values else float("nan")


def markdown(data: dict[str, Any], command: str) -> str:
    lines = ["# Capacity unit costs", "", f"`{command}`", "", "## Storage per household-month", ""]
    for kind, figures in data["storage"].items():
        lines += [
            f"`{kind}`: {figures['households']:,} households, "
            f"{figures['household_months']:,} household-months",
            "",
            "| table | rows | MiB | rows / household-month | bytes / household-month |",
            "|---|---:|---:|---:|---:|",
        ]
        for table, t in figures["tables"].items():
            lines.append(
                f"| {table} | {t['rows']:,} | {t['bytes'] / 2**20:,.1f} "
                f"| {t['rows_per_household_month']:,.1f} | {t['bytes_per_household_month']:,.0f} |"
            )
        lines.append("")
    cache = data.get("cache")
    if cache:
        lines += [
            "## Cache per active household (first-paint views, this month and the last)",
            "",
            f"{cache['households']} households, {cache['entries_per_household']:.0f} entries "
            f"each: L1 **{cache['l1_bytes']:,} bytes** (bodies {cache['body_bytes']:,}), "
            f"Redis {cache['l2_bytes'] if cache['l2_bytes'] is not None else '–'} bytes "
            "(medians).",
            "",
        ]
    feed = data.get("feed")
    if feed:
        lines += [
            f"Stamp feed map (tracemalloc, {feed['households']:,} households, the scopes of "
            f"their first paint): **{feed['bytes_per_household']:,.0f} bytes** per household.",
            "",
        ]
    rows = data.get("cpu", [])
    if rows:
        lines += [
            "## CPU per request (medians over rounds)",
            "",
            "| kind | clients | req/s | p50 ms | p95 ms | API CPU % | DB CPU % | API CPU ms / req "
            "| DB CPU ms / req | req/s per API core | req/s per DB core | errors |",
            "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
        ]
        keys = sorted({(r["kind"], r["concurrency"]) for r in rows})
        for kind, conc in keys:
            group = [r for r in rows if (r["kind"], r["concurrency"]) == (kind, conc)]
            lines.append(
                f"| {kind} | {conc} | {_median(group, 'throughput_rps'):,.0f} "
                f"| {_median(group, 'p50'):.2f} | {_median(group, 'p95'):.2f} "
                f"| {_median(group, 'api_cpu_percent'):.0f} "
                f"| {_median(group, 'db_cpu_percent'):.0f} "
                f"| {_median(group, 'api_cpu_ms'):.3f} | {_median(group, 'db_cpu_ms'):.3f} "
                f"| {_median(group, 'per_api_core'):,.0f} | {_median(group, 'per_db_core'):,.0f} "
                f"| {sum(r['errors'] for r in group)} |"
            )
    lines += ["", f"Run took {data['seconds']:.0f} s.", ""]
    return "\n".join(lines)
