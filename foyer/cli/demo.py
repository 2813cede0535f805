"""`foyer demo`: demo households, users and realistic data, for a first look or a benchmark."""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Annotated

import typer

from foyer.cli.common import command_engine, console
from foyer.settings import Settings


def demo(
    months: Annotated[int, typer.Option(min=1, max=600)] = 36,
    transactions_per_month: Annotated[int, typer.Option(min=0, max=1_000_000)] = 130,
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
        with command_engine(Settings()) as engine:
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
        # The file holds a password.
        login_file.chmod(0o600)
