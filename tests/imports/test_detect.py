"""Every fixture detected without help, with its exact rows in cents."""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
from pathlib import Path

import pytest

from foyer.imports import (
    ColumnMapping,
    Detection,
    Dialect,
    LineError,
    MappingError,
    NotABankExport,
    ParsedRow,
    ParseItem,
    SkippedLine,
    detect,
    parse,
    with_overrides,
)

FIXTURES = Path(__file__).parent / "fixtures"
D = dt.date


def load(name: str) -> tuple[Detection, list[ParseItem]]:
    raw = io.BytesIO((FIXTURES / name).read_bytes())
    detection = detect(raw)
    return detection, list(parse(raw, detection))


def rows(items: list[ParseItem]) -> list[tuple[int, dt.date, str, int]]:
    return [(i.line, i.date, i.label, i.amount_cents) for i in items if isinstance(i, ParsedRow)]


def test_latin1_preamble_debit_credit() -> None:
    detection, items = load("ca_latin1_debit_credit.csv")
    assert detection.format == "csv"
    assert detection.encoding == "cp1252"
    assert detection.dialect == Dialect(";", ",", " ", "%d/%m/%Y")
    assert detection.header_line == 8
    assert detection.mapping == ColumnMapping(
        date="Date", label="Libellé", debit="Débit euros", credit="Crédit euros"
    )
    assert rows(items) == [
        (9, D(2024, 1, 5), "PRLV SEPA ÉNERGIE DU SUD; ECH/050124 REF 8812", -4520),
        (10, D(2024, 1, 8), "CARTE X1234 07/01 BOULANGERIE DU MARCHÉ", -385),
        (12, D(2024, 1, 15), "VIR SEPA RECU /DE EMPLOYEUR SARL /MOTIF SALAIRE JANVIER", 215000),
        (13, D(2024, 1, 20), "CARTE X1234 19/01 CAFÉ DE LA GARE", -210),
        (14, D(2024, 1, 20), "CARTE X1234 19/01 CAFÉ DE LA GARE", -210),
    ]
    assert len(items) == 5


def test_no_break_space_thousands_and_balance_line() -> None:
    detection, items = load("bnp_nbsp_balance.csv")
    assert detection.encoding == "utf-8"
    assert detection.dialect == Dialect(";", ",", "\u00a0", "%d/%m/%Y")
    assert detection.mapping == ColumnMapping(
        date="Date opération", label="Libellé", amount="Montant(EUROS)"
    )
    assert rows(items) == [
        (2, D(2024, 1, 2), "PRLV SEPA LOYER RESIDENCE DES TILLEULS", -123456),
        (3, D(2024, 1, 4), "CB SUPERMARCHE 03/01", -8745),
        (4, D(2024, 1, 10), "VIR SEPA RECU SALAIRE", 310000),  # U+202F thousands
        (5, D(2024, 1, 12), "RETRAIT DAB 12/01; AGENCE CENTRE", -6000),
    ]
    assert items[-1] == SkippedLine(6, "balance or total line")


def test_bom_utf8_comma_iso_datetimes() -> None:
    detection, items = load("online_bom_iso.csv")
    assert detection.encoding == "utf-8-sig"
    assert detection.dialect == Dialect(",", ".", "", "%Y-%m-%d")
    assert detection.columns[0] == "Type"  # the BOM is not part of the first name
    assert detection.mapping == ColumnMapping(
        date="Started Date", label="Description", amount="Amount"
    )
    assert rows(items) == [
        (2, D(2024, 1, 3), "Corner Coffee", -340),
        (3, D(2024, 1, 5), "Top-up by *1234, thank you", 50000),
        (4, D(2024, 1, 9), "To A. Martin", -125050),
    ]


def test_german_dots_thousands() -> None:
    detection, items = load("german_dots.csv")
    assert detection.encoding == "cp1252"
    assert detection.dialect == Dialect(";", ",", ".", "%d.%m.%Y")
    assert detection.header_line == 4
    assert detection.mapping == ColumnMapping(
        date="Buchungstag", label="Verwendungszweck", amount="Betrag"
    )
    assert rows(items) == [
        (5, D(2024, 1, 2), "Miete Januar Wohnung Müller", -123456),
        (6, D(2024, 1, 5), "Gehalt Januar", 250000),
        (7, D(2024, 1, 7), "Bäckerei am Markt", -450),
    ]
    assert items[-1] == SkippedLine(8, "balance or total line")


def test_tab_short_years_category_account() -> None:
    detection, items = load("sg_tab_short_dates.tsv")
    assert detection.dialect == Dialect("\t", ",", "", "%d/%m/%y")
    assert detection.mapping == ColumnMapping(
        date="Date", label="Libellé", amount="Montant", category="Catégorie", account="Compte"
    )
    assert items == [
        ParsedRow(2, D(2024, 1, 3), "CB PHARMACIE DU PORT", -1290, "Santé", "joint"),
        ParsedRow(3, D(2024, 1, 6), "VIR INST RECU ALLOCATIONS", 21530, None, "joint"),
    ]


def test_ofx_v1_sgml_latin1() -> None:
    detection, items = load("statement_v1.ofx")
    assert (detection.format, detection.encoding, detection.dialect) == ("ofx", "cp1252", None)
    assert rows(items) == [
        (16, D(2024, 1, 5), "PRLV SEPA ÉNERGIE DU SUD ECH/050124 REF 8812", -4520),
        (24, D(2024, 1, 15), "VIR SALAIRE JANVIER", 215000),  # TRNAMT `2150,00`
    ]


