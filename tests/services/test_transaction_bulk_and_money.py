"""POST /api/v1/transactions/bulk and money (SPEC §5, §1): all or nothing, limits, amounts
in exact cents."""

from __future__ import annotations

from typing import Any

import pytest

from tests.factories import Api, make_transaction
from tests.helpers import WRITTEN_FIELDS, assert_envelope, count_rows, listed_ids, listing


def test_bulk_ids_in_input_order(api: Api) -> None:
    items = [
        make_transaction(
            date=f"2025-06-{28 - i:02d}",
            label=f"row {i}",
            amount=-(i + 1) * 1.25,
            tags=[f"t{i % 3}"] if i % 2 else [],
            expense_type=("VARIABLE", "FIXED", "PROVISION")[i % 3],
            exclude=i % 4 == 0,
        )
        for i in range(25)
    ]
    response = api.post("/transactions/bulk", {"items": items})
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["created"] == 25
    ids = body["ids"]
    assert len(set(ids)) == 25
    for tid, item in zip(ids, items, strict=True):
        got = api.ok(f"/transactions/{tid}")
        for field in WRITTEN_FIELDS:
            assert got[field] == item[field], (tid, field)
        assert got["tags"] == item["tags"]
        assert got["month"] == item["date"][:7]


def test_bulk_appends_after_earlier_rows(api: Api) -> None:
    first = api.create_transactions(make_transaction(label="a"), make_transaction(label="b"))
    second = api.create_transactions(make_transaction(label="c"), make_transaction(label="d"))
    assert not set(first) & set(second)
    assert [api.ok(f"/transactions/{i}")["label"] for i in first + second] == list("abcd")


@pytest.mark.parametrize(
    "bad",
    [
        {"amount": 12.345},
        {"expense_type": "WHATEVER"},
        {"date": "2025-13-01"},
        {"label": ""},
        {"amount": 1_000_000_000.01},
        {"surprise": True},
    ],
)
def test_bulk_is_all_or_nothing(api: Api, bad: dict[str, Any]) -> None:
    items = [make_transaction(label=f"ok {i}", tags=["t"]) for i in range(5)]
    items.insert(3, make_transaction(**bad))
    error = assert_envelope(
        api.post("/transactions/bulk", {"items": items}), 422, "validation_error"
    )
    assert any(detail["loc"][:3] == ["body", "items", 3] for detail in error["details"])
    assert count_rows(api) == 0
    assert listed_ids(api, tag="t") == []


def test_bulk_over_10000_items_is_413(api: Api) -> None:
    item = {"date": "2025-06-01", "label": "x", "amount": -1}
    response = api.post("/transactions/bulk", {"items": [item] * 10_001})
    assert_envelope(response, 413, "payload_too_large")
    assert count_rows(api) == 0


def test_bulk_of_10000_items_is_accepted(api: Api) -> None:
    item = {"date": "2025-06-01", "label": "x", "amount": -1}
    response = api.post("/transactions/bulk", {"items": [item] * 10_000})
    assert response.status_code == 201, response.text
    assert response.json()["created"] == 10_000
    assert len(set(response.json()["ids"])) == 10_000


@pytest.mark.parametrize("body", [{"items": []}, {}, {"items": None}, []])
def test_bulk_empty_or_malformed_is_422(api: Api, body: Any) -> None:
    assert_envelope(api.post("/transactions/bulk", body), 422, "validation_error")


# -- money ---------------------------------------------------------------------------------


@pytest.mark.parametrize("amount", [12.345, -0.001, 0.30000000000000004, "12.3.4", True])
def test_amount_with_more_than_2_decimals_or_not_a_number_is_422(api: Api, amount: Any) -> None:
    assert_envelope(
        api.post("/transactions", make_transaction(amount=amount)), 422, "validation_error"
    )
    assert count_rows(api) == 0


@pytest.mark.parametrize(
    "amount",
    [-0.3, 0.1, 0.2, -0.07, 1.15, 2.67, -19.99, 0.01, 0.0, 1e9, -1e9, 999_999_999.99, -4503.59],
)
def test_amount_round_trips_exactly(api: Api, amount: float) -> None:
    created = api.post("/transactions", make_transaction(amount=amount)).json()
    assert created["amount"] == amount
    assert repr(created["amount"]) == repr(amount)
    assert api.ok(f"/transactions/{created['id']}")["amount"] == amount
    assert listing(api)["items"][0]["amount"] == amount


@pytest.mark.parametrize("amount", [1_000_000_000.01, -1_000_000_000.01, 1e10, -1e12])
def test_amount_beyond_one_billion_is_422(api: Api, amount: float) -> None:
    assert_envelope(
        api.post("/transactions", make_transaction(amount=amount)), 422, "validation_error"
    )


def test_cents_sum_exactly(api: Api) -> None:
    api.create_transactions(
        make_transaction(amount=-0.1, date="2025-06-01"),
        make_transaction(amount=-0.2, date="2025-06-02"),
    )
    (parent,) = api.ok("/transactions/hierarchy", month="2025-06")
    assert parent["total"] == 0.3
    assert parent["categories"][0]["total"] == 0.3


@pytest.mark.parametrize("raw", [b"1e400", b"-1e400", b"NaN", b"Infinity", b"-Infinity"])
def test_non_finite_amount_is_422_not_500(api: Api, raw: bytes) -> None:
    body = b'{"date": "2025-06-01", "label": "x", "amount": ' + raw + b"}"
    response = api.post_raw("/transactions", body)
    assert_envelope(response, 422, "validation_error")
    assert count_rows(api) == 0
