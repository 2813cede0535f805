"""Bank imports as the /imports API shows them: the history, one import, and its analysis
(the file parsed again and each row told new or duplicate against the household's rows).

`analyze` is what both the preview and the commit see: the stored bytes, the stored
detection, and the household's rows of the file's date range read in one query, keyed
exactly as `foyer.imports.dedupe` keys the file's rows.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from collections import Counter
from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy import Connection, Select, func, select, union_all

from foyer.db.engine import as_utc
from foyer.db.schema import bank_import, import_mapping, split_original
from foyer.db.schema import bank_transaction as t
from foyer.imports import (
    ColumnMapping,
    DedupeKey,
    Detection,
    Dialect,
    LineError,
    ParsedRow,
    dedupe_key,
    mark_duplicates,
)
from foyer.imports.encoding import HEAD_BYTES
from foyer.imports.parsed import rows_and_errors
from foyer.imports.text import fold

ImportStatus = Literal["preview", "committed", "undone"]


@dataclass(frozen=True, slots=True)
class ImportRecord:
    """One import's row; `content` is only read for a single import, never the history."""

    id: int
    file_name: str
    account: str
    status: ImportStatus
    detection: Detection
    rows: int
    duplicates: int
    errors: int
    inserted: int
    created_at: dt.datetime
    committed_at: dt.datetime | None
    content: bytes = b""


@dataclass(frozen=True, slots=True)
class Analysis:
    """The file's rows in file order, which of them the household already holds, and the
    lines that did not parse."""

    rows: list[ParsedRow]
    duplicate: list[bool]
    errors: list[LineError]

    @property
    def duplicates(self) -> int:
        return sum(self.duplicate)


def detection_json(detection: Detection) -> str:
    return json.dumps(dataclasses.asdict(detection))


def detection_from_json(text: str) -> Detection:
    data: dict[str, Any] = json.loads(text)
    dialect = data["dialect"]
    mapping = data["mapping"]
    return Detection(
        format=data["format"],
        encoding=data["encoding"],
        dialect=None if dialect is None else Dialect(**dialect),
        columns=tuple(data["columns"]),
        mapping=None if mapping is None else ColumnMapping(**mapping),
        header_line=int(data["header_line"]),
    )


_COLUMNS = (
    bank_import.c.id,
    bank_import.c.file_name,
    bank_import.c.account,
    bank_import.c.status,
    bank_import.c.detection,
    bank_import.c.row_count,
    bank_import.c.duplicate_count,
    bank_import.c.error_count,
    bank_import.c.inserted_count,
    bank_import.c.created_at,
    bank_import.c.committed_at,
)


def _record(row: Any, content: bytes = b"") -> ImportRecord:
    return ImportRecord(
        id=int(row.id),
        file_name=row.file_name,
        account=row.account,
        status=row.status,
        detection=detection_from_json(row.detection),
        rows=int(row.row_count),
        duplicates=int(row.duplicate_count),
        errors=int(row.error_count),
        inserted=int(row.inserted_count),
        created_at=as_utc(row.created_at),
        committed_at=None if row.committed_at is None else as_utc(row.committed_at),
        content=content,
    )


def import_query(household_id: int, import_id: int) -> Select[Any]:
    """One import of the household's, with its file's bytes."""
    return select(*_COLUMNS, bank_import.c.content).where(
        bank_import.c.household_id == household_id, bank_import.c.id == import_id
    )


def get_import(
    conn: Connection, *, household_id: int, import_id: int, with_content: bool = True
) -> ImportRecord | None:
    """The import, or None when it does not exist *for this household*. Without its file's
    bytes (`content` empty) when `with_content` is False: up to 20 MiB not read."""
    if not with_content:
        query = select(*_COLUMNS).where(
            bank_import.c.household_id == household_id, bank_import.c.id == import_id
        )
        found = conn.execute(query).one_or_none()
        return None if found is None else _record(found)
    row = conn.execute(import_query(household_id, import_id)).one_or_none()
    return None if row is None else _record(row, bytes(row.content))


