"""PUT/GET /api/v1/config (SPEC §2): defaults, partial updates, validation, per household;
and the service under it, in stored units."""

from __future__ import annotations

from dataclasses import replace

import pytest
from sqlalchemy import Engine

from foyer.services import budget, stamps
from tests.factories import Api, make_households, unit_of_work
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
    "buffer": 0.0,
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
        {"buffer": -0.01},
        {"buffer": 1.001},
    ],
)
def test_config_validation(api: Api, body: JSON) -> None:
    assert_422(api.put("/config", body))
    assert api.ok("/config") == DEFAULT_CONFIG  # nothing changed


def test_config_is_per_household(api: Api, other_api: Api) -> None:
    assert api.put("/config", {"income1": 42}).status_code == 200
    assert other_api.ok("/config") == DEFAULT_CONFIG


def test_update_config_service_changes_only_what_it_is_given(engine: Engine) -> None:
    """The service takes stored units; None leaves a field as it is, a household without a
    config row gets one, and every write renews the budget stamp."""
    [configured, bare] = make_households(engine)
    for household_id in (configured, bare):
        with unit_of_work(engine) as conn:
            before = stamps.read(conn, household_id, [stamps.BUDGET])
            stored = budget.get_config(conn, household_id=household_id)
            changes = budget.ConfigChanges(income2_cents=199_999, manual_share1_bp=3333)
            updated = budget.update_config(conn, household_id=household_id, changes=changes)
            assert updated == replace(stored, income2_cents=199_999, manual_share1_bp=3333)
            assert budget.get_config(conn, household_id=household_id) == updated
            assert stamps.read(conn, household_id, [stamps.BUDGET]) != before
