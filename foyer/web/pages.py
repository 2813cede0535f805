"""The full pages: sign-in, the month's dashboard, trends; sign-out and the language switch.

Each page reads cached views through `foyer.web.data.page_entry` (the whole page cached
under its views' keys). Unsafe requests carry the CSRF token (foyer.web.session).
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import RedirectResponse
from starlette.responses import Response

from foyer.api.deps import State
from foyer.api.routes.auth import client_address
from foyer.auth.account import sign_out
from foyer.auth.login import BadCredentials, SignedIn, Throttled, log_in
from foyer.auth.security import InvalidTokenError
from foyer.months import add_months, month_of, parse_month
from foyer.web import views_html
from foyer.web.data import page_entry, page_response
from foyer.web.i18n import LANG_COOKIE, LANGS, Lang, Words, negotiate
from foyer.web.render import html, render
from foyer.web.session import (
    SESSION_COOKIE,
    Csrf,
    WebClaims,
    clear_session,
    csrf_token_for,
    ensure_csrf,
    keep_csrf,
    set_session,
)

router = APIRouter(include_in_schema=False)
TREND_RANGES = (12, 36)


def words(request: Request) -> Words:
    return Words(
        negotiate(request.cookies.get(LANG_COOKIE), request.headers.get("accept-language"))
    )


Lang_ = Annotated[Words, Depends(words)]


def month_or_current(value: str | None) -> str:
    """A valid YYYY-MM (ASCII digits only), else this month."""
    if value:
        try:
            parse_month(value)
            return value
        except ValueError:
            pass
    return month_of(dt.datetime.now(dt.UTC).date())


def local_path(value: str | None) -> str:
    """A redirect target on this site only (`/…`, never `//host` or a full URL)."""
    if value and value.startswith("/") and not value.startswith("//") and "\\" not in value:
        return value
    return "/"


def base_context(w: Words, request: Request, **extra: Any) -> dict[str, Any]:
    return {"w": w, "lang": w.lang, "langs": LANGS, "path": request.url.path, **extra}


@router.get("/login")
def login_page(request: Request, state: State, w: Lang_, next: str | None = None) -> Response:
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        try:
            state.tokens.read(token)
            return RedirectResponse(local_path(next), status_code=303)
        except InvalidTokenError:
            pass
    csrf = csrf_token_for(request)
    context = base_context(w, request, csrf=csrf, next=local_path(next), error=None)
    response = html(render("login.html", context), headers={"Cache-Control": "no-store"})
    keep_csrf(request, response, csrf)
    return response


@router.post("/login", dependencies=[Csrf])
def login(
    request: Request,
    state: State,
    w: Lang_,
    email: Annotated[str, Form(max_length=320)],
    password: Annotated[str, Form(max_length=1024)],
    next: Annotated[str, Form(max_length=2000)] = "/",
) -> Response:
    outcome = log_in(
        database=state.database,
        throttle=state.login_throttle,
        secret=state.secret,
        ttl_minutes=state.settings.token_ttl_minutes,
        email=email,
        password=password,
        client=client_address(request),
    )
    if not isinstance(outcome, SignedIn):
        headers = {"Cache-Control": "no-store"}
        if isinstance(outcome, BadCredentials):
            status, error = 401, w.t("login.bad")
        else:  # throttled (429), or no password check can run now (503)
            status, key = (
                (429, "login.throttled") if isinstance(outcome, Throttled) else (503, "login.busy")
            )
            error = w.t(key, seconds=outcome.retry_after)
            headers["Retry-After"] = str(outcome.retry_after)
        context = base_context(
            w, request, csrf=csrf_token_for(request), next=local_path(next), error=error
        )
        return html(render("login.html", context), status=status, headers=headers)
    response = RedirectResponse(local_path(next), status_code=303)
    set_session(response, request, outcome.token, outcome.ttl_seconds)
    return response


@router.post("/logout", dependencies=[Csrf])
def logout(request: Request, state: State) -> Response:
    """Sign out: the session's token is revoked (refused by the API too), then forgotten."""
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        try:
            claims = state.tokens.read(token)
        except InvalidTokenError:
            pass  # expired or revoked already: nothing left to revoke
        else:
            sign_out(state.database, state.revocations, claims)
    response = RedirectResponse("/login", status_code=303)
    clear_session(response)
    return response


@router.get("/lang/{lang}")
def switch_language(lang: str, next: str | None = None) -> Response:
    response = RedirectResponse(local_path(next), status_code=303)
    if lang in LANGS:
        response.set_cookie(LANG_COOKIE, lang, max_age=365 * 86400, samesite="lax", path="/")
    return response


@router.get("/")
async def dashboard(
    request: Request, state: State, claims: WebClaims, w: Lang_, month: str | None = None
) -> Response:
    shown = month_or_current(month)
    lang: Lang = w.lang

    def build(data: list[Any]) -> str:
        summary, hierarchy, plan, budgets, suggestions, anomalies = data
        return render(
            "dashboard.html",
            base_context(
                Words(lang),
                request,
                month=shown,
                previous=add_months(shown, -1),
                next=add_months(shown, 1),
                summary=summary,
                hierarchy=views_html.hierarchy_rows(hierarchy),
                plan=plan,
                budgets=budgets,
                suggestions=suggestions,
                anomalies=anomalies,
                budget_error=None,
            ),
        )

    entry, etag = await page_entry(
        state,
        page="dashboard",
        lang=lang,
        household_id=claims.household_id,
        needs=[
            ("summary", {"month": shown}),
            ("hierarchy", {"month": shown}),
            ("transfers", {"month": shown}),
            ("budgets", {"month": shown}),
            ("budget_suggestions", {"month": shown}),
            ("anomalies", {"month": shown}),
        ],
        build=build,
    )
    response = page_response(request, entry, etag)
    ensure_csrf(request, response)
    return response


@router.get("/trends")
async def trends(
    request: Request,
    state: State,
    claims: WebClaims,
    w: Lang_,
    months: Annotated[int, Query()] = 12,
    to: str | None = None,
) -> Response:
    span = months if months in TREND_RANGES else TREND_RANGES[0]
    end = month_or_current(to)
    start = add_months(end, 1 - span)
    lang: Lang = w.lang

    def build(data: list[Any]) -> str:
        trend, kpis = data
        words_ = Words(lang)
        return render(
            "trends.html",
            base_context(
                words_,
                request,
                span=span,
                ranges=TREND_RANGES,
                end=end,
                start=start,
                chart=views_html.trend_svg(words_, trend["months"]),
                months=trend["months"],
                kpis=kpis,
            ),
        )

    entry, etag = await page_entry(
        state,
        page="trends",
        lang=lang,
        household_id=claims.household_id,
        needs=[("trends", {"from": start, "to": end}), ("kpis", {"from": start, "to": end})],
        build=build,
    )
    response = page_response(request, entry, etag)
    ensure_csrf(request, response)
    return response
