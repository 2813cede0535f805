"""A foyer server in a subprocess, with the configuration under test, and its resource use."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx2 as httpx
import orjson
import psutil

from foyer.observability.logs import logging_config

#: Bench servers share a known key so the harness can mint cursors for deep pages.
BENCH_SECRET = "foyer-bench-secret-key-not-for-production-use"  # noqa: S105


@dataclass(frozen=True, slots=True)
class ServerConfig:
    """What varies between measured configurations."""

    name: str
    reader: str = "reference"  # FOYER_READER: the dashboard read path
    cache: str = "off"
    workers: int = 1
    redis_url: str | None = None
    extra_env: dict[str, str] = field(default_factory=dict)
    tree: str | None = None  # another checkout whose code the server runs (None: this one)

    def place(self) -> tuple[dict[str, str], str | None]:
        """The environment and working directory that make the server import `tree`'s
        foyer: `python -m` puts the working directory first on the import path, before
        PYTHONPATH and the editable install of this checkout."""
        if self.tree is None:
            return {}, None
        return {"PYTHONPATH": self.tree}, self.tree


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def uvicorn_command(
    factory: str, port: int, workers: int, log_config: Path | None = None
) -> list[str]:
    """The uvicorn command line of every bench server (the same options for each target;
    `log_config`: a dictConfig file, as `foyer serve` hands uvicorn foyer's logging)."""
    logging = [] if log_config is None else ["--log-config", str(log_config)]
    return [
        sys.executable,
        "-m",
        "uvicorn",
        factory,
        "--factory",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        str(workers),
        "--log-level",
        "warning",
        "--no-access-log",
        *logging,
    ]


def _tail(path: Path, lines: int = 20) -> str:
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])


class ServerProcess:
    def __init__(self, config: ServerConfig, database_url: str, ceiling_dir: Path) -> None:
        self.config = config
        self.database_url = database_url
        self.ceiling_dir = ceiling_dir
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None
        self._ps: psutil.Process | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 60.0) -> None:
        env = {
            **os.environ,
            "FOYER_DATABASE_URL": self.database_url,
            "FOYER_READER": self.config.reader,
            "FOYER_CACHE": self.config.cache,
            "FOYER_SECRET_KEY": BENCH_SECRET,
            "FOYER_BENCH_CEILING_DIR": str(self.ceiling_dir),
            "FOYER_LOGIN_RATE_LIMIT": "1000/second",
            "FOYER_WRITE_QUOTA": "0",  # the import benchmark writes a million rows an hour
            # Logged as `foyer serve` logs (JSON, INFO: the access lines too, the observer's
            # work in production), into the run's folder rather than the terminal.
            "FOYER_LOG_LEVEL": "INFO",
            # The job queue's file beside the run's own files, never in the working directory.
            "FOYER_QUEUE_PATH": str(self.ceiling_dir.parent / "queue.db"),
            **self.config.extra_env,
        }
        if self.config.redis_url:
            env["FOYER_REDIS_URL"] = self.config.redis_url
        else:
            env.pop("FOYER_REDIS_URL", None)
        # Beside the ceiling's bodies, in a folder of their own (never a ceiling key).
        logs = self.ceiling_dir / "logs"
        logs.mkdir(parents=True, exist_ok=True)
        log_config = logs / f"{self.port}-logging.json"
        access = env.get("FOYER_ACCESS_LOG", "on") == "on"
        log_config.write_bytes(
            orjson.dumps(logging_config(env["FOYER_LOG_LEVEL"], access_log=access))
        )
        factory = "foyer.app:create_app_from_env"
        command = uvicorn_command(factory, self.port, self.config.workers, log_config)
        code_env, cwd = self.config.place()
        env.update(code_env)
        self.launch(command, env, timeout, log=logs / f"{self.port}.log", cwd=cwd)

    def launch(
        self,
        command: list[str],
        env: dict[str, str],
        timeout: float,
        ready: str = "/ready",
        log: Path | None = None,
        cwd: str | None = None,
    ) -> None:
        """Run `command` (its stderr to `log`, when given) until GET `ready` answers 200."""
        stderr = None if log is None else log.open("ab")
        try:
            # Our own interpreter, our arguments.
            self.process = subprocess.Popen(command, env=env, stderr=stderr, cwd=cwd)  # noqa: S603
        finally:
            if stderr is not None:
                stderr.close()  # the child has its own descriptor
        self._ps = psutil.Process(self.process.pid)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                tail = "" if log is None else "; its log ends:\n" + _tail(log)
                raise RuntimeError(
                    f"server {self.config.name} exited with {self.process.returncode}{tail}"
                )
            try:
                if httpx.get(f"{self.base_url}{ready}", timeout=1.0).status_code == 200:
                    return
            except httpx.TransportError:
                pass  # not listening yet
            time.sleep(0.1)
        self.stop()
        raise TimeoutError(f"server {self.config.name} not ready after {timeout:.0f}s")

    def _processes(self) -> list[psutil.Process]:
        assert self._ps is not None
        return [self._ps, *self._ps.children(recursive=True)]

    def usage(self) -> tuple[float, float]:
        """(resident memory in MiB, CPU seconds used so far) over the server's processes."""
        rss, cpu = 0.0, 0.0
        for proc in self._processes():
            try:
                rss += proc.memory_info().rss / 2**20
                times = proc.cpu_times()
                cpu += times.user + times.system
            except psutil.NoSuchProcess:
                continue  # a worker restarting between the listing and the reading
        return rss, cpu

    def reset_peak(self) -> bool:
        """Start the processes' peak resident memory (VmHWM) afresh; False where Linux's
        /proc/<pid>/clear_refs is not writable."""
        try:
            for proc in self._processes():
                Path(f"/proc/{proc.pid}/clear_refs").write_text("5")
        except OSError:
            return False
        return True

    def memory_status(self) -> dict[str, float] | None:
        """Linux's memory counters of the processes, summed, in MiB: VmHWM (peak resident
        since `reset_peak`, the kernel's own high-water mark), VmRSS, RssAnon (the heap:
        Python's objects) and RssFile (mapped files: SQLite's mmap of the database);
        None off Linux."""
        names = ("VmHWM", "VmRSS", "RssAnon", "RssFile")
        total = dict.fromkeys(names, 0.0)
        try:
            for proc in self._processes():
                for line in Path(f"/proc/{proc.pid}/status").read_text().splitlines():
                    name, _, value = line.partition(":")
                    if name in total:
                        total[name] += int(value.split()[0]) / 1024
        except (OSError, ValueError):
            return None
        return total

    def wait_idle(
        self, *, window: float = 0.3, busy_below: float = 0.05, timeout: float = 600.0
    ) -> float:
        """Block until the server uses < `busy_below` of a core over `window` seconds.

        A load generator that stops at the end of a cell leaves requests in flight; the
        server goes on computing them after the clients are gone. Without this wait that
        work would land on the next cell, i.e. on another target. Returns seconds waited.
        """
        started = time.monotonic()
        _, cpu = self.usage()
        while time.monotonic() - started < timeout:
            time.sleep(window)
            _, now = self.usage()
            if (now - cpu) / window < busy_below:
                return time.monotonic() - started
            cpu = now
        raise TimeoutError(f"server {self.config.name} still busy after {timeout:.0f}s")

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


