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

from foyer.db.schema import bank_import, import_mapping
from foyer.imports import (
    ColumnMapping,
    Detection,
    Dialect,
    MappingError,
    NotABankExport,
    detect,
    header_signature,
    with_overrides,
)
from foyer.months import month_of
from foyer.read.imports import Analysis, analyze, detection_json, get_import, saved_mapping
from foyer.services import transactions

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


def _redetected(content: bytes, detection: Detection, dialect: Dialect | None) -> Detection:
    """A new delimiter finds the header and columns again (`detect` with it)."""
    if (
        dialect is not None
        and detection.format == "csv"
        and detection.dialect is not None
        and dialect.delimiter != detection.dialect.delimiter
    ):
        return detect(io.BytesIO(content), delimiter=dialect.delimiter)
    return detection


def _with_saved(
    conn: Connection, household_id: int, content: bytes, detection: Detection
) -> Detection:
    """The detection with the mapping the household saved for this header, if any, and
    if it still fits the file (a bank that renamed a column has to be mapped again)."""
    signature = header_signature(detection)
    saved = (
        None
        if signature is None
        else saved_mapping(conn, household_id=household_id, signature=signature)
    )
    if saved is None:
        return detection
    dialect, mapping = saved
    try:
        fixed = _redetected(content, detection, dialect)
        if mapping is not None:
            # The signature folds case and spaces: name the columns as this file does.
            named = {column.strip().casefold(): column for column in fixed.columns}
            mapping = ColumnMapping(
                **{
                    field: named.get(column.strip().casefold(), column)
                    for field, column in mapping.as_dict().items()
                }
            )
        return with_overrides(fixed, dialect=dialect, mapping=mapping)
    except (MappingError, NotABankExport):
        return detection


def save_mapping(
    conn: Connection, *, household_id: int, content: bytes, detection: Detection
) -> None:
    """Keep the dialect and mapping in force for the file's header (as detection without
    help reads it: that is what the next upload of the same kind computes)."""
    signature = header_signature(detect(io.BytesIO(content)))
    if signature is None:
        return
    key = {"household_id": household_id, "signature": signature}
    values = {"detection": detection_json(detection), "updated_at": _now()}
    # Delete then insert: one portable upsert for SQLite and PostgreSQL, inside the
    # caller's transaction (the key is the primary key, so no duplicate can slip in).
    conn.execute(
        import_mapping.delete().where(
            import_mapping.c.household_id == household_id,
            import_mapping.c.signature == signature,
        )
    )
    conn.execute(import_mapping.insert().values(**key, **values))


def create_import(
    conn: Connection, *, household_id: int, file_name: str, content: bytes, account: str
) -> Staged:
    """Detect the file (the household's saved mapping for its header first) and store it
    as a preview. Raises NotABankExport."""
    detection = _with_saved(conn, household_id, content, detection=detect(io.BytesIO(content)))
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
    detection = _redetected(record.content, record.detection, dialect)
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
        save_mapping(conn, household_id=household_id, content=record.content, detection=detection)
    return Staged(import_id, detection, analysis)


def commit_import(conn: Connection, *, household_id: int, import_id: int) -> CommitResult | None:
    """Insert the import's new rows, all or none; None when not found.

    The import row is locked first, so two commits of one import run one after the other,
    and the second (or a retry of the job) finds it committed and inserts nothing.
    """
    locked = conn.execute(
        select(bank_import.c.status)
        .where(bank_import.c.household_id == household_id, bank_import.c.id == import_id)
        .with_for_update()
    ).one_or_none()
    record = get_import(conn, household_id=household_id, import_id=import_id)
    if locked is None or record is None:
        return None
    if record.status == "committed":
        return CommitResult(record.rows, 0, record.rows, record.errors)
    if record.status != "preview":
        raise ImportStateError(f"the import is {record.status}: upload the file again")
    analysis = analyze(
        conn,
        household_id=household_id,
        content=record.content,
        detection=record.detection,
        account=record.account,
    )
    now = _now()
    new = [
        transactions.NewRow(
            row.date,
            month_of(row.date),
            row.label[:500],
            row.amount_cents,
            (row.category or UNCATEGORIZED)[:100],
            UNCATEGORIZED,
            row.account or record.account,
            False,
            "VARIABLE",
            str(import_id),
            now,
        )
        for row, duplicate in zip(analysis.rows, analysis.duplicate, strict=True)
        if not duplicate
    ]
    transactions.insert_rows(conn, household_id=household_id, rows=new, tags=[()] * len(new))
    # Committing is confirming: the next file with this header is read the same way.
    save_mapping(
        conn, household_id=household_id, content=record.content, detection=record.detection
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
