"""Backups of foyer's database and their restore (`foyer backup PATH`, `foyer restore PATH`).

A backup is a new directory: the database's copy beside `manifest.json` (format, foyer
version, Alembic revision, when, from which kind of database, the copy's size and SHA-256).
It is written under a temporary name and renamed when complete, so a directory with the
final name is always a whole backup; restore checks the manifest before touching anything.

- SQLite: `VACUUM INTO` the new file, from one read transaction. With WAL (foyer.db.engine)
  the server's writers go on meanwhile, and the copy is the database as of one commit.
  Not the backup API step by step: a step that sees another connection's commit starts the
  copy again from the first page, so under steady writes it never ends (measured here: a
  50 MB copy with a writer committing every millisecond was still going after 60 s, while
  `VACUUM INTO` took 0.5 s and the writer waited 30 ms at most). In one step the backup API
  is no gentler, and it copies freed pages too, where deleted rows linger (the signing key
  that foyer before 0.3 kept in the database, among them); `VACUUM INTO` writes live rows only.
- PostgreSQL: `pg_dump --format=custom` (one snapshot: writers never wait), restored with
  `pg_restore --clean --if-exists --single-transaction` (all of it or nothing).

Left out of every backup: the rows of `instance_secret` (the cache namespace, and the
signing key of a deployment from before 0.3), so a backup cannot mint tokens; the signing
key file (foyer.auth.keys); the job queue's own file (huey's; the `job` table is in).

Restore refuses a database that holds a household unless forced; it brings an older
backup's schema up to head; and it deletes the signing key file, so the next start makes
a new key: tokens issued before the restore (some revoked or made by a password changed
since the backup) are refused, and everyone signs in again (`keep_key` to keep it).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
import shutil
import sqlite3
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from alembic.script import ScriptDirectory
from alembic.util.exc import CommandError
from pydantic import BaseModel, ConfigDict, ValidationError
from sqlalchemy import Engine, inspect, select

from foyer import __version__
from foyer.db import pg_tools
from foyer.db.engine import make_engine
from foyer.db.migrate import alembic_config, current_heads, upgrade
from foyer.db.schema import household, instance_secret, metadata
from foyer.settings import Settings

FORMAT = 1
MANIFEST = "manifest.json"
FILES = {"sqlite": "foyer.sqlite", "postgresql": "foyer.pgdump"}
Kind = Literal["sqlite", "postgresql"]


class BackupError(Exception):
    """A backup or restore that cannot be done; the message says why, for the operator."""


class Manifest(BaseModel):
    """What a backup says of itself (`manifest.json`)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    format: int
    foyer_version: str
    alembic_revision: list[str]  # the heads the copied schema was at
    created_at: dt.datetime
    source: Kind
    file: str
    bytes: int
    sha256: str


@dataclass(frozen=True, slots=True)
class Restored:
    manifest: Manifest
    upgraded_from: list[str] | None  # the backup's revision, when restore migrated it
    households: int
    key: str  # what happened to the signing key, for the operator


def kind_of(settings: Settings) -> Kind:
    return "sqlite" if settings.is_sqlite else "postgresql"


def create_backup(settings: Settings, path: Path) -> Manifest:
    """Back up `settings`' database into the new directory `path` (see the module docstring)."""
    if path.exists():
        raise BackupError(f"{path} exists: a backup never overwrites anything")
    kind = kind_of(settings)
    partial = path.with_name(f".{path.name}.partial-{secrets.token_hex(4)}")
    partial.mkdir(mode=0o700, parents=True)  # it holds password hashes and bank rows
    try:
        copy = partial / FILES[kind]
        if kind == "sqlite":
            revision = _copy_sqlite(settings, copy)
        else:
            revision = _heads(settings)
            pg_tools.dump(settings.database_url, copy, exclude_data=[instance_secret.name])
        manifest = Manifest(
            format=FORMAT,
            foyer_version=__version__,
            alembic_revision=revision,
            created_at=dt.datetime.now(dt.UTC),
            source=kind,
            file=copy.name,
            bytes=copy.stat().st_size,
            sha256=_sha256(copy),
        )
        (partial / MANIFEST).write_text(manifest.model_dump_json(indent=2) + "\n")
        partial.rename(path)
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    return manifest


def _copy_sqlite(settings: Settings, target: Path) -> list[str]:
    source = settings.sqlite_path
    if source is None:
        raise BackupError("an in-memory database has nothing to back up")
    if not source.is_file():
        raise BackupError(f"no database at {source}")
    engine = make_engine(settings, single=True)  # foyer's pragmas and SQL functions
    try:
        raw = engine.raw_connection()
        try:
            # Outside any transaction (VACUUM refuses one); the driver's autocommit mode.
            raw.driver_connection.execute("VACUUM INTO ?", (str(target),))  # type: ignore[union-attr]
        finally:
            raw.close()
    finally:
        engine.dispose()
    with closing(sqlite3.connect(target, isolation_level=None)) as copy:
        tables = {row[0] for row in copy.execute("SELECT name FROM sqlite_master")}
        if not {"alembic_version", instance_secret.name} <= tables:
            raise BackupError(f"{source} is not a foyer database: run `foyer migrate` first")
        # Overwrite the deleted rows' bytes too, not only unlink them from the b-tree.
        copy.execute("PRAGMA secure_delete=ON")
        copy.execute(f"DELETE FROM {instance_secret.name}")  # noqa: S608 (a table name)
        check = [row[0] for row in copy.execute("PRAGMA integrity_check")]
        heads = [row[0] for row in copy.execute("SELECT version_num FROM alembic_version")]
    if check != ["ok"]:
        raise BackupError(f"the copy failed its integrity check: {check[:5]}")
    return sorted(heads)


