"""The password policy applies where a password is set, never to logging in with one set
before it; `register_user` holds SPEC §7's household rules for every caller."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from foyer.auth.policy import WeakPasswordError, check_new_password
from foyer.auth.service import HouseholdError, create_user, register_user
from tests.factories import unit_of_work


def test_a_user_with_an_older_short_password_still_logs_in(
    client: TestClient, engine: Engine
) -> None:
    with unit_of_work(engine) as conn:  # below the policy, as the CLI of foyer 0.2 allowed
        create_user(conn, email="old@example.com", password="eight ch", household_name="Old")
    response = client.post(
        "/api/v1/auth/token", data={"username": "old@example.com", "password": "eight ch"}
    )
    assert response.status_code == 200, response.text


@pytest.mark.parametrize("password", ["", "x" * 11, "x" * 1025])
def test_new_passwords_outside_12_to_1024_characters_are_refused(password: str) -> None:
    with pytest.raises(WeakPasswordError):
        check_new_password(password)


@pytest.mark.parametrize("password", ["x" * 12, "é" * 12, "x" * 1024])
def test_new_passwords_of_12_to_1024_characters_are_taken(password: str) -> None:
    assert check_new_password(password) == password


def test_register_user_applies_the_policy_and_the_household_rules(engine: Engine) -> None:
    with unit_of_work(engine) as conn, pytest.raises(WeakPasswordError):
        register_user(conn, email="a@example.com", password="short", household_name="Home")
    with unit_of_work(engine) as conn:
        register_user(conn, email="a@example.com", password="x" * 12, household_name="Home")
    with unit_of_work(engine) as conn, pytest.raises(HouseholdError, match="--join"):
        register_user(conn, email="b@example.com", password="x" * 12, household_name="Home")
    with unit_of_work(engine) as conn:
        partner = register_user(
            conn, email="b@example.com", password="x" * 12, household_name="Home", join=True
        )
    assert partner.household_name == "Home"
    with unit_of_work(engine) as conn, pytest.raises(HouseholdError, match="at most 2"):
        register_user(
            conn, email="c@example.com", password="x" * 12, household_name="Home", join=True
        )