def test_qfx_v2_xml() -> None:
    detection, items = load("statement_v2.qfx")
    assert (detection.format, detection.encoding) == ("ofx", "utf-8")
    assert rows(items) == [
        (8, D(2024, 2, 3), "STREAMING SERVICE", -1999),
        (9, D(2024, 2, 10), "REFUND", 500),
    ]


def test_qif() -> None:
    detection, items = load("statement.qif")
    assert detection.format == "qif"
    assert detection.dialect == Dialect(None, ".", ",", "%d/%m/%Y")
    assert items == [
        ParsedRow(6, D(2024, 1, 31), "LOYER JANVIER", -123456, "Logement:Loyer"),
        ParsedRow(11, D(2024, 2, 2), "VIR SALAIRE", 215000, "Revenus"),
        ParsedRow(19, D(2024, 2, 3), "Boulangerie", -385),  # no `^`, label from the memo
    ]


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("contacts.csv", "no header with date, label and amount"),
        ("letter.txt", "no header with date, label and amount"),
        ("statement.pdf", "a PDF document"),
    ],
)
def test_not_a_bank_export(name: str, reason: str) -> None:
    with pytest.raises(NotABankExport) as refused:
        detect(io.BytesIO((FIXTURES / name).read_bytes()))
    assert reason in refused.value.reason


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "empty"),
        (b"   \r\n\r\n", "empty"),
        (b"PK\x03\x04\x14\x00\x06\x00", "spreadsheet"),
        (b"<!DOCTYPE html><html><body>Relev\xc3\xa9</body></html>", "HTML"),
        (b'{"transactions": []}', "JSON"),
        (b"OFXHEADER:100\nDATA:OFXSGML\n\n<OFX><SIGNONMSGSRSV1></OFX>", "OFX"),
        (b"!Type:Bank\n^\n", "no transactions"),
    ],
)
def test_refusals_say_why(data: bytes, reason: str) -> None:
    with pytest.raises(NotABankExport) as refused:
        detect(io.BytesIO(data))
    assert reason in refused.value.reason


def test_bad_lines_reported_with_line_numbers_and_others_go_on() -> None:
    _, items = load("bad_lines.csv")
    assert [(i.line, i.message) for i in items if isinstance(i, LineError)] == [
        (3, "date '32/02/2024' is not a calendar date"),
        (4, "amount '-1,2,3' is not a number in this format"),
        (5, "empty label"),
        (6, "expected 3 fields, found 2"),
        (7, "date 'garbage line' does not match %d/%m/%Y"),
    ]
    assert rows(items) == [
        (2, D(2024, 2, 1), "BON DEBUT", -1000),
        (8, D(2024, 2, 6), "BONNE FIN", 2000),
    ]


def test_reparse_with_explicit_mapping_and_dialect() -> None:
    raw = io.BytesIO((FIXTURES / "online_bom_iso.csv").read_bytes())
    detected = detect(raw)
    fixed = with_overrides(
        detected,
        mapping=ColumnMapping(
            date="Completed Date", label="Type", amount="Balance", category="Product"
        ),
    )
    assert next(iter(parse(raw, fixed))) == ParsedRow(
        2, D(2024, 1, 4), "CARD_PAYMENT", 99660, "Current"
    )
    # The preview round trip: what the API serialises is what it reads back.
    assert fixed.mapping is not None
    assert ColumnMapping(**fixed.mapping.as_dict()) == fixed.mapping
    assert fixed.dialect is not None
    as_json = dataclasses.asdict(fixed.dialect)
    assert set(as_json) == {"delimiter", "decimal", "thousands", "date_format"}
    wrong_dates = with_overrides(
        detected, dialect=Dialect(**{**as_json, "date_format": "%d/%m/%Y"})
    )
    assert all(isinstance(i, LineError) for i in parse(raw, wrong_dates))


def test_forced_delimiter_finds_the_header_again() -> None:
    raw = io.BytesIO(b"Date|Label|Amount\n2024-03-01|Rent|-800.00\n")
    detection = detect(raw, delimiter="|")
    assert detection.mapping == ColumnMapping(date="Date", label="Label", amount="Amount")
    assert rows(list(parse(raw, detection))) == [(2, D(2024, 3, 1), "Rent", -80000)]


@pytest.mark.parametrize(
    "mapping",
    [
        ColumnMapping(date="Nope", label="Description", amount="Amount"),
        ColumnMapping(date="Started Date", label="Description", debit="Missing"),
    ],
)
def test_mapping_to_unknown_columns_is_refused(mapping: ColumnMapping) -> None:
    detected = detect(io.BytesIO((FIXTURES / "online_bom_iso.csv").read_bytes()))
    with pytest.raises(MappingError):
        with_overrides(detected, mapping=mapping)


def test_mapping_needs_one_kind_of_amount() -> None:
    with pytest.raises(MappingError):
        ColumnMapping(date="d", label="l", amount="a", debit="b")
    with pytest.raises(MappingError):
        ColumnMapping(date="d", label="l")


def test_latin1_accent_after_an_ascii_head_is_read_as_cp1252() -> None:
    body = b"Date;Libelle;Montant\n" + b"01/02/2024;PAIN;-1,00\n" * 5000
    raw = io.BytesIO(body + "03/02/2024;CAFÉ;-2,00\n".encode("cp1252"))
    detection = detect(raw)
    assert detection.encoding == "utf-8"
    assert list(parse(raw, detection))[-1] == ParsedRow(5002, D(2024, 2, 3), "CAFÉ", -200)


def test_parse_leaves_the_callers_stream_open() -> None:
    raw = io.BytesIO((FIXTURES / "bnp_nbsp_balance.csv").read_bytes())
    list(parse(raw, detect(raw)))
    assert not raw.closed
