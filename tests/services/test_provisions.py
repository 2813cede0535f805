"""/api/v1/provisions (SPEC §4): CRUD, progress, windows and colours, validation, foreign ids."""

from __future__ import annotations

import pytest

from tests.factories import Api, make_provision
from tests.helpers import JSON, assert_422


def test_provision_crud(api: Api) -> None:
    assert api.ok("/provisions") == {"items": []}
    response = api.post(
        "/provisions",
        make_provision(color="#0ea5e9", icon="🏖️", target_amount=3000, current_amount=450),
    )
    assert response.status_code == 201, response.text
    created = response.json()
    assert created == {
        "id": created["id"],
        "name": "Vacances",
        "icon": "🏖️",
        "color": "#0EA5E9",
        "display_order": 0,
        "base": "total",
        "percentage": 5.0,
        "fixed_amount": 0.0,
        "split_mode": "key",
        "custom_share1": None,
        "is_active": True,
        "start_month": None,
        "end_month": None,
        "target_amount": 3000.0,
        "current_amount": 450.0,
        "progress": 0.15,  # 450 / 3000
    }
    path = f"/provisions/{created['id']}"
    assert api.ok(path) == created
    assert api.ok("/provisions") == {"items": [created]}

    response = api.put(
        path,
        {"name": "Voiture", "base": "fixed", "fixed_amount": 80, "start_month": "2025-01",
         "end_month": "2025-12", "target_amount": 10000, "current_amount": 2500.5},
    )  # fmt: skip
    assert response.status_code == 200, response.text
    replaced = response.json()
    assert replaced == {
        **created,
        "name": "Voiture",
        "icon": "",
        "color": "#4F46E5",
        "base": "fixed",
        "percentage": 0.0,
        "fixed_amount": 80.0,
        "start_month": "2025-01",
        "end_month": "2025-12",
        "target_amount": 10000.0,
        "current_amount": 2500.5,
        "progress": 0.2501,  # 0.25005 rounded half up to 4 decimals
    }

    response = api.patch(path, {"target_amount": None, "end_month": None, "display_order": 3})
    assert response.status_code == 200, response.text
    patched = response.json()
    assert patched == {
        **replaced,
        "target_amount": None,
        "end_month": None,
        "display_order": 3,
        "progress": None,
    }
    assert api.ok(path) == patched

    assert api.delete(path).status_code == 204
    assert api.get(path).status_code == 404
    assert api.ok("/provisions") == {"items": []}


@pytest.mark.parametrize(
    "body",
    [
        make_provision(start_month="2025-07", end_month="2025-06"),
        make_provision(start_month="2025-13"),
        make_provision(end_month="June"),
        make_provision(color="red"),
        make_provision(color="#12345"),
        make_provision(color="#GGGGGG"),
        make_provision(color="0EA5E9"),
        make_provision(split_mode="custom"),
        make_provision(percentage=100.01),
        make_provision(percentage=-1),
        make_provision(percentage=1.234),
        make_provision(base="household"),
        make_provision(fixed_amount=-1),
        make_provision(target_amount=0),
        make_provision(current_amount=-0.01),
        make_provision(name=""),
        {"base": "total"},
    ],
)
def test_provision_validation(api: Api, body: JSON) -> None:
    assert_422(api.post("/provisions", body))
    item = api.post("/provisions", make_provision()).json()
    assert_422(api.put(f"/provisions/{item['id']}", body))
    assert api.ok("/provisions") == {"items": [item]}


@pytest.mark.parametrize(
    "patch",
    [
        {"start_month": "2026-01"},  # after the stored end_month
        {"end_month": "2024-12"},  # before the stored start_month
        {"color": "blue"},
        {"split_mode": "custom"},
        {"name": None},
        {"percentage": 101},
        {"bogus": True},
    ],
)
def test_provision_patch_validation(api: Api, patch: JSON) -> None:
    item = api.post(
        "/provisions", make_provision(start_month="2025-01", end_month="2025-12")
    ).json()
    assert_422(api.patch(f"/provisions/{item['id']}", patch))
    assert api.ok(f"/provisions/{item['id']}") == item


def test_provision_unknown_or_foreign_ids_are_404(api: Api, other_api: Api) -> None:
    item = api.post("/provisions", make_provision()).json()
    for client, item_id in ((api, 999_999), (other_api, item["id"])):
        path = f"/provisions/{item_id}"
        assert client.get(path).status_code == 404
        assert client.put(path, make_provision()).status_code == 404
        assert client.patch(path, {"name": "x"}).status_code == 404
        assert client.delete(path).status_code == 404
    assert other_api.ok("/provisions") == {"items": []}
    assert api.ok(f"/provisions/{item['id']}") == item
