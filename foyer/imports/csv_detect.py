"""A CSV bank export's layout: delimiter, header row after any preamble, column roles,
number and date formats. Decided on the file's head only, so detection costs the same for
10 rows and for 1M.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Sequence

from foyer.imports.amounts import detect_number_format
from foyer.imports.dates import date_parser, detect_date_format
from foyer.imports.model import ColumnMapping, Detection, Dialect, NotABankExport
from foyer.imports.text import fold_header

DELIMITERS = (";", ",", "\t", "|")
#: How many records may come before the header (bank name, account, period, balance...).
MAX_PREAMBLE = 40
#: Records after the header that decide the date and number formats.
SAMPLE_ROWS = 200

# Header names per role, folded (`fold_header`), best first: when a file has both
# `Date opération` and `Date de valeur`, the operation date wins.
ROLES: dict[str, tuple[str, ...]] = {
    "date": (
        "date operation", "date de l operation", "date op", "dateop", "date",
        "booking date", "transaction date", "started date", "date comptable",
        "date de comptabilisation", "buchungstag", "buchungsdatum", "datum",
        "completed date", "date de valeur", "value date", "dateval", "valuta",
    ),
    "label": (
        "libelle", "libelle operation", "libelle de l operation", "libelle simplifie",
        "label", "description", "intitule", "operation", "nature de l operation",
        "details", "payee", "beneficiaire", "partner name", "name", "nom",
        "verwendungszweck", "buchungstext", "memo", "reference",
    ),
    "amount": ("montant", "amount", "montant operation", "betrag", "somme", "value"),
    "debit": ("debit", "debits", "money out", "paid out", "withdrawals", "soll"),
    "credit": ("credit", "credits", "money in", "paid in", "deposits", "haben"),
    "category": ("categorie", "category", "categorie operation", "kategorie"),
    "account": ("compte", "account", "numero de compte", "accountnum", "account number"),
}  # fmt: skip


def _candidates(sample: str) -> list[str]:
    """Delimiters to try, `csv.Sniffer`'s guess first.

    The Sniffer alone fails on real exports, so its guess is only an order of trial: a
    preamble (`Compte n° ...;` lines of 1-2 fields) breaks its consistency test, and in a
    `;` file of decimal-comma amounts (`-1 234,56`) `,` is frequent and regular enough for
    it to pick `,`. What decides is whether a header of known column names appears.
    """
    try:
        sniffed = csv.Sniffer().sniff(sample, delimiters="".join(DELIMITERS)).delimiter
    except csv.Error:
        sniffed = ""
    return [sniffed, *(d for d in DELIMITERS if d != sniffed)] if sniffed else list(DELIMITERS)


def _records(sample: str, delimiter: str, *, limit: int) -> list[tuple[int, list[str]]]:
    """Up to `limit` (first line number, fields) records; the sample's last, possibly
    truncated, line is left out by the caller's cut."""
    reader = csv.reader(io.StringIO(sample), delimiter=delimiter)
    out: list[tuple[int, list[str]]] = []
    line = 1
    try:
        for fields in reader:
            out.append((line, fields))
            line = reader.line_num + 1
            if len(out) >= limit:
                break
    except csv.Error:  # an unbalanced quote at the sample's end
        pass
    return out


def match_header(fields: Sequence[str]) -> ColumnMapping | None:
    """The mapping a header row implies, or None when it lacks a date, label or amount."""
    chosen: dict[str, tuple[int, str]] = {}
    for name in fields:
        folded = fold_header(name)
        for role, names in ROLES.items():
            if folded in names:
                rank = names.index(folded)
                if role not in chosen or rank < chosen[role][0]:
                    chosen[role] = (rank, name)
                break
    picked = {role: name for role, (_, name) in chosen.items()}
    if "date" not in picked or "label" not in picked:
        return None
    if "amount" in picked:
        picked.pop("debit", None)
        picked.pop("credit", None)
    elif "debit" not in picked and "credit" not in picked:
        return None
    return ColumnMapping(**picked)


def detect_csv(sample: str, *, encoding: str, delimiter: str | None = None) -> Detection:
    """The layout of a CSV export from its decoded head (with the given delimiter, if any)."""
    best: tuple[int, str, list[tuple[int, list[str]]], int, ColumnMapping] | None = None
    for candidate in [delimiter] if delimiter else _candidates(sample):
        records = _records(sample, candidate, limit=MAX_PREAMBLE + SAMPLE_ROWS)
        found = _find_header(records)
        if found is None:
            continue
        # Reading with csv.reader keeps quoted labels holding the delimiter in one field;
        # among delimiters that find a header, the one giving most rows its width wins.
        width = len(records[found[0]][1])
        fits = sum(len(f) == width for _, f in records[found[0] + 1 :])
        if best is None or fits > best[0]:
            best = (fits, candidate, records, *found)
    if best is None:
        first = sample.strip().splitlines()[0][:80] if sample.strip() else "nothing"
        raise NotABankExport(
            f"no header with date, label and amount (or debit/credit) columns in the first "
            f"{MAX_PREAMBLE} lines (first line: {first!r})"
        )
    _, delimiter, records, index, mapping = best
    line, fields = records[index]
    columns = tuple(fields)
    body = [f for _, f in records[index + 1 :]]
    date_at = columns.index(mapping.date)
    date_format = detect_date_format(f[date_at] for f in body if len(f) > date_at)
    if date_format is None:
        raise NotABankExport(f"column {mapping.date!r} holds no dates in a known format")
    parse_date = date_parser(date_format)
    amount_columns = [
        columns.index(c) for c in (mapping.amount, mapping.debit, mapping.credit) if c
    ]
    samples: list[str] = []
    for f in body:
        if len(f) == len(columns) and _parses(parse_date, f[date_at]):
            samples.extend(f[i] for i in amount_columns)
    decimal, thousands = detect_number_format(
        samples, default_decimal="." if delimiter == "," else ","
    )
    dialect = Dialect(delimiter, decimal, thousands, date_format)
    return Detection("csv", encoding, dialect, columns, mapping, header_line=line)


def _find_header(records: list[tuple[int, list[str]]]) -> tuple[int, ColumnMapping] | None:
    for index, (_, fields) in enumerate(records[:MAX_PREAMBLE]):
        mapping = match_header(fields)
        if mapping is not None:
            return index, mapping
    return None


def _parses(parse: Callable[[str], object], text: str) -> bool:
    try:
        parse(text)
    except ValueError:
        return False
    return True
