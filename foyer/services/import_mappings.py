"""Saved mappings (SPEC §8): a dialect and column mapping the household confirmed for a bank
file, kept under the file's header signature (`foyer.imports.header_signature`) and
proposed first for the next file with that header. Runs in the caller's unit of work.
"""

from __future__ import annotations

import datetime as dt
import io

from sqlalchemy import Connection

from foyer.db.schema import import_mapping
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
from foyer.read.imports import detection_json, saved_mapping


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def redetected(content: bytes, detection: Detection, dialect: Dialect | None) -> Detection:
    """A new delimiter finds the header and columns again (`detect` with it)."""
    if (
        dialect is not None
        and detection.format == "csv"
        and detection.dialect is not None
        and dialect.delimiter != detection.dialect.delimiter
    ):
        return detect(io.BytesIO(content), delimiter=dialect.delimiter)
    return detection


def with_saved(
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
        fixed = redetected(content, detection, dialect)
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


def save_mapping(conn: Connection, *, household_id: int, head: bytes, detection: Detection) -> None:
    """Keep the dialect and mapping in force for the file's header (as detection without
    help reads it: that is what the next upload of the same kind computes). `head`: the
    file's first bytes (detection reads no further: foyer.imports.encoding.HEAD_BYTES)."""
    signature = header_signature(detect(io.BytesIO(head)))
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
