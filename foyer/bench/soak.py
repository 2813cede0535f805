"""`foyer bench --soak`: many clients replaying the mixed session for minutes against one
server, whose resident memory and open file descriptors are sampled as it goes.

The verdict (issue 14): 0 errors — every answer below 400, no request without an answer —
and both RSS and open fds flat: every sample after the warm-up within `tolerance` (10 %)
of the first sample after it. A leak shows as a climb; a warm-up (caches filling, pools
opening, the allocator's arenas) is excluded by starting the comparison after it.

The server runs as in production: the optimized reader, the cache on, monitoring on. The
load is closed-loop, like `foyer.bench.load`: each client sends its next request when its
answer arrives. Its own driver (not `load.run_python`) because a soak needs what a
benchmark cell does not: a request that gets no answer is counted rather than ending the
run, and the answers are counted as they come so each sample carries the rate since the
one before.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import itertools
import os
import platform
import sys
import tempfile
import time
from collections import Counter
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import httpx2 as httpx
import orjson
import psutil
from rich.console import Console

from foyer.bench.datasets import drop_working_copy, ensure_dataset, working_copy
from foyer.bench.load import _percentile
from foyer.bench.scenarios import Req, build_context, dataset_logins, mixed
from foyer.bench.server import ServerConfig, ServerProcess
from foyer.bench.soak_report import markdown

#: Error answers kept verbatim in the report (the count covers them all).
KEPT_ERRORS = 20


@dataclass(frozen=True, slots=True)
class SoakPlan:
    clients: int = 50
    seconds: float = 600.0
    size: str = "10k"
    db: str = "sqlite"
    workers: int = 1
    redis: str | None = None
    #: Samples before this many seconds are the warm-up: reported, never compared.
    warmup_seconds: float = 60.0
    #: Every 5 s, or 20 samples in all for runs shorter than 100 s.
    sample_seconds: float | None = None
    tolerance: float = 0.10

    @property
    def interval(self) -> float:
        return self.sample_seconds or min(5.0, self.seconds / 20)


@dataclass(frozen=True, slots=True)
class Sample:
    t: float  # seconds since the load started
    rss_mib: float  # VmRSS over the server's processes
    heap_mib: float | None  # RssAnon: Python's objects, without the mapped database file
    fds: int
    requests: int  # answered so far (errors included)
    errors: int
    cpu_seconds: float


def open_fds(server: ServerProcess) -> int:
    """Open file descriptors of the server's processes (sockets, database files, pipes)."""
    assert server.process is not None
    root = psutil.Process(server.process.pid)
    total = 0
    for proc in [root, *root.children(recursive=True)]:
        try:
            total += proc.num_fds()
        except psutil.NoSuchProcess:
            continue  # a worker restarting between the listing and the count
    return total


def _sample(server: ServerProcess, t: float, answers: Counter[str]) -> Sample:
    rss, cpu = server.usage()
    status = server.memory_status()
    errors = sum(n for key, n in answers.items() if not _ok(key))
    return Sample(
        t=round(t, 2),
        rss_mib=round(status["VmRSS"] if status else rss, 1),
        heap_mib=round(status["RssAnon"], 1) if status else None,
        fds=open_fds(server),
        requests=sum(answers.values()),
        errors=errors,
        cpu_seconds=round(cpu, 2),
    )


def _ok(answer: str) -> bool:
    return answer.isdigit() and int(answer) < 400


async def _drive(
    server: ServerProcess, requests: list[Req], plan: SoakPlan, console: Console
) -> tuple[list[Sample], Counter[str], list[float], list[str]]:
    cycle = itertools.cycle(requests)  # one shared sequence, as load._drive replays it
    answers: Counter[str] = Counter()  # status code, or the exception's name
    latencies: list[float] = []
    kept: list[str] = []
    samples: list[Sample] = []
    limits = httpx.Limits(max_connections=plan.clients, max_keepalive_connections=plan.clients)
    async with httpx.AsyncClient(base_url=server.base_url, limits=limits, timeout=60) as client:
        started = time.perf_counter()
        deadline = started + plan.seconds

        async def client_loop() -> None:
            while time.perf_counter() < deadline:
                req = next(cycle)
                t0 = time.perf_counter()
                try:
                    response = await client.request(
                        req.method, req.path, headers=req.headers, content=req.body
                    )
                except httpx.HTTPError as exc:  # no answer: counted, the run goes on
                    answer, text = type(exc).__name__, str(exc)
                else:
                    answer, text = str(response.status_code), response.text[:200]
                latencies.append((time.perf_counter() - t0) * 1000)
                answers[answer] += 1
                if not _ok(answer) and len(kept) < KEPT_ERRORS:
                    kept.append(f"{req.method} {req.path} -> {answer} {text}")

        async def sampler() -> None:
            while True:
                now = time.perf_counter()
                sample = _sample(server, now - started, answers)
                samples.append(sample)
                _progress(console, samples)
                if now >= deadline:
                    return
                await asyncio.sleep(min(plan.interval, max(0.0, deadline - now) + 0.01))

        await asyncio.gather(sampler(), *(client_loop() for _ in range(plan.clients)))
    return samples, answers, latencies, kept


