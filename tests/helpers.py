"""Assertions and builders the test modules share.

Fixtures live in `tests/conftest.py`, factories of users, households and rows in
`tests/factories.py`, independent recomputations in `tests/oracles.py`.
"""

from __future__ import annotations

import os
import secrets
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx2 as httpx
import psycopg
import pytest
from sqlalchemy import Engine, select

from foyer.cache.params import ParamName
from foyer.cache.store import redis_client
from foyer.cache.views import View
from foyer.db.engine import make_engine
from foyer.db.schema import transaction_tag
from foyer.settings import Settings
from tests.factories import Api

JSON = dict[str, Any]

#: The repository's root (docs/, locustfile.py).
REPO = Path(__file__).resolve().parents[1]

PG_ADMIN_URL = os.environ.get(
    "FOYER_TEST_PG_ADMIN", "postgresql://postgres@127.0.0.1:5432/postgres"
)
REDIS_URL = os.environ.get("FOYER_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
REQUIRE_SERVICES = os.environ.get("FOYER_REQUIRE_SERVICES") == "1"


# -- services ---------------------------------------------------------------------------------


def service_unavailable(reason: str) -> None:
    """Skip, or fail when services are required (CI)."""
    if REQUIRE_SERVICES:
        pytest.fail(f"{reason} (FOYER_REQUIRE_SERVICES=1)")
    pytest.skip(reason)


def pg_admin() -> psycopg.Connection[tuple[object, ...]]:
    return psycopg.connect(PG_ADMIN_URL, autocommit=True, connect_timeout=3)


def create_pg_database(prefix: str) -> str:
    """A new, empty PostgreSQL database named `<prefix>_<random>`; its URL.

    Skips (or fails, see `service_unavailable`) when the server is unreachable.
    """
    name = f"{prefix}_{secrets.token_hex(4)}"
    try:
        with pg_admin() as admin:
            admin.execute(f'CREATE DATABASE "{name}"')
    except psycopg.OperationalError as exc:
        service_unavailable(f"PostgreSQL unreachable at {PG_ADMIN_URL}: {exc}")
    return f"{PG_ADMIN_URL.rsplit('/', 1)[0]}/{name}"


def drop_pg_database(url: str) -> None:
    name = url.rsplit("/", 1)[1]
    with pg_admin() as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def reachable_redis_url(url: str = REDIS_URL) -> str:
    """`url`, once a PING answered; skips (or fails) otherwise."""
    client = redis_client(url, timeout=1.0)
    try:
        client.ping()
    except Exception as exc:
        service_unavailable(f"Redis unreachable at {url}: {exc}")
    finally:
        client.close()
    return url


def engine_for(url: str) -> Engine:
    """foyer's engine (pragmas, pools) on `url`, settings from nothing but the URL."""
    return make_engine(Settings(database_url=url, _env_file=None))  # type: ignore[call-arg]


# -- answers ----------------------------------------------------------------------------------


def assert_envelope(response: httpx.Response, status: int, code: str) -> JSON:
    """The error envelope (SPEC §9): status, code, a message, the request's correlation id."""
    assert response.status_code == status, response.text
    error: JSON = response.json()["error"]
    assert error["code"] == code
    assert error["message"]
    assert error["correlation_id"] == response.headers["X-Correlation-ID"]
    return error


def assert_422(response: httpx.Response) -> JSON:
    return assert_envelope(response, 422, "validation_error")


def cents(amount: Any) -> int:
    """A JSON money number (or its text) back to integer cents, exactly."""
    return int(Decimal(str(amount)) * 100)


# -- the transaction listing ------------------------------------------------------------------

SORTS = ("date_desc", "date_asc", "amount_asc", "amount_desc")
#: What a client writes of a transaction (tags aside) and reads back as it wrote it.
WRITTEN_FIELDS = (
    "date",
    "label",
    "amount",
    "category",
    "category_parent",
    "account",
    "exclude",
    "expense_type",
)


def listing(api: Api, **params: Any) -> JSON:
    """One page of GET /transactions, as large as pages go unless `params` say otherwise."""
    page: JSON = api.ok("/transactions", **{"limit": 500, **params})
    return page


def listed_ids(api: Api, **params: Any) -> list[int]:
    """The ids of `listing` (which must be the last page)."""
    page = listing(api, **params)
    assert page["next_cursor"] is None
    return [item["id"] for item in page["items"]]


def count_rows(api: Api) -> int:
    return len(listed_ids(api))


def walk(api: Api, *, sort: str, limit: int, **params: Any) -> list[int]:
    """Every id, following next_cursor page by page."""
    ids: list[int] = []
    cursor: str | None = None
    for _ in range(1000):
        query = {"sort": sort, "limit": limit, **params}
        if cursor is not None:
            query["cursor"] = cursor
        page = api.ok("/transactions", **query)
        assert len(page["items"]) <= limit
        ids += [item["id"] for item in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            return ids
        assert len(page["items"]) == limit  # only the last page may be short
    raise AssertionError("pagination never ended")


def tags_in_db(engine: Engine, transaction_id: int) -> list[str]:
    with engine.connect() as conn:
        rows = conn.execute(
            select(transaction_tag.c.tag)
            .where(transaction_tag.c.transaction_id == transaction_id)
            .order_by(transaction_tag.c.tag)
        )
        return [row[0] for row in rows]


# --- requests of the declared views ------------------------------------------------------

#: A value for every kind of view parameter: tests that walk foyer.cache.views.VIEWS build
#: each view's request from these, so a view added with known kinds is tested as declared.
VIEW_SAMPLE: dict[ParamName, str | int] = {
    "month": "2025-06",
    "from": "2025-01",
    "to": "2025-06",
    "expense_types": "VARIABLE,FIXED,PROVISION",
    "category": "courses",
    "sort": "amount_asc",
    "limit": 2,  # small: a page with a next_cursor
    "cursor": "",
}


def view_request(view: View, **overrides: str | int) -> tuple[str, dict[str, Any]]:
    """(path under /api/v1, query) of a request for `view`, from VIEW_SAMPLE."""
    values: dict[str, str | int] = {**VIEW_SAMPLE, **overrides}
    path = view.path.replace("{category}", str(values["category"]))
    query: dict[str, Any] = {name: values[name] for name in view.params}
    if view.level is not None:
        query["level"] = view.level
    return path, query
