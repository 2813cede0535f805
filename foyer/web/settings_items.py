"""Fixed lines and provisions in the settings room: add, edit in place, delete.

Both are small household tables with the same life (`foyer.services.budget.SmallTable`), so
their routes are made once from a declaration (`Kind`): its API body checks the form
(`foyer.web.settings_forms`), the API's own conversion makes the service's input
(`foyer.api.budget_shapes`), and every write is one unit of work through the service, which
renews the household's budget data stamp — the dashboard's cached views are fresh at once.
An id of another household's item is a 404, as in the API, and nothing is written.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse
from pydantic import BaseModel
from sqlalchemy import Connection
from starlette.responses import Response

from foyer.api.budget_shapes import new_fixed_line, new_provision
from foyer.api.deps import State
from foyer.domain.model import FixedLine, Provision
from foyer.schemas.budget_items import FixedLineCreate, ProvisionCreate
from foyer.services.budget import NewFixedLine, NewProvision, SmallTable, fixed_lines, provisions
from foyer.web.i18n import Words
from foyer.web.pages import Lang_
from foyer.web.session import Csrf, WebClaims
from foyer.web.settings_forms import (
    FIXED_LINE,
    PROVISION,
    Fields,
    Form,
    check,
    fixed_line_values,
    provision_values,
)
from foyer.web.settings_render import Posted, done, invalid, is_htmx, not_found, page, row
from foyer.web.settings_view import Editing, Shown, View, load

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

Item = TypeVar("Item", bound="DataclassInstance")
New = TypeVar("New", bound="DataclassInstance")
Body = TypeVar("Body", bound=BaseModel)
BIGINT = 2**63


@dataclass(frozen=True, slots=True)
class Kind(Generic[Item, New, Body]):
    section: str  # the page's section: ids, templates `_settings_<section>*.html`
    path: str
    fields: Fields[Body]
    table: SmallTable[Item, New]
    new: Callable[[Body], New]  # the API's body -> the service's input
    values: Callable[[Item | None], dict[str, str]]  # a stored item in its form
    name: Callable[[Item], str]  # how a notice names it


def _label(line: FixedLine) -> str:
    return line.label


def _name(item: Provision) -> str:
    return item.name


FIXED: Kind[FixedLine, NewFixedLine, FixedLineCreate] = Kind(
    "fixed", "/settings/fixed-lines", FIXED_LINE, fixed_lines, new_fixed_line,
    fixed_line_values, _label,
)  # fmt: skip
PROVISIONS: Kind[Provision, NewProvision, ProvisionCreate] = Kind(
    "provisions", "/settings/provisions", PROVISION, provisions, new_provision,
    provision_values, _name,
)  # fmt: skip
KINDS: tuple[Kind[Any, Any, Any], ...] = (FIXED, PROVISIONS)


def _ours(item_id: int) -> bool:
    """Could be an id at all (BIGINT): a larger one is not found, never a database error."""
    return 0 < item_id < BIGINT


def _view(kind: Kind[Any, Any, Any], shown: Shown) -> View:
    return View(fixed=shown) if kind.section == "fixed" else View(provisions=shown)


def _get(kind: Kind[Any, Any, Any], conn: Connection, household: int, item_id: int) -> Any:
    """The household's stored item, or None (another household's id included)."""
    if not _ours(item_id):
        return None
    return kind.table.get(conn, household_id=household, item_id=item_id)


def _read(state: State, kind: Kind[Any, Any, Any], household: int, item_id: int) -> Any:
    """(the stored item or None, the household's budget), in one read."""
    with state.database.read() as conn:
        return _get(kind, conn, household, item_id), load(conn, household)


def _show(
    kind: Kind[Any, Any, Any],
    request: Request,
    state: State,
    household: int,
    w: Words,
    item_id: int,
    *,
    editing: bool,
) -> Response:
    """htmx: the row, as shown or as its edit form; a browser: the page with the form."""
    stored, budget = _read(state, kind, household, item_id)
    if stored is None:
        return not_found(w, request)
    form = Form(f"{kind.section}-{item_id}", kind.values(stored)) if editing else None
    if is_htmx(request):
        return row(w, request, budget, kind.section, item_id, form)
    assert form is not None
    return page(w, request, budget, _view(kind, Shown(editing=Editing(item_id, form))))


def install(router: APIRouter, kind: Kind[Any, Any, Any]) -> None:
    """The routes of one kind: POST add; GET a row (or its edit form); POST save; POST
    delete. Every page needs the session, every write the CSRF token."""
    section = kind.section

    @router.post(kind.path, dependencies=[Csrf])
    def create_item(
        request: Request, state: State, claims: WebClaims, w: Lang_, form: Posted
    ) -> Response:
        household = claims.household_id
        body, sent = check(w, kind.fields, form, prefix=f"{section}-new")
        if body is None:
            _nothing, budget = _read(state, kind, household, 0)
            return invalid(w, request, budget, _view(kind, Shown(add=sent)), section)
        with state.database.unit_of_work() as conn:
            created = kind.table.create(conn, household_id=household, item=kind.new(body))
            budget = load(conn, household)
        # htmx: the add form stays open for the next one (htmx keeps the focus on its
        # button, which has the same id in the new body).
        view = _view(kind, Shown(open=True))
        notice = w.t("settings.notice.added", name=kind.name(created))
        return done(w, request, budget, view, section, "added", notice)

    @router.get(kind.path + "/{item_id:int}")
    def get_item(
        request: Request, state: State, claims: WebClaims, w: Lang_, item_id: int
    ) -> Response:
        """htmx: the row as shown (an edit cancelled); a browser: the page at the row."""
        if not is_htmx(request):
            return RedirectResponse(f"/settings#{section}-{item_id}", status_code=303)
        return _show(kind, request, state, claims.household_id, w, item_id, editing=False)

    @router.get(kind.path + "/{item_id:int}/edit")
    def edit_item(
        request: Request, state: State, claims: WebClaims, w: Lang_, item_id: int
    ) -> Response:
        return _show(kind, request, state, claims.household_id, w, item_id, editing=True)

    @router.post(kind.path + "/{item_id:int}", dependencies=[Csrf])
    def update_item(
        request: Request, state: State, claims: WebClaims, w: Lang_, item_id: int, form: Posted
    ) -> Response:
        household = claims.household_id
        body, sent = check(w, kind.fields, form, prefix=f"{section}-{item_id}")
        if body is None:
            stored, budget = _read(state, kind, household, item_id)
            if stored is None:
                return not_found(w, request)
            view = _view(kind, Shown(editing=Editing(item_id, sent)))
            return invalid(w, request, budget, view, section)
        with state.database.unit_of_work() as conn:
            updated = _ours(item_id) and kind.table.replace(
                conn, household_id=household, item_id=item_id, item=kind.new(body)
            )
            budget = load(conn, household)
        if not updated:
            return not_found(w, request)
        view = _view(kind, Shown(focus=f"row-{item_id}"))
        notice = w.t("settings.notice.saved", name=kind.name(updated))
        return done(w, request, budget, view, section, "saved", notice)

    @router.post(kind.path + "/{item_id:int}/delete", dependencies=[Csrf])
    def delete_item(
        request: Request, state: State, claims: WebClaims, w: Lang_, item_id: int
    ) -> Response:
        household = claims.household_id
        with state.database.unit_of_work() as conn:
            stored = _get(kind, conn, household, item_id)
            if stored is not None:
                kind.table.delete(conn, household_id=household, item_id=item_id)
            budget = load(conn, household)
        if stored is None:
            return not_found(w, request)
        view = _view(kind, Shown(focus="add"))
        notice = w.t("settings.notice.deleted", name=kind.name(stored))
        return done(w, request, budget, view, section, "deleted", notice)
