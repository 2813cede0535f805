"""/api/v1/transactions (SPEC §5): create, bulk, read, patch, delete, money, listing, paging."""

from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, func, select

from foyer.db.engine import read_connection
from foyer.db.schema import transaction_tag
from foyer.read import transactions as reads
from tests.factories import Api, household_api, make_transaction
from tests.test_api_basics import assert_envelope

SORTS = ("date_desc", "date_asc", "amount_asc", "amount_desc")


# -- helpers -------------------------------------------------------------------------------


def cents(amount: Any) -> int:
    return int(Decimal(str(amount)) * 100)


def expected_order(rows: dict[int, dict[str, Any]], sort: str) -> list[int]:
    """Ids in `sort` order with ties broken on id: ascending for *_asc, descending for *_desc."""
    column, direction = sort.split("_")

    def key(row_id: int) -> tuple[Any, int]:
        row = rows[row_id]
        value = row["date"] if column == "date" else cents(row["amount"])
        return value, row_id

    return sorted(rows, key=key, reverse=direction == "desc")


def listing(api: Api, **params: Any) -> dict[str, Any]:
    return api.ok("/transactions", **{"limit": 500, **params})


def listed_ids(api: Api, **params: Any) -> list[int]:
    page = listing(api, **params)
    assert page["next_cursor"] is None
    return [item["id"] for item in page["items"]]


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


def count_rows(api: Api) -> int:
    return len(listed_ids(api))


# -- create, read, patch, delete -----------------------------------------------------------


def test_create_returns_the_full_object(api: Api) -> None:
    body = make_transaction(
        date="2024-02-29",
        label="CB CARREFOUR 29/02",
        amount=-54.3,
        tags=["courses", "weekly"],
        import_id="bank-42",
    )
    response = api.post("/transactions", body)
    assert response.status_code == 201, response.text
    created = response.json()
    assert isinstance(created["id"], int)
    assert created["month"] == "2024-02"
    for field in ("date", "label", "amount", "category", "category_parent", "account"):
        assert created[field] == body[field]
    assert created["exclude"] is False
    assert created["expense_type"] == "VARIABLE"
    assert sorted(created["tags"]) == ["courses", "weekly"]
    assert created["import_id"] == "bank-42"
    created_at = dt.datetime.fromisoformat(created["created_at"])
    assert created_at.utcoffset() == dt.timedelta(0)
    assert set(created) == {
        "id",
        "date",
        "month",
        "label",
        "amount",
        "category",
        "category_parent",
        "account",
        "exclude",
        "expense_type",
        "tags",
        "import_id",
        "created_at",
    }
    assert api.ok(f"/transactions/{created['id']}") == created


def test_create_applies_defaults(api: Api) -> None:
    response = api.post("/transactions", {"date": "2025-06-01", "label": "X", "amount": 1})
    assert response.status_code == 201, response.text
    created = response.json()
    assert created["category"] == "uncategorized"
    assert created["category_parent"] == "uncategorized"
    assert created["account"] == "main"
    assert created["exclude"] is False
    assert created["expense_type"] == "VARIABLE"
    assert created["tags"] == []
    assert created["import_id"] is None


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("expense_type", "OTHER"),
        ("date", "2025-02-30"),
        ("date", "12/06/2025"),
        ("label", ""),
        ("tags", [""]),
        ("tags", ["x" * 51]),
        ("amount", "a lot"),
        ("unknown_field", 1),
    ],
)
def test_create_rejects_invalid_bodies(api: Api, field: str, value: Any) -> None:
    response = api.post("/transactions", make_transaction(**{field: value}))
    assert_envelope(response, 422, "validation_error")
    assert count_rows(api) == 0


@pytest.mark.parametrize("missing", ["date", "label", "amount"])
def test_create_requires_date_label_amount(api: Api, missing: str) -> None:
    body = make_transaction()
    del body[missing]
    assert_envelope(api.post("/transactions", body), 422, "validation_error")


def test_get_unknown_id_is_404(api: Api) -> None:
    assert_envelope(api.get("/transactions/999999"), 404, "not_found")
    assert_envelope(api.patch("/transactions/999999", {"label": "x"}), 404, "not_found")
    assert_envelope(api.delete("/transactions/999999"), 404, "not_found")


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("category", "restaurant"),
        ("category_parent", "loisirs"),
        ("exclude", True),
        ("expense_type", "FIXED"),
        ("expense_type", "PROVISION"),
        ("tags", ["resto", "sortie"]),
        ("label", "CB LE PETIT BISTROT"),
    ],
)
def test_patch_changes_one_field_only(api: Api, field: str, value: Any) -> None:
    (tid,) = api.create_transactions(make_transaction(tags=["courses"]))
    before = api.ok(f"/transactions/{tid}")
    response = api.patch(f"/transactions/{tid}", {field: value})
    assert response.status_code == 200, response.text
    after = response.json()
    assert after[field] == value
    assert {k: v for k, v in after.items() if k != field} == {
        k: v for k, v in before.items() if k != field
    }
    assert api.ok(f"/transactions/{tid}") == after


