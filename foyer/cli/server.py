"""`foyer serve` and `foyer migrate`: run the API, and bring its database schema up to date."""

from __future__ import annotations

import logging
from typing import Annotated

import typer

from foyer.cli.common import command_engine, console
from foyer.settings import Settings


def serve(
    host: Annotated[str, typer.Option(help="Interface to bind.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port.")] = 8000,
    workers: Annotated[int, typer.Option(min=1, help="Worker processes.")] = 1,
) -> None:
    """Serve the API (OpenAPI docs at /docs)."""
    import uvicorn

    settings = Settings()
    logging.basicConfig(level=settings.log_level, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("alembic").setLevel(logging.WARNING)  # the start-up schema check
    console.print(f"foyer on http://{host}:{port}  (docs: http://{host}:{port}/docs)")
    uvicorn.run(
        "foyer.app:create_app_from_env",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level=settings.log_level.lower(),
        access_log=False,
    )


def migrate(
    revision: Annotated[str, typer.Option(help="Target revision.")] = "head",
    down: Annotated[bool, typer.Option("--down", help="Downgrade to --revision.")] = False,
) -> None:
    """Bring the database schema up to date (or down with --down)."""
    from foyer.db import migrate as migrations

    with command_engine(Settings()) as engine:
        if down:
            migrations.downgrade(engine, revision)
        else:
            migrations.upgrade(engine, revision)
        heads = sorted(migrations.current_heads(engine))
    console.print(f"schema at {heads or 'base'}")
