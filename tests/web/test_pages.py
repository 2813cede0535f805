"""The web pages over HTTP without a browser (SPEC §11): sign-in, sessions and CSRF, the
dashboard's numbers equal to the API's, the page cache (hits, 304, fresh after a write),
inline edits with their out-of-band totals, another household's ids, languages."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from foyer.auth.security import issue_token
from foyer.db.engine import Database
from foyer.services import aggregates
from foyer.web.i18n import Words
from tests.factories import PASSWORD, Api, make_transaction, make_user
from tests.web.pages import CSRF, MONTH, Browser, a_month, signed_in

pytestmark = pytest.mark.parametrize("backend", ["sqlite", "postgresql"], indirect=True)


@pytest.fixture
def browser(client: TestClient, engine: Engine, api: Api) -> Browser:
    """A browser signed in to `api`'s household (the pages read only the token's
    household, so the token's user id does not matter here)."""
    secret = client.app.state.foyer.secret  # type: ignore[attr-defined]
    token = issue_token(secret, user_id=0, household_id=api.household_id, ttl_minutes=60)
    b = Browser(client, api.household_id)
    b.cookies.update({"foyer_session": token, "foyer_csrf": CSRF})
    return b


def text(html: str) -> str:
    """The page's text, tags dropped, spaces (incl. no-break) collapsed."""
    return " ".join(
        re.sub(r"<[^>]+>", " ", html).replace("\u202f", " ").replace("\xa0", " ").split()
    )


def test_pages_need_a_session(client: TestClient) -> None:
    anonymous = Browser(client)
    response = anonymous.get(f"/?month={MONTH}")
    assert (response.status_code, response.headers["location"]) == (303, "/login?next=/")
    fragment = anonymous.get("/web/parent?month=2025-06&parent=x", headers={"HX-Request": "true"})
    assert fragment.headers["HX-Redirect"] == "/login?next=/web/parent"
    forged = Browser(client)
    forged.cookies["foyer_session"] = "not-a-token"
    assert forged.get("/").status_code == 303


