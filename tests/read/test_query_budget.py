"""Query budgets: each view of the optimised reader runs at most its few queries, and a
cached summary costs the data-stamp lookup alone (a revalidation too)."""

from __future__ import annotations

import datetime as dt
import threading
from typing import Any

import pytest
from sqlalchemy import Engine, event

from foyer.cache.params import ParamName
from foyer.cache.views import VIEWS, Sources, View, path_params
from foyer.db.engine import read_connection
from foyer.domain.vocabulary import EXPENSE_TYPES
from foyer.read import OptimizedReader
from foyer.read.cursors import CursorCodec
from foyer.services import stamps
from tests.factories import Api, insert_rows, make_households, make_transaction, service_row

optimized = OptimizedReader()


@pytest.fixture
def count_queries(engine: Engine) -> Any:
    statements: list[str] = []

    def record(*args: Any) -> None:
        # SQLite's BEGIN is issued as a statement by foyer.db.engine; it is not a query.
        # The app's warmer is not the request under test either: it works on a thread of
        # its own (at start-up, it looks for the households to warm).
        warming = threading.current_thread().name.startswith("foyer-warm")
        if args[2] != "BEGIN" and not warming:
            statements.append(args[2])

    event.listen(engine, "before_cursor_execute", record)
    yield statements
    event.remove(engine, "before_cursor_execute", record)


#: Queries each view may run on the optimised reader (cache aside). A view declared in
#: foyer.cache.views without a budget here fails its case below.
BUDGET = {
    "summary": 3,
    "slim_summary": 3,
    "hierarchy": 1,
    "provisions_calculate": 2,
    "drill_down_summary": 1,
    "drill_down_details": 2,
    "drill_down_page": 2,  # the page, its rows' tags
    "transactions_month": 2,  # the same listing, all the month's rows
    "trends": 1,
    "kpis": 2,
    "analytics_categories": 1,
    "budgets": 2,  # the budgets, the month's categories
    "budget_suggestions": 1,
    "anomalies": 1,  # the month's and the twelve before's categories
    "transfers": 4,  # the summary's three, the month's balance
}
SAMPLE: dict[ParamName, str | int] = {
    "month": "2025-12",
    "from": "2023-01",
    "to": "2025-12",
    "expense_types": ",".join(EXPENSE_TYPES),
    "category": "courses",
    "sort": "date_desc",
    "limit": 50,
    "cursor": "",
}


@pytest.mark.parametrize("view", VIEWS, ids=lambda view: view.name)
def test_views_stay_within_their_query_budget(
    engine: Engine, count_queries: list[str], view: View
) -> None:
    [household_id, _] = make_households(engine)
    insert_rows(
        engine,
        household_id,
        service_row(amount_cents=-500, date=dt.date(2025, 12, 3)),
        service_row(amount_cents=1200, date=dt.date(2025, 12, 4), tags=["maison"]),
    )
    names = (*path_params(view.path), *view.params)
    params = {name: SAMPLE[name] for name in names}
    with read_connection(engine) as conn:
        count_queries.clear()
        view.compute(Sources(optimized, CursorCodec("budget")), conn, household_id, params)
    assert 0 < len(count_queries) <= BUDGET[view.name], count_queries


def test_a_cached_summary_costs_one_query_and_a_revalidation_too(
    api: Api, count_queries: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # The data-stamp lookup runs on the driver's cursor (foyer.services.stamps.read_dbapi),
    # out of SQLAlchemy's sight: count it by wrapping it. On PostgreSQL the stamp feed
    # would answer hits with no query at all (tests/cache/test_feed.py): off here, so the
    # query path is the one counted.
    loop_stamps = api.client.app.state.foyer.view_cache.loop_stamps  # type: ignore[attr-defined]
    monkeypatch.setattr(loop_stamps, "feed", None)
    lookups: list[int] = []
    real_read = stamps.read_dbapi

    def counted(*args: Any) -> dict[str, int]:
        lookups.append(1)
        return real_read(*args)

    real_read_async = stamps.read_async

    async def counted_async(*args: Any) -> dict[str, int]:  # PostgreSQL, on the event loop
        lookups.append(1)
        return await real_read_async(*args)

    monkeypatch.setattr(stamps, "read_dbapi", counted)
    monkeypatch.setattr(stamps, "read_async", counted_async)
    api.create_transactions(make_transaction(), make_transaction(amount=12))
    # Nothing of June is cached (the app starts empty) nor warmed (no write of June, a month
    # long gone, warms it, and nothing was read before); the write read no stamps either.
    assert lookups == []
    # SQLite: stamps read since the last commit are reused while `PRAGMA data_version`
    # says nothing was committed (foyer.cache.loop): one read, then none.
    sqlite = loop_stamps._main.dialect.name == "sqlite"
    again_read = 0 if sqlite else 1
    count_queries.clear()
    first = api.get("/dashboard/summary", month="2025-06")
    # A miss: the fast path (foyer.api.fastpath) reads the stamps, finds no entry and
    # computes it under that key: one stamp read, the view's queries.
    assert (len(lookups), len(count_queries)) == (1, BUDGET["summary"])
    count_queries.clear()
    assert api.get("/dashboard/summary", month="2025-06").content == first.content
    assert (len(lookups), len(count_queries)) == (1 + again_read, 0)  # a hit: stamps only
    again = api.get(
        "/dashboard/summary", month="2025-06", headers={"If-None-Match": first.headers["ETag"]}
    )
    assert again.status_code == 304
    assert (len(lookups), len(count_queries)) == (1 + 2 * again_read, 0)
