"""CSV rows to `ParsedRow`s, one record at a time (a 1M-row file never becomes a list).

A line that does not parse becomes a `LineError` and the next line goes on. A line whose
date cell is not a date but which reads as a balance or total (`Solde au 31/01/2024`,
`Total des opérations`) is a `SkippedLine`: banks append them and they are not mistakes.
"""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Callable, Iterator
from typing import NamedTuple, TextIO

from foyer.imports.amounts import amount_parser
from foyer.imports.dates import date_parser
from foyer.imports.model import (
    Detection,
    LineError,
    MappingError,
    ParsedRow,
    ParseItem,
    SkippedLine,
)
from foyer.imports.text import fold

_SUMMARY_WORDS = ("solde", "total", "totaux", "balance", "saldo", "kontostand", "encours")

# The csv module refuses fields over 128 KiB; a bank label never is one, but a broken file
# can be one huge quoted field, which must become a line error, not a crash.
csv.field_size_limit(1 << 20)


class _Layout(NamedTuple):
    """Column positions and cell readers, resolved once per file."""

    width: int
    needed: int
    date: int
    label: int
    amount: int | None
    debit: int | None
    credit: int | None
    category: int | None
    account: int | None
    parse_date: Callable[[str], dt.date]
    parse_amount: Callable[[str], int]


def _index(columns: tuple[str, ...], name: str | None) -> int | None:
    if name is None:
        return None
    if name not in columns:
        raise MappingError(f"no column named {name!r} (columns: {', '.join(columns)})")
    return columns.index(name)


def _layout(detection: Detection) -> tuple[str, _Layout]:
    dialect, mapping, columns = detection.dialect, detection.mapping, detection.columns
    if dialect is None or mapping is None or not dialect.delimiter:
        raise MappingError("a CSV needs a dialect with a delimiter and a mapping")
    at = {role: _index(columns, name) for role, name in mapping.as_dict().items()}
    return dialect.delimiter, _Layout(
        width=len(columns),
        needed=1
        + max(i for r, i in at.items() if r not in {"category", "account"} and i is not None),
        date=columns.index(mapping.date),
        label=columns.index(mapping.label),
        amount=at.get("amount"),
        debit=at.get("debit"),
        credit=at.get("credit"),
        category=at.get("category"),
        account=at.get("account"),
        parse_date=date_parser(dialect.date_format),
        parse_amount=amount_parser(dialect.decimal, dialect.thousands),
    )


def iter_csv(text: TextIO, detection: Detection) -> Iterator[ParseItem]:
    """Every record after the header as a row, an error or a skipped line, in file order."""
    delimiter, layout = _layout(detection)
    reader = csv.reader(text, delimiter=delimiter)
    header_line = detection.header_line
    # The common record (enough fields, a date, a label, a signed amount) is read inline:
    # a call per record costs as much as the csv module's own reading. Any record it does
    # not read goes to `_item`, which reads it again and says what is wrong, so both paths
    # give the same items.
    inline = layout.amount is not None
    date_at, label_at, amount_at = layout.date, layout.label, layout.amount or 0
    needed, category_at, account_at = layout.needed, layout.category, layout.account
    parse_date, parse_amount = layout.parse_date, layout.parse_amount
    next_line = 1
    while True:
        try:
            for fields in reader:
                line, next_line = next_line, reader.line_num + 1
                if line <= header_line:
                    continue
                if inline and len(fields) >= needed:
                    try:
                        date = parse_date(fields[date_at])
                        amount = parse_amount(fields[amount_at])
                    except ValueError:
                        pass
                    else:
                        label = " ".join(fields[label_at].split())
                        if label:
                            yield ParsedRow(
                                line,
                                date,
                                label,
                                amount,
                                None if category_at is None else _optional(fields, category_at),
                                None if account_at is None else _optional(fields, account_at),
                            )
                            continue
                if any(f.strip() for f in fields):
                    yield _item(line, fields, layout)
            return
        except csv.Error as error:
            line, next_line = next_line, reader.line_num + 1
            yield LineError(line, f"unreadable CSV record: {error}")


def _item(line: int, fields: list[str], layout: _Layout) -> ParseItem:
    if len(fields) <= layout.date:
        return LineError(line, f"expected {layout.width} fields, found {len(fields)}")
    try:
        date = layout.parse_date(fields[layout.date])
    except ValueError as error:
        if any(word in fold(" ".join(fields)) for word in _SUMMARY_WORDS):
            return SkippedLine(line, "balance or total line")
        return LineError(line, str(error))
    if len(fields) < layout.needed:
        return LineError(line, f"expected {layout.width} fields, found {len(fields)}")
    label = " ".join(fields[layout.label].split())  # quoted line breaks, runs of spaces
    if not label:
        return LineError(line, "empty label")
    try:
        if layout.amount is not None:
            amount = layout.parse_amount(fields[layout.amount])
        else:
            amount = _debit_credit(
                layout.parse_amount,
                fields[layout.debit].strip() if layout.debit is not None else "",
                fields[layout.credit].strip() if layout.credit is not None else "",
            )
    except ValueError as error:
        return LineError(line, str(error))
    return ParsedRow(
        line,
        date,
        label,
        amount,
        _optional(fields, layout.category),
        _optional(fields, layout.account),
    )


def _debit_credit(parse: Callable[[str], int], debit: str, credit: str) -> int:
    # Banks write debits as `45,20` or `-45,20`: either way it is money out.
    if not debit and not credit:
        raise ValueError("neither debit nor credit has an amount")
    out = abs(parse(debit)) if debit else 0
    into = abs(parse(credit)) if credit else 0
    return into - out


def _optional(fields: list[str], at: int | None) -> str | None:
    if at is None or at >= len(fields):
        return None
    return fields[at].strip() or None
