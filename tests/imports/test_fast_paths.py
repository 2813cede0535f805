"""The parsing shortcuts issue 11 added for speed read exactly what the careful paths read:
plain amounts, remembered dates, ASCII folding, the inline CSV record, the last parse kept
for the commit."""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import time
import unicodedata

import pytest

from foyer.imports import LineError, ParsedRow, SkippedLine, detect, parse, parsed
from foyer.imports.amounts import amount_parser
from foyer.imports.dates import date_parser
from foyer.imports.parsed import rows_and_errors
from foyer.imports.text import fold
from foyer.money import MAX_AMOUNT_CENTS


@pytest.mark.parametrize(
    ("text", "cents"),
    [
        ("-87,45", -8745),
        ("87,45", 8745),
        ("-0,00", 0),
        ("007,50", 750),
        ("12,5", 1250),  # not plain: the careful path
        (" -87,45 ", -8745),
        ("+87,45", 8745),
        ("1\u00a0234,56", 123456),
        ("-1 234,56 €", -123456),
        ("87,450", 8745),
        ("(87,45)", -8745),
    ],
)
def test_plain_and_careful_amounts_agree(text: str, cents: int) -> None:
    assert amount_parser(",", "")(text) == cents


def test_plain_amount_past_the_limit_is_still_refused() -> None:
    too_big = f"-{(MAX_AMOUNT_CENTS + 1) // 100},{(MAX_AMOUNT_CENTS + 1) % 100:02d}"
    with pytest.raises(ValueError, match="too large"):
        amount_parser(",", "")(too_big)
    assert amount_parser(".", "")("-12.30") == -1230
    with pytest.raises(ValueError, match="not a number"):
        amount_parser(".", "")("-12,30")


def test_remembered_dates_are_the_dates_and_errors_stay_errors() -> None:
    read = date_parser("%d/%m/%Y")
    assert read("03/04/2024") == dt.date(2024, 4, 3)
    assert read("03/04/2024") == dt.date(2024, 4, 3)
    for _ in range(2):
        with pytest.raises(ValueError, match="not a calendar date"):
            read("31/02/2024")


@pytest.mark.parametrize(
    "label", ["  CB  Café\u00a0N°12 ", "PRLV SEPA EDF", "cb\tCARREFOUR  03/01", "Straße"]
)
def test_ascii_folding_is_the_unicode_folding(label: str) -> None:
    decomposed = unicodedata.normalize("NFKD", label)
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    assert fold(label) == " ".join(bare.casefold().split())


def test_records_the_inline_path_declines_get_the_careful_answer() -> None:
    content = (
        "Date;Libellé;Montant\r\n"
        "02/01/2024;CB  BOULANGERIE ;-4,20\r\n"
        "03/01/2024;;-1,00\r\n"  # empty label
        "04/01/2024;VIR;\r\n"  # no amount
        "05/01/2024;VIR\r\n"  # a field short
        ";;\r\n"  # blank
        "Solde au 31/01/2024;;12,00\r\n"  # balance line
        "06/01/2024;PRLV;1 234,5\r\n"  # not plain
    ).encode()
    items = list(parse(io.BytesIO(content), detect(io.BytesIO(content))))
    assert items[0] == ParsedRow(2, dt.date(2024, 1, 2), "CB BOULANGERIE", -420)
    assert [type(item) for item in items] == [
        ParsedRow,
        LineError,
        LineError,
        LineError,
        SkippedLine,
        ParsedRow,
    ]
    assert [item.line for item in items] == [2, 3, 4, 5, 7, 8]
    assert items[-1] == ParsedRow(8, dt.date(2024, 1, 6), "PRLV", 123450)


def test_the_last_parse_is_reused_only_for_the_same_bytes_read_the_same_way() -> None:
    content = b"Date;Libelle;Montant\n02/01/2024;CAFE;-2,00\n03/01/2024;PAIN;-1,10\n"
    detection = detect(io.BytesIO(content))
    first = rows_and_errors(content, detection)
    assert rows_and_errors(content, detection) is first
    other = content.replace(b"PAIN", b"LAIT")
    assert rows_and_errors(other, detection)[0][1].label == "LAIT"
    assert detection.dialect is not None
    dotted = dataclasses.replace(
        detection, dialect=dataclasses.replace(detection.dialect, decimal=".")
    )
    assert rows_and_errors(content, dotted)[0] == ()
    assert len(rows_and_errors(content, dotted)[1]) == 2


def test_the_last_parse_is_let_go_after_its_time(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(parsed, "KEEP_SECONDS", 0.05)
    content = b"Date;Libelle;Montant\n02/01/2024;THE;-3,00\n"
    detection = detect(io.BytesIO(content))
    first = rows_and_errors(content, detection)
    time.sleep(0.3)
    again = rows_and_errors(content, detection)
    assert again == first
    assert again is not first  # parsed anew
