"""Backups (foyer.db.backup, `foyer backup` / `foyer restore`), on SQLite and PostgreSQL.

A round trip restores every view byte for byte; a backup taken while rows are written is
the database as of one commit; what restore refuses, checks and changes.
"""

from __future__ import annotations

import datetime as dt
import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from typer.testing import CliRunner

from foyer.app import create_app
from foyer.cache.views import VIEWS
from foyer.cli import app as cli
from foyer.db import pg_tools
from foyer.db.backup import BackupError, create_backup, read_manifest, restore_backup
from foyer.db.migrate import current_heads, upgrade
from foyer.db.schema import bank_transaction, household, instance_secret
from foyer.services import aggregates
from foyer.settings import Settings
from tests.api.worked_household import MONTH, Worked
from tests.factories import Api, insert_rows, make_households, service_row, unit_of_work
from tests.helpers import engine_for, view_request

#: Reads besides the cached views whose bytes a round trip must keep.
READS = ("/config", "/fixed-lines", "/provisions", "/rules", "/budgets", "/imports", "/jobs")


def settings_of(url: str, **overrides: Any) -> Settings:
    return Settings(database_url=url, _env_file=None, queue="immediate", **overrides)  # type: ignore[call-arg]


@pytest.fixture
def source(migrated: tuple[Settings, Engine], engine: Engine) -> Settings:
    """The settings of this test's database (the session's, emptied after the test)."""
    return migrated[0]


@pytest.fixture
def target(scratch_url: str) -> Iterator[Engine]:
    """An engine on an empty database of this backend, to restore into."""
    restored = engine_for(scratch_url)
    yield restored
    restored.dispose()


def url_of(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=False)


def answers(api: Api) -> dict[str, tuple[bytes, str | None]]:
    """Body bytes and ETag of every cached view (and the page after, through its signed
    cursor), of the listing and of the other reads."""
    out: dict[str, tuple[bytes, str | None]] = {}

    def keep(name: str, path: str, **query: Any) -> Any:
        response = api.get(path, **query)
        assert response.status_code == 200, (name, response.text)
        out[name] = (response.content, response.headers.get("ETag"))
        return response.json()

    for view in VIEWS:
        path, query = view_request(view)
        body = keep(view.name, path, **query)
        cursor = body.get("next_cursor") if isinstance(body, dict) else None
        if cursor:
            keep(f"{view.name}, next page", path, **{**query, "cursor": cursor})
    keep("transactions", "/transactions", limit=500)
    keep("balance", f"/balances/{MONTH}")
    for path in READS:
        keep(path, path)
    return out


def test_a_round_trip_restores_every_view_byte_for_byte(
    worked: Worked, source: Settings, app: FastAPI, target: Engine, tmp_path: Path
) -> None:
    before = answers(worked.api)
    assert any(name.endswith("next page") for name in before)  # cursors are compared too
    create_backup(source, tmp_path / "backup")
    # Tokens and cursors are signed with the instance's key, which restore renews and the
    # backup never holds: the same key on both sides, so the bytes compared are the data's.
    restored_settings = settings_of(url_of(target), secret_key=app.state.foyer.secret)
    restored = restore_backup(restored_settings, tmp_path / "backup")
    assert restored.households == 1
    restored_app = create_app(restored_settings, engine=target)
    with TestClient(restored_app) as client:
        after = answers(Api(client, worked.api.headers, worked.api.household_id))
    assert after.keys() == before.keys()
    for name, answer in before.items():
        assert after[name] == answer, name


def _insert_one(engine: Engine, household_id: int, n: int) -> list[int]:
    day = dt.date(2025, 1, 1) + dt.timedelta(days=n % 365)
    return insert_rows(engine, household_id, service_row(date=day, amount_cents=-(n + 1)))


def _wait_for(condition: Any, what: str) -> None:
    for _ in range(3000):  # a bound, not an assertion on time: fails only when stuck
        if condition():
            return
        time.sleep(0.01)
    raise AssertionError(f"never happened: {what}")


def test_a_backup_taken_while_rows_are_written_is_the_database_at_one_commit(
    source: Settings, engine: Engine, target: Engine, tmp_path: Path
) -> None:
    household_id = make_households(engine)[0]
    committed: list[int] = []  # ids in commit order, appended after each commit returns
    stop = threading.Event()

    def write() -> None:
        while not stop.is_set():
            committed.extend(_insert_one(engine, household_id, len(committed)))

    writer = threading.Thread(target=write)
    writer.start()
    try:
        _wait_for(lambda: len(committed) >= 20, "20 rows written")
        started_with = len(committed)
        create_backup(source, tmp_path / "backup")
        ended_with = len(committed)
        _wait_for(lambda: len(committed) >= ended_with + 5, "rows written after the backup")
    finally:
        stop.set()
        writer.join()
    restore_backup(settings_of(url_of(target)), tmp_path / "backup")
    with target.connect() as conn:
        ids = list(conn.execute(select(bank_transaction.c.id).order_by(bank_transaction.c.id)))
        assert aggregates.verify(conn) == []
        if target.dialect.name == "sqlite":
            assert conn.exec_driver_sql("PRAGMA integrity_check").scalar_one() == "ok"
    restored_ids = [row.id for row in ids]
    # A prefix of the commits: every row committed before the backup began, none torn.
    assert restored_ids == committed[: len(restored_ids)]
    assert len(restored_ids) >= started_with


