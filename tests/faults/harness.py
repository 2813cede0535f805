"""What the fault tests share: a migrated database with households, a foyer server in a
subprocess, and a recorder of every answer the load got.

The servers are `foyer.bench.server.ServerProcess` (the benchmarks' own: uvicorn in a
subprocess, ready when /ready answers), with the bench's known signing key, so the tests
mint tokens without an argon2 login per household.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx2 as httpx

from foyer.auth.security import issue_token
from foyer.bench.server import BENCH_SECRET, ServerConfig, ServerProcess
from foyer.db.engine import read_connection
from foyer.services import aggregates
from tests.factories import make_user
from tests.helpers import REPO, engine_for

#: Answers that are not errors: the load's reads may be 304s (If-None-Match).
OK_STATUSES = frozenset({200, 201, 204, 304})
#: A request that takes longer is a hang, and counted as one.
CLIENT_TIMEOUT = 15.0


@dataclass(frozen=True, slots=True)
class Household:
    id: int
    headers: dict[str, str]


def foyer_command(*args: str, database_url: str) -> subprocess.CompletedProcess[str]:
    """`foyer ARGS` in a subprocess on `database_url` (as an operator would run it)."""
    env = {**os.environ, "FOYER_DATABASE_URL": database_url}
    return subprocess.run(
        [sys.executable, "-m", "foyer", *args],
        env=env,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def migrate(database_url: str) -> None:
    done = foyer_command("migrate", database_url=database_url)
    assert done.returncode == 0, done.stdout + done.stderr


def make_households(database_url: str, count: int) -> list[Household]:
    """`count` users, each in a household of their own, with a bearer token each."""
    engine = engine_for(database_url)
    try:
        out = []
        for n in range(count):
            user = make_user(engine, email=f"fault{n}@example.com", household=f"Fault {n}")
            token = issue_token(
                BENCH_SECRET, user_id=user.id, household_id=user.household_id, ttl_minutes=60
            )
            out.append(Household(user.household_id, {"Authorization": f"Bearer {token}"}))
        return out
    finally:
        engine.dispose()


def start_server(
    database_url: str,
    workdir: Path,
    *,
    cache: str = "on",
    redis_url: str | None = None,
    **env: str,
) -> ServerProcess:
    """A foyer server (optimized reader) on `database_url`; FOYER_<NAME>=value from `env`."""
    return start_servers(1, database_url, workdir, cache=cache, redis_url=redis_url, **env)[0]


def start_servers(
    count: int,
    database_url: str,
    workdir: Path,
    *,
    cache: str = "on",
    redis_url: str | None = None,
    **env: str,
) -> list[ServerProcess]:
    """`count` servers as `start_server` makes them, started side by side: a start takes
    seconds on this machine (imports, the app's wiring), and a test that kills servers
    needs several."""
    ceiling = workdir / "ceiling"
    ceiling.mkdir(exist_ok=True)
    extra = {f"FOYER_{name.upper()}": value for name, value in env.items()}
    config = ServerConfig(
        "faults", reader="optimized", cache=cache, redis_url=redis_url, extra_env=extra
    )
    servers = [ServerProcess(config, database_url, ceiling) for _ in range(count)]
    failures: list[BaseException] = []

    def start(server: ServerProcess) -> None:
        try:
            server.start()
        except BaseException as exc:  # re-raised below, once every start has ended
            failures.append(exc)

    threads = [threading.Thread(target=start, args=(s,)) for s in servers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if failures:
        for server in servers:
            server.stop()
        raise failures[0]
    return servers


def aggregate_mismatches(database_url: str) -> list[Any]:
    """`foyer aggregates verify`'s comparison, run here: every stored aggregate group that
    differs from a recomputation from the rows."""
    engine = engine_for(database_url)
    try:
        with read_connection(engine) as conn:
            return aggregates.verify(conn)
    finally:
        engine.dispose()


@dataclass(slots=True)
class Answer:
    phase: str
    method: str
    path: str
    status: int | None  # None: no answer (refused, reset, timed out)
    sent: float  # time.monotonic() when the request went out
    seconds: float  # until the answer (or the failure)
    detail: str = ""
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""


class Recorder:
    """Every answer the load got, labelled with the phase the test was in when it came."""

    def __init__(self) -> None:
        self.phase = "up"
        self.answers: list[Answer] = []
        self.problems: list[str] = []  # stale reads and other wrong answers
        self._lock = threading.Lock()

    def request(
        self, client: httpx.Client, method: str, path: str, **kwargs: Any
    ) -> httpx.Response | None:
        phase, sent = self.phase, time.monotonic()
        try:
            response = client.request(method, path, **kwargs)
        except httpx.HTTPError as exc:
            took, detail = time.monotonic() - sent, f"{type(exc).__name__}: {exc}"
            self._add(Answer(phase, method, path, None, sent, took, detail))
            return None
        self._add(
            Answer(
                phase,
                method,
                path,
                response.status_code,
                sent,
                time.monotonic() - sent,
                headers=dict(response.headers),
                body=b"" if response.status_code in OK_STATUSES else response.content,
            )
        )
        return response

    def problem(self, text: str) -> None:
        with self._lock:
            self.problems.append(f"[{self.phase}] {text}")

    def _add(self, answer: Answer) -> None:
        with self._lock:
            self.answers.append(answer)

    def errors(self) -> list[str]:
        """Every answer that was not a success, as a line each."""
        return [
            f"[{a.phase}] {a.method} {a.path} -> {a.status} {a.detail or a.body[:200]!r}"
            for a in self.answers
            if a.status not in OK_STATUSES
        ]

    def count(self, phase: str, *, ok: bool = True) -> int:
        return sum(1 for a in self.answers if a.phase == phase and (a.status in OK_STATUSES) == ok)


@contextmanager
def running(workers: list[Callable[[threading.Event], None]]) -> Iterator[threading.Event]:
    """Run each worker in a thread until the block ends; a worker's exception fails the test."""
    stop = threading.Event()
    failures: list[BaseException] = []

    def guarded(work: Callable[[threading.Event], None]) -> None:
        try:
            work(stop)
        except BaseException as exc:  # handed to the test below, with its traceback
            failures.append(exc)
            stop.set()

    threads = [threading.Thread(target=guarded, args=(w,), daemon=True) for w in workers]
    for thread in threads:
        thread.start()
    try:
        yield stop
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=CLIENT_TIMEOUT + 5)
    if failures:
        raise failures[0]


def wait_until(check: Callable[[], bool], timeout: float, step: float = 0.05) -> bool:
    """Poll `check` until it holds (True) or `timeout` seconds passed (False)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(step)
    return check()
