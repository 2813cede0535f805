"""`foyer user create` under SPEC §7: a new household or an explicit --join (two members at
most), passwords of 12+ characters asked without echo or read from stdin; and `foyer serve`'s
proxy options, so throttling sees the client's address behind a reverse proxy."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import Engine, select
from typer.testing import CliRunner

from foyer.cli import app
from foyer.db.schema import household, user_account
from tests.helpers import engine_for

runner = CliRunner()
GOOD = "twelve chars"


@pytest.fixture
def cli_env(scratch_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("FOYER_DATABASE_URL", scratch_url)
    result = runner.invoke(app, ["migrate"])
    assert result.exit_code == 0, result.output
    return scratch_url


@pytest.fixture
def db(cli_env: str) -> Any:
    engine: Engine = engine_for(cli_env)
    yield engine
    engine.dispose()


def users(engine: Engine) -> list[tuple[str, str]]:
    query = (
        select(user_account.c.email, household.c.name)
        .join(household, household.c.id == user_account.c.household_id)
        .order_by(user_account.c.id)
    )
    with engine.connect() as conn:
        return [(row.email, row.name) for row in conn.execute(query)]


def create(*args: str, input: str | None = None) -> Any:
    return runner.invoke(app, ["user", "create", *args], input=input)


def test_the_password_is_asked_twice_without_echo(db: Engine) -> None:
    result = create("--email", "alex@example.com", "--household", "Home", input=f"{GOOD}\n{GOOD}\n")
    assert result.exit_code == 0, result.output
    assert GOOD not in result.output
    assert users(db) == [("alex@example.com", "Home")]


def test_a_mistyped_confirmation_is_asked_again(db: Engine) -> None:
    typed = f"{GOOD}\nsomething else\n{GOOD}\n{GOOD}\n"
    result = create("--email", "alex@example.com", "--household", "Home", input=typed)
    assert result.exit_code == 0, result.output
    assert users(db) == [("alex@example.com", "Home")]


def test_scripts_give_the_password_on_stdin(db: Engine) -> None:
    result = create(
        "--email", "alex@example.com", "--household", "Home", "--password-stdin", input=GOOD + "\n"
    )
    assert result.exit_code == 0, result.output
    both = create("--email", "sam@example.com", "--join", "Home", "--password", GOOD)
    assert both.exit_code == 0, both.output
    assert len(users(db)) == 2


@pytest.mark.parametrize(
    "args",
    [
        ["--password", "eleven char"],
        ["--password-stdin"],  # "short" on stdin
        ["--password", GOOD, "--password-stdin"],
    ],
)
def test_weak_or_ambiguous_passwords_are_refused(db: Engine, args: list[str]) -> None:
    result = create("--email", "alex@example.com", "--household", "Home", *args, input="short\n")
    assert result.exit_code != 0
    assert users(db) == []


def test_a_taken_household_name_is_refused_without_join(db: Engine) -> None:
    assert (
        create("--email", "alex@example.com", "--household", "Home", "--password", GOOD).exit_code
        == 0
    )
    stranger = create("--email", "eve@example.com", "--household", "Home", "--password", GOOD)
    assert stranger.exit_code == 1
    assert "--join" in stranger.output
    assert users(db) == [("alex@example.com", "Home")]


def test_join_takes_a_second_member_and_no_third(db: Engine) -> None:
    assert (
        create("--email", "alex@example.com", "--household", "Home", "--password", GOOD).exit_code
        == 0
    )
    assert create("--email", "sam@example.com", "--join", "Home", "--password", GOOD).exit_code == 0
    third = create("--email", "eve@example.com", "--join", "Home", "--password", GOOD)
    assert third.exit_code == 1
    assert "at most 2" in third.output
    missing = create("--email", "eve@example.com", "--join", "Nowhere", "--password", GOOD)
    assert missing.exit_code == 1
    assert "no household" in missing.output
    assert [email for email, _ in users(db)] == ["alex@example.com", "sam@example.com"]


@pytest.mark.parametrize(
    "args", [[], ["--household", "Home", "--join", "Home"]], ids=["neither", "both"]
)
def test_household_or_join_exactly_one(db: Engine, args: list[str]) -> None:
    result = create("--email", "alex@example.com", "--password", GOOD, *args)
    assert result.exit_code != 0
    assert users(db) == []


def test_emails_are_stored_as_logins_spell_them(db: Engine) -> None:
    result = create("--email", "  Alex@Example.COM ", "--household", "Home", "--password", GOOD)
    assert result.exit_code == 0, result.output
    assert users(db) == [("alex@example.com", "Home")]
    assert create("--email", "not an email", "--household", "H2", "--password", GOOD).exit_code == 1


def test_serve_passes_the_proxy_options_to_uvicorn(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Any
) -> None:
    seen: dict[str, Any] = {}
    monkeypatch.setattr("uvicorn.run", lambda *args, **options: seen.update(options))
    monkeypatch.setenv("FOYER_DATABASE_URL", f"sqlite:///{tmp_path / 'x.db'}")
    args = ["serve", "--forwarded-allow-ips", "10.0.0.5,10.0.1.0/24"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert seen["proxy_headers"] is True
    assert seen["forwarded_allow_ips"] == "10.0.0.5,10.0.1.0/24"
    runner.invoke(app, ["serve", "--no-proxy-headers"])
    assert seen["proxy_headers"] is False
    assert seen["forwarded_allow_ips"] is None
