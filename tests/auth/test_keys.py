"""The token signing key (foyer.auth.keys): a 0600 file or FOYER_SECRET_KEY, never the
database; a key stored there by an earlier version moves out; PostgreSQL asks for one."""

from __future__ import annotations

import datetime as dt
import logging
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, select

from foyer.auth.keys import LEGACY_ROW, SigningKeyError, resolve_secret, write_key_file
from foyer.auth.security import stored_value
from foyer.db.engine import Database
from foyer.db.schema import instance_secret
from foyer.settings import Settings
from tests.factories import unit_of_work

LEGACY_KEY = "a key an earlier foyer generated and stored in the database"
CONFIGURED = "a configured key of at least thirty-two bytes"


def settings(engine: Engine, **overrides: object) -> Settings:
    return Settings(database_url=str(engine.url), _env_file=None, **overrides)  # type: ignore[arg-type]


def secret_rows(engine: Engine) -> list[str]:
    with engine.connect() as conn:
        return list(conn.execute(select(instance_secret.c.name)).scalars())


@pytest.fixture
def legacy(engine: Engine) -> Iterator[None]:
    """The key as foyer 0.2 left it: a row of instance_secret."""
    with unit_of_work(engine) as conn:
        conn.execute(
            instance_secret.insert().values(
                name=LEGACY_ROW, value=LEGACY_KEY, created_at=dt.datetime.now(dt.UTC)
            )
        )
    yield
    with unit_of_work(engine) as conn:  # the tables' cleaning keeps instance_secret
        conn.execute(instance_secret.delete().where(instance_secret.c.name == LEGACY_ROW))


def test_a_generated_key_lives_in_a_private_file_not_the_database(
    engine: Engine, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "signing.key"
    with caplog.at_level(logging.WARNING, "foyer.auth"):
        first = resolve_secret(Database(engine), settings(engine, secret_key_file=path))
    assert "generated a new token signing key" in caplog.text
    assert len(first) >= 40
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert path.read_text().strip() == first
    assert LEGACY_ROW not in secret_rows(engine)
    # Every later start (every process) reads the same key, without a warning.
    caplog.clear()
    with caplog.at_level(logging.WARNING, "foyer.auth"):
        assert resolve_secret(Database(engine), settings(engine, secret_key_file=path)) == first
    assert caplog.text == ""


def test_sqlite_keeps_the_key_beside_the_database(tmp_path: Path) -> None:
    configured = Settings(database_url=f"sqlite:///{tmp_path / 'budget.db'}", _env_file=None)  # type: ignore[call-arg]
    assert configured.secret_key_path == tmp_path / "budget.db.key"


def test_a_key_from_the_database_moves_to_the_file(
    engine: Engine, tmp_path: Path, legacy: None
) -> None:
    path = tmp_path / "signing.key"
    assert resolve_secret(Database(engine), settings(engine, secret_key_file=path)) == LEGACY_KEY
    assert path.read_text().strip() == LEGACY_KEY  # tokens signed before still verify
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert LEGACY_ROW not in secret_rows(engine)


def test_a_configured_key_wins_and_the_stored_one_is_deleted(engine: Engine, legacy: None) -> None:
    assert resolve_secret(Database(engine), settings(engine, secret_key=CONFIGURED)) == CONFIGURED
    assert LEGACY_ROW not in secret_rows(engine)


def test_postgresql_needs_a_key_or_a_key_file(engine: Engine) -> None:
    plain = settings(engine)
    if plain.sqlite_path is not None:
        pytest.skip("a SQLite file always has a place beside it")
    with pytest.raises(SigningKeyError, match="FOYER_SECRET_KEY_FILE"):
        resolve_secret(Database(engine), plain)


def test_postgresql_without_settings_keeps_a_stored_key_with_a_warning(
    engine: Engine, legacy: None, caplog: pytest.LogCaptureFixture
) -> None:
    plain = settings(engine)
    if plain.sqlite_path is not None:
        pytest.skip("a SQLite file always has a place beside it")
    with caplog.at_level(logging.WARNING, "foyer.auth"):
        assert resolve_secret(Database(engine), plain) == LEGACY_KEY
    assert "any backup or dump can mint tokens" in caplog.text


def test_the_instance_id_stays_in_the_database(engine: Engine, tmp_path: Path) -> None:
    resolve_secret(Database(engine), settings(engine, secret_key_file=tmp_path / "k"))
    instance = stored_value(Database(engine), "instance_id", lambda: "made-once")
    assert stored_value(Database(engine), "instance_id", lambda: "made-twice") == instance


def test_the_first_key_written_wins(tmp_path: Path) -> None:
    path = tmp_path / "race.key"
    first, second = "k" * 40, "j" * 40
    assert write_key_file(path, first) == first
    assert write_key_file(path, second) == first  # a process that lost the race
    assert [p.name for p in tmp_path.iterdir()] == ["race.key"]  # no temporary left


def test_a_key_file_others_can_read_is_warned_about(
    tmp_path: Path, engine: Engine, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "loose.key"
    path.write_text("k" * 40)
    path.chmod(0o644)
    with caplog.at_level(logging.WARNING, "foyer.auth"):
        assert resolve_secret(Database(engine), settings(engine, secret_key_file=path)) == "k" * 40
    assert "readable by others" in caplog.text


def test_a_short_key_file_is_refused(tmp_path: Path, engine: Engine) -> None:
    path = tmp_path / "short.key"
    path.write_text("too short")
    path.chmod(0o600)
    with pytest.raises(SigningKeyError, match="shorter than 32 bytes"):
        resolve_secret(Database(engine), settings(engine, secret_key_file=path))
