"""The web dashboard (SPEC §11): server-rendered pages over the same cached views as the API.

- `pages.py`: full pages (sign-in, the month's dashboard, trends), sign-out, language.
- `fragments.py`: the htmx partial updates (drill-down, "load more", inline edits).
- `session.py`: the session cookie and CSRF; `i18n.py` + `messages.py`: fr / en.
- `data.py`: views and whole pages cached under the views' keys; `render.py`: Jinja2 and
  versioned static files; `charts.py`, `views_html.py`: SVG charts, view JSON for templates.
- `templates/`, `static/` (htmx 2.0.11 vendored with its licence, the stylesheet, app.js).
"""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse
from starlette.responses import Response

from foyer.web import budgets_web, fragments, imports_pages, pages, settings
from foyer.web.i18n import LANG_COOKIE, LANGS, Words, negotiate
from foyer.web.render import STATIC, ImmutableStatic, html, precompile, render
from foyer.web.session import CsrfRefused, LoginRequired


def warm_up() -> None:
    """What a first page would otherwise do itself after a restart: compile every template
    and load Babel's locale data for both languages (each is read from disk on first use).
    Together they were most of the first dashboard's ~117 ms of CPU after a restart."""
    precompile()
    for lang in LANGS:
        words = Words(lang)
        words.money(-1234.5)
        words.money_whole(1000)
        words.ratio(0.5)
        words.month("2026-01")
        words.month_short("2026-01")
        words.date("2026-01-31")


def install_web(app: FastAPI) -> None:
    """Mount the pages, the fragments and /static on `app`, and answer a missing session
    (to /login) and a refused CSRF token (403) the way a browser needs."""
    for module in (pages, fragments, settings, imports_pages, budgets_web):
        app.include_router(module.router)
    app.mount("/static", ImmutableStatic(directory=STATIC), name="static")

    async def login_required(request: Request, _exc: Exception) -> Response:
        target = f"/login?next={request.url.path}"
        if request.headers.get("hx-request"):
            # htmx follows HX-Redirect with a full page load (a 3xx would be followed by
            # the XHR itself and swapped into the page).
            return Response(status_code=200, headers={"HX-Redirect": target})
        return RedirectResponse(target, status_code=303)

    async def csrf_refused(request: Request, _exc: Exception) -> Response:
        w = Words(
            negotiate(request.cookies.get(LANG_COOKIE), request.headers.get("accept-language"))
        )
        body = render("_error.html", {"w": w, "lang": w.lang, "message": w.t("error.forbidden")})
        return html(body, status=403)

    app.add_exception_handler(LoginRequired, login_required)
    app.add_exception_handler(CsrfRefused, csrf_refused)
