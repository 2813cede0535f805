"""`foyer user …`: manage users from the command line (the API has no sign-up route).

`user create` starts a household (`--household NAME`, an error if the name is taken) or
joins one as its second member (`--join NAME`); SPEC §7's rules live in
`foyer.auth.service.register_user`. The password is asked without echo unless given:
`--password-stdin` for scripts (the first line of stdin), `--password` still works but
lands in the shell's history and the process list.
"""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from foyer.auth.policy import MIN_PASSWORD_CHARS
from foyer.cli.common import command_engine, console
from foyer.settings import Settings

app = typer.Typer(help="Manage users.", no_args_is_help=True)


def _password(given: str | None, from_stdin: bool) -> str:
    if given is not None and from_stdin:
        raise typer.BadParameter("give --password or --password-stdin, not both")
    if given is not None:
        return given
    if from_stdin:
        return sys.stdin.readline().removesuffix("\n").removesuffix("\r")
    value: str = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    return value


@app.command("create")
def user_create(
    email: Annotated[str, typer.Option(help="Login email.")],
    household: Annotated[
        str | None, typer.Option(help="Name of a new household (an error if it exists).")
    ] = None,
    join: Annotated[
        str | None,
        typer.Option("--join", help="Name of an existing household to join (2 members at most)."),
    ] = None,
    password: Annotated[
        str | None,
        typer.Option(
            help=f"Password ({MIN_PASSWORD_CHARS}+ characters). Unset: asked without echo."
        ),
    ] = None,
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from stdin's first line.")
    ] = False,
    operator: Annotated[bool, typer.Option(help="May reach /api/v1/monitoring.")] = False,
) -> None:
    """Create a user, in a new household (--household) or as a partner (--join)."""
    from foyer.auth.policy import InvalidEmailError, WeakPasswordError, check_new_password
    from foyer.auth.service import HouseholdError, UserExistsError, register_user
    from foyer.db.engine import Database

    if (household is None) == (join is None):
        raise typer.BadParameter("give either --household NAME (new) or --join NAME (existing)")
    name = household or join
    assert name is not None
    secret = _password(password, password_stdin)
    try:
        check_new_password(secret)  # before opening the database: nothing to undo
        with command_engine(Settings()) as engine, Database(engine).unit_of_work() as conn:
            user = register_user(
                conn,
                email=email,
                password=secret,
                household_name=name,
                join=join is not None,
                operator=operator,
            )
    except (WeakPasswordError, InvalidEmailError, HouseholdError) as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(1) from None
    except UserExistsError:
        console.print(f"[red]a user with email {email!r} already exists[/red]")
        raise typer.Exit(1) from None
    console.print(f"user {user.email} (id {user.id}) in household {name!r}")
