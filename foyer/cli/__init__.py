"""The `foyer` command: serve, migrate, worker, user, import, demo, aggregates, backup,
restore, advise, bench, scale.

This module only assembles the typer `app` (the console entry point `foyer.cli:app`) from
one module per command group. Every command imports what it needs inside its body, so
`foyer --help` loads none of the web framework, the database or the bench's dependencies.
"""

from __future__ import annotations

import typer

from foyer.cli import (
    advise,
    aggregates,
    backup,
    bench,
    bench_scale,
    demo,
    imports,
    server,
    users,
    worker,
)

app = typer.Typer(help="foyer: the couple's budget dashboard.", no_args_is_help=True)
app.add_typer(users.app, name="user")
app.add_typer(aggregates.app, name="aggregates")
app.add_typer(imports.app, name="import")
app.add_typer(bench_scale.app, name="scale")
app.command()(server.serve)
app.command()(server.migrate)
app.command()(worker.worker)
app.command()(demo.demo)
app.command()(backup.backup)
app.command()(backup.restore)
app.command()(advise.advise)
app.command()(bench.bench)

__all__ = ["app"]