def test_patch_several_fields_at_once(api: Api) -> None:
    (tid,) = api.create_transactions(make_transaction())
    changes = {"category": "cinema", "category_parent": "loisirs", "exclude": True, "label": "UGC"}
    after = api.patch(f"/transactions/{tid}", changes).json()
    assert {k: after[k] for k in changes} == changes


def test_empty_patch_changes_nothing(api: Api) -> None:
    (tid,) = api.create_transactions(make_transaction(tags=["a"]))
    before = api.ok(f"/transactions/{tid}")
    response = api.patch(f"/transactions/{tid}", {})
    assert response.status_code == 200, response.text
    assert response.json() == before


@pytest.mark.parametrize(
    "body",
    [
        {"amount": -1},
        {"date": "2025-07-01"},
        {"month": "2025-07"},
        {"account": "other"},
        {"import_id": "x"},
        {"id": 1},
        {"created_at": "2025-01-01T00:00:00Z"},
        {"label": "ok", "amount": -1},
    ],
)
def test_patch_of_other_fields_is_422_and_changes_nothing(api: Api, body: dict[str, Any]) -> None:
    (tid,) = api.create_transactions(make_transaction())
    before = api.ok(f"/transactions/{tid}")
    assert_envelope(api.patch(f"/transactions/{tid}", body), 422, "validation_error")
    assert api.ok(f"/transactions/{tid}") == before


@pytest.mark.parametrize(
    "field", ["category", "category_parent", "exclude", "expense_type", "tags", "label"]
)
def test_patch_with_null_is_422(api: Api, field: str) -> None:
    (tid,) = api.create_transactions(make_transaction(tags=["keep"]))
    before = api.ok(f"/transactions/{tid}")
    assert_envelope(api.patch(f"/transactions/{tid}", {field: None}), 422, "validation_error")
    assert api.ok(f"/transactions/{tid}") == before


@pytest.mark.parametrize(
    "body", [{"expense_type": "OTHER"}, {"label": ""}, {"tags": [""]}, {"category": ""}]
)
def test_patch_with_invalid_value_is_422(api: Api, body: dict[str, Any]) -> None:
    (tid,) = api.create_transactions(make_transaction())
    assert_envelope(api.patch(f"/transactions/{tid}", body), 422, "validation_error")


def test_patch_replaces_tags(api: Api, engine: Engine) -> None:
    tid, other = api.create_transactions(
        make_transaction(tags=["a", "b"]), make_transaction(tags=["a", "z"])
    )
    assert api.patch(f"/transactions/{tid}", {"tags": ["c", "a"]}).json()["tags"] == ["a", "c"]
    assert tags_in_db(engine, tid) == ["a", "c"]
    assert listed_ids(api, tag="b") == []
    assert sorted(listed_ids(api, tag="a")) == sorted([tid, other])
    assert listed_ids(api, tag="c") == [tid]
    # Duplicates collapse; an empty list removes every tag; the other row keeps its own.
    assert api.patch(f"/transactions/{tid}", {"tags": ["d", "d"]}).json()["tags"] == ["d"]
    assert api.patch(f"/transactions/{tid}", {"tags": []}).json()["tags"] == []
    assert tags_in_db(engine, tid) == []
    assert api.ok(f"/transactions/{other}")["tags"] == ["a", "z"]


def test_patch_without_tags_keeps_them(api: Api) -> None:
    (tid,) = api.create_transactions(make_transaction(tags=["x", "y"]))
    assert api.patch(f"/transactions/{tid}", {"label": "new"}).json()["tags"] == ["x", "y"]


def test_delete_then_get_is_404_and_tags_are_gone(api: Api, engine: Engine) -> None:
    tid, kept = api.create_transactions(
        make_transaction(tags=["a", "b"]), make_transaction(tags=["a"])
    )
    assert tags_in_db(engine, tid) == ["a", "b"]
    response = api.delete(f"/transactions/{tid}")
    assert response.status_code == 204
    assert response.content == b""
    assert_envelope(api.get(f"/transactions/{tid}"), 404, "not_found")
    assert_envelope(api.delete(f"/transactions/{tid}"), 404, "not_found")
    assert_envelope(api.patch(f"/transactions/{tid}", {"label": "x"}), 404, "not_found")
    assert tags_in_db(engine, tid) == []
    assert listed_ids(api) == [kept]
    assert listed_ids(api, tag="a") == [kept]
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(transaction_tag)).scalar_one() == 1


