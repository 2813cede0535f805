"""Fixtures of the database tests: PostgreSQL's own behaviour (a statement timeout, a
connection's round trips) is tested on its half of the parametrisation only."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine

from foyer.settings import Settings


@pytest.fixture
def pg(
    migrated: tuple[Settings, Engine], engine: Engine, request: pytest.FixtureRequest
) -> Settings:
    """This run's PostgreSQL settings; the SQLite half skips, for the reason the test
    module gives in `PG_ONLY`."""
    settings, _ = migrated
    if settings.is_sqlite:
        pytest.skip(request.module.PG_ONLY)  # each module using it says why
    return settings