def _heads(settings: Settings) -> list[str]:
    engine = make_engine(settings, single=True)
    try:
        return sorted(current_heads(engine))
    finally:
        engine.dispose()


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as file:
        while chunk := file.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def read_manifest(path: Path) -> Manifest:
    """The manifest of the backup at `path`, checked against the copy beside it."""
    try:
        manifest = Manifest.model_validate_json((path / MANIFEST).read_bytes())
    except FileNotFoundError as exc:
        raise BackupError(f"{path} is not a foyer backup: no {MANIFEST}") from exc
    except ValidationError as exc:
        raise BackupError(f"{path / MANIFEST} is not a foyer backup manifest: {exc}") from exc
    if manifest.format != FORMAT:
        raise BackupError(f"backup format {manifest.format}, this foyer reads {FORMAT}")
    copy = path / manifest.file
    if Path(manifest.file).name != manifest.file or not copy.is_file():
        raise BackupError(f"the backup's copy {manifest.file!r} is missing")
    if copy.stat().st_size != manifest.bytes or _sha256(copy) != manifest.sha256:
        raise BackupError(f"{copy} is damaged: its size or SHA-256 differs from the manifest")
    return manifest


def holds_data(engine: Engine) -> bool:
    """Whether restoring over this database could lose anything: a household, or a
    table that is not foyer's."""
    tables = set(inspect(engine).get_table_names())
    if not tables:
        return False
    if tables - set(metadata.tables) - {"alembic_version"}:
        return True
    if household.name not in tables:
        return False
    with engine.connect() as conn:
        return conn.execute(select(household.c.id).limit(1)).first() is not None


def restore_backup(
    settings: Settings, path: Path, *, force: bool = False, keep_key: bool = False
) -> Restored:
    """Replace `settings`' database with the backup at `path` (see the module docstring).
    The server must be stopped: its caches would still hold what the database held."""
    manifest = read_manifest(path)
    kind = kind_of(settings)
    if manifest.source != kind:
        raise BackupError(f"a {manifest.source} backup cannot be restored into {kind}")
    engine = make_engine(settings)
    try:
        _check_known(engine, manifest)
        if holds_data(engine) and not force:
            raise BackupError(
                "the database holds data (a household, or tables that are not foyer's): "
                "restore over it with --force"
            )
        copy = path / manifest.file
        if kind == "sqlite":
            engine.dispose()  # no connection of ours holds the file while it is replaced
            _restore_sqlite(settings, copy)
        else:
            pg_tools.restore(settings.database_url, copy)
        restored = set(current_heads(engine))
        if restored != set(manifest.alembic_revision):
            raise BackupError(f"restored schema at {sorted(restored)}, manifest says otherwise")
        upgraded_from = None
        if restored != _code_heads(engine):
            upgrade(engine)
            upgraded_from = sorted(restored)
        with engine.connect() as conn:
            households = len(conn.execute(select(household.c.id)).all())
    finally:
        engine.dispose()
    return Restored(manifest, upgraded_from, households, _renew_key(settings, keep_key))


def _code_heads(engine: Engine) -> set[str]:
    return set(ScriptDirectory.from_config(alembic_config(engine)).get_heads())


def _check_known(engine: Engine, manifest: Manifest) -> None:
    """A backup made by a newer foyer has a schema this one cannot read or migrate."""
    scripts = ScriptDirectory.from_config(alembic_config(engine))
    for revision in manifest.alembic_revision:
        try:
            known = scripts.get_revision(revision) is not None
        except CommandError:
            known = False
        if not known:
            raise BackupError(
                f"the backup's schema revision {revision} is unknown to foyer {__version__} "
                f"(it was made by foyer {manifest.foyer_version}): restore it with that version"
            )


def _restore_sqlite(settings: Settings, copy: Path) -> None:
    target = settings.sqlite_path
    if target is None:
        raise BackupError("cannot restore into an in-memory database")
    target.parent.mkdir(parents=True, exist_ok=True)
    # SQLite's backup API into the live file, not a file copy: it writes through the
    # target's own journal (a stale -wal beside a copied file would be replayed onto it),
    # in one transaction, so an interrupted restore leaves the database as it was.
    with (
        closing(sqlite3.connect(f"{copy.as_uri()}?mode=ro", uri=True)) as source,
        closing(sqlite3.connect(target, timeout=10)) as live,
    ):
        source.backup(live)


def _renew_key(settings: Settings, keep_key: bool) -> str:
    if settings.secret_key:
        return (
            "FOYER_SECRET_KEY is set: tokens issued before the restore stay valid until it "
            "changes (some may have been revoked since the backup)"
        )
    key_file = settings.secret_key_path
    if key_file is None:
        return "no signing key file: set FOYER_SECRET_KEY or FOYER_SECRET_KEY_FILE"
    if keep_key:
        return f"kept {key_file}: tokens revoked since the backup are valid again until they expire"
    existed = key_file.exists()
    key_file.unlink(missing_ok=True)
    return (
        f"{'deleted' if existed else 'no'} {key_file}: the next start makes a new signing key "
        "(every machine sharing this database needs it), and everyone signs in again"
    )
