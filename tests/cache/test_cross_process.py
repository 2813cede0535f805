"""Two real server processes on one PostgreSQL database: never a stale read.

1,000 randomised pairs: a view is read (and so cached) through both servers, a write goes
through server A, and the same view read through server B must equal a fresh computation
from the database. Run with Redis as the shared L2, and with L1 only (no Redis: each
process keeps its own entries; the data stamps read from the database keep them fresh).
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx2 as httpx
import pytest

from foyer.auth.security import issue_token
from foyer.bench.server import BENCH_SECRET, ServerConfig, ServerProcess
from foyer.db.engine import read_connection
from foyer.db.migrate import upgrade
from foyer.read import ReferenceReader
from tests.factories import make_fixed_line, make_transaction, make_user
from tests.helpers import create_pg_database, drop_pg_database, engine_for, reachable_redis_url

PAIRS = 1_000
MONTHS = ("2025-04", "2025-05", "2025-06")
reference = ReferenceReader()


@pytest.fixture
def pg_database() -> Iterator[str]:
    url = create_pg_database("foyer_xproc")
    yield url
    drop_pg_database(url)


def _expected(conn: Any, view: str, household_id: int, month: str) -> Any:
    h = {"household_id": household_id}
    if view == "summary":
        return reference.summary(conn, **h, month=month)
    if view == "hierarchy":
        return reference.hierarchy(conn, **h, month=month)
    if view == "drill":
        return reference.drill_down_summary(conn, **h, category="courses", month=month)
    if view == "provisions":
        return reference.provisions_calculate(conn, **h, month=month)
    return reference.trends(conn, **h, start=MONTHS[0], end=MONTHS[-1])


def _path(view: str, month: str) -> str:
    return {
        "summary": f"/api/v1/dashboard/summary?month={month}",
        "hierarchy": f"/api/v1/transactions/hierarchy?month={month}",
        "drill": f"/api/v1/dashboard/drill-down/courses?month={month}",
        "provisions": f"/api/v1/provisions/calculate?month={month}",
        "trends": f"/api/v1/dashboard/trends?from={MONTHS[0]}&to={MONTHS[-1]}",
    }[view]


@pytest.mark.postgres
@pytest.mark.parametrize("tier", ["redis", "l1-only"])
def test_no_stale_read_across_two_server_processes(
    pg_database: str, tmp_path: Path, tier: str
) -> None:
    redis_url = reachable_redis_url() if tier == "redis" else None
    engine = engine_for(pg_database)
    upgrade(engine)
    user = make_user(engine, email="x@example.com", household="Two processes")
    token = issue_token(
        BENCH_SECRET, user_id=user.id, household_id=user.household_id, ttl_minutes=60
    )
    headers = {"Authorization": f"Bearer {token}"}
    config = ServerConfig(tier, reader="optimized", cache="on", redis_url=redis_url)
    servers = [ServerProcess(config, pg_database, tmp_path) for _ in range(2)]
    rng = random.Random(2026)
    ids: list[int] = []
    stale: list[str] = []
    try:
        for server in servers:
            server.start()
        with (
            httpx.Client(base_url=servers[0].base_url, headers=headers) as a,
            httpx.Client(base_url=servers[1].base_url, headers=headers) as b,
        ):
            for pair in range(PAIRS):
                view = rng.choice(["summary", "hierarchy", "drill", "provisions", "trends"])
                month = rng.choice(MONTHS)
                path = _path(view, month)
                b.get(path).raise_for_status()  # both processes hold the current state
                a.get(path).raise_for_status()
                _write(a, rng, ids, month)
                seen = b.get(path)
                seen.raise_for_status()
                with read_connection(engine) as conn:
                    fresh = _expected(conn, view, user.household_id, month)
                if seen.json() != fresh:
                    stale.append(f"pair {pair}: {view} {month}")
    finally:
        for server in servers:
            server.stop()
        engine.dispose()
    assert stale == []


def _write(a: httpx.Client, rng: random.Random, ids: list[int], month: str) -> None:
    kind = rng.choice(["insert", "insert", "patch", "delete", "config", "fixed"])
    if kind == "insert" or not ids:
        body = make_transaction(
            date=f"{month}-{rng.randint(1, 28):02d}",
            amount=-rng.randint(1, 20000) / 100,
            category=rng.choice(["courses", "loisirs"]),
            tags=rng.choice([[], ["vacances"]]),
        )
        response = a.post("/api/v1/transactions", json=body)
        response.raise_for_status()
        ids.append(response.json()["id"])
    elif kind == "patch":
        body = {"category": rng.choice(["courses", "loisirs"]), "exclude": rng.random() < 0.3}
        a.patch(f"/api/v1/transactions/{rng.choice(ids)}", json=body).raise_for_status()
    elif kind == "delete":
        a.delete(f"/api/v1/transactions/{ids.pop(rng.randrange(len(ids)))}").raise_for_status()
    elif kind == "config":
        a.put("/api/v1/config", json={"income1": rng.randint(1000, 6000)}).raise_for_status()
    else:
        line = make_fixed_line(amount=rng.randint(10, 900))
        a.post("/api/v1/fixed-lines", json=line).raise_for_status()
