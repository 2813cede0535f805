"""`foyer user …`: manage users from the command line (the API has no sign-up route)."""

from __future__ import annotations

from typing import Annotated

import typer

from foyer.cli.common import command_engine, console
from foyer.settings import Settings

app = typer.Typer(help="Manage users.", no_args_is_help=True)


@app.command("create")
def user_create(
    email: Annotated[str, typer.Option(help="Login email.")],
    password: Annotated[str, typer.Option(help="Password (8+ characters).")],
    household: Annotated[str, typer.Option(help="Household name; joined if it exists.")],
    operator: Annotated[bool, typer.Option(help="May reach /api/v1/monitoring.")] = False,
) -> None:
    """Create a user in a household (created with a default configuration if new)."""
    from foyer.auth.service import UserExistsError, create_user
    from foyer.db.engine import Database

    if len(password) < 8:
        raise typer.BadParameter("password must have at least 8 characters")
    try:
        with command_engine(Settings()) as engine, Database(engine).unit_of_work() as conn:
            user = create_user(
                conn, email=email, password=password, household_name=household, operator=operator
            )
    except UserExistsError:
        console.print(f"[red]a user with email {email!r} already exists[/red]")
        raise typer.Exit(1) from None
    console.print(f"user {user.email} (id {user.id}) in household {household!r}")
