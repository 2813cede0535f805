"""How the settings room answers, by whether htmx asked (`HX-Request`): htmx gets the
section's body (and its notice, in a live region that stays in the page, so a screen reader
announces it); a plain form gets a redirect after a write (POST → 303 → GET) or the whole
page with the form's errors (422). htmx does not swap 4xx answers, so its errors come as 200.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.responses import RedirectResponse
from starlette.responses import Response

from foyer.web.i18n import Words
from foyer.web.pages import base_context
from foyer.web.render import html, render
from foyer.web.session import keep_csrf
from foyer.web.settings_forms import Form
from foyer.web.settings_view import Budget, View, context

SECTIONS = ("config", "fixed", "provisions")
EVENTS = ("saved", "added", "deleted")
NO_STORE = {"Cache-Control": "no-store"}


async def posted(request: Request) -> dict[str, str]:
    """The posted form's text fields (the CSRF check has read the body already)."""
    form = await request.form()
    return {name: value for name, value in form.items() if isinstance(value, str)}


Posted = Annotated[dict[str, str], Depends(posted)]


def is_htmx(request: Request) -> bool:
    return request.headers.get("hx-request") == "true"


def page(w: Words, request: Request, budget: Budget, view: View, status: int = 200) -> Response:
    ctx = context(w, request, budget, view)
    response = html(render("settings.html", ctx), status=status, headers=NO_STORE)
    keep_csrf(request, response, ctx["csrf"])
    return response


def swap(
    w: Words,
    request: Request,
    budget: Budget,
    view: View,
    section: str,
    notice: str = "",
    extras: tuple[str, ...] = (),
) -> Response:
    """htmx: the section's body, its notice, and `extras` sections' bodies out of band."""
    ctx = context(w, request, budget, view)
    ctx.update(
        body=f"_settings_{section}.html",
        section=section,
        notice=notice,
        extras=[f"_settings_{extra}.html" for extra in extras],
    )
    return html(render("_settings_swap.html", ctx), headers=NO_STORE)


def row(
    w: Words, request: Request, budget: Budget, section: str, item_id: int, form: Form | None
) -> Response:
    """htmx: one row as shown (`form` None) or as its edit form."""
    ctx = context(w, request, budget, View())
    [item] = [r for r in ctx["sections"][section].rows if r.id == item_id]
    ctx.update(item=item, form=form)
    template = f"_settings_{section}_{'row' if form is None else 'edit'}.html"
    return html(render(template, ctx), headers=NO_STORE)


def done(
    w: Words,
    request: Request,
    budget: Budget,
    view: View,
    section: str,
    event: str,
    notice: str,
    extras: tuple[str, ...] = (),
) -> Response:
    """After a write: htmx gets the fresh section and `notice`; a plain form a redirect
    (POST → 303 → GET) to the page, which says the `event`."""
    if is_htmx(request):
        return swap(w, request, budget, view, section, notice, extras)
    return RedirectResponse(f"/settings?done={section}.{event}#{section}", status_code=303)


def invalid(w: Words, request: Request, budget: Budget, view: View, section: str) -> Response:
    """A form with errors: nothing was written."""
    if is_htmx(request):
        return swap(w, request, budget, view, section)
    return page(w, request, budget, view, status=422)


def not_found(w: Words, request: Request) -> Response:
    message = w.t("error.not_found")
    body = render("_error.html", base_context(w, request, message=message))
    return html(body, status=404, headers=NO_STORE)


def notices(w: Words, done: str | None) -> dict[str, str]:
    """`?done=<section>.<event>` (after a plain form's redirect) as that section's notice."""
    section, _, event = (done or "").partition(".")
    if section in SECTIONS and event in EVENTS:
        return {section: w.t(f"settings.done.{event}")}
    return {}
