"""Plain factory functions with keyword overrides (no factory framework needed)."""

from __future__ import annotations

import datetime as dt
import functools
import itertools
from contextlib import AbstractContextManager
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import Connection, Engine

from foyer.auth.security import hash_password, issue_token
from foyer.auth.service import User, create_user, ensure_household
from foyer.db.engine import Database
from foyer.db.schema import household_config
from foyer.months import month_of
from foyer.services import budget
from foyer.services import transactions as tx
from foyer.services.transactions import NewRow

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

    def get(self, path: str, *, headers: dict[str, str] | None = None, **params: Any) -> Any:
        """GET `path` with query `params`; `headers` add to (or override) the bearer's."""
        return self.client.get(
            f"/api/v1{path}", params=params, headers={**self.headers, **(headers or {})}
        )

    def post(self, path: str, json: Any) -> Any:
        return self.client.post(f"/api/v1{path}", json=json, headers=self.headers)

    def post_raw(self, path: str, content: bytes) -> Any:
        """POST `content` as it is, declared as JSON (bodies no JSON encoder would write)."""
        headers = {**self.headers, "Content-Type": "application/json"}
        return self.client.post(f"/api/v1{path}", content=content, headers=headers)

    def upload(self, content: bytes, *, name: str = "releve.csv", **form: str) -> Any:
        """POST a bank file to /imports (multipart `file`, plus any form fields)."""
        return self.client.post(
            "/api/v1/imports",
            files={"file": (name, content, "text/csv")},
            data=form,
            headers=self.headers,
        )

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

    def create(self, path: str, body: Any) -> int:
        """POST `body` to a collection; the new item's id."""
        response = self.post(path, body)
        assert response.status_code == 201, response.text
        return int(response.json()["id"])

    def create_transactions(self, *items: dict[str, Any]) -> list[int]:
        response = self.post("/transactions/bulk", {"items": list(items)})
        assert response.status_code == 201, response.text
        return list(response.json()["ids"])


def household_api(client: TestClient, engine: Engine, *, email: str, household: str) -> Api:
    """A user in `household` with a bearer token minted directly.

    Logging in over HTTP costs an argon2 verification (slow by design) per test; the login
    flow itself is covered in tests/api/test_auth.py.
    """
    user = make_user(engine, email=email, household=household)
    secret = client.app.state.foyer.secret  # type: ignore[attr-defined]
    token = issue_token(secret, user_id=user.id, household_id=user.household_id, ttl_minutes=60)
    return Api(client, {"Authorization": f"Bearer {token}"}, household_id=user.household_id)


_household_numbers = itertools.count()


def new_household_api(client: TestClient, engine: Engine) -> Api:
    """A logged-in client for a household no other call made: for Hypothesis tests, whose
    examples share one test's database (tables are emptied between tests, not examples)."""
    n = next(_household_numbers)
    return household_api(client, engine, email=f"h{n}@example.com", household=f"Household {n}")


# -- below the API: the services' own rows ----------------------------------------------------

CREATED = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


def service_row(**overrides: Any) -> dict[str, Any]:
    """A transaction as the services take it, in cents, its tags alongside (`new_row`)."""
    row: dict[str, Any] = {
        "date": dt.date(2025, 12, 3),
        "label": "CB CARREFOUR",
        "amount_cents": -500,
        "category": "courses",
        "category_parent": "alimentation",
        "exclude": False,
        "expense_type": "VARIABLE",
        "tags": [],
    }
    row.update(overrides)
    return row


def new_row(row: dict[str, Any]) -> NewRow:
    """`row` (a `service_row`) as `foyer.services.transactions.insert_rows` takes it."""
    return NewRow(
        row["date"],
        month_of(row["date"]),
        row["label"],
        row["amount_cents"],
        row["category"],
        row["category_parent"],
        "joint",
        row["exclude"],
        row["expense_type"],
        None,
        CREATED,
    )


def insert_rows(engine: Engine, household_id: int, *rows: dict[str, Any]) -> list[int]:
    """`service_row`s inserted through the services, in one unit of work; their ids."""
    with unit_of_work(engine) as conn:
        return tx.insert_rows(
            conn,
            household_id=household_id,
            rows=[new_row(r) for r in rows],
            tags=[r["tags"] for r in rows],
        )


def make_households(engine: Engine) -> list[int]:
    """Two new households: the first configured, the second without a config row at all
    (the summary's join must cope)."""
    n = next(_household_numbers)
    with unit_of_work(engine) as conn:
        first = ensure_household(conn, name=f"Household {n} a")
        second = ensure_household(conn, name=f"Household {n} b")
        budget.update_config(
            conn,
            household_id=first,
            changes=budget.ConfigChanges(
                member1_name="A", income1_cents=250_000, income2_cents=180_000, tax_rate1_bp=1000
            ),
        )
        conn.execute(household_config.delete().where(household_config.c.household_id == second))
    return [first, second]


def run_ops(engine: Engine, households: list[int], ops: list[Any]) -> None:
    """Apply writes through the services, one unit of work each (as the API does).

    An op is `("insert" | "bulk", household index, [service_row, ...])`, or
    `("patch", n, {field: value})` / `("delete", n, None)` on the n-th (modulo) row still there.
    """
    owned: list[tuple[int, int]] = []  # (household, transaction id) still present
    for kind, arg, payload in ops:
        if kind in ("insert", "bulk"):
            household_id = households[arg]
            owned += [(household_id, i) for i in insert_rows(engine, household_id, *payload)]
            continue
        if not owned:
            continue
        household_id, transaction_id = owned[arg % len(owned)]
        with unit_of_work(engine) as conn:
            if kind == "patch":
                assert tx.update_transaction(
                    conn,
                    household_id=household_id,
                    transaction_id=transaction_id,
                    changes=tx.TransactionChanges(**payload),
                )
            else:
                assert tx.delete_transaction(
                    conn, household_id=household_id, transaction_id=transaction_id
                )
                owned.remove((household_id, transaction_id))
