"""The `foyer` command: serve, migrate, user create, demo."""

from __future__ import annotations

import logging
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console

from foyer.settings import Settings

if TYPE_CHECKING:
    from sqlalchemy import Engine

app = typer.Typer(help="foyer: the couple's budget dashboard.", no_args_is_help=True)
user_app = typer.Typer(help="Manage users.", no_args_is_help=True)
app.add_typer(user_app, name="user")
console = Console()


@contextmanager
def _engine(settings: Settings) -> Iterator[Engine]:
    """An engine for one command, its pool closed afterwards."""
    from foyer.db.engine import make_engine

    engine = make_engine(settings)
    try:
        yield engine
    finally:
        engine.dispose()


@app.command()
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


@app.command()
def migrate(
    revision: Annotated[str, typer.Option(help="Target revision.")] = "head",
    down: Annotated[bool, typer.Option("--down", help="Downgrade to --revision.")] = False,
) -> None:
    """Bring the database schema up to date (or down with --down)."""
    from foyer.db import migrate as migrations

    with _engine(Settings()) as engine:
        if down:
            migrations.downgrade(engine, revision)
        else:
            migrations.upgrade(engine, revision)
        heads = sorted(migrations.current_heads(engine))
    console.print(f"schema at {heads or 'base'}")


@user_app.command("create")
def user_create(
    email: Annotated[str, typer.Option(help="Login email.")],
    password: Annotated[str, typer.Option(help="Password (8+ characters).")],
    household: Annotated[str, typer.Option(help="Household name; joined if it exists.")],
    operator: Annotated[bool, typer.Option(help="May reach /api/v1/monitoring.")] = False,
) -> None:
    """Create a user in a household (created with a default configuration if new)."""
    from foyer.auth.service import UserExistsError, create_user
    from foyer.db.engine import unit_of_work

    if len(password) < 8:
        raise typer.BadParameter("password must have at least 8 characters")
    try:
        with _engine(Settings()) as engine, unit_of_work(engine) as conn:
            user = create_user(
                conn, email=email, password=password, household_name=household, operator=operator
            )
    except UserExistsError:
        console.print(f"[red]a user with email {email!r} already exists[/red]")
        raise typer.Exit(1) from None
    console.print(f"user {user.email} (id {user.id}) in household {household!r}")


@app.command()
def demo(
    months: Annotated[int, typer.Option(min=1, max=600)] = 36,
    transactions_per_month: Annotated[int, typer.Option(min=0, max=1_000_000)] = 300,
    households: Annotated[int, typer.Option(min=1, max=1000)] = 1,
    seed: Annotated[int, typer.Option(help="Random seed (same seed, same data).")] = 42,
    password: Annotated[str | None, typer.Option(help="Demo password; random if unset.")] = None,
    login_file: Annotated[
        Path | None, typer.Option(help="Also write the demo login to this file.")
    ] = None,
    if_missing: Annotated[
        bool, typer.Option(help="Do nothing when the demo user already exists.")
    ] = False,
) -> None:
    """Create demo households, users and realistic data (bulk-loaded)."""
    from foyer.demo import DemoExistsError, DemoSpec, load_demo

    password = password or secrets.token_urlsafe(9)
    spec = DemoSpec(
        months=months,
        transactions_per_month=transactions_per_month,
        households=households,
        seed=seed,
        password=password,
    )
    try:
        with _engine(Settings()) as engine:
            logins = load_demo(engine, spec, console=console)
    except DemoExistsError as exc:
        if if_missing:
            console.print(f"demo data already present ({exc})")
            return
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(1) from None
    text = "\n".join(f"login: {email}  password: {password}" for email in logins)
    console.print(text)
    if login_file:
        login_file.write_text(text + "\n")
        login_file.chmod(0o600)
