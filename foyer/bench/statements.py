"""Bank statement files for the import benchmark: the demo couple's rows as a French CSV.

Each file is four months of the joint account, written as French banks export it:
Windows-1252, `;` between fields, `DD/MM/YYYY` dates, decimal comma with a no-break
space between thousands, labels in double quotes, newest row first, CRLF line ends and a
closing balance line (`Solde au …`, which the parser skips). Files are built one at a time
from a seed, so a 1M-row run never holds more than one file's rows, and two runs build
the same bytes.

Beside each file's bytes come the `NewRow`s an import of it inserts (the CSV carries no
category or account: `uncategorized`, and the account the upload names), so the
benchmark can hand the very same rows to `insert_rows` alone.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterator
from dataclasses import dataclass

from foyer.bench.datasets import END_MONTH
from foyer.demo import month_rows
from foyer.months import add_months
from foyer.services.transactions import NewRow

#: Months per file: a quarterly-ish statement, and 100,000 rows at 25,000 a month.
MONTHS_PER_FILE = 4
ACCOUNT = "joint"
UNCATEGORIZED = "uncategorized"
HEADER = "Date opération;Date de valeur;Libellé;Montant(EUROS)"
NBSP = "\u00a0"


@dataclass(frozen=True, slots=True)
class Statement:
    """One file to upload and the rows its import inserts (file order)."""

    index: int
    name: str
    content: bytes
    rows: list[NewRow]


def french_amount(cents: int) -> str:
    """`-123456` -> `-1 234,56` (a no-break space between thousands)."""
    whole, frac = divmod(abs(cents), 100)
    digits = f"{whole:,}".replace(",", NBSP)
    return f"{'-' if cents < 0 else ''}{digits},{frac:02d}"


def _months(files: int, end_month: str) -> list[str]:
    first = add_months(end_month, 1 - files * MONTHS_PER_FILE)
    return [add_months(first, i) for i in range(files * MONTHS_PER_FILE)]


def _split(total: int, parts: int) -> list[int]:
    return [total // parts + (1 if i < total % parts else 0) for i in range(parts)]


def statements(
    total_rows: int, file_rows: int, *, seed: int = 11, end_month: str = END_MONTH
) -> Iterator[Statement]:
    """`total_rows` rows in files of at most `file_rows`, oldest statement first, the last
    one ending with `end_month`."""
    if total_rows < 1 or file_rows < MONTHS_PER_FILE:
        raise ValueError("need at least one row, and files of at least one row a month")
    sizes = [file_rows] * (total_rows // file_rows)
    if total_rows % file_rows:
        sizes.append(total_rows % file_rows)
    months = _months(len(sizes), end_month)
    created_at = dt.datetime.now(dt.UTC)
    for index, size in enumerate(sizes):
        rng = random.Random(seed * 1_000 + index)  # noqa: S311 (reproducible data)
        file_months = months[index * MONTHS_PER_FILE : (index + 1) * MONTHS_PER_FILE]
        demo: list[NewRow] = []
        for month, count in zip(file_months, _split(size, MONTHS_PER_FILE), strict=True):
            if count:
                demo += month_rows(rng, month, count, created_at)[0]
        demo.sort(key=lambda row: row.date, reverse=True)  # banks list the newest first
        yield _statement(index, file_months, demo, created_at)


def _statement(
    index: int, months: list[str], demo: list[NewRow], created_at: dt.datetime
) -> Statement:
    lines = [HEADER]
    rows = []
    for row in demo:
        day = f"{row.date.day:02d}/{row.date.month:02d}/{row.date.year}"
        lines.append(f'{day};{day};"{row.label}";{french_amount(row.amount_cents)}')
        rows.append(
            NewRow(
                row.date,
                row.month,
                row.label,
                row.amount_cents,
                UNCATEGORIZED,
                UNCATEGORIZED,
                ACCOUNT,
                False,
                "VARIABLE",
                None,  # the import's id, set by the caller
                created_at,
            )
        )
    balance = sum(row.amount_cents for row in demo)
    last = max(row.date for row in demo)
    lines.append(f"Solde au {last.day:02d}/{last.month:02d}/{last.year};;;{french_amount(balance)}")
    content = ("\r\n".join(lines) + "\r\n").encode("cp1252")
    name = f"releve-{months[0]}-{months[-1]}.csv"
    return Statement(index, name, content, rows)
