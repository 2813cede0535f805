"""PUT/GET /api/v1/config (SPEC §2): defaults, partial updates, validation, per household."""

from __future__ import annotations

import pytest

from tests.factories import Api
from tests.helpers import JSON, assert_422

DEFAULT_CONFIG = {
    "member1_name": "Member 1",
    "member2_name": "Member 2",
    "income1": 0.0,
    "income2": 0.0,
    "tax_rate1": 0.0,
    "tax_rate2": 0.0,
    "split_mode": "income",
    "manual_share1": 50.0,
}


def test_config_defaults(api: Api) -> None:
    assert api.ok("/config") == DEFAULT_CONFIG


def test_config_partial_update_keeps_other_fields(api: Api) -> None:
    response = api.put("/config", {"income1": 3000, "tax_rate1": 20})
    assert response.status_code == 200, response.text
    expected = {**DEFAULT_CONFIG, "income1": 3000.0, "tax_rate1": 20.0}
    assert response.json() == expected
    assert api.ok("/config") == expected

    response = api.put("/config", {"member2_name": "Sam", "income2": 1999.99, "tax_rate2": None})
    assert response.status_code == 200, response.text
    expected = {**expected, "member2_name": "Sam", "income2": 1999.99}
    assert response.json() == expected
    assert api.ok("/config") == expected

    assert api.put("/config", {}).json() == expected


@pytest.mark.parametrize(
    "body",
    [
        {"tax_rate1": 100.001},
        {"tax_rate2": 100.01},
        {"tax_rate1": -1},
        {"income1": -0.01},
        {"income2": -100},
        {"income1": 12.345},
        {"split_mode": "bogus"},
        {"manual_share1": 100.5},
        {"manual_share1": -1},
        {"member1_name": ""},
        {"member2_name": "x" * 51},
        {"unknown_field": 1},
    ],
)
def test_config_validation(api: Api, body: JSON) -> None:
    assert_422(api.put("/config", body))
    assert api.ok("/config") == DEFAULT_CONFIG  # nothing changed


def test_config_is_per_household(api: Api, other_api: Api) -> None:
    assert api.put("/config", {"income1": 42}).status_code == 200
    assert other_api.ok("/config") == DEFAULT_CONFIG
