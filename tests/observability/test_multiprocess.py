"""`foyer serve --workers 2`: one /metrics scrape counts the requests of both workers
(prometheus_client's multiprocess mode, set up by the serve command); on PostgreSQL +
Redis, both workers answer exactly what the other wrote."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import httpx2 as httpx
import pytest

from foyer.auth.security import issue_token
from foyer.bench.server import free_port
from foyer.db.engine import make_engine
from foyer.settings import Settings
from tests.factories import make_transaction, make_user
from tests.helpers import create_pg_database, drop_pg_database, reachable_redis_url

SECRET = "multiprocess-test-secret-0123456789abcdef"
ROUTE = "/api/v1/monitoring/performance"


def _wait_until_up(base: str, process: subprocess.Popen[bytes], output: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert process.poll() is None, output.read_text()
        try:
            if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise AssertionError("foyer serve --workers 2 did not start within 60 s")


def _count(metrics: str, route: str) -> float:
    pattern = re.compile(r"^foyer_request_seconds_count\{(?P<labels>[^}]*)\} (?P<value>\S+)$")
    total = 0.0
    for line in metrics.splitlines():
        match = pattern.match(line)
        if match and f'route="{route}"' in match["labels"] and 'status="200"' in match["labels"]:
            total += float(match["value"])
    return total


def _serve_two_workers(
    url: str, env: dict[str, str], tmp_path: Path
) -> tuple[subprocess.Popen[bytes], str, dict[str, str]]:
    """`foyer migrate`, an operator, then `foyer serve --workers 2` up: (server, base URL,
    the operator's headers). The caller stops the server."""
    foyer = [sys.executable, "-m", "foyer"]
    subprocess.run([*foyer, "migrate"], env=env, check=True, capture_output=True)
    engine = make_engine(Settings(database_url=url, _env_file=None))  # type: ignore[call-arg]
    user = make_user(engine, email="ops@example.com", household="Ops", operator=True)
    engine.dispose()
    token = issue_token(SECRET, user_id=user.id, household_id=user.household_id, ttl_minutes=60)
    port = free_port()
    output = tmp_path / "serve.log"
    with output.open("wb") as log:
        server = subprocess.Popen(
            [*foyer, "serve", "--workers", "2", "--port", str(port)],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(base, server, output)
    except BaseException:
        server.terminate()
        server.wait(timeout=30)
        raise
    return server, base, {"Authorization": f"Bearer {token}"}


def test_one_scrape_sees_every_worker(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'foyer.db'}"
    env = {
        **os.environ,
        "FOYER_DATABASE_URL": url,
        "FOYER_SECRET_KEY": SECRET,
        "FOYER_CACHE_WARM_HOUSEHOLDS": "0",
        "FOYER_QUEUE_PATH": str(tmp_path / "queue.db"),
    }
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    server, base, headers = _serve_two_workers(url, env, tmp_path)
    try:
        pids: set[int] = set()
        requests = 0
        while len(pids) < 2 and requests < 500:
            # A new connection each time, so the kernel may hand it to either worker.
            response = httpx.get(f"{base}{ROUTE}", headers=headers, timeout=10)
            assert response.status_code == 200, response.text
            pids.add(response.json()["pid"])
            requests += 1
        assert len(pids) == 2, f"one worker answered all {requests} requests"
        scraped = httpx.get(f"{base}/metrics", timeout=10).text
        assert _count(scraped, ROUTE) == requests
    finally:
        server.terminate()
        server.wait(timeout=30)


@pytest.mark.postgres
@pytest.mark.redis
def test_two_workers_on_postgres_and_redis_answer_exactly(tmp_path: Path) -> None:
    """The production layout in small: `foyer serve --workers 2` on PostgreSQL + Redis.
    Every write, through whichever worker, is in the next summary, through whichever
    worker (each on a new connection): both workers' stamp feeds live, 0 stale."""
    url = create_pg_database("foyer_workers")
    env = {
        **os.environ,
        "FOYER_DATABASE_URL": url,
        "FOYER_REDIS_URL": reachable_redis_url(),
        "FOYER_SECRET_KEY": SECRET,
        "FOYER_CACHE_WARM_HOUSEHOLDS": "0",
        "FOYER_QUEUE_PATH": str(tmp_path / "queue.db"),
    }
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    server = None
    try:
        server, base, headers = _serve_two_workers(url, env, tmp_path)
        summary = f"{base}/api/v1/dashboard/summary?month=2025-06"
        count, total, stale = 0, 0, []
        for pair in range(100):
            cents = 100 + pair * 7
            body = make_transaction(date="2025-06-12", amount=-cents / 100)
            created = httpx.post(f"{base}/api/v1/transactions", json=body, headers=headers)
            assert created.status_code == 201, created.text
            count, total = count + 1, total + cents
            for _ in range(2):  # twice: the second is a hit in whichever worker answers
                seen = httpx.get(summary, headers=headers, timeout=10)
                assert seen.status_code == 200, seen.text
                variable = seen.json()["variable"]
                if (variable["count"], round(variable["total"] * 100)) != (count, total):
                    stale.append(f"pair {pair}: {variable} != {(count, total)}")
        feeds: dict[int, dict[str, object]] = {}
        for _ in range(500):
            if len(feeds) == 2:
                break
            report = httpx.get(f"{base}{ROUTE}", headers=headers, timeout=10).json()
            feeds[report["pid"]] = report["stamp_feed"]
        assert stale == []
        assert len(feeds) == 2, "one worker answered every request"
        for pid, feed in feeds.items():
            assert feed["live"] is True, (pid, feed)
            assert isinstance(feed["fences"], int)
            assert feed["fences"] >= 1, (pid, feed)
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=30)
        drop_pg_database(url)
