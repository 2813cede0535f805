"""Bank import writes (SPEC §8): the preview row, the user's fixes, the commit, the undo.

An import keeps its file's bytes from upload to commit, so the commit parses exactly what
was previewed. The commit inserts every new row through `transactions.insert_rows` and the
undo removes them through `transactions.delete_import_rows`: aggregates and data stamps
stay exact. Everything runs in the caller's unit of work; nothing here commits.
"""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass

from sqlalchemy import Connection, select

from foyer.db.schema import bank_import
from foyer.domain.categorisation import Categorised, Matcher, categorise
from foyer.imports import (
    ColumnMapping,
    Detection,
    Dialect,
    detect,
    with_overrides,
)
from foyer.imports.encoding import HEAD_BYTES
from foyer.months import month_of
from foyer.read.imports import (
    Analysis,
    ParsedFile,
    analyze,
    detection_json,
    get_import,
)
from foyer.read.rules import list_rules
from foyer.services import import_mappings, transactions

UNCATEGORIZED = "uncategorized"


class ImportStateError(ValueError):
    """The import's status does not allow this (e.g. a PATCH after its commit)."""


@dataclass(frozen=True, slots=True)
class CommitResult:
    """The commit job's result (SPEC §8)."""

    rows: int
    inserted: int
    duplicates: int
    errors: int


@dataclass(frozen=True, slots=True)
class Staged:
    """A preview as just stored: its id, the detection in force, the file parsed with it
    (what the preview shows, so nothing is parsed or read back twice)."""

    import_id: int
    detection: Detection
    analysis: Analysis


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _counts(analysis: Analysis) -> dict[str, int]:
    return {
        "row_count": len(analysis.rows),
        "duplicate_count": analysis.duplicates,
        "error_count": len(analysis.errors),
    }


def create_import(
    conn: Connection, *, household_id: int, file_name: str, content: bytes, account: str
) -> Staged:
    """Detect the file (the household's saved mapping for its header first) and store it
    as a preview. Raises NotABankExport."""
    detection = import_mappings.with_saved(
        conn, household_id, content, detection=detect(io.BytesIO(content))
    )
    analysis = analyze(
        conn, household_id=household_id, content=content, detection=detection, account=account
    )
    result = conn.execute(
        bank_import.insert()
        .values(
            household_id=household_id,
            file_name=file_name[:255],
            format=detection.format,
            encoding=detection.encoding,
            account=account,
            status="preview",
            detection=detection_json(detection),
            inserted_count=0,
            content=content,
            created_at=_now(),
            **_counts(analysis),
        )
        .returning(bank_import.c.id)
    )
    return Staged(int(result.scalar_one()), detection, analysis)


def update_import(
    conn: Connection,
    *,
    household_id: int,
    import_id: int,
    dialect: Dialect | None,
    mapping: ColumnMapping | None,
) -> Staged | None:
    """Apply the user's dialect and/or mapping to a preview, and save them for the file's
    header; None when not found.

    A new delimiter finds the header and columns again (`detect` with it); MappingError
    when the fix does not fit the file, ImportStateError once committed or undone.
    """
    record = get_import(conn, household_id=household_id, import_id=import_id)
    if record is None:
        return None
    if record.status != "preview":
        raise ImportStateError(f"the import is {record.status}: only a preview can change")
    detection = import_mappings.redetected(record.content, record.detection, dialect)
    detection = with_overrides(detection, dialect=dialect, mapping=mapping)
    analysis = analyze(
        conn,
        household_id=household_id,
        content=record.content,
        detection=detection,
        account=record.account,
    )
    conn.execute(
        bank_import.update()
        .where(bank_import.c.id == import_id)
        .values(detection=detection_json(detection), **_counts(analysis))
    )
    if dialect is not None or mapping is not None:
        import_mappings.save_mapping(
            conn, household_id=household_id, head=record.content[:HEAD_BYTES], detection=detection
        )
    return Staged(import_id, detection, analysis)


