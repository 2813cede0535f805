"""Test wiring: every DB-backed test runs on SQLite and on PostgreSQL.

PostgreSQL: one database per test run (`foyer_test_<random>`), created here and dropped
at the end; the shared server is never otherwise touched. When it is unreachable the
PostgreSQL half skips with the reason, unless FOYER_REQUIRE_SERVICES=1 (CI), where it fails.
Each test starts from empty tables (deleted after the previous test), so order never matters.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from foyer.app import create_app
from foyer.db.engine import make_engine
from foyer.db.migrate import upgrade
from foyer.db.schema import instance_secret, metadata
from foyer.settings import Settings
from tests.api.worked_household import Worked, build_worked
from tests.factories import Api, household_api
from tests.helpers import create_pg_database, drop_pg_database

BACKENDS = ["sqlite", "postgresql"]


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    """A PostgreSQL database of this run's own, dropped afterwards."""
    url = create_pg_database("foyer_test")
    yield url
    drop_pg_database(url)


def settings_for(
    backend: str, tmp: Path, request: pytest.FixtureRequest, **overrides: object
) -> Settings:
    keys: dict[str, object] = {}  # SQLite: the signing key's file beside the database
    if backend == "sqlite":
        url = f"sqlite:///{tmp / 'foyer.db'}"
    else:
        url = request.getfixturevalue("pg_url")
        keys = {"secret_key_file": tmp / "foyer.key"}  # PostgreSQL has no "beside"
    # Jobs run inside the request that enqueues them, retries at once (tests/jobs/ covers
    # the SQLite and Redis brokers with real consumers).
    jobs: dict[str, object] = {"queue": "immediate", "job_retry_delay_seconds": 0}
    options: dict[str, Any] = {**jobs, **keys, **overrides}
    return Settings(database_url=url, secret_key=None, _env_file=None, **options)


@pytest.fixture(scope="session", params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(scope="session")
def migrated(
    backend: str, tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest
) -> Iterator[tuple[Settings, Engine]]:
    """Settings and an engine on a freshly migrated database of this backend."""
    settings = settings_for(backend, tmp_path_factory.mktemp(backend), request)
    engine = make_engine(settings)
    upgrade(engine)
    yield settings, engine
    engine.dispose()


def _clean(engine: Engine) -> None:
    with engine.begin() as conn:
        for table in reversed(metadata.sorted_tables):
            if table is not instance_secret:
                conn.execute(table.delete())


@pytest.fixture
def engine(migrated: tuple[Settings, Engine]) -> Iterator[Engine]:
    _settings, eng = migrated
    yield eng
    _clean(eng)


@pytest.fixture(scope="session")
def session_app(migrated: tuple[Settings, Engine]) -> FastAPI:
    settings, eng = migrated
    return create_app(settings, engine=eng)


@pytest.fixture
def app(session_app: FastAPI, engine: Engine) -> Iterator[FastAPI]:
    """The session's app, as a new process would start: nothing cached, nothing
    remembered, nothing counted, no failed logins (state of earlier tests never leaks into
    this one)."""
    state = session_app.state.foyer
    state.login_throttle.storage.reset()
    state.write_quota.reset()  # household ids come back once tables are emptied
    state.revocations.forget()  # no revocation of an earlier test's (reused) user ids
    state.cache.clear_l1()
    state.warmer.forget()
    state.metrics.reset_cache_events()  # every cache counter from zero: tests count exactly
    state.metrics.reset_requests()
    if state.monitor is not None:
        state.monitor.reset()
    if state.queries is not None:
        state.queries.reset()
    yield session_app
    state.warmer.wait()  # nothing of this test's warms into the next one


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client


@pytest.fixture
def api(client: TestClient, engine: Engine) -> Api:
    """A logged-in client for a fresh household."""
    return household_api(client, engine, email="alex@example.com", household="Home")


@pytest.fixture
def other_api(client: TestClient, engine: Engine) -> Api:
    """A logged-in client for a second, unrelated household."""
    return household_api(client, engine, email="mallory@example.com", household="Elsewhere")


@pytest.fixture
def worked(api: Api) -> Worked:
    """`api`'s household worked out on paper (tests/api/worked_household.py)."""
    return build_worked(api)


@pytest.fixture
def fresh_app(migrated: tuple[Settings, Engine], engine: Engine) -> Callable[..., FastAPI]:
    """New apps on this test's database, each as another process would start (its own L1,
    warmer, counters and throttle): `fresh_app(**settings_overrides)`."""
    settings, eng = migrated

    def make(**overrides: object) -> FastAPI:
        return create_app(settings.model_copy(update=overrides), engine=eng)

    return make


@pytest.fixture
def scratch_url(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[str]:
    """An empty, unmigrated database of this backend, for migration and CLI tests."""
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'scratch.db'}"
        return
    request.getfixturevalue("pg_url")  # the server answers (or the test skips)
    url = create_pg_database("foyer_scratch")
    yield url
    drop_pg_database(url)
