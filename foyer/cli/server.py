"""`foyer serve` and `foyer migrate`: run the API, and bring its database schema up to date."""

from __future__ import annotations

import logging.config
from typing import Annotated

import typer

from foyer.cli.common import command_engine, console
from foyer.settings import Settings


def serve(
    host: Annotated[str, typer.Option(help="Interface to bind.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port.")] = 8000,
    workers: Annotated[int, typer.Option(min=1, help="Worker processes.")] = 1,
    proxy_headers: Annotated[
        bool,
        typer.Option(
            help="Take the client's address from X-Forwarded-For / X-Forwarded-Proto when "
            "the request comes from --forwarded-allow-ips (login throttling keys on it)."
        ),
    ] = True,
    forwarded_allow_ips: Annotated[
        str | None,
        typer.Option(
            help="Comma-separated proxy addresses (or networks) trusted for those headers; "
            "'*' trusts any. Unset: $FORWARDED_ALLOW_IPS, else 127.0.0.1 only."
        ),
    ] = None,
) -> None:
    """Serve the API (OpenAPI docs at /docs)."""
    import uvicorn

    from foyer.observability.logs import settings_config

    settings = Settings()
    # JSON lines (FOYER_LOG_FORMAT) here, and in each worker process: uvicorn applies the
    # same dictionary in the processes it spawns. Its own access log stays off: foyer's
    # request observer writes one line per request instead.
    log_config = settings_config(settings)
    logging.config.dictConfig(log_config)
    console.print(f"foyer on http://{host}:{port}  (docs: http://{host}:{port}/docs)")
    from foyer.observability.metrics import multiprocess_metrics

    with multiprocess_metrics(workers):  # one /metrics scrape sees every worker
        uvicorn.run(
            "foyer.app:create_app_from_env",
            factory=True,
            host=host,
            port=port,
            workers=workers,
            log_level=settings.log_level.lower(),
            access_log=False,
            log_config=log_config,
            proxy_headers=proxy_headers,
            forwarded_allow_ips=forwarded_allow_ips,
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
