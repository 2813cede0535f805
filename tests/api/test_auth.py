"""Login, bearer tokens, the instance secret and the login rate limit (SPEC §7)."""

from __future__ import annotations

import secrets

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select

from foyer.auth.ratelimit import LoginThrottle
from foyer.auth.security import issue_token
from foyer.db.schema import user_account
from tests.factories import PASSWORD, login, make_user
from tests.helpers import REDIS_URL, assert_envelope, service_unavailable

TOKEN_URL = "/api/v1/auth/token"


def test_login_and_me(client: TestClient, engine: Engine) -> None:
    user = make_user(engine, email="Alex@Example.com", household="Home", operator=True)
    headers = login(client, "alex@example.com")  # emails are case-insensitive
    me = client.get("/api/v1/auth/me", headers=headers).json()
    assert me == {
        "id": user.id,
        "email": "alex@example.com",
        "household_id": user.household_id,
        "household_name": "Home",
        "is_operator": True,
    }


def test_token_response_shape(client: TestClient, engine: Engine) -> None:
    make_user(engine)
    body = client.post(
        TOKEN_URL, data={"username": "alex@example.com", "password": PASSWORD}
    ).json()
    assert body["token_type"] == "bearer"
    assert body["expires_in"] > 0
    assert body["access_token"].count(".") == 2


@pytest.mark.parametrize(
    ("email", "password"),
    [("alex@example.com", "wrong password"), ("nobody@example.com", PASSWORD)],
)
def test_bad_credentials_are_401(
    client: TestClient, engine: Engine, email: str, password: str
) -> None:
    make_user(engine)
    response = client.post(TOKEN_URL, data={"username": email, "password": password})
    assert_envelope(response, 401, "unauthorized")


def test_missing_form_fields_are_422(client: TestClient) -> None:
    assert_envelope(client.post(TOKEN_URL, data={"username": "x"}), 422, "validation_error")


def test_passwords_are_stored_as_argon2_hashes(engine: Engine) -> None:
    make_user(engine)
    with engine.connect() as conn:
        stored = conn.execute(select(user_account.c.password_hash)).scalar_one()
    assert stored.startswith("$argon2id$")
    assert PASSWORD not in stored


def test_repeated_failures_are_rate_limited(
    client: TestClient, engine: Engine, app: FastAPI
) -> None:
    make_user(engine)
    allowed = app.state.foyer.login_throttle.item.amount
    bad = {"username": "alex@example.com", "password": "nope"}
    for _ in range(allowed):
        assert client.post(TOKEN_URL, data=bad).status_code == 401
    blocked = client.post(TOKEN_URL, data=bad)
    assert_envelope(blocked, 429, "rate_limited")
    assert int(blocked.headers["Retry-After"]) >= 1
    # Even the right password waits out the window: that is what stops guessing.
    good = {"username": "alex@example.com", "password": PASSWORD}
    assert client.post(TOKEN_URL, data=good).status_code == 429
    # Another account from the same client is not punished for it.
    make_user(engine, email="sam@example.com")
    assert (
        client.post(
            TOKEN_URL, data={"username": "sam@example.com", "password": PASSWORD}
        ).status_code
        == 200
    )


def test_successful_logins_are_not_limited(
    client: TestClient, engine: Engine, app: FastAPI
) -> None:
    make_user(engine)
    for _ in range(app.state.foyer.login_throttle.item.amount + 2):
        login(client, "alex@example.com")


def test_expired_token_is_401(client: TestClient, engine: Engine, app: FastAPI) -> None:
    user = make_user(engine)
    token = issue_token(
        app.state.foyer.secret, user_id=user.id, household_id=user.household_id, ttl_minutes=-1
    )
    response = client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {token}"})
    assert_envelope(response, 401, "unauthorized")


def test_token_signed_with_another_key_is_401(client: TestClient, engine: Engine) -> None:
    user = make_user(engine)
    token = issue_token(
        "another instance key, long enough for HS256",
        user_id=user.id,
        household_id=user.household_id,
        ttl_minutes=5,
    )
    response = client.get("/api/v1/config", headers={"Authorization": f"Bearer {token}"})
    assert_envelope(response, 401, "unauthorized")


def test_partners_share_one_household(client: TestClient, engine: Engine) -> None:
    alex = make_user(engine, email="alex@example.com", household="Home")
    sam = make_user(engine, email="sam@example.com", household="Home")
    assert alex.household_id == sam.household_id
    alex_api = login(client, "alex@example.com")
    sam_api = login(client, "sam@example.com")
    client.put("/api/v1/config", json={"member1_name": "Alex"}, headers=alex_api)
    assert client.get("/api/v1/config", headers=sam_api).json()["member1_name"] == "Alex"


def test_redis_throttle_is_shared_between_processes() -> None:
    url = REDIS_URL
    prefix = f"foyer-test-{secrets.token_hex(4)}"
    first = LoginThrottle("2/minute", "100/minute", redis_url=url, prefix=prefix)
    if not first.storage.check():
        service_unavailable(f"Redis unreachable at {url}")
    second = LoginThrottle("2/minute", "100/minute", redis_url=url, prefix=prefix)  # a process
    try:
        assert first.take("alex@example.com", "10.0.0.1") is None
        assert second.take("alex@example.com", "10.0.0.1") is None
        assert first.take("alex@example.com", "10.0.0.1") is not None
        assert second.take("sam@example.com", "10.0.0.1") is None
    finally:
        first.storage.reset()
