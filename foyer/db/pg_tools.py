"""PostgreSQL's own backup tools, `pg_dump` and `pg_restore`, run for foyer.db.backup.

They are PostgreSQL's supported way to copy a database consistently while it serves (one
snapshot; writers never wait); nothing written in Python would match them. The URL's
password goes to them in PGPASSWORD, never on a command line `ps` shows.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from sqlalchemy.engine import make_url


class ToolError(Exception):
    """A tool is missing or failed; the message says which and why."""


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise ToolError(
            f"{name} is not on PATH: install PostgreSQL's client tools (Debian: "
            f"apt-get install postgresql-client), the same major version as the server or newer"
        )
    return found


def _libpq(database_url: str) -> tuple[str, dict[str, str]]:
    """A libpq connection URI for a SQLAlchemy URL (no driver, no password), and the
    environment that carries the password."""
    url = make_url(database_url)
    env = dict(os.environ)
    if url.password is not None:
        env["PGPASSWORD"] = str(url.password)
    plain = url.set(drivername="postgresql", password=None)
    return plain.render_as_string(hide_password=False), env


def _run(name: str, args: list[str], database_url: str) -> None:
    uri, env = _libpq(database_url)
    command = [_tool(name), "--no-password", *args, f"--dbname={uri}"]
    result = subprocess.run(command, env=env, capture_output=True, text=True, check=False)  # noqa: S603 (no shell; our own arguments)
    if result.returncode != 0:
        raise ToolError(f"{name} failed ({result.returncode}): {result.stderr.strip()}")


def dump(database_url: str, target: Path, *, exclude_data: list[str]) -> None:
    """`pg_dump --format=custom` of the database into `target`, without the rows of the
    tables `exclude_data` (their definitions are kept)."""
    excluded = [f"--exclude-table-data={table}" for table in exclude_data]
    _run("pg_dump", ["--format=custom", f"--file={target}", *excluded], database_url)


def restore(database_url: str, source: Path) -> None:
    """Load the dump `source` into the database, replacing what the dump holds, in one
    transaction. No owners or grants: the restoring role owns what it creates."""
    args = ["--clean", "--if-exists", "--single-transaction", "--exit-on-error"]
    _run("pg_restore", [*args, "--no-owner", "--no-privileges", str(source)], database_url)
