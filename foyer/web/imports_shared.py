"""What the Imports room's pages share (imports, rules, jobs): a page answered whole, an error
answered as a page or, to htmx, as a fragment, the redirect after a form, notices, months."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from fastapi import Request
from fastapi.responses import RedirectResponse
from starlette.responses import Response

from foyer.months import parse_month
from foyer.web.i18n import Words
from foyer.web.pages import base_context
from foyer.web.render import html, render
from foyer.web.session import csrf_token_for, keep_csrf

NO_STORE = {"Cache-Control": "no-store"}
_MONTH = re.compile(r"\d{4}-\d{2}", re.ASCII)


def page(
    request: Request, w: Words, template: str, *, status: int = 200, **context: Any
) -> Response:
    """A page of the room. Never cached (a household's own lists, changing with every form),
    so its forms carry the browser's CSRF token themselves and post without the script."""
    csrf = csrf_token_for(request)
    body = render(template, base_context(w, request, csrf=csrf, **context))
    response = html(body, status=status, headers=NO_STORE)
    keep_csrf(request, response, csrf)
    return response


def from_htmx(request: Request) -> bool:
    return request.headers.get("hx-request") == "true"


def problem(request: Request, w: Words, status: int, message: str) -> Response:
    """An error the user can read where they are: a page (with its status) after a plain
    form, or a fragment for htmx, which swaps only 2xx answers into the page."""
    if from_htmx(request):
        return html(render("_error.html", {"message": message}), headers=NO_STORE)
    return page(request, w, "imports_error.html", status=status, message=message, tab=None)


def not_found(request: Request, w: Words) -> Response:
    return problem(request, w, 404, w.t("error.not_found"))


def see_other(url: str) -> Response:
    """The answer to a form that worked: the browser loads `url` (POST, then redirect)."""
    return RedirectResponse(url, status_code=303)


def notice(w: Words, done: str | None, notices: Mapping[str, str]) -> str | None:
    """The words for what a redirect said was done (`?done=`), if it is one we know."""
    key = notices.get(done or "")
    return None if key is None else w.t(key)


def valid_month(value: str | None) -> str | None:
    """A YYYY-MM month (ASCII digits), else None."""
    if not value or not _MONTH.fullmatch(value):
        return None
    try:
        parse_month(value)
    except ValueError:
        return None
    return value
