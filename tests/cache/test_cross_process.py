"""Two real server processes on one PostgreSQL database: never a stale read.

1,000 randomised pairs: a view is read (and so cached) through both servers, a write goes
through server A, and the same view read through server B must equal a fresh computation
from the database. Each process learns the data stamps from its stamp feed
(foyer/cache/feed.py), so server B answers from what PostgreSQL pushed to it, not from a
query. Run
- with Redis as the shared L2, and with L1 only (each process keeps its own entries);
- with the feeds killed (their connections terminated every few pairs: reads fall back
  while they reconnect, and a feed back must forget what it knew);
- with Redis killed a third of the way and started again at two thirds.
The server's counters prove which path answered: the test fails if the feed never did
(or, killed, never fell back).
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx2 as httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from foyer.auth.security import issue_token
from foyer.bench.server import BENCH_SECRET, ServerConfig, ServerProcess
from foyer.db.engine import read_connection
from foyer.db.migrate import upgrade
from foyer.read import ReferenceReader

# The own-redis fixture (a redis-server on a free port, killed and started on demand).
from tests.cache.test_freshness import own_redis  # noqa: F401
from tests.factories import make_fixed_line, make_transaction, make_user
from tests.helpers import (
    create_pg_database,
    drop_pg_database,
    engine_for,
    pg_admin,
    reachable_redis_url,
)

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


MODES = ("redis", "l1-only", "feed-killed", "redis-killed")
KILL_FEEDS_EVERY = 40  # pairs


@pytest.mark.postgres
@pytest.mark.parametrize("mode", MODES)
def test_no_stale_read_across_two_server_processes(
    pg_database: str, tmp_path: Path, mode: str, request: pytest.FixtureRequest
) -> None:
    control: Callable[[str], None] | None = None
    redis_url: str | None = None
    if mode == "redis":
        redis_url = reachable_redis_url()
    elif mode == "redis-killed":
        port, control = request.getfixturevalue("own_redis")
        redis_url = f"redis://127.0.0.1:{port}/0"
    engine = engine_for(pg_database)
    upgrade(engine)
    user = make_user(engine, email="x@example.com", household="Two processes")
    token = issue_token(
        BENCH_SECRET, user_id=user.id, household_id=user.household_id, ttl_minutes=60
    )
    headers = {"Authorization": f"Bearer {token}"}
    config = ServerConfig(
        mode,
        reader="optimized",
        cache="on",
        redis_url=redis_url,
    )
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
                if mode == "feed-killed" and pair % KILL_FEEDS_EVERY == KILL_FEEDS_EVERY // 2:
                    _kill_feeds(pg_database)
                if control is not None and pair in (PAIRS // 3, 2 * PAIRS // 3):
                    control("kill" if pair == PAIRS // 3 else "start")
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
            sources = _stamp_sources(b)
    finally:
        for server in servers:
            server.stop()
        engine.dispose()
    assert stale == []
    assert sources.get("feed", 0) > PAIRS // 2, sources  # the feed answered...
    if mode == "feed-killed":  # ...and, killed, the reads fell back meanwhile
        assert sources.get("feed_down", 0) > 0, sources


def _kill_feeds(database_url: str) -> None:
    """Terminate both servers' feed connections (as a network cut or a failover would)."""
    with pg_admin() as admin:
        admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = %s AND application_name = 'foyer-stamp-feed'",
            (database_url.rsplit("/", 1)[1],),
        )


def _stamp_sources(client: httpx.Client) -> dict[str, float]:
    """Server B's stamp reads by source (foyer_stamp_reads_total)."""
    found: dict[str, float] = {}
    for family in text_string_to_metric_families(client.get("/metrics").text):
        for sample in family.samples:
            if sample.name == "foyer_stamp_reads_total":
                found[sample.labels["source"]] = sample.value
    return found


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