def commit_import(
    conn: Connection, *, household_id: int, import_id: int, parsed: ParsedFile | None = None
) -> CommitResult | None:
    """Insert the import's new rows, all or none; None when not found.

    The import row is locked first, so two commits of one import run one after the other,
    and the second (or a retry of the job) finds it committed and inserts nothing.
    `parsed` is the file parsed before this transaction began (the job does it, so the
    write lock is not held while parsing); it is used only if it was parsed with the
    detection in force now (a PATCH in between makes the commit parse again).
    """
    locked = conn.execute(
        select(bank_import.c.status)
        .where(bank_import.c.household_id == household_id, bank_import.c.id == import_id)
        .with_for_update()
    ).one_or_none()
    # The file's bytes are read again only when the parse handed in does not fit (a
    # PATCH in between): reading 5-20 MiB twice per commit cost PostgreSQL imports ~5 %.
    record = get_import(
        conn, household_id=household_id, import_id=import_id, with_content=parsed is None
    )
    if locked is None or record is None:
        return None
    if record.status == "committed":
        return CommitResult(record.rows, 0, record.rows, record.errors)
    if record.status != "preview":
        raise ImportStateError(f"the import is {record.status}: upload the file again")
    if parsed is not None and parsed.detection != record.detection:
        record = get_import(conn, household_id=household_id, import_id=import_id)
        assert record is not None  # locked above
        parsed = None
    analysis = analyze(
        conn,
        household_id=household_id,
        content=record.content,
        detection=record.detection,
        account=record.account,
        parsed=parsed,
    )
    now = _now()
    matcher = Matcher(stored.rule for stored in list_rules(conn, household_id=household_id))
    new, tags = _new_rows(analysis, record.account, str(import_id), now, matcher)
    transactions.insert_rows(conn, household_id=household_id, rows=new, tags=tags)
    # Committing is confirming: the next file with this header is read the same way.
    import_mappings.save_mapping(
        conn,
        household_id=household_id,
        head=record.content[:HEAD_BYTES] if parsed is None else parsed.head,
        detection=record.detection,
    )
    conn.execute(
        bank_import.update()
        .where(bank_import.c.id == import_id)
        .values(
            status="committed",
            committed_at=now,
            inserted_count=len(new),
            content=b"",  # never parsed again: a committed import only counts or undoes
            **_counts(analysis),
        )
    )
    return CommitResult(len(analysis.rows), len(new), analysis.duplicates, len(analysis.errors))


def _new_rows(
    analysis: Analysis, account: str, import_id: str, now: dt.datetime, matcher: Matcher
) -> tuple[list[transactions.NewRow], list[tuple[str, ...]]]:
    """The file's new rows (duplicates left out) as inserted: each categorised by the
    household's winning rule, if any (`uncategorized`/`VARIABLE` otherwise; a file's own
    category column sets `category`)."""
    rows: list[transactions.NewRow] = []
    tags: list[tuple[str, ...]] = []
    # Built once per category and per day, not per row: a 100,000-row file has a handful
    # of each, and building them per row cost a tenth of its insert's time.
    starts: dict[str | None, Categorised] = {}
    months: dict[dt.date, str] = {}
    for row, duplicate in zip(analysis.rows, analysis.duplicate, strict=True):
        if duplicate:
            continue
        label = row.label[:500]
        row_account = row.account or account
        start = starts.get(row.category)
        if start is None:
            start = starts[row.category] = Categorised(
                (row.category or UNCATEGORIZED)[:100], UNCATEGORIZED, "VARIABLE", False, ()
            )
        month = months.get(row.date)
        if month is None:
            month = months[row.date] = month_of(row.date)
        # Without rules (the common bulk case) no row pays for matching.
        done = (
            categorise(start, matcher.first(label, row.amount_cents, row_account))
            if matcher
            else start
        )
        rows.append(
            transactions.NewRow(
                row.date,
                month,
                label,
                row.amount_cents,
                done.category,
                done.category_parent,
                row_account,
                done.exclude,
                done.expense_type,
                import_id,
                now,
            )
        )
        tags.append(done.tags)
    return rows, tags


def undo_import(conn: Connection, *, household_id: int, import_id: int) -> bool:
    """Remove the import's rows (aggregates exact) and mark it undone; False when not found.

    Undoing a preview or an undone import removes nothing and leaves it undone.
    """
    record = get_import(conn, household_id=household_id, import_id=import_id)
    if record is None:
        return False
    transactions.delete_import_rows(conn, household_id=household_id, import_id=str(import_id))
    conn.execute(
        bank_import.update()
        .where(bank_import.c.id == import_id)
        .values(status="undone", content=b"")
    )
    return True


def purge_previews(conn: Connection, *, before: dt.datetime) -> int:
    """Delete the previews uploaded before `before` and never committed (their files with
    them); how many. The daily housekeeping task calls it for every household."""
    return int(
        conn.execute(
            bank_import.delete().where(
                bank_import.c.status == "preview", bank_import.c.created_at < before
            )
        ).rowcount
    )
