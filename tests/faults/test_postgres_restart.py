"""PostgreSQL stopped and started under load: 503 with Retry-After while it is down, 2xx
again within 5 s of it being back, and no acknowledged write lost.

The cluster is the test's own (tests/faults/pg_cluster.py), never the shared server. A
foyer server process takes writes (transactions with labels naming their writer) and
reads of the cached views from four threads; mid-load `pg_ctl stop -m fast` (sessions
terminated, a clean shutdown), then `pg_ctl start`. Every answer must be a success or the
SPEC §9 envelope with status 503 and Retry-After — never a 500, never a request left
hanging — and at the end every transaction whose creation got a 201 is in the database
and the aggregates equal a recomputation from the rows.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path

import httpx2 as httpx
import orjson
import psycopg
import pytest
from sqlalchemy import select

from foyer.db.engine import read_connection
from foyer.db.schema import bank_transaction
from tests.factories import make_transaction
from tests.faults.harness import (
    CLIENT_TIMEOUT,
    OK_STATUSES,
    Answer,
    Household,
    Recorder,
    aggregate_mismatches,
    make_households,
    migrate,
    running,
    start_server,
)
from tests.faults.pg_cluster import PrivateCluster
from tests.helpers import engine_for

MONTH = "2025-06"
READS = (
    f"/api/v1/dashboard/summary?month={MONTH}",
    f"/api/v1/transactions/hierarchy?month={MONTH}",
    f"/api/v1/transactions?month={MONTH}&limit=20",
)
#: After PostgreSQL accepts connections again, foyer must answer 2xx within this long.
RECOVERY_SECONDS = 5.0


def _writer(
    recorder: Recorder, base_url: str, household: Household, acked: dict[int, str]
) -> Callable[[threading.Event], None]:
    def work(stop: threading.Event) -> None:
        n = 0
        with httpx.Client(
            base_url=base_url, headers=household.headers, timeout=CLIENT_TIMEOUT
        ) as client:
            while not stop.is_set():
                n += 1
                label = f"ACK {household.id}-{n}"
                body = make_transaction(date=f"{MONTH}-{n % 28 + 1:02d}", label=label)
                created = recorder.request(client, "POST", "/api/v1/transactions", json=body)
                if created is not None and created.status_code == 201:
                    acked[created.json()["id"]] = label
                for path in READS:
                    recorder.request(client, "GET", path)
                if created is not None and created.status_code == 503:
                    time.sleep(0.05)  # a client honouring Retry-After waits; a short one here

    return work


def _proper_503(answer: Answer) -> bool:
    """The SPEC §9 envelope, status 503, with Retry-After."""
    if answer.status != 503 or not answer.headers.get("retry-after", "").isdigit():
        return False
    error = orjson.loads(answer.body).get("error", {})
    return (
        error.get("code") == "unavailable"
        and bool(error.get("message"))
        and error.get("correlation_id") == answer.headers.get("x-correlation-id")
    )


@pytest.mark.postgres
def test_postgres_restarted_under_load(tmp_path: Path, private_pg: PrivateCluster) -> None:
    with psycopg.connect(private_pg.url, autocommit=True) as admin:
        admin.execute("CREATE DATABASE foyer")
    database_url = private_pg.url_of("foyer")
    migrate(database_url)
    households = make_households(database_url, 2)
    server = start_server(database_url, tmp_path)
    recorder = Recorder()
    acked: dict[int, str] = {}
    try:
        with running([_writer(recorder, server.base_url, h, acked) for h in households]):
            time.sleep(2.0)
            recorder.phase, stopping = "stopping", time.monotonic()
            private_pg.stop("fast")
            recorder.phase = "down"
            # One write of the test's own while it is down, besides the threads' (which
            # may be waiting on a read): at least one answer is certain to meet it.
            with httpx.Client(base_url=server.base_url, headers=households[0].headers) as probe:
                body = make_transaction(date=f"{MONTH}-01", label="DOWN")
                refused = recorder.request(probe, "POST", "/api/v1/transactions", json=body)
            time.sleep(2.5)
            recorder.phase = "starting"
            private_pg.start()
            back = time.monotonic()
            recorder.phase = "back"
            time.sleep(RECOVERY_SECONDS + 1.5)
    finally:
        server.stop()

    answers = recorder.answers
    wrong = [a for a in answers if a.status not in OK_STATUSES and not _proper_503(a)]
    assert [f"[{a.phase}] {a.method} {a.path} -> {a.status} {a.detail}" for a in wrong] == []
    # Before the stop, every answer a success (one in flight when it began may be a 503).
    assert all(a.status in OK_STATUSES for a in answers if a.sent + a.seconds < stopping)
    assert refused is not None
    assert refused.status_code == 503, "a write went through while the database was down"
    late = [a for a in answers if a.sent >= back + RECOVERY_SECONDS]
    assert late, "no load after the recovery window"
    assert [a for a in late if a.status not in OK_STATUSES] == [], "not back within 5 s"

    # No acknowledged write lost; the aggregates exact.
    engine = engine_for(database_url)
    try:
        with read_connection(engine) as conn:
            stored = dict(
                conn.execute(select(bank_transaction.c.id, bank_transaction.c.label)).all()
            )
    finally:
        engine.dispose()
    assert len(acked) > 20
    assert {i: stored.get(i) for i in acked} == acked
    assert aggregate_mismatches(database_url) == []