def list_imports(conn: Connection, *, household_id: int, limit: int) -> list[ImportRecord]:
    """The household's `limit` most recent imports (ix_bank_import_household_id_id)."""
    query = (
        select(*_COLUMNS)
        .where(bank_import.c.household_id == household_id)
        .order_by(bank_import.c.id.desc())
        .limit(limit)
    )
    return [_record(row) for row in conn.execute(query)]


def saved_mapping(
    conn: Connection, *, household_id: int, signature: str
) -> tuple[Dialect | None, ColumnMapping | None] | None:
    """The dialect and mapping the household confirmed for files with this header."""
    text = conn.execute(
        select(import_mapping.c.detection).where(
            import_mapping.c.household_id == household_id,
            import_mapping.c.signature == signature,
        )
    ).scalar_one_or_none()
    if text is None:
        return None
    saved = detection_from_json(text)
    return saved.dialect, saved.mapping


def held_counts(
    conn: Connection, *, household_id: int, start: dt.date, end: dt.date
) -> Counter[DedupeKey]:
    """How many rows the household holds per dedupe key, dates `start`..`end` included.

    A split bank row is held once, as the bank printed it: its original (split_original),
    not its parts, so re-importing the statement inserts nothing.
    """
    rows = (
        select(t.c.date, t.c.amount_cents, t.c.account, t.c.label, func.count())
        .where(
            t.c.household_id == household_id,
            t.c.date >= start,
            t.c.date <= end,
            t.c.split_of.is_(None),
        )
        .group_by(t.c.date, t.c.amount_cents, t.c.account, t.c.label)
    )
    so = split_original
    originals = (
        select(so.c.date, so.c.amount_cents, so.c.account, so.c.label, func.count())
        .where(so.c.household_id == household_id, so.c.date >= start, so.c.date <= end)
        .group_by(so.c.date, so.c.amount_cents, so.c.account, so.c.label)
    )
    query = union_all(rows, originals)
    held: Counter[DedupeKey] = Counter()
    for date, amount_cents, account, label, count in conn.execute(query):
        # Labels that differ only in case, accents or spaces fold to one key: add them up.
        held[DedupeKey(date, int(amount_cents), account, fold(label))] += int(count)
    return held


@dataclass(frozen=True, slots=True)
class ParsedFile:
    """A file parsed with a detection: its rows and the lines that failed. Pure work, so a
    commit does it before its write transaction (`parse_file`), not while holding it."""

    detection: Detection
    rows: list[ParsedRow]
    errors: list[LineError]
    head: bytes  # the file's first HEAD_BYTES: what detection reads (its header signature)


def parse_file(content: bytes, detection: Detection) -> ParsedFile:
    # The commit after a preview in this process reuses the preview's parse (see
    # foyer.imports.parsed): a second parse cost the import a tenth of its insert time.
    rows, errors = rows_and_errors(content, detection)
    return ParsedFile(detection, list(rows), list(errors), content[:HEAD_BYTES])


def analyze(
    conn: Connection,
    *,
    household_id: int,
    content: bytes,
    detection: Detection,
    account: str,
    parsed: ParsedFile | None = None,
) -> Analysis:
    """Parse the file (unless `parsed` already holds it, read with this very detection) and
    mark each row new or duplicate (SPEC §8, occurrence counting)."""
    if parsed is None or parsed.detection != detection:
        parsed = parse_file(content, detection)
    rows, errors = parsed.rows, parsed.errors
    if not rows:
        return Analysis(rows, [], errors)
    dates = [row.date for row in rows]
    held = held_counts(conn, household_id=household_id, start=min(dates), end=max(dates))
    # Only a row of a day the household holds rows of can be a duplicate: the others are
    # new without folding their labels, and leaving them out of the occurrence counting
    # changes no count (their keys match nothing held). A new statement is mostly such days.
    held_days = {key.date for key in held}
    duplicate = [False] * len(rows)
    maybe = [i for i, day in enumerate(dates) if day in held_days]
    keys = (dedupe_key(rows[i], default_account=account) for i in maybe)
    for i, is_duplicate in zip(maybe, mark_duplicates(keys, held), strict=True):
        duplicate[i] = is_duplicate
    return Analysis(rows, duplicate, errors)
