"""Revocation (SPEC §7): logout refuses that token, a password change every earlier one —
on the routes, on the fast path, in other processes within the refresh period — and the
web's sign-out revokes its session's token too."""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select

from foyer.auth.account import sign_out
from foyer.auth.revocation import RevocationView
from foyer.auth.security import TokenReader, issue_token
from foyer.db.engine import Database
from foyer.db.schema import revoked_token, user_account
from tests.factories import PASSWORD, make_transaction, make_user, unit_of_work
from tests.helpers import assert_envelope
from tests.web.pages import CSRF, Browser

AUTH = "/api/v1/auth"
NEW_PASSWORD = "a new and longer passphrase"


def login(client: TestClient, password: str = PASSWORD) -> dict[str, str]:
    response = client.post(
        f"{AUTH}/token", data={"username": "alex@example.com", "password": password}
    )
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def test_logout_refuses_that_token_only(client: TestClient, engine: Engine) -> None:
    make_user(engine)
    first, second = login(client), login(client)
    assert client.get(f"{AUTH}/me", headers=first).status_code == 200
    out = client.post(f"{AUTH}/logout", headers=first)
    assert out.status_code == 204
    assert out.headers["Cache-Control"] == "no-store"
    assert_envelope(client.get(f"{AUTH}/me", headers=first), 401, "unauthorized")
    assert_envelope(client.get("/api/v1/config", headers=first), 401, "unauthorized")
    assert_envelope(client.post(f"{AUTH}/logout", headers=first), 401, "unauthorized")
    assert client.get(f"{AUTH}/me", headers=second).status_code == 200  # the other session


def test_a_revoked_token_gets_no_cached_answer_from_the_fast_path(
    client: TestClient, engine: Engine
) -> None:
    make_user(engine)
    headers = login(client)
    body = {"items": [make_transaction()]}
    assert client.post("/api/v1/transactions/bulk", json=body, headers=headers).status_code == 201
    summary = "/api/v1/dashboard/summary?month=2025-06"
    warm = client.get(summary, headers=headers)
    assert warm.status_code == 200
    hit = client.get(summary, headers=headers)
    assert (hit.status_code, hit.content) == (200, warm.content)  # served from L1
    assert client.post(f"{AUTH}/logout", headers=headers).status_code == 204
    assert_envelope(client.get(summary, headers=headers), 401, "unauthorized")
    etag = {**headers, "If-None-Match": warm.headers["ETag"]}
    assert_envelope(client.get(summary, headers=etag), 401, "unauthorized")


def test_a_password_change_refuses_every_earlier_token(client: TestClient, engine: Engine) -> None:
    make_user(engine)
    first, second = login(client), login(client)
    change = {"current_password": PASSWORD, "new_password": NEW_PASSWORD}
    changed = client.post(f"{AUTH}/password", json=change, headers=first)
    assert changed.status_code == 204
    assert changed.headers["Cache-Control"] == "no-store"
    for headers in (first, second):
        assert_envelope(client.get(f"{AUTH}/me", headers=headers), 401, "unauthorized")
    old = client.post(f"{AUTH}/token", data={"username": "alex@example.com", "password": PASSWORD})
    assert_envelope(old, 401, "unauthorized")
    fresh = login(client, NEW_PASSWORD)
    assert client.get(f"{AUTH}/me", headers=fresh).status_code == 200


def test_a_wrong_current_password_is_403_and_throttled(
    client: TestClient, engine: Engine, app: FastAPI
) -> None:
    make_user(engine)
    headers = login(client)
    wrong = {"current_password": "not my password", "new_password": NEW_PASSWORD}
    for _ in range(app.state.foyer.login_throttle.item.amount):
        refused = client.post(f"{AUTH}/password", json=wrong, headers=headers)
        assert_envelope(refused, 403, "forbidden")
        assert refused.headers["Cache-Control"] == "no-store"
    throttled = client.post(f"{AUTH}/password", json=wrong, headers=headers)
    assert_envelope(throttled, 429, "rate_limited")
    assert client.get(f"{AUTH}/me", headers=headers).status_code == 200  # nothing changed


def test_a_new_password_needs_twelve_characters(client: TestClient, engine: Engine) -> None:
    make_user(engine)
    headers = login(client)
    for new in ("short", "eleven char"):
        body = {"current_password": PASSWORD, "new_password": new}
        assert_envelope(
            client.post(f"{AUTH}/password", json=body, headers=headers), 422, "validation_error"
        )
    body = {"current_password": PASSWORD, "new_password": "twelve chars"}
    assert client.post(f"{AUTH}/password", json=body, headers=headers).status_code == 204


