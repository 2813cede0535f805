"""The `foyer` CLI: migrate, user create, demo, aggregates verify|rebuild, advise."""

from __future__ import annotations

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import Table, func, select
from typer.testing import CliRunner

from foyer.cli import app
from foyer.db.migrate import alembic_config
from foyer.db.schema import (
    agg_month,
    bank_transaction,
    fixed_line,
    household,
    provision,
    user_account,
)
from tests.helpers import engine_for

runner = CliRunner()


@pytest.fixture
def cli_env(scratch_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("FOYER_DATABASE_URL", scratch_url)
    result = runner.invoke(app, ["migrate"])
    assert result.exit_code == 0, result.output
    return scratch_url


def _count(url: str, table: Table) -> int:
    engine = engine_for(url)
    with engine.connect() as conn:
        value = int(conn.execute(select(func.count()).select_from(table)).scalar_one())
    engine.dispose()
    return value


def test_user_create_starts_a_household_and_the_partner_joins_it(cli_env: str) -> None:
    base = ["user", "create", "--password", "long enough pw"]
    first = [*base, "--household", "Home", "--email", "alex@example.com"]
    assert runner.invoke(app, first).exit_code == 0
    partner = [*base, "--join", "Home", "--email", "sam@example.com", "--operator"]
    assert runner.invoke(app, partner).exit_code == 0
    assert _count(cli_env, household) == 1
    assert _count(cli_env, user_account) == 2
    duplicate = runner.invoke(app, [*base, "--household", "Other", "--email", "alex@example.com"])
    assert duplicate.exit_code == 1
    assert "already exists" in duplicate.output


def test_user_create_rejects_short_password(cli_env: str) -> None:
    result = runner.invoke(
        app, ["user", "create", "--email", "a@b.c", "--password", "short", "--household", "H"]
    )
    assert result.exit_code != 0
    assert _count(cli_env, user_account) == 0


def test_demo_creates_households_and_data_once(cli_env: str) -> None:
    args = [
        "demo",
        "--months",
        "3",
        "--transactions-per-month",
        "40",
        "--households",
        "2",
        "--password",
        "demo-pass-1",
    ]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "demo@foyer.local" in result.output
    assert "demo2@foyer.local" in result.output
    assert _count(cli_env, bank_transaction) == 3 * 40 * 2
    assert _count(cli_env, fixed_line) == 12 * 2
    assert _count(cli_env, provision) == 6 * 2
    again = runner.invoke(app, args)
    assert again.exit_code == 1
    assert runner.invoke(app, [*args, "--if-missing"]).exit_code == 0
    assert _count(cli_env, bank_transaction) == 3 * 40 * 2


def test_migrate_down_and_up(cli_env: str) -> None:
    down = runner.invoke(app, ["migrate", "--down", "--revision", "base"])
    assert down.exit_code == 0, down.output
    assert "base" in down.output
    up = runner.invoke(app, ["migrate"])
    assert up.exit_code == 0, up.output
    assert (
        f"schema at {sorted(ScriptDirectory.from_config(alembic_config(None)).get_heads())}"
        in up.output
    )  # type: ignore[arg-type]


def test_demo_leaves_planner_statistics(cli_env: str) -> None:
    args = ["demo", "--months", "2", "--transactions-per-month", "30", "--password", "demo-pass-1"]
    assert runner.invoke(app, args).exit_code == 0
    engine = engine_for(cli_env)
    with engine.connect() as conn:
        if conn.dialect.name == "sqlite":
            stats = conn.exec_driver_sql(
                "SELECT count(*) FROM sqlite_stat1 WHERE tbl = 'bank_transaction'"
            ).scalar_one()
        else:
            stats = conn.exec_driver_sql(
                "SELECT count(*) FROM pg_stat_user_tables "
                "WHERE relname = 'bank_transaction' AND last_analyze IS NOT NULL"
            ).scalar_one()
    engine.dispose()
    assert stats > 0


def test_aggregates_verify_finds_damage_and_rebuild_repairs_it(cli_env: str) -> None:
    args = ["demo", "--months", "2", "--transactions-per-month", "40", "--password", "demo-pass-1"]
    assert runner.invoke(app, args).exit_code == 0
    ok = runner.invoke(app, ["aggregates", "verify"])
    assert ok.exit_code == 0, ok.output
    assert "aggregates exact" in ok.output
    engine = engine_for(cli_env)
    with engine.begin() as conn:  # damage no service could do
        conn.execute(agg_month.update().values(income_cents=agg_month.c.income_cents + 1))
    engine.dispose()
    bad = runner.invoke(app, ["aggregates", "verify", "--household", "1"])
    assert bad.exit_code == 1
    assert "agg_month" in bad.output
    assert "2 aggregate group(s) differ" in bad.output
    rebuilt = runner.invoke(app, ["aggregates", "rebuild"])
    assert rebuilt.exit_code == 0, rebuilt.output
    assert "agg_month 2 groups" in rebuilt.output
    assert runner.invoke(app, ["aggregates", "verify"]).exit_code == 0


def test_advise_prints_every_registered_plan(cli_env: str) -> None:
    empty = runner.invoke(app, ["advise"])
    assert empty.exit_code == 1
    assert "no transactions" in empty.output
    args = ["demo", "--months", "3", "--transactions-per-month", "200", "--password", "demo-pass-1"]
    assert runner.invoke(app, args).exit_code == 0
    result = runner.invoke(app, ["advise"])
    # A tiny database may rightly be scanned (exit 1 then): the report is what is checked.
    assert "summary: config + month totals" in result.output
    assert "drill-down transactions, amount_desc, page n" in result.output
    assert "plans clean" in result.output
