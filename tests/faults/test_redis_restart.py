"""Redis killed (-9) and restarted under load: 0 errors, 0 stale reads.

A foyer server process (cache on, L2 and the write quota in a redis-server of the test's
own) takes a mixed load from four threads: two write transactions into a household each
and read its month's summary back after every write (its variable total and count must
equal what that thread wrote, exactly); two read the cached views of both households,
half the time conditionally (304s), and check the summary never shows fewer rows than
were acknowledged before the read was sent. Mid-load the redis-server is killed with
SIGKILL, then restarted on the same port. Redis is a cache here: its loss may cost time,
never an error or an old answer.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx2 as httpx
import pytest

from foyer.cache.store import redis_client
from tests.factories import make_transaction
from tests.faults.harness import (
    CLIENT_TIMEOUT,
    Household,
    Recorder,
    make_households,
    migrate,
    running,
    start_server,
)
from tests.helpers import cents

MONTH = "2025-06"
VIEWS = (
    f"/api/v1/dashboard/summary?month={MONTH}",
    f"/api/v1/dashboard/summary/slim?month={MONTH}",
    f"/api/v1/transactions/hierarchy?month={MONTH}",
    f"/api/v1/dashboard/drill-down/courses?month={MONTH}",
    "/api/v1/dashboard/trends?from=2025-01&to=2025-06",
    f"/api/v1/transactions?month={MONTH}&limit=20",
)
#: Seconds of load in each phase; "restarted" outlasts the cache breaker's 2 s cooldown.
PHASES = {"up": 2.5, "killed": 2.5, "restarted": 4.0}


def _writer(
    recorder: Recorder, base_url: str, household: Household, acked: dict[int, int]
) -> Callable[[threading.Event], None]:
    def work(stop: threading.Event) -> None:
        rng = random.Random(household.id)
        count = total = 0
        with httpx.Client(
            base_url=base_url, headers=household.headers, timeout=CLIENT_TIMEOUT
        ) as client:
            while not stop.is_set():
                spent = rng.randint(100, 99_999)
                body = make_transaction(
                    date=f"{MONTH}-{rng.randint(1, 28):02d}", amount=-spent / 100
                )
                created = recorder.request(client, "POST", "/api/v1/transactions", json=body)
                if created is not None and created.status_code == 201:
                    count, total = count + 1, total + spent
                    acked[household.id] = count
                read = recorder.request(client, "GET", VIEWS[0])
                if read is not None and read.status_code == 200:
                    variable = read.json()["variable"]
                    seen = (variable["count"], cents(variable["total"]))
                    if seen != (count, total):
                        recorder.problem(f"household {household.id}: {seen} != {(count, total)}")

    return work


def _reader(
    recorder: Recorder, base_url: str, households: list[Household], acked: dict[int, int]
) -> Callable[[threading.Event], None]:
    def work(stop: threading.Event) -> None:
        rng = random.Random(len(households))
        etags: dict[tuple[int, str], str] = {}
        with httpx.Client(base_url=base_url, timeout=CLIENT_TIMEOUT) as client:
            while not stop.is_set():
                household, path = rng.choice(households), rng.choice(VIEWS)
                headers: dict[str, Any] = dict(household.headers)
                etag = etags.get((household.id, path))
                if etag and rng.random() < 0.5:
                    headers["If-None-Match"] = etag
                before = acked[household.id]
                read = recorder.request(client, "GET", path, headers=headers)
                if read is None or read.status_code != 200:
                    continue
                if "ETag" in read.headers:
                    etags[household.id, path] = read.headers["ETag"]
                if path == VIEWS[0] and read.json()["variable"]["count"] < before:
                    recorder.problem(f"household {household.id}: fewer rows than acknowledged")

    return work


@pytest.mark.redis
def test_redis_killed_and_restarted_under_load(
    tmp_path: Path, own_redis: tuple[int, Callable[[str], None]]
) -> None:
    port, control = own_redis
    redis_url = f"redis://127.0.0.1:{port}/0"
    database_url = f"sqlite:///{tmp_path / 'foyer.db'}"
    migrate(database_url)
    households = make_households(database_url, 2)
    acked = {h.id: 0 for h in households}
    # The quota's counters live in Redis too: a generous one, so it is asked, never refuses.
    server = start_server(database_url, tmp_path, redis_url=redis_url, write_quota="1000000/hour")
    recorder = Recorder()
    probe = redis_client(redis_url, timeout=1.0)
    try:
        workers = [_writer(recorder, server.base_url, h, acked) for h in households]
        workers += [_reader(recorder, server.base_url, households, acked) for _ in range(2)]
        with running(workers):
            for phase, seconds in PHASES.items():
                recorder.phase = phase
                if phase == "killed":
                    assert probe.dbsize() > 0, "the cache never reached Redis before the kill"
                    control("kill")
                elif phase == "restarted":
                    control("start")
                time.sleep(seconds)
        # The server found the new redis-server again: its entries are there.
        assert probe.dbsize() > 0, "no cache entry reached the restarted Redis"
    finally:
        probe.close()
        server.stop()
    assert recorder.errors() == []
    assert recorder.problems == []
    for phase in PHASES:
        assert recorder.count(phase) >= 20, f"too little load while {phase}"
