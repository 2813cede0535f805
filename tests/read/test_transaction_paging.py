"""GET /api/v1/transactions order and pages (SPEC §5): sorts with their tie-break, keyset
cursors (tampered, foreign, stale), page sizes, fields; pages concatenate to one page."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine

from foyer.db.engine import read_connection
from foyer.read import transactions as reads
from tests.factories import Api, make_transaction, new_household_api
from tests.helpers import SORTS, assert_envelope, cents, listed_ids, listing, walk
from tests.oracles import listing_order

PAGE_ROWS = [
    make_transaction(
        date=("2025-06-15", "2025-06-01", "2025-06-15", "2025-06-30")[i % 4],
        amount=(-10, -10, 5.5, -10.01, 0)[i % 5],
        label=f"row {i}",
    )
    for i in range(21)
]


@pytest.fixture
def page_rows(api: Api) -> dict[int, dict[str, Any]]:
    # Two bulk calls, so ids interleave neither with dates nor with amounts.
    ids = api.create_transactions(*PAGE_ROWS[10:]) + api.create_transactions(*PAGE_ROWS[:10])
    return dict(zip(ids, PAGE_ROWS[10:] + PAGE_ROWS[:10], strict=True))


@pytest.mark.parametrize("sort", SORTS)
def test_sort_orders_and_tie_break_on_id(
    api: Api, page_rows: dict[int, dict[str, Any]], sort: str
) -> None:
    page = listing(api, sort=sort)
    got = [item["id"] for item in page["items"]]
    assert got == listing_order(page_rows, sort)
    # The items themselves are in order (not only their ids).
    keys = [
        (item["date"] if sort.startswith("date") else cents(item["amount"]), item["id"])
        for item in page["items"]
    ]
    assert keys == sorted(keys, reverse=sort.endswith("desc"))


def test_default_sort_is_date_desc_and_default_limit_50(api: Api) -> None:
    ids = api.create_transactions(
        *[make_transaction(date=f"2025-06-{1 + i % 28:02d}") for i in range(60)]
    )
    rows = {tid: {"date": f"2025-06-{1 + i % 28:02d}", "amount": 0} for i, tid in enumerate(ids)}
    page = api.ok("/transactions")
    assert [item["id"] for item in page["items"]] == listing_order(rows, "date_desc")[:50]
    assert page["next_cursor"] is not None


@pytest.mark.parametrize("sort", SORTS)
@pytest.mark.parametrize("limit", [1, 3, 7, 21, 22])
def test_keyset_walk_visits_every_row_once_in_order(
    api: Api, page_rows: dict[int, dict[str, Any]], sort: str, limit: int
) -> None:
    walked = walk(api, sort=sort, limit=limit)
    assert walked == listed_ids(api, sort=sort)
    assert walked == listing_order(page_rows, sort)
    assert len(walked) == len(set(walked)) == len(page_rows)


@pytest.mark.parametrize("sort", SORTS)
def test_keyset_walk_with_filters(
    api: Api, page_rows: dict[int, dict[str, Any]], sort: str
) -> None:
    walked = walk(api, sort=sort, limit=2, month="2025-06", q="ROW 1", exclude="false")
    expected_ids = {tid for tid, row in page_rows.items() if "row 1" in row["label"]}
    assert len(expected_ids) == 11
    assert walked == [tid for tid in listing_order(page_rows, sort) if tid in expected_ids]


def test_next_cursor_is_null_on_last_page(api: Api, page_rows: dict[int, dict[str, Any]]) -> None:
    assert listing(api, limit=21)["next_cursor"] is None
    first = listing(api, limit=20)
    assert first["next_cursor"] is not None
    last = listing(api, limit=20, cursor=first["next_cursor"])
    assert len(last["items"]) == 1
    assert last["next_cursor"] is None


def test_empty_listing(api: Api) -> None:
    assert api.ok("/transactions") == {"items": [], "next_cursor": None}


def test_rows_added_after_a_cursor_do_not_shift_the_walk(api: Api) -> None:
    ids = api.create_transactions(*[make_transaction(date="2025-06-10") for _ in range(4)])
    first = listing(api, sort="date_asc", limit=2)
    assert [i["id"] for i in first["items"]] == ids[:2]
    api.create_transactions(make_transaction(date="2025-06-01"))  # sorts before the cursor
    rest = listing(api, sort="date_asc", limit=10, cursor=first["next_cursor"])
    assert [i["id"] for i in rest["items"]] == ids[2:]


@pytest.mark.parametrize("limit", [0, -1, 501, "ten"])
def test_limit_out_of_range_is_422(api: Api, limit: Any) -> None:
    assert_envelope(api.get("/transactions", limit=limit), 422, "validation_error")


def test_limit_500_is_accepted(api: Api) -> None:
    assert api.get("/transactions", limit=500).status_code == 200


def flip(cursor: str, index: int) -> str:
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    replacement = alphabet[(alphabet.index(cursor[index]) + 1) % len(alphabet)]
    return cursor[:index] + replacement + cursor[index + 1 :]


def test_tampered_cursor_is_400(api: Api, page_rows: dict[int, dict[str, Any]]) -> None:
    cursor = listing(api, limit=3)["next_cursor"]
    assert cursor
    assert listing(api, limit=3, cursor=cursor)["items"]  # the genuine one works
    # Every character but the last (whose low bits base64 may discard) is covered.
    for index in range(len(cursor) - 1):
        assert_envelope(
            api.get("/transactions", limit=3, cursor=flip(cursor, index)), 400, "invalid_cursor"
        )


@pytest.mark.parametrize(
    "cursor", ["abc", "not a cursor", "=", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "ü", "a" * 300]
)
def test_garbage_cursor_is_400(api: Api, cursor: str) -> None:
    api.create_transactions(make_transaction())
    assert_envelope(api.get("/transactions", cursor=cursor), 400, "invalid_cursor")


@pytest.mark.parametrize(
    ("made_with", "used_with"),
    [
        ("date_desc", "amount_asc"),
        ("date_desc", "date_asc"),
        ("amount_asc", "amount_desc"),
        ("amount_desc", "date_desc"),
    ],
)
def test_cursor_of_another_sort_is_400(
    api: Api, page_rows: dict[int, dict[str, Any]], made_with: str, used_with: str
) -> None:
    cursor = listing(api, sort=made_with, limit=3)["next_cursor"]
    response = api.get("/transactions", sort=used_with, limit=3, cursor=cursor)
    assert_envelope(response, 400, "invalid_cursor")


def test_fields_projects_items(api: Api, page_rows: dict[int, dict[str, Any]]) -> None:
    page = listing(api, fields="id,amount", sort="amount_asc", limit=5)
    assert page["items"]
    for item in page["items"]:
        assert set(item) == {"id", "amount"}
        assert item["amount"] == float(page_rows[item["id"]]["amount"])
    assert page["next_cursor"] is not None
    # Pages still chain when the sort column is not among the fields.
    walked: list[int] = []
    cursor = None
    while True:
        query: dict[str, Any] = {"fields": "label", "sort": "date_asc", "limit": 4}
        if cursor:
            query["cursor"] = cursor
        page = api.ok("/transactions", **query)
        assert all(set(item) == {"label"} for item in page["items"])
        walked += [item["label"] for item in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert walked == [page_rows[tid]["label"] for tid in listing_order(page_rows, "date_asc")]


def test_fields_tags_and_spaces(api: Api) -> None:
    api.create_transactions(make_transaction(tags=["a"]))
    (item,) = listing(api, fields=" tags , month ")["items"]
    assert item == {"tags": ["a"], "month": "2025-06"}


@pytest.mark.parametrize("fields", ["id,nope", "password", "amount_cents", "household_id", ",", ""])
def test_unknown_fields_are_422(api: Api, fields: str) -> None:
    assert_envelope(api.get("/transactions", fields=fields), 422, "validation_error")


# -- property: keyset pages == one page ------------------------------------------------------


@settings(
    max_examples=15,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    rows=st.lists(
        st.tuples(
            st.sampled_from(["2025-06-01", "2025-06-02", "2025-06-30", "2025-07-01"]),
            st.sampled_from([-100, -1, 0, 1, 250, -100.01]),
        ),
        max_size=25,
    ),
    limit=st.integers(min_value=1, max_value=7),
    sort=st.sampled_from(SORTS),
)
def test_property_pages_concatenate_to_one_page(
    client: TestClient,
    engine: Engine,
    rows: list[tuple[str, float]],
    limit: int,
    sort: str,
) -> None:
    api = new_household_api(client, engine)
    items = [make_transaction(date=d, amount=a, label=f"p{i}") for i, (d, a) in enumerate(rows)]
    ids = api.create_transactions(*items) if items else []
    created = dict(zip(ids, items, strict=True))
    walked = walk(api, sort=sort, limit=limit)
    assert len(walked) == len(set(walked))
    assert walked == listed_ids(api, sort=sort)
    assert walked == listing_order(created, sort)


@pytest.mark.parametrize("sort", ["date_desc", "date_asc"])
def test_month_pages_stay_in_the_month_whatever_the_cursor(
    api: Api, engine: Engine, sort: str
) -> None:
    """A cursor replaces the month's bound on its side only when it lies inside the month;
    a cursor from another listing (before or after the month) never leaks other months."""
    days = ["2025-05-31", "2025-06-01", "2025-06-10", "2025-06-30", "2025-07-01"]
    ids = api.create_transactions(*(make_transaction(date=d, amount=-1) for d in days))
    june = {ids[1], ids[2], ids[3]}

    def page(after: tuple[str, int] | None) -> set[int]:
        with read_connection(engine) as conn:
            result = reads.list_transactions(
                conn,
                household_id=api.household_id,
                filters=reads.TransactionFilter(month="2025-06"),
                sort=sort,
                limit=10,
                after=after,
            )
        return {row["id"] for row in result.rows}

    assert page(None) == june
    descending = sort == "date_desc"
    inside = (days[2], ids[2])
    assert page(inside) == ({ids[1]} if descending else {ids[3]})
    # Beyond the month in the walking direction: nothing of June is "after" it.
    assert page(("2025-05-15", 0) if descending else ("2025-07-15", 0)) == set()
    # Before the month in the walking direction: the whole month is after it.
    assert page(("2025-07-15", 0) if descending else ("2025-05-15", 0)) == june
