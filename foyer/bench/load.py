"""Load generators: wrk with a Lua script (throughput), an async Python client (checks).

wrk (C, epoll) drives far more requests per second than any Python client on this 2-core
machine, so throughput and latency figures come from it. The async client replays each
scenario once to check every response (status and JSON) and to capture bodies for the
ceiling route, and runs the CI smoke where wrk may be absent. Both are closed-loop: each
connection sends its next request when the previous answer arrives.
"""

from __future__ import annotations

import asyncio
import itertools
import shutil
import statistics
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import httpx2 as httpx
import orjson

from foyer.bench.scenarios import Req


@dataclass(frozen=True, slots=True)
class LoadResult:
    requests: int
    errors: int
    seconds: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    max_ms: float

    @property
    def throughput(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    @property
    def error_rate(self) -> float:
        return self.errors / self.requests if self.requests else 0.0


def have_wrk() -> bool:
    return shutil.which("wrk") is not None


def _lua_string(value: str) -> str:
    escaped = value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{escaped}"'


def wrk_script(requests: list[Req]) -> str:
    lines = ["local reqs = {"]
    for req in requests:
        headers = ", ".join(f"[{_lua_string(k)}]={_lua_string(v)}" for k, v in req.headers.items())
        body = "nil" if req.body is None else _lua_string(req.body.decode())
        method, path = _lua_string(req.method), _lua_string(req.path)
        lines.append(f"  wrk.format({method}, {path}, {{{headers}}}, {body}),")
    lines += [
        "}",
        "local i = 0",
        "request = function() i = i % #reqs + 1; return reqs[i] end",
        "done = function(summary, latency, requests)",
        "  local e = summary.errors",
        '  io.write(string.format(\'\\n{"requests":%d,"duration_us":%d,"errors":%d,'
        '"p50":%f,"p95":%f,"p99":%f,"max":%f}\\n\', summary.requests, summary.duration,'
        " e.connect + e.read + e.write + e.status + e.timeout, latency:percentile(50),"
        " latency:percentile(95), latency:percentile(99), latency.max))",
        "end",
    ]
    return "\n".join(lines) + "\n"


def run_wrk(base_url: str, requests: list[Req], concurrency: int, seconds: float) -> LoadResult:
    """Closed-loop load from wrk (one thread: the server needs the other core)."""
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(wrk_script(requests))
    try:
        wrk = shutil.which("wrk") or "wrk"
        # wrk takes whole seconds only.
        duration = f"-d{max(1, round(seconds))}s"
        args = [wrk, "-t1", f"-c{concurrency}", duration, "--timeout", "30s"]
        completed = subprocess.run(  # noqa: S603 (fixed program, our arguments)
            [*args, "-s", script.name, base_url],
            capture_output=True,
            text=True,
            check=True,
        )
    finally:
        Path(script.name).unlink(missing_ok=True)
    line = next(ln for ln in reversed(completed.stdout.splitlines()) if ln.startswith("{"))
    data = orjson.loads(line)
    return LoadResult(
        requests=data["requests"],
        errors=data["errors"],
        seconds=data["duration_us"] / 1e6,
        p50_ms=data["p50"] / 1000,
        p95_ms=data["p95"] / 1000,
        p99_ms=data["p99"] / 1000,
        max_ms=data["max"] / 1000,
    )


def _percentile(sorted_values: list[float], q: float) -> float:
    if not sorted_values:
        return 0.0
    index = min(len(sorted_values) - 1, max(0, round(q / 100 * len(sorted_values)) - 1))
    return sorted_values[index]


async def _drive(
    base_url: str, requests: list[Req], concurrency: int, seconds: float
) -> LoadResult:
    cycle = itertools.cycle(requests)
    latencies: list[float] = []
    errors = 0
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=base_url, limits=limits, timeout=30) as client:
        started = time.perf_counter()
        deadline = started + seconds

        async def worker() -> None:
            nonlocal errors
            while time.perf_counter() < deadline:
                req = next(cycle)
                t0 = time.perf_counter()
                response = await client.request(
                    req.method, req.path, headers=req.headers, content=req.body
                )
                latencies.append((time.perf_counter() - t0) * 1000)
                errors += response.status_code >= 400

        await asyncio.gather(*(worker() for _ in range(concurrency)))
        elapsed = time.perf_counter() - started
    latencies.sort()
    return LoadResult(
        requests=len(latencies),
        errors=errors,
        seconds=elapsed,
        p50_ms=statistics.median(latencies) if latencies else 0.0,
        p95_ms=_percentile(latencies, 95),
        p99_ms=_percentile(latencies, 99),
        max_ms=latencies[-1] if latencies else 0.0,
    )


def run_python(base_url: str, requests: list[Req], concurrency: int, seconds: float) -> LoadResult:
    """Closed-loop load from an async Python client (slower generator, no extra tool)."""
    return asyncio.run(_drive(base_url, requests, concurrency, seconds))


class ScenarioCheckError(AssertionError):
    """A scenario request did not get a successful JSON answer."""


def check_and_capture(base_url: str, requests: list[Req]) -> list[bytes]:
    """Replay each request once; every answer must be 2xx JSON. Returns the bodies."""
    bodies = []
    with httpx.Client(base_url=base_url, timeout=120) as client:
        for req in requests:
            response = client.request(req.method, req.path, headers=req.headers, content=req.body)
            if response.status_code >= 300:
                raise ScenarioCheckError(
                    f"{req.method} {req.path} -> {response.status_code}: {response.text[:300]}"
                )
            orjson.loads(response.content)
            bodies.append(response.content)
    return bodies
