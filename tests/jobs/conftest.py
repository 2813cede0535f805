"""Job queues on the test's database: `make_queue(kinds, **settings)` (immediate by default)."""

from __future__ import annotations

from collections.abc import Callable, Mapping

import pytest
from sqlalchemy import Engine

from foyer.db.engine import Database
from foyer.jobs import JobFunction, JobQueue
from foyer.settings import Settings

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
