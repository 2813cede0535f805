"""Login throttling (SPEC §7): one account however its email is spelled, per address across
accounts, bounded usernames, an atomic count however many requests run at once, and a
Redis that does not answer."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from foyer.auth import service
from foyer.auth.login import BadCredentials, Busy, Throttled, guarded, log_in
from foyer.auth.ratelimit import LoginThrottle
from foyer.db.engine import Database
from tests.factories import PASSWORD, make_user
from tests.helpers import assert_envelope
from tests.web.pages import CSRF, Browser

TOKEN_URL = "/api/v1/auth/token"


@pytest.fixture
def password_checks(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The passwords argon2 was asked to verify, in order (the real check still runs)."""
    seen: list[str] = []
    real = service.verify_password

    def counting(password_hash: str | None, password: str) -> bool:
        seen.append(password)
        return real(password_hash, password)

    monkeypatch.setattr(service, "verify_password", counting)
    return seen


def bad(username: str) -> dict[str, str]:
    return {"username": username, "password": "not the password"}


def test_every_spelling_of_an_email_shares_one_window(
    client: TestClient, engine: Engine, app: FastAPI
) -> None:
    make_user(engine)
    allowed = app.state.foyer.login_throttle.item.amount
    spellings = [" alex@example.com", "alex@example.com ", "\talex@example.com", "ALEX@Example.com"]
    for n in range(allowed):
        assert client.post(TOKEN_URL, data=bad(spellings[n % len(spellings)])).status_code == 401
    for spelling in spellings:
        assert_envelope(client.post(TOKEN_URL, data=bad(spelling)), 429, "rate_limited")


def test_one_address_is_limited_across_emails(fresh_app: Any, engine: Engine) -> None:
    make_user(engine)
    app = fresh_app(login_rate_limit="100/minute", login_address_rate_limit="3/minute")
    with TestClient(app, raise_server_exceptions=False) as client:
        for n in range(3):
            assert client.post(TOKEN_URL, data=bad(f"user{n}@example.com")).status_code == 401
        refused = client.post(TOKEN_URL, data=bad("someone.else@example.com"))
        assert_envelope(refused, 429, "rate_limited")
        assert int(refused.headers["Retry-After"]) >= 1
        # The address is stopped whatever it tries, the right password included.
        good = {"username": "alex@example.com", "password": PASSWORD}
        assert client.post(TOKEN_URL, data=good).status_code == 429


def test_a_success_forgives_the_accounts_failures_only(fresh_app: Any, engine: Engine) -> None:
    make_user(engine)
    app = fresh_app(login_rate_limit="2/minute", login_address_rate_limit="5/minute")
    good = {"username": "alex@example.com", "password": PASSWORD}
    with TestClient(app, raise_server_exceptions=False) as client:
        assert client.post(TOKEN_URL, data=bad("alex@example.com")).status_code == 401
        assert client.post(TOKEN_URL, data=good).status_code == 200  # clears alex's window
        assert client.post(TOKEN_URL, data=bad("alex@example.com")).status_code == 401
        assert client.post(TOKEN_URL, data=bad("alex@example.com")).status_code == 401
        # Five attempts from this address: successes count there (or logging in to one's
        # own account would reset the address's window for guesses at others').
        assert client.post(TOKEN_URL, data=bad("sam@example.com")).status_code == 401
        assert client.post(TOKEN_URL, data=bad("sam@example.com")).status_code == 429


@pytest.mark.parametrize(
    "credentials",
    [
        {"username": "a" * 10_000 + "@example.com", "password": "x"},
        {"username": "alex@example.com", "password": "p" * 100_000},
    ],
    ids=["huge-username", "huge-password"],
)
def test_absurd_credentials_fail_without_hashing_or_keys(
    client: TestClient,
    engine: Engine,
    app: FastAPI,
    password_checks: list[str],
    credentials: dict[str, str],
) -> None:
    make_user(engine)
    assert_envelope(client.post(TOKEN_URL, data=credentials), 401, "unauthorized")
    assert password_checks == []
    storage = app.state.foyer.login_throttle.storage
    assert storage.events  # the attempt counted, against the address
    assert all(len(key) < 300 for key in storage.events)


