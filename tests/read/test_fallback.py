"""The app's reader (foyer/read/fallback.py): optimized or reference per household (the
`engine` flag), and the reference answering, counted and logged, when the optimized one
fails — on both databases, PostgreSQL's aborted transactions included. Bad input and a
database that is down propagate unchanged."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Iterator
from typing import Any

import orjson
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Connection, Engine
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError

from foyer.cache.params import ParamError
from foyer.cache.views import VIEWS, Sources, path_params
from foyer.db.engine import read_connection
from foyer.months import this_month
from foyer.read import FallbackReader, OptimizedReader, ReferenceReader
from foyer.read.cursors import CursorCodec, InvalidCursorError
from tests.factories import Api, household_api, insert_rows, make_households, service_row
from tests.helpers import VIEW_SAMPLE

reference = ReferenceReader()
MONTH = "2025-06"


class Broken:
    """A reader whose every method raises, as a bug in the optimized reader would."""

    name = "broken"

    def __getattr__(self, method: str) -> Callable[..., Any]:
        def fail(*_args: Any, **_kwargs: Any) -> Any:
            raise ZeroDivisionError(f"{method} is broken")

        return fail


class Raising:
    """A reader whose summary raises `error`."""

    name = "raising"

    def __init__(self, error: Exception) -> None:
        self.error = error

    def summary(self, *_args: Any, **_kwargs: Any) -> Any:
        raise self.error


class Named:
    """A reader whose summary says which reader it is."""

    def __init__(self, name: str) -> None:
        self.name = name

    def summary(self, *_args: Any, **_kwargs: Any) -> Any:
        return {"reader": self.name}


def fallback_reader(
    optimized: Any, reference_reader: Any, fallbacks: list[str], use: Callable[[int], bool]
) -> FallbackReader:
    return FallbackReader(
        optimized, reference_reader, use_optimized=use, on_fallback=fallbacks.append
    )


@pytest.fixture
def conn(engine: Engine) -> Iterator[Connection]:
    with read_connection(engine) as connection:
        yield connection


# -- the reader alone ---------------------------------------------------------------------


def test_the_flag_picks_the_reader_per_household(conn: Connection) -> None:
    fallbacks: list[str] = []
    reader = fallback_reader(Named("optimized"), Named("reference"), fallbacks, lambda h: h == 1)
    assert reader.summary(conn, household_id=1, month=MONTH) == {"reader": "optimized"}
    assert reader.summary(conn, household_id=2, month=MONTH) == {"reader": "reference"}
    assert fallbacks == []


def test_every_view_falls_back_to_the_reference(engine: Engine) -> None:
    households = make_households(engine)
    rows = [
        service_row(date=dt.date(2025, month, 3), amount_cents=-1000 * month, tags=["weekly"])
        for month in range(1, 7)
    ]
    insert_rows(engine, households[0], *rows, service_row(date=dt.date(2025, 6, 1)))
    fallbacks: list[str] = []
    cursors = CursorCodec("fallback")
    flagged = Sources(fallback_reader(Broken(), reference, fallbacks, lambda _h: True), cursors)
    oracle = Sources(reference, cursors)
    with read_connection(engine) as conn:
        for view in VIEWS:
            names = (*path_params(view.path), *view.params)
            params = {name: VIEW_SAMPLE[name] for name in names}
            expected = view.compute(oracle, conn, households[0], params)
            assert view.compute(flagged, conn, households[0], params) == expected, view.name
    # The checker can fail: every view the reader computes went through the broken one,
    # counted under the view's own name (the pages are listings, no reader).
    listings = ("drill_down_page", "transactions_month")
    assert sorted(fallbacks) == sorted(view.name for view in VIEWS if view.name not in listings)


@pytest.mark.parametrize(
    "error", [ParamError("month: not a month"), InvalidCursorError("invalid cursor")]
)
def test_bad_input_propagates_unchanged(conn: Connection, error: Exception) -> None:
    fallbacks: list[str] = []
    reader = fallback_reader(Raising(error), Broken(), fallbacks, lambda _h: True)
    with pytest.raises(type(error)) as raised:
        reader.summary(conn, household_id=1, month=MONTH)
    assert raised.value is error
    assert fallbacks == []


@pytest.mark.parametrize(
    "error",
    [
        DBAPIError("SELECT 1", {}, ConnectionError("server gone"), connection_invalidated=True),
        PoolTimeoutError("QueuePool limit reached"),
    ],
)
def test_a_database_down_propagates(conn: Connection, error: Exception) -> None:
    # The reference reader would fail the same way, only later and at a higher cost.
    fallbacks: list[str] = []
    reader = fallback_reader(Raising(error), Broken(), fallbacks, lambda _h: True)
    with pytest.raises(type(error)):
        reader.summary(conn, household_id=1, month=MONTH)
    assert fallbacks == []


# -- through the app ----------------------------------------------------------------------


@pytest.fixture
def client(fresh_app: Callable[..., FastAPI]) -> Iterator[TestClient]:
    """An app of this test's own: its flags and counters start from nothing."""
    with TestClient(fresh_app(), raise_server_exceptions=False) as test_client:
        yield test_client


