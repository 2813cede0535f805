"""Freshness: after any committed write, every process's next read of a view that depends
on it equals a fresh computation, whatever its cache held; Redis failing never changes an
answer. (Two real server processes: tests/cache/test_cross_process.py.)
"""

from __future__ import annotations

import random
import shutil
import subprocess
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from foyer.bench.server import free_port
from foyer.cache.store import redis_client
from foyer.cache.views import VIEWS
from tests.factories import Api, household_api, make_fixed_line, make_transaction
from tests.helpers import service_unavailable, view_request

MONTHS = ("2025-05", "2025-06")


@pytest.fixture
def second_client(fresh_app: Callable[..., FastAPI]) -> Iterator[TestClient]:
    """Another app on the same database: its own L1, as another worker process has."""
    with TestClient(fresh_app(), raise_server_exceptions=False) as client:
        yield client


def _views(api: Api) -> dict[str, Any]:
    """Every declared view (foyer.cache.views.VIEWS): each month for those of a month, a
    year for those of a range."""
    out = {}
    for view in VIEWS:
        if "month" in view.params:
            for month in MONTHS:
                path, query = view_request(view, limit=3, month=month)
                out[f"{view.name} {month}"] = api.ok(path, **query)
        else:
            path, query = view_request(view, **{"from": "2025-01", "to": "2025-12"})
            out[view.name] = api.ok(path, **query)
    return out


def test_a_write_through_one_process_is_read_fresh_through_another(
    client: TestClient, second_client: TestClient, engine: Engine
) -> None:
    writer = household_api(client, engine, email="w@example.com", household="Shared")
    reader = Api(second_client, writer.headers, writer.household_id)
    rng = random.Random(5)
    ids: list[int] = []
    for step in range(60):
        _views(reader)  # fill the reader's cache with the current state
        kind = rng.choice(["insert", "insert", "patch", "patch", "delete", "config", "fixed"])
        if kind == "insert" or not ids:
            ids += writer.create_transactions(
                make_transaction(
                    date=f"{rng.choice(MONTHS)}-{rng.randint(1, 28):02d}",
                    amount=-rng.randint(1, 9000) / 100,
                    category=rng.choice(["courses", "loisirs"]),
                )
            )
        elif kind == "patch":
            # Each field alone too: a retag must change the details' key, not the summary's.
            body = rng.choice(
                [
                    {"exclude": rng.random() < 0.5, "category": rng.choice(["courses", "x"])},
                    {"tags": rng.choice([[], ["a"], ["a", "b"]])},
                    {"label": rng.choice(["CB SHOP", "CB OTHER"])},
                    {"expense_type": rng.choice(["VARIABLE", "FIXED", "PROVISION"])},
                ]
            )
            assert writer.patch(f"/transactions/{rng.choice(ids)}", body).status_code == 200
        elif kind == "delete":
            assert writer.delete(f"/transactions/{ids.pop()}").status_code == 204
        elif kind == "config":
            assert writer.put("/config", {"income1": rng.randint(1000, 5000)}).status_code == 200
        else:
            assert writer.post("/fixed-lines", make_fixed_line(amount=step + 1)).status_code == 201
        # The other process answers from its cache where it can: never stale.
        seen = _views(reader)
        second_client.app.state.foyer.cache.clear_l1()  # type: ignore[attr-defined]
        assert _views(reader) == seen, f"stale read after step {step} ({kind})"


@pytest.fixture
def own_redis() -> Iterator[tuple[int, Any]]:
    """A redis-server of this test's own on a free port (the shared one is never touched)."""
    binary = shutil.which("redis-server")
    if binary is None:
        service_unavailable("redis-server is not installed")
    port = free_port()
    args = [binary, "--port", str(port), "--save", "", "--appendonly", "no"]

    def start() -> subprocess.Popen[bytes]:
        process = subprocess.Popen(args, stdout=subprocess.DEVNULL)
        probe = redis_client(f"redis://127.0.0.1:{port}/0", timeout=0.2)
        for _ in range(100):
            try:
                probe.ping()
                return process
            except Exception:
                time.sleep(0.02)
        raise RuntimeError("redis-server did not start")

    state = {"process": start()}

    def control(action: str) -> None:
        if action == "kill":
            state["process"].kill()
            state["process"].wait()
        else:
            state["process"] = start()

    yield port, control
    state["process"].kill()
    state["process"].wait()


@pytest.mark.redis
def test_redis_dying_and_returning_never_serves_stale(
    fresh_app: Callable[..., FastAPI], engine: Engine, own_redis: tuple[int, Any]
) -> None:
    port, control = own_redis
    apps = [fresh_app(redis_url=f"redis://127.0.0.1:{port}/0") for _ in range(2)]
    for app in apps:  # fast recovery for the test: the breaker retries after 0.2 s
        app.state.foyer.cache.breaker.cooldown = 0.2
    with TestClient(apps[0]) as one, TestClient(apps[1]) as two:
        writer = household_api(one, engine, email="r@example.com", household="Redis")
        reader = Api(two, writer.headers, writer.household_id)
        for phase in ("up", "killed", "restarted"):
            if phase == "killed":
                control("kill")
            elif phase == "restarted":
                control("start")
                time.sleep(0.3)  # past the breaker's cooldown
            for i in range(6):
                writer.create_transactions(make_transaction(amount=-(i + 1)))
                if phase == "up":  # the count below is the writer's reads', not a race's
                    apps[0].state.foyer.warmer.wait()
                seen = reader.ok("/dashboard/summary", month="2025-06")
                fresh = writer.ok("/dashboard/summary", month="2025-06")
                assert seen == fresh, phase
                assert seen["actuals"]["transactions"] == writer_count(writer)
            if phase == "up":
                # The writer's first read found what the reader had put in Redis; after
                # that, its own writes warm the summary it read (in its L1, and Redis).
                assert writer.count("summary", "l2", "hit") == 1


def writer_count(api: Api) -> int:
    page = api.ok("/transactions", month="2025-06", limit=500)
    return len(page["items"])