# -- bulk ----------------------------------------------------------------------------------


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
        for field in (
            "date",
            "label",
            "amount",
            "category",
            "category_parent",
            "account",
            "exclude",
            "expense_type",
        ):
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


# -- listing: filters ----------------------------------------------------------------------

FILTER_ROWS = [
    make_transaction(
        date="2025-06-02",
        label="CB CARREFOUR 02/06",
        amount=-54.3,
        category="courses",
        category_parent="alimentation",
        tags=["food"],
    ),
    make_transaction(
        date="2025-06-10",
        label="Électricité EDF",
        amount=-80,
        category="energie",
        category_parent="logement",
        expense_type="FIXED",
        tags=["home", "energy"],
    ),
    make_transaction(
        date="2025-07-01",
        label="SALAIRE JUILLET",
        amount=2500,
        category="salaire",
        category_parent="revenus",
    ),
    make_transaction(
        date="2025-06-20",
        label="Virement épargne",
        amount=-200,
        category="epargne",
        category_parent="epargne",
        expense_type="PROVISION",
        exclude=True,
        tags=["home"],
    ),
    make_transaction(
        date="2025-05-31",
        label="100% BIO_MARKET",
        amount=-12.5,
        category="courses",
        category_parent="alimentation",
        tags=["food", "bio"],
    ),
    make_transaction(
        date="2025-06-30",
        label="100 BIOXMARKET",
        amount=-7.5,
        category="courses",
        category_parent="alimentation",
        exclude=True,
    ),
    make_transaction(
        date="2025-06-15",
        label="Straße Café",
        amount=-4.2,
        category="restaurant",
        category_parent="alimentation",
        tags=["Food"],
    ),
    make_transaction(
        date="2025-06-15",
        label="path/to 50_50 split",
        amount=-10,
        category="divers",
        category_parent="divers",
    ),
]


@pytest.fixture
def filter_rows(api: Api) -> dict[int, dict[str, Any]]:
    ids = api.create_transactions(*FILTER_ROWS)
    return dict(zip(ids, FILTER_ROWS, strict=True))


def matching(rows: dict[int, dict[str, Any]], **where: Any) -> set[int]:
    def keep(row: dict[str, Any]) -> bool:
        for name, value in where.items():
            if name == "month" and row["date"][:7] != value:
                return False
            if name == "tag" and value not in row["tags"]:
                return False
            if name not in ("month", "tag") and row[name] != value:
                return False
        return True

    return {tid for tid, row in rows.items() if keep(row)}


@pytest.mark.parametrize(
    "where",
    [
        {},
        {"month": "2025-06"},
        {"month": "2025-05"},
        {"month": "2025-07"},
        {"month": "2024-06"},
        {"category": "courses"},
        {"category": "Courses"},
        {"category_parent": "alimentation"},
        {"expense_type": "VARIABLE"},
        {"expense_type": "FIXED"},
        {"expense_type": "PROVISION"},
        {"exclude": True},
        {"exclude": False},
        {"tag": "food"},
        {"tag": "Food"},
        {"tag": "home"},
        {"tag": "nope"},
        {"month": "2025-06", "category": "courses"},
        {"month": "2025-06", "exclude": False, "category_parent": "alimentation"},
        {"tag": "home", "expense_type": "FIXED"},
        {"tag": "food", "month": "2025-05"},
    ],
)
def test_filters_return_exactly_the_matching_rows(
    api: Api, filter_rows: dict[int, dict[str, Any]], where: dict[str, Any]
) -> None:
    expected = matching(filter_rows, **where)
    params = {k: str(v).lower() if isinstance(v, bool) else v for k, v in where.items()}
    got = listed_ids(api, **params)
    assert len(got) == len(set(got))
    assert set(got) == expected
    # Filters never change the order: the filtered listing is the full one, restricted.
    assert got == [tid for tid in listed_ids(api) if tid in expected]


@pytest.mark.parametrize(
    ("q", "labels"),
    [
        ("carrefour", {"CB CARREFOUR 02/06"}),
        ("CarreFour 02", {"CB CARREFOUR 02/06"}),
        ("électricité", {"Électricité EDF"}),
        ("ÉLECTRICITÉ", {"Électricité EDF"}),
        ("Électricité edf", {"Électricité EDF"}),
        ("ÉPARGNE", {"Virement épargne"}),
        ("straße", {"Straße Café"}),
        ("CAFÉ", {"Straße Café"}),
        ("market", {"100% BIO_MARKET", "100 BIOXMARKET"}),
        ("100%", {"100% BIO_MARKET"}),
        ("%", {"100% BIO_MARKET"}),
        ("O_M", {"100% BIO_MARKET"}),
        ("_", {"100% BIO_MARKET", "path/to 50_50 split"}),
        ("0_5", {"path/to 50_50 split"}),
        ("/", {"CB CARREFOUR 02/06", "path/to 50_50 split"}),
        ("h/t", {"path/to 50_50 split"}),
        ("\\", set()),
        ("nothing like this", set()),
        ("'; DROP TABLE bank_transaction; --", set()),
    ],
)
def test_q_matches_label_case_insensitively_and_literally(
    api: Api, filter_rows: dict[int, dict[str, Any]], q: str, labels: set[str]
) -> None:
    got = listed_ids(api, q=q)
    assert {filter_rows[tid]["label"] for tid in got} == labels
    assert len(got) == len(labels)


