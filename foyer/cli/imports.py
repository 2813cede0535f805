"""`foyer import …`: bring a household's data in from elsewhere (today: Budget Famille)."""

from __future__ import annotations

import shlex
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from foyer.cli.common import command_engine, console
from foyer.settings import Settings

if TYPE_CHECKING:
    from fractions import Fraction

    from foyer.imports.budget_famille import BudgetFamilleData
    from foyer.services.budget_famille import MigrationSummary

app = typer.Typer(help="Import data from elsewhere.", no_args_is_help=True)


@app.command("budget-famille")
def budget_famille(
    path: Annotated[Path, typer.Argument(help="Budget Famille's budget.db (read-only).")],
    household: Annotated[str, typer.Option(help="Household name; created if new.")],
) -> None:
    """Migrate a Budget Famille v2.3 database into a household; running it again is a no-op."""
    from foyer.db.engine import Database
    from foyer.imports.budget_famille import BudgetFamilleError, read_budget_famille
    from foyer.services.budget_famille import migrate_budget_famille

    name = household.strip()
    if not name or len(name) > 100:
        raise typer.BadParameter("the household name has 1 to 100 characters")
    try:
        data = read_budget_famille(path)
    except BudgetFamilleError as exc:
        console.print(f"error: {exc}", style="red", markup=False, highlight=False, soft_wrap=True)
        raise typer.Exit(1) from None
    with command_engine(Settings()) as engine, Database(engine).unit_of_work() as conn:
        summary = migrate_budget_famille(conn, household_name=name, data=data)
    for line in report(name, data, summary):
        console.print(line, markup=False, highlight=False, soft_wrap=True)


def report(name: str, data: BudgetFamilleData, summary: MigrationSummary) -> list[str]:
    """What the command prints: what moved, what did not, and what changed meaning."""
    from foyer.domain.rules import household_key

    state = "created" if summary.household_created else "existing"
    lines = [f"Budget Famille -> household {name!r} (id {summary.household_id}, {state})"]
    config = {True: "written", False: "unchanged", None: "none in the file"}
    lines.append(f"  configuration: {config[summary.config_written]}")
    for label, counts in (
        ("fixed lines", summary.fixed_lines),
        ("provisions", summary.provisions),
        ("transactions", summary.transactions),
        ("monthly balances", summary.balances),
        ("category budgets", summary.budgets),
    ):
        lines.append(
            f"  {label}: {counts.inserted} inserted, {counts.skipped} already there (skipped)"
        )
    if data.config is not None and data.legacy_key1 is not None:
        key = household_key(data.config)
        if key != data.legacy_key1:
            lines.append(
                f"  key: member 1 pays {_percent(key)} in foyer (net incomes: gross income "
                f"and tax rate as in Budget Famille), {_percent(data.legacy_key1)} in "
                "Budget Famille (gross incomes)"
            )
    left = data.left_behind
    if left.get("users"):
        lines.append(
            f"  not migrated: {left['users']} users (users): each partner creates a foyer "
            f"login (foyer user create --email … --join {shlex.quote(name)})"
        )
    lines.extend(f"  note: {note}" for note in (*data.notes, *summary.notes))
    return lines


def _percent(share: Fraction) -> str:
    from foyer.money import round_half_up

    return f"{round_half_up(share * 10_000) / 100:.2f} %"
