"""The settings forms below HTTP: their declarations name the API's fields, typed numbers
are read the way people type them, and stored amounts come back as typed."""

from __future__ import annotations

from typing import Any

import pytest

from foyer.domain.model import FixedLine, HouseholdConfig
from foyer.web.i18n import Words
from foyer.web.settings_forms import (
    CONFIG,
    FIXED_LINE,
    PROVISION,
    Fields,
    check,
    config_values,
    fixed_line_values,
    hundredths,
    number,
    provision_values,
)


@pytest.mark.parametrize("fields", [CONFIG, FIXED_LINE, PROVISION])
def test_a_forms_fields_are_its_schemas(fields: Fields[Any]) -> None:
    assert set(fields.names) <= set(fields.schema.model_fields)
    assert fields.numbers | fields.checkboxes <= set(fields.names)


def test_a_stored_thing_fills_every_field_of_its_form() -> None:
    line = FixedLine(1, "Loyer", 115000, "monthly", "custom", 6050, "logement", True)
    assert set(fixed_line_values(line)) == set(FIXED_LINE.names)
    assert set(config_values(HouseholdConfig())) == set(CONFIG.names)
    assert set(provision_values(None)) <= set(PROVISION.names)


@pytest.mark.parametrize(
    ("typed", "read"),
    [
        ("1 234,56", "1234.56"),
        ("1\u202f234,5", "1234.5"),
        ("12.5", "12.5"),
        ("1,234.56", "1,234.56"),  # ambiguous: left for the schema to refuse
        ("abc", "abc"),
    ],
)
def test_numbers_are_read_as_people_type_them(typed: str, read: str) -> None:
    assert number(typed) == read


@pytest.mark.parametrize(
    ("stored", "shown"), [(0, "0"), (5, "0.05"), (1250, "12.5"), (115000, "1150"), (None, "")]
)
def test_stored_hundredths_are_shown_as_typed(stored: int | None, shown: str) -> None:
    assert hundredths(stored) == shown


def test_a_blank_item_field_takes_the_schemas_default_a_blank_config_field_is_refused() -> None:
    w = Words("en")
    body, form = check(w, FIXED_LINE, {"label": "Loyer", "amount": "900"}, prefix="x")
    assert body is not None
    assert (body.category, body.frequency, body.active) == ("uncategorized", "monthly", False)
    assert form.errors == {}
    values = {**config_values(HouseholdConfig()), "income1": ""}
    nothing, refused = check(w, CONFIG, values, prefix="config")
    assert nothing is None
    assert refused.errors == {"income1": "Required."}
    assert refused.first_error == "income1"
