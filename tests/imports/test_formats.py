"""Amount and date readers: exact cents for every format a column may use."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from foyer.imports.amounts import amount_parser, detect_number_format
from foyer.imports.dates import date_parser, detect_date_format

FORMATS = [
    (",", ""),
    (",", " "),
    (",", "\u00a0"),
    (",", "\u202f"),
    (",", "."),
    (".", ""),
    (".", ","),
]


def write(cents: int, decimal: str, thousands: str) -> str:
    whole, frac = divmod(abs(cents), 100)
    grouped = f"{whole:,}".replace(",", thousands)
    return f"{'-' if cents < 0 else ''}{grouped}{decimal}{frac:02d}"


@given(cents=st.integers(-(10**11), 10**11), fmt=st.sampled_from(FORMATS))
def test_amounts_round_trip_exactly(cents: int, fmt: tuple[str, str]) -> None:
    assert amount_parser(*fmt)(write(cents, *fmt)) == cents


@given(
    values=st.lists(st.integers(-(10**9), 10**9), min_size=1, max_size=30),
    fmt=st.sampled_from(FORMATS),
)
def test_column_format_detected_from_its_values(values: list[int], fmt: tuple[str, str]) -> None:
    decimal, thousands = fmt
    detected = detect_number_format(
        [write(c, decimal, thousands) for c in values], default_decimal=decimal
    )
    assert detected[0] == decimal
    parse = amount_parser(*detected)
    assert [parse(write(c, decimal, thousands)) for c in values] == values


@pytest.mark.parametrize(
    ("text", "cents"),
    [("12,5", 1250), ("-€12.50", None), ("12,50 €", 1250), ("45,20-", -4520), ("+3,00", 300),
     (",5", 50), ("1 234,560", 123456), ("\u22121 234,56", -123456)],
)  # fmt: skip
def test_amount_spellings(text: str, cents: int | None) -> None:
    parse = amount_parser(",", " ")
    if cents is None:
        assert amount_parser(".", "")(text) == -1250
    else:
        assert parse(text) == cents


@pytest.mark.parametrize("text", ["12,345", "1,2,3", "abc", "12,5x", "١٢", ""])
def test_amounts_that_are_not_numbers(text: str) -> None:
    with pytest.raises(ValueError, match="amount"):
        amount_parser(",", "")(text)


def test_date_format_decided_on_the_whole_column() -> None:
    assert detect_date_format(["03/04/2024", "05/04/2024"]) == "%d/%m/%Y"
    assert detect_date_format(["03/04/2024", "04/13/2024"]) == "%m/%d/%Y"
    assert detect_date_format(["2024-01-05T10:22:13", "2024-01-06"]) == "%Y-%m-%d"
    assert detect_date_format(["05.01.24", "06.01.24"]) == "%d.%m.%y"
    assert detect_date_format(["Solde", "n/a"]) is None
    assert date_parser("%d/%m/%y")("05/01/99") == dt.date(1999, 1, 5)
    assert date_parser("%d %b %Y")("05 Jan 2024") == dt.date(2024, 1, 5)  # strptime fallback
