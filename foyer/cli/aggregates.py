"""`foyer aggregates verify|rebuild`: check the materialised aggregates against the rows."""

from __future__ import annotations

from typing import Annotated

import typer

from foyer.cli.common import command_engine, console
from foyer.settings import Settings

app = typer.Typer(help="Check or reload the materialised aggregates.", no_args_is_help=True)

HouseholdOption = Annotated[
    int | None, typer.Option("--household", help="Only this household id (default: all).")
]


@app.command("verify")
def aggregates_verify(household: HouseholdOption = None) -> None:
    """Compare every aggregate with a recomputation from the rows; exit 1 on any difference."""
    from foyer.db.engine import read_connection
    from foyer.services import aggregates

    with command_engine(Settings()) as engine, read_connection(engine) as conn:
        mismatches = aggregates.verify(conn, household)
    for m in mismatches[:50]:
        console.print(f"[red]{m.table}[/red] {m.key}: stored {m.stored}, expected {m.expected}")
    if mismatches:
        console.print(
            f"[red]{len(mismatches)} aggregate group(s) differ[/red]; fix: foyer aggregates rebuild"
        )
        raise typer.Exit(1)
    console.print("aggregates exact: every group equals its recomputation")


@app.command("rebuild")
def aggregates_rebuild(household: HouseholdOption = None) -> None:
    """Reload the aggregates from the rows, in one transaction (writers wait meanwhile)."""
    from foyer.db.engine import Database
    from foyer.services import aggregates

    with command_engine(Settings()) as engine, Database(engine).unit_of_work() as conn:
        counts = aggregates.rebuild(conn, household)
    console.print("rebuilt: " + ", ".join(f"{table} {n:,} groups" for table, n in counts.items()))
