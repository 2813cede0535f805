"""QIF (Quicken Interchange Format) statements: a small parser of our own.

Why not a library: `quiffen`, the maintained one, requires pandas (pinned `pandas==2.3.0`
in 3.0) and `pydantic<2.11` (foyer pins a newer pydantic), so it cannot be installed
beside foyer; `qifparse`/`qifparser` are unmaintained since 2013/2016. The format is one
field per line (`D` date, `T`/`U` amount, `P` payee, `M` memo, `L` category, `^` end of
record) and needs only the rules below. Dates and numbers are decided on the whole file's
head, as for CSV: QIF writes `01/02/2024` US- or French-style with no marker.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from typing import TextIO

from foyer.imports.amounts import amount_parser, detect_number_format
from foyer.imports.dates import date_parser, detect_date_format
from foyer.imports.model import (
    Detection,
    Dialect,
    LineError,
    MappingError,
    NotABankExport,
    ParsedRow,
    ParseItem,
)

#: `!Type:` sections holding bank-like transactions; `Cat`, `Class`, `Memorized`, `Invst`
#: hold lists or investments and are skipped.
_TRANSACTION_TYPES = frozenset({"bank", "cash", "ccard", "oth a", "oth l"})


def looks_like_qif(text: str) -> bool:
    first = text.lstrip("\ufeff \t\r\n")[:16].lower()
    return first.startswith(("!type:", "!account", "!option", "!clear"))


def _date_text(value: str) -> str:
    # Quicken writes `1/31'24` and ` 1/ 5/24`: make them `1/31/24`, `1/5/24`.
    return value.replace("'", "/").replace(" ", "")


def detect_qif(sample: str, *, encoding: str) -> Detection:
    dates, amounts = [], []
    for line in sample.splitlines():
        if line.startswith("D"):
            dates.append(_date_text(line[1:].strip()))
        elif line.startswith(("T", "U")):
            amounts.append(line[1:].strip())
    if not dates or not amounts:
        raise NotABankExport("QIF file holds no transactions (no D and T lines)")
    date_format = detect_date_format(dates)
    if date_format is None:
        raise NotABankExport(f"QIF dates are in no known format (e.g. {dates[0]!r})")
    decimal, thousands = detect_number_format(amounts, default_decimal=".")
    return Detection("qif", encoding, Dialect(None, decimal, thousands, date_format), (), None)


def iter_qif(text: TextIO, detection: Detection) -> Iterator[ParseItem]:
    """Every transaction record as a row or an error; the record's first line is its line."""
    if detection.dialect is None:
        raise MappingError("a QIF needs a dialect (date format and decimal mark)")
    parse_date = date_parser(detection.dialect.date_format)
    parse_amount = amount_parser(detection.dialect.decimal, detection.dialect.thousands)
    in_transactions = False
    record: dict[str, str] = {}
    start = 0
    for number, raw in enumerate(text, start=1):
        line = raw.rstrip("\r\n")
        if not line.strip():
            continue
        if line.startswith("!"):
            tag = line[1:].strip().lower()
            if tag.startswith("type:"):
                in_transactions = tag[5:].strip() in _TRANSACTION_TYPES
            elif tag == "account":
                in_transactions = False
            record = {}
            continue
        if line.startswith("^"):
            if in_transactions and record:
                yield _row(start, record, parse_date, parse_amount)
            record = {}
            continue
        if not record:
            start = number
        # Split lines (S, E, $) repeat per split; the record's own fields come first.
        record.setdefault(line[0], line[1:].strip())
    if in_transactions and record:  # a last record without its `^`
        yield _row(start, record, parse_date, parse_amount)


def _row(
    line: int,
    record: dict[str, str],
    parse_date: Callable[[str], dt.date],
    parse_amount: Callable[[str], int],
) -> ParseItem:
    try:
        date = parse_date(_date_text(record["D"]))
    except KeyError:
        return LineError(line, "record has no date (D line)")
    except ValueError as error:
        return LineError(line, str(error))
    amount_text = record.get("T", record.get("U"))
    if amount_text is None:
        return LineError(line, "record has no amount (T line)")
    try:
        amount = parse_amount(amount_text)
    except ValueError as error:
        return LineError(line, str(error))
    label = record.get("P") or record.get("M") or ""
    if not label:
        return LineError(line, "record has neither payee (P) nor memo (M)")
    return ParsedRow(line, date, label, amount, record.get("L") or None)
