"""The settings room (SPEC §11: "manage fixed lines and provisions, edit the
configuration"): one page at /settings, its configuration form here, fixed lines and
provisions in `settings_items`. Forms post plainly (303 after a write, 422 with the errors)
and htmx enhances them in place (`settings_render`); the checks are the API's schemas
(`settings_forms`); what the page shows is shaped in `settings_view`.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from foyer.api.budget_shapes import config_changes
from foyer.api.deps import State
from foyer.services import budget
from foyer.web.pages import Lang_
from foyer.web.session import Csrf, WebClaims
from foyer.web.settings_forms import CONFIG, check
from foyer.web.settings_items import KINDS, install
from foyer.web.settings_render import Posted, done, invalid, notices, page
from foyer.web.settings_view import View, load

router = APIRouter(include_in_schema=False)


@router.get("/settings")
def settings_page(
    request: Request,
    state: State,
    claims: WebClaims,
    w: Lang_,
    after: Annotated[str | None, Query(alias="done", max_length=40)] = None,
) -> Response:
    """The page; `?done=<section>.<event>` after a plain form's write says what was done."""
    with state.database.read() as conn:
        stored = load(conn, claims.household_id)
    return page(w, request, stored, View(notices=notices(w, after)))


@router.post("/settings/config", dependencies=[Csrf])
def update_config(
    request: Request, state: State, claims: WebClaims, w: Lang_, form: Posted
) -> Response:
    """The whole configuration, checked as `PUT /api/v1/config` checks it."""
    household = claims.household_id
    body, sent = check(w, CONFIG, form, prefix="config")
    if body is None:
        with state.database.read() as conn:
            stored = load(conn, household)
        return invalid(w, request, stored, View(config=sent), "config")
    with state.database.unit_of_work() as conn:
        budget.update_config(conn, household_id=household, changes=config_changes(body))
        stored = load(conn, household)
    # The names are in every row's split and the incomes make provisions' amounts: the
    # item sections come along out of band.
    notice = w.t("settings.notice.config")
    extras = ("fixed", "provisions")
    return done(w, request, stored, View(), "config", "saved", notice, extras)


for kind in KINDS:
    install(router, kind)
