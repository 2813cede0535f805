"""`foyer advise`: the plans of the hot-path read queries, with scans, sorts and unused indexes."""

from __future__ import annotations

import typer

from foyer.cli.common import command_engine, console
from foyer.settings import Settings


def advise() -> None:
    """Print every hot-path read query with its plan; flag scans, sorts and unused indexes."""
    from foyer.db.engine import read_connection
    from foyer.read.plans import find_sample, plans, unused_indexes

    with command_engine(Settings()) as engine, read_connection(engine) as conn:
        try:
            sample = find_sample(conn)
        except LookupError as exc:
            console.print(f"[red]{exc}[/red]")
            raise typer.Exit(1) from None
        found = plans(conn, sample)
        dialect = conn.dialect.name
    console.print(
        f"{len(found)} queries on {dialect}, sampled with household {sample.household_id}, "
        f"month {sample.month}, category {sample.category!r}\n"
    )
    for plan in found:
        mark = "[red]FLAG[/red]" if plan.flags else "[green]ok[/green]"
        console.print(f"{mark} [bold]{plan.name}[/bold]")
        console.print(plan.sql, markup=False, highlight=False, soft_wrap=True)
        for line in plan.lines:
            console.print(f"    {line}", markup=False, highlight=False, soft_wrap=True)
        for flag in plan.flags:
            console.print(f"    [red]! {flag}[/red]")
        console.print()
    flagged = [p for p in found if p.flags]
    unused = sorted(unused_indexes(found))
    for name in unused:
        console.print(f"[yellow]unused index[/yellow] {name}: no registered query reads it")
    console.print(
        f"{len(found) - len(flagged)} of {len(found)} plans clean; {len(unused)} unused index(es)"
    )
    if flagged or unused:
        raise typer.Exit(1)
