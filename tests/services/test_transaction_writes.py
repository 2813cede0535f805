"""POST/GET/PATCH/DELETE /api/v1/transactions (SPEC §5): one row at a time, its tags."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy import Engine, func, select

from foyer.db.schema import transaction_tag
from tests.factories import Api, make_transaction
from tests.helpers import WRITTEN_FIELDS, assert_envelope, count_rows, listed_ids, tags_in_db


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
    for field in WRITTEN_FIELDS:
        assert created[field] == body[field]
    assert created["exclude"] is False
    assert created["expense_type"] == "VARIABLE"
    assert sorted(created["tags"]) == ["courses", "weekly"]
    assert created["import_id"] == "bank-42"
    created_at = dt.datetime.fromisoformat(created["created_at"])
    assert created_at.utcoffset() == dt.timedelta(0)
    assert created["split_of"] is None  # an ordinary row, not a part of a split one
    assert set(created) == {
        *WRITTEN_FIELDS,
        *("id", "month", "tags", "import_id", "created_at", "split_of"),
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


def test_duplicate_tags_collapse_on_create(api: Api, engine: Engine) -> None:
    created = api.post("/transactions", make_transaction(tags=["b", "a", "b", " a "])).json()
    assert created["tags"] == ["a", "b"]
    (bulk_id,) = api.create_transactions(make_transaction(tags=["x", "x"]))
    assert tags_in_db(engine, bulk_id) == ["x"]
