"""A bank import shaped for its page: the reading detected, the fix form's choices, the
counts, the first rows (duplicates marked) and the lines that did not parse. Pure: the
analysis is `foyer.read.imports.analyze`'s, as the API's preview is."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from foyer.imports import Detection
from foyer.money import to_money
from foyer.months import month_of
from foyer.read.imports import Analysis, ImportRecord
from foyer.web.i18n import Words
from foyer.web.imports_forms import (
    date_format_label,
    dialect_choices,
    mapping_fields,
    separator_label,
    separator_word,
)

#: As many rows and line errors as the API's preview shows.
PREVIEW_ROWS = 50
PREVIEW_ERRORS = 100


@dataclass(frozen=True, slots=True)
class PreviewLine:
    line: int
    date: str  # ISO
    label: str
    amount: float
    category: str | None
    duplicate: bool


@dataclass(frozen=True, slots=True)
class Counts:
    rows: int
    new: int
    duplicates: int
    errors: int


def _lines(analysis: Analysis) -> list[PreviewLine]:
    return [
        PreviewLine(
            row.line,
            row.date.isoformat(),
            row.label,
            to_money(row.amount_cents),
            row.category,
            duplicate,
        )
        for row, duplicate in zip(
            analysis.rows[:PREVIEW_ROWS], analysis.duplicate[:PREVIEW_ROWS], strict=True
        )
    ]


def landing_month(analysis: Analysis) -> str | None:
    """The month to see on the dashboard once committed: the latest of the new rows'
    (of all rows when every one is a duplicate)."""
    new = [row.date for row, dup in zip(analysis.rows, analysis.duplicate, strict=True) if not dup]
    dates = new or [row.date for row in analysis.rows]
    return month_of(max(dates)) if dates else None


def reading(w: Words, detection: Detection) -> list[tuple[str, str]]:
    """What detection found, as (words, value) pairs."""
    found = [
        (w.t("imports.format"), detection.format.upper()),
        (w.t("imports.encoding"), detection.encoding),
    ]
    dialect = detection.dialect
    if dialect is not None:
        if dialect.delimiter is not None:
            found.append((w.t("imports.delimiter"), separator_label(w, dialect.delimiter)))
        found += [
            (w.t("imports.decimal"), separator_label(w, dialect.decimal)),
            (w.t("imports.thousands"), separator_label(w, dialect.thousands)),
            (w.t("imports.date_format"), date_format_label(w, dialect.date_format)),
        ]
    return found


def preview_context(w: Words, record: ImportRecord, analysis: Analysis | None) -> dict[str, Any]:
    """Everything the preview page shows; `analysis` is None once committed or undone
    (the file is gone: the page shows the stored counts)."""
    detection = record.detection
    if analysis is None:
        counts = Counts(
            record.rows, record.rows - record.duplicates, record.duplicates, record.errors
        )
        lines, errors, month = [], [], None
    else:
        rows = len(analysis.rows)
        counts = Counts(rows, rows - analysis.duplicates, analysis.duplicates, len(analysis.errors))
        lines, errors = _lines(analysis), analysis.errors[:PREVIEW_ERRORS]
        month = landing_month(analysis)
    editable = analysis is not None and detection.format != "ofx" and detection.dialect is not None
    return {
        "record": record,
        "reading": reading(w, detection),
        "counts": counts,
        "lines": lines,
        "more_rows": max(0, counts.rows - len(lines)),
        "has_category": any(line.category for line in lines),
        "line_errors": errors,
        "month": month,
        "editable": editable,
        "mapping": mapping_fields(w, detection) if editable and detection.format == "csv" else [],
        "dialect": dialect_choices(w, detection.dialect) if editable and detection.dialect else {},
        "delimiter_was": separator_word(
            "" if detection.dialect is None else detection.dialect.delimiter or ""
        ),
        "tab": "files",
    }