def test_parallel_wrong_logins_get_only_the_windows_guesses(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """N logins at once: each wrong password reaching argon2 waits there until every
    request has either reached it or been refused. Counting before checking (test, then
    hit after the failure) let all N through; an atomic take lets the window's 5."""
    make_user(engine)
    limit, attempts = 5, 12
    throttle = LoginThrottle(f"{limit}/minute", "100/minute", hash_slots=attempts)
    reached: list[str] = []
    refused: list[object] = []
    changed = threading.Condition()
    release = threading.Event()
    real = service.verify_password

    def blocking_check(password_hash: str | None, password: str) -> bool:
        with changed:
            reached.append(password)
            changed.notify_all()
        release.wait(timeout=60)  # a safety net only: released below, never timed
        return real(password_hash, password)

    monkeypatch.setattr(service, "verify_password", blocking_check)
    database = Database(engine)

    def attempt(n: int) -> None:
        outcome = log_in(
            database=database,
            throttle=throttle,
            secret="k" * 32,
            ttl_minutes=5,
            email="alex@example.com",
            password=f"guess {n}",
            client="203.0.113.9",
        )
        if isinstance(outcome, Throttled):
            with changed:
                refused.append(outcome)
                changed.notify_all()

    threads = [threading.Thread(target=attempt, args=(n,)) for n in range(attempts)]
    for thread in threads:
        thread.start()
    with changed:
        changed.wait_for(lambda: len(reached) + len(refused) >= attempts, timeout=60)
    release.set()
    for thread in threads:
        thread.join()
    assert len(reached) == limit
    assert len(refused) == attempts - limit


def test_unreachable_redis_refuses_logins_at_once() -> None:
    # Port 1: nothing listens, the connection is refused; the client's timeout bounds the
    # case where nothing answers at all (its options are checked below).
    throttle = LoginThrottle("5/minute", "20/minute", redis_url="redis://127.0.0.1:1/0")
    checks: list[int] = []

    def check() -> int:
        checks.append(1)
        return 1

    outcome = guarded(throttle, account="alex@example.com", client="10.0.0.1", check=check)
    assert isinstance(outcome, Busy)
    assert outcome.retry_after >= 1
    assert checks == []  # never an unthrottled password check


def test_the_throttles_redis_client_has_timeouts_and_no_retries() -> None:
    throttle = LoginThrottle("5/minute", "20/minute", redis_url="redis://127.0.0.1:1/0")
    client = throttle.storage.storage  # type: ignore[attr-defined]  # limits' redis.Redis
    options = client.connection_pool.connection_kwargs
    assert options["socket_timeout"] == options["socket_connect_timeout"] == 0.5
    assert client.get_retry().get_retries() == 0


@pytest.fixture
def one_slot(fresh_app: Any) -> FastAPI:
    app: FastAPI = fresh_app(login_hash_concurrency=1)
    return app


def test_a_login_without_a_free_hashing_slot_is_refused_at_once(
    one_slot: FastAPI, engine: Engine, password_checks: list[str]
) -> None:
    make_user(engine)
    throttle: LoginThrottle = one_slot.state.foyer.login_throttle
    good = {"username": "alex@example.com", "password": PASSWORD}
    with TestClient(one_slot, raise_server_exceptions=False) as client:
        token = client.post(TOKEN_URL, data=good).json()["access_token"]
        with throttle.hashing_slot() as held:  # another login's argon2 check, running
            assert held
            busy = client.post(TOKEN_URL, data=good)
            assert_envelope(busy, 503, "unavailable")
            assert busy.headers["Retry-After"] == "1"
            # A sync route (the threadpool) answers meanwhile.
            config = client.get("/api/v1/config", headers={"Authorization": f"Bearer {token}"})
            assert config.status_code == 200
        assert password_checks == [PASSWORD]  # the refused login never hashed
        assert client.post(TOKEN_URL, data=good).status_code == 200  # slot free again


def test_guarded_reports_each_outcome() -> None:
    throttle = LoginThrottle("1/minute", "10/minute")
    ok = guarded(throttle, account="a@x", client="c", check=lambda: "token")
    assert ok == "token"
    failed = guarded(throttle, account="a@x", client="c", check=lambda: None)
    assert isinstance(failed, BadCredentials)
    assert isinstance(guarded(throttle, account="a@x", client="c", check=lambda: 1), Throttled)


def test_the_web_sign_in_answers_busy_the_same_way(
    one_slot: FastAPI, engine: Engine, password_checks: list[str]
) -> None:
    make_user(engine)
    throttle: LoginThrottle = one_slot.state.foyer.login_throttle
    form = {"email": "alex@example.com", "password": PASSWORD, "csrf_token": CSRF, "next": "/"}
    with TestClient(one_slot, raise_server_exceptions=False) as client:
        browser = Browser(client)
        browser.cookies["foyer_csrf"] = CSRF
        with throttle.hashing_slot():
            page = browser.post("/login", form, csrf=None)
        assert page.status_code == 503
        assert page.headers["Retry-After"] == "1"
        assert "Too many sign-ins at once" in page.text
        assert password_checks == []
        assert browser.post("/login", form, csrf=None).status_code == 303