def test_another_process_refuses_a_revoked_token_after_its_refresh(engine: Engine) -> None:
    user = make_user(engine)
    now = [1000.0]
    here = RevocationView(Database(engine), 5.0, clock=lambda: now[0])
    elsewhere = RevocationView(Database(engine), 5.0)  # the process that signs out
    token = issue_token("k" * 32, user_id=user.id, household_id=user.household_id, ttl_minutes=5)
    claims = TokenReader("k" * 32).read(token)
    sign_out(Database(engine), elsewhere, claims)
    assert elsewhere.refuses(claims)
    assert not here.refuses(claims)  # within the period: this process has not re-read
    now[0] += 5.0
    # Starts a re-read in the background and answers without waiting for it: with the old
    # view or, if the thread was quick, the new one (either is right at this instant).
    here.refuses(claims)
    here.wait()
    assert here.refuses(claims)


def test_tokens_issued_for_longer_than_the_setting_are_refused(
    client: TestClient, engine: Engine, app: FastAPI
) -> None:
    user = make_user(engine)
    ttl = app.state.foyer.settings.token_ttl_minutes
    token = issue_token(
        app.state.foyer.secret,
        user_id=user.id,
        household_id=user.household_id,
        ttl_minutes=ttl + 1,
    )
    refused = client.get(f"{AUTH}/me", headers={"Authorization": f"Bearer {token}"})
    assert_envelope(refused, 401, "unauthorized")


def test_the_default_token_lifetime_is_twelve_hours(client: TestClient, engine: Engine) -> None:
    make_user(engine)
    body = client.post(
        f"{AUTH}/token", data={"username": "alex@example.com", "password": PASSWORD}
    ).json()
    assert body["expires_in"] == 12 * 3600


def test_housekeeping_purges_expired_revocations(
    client: TestClient, engine: Engine, app: FastAPI
) -> None:
    user = make_user(engine)
    now = dt.datetime.now(dt.UTC)
    with unit_of_work(engine) as conn:
        conn.execute(
            revoked_token.insert(),
            [
                {"jti": "gone", "user_id": user.id, "expires_at": now - dt.timedelta(minutes=1)},
                {"jti": "alive", "user_id": user.id, "expires_at": now + dt.timedelta(hours=1)},
            ],
        )
    app.state.foyer.jobs.housekeeping()
    with engine.connect() as conn:
        left = conn.execute(select(revoked_token.c.jti)).scalars().all()
    assert left == ["alive"]


def test_a_password_change_renews_the_generation_once_per_change(
    client: TestClient, engine: Engine
) -> None:
    user = make_user(engine)
    password = PASSWORD
    for new in (NEW_PASSWORD, "yet another long passphrase"):
        headers = login(client, password)
        body = {"current_password": password, "new_password": new}
        assert client.post(f"{AUTH}/password", json=body, headers=headers).status_code == 204
        password = new
    with engine.connect() as conn:
        generation = conn.execute(
            select(user_account.c.token_generation).where(user_account.c.id == user.id)
        ).scalar_one()
        rows = conn.execute(select(func.count()).select_from(revoked_token)).scalar_one()
    assert generation == 2
    assert rows == 1  # one generation row per user, renewed


def test_web_sign_out_revokes_the_session_token(client: TestClient, engine: Engine) -> None:
    make_user(engine, email="web@example.com", household="Web")
    browser = Browser(client)
    browser.get("/login")
    body = {"email": "web@example.com", "password": PASSWORD, "csrf_token": CSRF, "next": "/"}
    browser.cookies["foyer_csrf"] = CSRF
    assert browser.post("/login", body, csrf=None).status_code == 303
    token = browser.cookies["foyer_session"]
    bearer = {"Authorization": f"Bearer {token}"}
    assert client.get(f"{AUTH}/me", headers=bearer).status_code == 200
    assert browser.post("/logout", {}).status_code == 303
    assert_envelope(client.get(f"{AUTH}/me", headers=bearer), 401, "unauthorized")
    # The cookie replayed (copied before sign-out) no longer opens the dashboard.
    replayed = Browser(client)
    replayed.cookies.update({"foyer_session": token, "foyer_csrf": CSRF})
    assert replayed.get("/").status_code == 303


def test_auth_answers_are_not_stored(client: TestClient, engine: Engine) -> None:
    make_user(engine)
    data = {"username": "alex@example.com", "password": PASSWORD}
    answers: list[Any] = [client.post(f"{AUTH}/token", data=data)]
    headers = {"Authorization": f"Bearer {answers[0].json()['access_token']}"}
    answers.append(client.get(f"{AUTH}/me", headers=headers))
    answers.append(client.post(f"{AUTH}/token", data={**data, "password": "wrong one"}))
    assert [a.status_code for a in answers] == [200, 200, 401]
    assert all(a.headers["Cache-Control"] == "no-store" for a in answers)
