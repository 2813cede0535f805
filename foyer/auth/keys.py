"""The token signing key: FOYER_SECRET_KEY, or a key file only this instance's user reads.

Up to foyer 0.2, a generated key was kept in the database (table instance_secret), so any backup
or dump of the database could mint tokens for every household. Now, in order:

1. FOYER_SECRET_KEY when set;
2. else a key file, 0600: FOYER_SECRET_KEY_FILE, or `<database file>.key` beside a SQLite
   database. Created with a new random key when absent (a warning is logged: back it up
   apart from the database). With PostgreSQL there is no "beside the database": one of the
   two settings is required, and with several machines they must all read the same key.
3. A key still in instance_secret (a deployment from foyer 0.2 or earlier) moves into the key file
   on the first start that has one, and its row is deleted; with FOYER_SECRET_KEY set the
   row is only deleted (that key signed nothing since). A PostgreSQL deployment with neither
   setting keeps reading it, with a warning at every start, rather than refuse to start.

Several processes may start at once: a new key file is written under a temporary name and
hard-linked into place, so exactly one key wins and every process reads that one.
"""

from __future__ import annotations

import contextlib
import logging
import os
import secrets
import stat
from pathlib import Path

from foyer.auth.security import delete_value, read_value
from foyer.db.engine import Database
from foyer.settings import Settings

log = logging.getLogger("foyer.auth")

LEGACY_ROW = "token_signing_key"  # instance_secret's name for the key up to 0.2
MIN_KEY_BYTES = 32  # HS256's key length, as FOYER_SECRET_KEY's own check


class SigningKeyError(RuntimeError):
    """No signing key can be had: the message says which setting to give."""


def resolve_secret(database: Database, settings: Settings) -> str:
    """The key this instance signs tokens and cursors with (see the module docstring)."""
    legacy = read_value(database, LEGACY_ROW)
    if settings.secret_key:
        if legacy is not None:
            delete_value(database, LEGACY_ROW)
            log.warning("deleted the unused token signing key stored in the database")
        return settings.secret_key
    path = settings.secret_key_path
    if path is None:
        if legacy is not None:
            log.warning(
                "the token signing key is stored in the database (table instance_secret), "
                "where any backup or dump can mint tokens: set FOYER_SECRET_KEY_FILE (it "
                "moves there at the next start) or FOYER_SECRET_KEY"
            )
            return legacy
        if settings.is_sqlite:  # an in-memory database: the key lives and dies with it
            log.warning("generated a token signing key for this in-memory database")
            return new_key()
        raise SigningKeyError(
            "with PostgreSQL, set FOYER_SECRET_KEY or FOYER_SECRET_KEY_FILE (a file the key "
            "is generated into when absent): tokens are signed with it"
        )
    key = read_key_file(path)
    if key is None:
        key = write_key_file(path, legacy or new_key())
        if legacy is None:
            log.warning(
                "generated a new token signing key in %s (mode 0600): every process on "
                "this database needs this file; backups leave it out (a restore makes a new one)",
                path,
            )
        else:
            log.warning("moved the token signing key from the database to %s", path)
    if legacy is not None:
        delete_value(database, LEGACY_ROW)
    return key


def new_key() -> str:
    return secrets.token_urlsafe(48)


def read_key_file(path: Path) -> str | None:
    """The key in `path`; None when there is no such file."""
    try:
        mode = path.stat().st_mode
        key = path.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        return None
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        log.warning("the token signing key file %s is readable by others: chmod 600 it", path)
    if len(key.encode()) < MIN_KEY_BYTES:
        raise SigningKeyError(f"the key in {path} is shorter than {MIN_KEY_BYTES} bytes")
    return key


def write_key_file(path: Path, key: str) -> str:
    """Store `key` in a new 0600 file at `path`; the key `path` holds afterwards (another
    process's, when it wrote first)."""
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(6)}.tmp")
    try:
        # O_EXCL and the mode at creation: the key is never readable by others, not even
        # for an instant (the umask can only take permissions away).
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except OSError as exc:
        raise SigningKeyError(f"cannot create the signing key file {path}: {exc}") from exc
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as file:
            file.write(key + "\n")
            file.flush()
            os.fsync(file.fileno())
        with contextlib.suppress(FileExistsError):  # another process won: read its key
            os.link(temporary, path)  # atomic, and never replaces a file
    finally:
        temporary.unlink(missing_ok=True)
    stored = read_key_file(path)
    assert stored is not None  # linked above, by this process or the one that won
    return stored
