"""`foyer backup PATH` and `foyer restore PATH`: the database to a backup directory and back.

What a backup holds, and what restore checks and changes: foyer.db.backup.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from foyer.cli.common import console
from foyer.settings import Settings

PathArgument = Annotated[Path, typer.Argument(help="The backup: a directory.")]


def backup(path: PathArgument) -> None:
    """Back up the database into the new directory PATH, while the server runs."""
    from foyer.db.backup import BackupError, create_backup
    from foyer.db.pg_tools import ToolError

    try:
        manifest = create_backup(Settings(), path)
    except (BackupError, ToolError) as exc:
        console.print(f"[red]backup failed[/red]: {exc}")
        raise typer.Exit(1) from None
    console.print(
        f"backed up to {path}: {manifest.source}, schema {', '.join(manifest.alembic_revision)}, "
        f"{manifest.bytes:,} bytes (the signing key and the job queue's file are not in it)"
    )


def restore(
    path: PathArgument,
    force: Annotated[
        bool, typer.Option("--force", help="Replace a database that holds data.")
    ] = False,
    keep_key: Annotated[
        bool,
        typer.Option(
            "--keep-key",
            help="Keep the signing key file: tokens issued before the restore stay valid.",
        ),
    ] = False,
) -> None:
    """Replace the database with the backup at PATH (stop the server first), then check it."""
    from foyer.cli.aggregates import aggregates_verify
    from foyer.db.backup import BackupError, restore_backup
    from foyer.db.pg_tools import ToolError

    try:
        restored = restore_backup(Settings(), path, force=force, keep_key=keep_key)
    except (BackupError, ToolError) as exc:
        console.print(f"[red]restore failed[/red]: {exc}")
        raise typer.Exit(1) from None
    manifest = restored.manifest
    console.print(
        f"restored the backup of {manifest.created_at:%Y-%m-%d %H:%M:%S} UTC "
        f"(foyer {manifest.foyer_version}): {restored.households} household(s)"
    )
    if restored.upgraded_from is not None:
        console.print(f"schema migrated from {', '.join(restored.upgraded_from)} to head")
    console.print(restored.key)
    aggregates_verify(household=None)  # exits 1 when an aggregate differs from the rows
