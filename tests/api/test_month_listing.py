"""GET /transactions?month=… with no other filter is a cached view (`transactions_month`).

It answers what the computed listing answers (the same request with every field named in
`fields` takes the computed path), page after page; a second read is a hit; every kind of
write to the month makes the next read fresh; any other filter is computed, not cached.
"""

from __future__ import annotations

from typing import Any

import pytest

from foyer.schemas.transactions import TRANSACTION_FIELDS
from tests.factories import Api, make_transaction
from tests.helpers import assert_envelope

MONTH = "2025-06"
VIEW = "transactions_month"
ALL_FIELDS = ",".join(TRANSACTION_FIELDS)


def household(api: Api) -> list[int]:
    return api.create_transactions(
        *(
            make_transaction(date=f"2025-06-{day:02d}", amount=-day - 0.5, label=f"L{day}")
            for day in range(1, 29)
        ),
        make_transaction(date="2025-05-31", label="MAY", tags=["b", "a"]),
        make_transaction(date="2025-06-15", label="SAME DAY", tags=["z"]),
    )


def pages(api: Api, **params: Any) -> list[dict[str, Any]]:
    """Every page of the listing, following next_cursor."""
    found: list[dict[str, Any]] = []
    cursor: str | None = None
    while True:
        page = api.ok("/transactions", **params, **({"cursor": cursor} if cursor else {}))
        found.append(page)
        cursor = page["next_cursor"]
        if cursor is None:
            return found


def items(found: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [item for page in found for item in page["items"]]


@pytest.mark.parametrize("sort", ["date_desc", "date_asc", "amount_asc", "amount_desc"])
def test_the_cached_pages_are_the_computed_ones(api: Api, sort: str) -> None:
    household(api)
    cached = pages(api, month=MONTH, sort=sort, limit=7)
    computed = pages(api, month=MONTH, sort=sort, limit=7, fields=ALL_FIELDS)
    assert items(cached) == items(computed)
    assert len(items(cached)) == 29  # the checker can fail: the month's rows, May's apart
    assert [len(page["items"]) for page in cached] == [7, 7, 7, 7, 1]
    misses = api.count(VIEW, "l1", "miss")
    assert misses == len(cached)  # the computed path never reached the cache
    assert items(pages(api, month=MONTH, sort=sort, limit=7)) == items(cached)
    assert api.count(VIEW, "l1", "hit") == len(cached)
    assert api.count(VIEW, "l1", "miss") == misses


def test_every_write_to_the_month_shows_in_the_next_read(api: Api) -> None:
    first, *_ = household(api)

    def listed() -> dict[int, dict[str, Any]]:
        page = api.ok("/transactions", month=MONTH, limit=500)
        return {item["id"]: item for item in page["items"]}

    before = listed()
    (added,) = api.create_transactions(make_transaction(date="2025-06-30", label="NEW"))
    assert added in listed()
    assert api.patch(f"/transactions/{first}", {"tags": ["x"]}).status_code == 200
    assert listed()[first]["tags"] == ["x"]
    assert api.patch(f"/transactions/{first}", {"label": "RENAMED"}).status_code == 200
    assert listed()[first]["label"] == "RENAMED"
    assert api.delete(f"/transactions/{added}").status_code == 204
    assert added not in listed()
    assert set(listed()) == set(before)


def test_a_listing_with_another_filter_is_computed(api: Api) -> None:
    household(api)
    for params in (
        {"category": "courses"},
        {"q": "L1"},
        {"tag": "z"},
        {"exclude": "false"},
        {"fields": "id,label"},
        {},  # every month
    ):
        page = api.ok("/transactions", **({"month": MONTH} if params else {}), **params)
        assert page["items"], params
    assert api.count(VIEW, "l1", "miss") == 0
    assert api.count(VIEW, "l1", "hit") == 0


def test_the_cached_listing_is_one_households(api: Api, other_api: Api) -> None:
    household(api)
    other_api.create_transactions(make_transaction(date="2025-06-02", label="THEIRS"))
    mine = api.ok("/transactions", month=MONTH)
    theirs = other_api.ok("/transactions", month=MONTH)
    assert [item["label"] for item in theirs["items"]] == ["THEIRS"]
    assert "THEIRS" not in {item["label"] for item in mine["items"]}


def test_a_bad_cursor_is_refused_as_by_the_computed_listing_and_caches_nothing(
    api: Api,
) -> None:
    household(api)
    for _ in range(2):
        cached = api.get("/transactions", month=MONTH, cursor="not-a-cursor")
        computed = api.get("/transactions", month=MONTH, cursor="not-a-cursor", q="L")
        assert assert_envelope(cached, 400, "invalid_cursor")["message"] == "invalid cursor"
        assert assert_envelope(computed, 400, "invalid_cursor")["message"] == "invalid cursor"
    assert api.count(VIEW, "l1", "hit") == 0
