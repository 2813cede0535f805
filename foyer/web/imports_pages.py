"""The Imports room (SPEC §11): upload a bank file, its preview (the reading detected, the
mapping and dialect to fix, the first rows with duplicates marked, the lines that failed),
the commit as a job with its progress, the history with undo; and (rules_pages) the rules.

The same services as /api/v1/imports, called directly, scoped to the session's household
(another household's import is a 404). Every form is a plain POST answered by a redirect
(or the page again, with its error, when it did not work); htmx polls a job's progress.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Form, Request, UploadFile
from starlette.responses import Response

from foyer.api.deps import State
from foyer.imports import MappingError, NotABankExport
from foyer.jobs import QueueUnavailableError
from foyer.read.imports import analyze, get_import, list_imports
from foyer.services import imports
from foyer.services.quota import QuotaExceededError, import_commit_rows
from foyer.web import imports_jobs, rules_pages
from foyer.web.i18n import Words
from foyer.web.imports_forms import FixForm, FormProblem
from foyer.web.imports_preview import preview_context
from foyer.web.imports_shared import not_found, notice, page, problem, see_other, valid_month
from foyer.web.pages import Lang_
from foyer.web.session import Csrf, WebClaims

router = APIRouter(prefix="/imports", include_in_schema=False)
#: The upload's path: the body-size middleware lets it through up to the import limit
#: (foyer.app), as it does the API's.
UPLOAD_PATH = "/imports"
MAX_ACCOUNT = 100
#: The history's length on the page.
HISTORY = 20
NOTICES = {"undone": "imports.done_undone", "reparsed": "imports.done_reparsed"}


def size_words(w: Words, limit: int) -> str:
    """The upload limit as people say it (20 MiB; KiB for the tests' small limits)."""
    if limit >= 1 << 20:
        return w.t("imports.size_mib", size=f"{limit / (1 << 20):g}")
    return w.t("imports.size_kib", size=f"{limit / 1024:g}")


def _front(
    request: Request,
    state: State,
    household_id: int,
    w: Words,
    *,
    status: int = 200,
    error: str | None = None,
    done: str | None = None,
    account: str = "joint",
) -> Response:
    """The upload form and the history."""
    with state.database.read() as conn:
        history = list_imports(conn, household_id=household_id, limit=HISTORY)
    return page(
        request,
        w,
        "imports.html",
        status=status,
        history=history,
        error=error,
        notice=notice(w, done, NOTICES),
        account=account,
        limit=size_words(w, state.settings.import_max_bytes),
        limit_bytes=state.settings.import_max_bytes,
        tab="files",
    )


@router.get("")
def imports_page(
    request: Request, state: State, claims: WebClaims, w: Lang_, done: str | None = None
) -> Response:
    return _front(request, state, claims.household_id, w, done=done)


@router.post("", dependencies=[Csrf])
def upload(
    request: Request,
    state: State,
    claims: WebClaims,
    w: Lang_,
    file: Annotated[UploadFile | None, File()] = None,
    account: Annotated[str, Form()] = "joint",
) -> Response:
    """Store the file as a preview (nothing inserted yet), then show it."""
    account = account.strip() or "joint"

    def again(status: int, error: str) -> Response:
        return _front(
            request, state, claims.household_id, w, status=status, error=error, account=account
        )

    if len(account) > MAX_ACCOUNT:
        return again(422, w.t("imports.error_account", size=MAX_ACCOUNT))
    limit = state.settings.import_max_bytes
    content = b"" if file is None else file.file.read(limit + 1)
    if not content and (file is None or not file.filename):
        return again(422, w.t("imports.error_no_file"))
    if len(content) > limit:
        return again(413, w.t("imports.error_too_large", limit=size_words(w, limit)))
    try:
        with state.database.unit_of_work() as conn:
            staged = imports.create_import(
                conn,
                household_id=claims.household_id,
                file_name=(file.filename if file is not None else None) or "upload",
                content=content,
                account=account,
            )
    except NotABankExport as exc:
        return again(422, w.t("imports.error_not_bank", reason=exc.reason))
    return see_other(f"/imports/{staged.import_id}")


def _preview(
    request: Request,
    state: State,
    household_id: int,
    w: Words,
    import_id: int,
    *,
    status: int = 200,
    error: str | None = None,
    done: str | None = None,
) -> Response:
    with state.database.read() as conn:
        record = get_import(conn, household_id=household_id, import_id=import_id)
        if record is None:
            return not_found(request, w)
        analysis = (
            analyze(
                conn,
                household_id=household_id,
                content=record.content,
                detection=record.detection,
                account=record.account,
            )
            if record.status == "preview"
            else None
        )
    context = preview_context(w, record, analysis)
    notice_text = notice(w, done, NOTICES)
    return page(
        request,
        w,
        "imports_preview.html",
        status=status,
        error=error,
        notice=notice_text,
        **context,
    )


@router.get("/{import_id:int}")
def preview_page(
    request: Request,
    state: State,
    claims: WebClaims,
    w: Lang_,
    import_id: int,
    done: str | None = None,
) -> Response:
    return _preview(request, state, claims.household_id, w, import_id, done=done)


@router.post("/{import_id:int}", dependencies=[Csrf])
def fix_preview(
    request: Request,
    state: State,
    claims: WebClaims,
    w: Lang_,
    import_id: int,
    fix: Annotated[FixForm, Form()],
) -> Response:
    """Read the file again with the mapping and dialect chosen (the API's PATCH)."""
    household = claims.household_id
    try:
        with state.database.unit_of_work() as conn:
            staged = imports.update_import(
                conn,
                household_id=household,
                import_id=import_id,
                dialect=fix.dialect(),
                mapping=fix.mapping(),
            )
    except FormProblem as exc:
        error = w.t(exc.key, **exc.values)
    except MappingError as exc:
        error = w.t("imports.error_mapping", message=str(exc))
    except NotABankExport as exc:  # the new delimiter finds no header
        error = w.t("imports.error_not_bank", reason=exc.reason)
    except imports.ImportStateError:
        return problem(request, w, 409, w.t("imports.error_not_preview"))
    else:
        if staged is None:
            return not_found(request, w)
        return see_other(f"/imports/{import_id}?done=reparsed")
    return _preview(request, state, household, w, import_id, status=422, error=error)


@router.post("/{import_id:int}/commit", dependencies=[Csrf])
def commit(
    request: Request,
    state: State,
    claims: WebClaims,
    w: Lang_,
    import_id: int,
    month: Annotated[str, Form()] = "",
) -> Response:
    """Insert the new rows, as a job: its progress page (`month`: where they land)."""
    with state.database.read() as conn:
        record = get_import(conn, household_id=claims.household_id, import_id=import_id)
    if record is None:
        return not_found(request, w)
    if record.status == "undone":
        return problem(request, w, 409, w.t("imports.error_undone"))
    try:  # the API's commit route charges the same (foyer.services.quota)
        state.write_quota.charge(claims.household_id, import_commit_rows(record))
    except QuotaExceededError as exc:
        refused = problem(request, w, 429, w.t("imports.error_quota", seconds=exc.retry_after))
        refused.headers["Retry-After"] = str(exc.retry_after)
        return refused
    try:
        job_id = state.jobs.enqueue(
            "commit_import", household_id=claims.household_id, payload={"import_id": import_id}
        )
    except QueueUnavailableError:
        return problem(request, w, 503, w.t("imports.error_queue"))
    shown = valid_month(month)
    return see_other(f"/imports/jobs/{job_id}" + (f"?month={shown}" if shown else ""))


@router.post("/{import_id:int}/undo", dependencies=[Csrf])
def undo(request: Request, state: State, claims: WebClaims, w: Lang_, import_id: int) -> Response:
    """Remove the import's rows (a preview: forget it); the import stays, `undone`."""
    with state.database.unit_of_work() as conn:
        found = imports.undo_import(conn, household_id=claims.household_id, import_id=import_id)
    if not found:
        return not_found(request, w)
    return see_other("/imports?done=undone")


# /imports/jobs/… and /imports/rules/… (their routers' prefixes are relative to this one).
router.include_router(imports_jobs.router)
router.include_router(rules_pages.router)