class PeakMemory:
    """The server's resident memory from now on, in MiB: its peak in all (the kernel's
    VmHWM where there is one, else sampled) and the peak of its heap alone (RssAnon,
    sampled every 20 ms; None off Linux). SQLite maps the database file into the server
    (`mmap_size`), so its resident total grows with the database read, not with the work."""

    def __init__(self, server: ServerProcess) -> None:
        self.server = server
        status = server.memory_status()
        self.start = server.usage()[0]
        self.start_heap = None if status is None else status["RssAnon"]
        self.sampled, self.sampled_heap = self.start, self.start_heap
        self.window_heap = self.start_heap  # the heap's peak since `window_peak` last ran
        self._hwm = server.reset_peak()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()

    def _sample(self) -> None:
        while not self._stop.wait(0.02):
            status = self.server.memory_status()
            if status is None:
                self.sampled = max(self.sampled, self.server.usage()[0])
            else:
                self.sampled = max(self.sampled, status["VmRSS"])
                self.sampled_heap = max(self.sampled_heap or 0.0, status["RssAnon"])
                self.window_heap = max(self.window_heap or 0.0, status["RssAnon"])

    def window_peak(self) -> tuple[float, float] | None:
        """(the heap now, its peak since the last call), starting a new window; None off
        Linux. One window per imported file tells that file's own need from what the
        process kept of the files before (the allocator's free lists, SQLite's caches)."""
        status = self.server.memory_status()
        if status is None or self.window_heap is None:
            return None
        now, peak = status["RssAnon"], max(self.window_heap, status["RssAnon"])
        self.window_heap = now
        return now, peak

    def peaks(self) -> tuple[float, float | None]:
        """(peak resident, peak heap) since construction."""
        self._stop.set()
        self._thread.join()
        status = self.server.memory_status() if self._hwm else None
        return max(self.sampled, status["VmHWM"] if status else 0.0), self.sampled_heap