@pytest.fixture
def household(client: TestClient, engine: Engine) -> Api:
    api = household_api(client, engine, email="alex@example.com", household="Home")
    for day in (3, 12, 20):
        api.create_transactions(
            {
                "date": f"{MONTH}-{day:02d}",
                "label": f"CB CARREFOUR {day}",
                "amount": -10.5 * day,
                "category": "courses",
                "category_parent": "alimentation",
                "account": "joint",
                "exclude": False,
                "expense_type": "VARIABLE",
                "tags": [],
            }
        )
    return api


def fallbacks(client: TestClient, view: str) -> float:
    metrics = client.app.state.foyer.metrics  # type: ignore[attr-defined]
    value = metrics.registry.get_sample_value("foyer_reader_fallbacks_total", {"view": view})
    return float(value or 0.0)


def reference_body(engine: Engine, household_id: int, month: str) -> bytes:
    with read_connection(engine) as conn:
        return orjson.dumps(reference.summary(conn, household_id=household_id, month=month))


def fail_in_python(*_args: Any, **_kwargs: Any) -> Any:
    raise ZeroDivisionError("a bug in the optimized reader")


def fail_in_the_database(self: OptimizedReader, conn: Connection, **_kwargs: Any) -> Any:
    # On PostgreSQL this aborts the read's transaction: the reference must not read in it.
    return conn.exec_driver_sql("SELECT no_such_column FROM household").all()


@pytest.mark.parametrize("failure", [fail_in_python, fail_in_the_database])
def test_a_failing_optimized_read_is_answered_by_the_reference(
    household: Api,
    client: TestClient,
    engine: Engine,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    failure: Callable[..., Any],
) -> None:
    monkeypatch.setattr(OptimizedReader, "summary", failure)
    with caplog.at_level(logging.ERROR, logger="foyer.flags"):
        response = household.get("/dashboard/summary", month=MONTH)
    assert response.status_code == 200, response.text
    assert response.content == reference_body(engine, household.household_id, MONTH)
    assert fallbacks(client, "summary") == 1
    (record,) = [r for r in caplog.records if r.name == "foyer.flags"]
    assert record.levelno == logging.ERROR
    assert record.exc_info is not None
    assert "optimized reader failed on summary" in record.getMessage()


def test_the_counter_is_exposed_for_alerts(
    household: Api, client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(OptimizedReader, "hierarchy", fail_in_python)
    household.ok("/transactions/hierarchy", month=MONTH)
    # What /metrics serves (its access rules are tests/api's business).
    exposition = client.app.state.foyer.metrics.exposition().decode()  # type: ignore[attr-defined]
    assert 'foyer_reader_fallbacks_total{view="hierarchy"} 1.0' in exposition


def test_bad_input_is_not_a_fallback(
    household: Api, client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(*_args: Any, **_kwargs: Any) -> Any:
        raise ParamError("month: refused")

    monkeypatch.setattr(OptimizedReader, "summary", refuse)
    response = household.get("/dashboard/summary", month=MONTH)
    assert response.status_code == 422
    assert response.json()["error"]["message"] == "month: refused"
    assert fallbacks(client, "summary") == 0


def test_households_out_of_the_engine_flag_never_reach_the_optimized_reader(
    household: Api, client: TestClient, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    client.app.state.foyer.flags.set("engine", 0, by=None)  # type: ignore[attr-defined]
    monkeypatch.setattr(OptimizedReader, "summary", fail_in_python)
    response = household.get("/dashboard/summary", month=MONTH)
    assert response.content == reference_body(engine, household.household_id, MONTH)
    assert fallbacks(client, "summary") == 0


def test_a_write_whose_warm_up_fails_still_commits_and_the_read_falls_back(
    household: Api, client: TestClient, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The summary of this month is warmed after the write, on the warmer's worker and a
    read connection: the optimized reader's failure there falls back to the reference as
    any read's does; the write commits and the read is right."""
    month = this_month()
    monkeypatch.setattr(OptimizedReader, "summary", fail_in_the_database)
    household.create_transactions(
        {
            "date": f"{month}-01",
            "label": "CB MONOPRIX",
            "amount": -42,
            "category": "courses",
            "category_parent": "alimentation",
            "account": "joint",
            "exclude": False,
            "expense_type": "VARIABLE",
            "tags": [],
        }
    )
    client.app.state.foyer.warmer.wait()  # type: ignore[attr-defined]
    response = household.get("/dashboard/summary", month=month)
    assert response.status_code == 200, response.text
    assert response.content == reference_body(engine, household.household_id, month)
    assert response.json()["variable"]["total"] == 42  # the write is there
    assert fallbacks(client, "summary") >= 1