def _progress(console: Console, samples: list[Sample]) -> None:
    last = samples[-1]
    rate = 0.0
    if len(samples) > 1 and last.t > samples[-2].t:
        rate = (last.requests - samples[-2].requests) / (last.t - samples[-2].t)
    console.print(
        f"{last.t:6.0f} s {rate:6.0f} req/s  err {last.errors}  rss {last.rss_mib:.0f} MiB  "
        f"heap {last.heap_mib or 0:.0f} MiB  fds {last.fds}"
    )


def flatness(values: list[float], tolerance: float) -> dict[str, Any]:
    """How far `values` stray from the first of them: flat when never beyond `tolerance`."""
    if not values or values[0] <= 0:
        return {"samples": len(values), "flat": False}
    first = values[0]
    worst = max(abs(v / first - 1) for v in values)
    return {
        "samples": len(values),
        "first": first,
        "last": values[-1],
        "min": min(values),
        "max": max(values),
        "max_deviation": round(worst, 4),
        "flat": worst <= tolerance,
    }


def verdict(samples: list[Sample], answers: Counter[str], plan: SoakPlan) -> dict[str, Any]:
    """Errors, and RSS / fds flatness after the warm-up; `passed` when all hold."""
    after = [s for s in samples if s.t >= plan.warmup_seconds]
    errors = sum(n for key, n in answers.items() if not _ok(key))
    rss = flatness([s.rss_mib for s in after], plan.tolerance)
    fds = flatness([float(s.fds) for s in after], plan.tolerance)
    heaps = [s.heap_mib for s in after if s.heap_mib is not None]
    heap = flatness(heaps, plan.tolerance) if heaps else None
    return {
        "errors": errors,
        "rss": rss,
        "fds": fds,
        "heap": heap,  # reported beside RSS: the part a leak of Python objects would grow
        "passed": errors == 0 and rss["flat"] and fds["flat"],
    }


def run_soak(plan: SoakPlan, folder: Path, console: Console, command: str) -> dict[str, Any]:
    """Run the soak, write soak.json and soak.md to `folder`; the result (its `verdict`)."""
    started = dt.datetime.now(dt.UTC)
    dataset = ensure_dataset(plan.size, plan.db, console)
    config = ServerConfig(
        "soak", reader="optimized", cache="on", workers=plan.workers, redis_url=plan.redis
    )
    with tempfile.TemporaryDirectory(prefix="foyer-soak-") as tmp:
        url, handle = working_copy(dataset, Path(tmp))
        ceiling = Path(tmp) / "ceiling"
        ceiling.mkdir()
        server = ServerProcess(config, url, ceiling)
        try:
            server.start()
            scenario = mixed(build_context(server.base_url, dataset_logins(dataset)))
            console.print(
                f"soak: {plan.clients} clients × {plan.seconds:.0f} s of the mixed session "
                f"({dataset.size}, {plan.db}), a sample every {plan.interval:.1f} s"
            )
            samples, answers, latencies, kept = asyncio.run(
                _drive(server, scenario.requests, plan, console)
            )
        finally:
            server.stop()
            drop_working_copy(dataset, handle)
    latencies.sort()
    seconds = samples[-1].t if samples else plan.seconds
    result = {
        "meta": {
            "command": command,
            "started_at": started.isoformat(),
            "finished_at": dt.datetime.now(dt.UTC).isoformat(),
            "machine": {
                "cpus": os.cpu_count(),
                "load_average": os.getloadavg(),
                "python": platform.python_version(),
                "platform": platform.platform(),
            },
            "plan": asdict(plan),
            # FOYER_* settings the server inherited from this shell (FOYER_CACHE_L1_BYTES=…
            # foyer bench --soak), secrets left out.
            "server_env": {
                name: value
                for name, value in sorted(os.environ.items())
                if name.startswith("FOYER_")
                and not any(word in name for word in ("SECRET", "PASSWORD", "TOKEN", "KEY"))
            },
            "scenario": scenario.description,
            "dataset_rows": dataset.rows,
        },
        "totals": {
            "requests": sum(answers.values()),
            "answers": dict(answers),
            "throughput_rps": round(sum(answers.values()) / seconds, 1) if seconds else 0.0,
            "latency_ms": {
                q: round(_percentile(latencies, p), 2)
                for q, p in (("p50", 50), ("p95", 95), ("p99", 99), ("max", 100))
            },
        },
        "errors_kept": kept,
        "samples": [asdict(s) for s in samples],
        "verdict": verdict(samples, answers, plan),
    }
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "soak.json").write_bytes(orjson.dumps(result, option=orjson.OPT_INDENT_2))
    (folder / "soak.md").write_text(markdown(result))
    return result


def soak_command(plan: SoakPlan, folder: Path, console: Console) -> int:
    """`foyer bench --soak`: run, report, and the exit status (0 passed, 1 failed)."""
    command = " ".join(["foyer", *sys.argv[1:]])
    passed = run_soak(plan, folder, console, command)["verdict"]["passed"]
    console.print(f"wrote {folder}/soak.json and soak.md: {'passed' if passed else 'FAILED'}")
    return 0 if passed else 1
