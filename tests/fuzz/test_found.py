"""The server errors tests/fuzz/test_schemathesis.py found, each pinned by its request.

Every one answered 500 before its fix: bad input or an edge of the valid range reached a
place that raised.
"""

from __future__ import annotations

from typing import Any

import pytest

from foyer.cache.views import VIEWS
from tests.factories import Api, make_transaction
from tests.helpers import assert_422, view_request

BIG, SMALL = 2**63, 2**31  # one past the largest id of a BIGINT and of an INTEGER column


@pytest.mark.parametrize(
    ("method", "path", "past"),
    [
        ("GET", "/fixed-lines/{}", SMALL),
        ("DELETE", "/fixed-lines/{}", SMALL),
        ("GET", "/provisions/{}", SMALL),
        ("DELETE", "/provisions/{}", SMALL),
        ("GET", "/rules/{}", BIG),
        ("DELETE", "/rules/{}", BIG),
        ("GET", "/budgets/{}", BIG),
        ("DELETE", "/budgets/{}", BIG),
        ("GET", "/jobs/{}", BIG),
        ("GET", "/transactions/{}", BIG),
    ],
)
def test_an_id_beyond_its_column_is_bad_input(api: Api, method: str, path: str, past: int) -> None:
    # It reached the database: SQLite's driver raised OverflowError, PostgreSQL "out of
    # range" (a 32-bit INTEGER column there for fixed lines and provisions).
    def answer(item_id: int) -> Any:
        return api.client.request(method, f"/api/v1{path.format(item_id)}", headers=api.headers)

    assert_422(answer(past))
    assert answer(past - 1).status_code == 404


def test_the_last_month_foyer_takes_lists_its_transactions(api: Api) -> None:
    # The listing bounds a month by the first day of the next: 2201-01 failed to parse.
    api.create_transactions(make_transaction(date="2200-12-31"))
    page = api.ok("/transactions", month="2200-12")
    assert [item["date"] for item in page["items"]] == ["2200-12-31"]
    view = next(view for view in VIEWS if view.name == "drill_down_page")
    path, query = view_request(view, month="2200-12", category="courses")
    assert len(api.ok(path, **query)["items"]) == 1


def test_kpis_of_the_first_month_foyer_takes(api: Api) -> None:
    # KPIs compare with the month before, 1899-12, which failed to parse.
    body = api.ok("/analytics/kpis", **{"from": "1900-01", "to": "1900-01"})
    assert body
