"""Job queues on the test's database: `make_queue(kinds, **settings)` (immediate by default),
and `redis_queue_name`: a queue name of the test's own on the shared Redis (127.0.0.1:6379,
FOYER_TEST_REDIS_URL), whose keys alone are deleted afterwards, never the database."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator, Mapping

import pytest
from sqlalchemy import Engine

from foyer.cache.store import redis_client
from foyer.db.engine import Database
from foyer.jobs import JobFunction, JobQueue
from foyer.settings import Settings
from tests.helpers import reachable_redis_url

MakeQueue = Callable[..., JobQueue]


@pytest.fixture
def make_queue(migrated: tuple[Settings, Engine], engine: Engine) -> MakeQueue:
    settings, _ = migrated

    def make(
        kinds: Mapping[str, JobFunction],
        rng: Callable[[], float] = lambda: 0.5,
        **overrides: object,
    ) -> JobQueue:
        return JobQueue(
            settings.model_copy(update=overrides), Database(engine), kinds=kinds, rng=rng
        )

    return make


@pytest.fixture
def redis_queue_name() -> Iterator[tuple[str, str]]:
    url = reachable_redis_url()
    name = f"foyer-test-{secrets.token_hex(4)}"
    yield url, name
    client = redis_client(url, timeout=1.0)
    try:
        client.delete(*(f"huey.{part}.{name}" for part in ("redis", "schedule", "results")))
    finally:
        client.close()
