"""/api/v1/monitoring/flags (foyer/api/routes/monitoring_flags.py): operators only; a
change takes effect at once in the app that makes it — on the reader, the warmer and the
fast path — and in another app on the same database at its next refresh."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from foyer.api.fastpath import CachedHitsMiddleware
from foyer.months import this_month
from foyer.observability.flags import BY_NAME, in_rollout
from foyer.read import OptimizedReader
from tests.factories import Api, household_api, login, make_transaction, make_user
from tests.helpers import assert_422, assert_envelope

FLAGS = "/monitoring/flags"


@pytest.fixture
def app(fresh_app: Callable[..., FastAPI]) -> FastAPI:
    """An app of this test's own: flags it changes never reach another test's app."""
    return fresh_app()


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client


@pytest.fixture
def operator(client: TestClient, engine: Engine) -> Api:
    make_user(engine, email="ops@example.com", household="Ops", operator=True)
    return Api(client, login(client, "ops@example.com"))


@pytest.fixture
def household(client: TestClient, engine: Engine) -> Api:
    return household_api(client, engine, email="alex@example.com", household="Home")


def flags_of(api: Api) -> dict[str, dict[str, Any]]:
    return {flag["name"]: flag for flag in api.ok(FLAGS)["items"]}


def test_operators_see_every_flag_with_its_default(operator: Api) -> None:
    flags = flags_of(operator)
    assert set(flags) == set(BY_NAME)
    for flag in flags.values():
        assert (flag["percent"], flag["default"], flag["source"]) == (100, 100, "setting")
        assert flag["updated_at"] is flag["updated_by"] is None
        assert flag["description"]


def test_defaults_follow_the_settings(fresh_app: Callable[..., FastAPI], engine: Engine) -> None:
    app = fresh_app(reader="reference", fast_hits="off")
    with TestClient(app) as client:
        make_user(engine, email="ops@example.com", household="Ops", operator=True)
        flags = flags_of(Api(client, login(client, "ops@example.com")))
    assert {name: flag["percent"] for name, flag in flags.items()} == {
        "engine": 0,
        "warming": 100,
        "fast_path": 0,
    }


def test_an_operator_sets_a_flag(operator: Api) -> None:
    response = operator.put(f"{FLAGS}/engine", {"percent": 25})
    assert response.status_code == 200, response.text
    flag = response.json()
    assert (flag["name"], flag["percent"], flag["default"]) == ("engine", 25, 100)
    assert (flag["source"], flag["updated_by"]) == ("db", "ops@example.com")
    assert flag["updated_at"] is not None
    assert flags_of(operator)["engine"] == flag


def test_anonymous_callers_get_401(client: TestClient) -> None:
    assert_envelope(client.get(f"/api/v1{FLAGS}"), 401, "unauthorized")
    put = client.put(f"/api/v1{FLAGS}/engine", json={"percent": 0})
    assert_envelope(put, 401, "unauthorized")


def test_other_users_get_403_and_change_nothing(household: Api, operator: Api) -> None:
    assert_envelope(household.get(FLAGS), 403, "forbidden")
    assert_envelope(household.put(f"{FLAGS}/engine", {"percent": 0}), 403, "forbidden")
    assert_envelope(household.put(f"{FLAGS}/turbo", {"percent": 0}), 403, "forbidden")
    assert flags_of(operator)["engine"]["source"] == "setting"


@pytest.mark.parametrize(
    "body", [{"percent": 101}, {"percent": -1}, {"percent": "50"}, {"percent": 50.5}, {}]
)
def test_a_bad_percent_is_422(operator: Api, body: dict[str, Any]) -> None:
    assert_422(operator.put(f"{FLAGS}/engine", body))
    assert flags_of(operator)["engine"]["source"] == "setting"


def test_an_unknown_flag_is_422(operator: Api) -> None:
    error = assert_422(operator.put(f"{FLAGS}/turbo", {"percent": 50}))
    assert error["details"] == {"flags": list(BY_NAME)}


def test_no_flag_turns_on_a_fast_path_the_settings_removed(
    fresh_app: Callable[..., FastAPI], engine: Engine
) -> None:
    with TestClient(fresh_app(fast_hits="off")) as client:
        make_user(engine, email="ops@example.com", household="Ops", operator=True)
        operator = Api(client, login(client, "ops@example.com"))
        assert_envelope(operator.put(f"{FLAGS}/fast_path", {"percent": 100}), 409, "conflict")


# -- a change takes effect ----------------------------------------------------------------


def test_the_engine_flag_takes_effect_at_once(
    operator: Api, household: Api, app: FastAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[int] = []
    real = OptimizedReader.summary

    def spy(self: OptimizedReader, conn: Any, **kwargs: Any) -> Any:
        calls.append(kwargs["household_id"])
        return real(self, conn, **kwargs)

    monkeypatch.setattr(OptimizedReader, "summary", spy)
    household.ok("/dashboard/summary", month="2025-01")
    assert calls == [household.household_id]
    assert operator.put(f"{FLAGS}/engine", {"percent": 0}).status_code == 200
    household.ok("/dashboard/summary", month="2025-02")  # a miss: computed by the reference
    assert calls == [household.household_id]


def test_the_warming_flag_takes_effect_at_once(operator: Api, household: Api, app: FastAPI) -> None:
    month = this_month()
    for day, percent in ((1, 100), (2, 0)):
        assert operator.put(f"{FLAGS}/warming", {"percent": percent}).status_code == 200
        household.create_transactions(make_transaction(date=f"{month}-{day:02d}"))
        app.state.foyer.warmer.wait()
        household.ok("/dashboard/summary", month=month)
    # Warmed after the first write (a hit), not after the second (a miss).
    assert (household.count("summary", "l1", "hit"), household.count("summary", "l1", "miss")) == (
        1,
        1,
    )


def test_the_fast_path_flag_takes_effect_at_once(
    operator: Api, household: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    answered: list[str] = []
    real = CachedHitsMiddleware._answer

    async def spy(self: CachedHitsMiddleware, scope: Any) -> Any:
        response = await real(self, scope)
        if response is not None:
            answered.append(scope["path"])
        return response

    monkeypatch.setattr(CachedHitsMiddleware, "_answer", spy)
    for _ in range(2):
        household.ok("/dashboard/summary", month="2025-06")  # a miss, then a hit
    assert answered == ["/api/v1/dashboard/summary"] * 2
    assert operator.put(f"{FLAGS}/fast_path", {"percent": 0}).status_code == 200
    household.ok("/dashboard/summary", month="2025-06")  # a hit still, now by the route
    assert answered == ["/api/v1/dashboard/summary"] * 2
    assert household.count("summary", "l1", "hit") == 2


def test_another_app_follows_at_its_next_refresh(
    operator: Api, fresh_app: Callable[..., FastAPI]
) -> None:
    # Refreshing after every check (0 s): each check finds the flags due, starts a refresh
    # on its own thread and answers from what it holds meanwhile.
    other = fresh_app(flags_refresh_seconds=0).state.foyer.flags
    household_id = next(h for h in range(1, 1000) if not in_rollout("engine", h, 40))
    assert other.enabled("engine", household_id)
    other.wait()
    assert operator.put(f"{FLAGS}/engine", {"percent": 40}).status_code == 200
    other.enabled("engine", household_id)  # due: starts a refresh, on its own thread
    other.wait()
    assert not other.enabled("engine", household_id)
    assert other.state("engine").updated_by == "ops@example.com"
    other.close()
