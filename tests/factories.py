"""Plain factory functions with keyword overrides (no factory framework needed)."""

from __future__ import annotations

import functools
from contextlib import AbstractContextManager
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import Connection, Engine

from foyer.auth.security import hash_password, issue_token
from foyer.auth.service import User, create_user
from foyer.db.engine import Database

PASSWORD = "correct horse battery"


def unit_of_work(engine: Engine) -> AbstractContextManager[Connection]:
    """A write on `engine` outside any app: no app's commit listeners hear it (use
    `app.state.foyer.database.unit_of_work()` for that)."""
    return Database(engine).unit_of_work()


@functools.cache
def _password_hash() -> str:
    # argon2 is slow by design; hash the shared test password once per run.
    return hash_password(PASSWORD)


def make_user(
    engine: Engine,
    *,
    email: str = "alex@example.com",
    household: str = "Home",
    operator: bool = False,
) -> User:
    with unit_of_work(engine) as conn:
        return create_user(
            conn,
            email=email,
            password=PASSWORD,
            household_name=household,
            operator=operator,
            password_hash=_password_hash(),
        )


def login(client: TestClient, email: str, password: str = PASSWORD) -> dict[str, str]:
    response = client.post("/api/v1/auth/token", data={"username": email, "password": password})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def make_transaction(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "date": "2025-06-12",
        "label": "CB CARREFOUR 12/06",
        "amount": -54.3,
        "category": "courses",
        "category_parent": "alimentation",
        "account": "joint",
        "exclude": False,
        "expense_type": "VARIABLE",
        "tags": [],
    }
    body.update(overrides)
    return body


def make_fixed_line(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "label": "Loyer",
        "amount": 1150,
        "frequency": "monthly",
        "split_mode": "key",
        "category": "logement",
    }
    body.update(overrides)
    return body


def make_provision(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"name": "Vacances", "base": "total", "percentage": 5}
    body.update(overrides)
    return body


class Api:
    """A logged-in client for one household, with short helpers."""

    def __init__(self, client: TestClient, headers: dict[str, str], household_id: int = 0) -> None:
        self.client = client
        self.headers = headers
        self.household_id = household_id

    def count(self, view: str, tier: str, event: str) -> float:
        """One of this app's cache counters (foyer.observability.metrics)."""
        return float(self.client.app.state.foyer.metrics.count(view, tier, event))  # type: ignore[attr-defined]

    def get(self, path: str, **params: Any) -> Any:
        return self.client.get(f"/api/v1{path}", params=params, headers=self.headers)

    def post(self, path: str, json: Any) -> Any:
        return self.client.post(f"/api/v1{path}", json=json, headers=self.headers)

    def put(self, path: str, json: Any) -> Any:
        return self.client.put(f"/api/v1{path}", json=json, headers=self.headers)

    def patch(self, path: str, json: Any) -> Any:
        return self.client.patch(f"/api/v1{path}", json=json, headers=self.headers)

    def delete(self, path: str) -> Any:
        return self.client.delete(f"/api/v1{path}", headers=self.headers)

    def ok(self, path: str, **params: Any) -> Any:
        response = self.get(path, **params)
        assert response.status_code == 200, response.text
        return response.json()

    def create_transactions(self, *items: dict[str, Any]) -> list[int]:
        response = self.post("/transactions/bulk", {"items": list(items)})
        assert response.status_code == 201, response.text
        return list(response.json()["ids"])


def household_api(client: TestClient, engine: Engine, *, email: str, household: str) -> Api:
    """A user in `household` with a bearer token minted directly.

    Logging in over HTTP costs an argon2 verification (slow by design) per test; the login
    flow itself is covered in test_auth.py.
    """
    user = make_user(engine, email=email, household=household)
    secret = client.app.state.foyer.secret  # type: ignore[attr-defined]
    token = issue_token(secret, user_id=user.id, household_id=user.household_id, ttl_minutes=60)
    return Api(client, {"Authorization": f"Bearer {token}"}, household_id=user.household_id)
