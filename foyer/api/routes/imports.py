"""/imports (SPEC §8): upload a bank file for a preview, fix its reading, commit it as a
job, list the history, undo. Household-scoped: another household's import is a 404."""

from __future__ import annotations

import dataclasses
from typing import Annotated

from fastapi import APIRouter, File, Form, Response, UploadFile

from foyer.api import API_PREFIX
from foyer.api.deps import Claims, State
from foyer.api.errors import ApiError, not_found
from foyer.api.params import Recent, RowId
from foyer.imports import ColumnMapping, Dialect, MappingError, NotABankExport
from foyer.jobs import QueueUnavailableError
from foyer.money import to_money
from foyer.read.imports import get_import, list_imports
from foyer.schemas.imports import (
    DialectRead,
    ImportCounts,
    ImportPage,
    ImportPreview,
    ImportRead,
    ImportUpdate,
    LineErrorRead,
    PreviewRow,
)
from foyer.schemas.jobs import JobStarted
from foyer.services import imports
from foyer.services.quota import import_commit_rows

router = APIRouter(prefix="/imports", tags=["imports"])

#: The upload route, whose bodies may exceed FOYER_MAX_BODY_BYTES (foyer.app wires it).
IMPORTS_PATH = f"{API_PREFIX}/imports"
#: What a multipart body adds to its file (boundaries, part headers, the `account` field).
MULTIPART_SLACK_BYTES = 64 * 1024
PREVIEW_ROWS = 50
PREVIEW_ERRORS = 100


def _preview(staged: imports.Staged) -> ImportPreview:
    """The preview of a file just stored or re-parsed (its status is `preview`)."""
    detection, analysis = staged.detection, staged.analysis
    rows = [
        PreviewRow(
            line=row.line,
            date=row.date,
            label=row.label,
            amount=to_money(row.amount_cents),
            duplicate=duplicate,
            category=row.category,
        )
        for row, duplicate in zip(
            analysis.rows[:PREVIEW_ROWS], analysis.duplicate[:PREVIEW_ROWS], strict=True
        )
    ]
    dialect = detection.dialect
    return ImportPreview(
        id=staged.import_id,
        status="preview",
        format=detection.format,
        encoding=detection.encoding,
        dialect=None if dialect is None else DialectRead(**dataclasses.asdict(dialect)),
        columns=list(detection.columns),
        mapping=None if detection.mapping is None else detection.mapping.as_dict(),
        counts=ImportCounts(
            rows=len(analysis.rows), duplicates=analysis.duplicates, errors=len(analysis.errors)
        ),
        rows=rows,
        errors=[LineErrorRead(line=e.line, message=e.message) for e in analysis.errors][
            :PREVIEW_ERRORS
        ],
    )


@router.post("", response_model=ImportPreview, status_code=201, responses={413: {}, 422: {}})
def create_import(
    state: State,
    claims: Claims,
    file: Annotated[UploadFile, File(description="A CSV, OFX/QFX or QIF bank export.")],
    account: Annotated[str, Form(min_length=1, max_length=100)] = "joint",
) -> ImportPreview:
    """Upload a bank file: a preview of its rows, nothing inserted yet."""
    limit = state.settings.import_max_bytes
    content = file.file.read(limit + 1)
    if len(content) > limit:
        raise ApiError(413, f"bank file larger than {limit} bytes")
    try:
        with state.database.unit_of_work() as conn:
            staged = imports.create_import(
                conn,
                household_id=claims.household_id,
                file_name=file.filename or "upload",
                content=content,
                account=account.strip() or "joint",
            )
    except NotABankExport as exc:
        raise ApiError(422, exc.reason, code="not_a_bank_export") from exc
    return _preview(staged)


@router.patch("/{import_id}", response_model=ImportPreview, responses={404: {}, 409: {}})
def update_import(
    state: State, claims: Claims, import_id: RowId, body: ImportUpdate
) -> ImportPreview:
    """Fix the mapping and/or the dialect: the preview again, re-parsed."""
    try:
        dialect = None if body.dialect is None else Dialect(**body.dialect.model_dump())
        mapping = (
            None
            if body.mapping is None
            else ColumnMapping(**body.mapping.model_dump(exclude_none=True))
        )
        with state.database.unit_of_work() as conn:
            staged = imports.update_import(
                conn,
                household_id=claims.household_id,
                import_id=import_id,
                dialect=dialect,
                mapping=mapping,
            )
    except MappingError as exc:
        raise ApiError(422, str(exc)) from exc
    except NotABankExport as exc:  # the new delimiter finds no header
        raise ApiError(422, exc.reason, code="not_a_bank_export") from exc
    except imports.ImportStateError as exc:
        raise ApiError(409, str(exc)) from exc
    if staged is None:
        raise not_found("import")
    return _preview(staged)


@router.post(
    "/{import_id}/commit",
    response_model=JobStarted,
    status_code=202,
    responses={404: {}, 409: {}, 429: {}, 503: {}},
)
def commit_import(state: State, claims: Claims, import_id: RowId) -> JobStarted:
    """Insert the import's new rows, as a job (`GET /jobs/{job_id}` for its result)."""
    with state.database.read() as conn:
        record = get_import(conn, household_id=claims.household_id, import_id=import_id)
    if record is None:
        raise not_found("import")
    if record.status == "undone":
        raise ApiError(409, "the import was undone: upload the file again")
    state.write_quota.charge(claims.household_id, import_commit_rows(record))
    try:
        job_id = state.jobs.enqueue(
            "commit_import", household_id=claims.household_id, payload={"import_id": import_id}
        )
    except QueueUnavailableError as exc:
        raise ApiError(503, "job queue unavailable") from exc
    return JobStarted(job_id=job_id)


@router.get("", response_model=ImportPage)
def list_household_imports(
    state: State,
    claims: Claims,
    limit: Recent = 20,
) -> ImportPage:
    """The household's imports, newest first: file name, status, counts, dates."""
    with state.database.read() as conn:
        records = list_imports(conn, household_id=claims.household_id, limit=limit)
    return ImportPage(
        items=[
            ImportRead(
                id=r.id,
                file_name=r.file_name,
                account=r.account,
                status=r.status,
                format=r.detection.format,
                counts=ImportCounts(rows=r.rows, duplicates=r.duplicates, errors=r.errors),
                inserted=r.inserted,
                created_at=r.created_at,
                committed_at=r.committed_at,
            )
            for r in records
        ]
    )


@router.delete("/{import_id}", status_code=204, responses={404: {}, 429: {}})
def delete_import(state: State, claims: Claims, import_id: RowId) -> Response:
    """Undo: remove the import's rows (aggregates exact); the import stays, `undone`."""
    # One write: an undone import cannot be committed again, so undoing cannot be
    # repeated to write more than the commit already charged.
    state.write_quota.charge(claims.household_id, 1)
    with state.database.unit_of_work() as conn:
        found = imports.undo_import(conn, household_id=claims.household_id, import_id=import_id)
    if not found:
        raise not_found("import")
    return Response(status_code=204)