def test_q_combines_with_other_filters(api: Api, filter_rows: dict[int, dict[str, Any]]) -> None:
    got = listed_ids(api, q="market", exclude="false")
    assert [filter_rows[tid]["label"] for tid in got] == ["100% BIO_MARKET"]
    assert listed_ids(api, q="market", month="2025-07") == []


@pytest.mark.parametrize(
    "params",
    [
        {"month": "2025-6"},
        {"month": "June"},
        {"month": "2025-13"},
        {"expense_type": "OTHER"},
        {"exclude": "maybe"},
        {"sort": "label_asc"},
        {"q": "x" * 201},
    ],
)
def test_invalid_listing_params_are_422(api: Api, params: dict[str, Any]) -> None:
    assert_envelope(api.get("/transactions", **params), 422, "validation_error")


# -- listing: sort, pagination, cursors, fields ----------------------------------------------

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
    assert got == expected_order(page_rows, sort)
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
    assert [item["id"] for item in page["items"]] == expected_order(rows, "date_desc")[:50]
    assert page["next_cursor"] is not None


@pytest.mark.parametrize("sort", SORTS)
@pytest.mark.parametrize("limit", [1, 3, 7, 21, 22])
def test_keyset_walk_visits_every_row_once_in_order(
    api: Api, page_rows: dict[int, dict[str, Any]], sort: str, limit: int
) -> None:
    walked = walk(api, sort=sort, limit=limit)
    assert walked == listed_ids(api, sort=sort)
    assert walked == expected_order(page_rows, sort)
    assert len(walked) == len(set(walked)) == len(page_rows)


@pytest.mark.parametrize("sort", SORTS)
def test_keyset_walk_with_filters(
    api: Api, page_rows: dict[int, dict[str, Any]], sort: str
) -> None:
    walked = walk(api, sort=sort, limit=2, month="2025-06", q="ROW 1", exclude="false")
    expected_ids = {tid for tid, row in page_rows.items() if "row 1" in row["label"]}
    assert len(expected_ids) == 11
    assert walked == [tid for tid in expected_order(page_rows, sort) if tid in expected_ids]


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
    assert walked == [page_rows[tid]["label"] for tid in expected_order(page_rows, "date_asc")]


def test_fields_tags_and_spaces(api: Api) -> None:
    api.create_transactions(make_transaction(tags=["a"]))
    (item,) = listing(api, fields=" tags , month ")["items"]
    assert item == {"tags": ["a"], "month": "2025-06"}


@pytest.mark.parametrize("fields", ["id,nope", "password", "amount_cents", "household_id", ",", ""])
def test_unknown_fields_are_422(api: Api, fields: str) -> None:
    assert_envelope(api.get("/transactions", fields=fields), 422, "validation_error")


# -- property: keyset pages == one page ------------------------------------------------------

_households = itertools.count()


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
    n = next(_households)
    api = household_api(client, engine, email=f"prop{n}@example.com", household=f"Prop {n}")
    items = [make_transaction(date=d, amount=a, label=f"p{i}") for i, (d, a) in enumerate(rows)]
    ids = api.create_transactions(*items) if items else []
    created = dict(zip(ids, items, strict=True))
    walked = walk(api, sort=sort, limit=limit)
    assert len(walked) == len(set(walked))
    assert walked == listed_ids(api, sort=sort)
    assert walked == expected_order(created, sort)


@pytest.mark.parametrize("raw", [b"1e400", b"-1e400", b"NaN", b"Infinity", b"-Infinity"])
def test_non_finite_amount_is_422_not_500(api: Api, raw: bytes) -> None:
    body = b'{"date": "2025-06-01", "label": "x", "amount": ' + raw + b"}"
    response = api.client.post(
        "/api/v1/transactions",
        content=body,
        headers={**api.headers, "Content-Type": "application/json"},
    )
    assert_envelope(response, 422, "validation_error")
    assert count_rows(api) == 0


def test_duplicate_tags_collapse_on_create(api: Api, engine: Engine) -> None:
    created = api.post("/transactions", make_transaction(tags=["b", "a", "b", " a "])).json()
    assert created["tags"] == ["a", "b"]
    (bulk_id,) = api.create_transactions(make_transaction(tags=["x", "x"]))
    assert tags_in_db(engine, bulk_id) == ["x"]


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
