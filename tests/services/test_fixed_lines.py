"""/api/v1/fixed-lines (SPEC §3): CRUD, monthly equivalents, validation, foreign ids."""

from __future__ import annotations

import pytest

from tests.factories import Api, make_fixed_line
from tests.helpers import JSON, assert_422


def test_fixed_line_crud(api: Api) -> None:
    assert api.ok("/fixed-lines") == {"items": []}
    response = api.post(
        "/fixed-lines", make_fixed_line(label="Assurance", amount=250, frequency="quarterly")
    )
    assert response.status_code == 201, response.text
    line = response.json()
    assert line == {
        "id": line["id"],
        "label": "Assurance",
        "amount": 250.0,
        "frequency": "quarterly",
        "split_mode": "key",
        "custom_share1": None,
        "category": "logement",
        "active": True,
        "monthly": 83.33,  # 250 / 3 = 83.333… -> 83.33
    }
    assert api.ok(f"/fixed-lines/{line['id']}") == line
    assert api.ok("/fixed-lines") == {"items": [line]}

    # PUT replaces the whole line; left-out fields take their defaults.
    response = api.put(
        f"/fixed-lines/{line['id']}",
        {"label": "Taxe", "amount": 1000.06, "frequency": "annual", "split_mode": "custom",
         "custom_share1": 30},
    )  # fmt: skip
    assert response.status_code == 200, response.text
    replaced = response.json()
    assert replaced == {
        "id": line["id"],
        "label": "Taxe",
        "amount": 1000.06,
        "frequency": "annual",
        "split_mode": "custom",
        "custom_share1": 30.0,
        "category": "uncategorized",
        "active": True,
        "monthly": 83.34,  # 1000.06 / 12 = 83.338… -> 83.34
    }

    # PATCH changes only what it is given.
    response = api.patch(f"/fixed-lines/{line['id']}", {"active": False, "frequency": "monthly"})
    assert response.status_code == 200, response.text
    assert response.json() == {
        **replaced,
        "active": False,
        "frequency": "monthly",
        "monthly": 1000.06,
    }
    assert api.ok("/fixed-lines")["items"] == [response.json()]

    assert api.delete(f"/fixed-lines/{line['id']}").status_code == 204
    assert api.ok("/fixed-lines") == {"items": []}


def test_fixed_lines_list_in_id_order(api: Api) -> None:
    ids = [api.post("/fixed-lines", make_fixed_line(label=x)).json()["id"] for x in "cab"]
    assert [item["id"] for item in api.ok("/fixed-lines")["items"]] == sorted(ids)


@pytest.mark.parametrize(
    "body",
    [
        make_fixed_line(split_mode="custom"),
        make_fixed_line(split_mode="custom", custom_share1=None),
        make_fixed_line(split_mode="custom", custom_share1=100.01),
        make_fixed_line(amount=0),
        make_fixed_line(amount=-5),
        make_fixed_line(amount=10.001),
        make_fixed_line(frequency="weekly"),
        make_fixed_line(split_mode="half"),
        make_fixed_line(label=""),
        make_fixed_line(category=""),
        {"amount": 10},
    ],
)
def test_fixed_line_validation(api: Api, body: JSON) -> None:
    assert_422(api.post("/fixed-lines", body))
    line = api.post("/fixed-lines", make_fixed_line()).json()
    assert_422(api.put(f"/fixed-lines/{line['id']}", body))
    assert api.ok("/fixed-lines") == {"items": [line]}


@pytest.mark.parametrize(
    "patch",
    [
        {"split_mode": "custom"},
        {"split_mode": "custom", "custom_share1": None},
        {"amount": 0},
        {"amount": None},
        {"label": None},
        {"frequency": "weekly"},
        {"bogus": 1},
    ],
)
def test_fixed_line_patch_validation(api: Api, patch: JSON) -> None:
    line = api.post("/fixed-lines", make_fixed_line()).json()
    assert_422(api.patch(f"/fixed-lines/{line['id']}", patch))
    assert api.ok(f"/fixed-lines/{line['id']}") == line


def test_fixed_line_patch_to_custom_with_share(api: Api) -> None:
    line = api.post("/fixed-lines", make_fixed_line()).json()
    response = api.patch(
        f"/fixed-lines/{line['id']}", {"split_mode": "custom", "custom_share1": 25}
    )
    assert response.status_code == 200, response.text
    assert response.json() == {**line, "split_mode": "custom", "custom_share1": 25.0}


def test_fixed_line_unknown_or_foreign_ids_are_404(api: Api, other_api: Api) -> None:
    line = api.post("/fixed-lines", make_fixed_line()).json()
    for client, line_id in ((api, 999_999), (other_api, line["id"])):
        path = f"/fixed-lines/{line_id}"
        assert client.get(path).status_code == 404
        assert client.put(path, make_fixed_line()).status_code == 404
        assert client.patch(path, {"label": "x"}).status_code == 404
        assert client.delete(path).status_code == 404
    assert other_api.ok("/fixed-lines") == {"items": []}
    assert api.ok(f"/fixed-lines/{line['id']}") == line  # untouched by the other household