def test_a_backup_holds_no_instance_secret_not_even_deleted_ones(
    source: Settings, engine: Engine, target: Engine, tmp_path: Path
) -> None:
    legacy = "LEGACY-SIGNING-KEY-" + "x" * 40
    with unit_of_work(engine) as conn:
        now = dt.datetime.now(dt.UTC)
        rows = [("token_signing_key", legacy), ("probe", "PROBE-VALUE-" + "y" * 40)]
        conn.execute(
            instance_secret.insert(), [{"name": n, "value": v, "created_at": now} for n, v in rows]
        )
    with unit_of_work(engine) as conn:  # as foyer.auth.keys moves a key out: a plain DELETE
        conn.execute(instance_secret.delete().where(instance_secret.c.name == "token_signing_key"))
    manifest = create_backup(source, tmp_path / "backup")
    if manifest.source == "sqlite":  # pg_dump's custom format is compressed: no bytes to read
        copied = (tmp_path / "backup" / manifest.file).read_bytes()
        assert legacy.encode() not in copied
        assert b"PROBE-VALUE" not in copied
    restore_backup(settings_of(url_of(target)), tmp_path / "backup")
    with target.connect() as conn:
        assert conn.execute(select(instance_secret)).all() == []


def test_restore_refuses_a_database_with_data_unless_forced(
    source: Settings, engine: Engine, target: Engine, tmp_path: Path
) -> None:
    first = make_households(engine)[0]
    insert_rows(engine, first, service_row())
    create_backup(source, tmp_path / "backup")
    later = make_households(engine)  # after the backup: a forced restore drops them
    with pytest.raises(BackupError, match="--force"):
        restore_backup(source, tmp_path / "backup")
    # keep_key: this is the session's database, whose apps keep signing with its key file.
    restore_backup(source, tmp_path / "backup", force=True, keep_key=True)
    with engine.connect() as conn:
        households = {row.id for row in conn.execute(select(household.c.id))}
    assert first in households
    assert not households & set(later)


def test_restore_migrates_an_older_backup_to_head(
    backend: str, scratch_url: str, target: Engine, tmp_path: Path
) -> None:
    old = engine_for(scratch_url)
    upgrade(old, "0011")
    old.dispose()
    create_backup(settings_of(scratch_url), tmp_path / "backup")
    restored = restore_backup(settings_of(url_of(target)), tmp_path / "backup")
    assert restored.upgraded_from == ["0011"]
    assert current_heads(target) == {"0013"}


def _tamper(path: Path, **changes: Any) -> None:
    manifest = json.loads((path / "manifest.json").read_text())
    (path / "manifest.json").write_text(json.dumps({**manifest, **changes}))


def test_restore_checks_the_manifest_first(
    source: Settings, engine: Engine, target: Engine, tmp_path: Path
) -> None:
    make_households(engine)
    backup = tmp_path / "backup"
    manifest = create_backup(source, backup)
    settings = settings_of(url_of(target))
    _tamper(backup, alembic_revision=["9999"])
    with pytest.raises(BackupError, match="9999 is unknown"):
        restore_backup(settings, backup)
    other = "postgresql" if manifest.source == "sqlite" else "sqlite"
    _tamper(backup, alembic_revision=manifest.alembic_revision, source=other)
    with pytest.raises(BackupError, match=f"{other} backup cannot be restored"):
        restore_backup(settings, backup)
    _tamper(backup, source=manifest.source)
    with (backup / manifest.file).open("r+b") as copy:
        copy.seek(manifest.bytes // 2)
        copy.write(b"\x00damaged\x00")
    with pytest.raises(BackupError, match="damaged"):
        read_manifest(backup)
    with target.connect() as conn:  # nothing was restored by any of them
        assert conn.exec_driver_sql("SELECT 1").scalar_one() == 1
    assert current_heads(target) == set()
    with pytest.raises(BackupError, match="exists"):
        create_backup(source, backup)


def test_restore_renews_the_signing_key_file_unless_kept(
    source: Settings, target: Engine, tmp_path: Path
) -> None:
    create_backup(source, tmp_path / "backup")
    key_file = tmp_path / "signing.key"
    settings = settings_of(url_of(target), secret_key_file=key_file)
    key_file.write_text("k" * 64)
    restored = restore_backup(settings, tmp_path / "backup", keep_key=True)
    assert key_file.exists()
    assert "kept" in restored.key
    restored = restore_backup(settings, tmp_path / "backup", force=True)
    assert not key_file.exists()  # the next start makes a new key: older tokens are refused
    assert "new signing key" in restored.key


def test_a_missing_postgresql_tool_is_named(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(pg_tools.ToolError, match="pg_dump is not on PATH"):
        pg_tools.dump("postgresql://nobody@localhost/none", tmp_path / "x", exclude_data=[])


def test_the_commands_back_up_and_restore(
    source: Settings,
    engine: Engine,
    scratch_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    insert_rows(engine, make_households(engine)[0], service_row())
    runner = CliRunner()
    monkeypatch.setenv("FOYER_DATABASE_URL", source.database_url)
    backed_up = runner.invoke(cli, ["backup", str(tmp_path / "backup")])
    assert backed_up.exit_code == 0, backed_up.output
    monkeypatch.setenv("FOYER_DATABASE_URL", scratch_url)
    monkeypatch.setenv("FOYER_SECRET_KEY_FILE", str(tmp_path / "restored.key"))
    restored = runner.invoke(cli, ["restore", str(tmp_path / "backup")])
    assert restored.exit_code == 0, restored.output
    assert "2 household(s)" in restored.output
    assert "aggregates exact" in restored.output
    again = runner.invoke(cli, ["restore", str(tmp_path / "backup")])
    assert again.exit_code == 1
    assert "--force" in again.output


def test_an_in_memory_database_has_nothing_to_back_up(tmp_path: Path) -> None:
    with pytest.raises(BackupError, match="in-memory"):
        create_backup(settings_of("sqlite:///:memory:"), tmp_path / "backup")
    assert not (tmp_path / "backup").exists()
    assert list(tmp_path.iterdir()) == []  # no partial directory left behind