def test_sign_in_then_out(client: TestClient, engine: Engine) -> None:
    make_user(engine, email="web@example.com", household="Web")
    b = Browser(client)
    page = b.get("/login?next=/trends")
    assert page.status_code == 200
    csrf = b.cookies["foyer_csrf"]
    assert f'value="{csrf}"' in page.text

    wrong = b.post(
        "/login", {"email": "web@example.com", "password": "nope", "csrf_token": csrf}, csrf=None
    )
    assert wrong.status_code == 401
    assert "Incorrect email or password." in wrong.text
    assert "foyer_session" not in b.cookies

    signed = b.post(
        "/login",
        {"email": "web@example.com", "password": PASSWORD, "csrf_token": csrf, "next": "/trends"},
        csrf=None,
    )
    assert (signed.status_code, signed.headers["location"]) == (303, "/trends")
    cookie = signed.headers["set-cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=lax" in cookie
    assert b.get("/trends").status_code == 200

    assert b.post("/logout", {}, csrf=csrf).status_code == 303
    assert b.get("/").status_code == 303


def test_a_login_redirects_only_to_this_site(client: TestClient, engine: Engine) -> None:
    make_user(engine, email="web@example.com", household="Web")
    b = Browser(client)
    b.get("/login")
    csrf = b.cookies["foyer_csrf"]
    for target in ("//evil.example/x", "https://evil.example/", "/\\evil"):
        body = {
            "email": "web@example.com",
            "password": PASSWORD,
            "csrf_token": csrf,
            "next": target,
        }
        assert b.post("/login", body, csrf=None).headers["location"] == "/"
        b.post("/logout", {}, csrf=csrf)


def test_unsafe_requests_without_the_csrf_token_are_refused(browser: Browser, api: Api) -> None:
    [tid, *_] = a_month(api)
    body = {"month": MONTH, "category": "hacked", "expense_type": "VARIABLE"}
    for csrf in (None, "wrong-token", ""):
        response = browser.post(f"/web/transactions/{tid}", body, csrf=csrf)
        assert response.status_code == 403, csrf
    assert browser.post("/logout", {}, csrf=None).status_code == 403
    assert (
        Browser(browser.client)
        .post("/login", {"email": "a", "password": "b"}, csrf=None)
        .status_code
        == 403
    )
    assert api.ok(f"/transactions/{tid}")["category"] == "courses"


def test_the_dashboard_shows_the_apis_numbers(browser: Browser, api: Api) -> None:
    a_month(api)
    summary = api.ok("/dashboard/summary", month=MONTH)
    hierarchy = api.ok("/transactions/hierarchy", month=MONTH)
    w = Words("en")

    page = browser.get(f"/?month={MONTH}", headers={"Accept-Language": "en"})

    assert page.status_code == 200
    shown = text(page.text)
    totals = summary["totals"]
    expected_total = (
        " ".join(w.money(v) for v in (totals["member1"], totals["member2"], totals["grand_total"]))
        .replace("\u202f", " ")
        .replace("\xa0", " ")
    )
    assert f"Total {expected_total}" in shown
    for parent in hierarchy:
        assert f"{parent['category_parent']} {w.money(parent['total'])}" in shown
    assert f"Income {w.money(summary['actuals']['income'])}" in shown


def test_a_warm_page_is_one_cached_body_and_a_304_until_a_write(browser: Browser, api: Api) -> None:
    [tid, *_] = a_month(api)
    first = browser.get(f"/?month={MONTH}")
    etag = first.headers["etag"]
    second = browser.get(f"/?month={MONTH}")
    assert (second.text, second.headers["etag"]) == (first.text, etag)
    assert api.count("page_dashboard", "l1", "hit") >= 1
    assert browser.get(f"/?month={MONTH}", headers={"If-None-Match": etag}).status_code == 304

    assert api.patch(f"/transactions/{tid}", {"exclude": True}).status_code == 200

    fresh = browser.get(f"/?month={MONTH}", headers={"If-None-Match": etag})
    assert fresh.status_code == 200
    assert fresh.headers["etag"] != etag


def test_an_edit_answers_the_row_and_the_new_totals(
    browser: Browser, api: Api, engine: Engine
) -> None:
    [tid, *_] = a_month(api)
    body = {"month": MONTH, "category": "sorties", "expense_type": "VARIABLE", "exclude": "true"}

    response = browser.post(f"/web/transactions/{tid}", body)

    assert response.status_code == 200, response.text
    row = api.ok(f"/transactions/{tid}")
    assert (row["category"], row["category_parent"], row["exclude"]) == ("sorties", "loisirs", True)
    assert 'id="summary" class="card" hx-swap-oob="true"' in response.text
    assert 'id="categories" class="card" hx-swap-oob="true"' in response.text
    summary = api.ok("/dashboard/summary", month=MONTH)
    assert Words("en").money(summary["totals"]["grand_total"]) in response.text
    with Database(engine).read() as conn:
        assert aggregates.verify(conn) == []


def test_another_households_transaction_is_not_found(
    browser: Browser, api: Api, client: TestClient, engine: Engine
) -> None:
    [tid, *_] = a_month(api)
    mallory = signed_in(client, engine, email="mallory@example.com", household="Elsewhere")
    body = {"month": MONTH, "category": "stolen", "expense_type": "FIXED"}

    assert mallory.post(f"/web/transactions/{tid}", body).status_code == 404
    assert api.ok(f"/transactions/{tid}")["category"] == "courses"
    theirs = mallory.get(f"/?month={MONTH}")
    assert "CB CARREFOUR" not in theirs.text
    assert "alimentation" not in text(theirs.text)
    drill = mallory.get(f"/web/category?month={MONTH}&category=courses")
    assert "CB CARREFOUR" not in drill.text


def test_drill_down_fragments_page_through_the_rows(browser: Browser, api: Api) -> None:
    items = [
        make_transaction(
            date=f"2025-06-{1 + i % 28:02d}",
            amount=-(i + 1),
            label=f"ACHAT {i}",
            category="courses",
            category_parent="alimentation",
        )
        for i in range(30)
    ]
    api.create_transactions(*items)

    parent = browser.get(f"/web/parent?month={MONTH}&parent=alimentation")
    assert "courses" in parent.text
    first = browser.get(f"/web/category?month={MONTH}&category=courses")
    labels = re.findall(r"<td>(ACHAT \d+)</td>", first.text)
    assert len(labels) == 25
    cursor = re.search(r"cursor=([^\"&]+)\"", first.text)
    assert cursor is not None
    rest = browser.get(f"/web/rows?month={MONTH}&category=courses&cursor={cursor.group(1)}")
    more = re.findall(r"<td>(ACHAT \d+)</td>", rest.text)
    assert sorted(labels + more) == sorted(f"ACHAT {i}" for i in range(30))
    assert browser.get(f"/web/rows?month={MONTH}&category=courses&cursor=bogus").status_code == 400


@pytest.mark.parametrize(
    ("accept", "cookie", "lang", "word"),
    [
        ("fr-FR,fr;q=0.9", None, "fr", "Qui paie quoi"),
        ("en-US,en;q=0.9", None, "en", "Who pays what"),
        ("de-DE", None, "en", "Who pays what"),
        ("en-US", "fr", "fr", "Qui paie quoi"),
    ],
)
def test_the_page_speaks_the_users_language(
    browser: Browser, api: Api, accept: str, cookie: str | None, lang: str, word: str
) -> None:
    a_month(api)
    if cookie:
        browser.cookies["foyer_lang"] = cookie
    page = browser.get(f"/?month={MONTH}", headers={"Accept-Language": accept})
    assert f'<html lang="{lang}">' in page.text
    assert word in page.text


def test_the_language_switch_sets_a_cookie_and_stays_on_site(browser: Browser) -> None:
    response = browser.get("/lang/fr?next=/trends")
    assert (response.status_code, response.headers["location"]) == (303, "/trends")
    assert "foyer_lang=fr" in response.headers["set-cookie"]
    assert browser.get("/lang/fr?next=//evil.example").headers["location"] == "/"


def test_trends_page_draws_the_apis_months(browser: Browser, api: Api) -> None:
    a_month(api)
    trends = api.ok("/dashboard/trends", **{"from": "2024-07", "to": MONTH})
    page = browser.get(f"/trends?months=12&to={MONTH}")
    assert page.status_code == 200
    assert page.text.count("<rect") >= 1
    shown = text(page.text)
    w = Words("en")
    kpis = api.ok("/analytics/kpis", **{"from": "2024-07", "to": MONTH})
    income = w.money(kpis["averages"]["income"]).replace("\u202f", " ").replace("\xa0", " ")
    assert f"Monthly averages Income {income}" in shown
    june = trends["months"][-1]
    assert (
        f"June 2025 {w.money(june['variable'])}".replace("\u202f", " ").replace("\xa0", " ")
        in shown
    )


def test_static_files_are_versioned_and_cached_for_a_year(client: TestClient) -> None:
    page = Browser(client).get("/login")
    [css] = re.findall(r'href="(/static/app\.css\?v=[0-9a-f]+)"', page.text)
    response = client.get(css)
    assert response.status_code == 200
    assert response.headers["cache-control"] == "public, max-age=31536000, immutable"


def test_the_dashboard_shows_the_transfer_plan_and_budgets(browser: Browser, api: Api) -> None:
    a_month(api)
    api.create("/budgets", {"category": "courses", "amount": 50})
    page = browser.get(f"/?month={MONTH}")
    w = Words("en")
    plan = api.ok("/dashboard/transfers", month=MONTH)
    assert f'data-transfer="total">{w.money(plan["transfers"]["total"])}<' in page.text
    shown = text(page.text)
    assert "courses" in shown
    assert "over" in shown  # 74.30 spent of 50.00


def test_the_balance_form_updates_the_plan(browser: Browser, api: Api) -> None:
    a_month(api)
    body = {"month": MONTH, "account_balance": "1 234,50"}

    fragment = browser.post("/web/balance", body, headers={"HX-Request": "true"})

    assert fragment.status_code == 200, fragment.text
    assert 'id="transfers" class="card" hx-swap-oob="true"' in fragment.text
    assert api.ok(f"/balances/{MONTH}")["account_balance"] == 1234.5
    plan = api.ok("/dashboard/transfers", month=MONTH)
    assert Words("en").money(plan["transfers"]["total"]) in fragment.text
    plain = browser.post("/web/balance", {"month": MONTH, "account_balance": "-10"})
    assert (plain.status_code, plain.headers["location"]) == (303, f"/?month={MONTH}")
    assert api.ok(f"/balances/{MONTH}")["account_balance"] == -10
    bad = browser.post("/web/balance", {"month": MONTH, "account_balance": "12.345"})
    assert bad.status_code == 422
    assert browser.post("/web/balance", body, csrf=None).status_code == 403
    assert api.ok(f"/balances/{MONTH}")["account_balance"] == -10


def test_the_trends_page_links_the_months_export(browser: Browser, api: Api) -> None:
    a_month(api)
    page = browser.get(f"/trends?months=12&to={MONTH}")
    assert "/web/export?from=2024-07&amp;to=2025-06&amp;format=csv" in page.text
    export = browser.get("/web/export?from=2024-07&to=2025-06&format=csv")
    assert export.status_code == 200
    assert export.headers["content-disposition"].startswith("attachment")
    lines = export.text.splitlines()
    assert lines[0].startswith("date,label,amount")
    assert len(lines) == 1 + 4
    assert Browser(browser.client).get("/web/export?from=2024-07&to=2025-06").status_code == 303


def test_budgets_are_added_suggested_and_removed_from_the_dashboard(
    browser: Browser, api: Api
) -> None:
    a_month(api)
    htmx = {"HX-Request": "true"}
    body = {"month": MONTH, "category": "courses", "amount": "60,5", "scope": "this_month"}

    added = browser.post("/web/budgets", body, headers=htmx)

    assert added.status_code == 200, added.text
    assert 'id="budgets" class="card" hx-swap-oob="true"' in added.text
    [budget] = api.ok("/budgets")["items"]
    assert (budget["category"], budget["amount"], budget["month"]) == ("courses", 60.5, MONTH)
    again = browser.post("/web/budgets", body, headers=htmx)
    assert "already has a budget" in again.text
    bad = browser.post("/web/budgets", {**body, "amount": "-3"}, headers=htmx)
    assert 'role="alert"' in bad.text
    assert len(api.ok("/budgets")["items"]) == 1

    removed = browser.post(
        "/web/budgets/remove",
        {"month": MONTH, "category": "courses", "scope": "this_month"},
        headers=htmx,
    )
    assert removed.status_code == 200
    assert api.ok("/budgets") == {"items": []}
    plain = browser.post("/web/budgets", {**body, "scope": "every_month"})
    assert (plain.status_code, plain.headers["location"]) == (303, f"/?month={MONTH}")
    assert api.ok("/budgets")["items"][0]["month"] is None
    assert browser.post("/web/budgets", body, csrf=None).status_code == 403


def test_the_dashboard_shows_the_months_anomalies(browser: Browser, api: Api) -> None:
    a_month(api)  # June 2025's categories have no history: each new one over 30 € stands out
    anomalies = api.ok("/analytics/anomalies", month=MONTH)["items"]
    assert anomalies
    page = text(browser.get(f"/?month={MONTH}").text)
    assert "Unusual this month" in page
    for item in anomalies:
        assert item["category"] in page
    quiet = text(browser.get("/?month=2025-01").text)
    assert "Unusual this month" not in quiet


@pytest.mark.parametrize("month", ["1900-01", "2200-12"])
def test_the_first_and_last_months_have_pages(browser: Browser, month: str) -> None:
    # Their neighbours (1899-12, 2201-01) are computed for the month's links and labels:
    # months foyer computes are formatted, not refused as input.
    for path in (f"/?month={month}", f"/trends?from={month}&to={month}"):
        assert browser.get(path).status_code == 200, path
