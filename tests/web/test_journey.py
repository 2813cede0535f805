"""The web dashboard in a real Chromium (SPEC §11): a couple's month from sign-in to
sign-out, the numbers checked against the API's; keyboard use; CSRF and other households'
ids refused from the page itself; no serious accessibility violation, in both languages."""

from __future__ import annotations

from decimal import Decimal

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import Engine

from foyer.web.i18n import Words
from tests.factories import PASSWORD, Api, make_user
from tests.web.axe import axe_violations, describe
from tests.web.pages import MONTH, a_month

EN = Words("en")


def money(value: float | Decimal) -> str:
    return EN.money(value)


def sign_in(page: Page, live_server: str, email: str = "alex@example.com") -> None:
    page.goto(f"{live_server}/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(f"{live_server}/")


def settled(page: Page) -> None:
    """Wait until htmx has swapped and settled (new content is live only once settled)."""
    page.wait_for_function(
        "!document.querySelector('.htmx-request, .htmx-swapping, .htmx-settling')"
    )


def category_total(page: Page, parent: str) -> str:
    button = page.locator("#categories .bar-row", has_text=parent)
    return button.locator(".value").inner_text()


def test_a_months_journey(live_server: str, page: Page, api: Api) -> None:
    a_month(api)
    sign_in(page, live_server)
    page.goto(f"{live_server}/?month={MONTH}")

    summary = api.ok("/dashboard/summary", month=MONTH)
    grand = page.locator('[data-total="grand"]')
    expect(grand).to_have_text(money(summary["totals"]["grand_total"]))
    expect(page.locator('[data-total="member1"]')).to_have_text(money(summary["totals"]["member1"]))
    for parent in api.ok("/transactions/hierarchy", month=MONTH):
        assert category_total(page, parent["category_parent"]) == money(parent["total"])

    # Drill down: parent → category → rows.
    page.locator("#categories .bar-row", has_text="alimentation").click()
    expect(page.locator("#drill h2")).to_have_text("alimentation")
    settled(page)
    page.locator("#drill .bar-row", has_text="courses").click()
    row = page.locator("#rows tr", has_text="CB CARREFOUR")
    expect(row).to_be_visible()
    settled(page)

    # Recategorise CB CARREFOUR (-54.30) into loisirs' "sorties": both parents move by it.
    row.get_by_label("Category — CB CARREFOUR").fill("sorties")
    row.get_by_label("Category — CB CARREFOUR").press("Enter")
    expect(page.locator("#row-1 .saved, #rows .saved").first).to_be_visible()
    expect(
        page.locator("#categories .bar-row", has_text="alimentation").locator(".value")
    ).to_have_text(money(Decimal("20.00")))
    expect(page.locator("#categories .bar-row", has_text="loisirs").locator(".value")).to_have_text(
        money(Decimal("66.80"))
    )
    assert api.ok("/transactions", q="CARREFOUR")["items"][0]["category"] == "sorties"

    # Exclude CB MONOPRIX (-20): the month's variable spending drops by exactly 20.
    before = Decimal(str(api.ok("/dashboard/summary", month=MONTH)["totals"]["grand_total"]))
    settled(page)
    monoprix = page.locator("#rows tr", has_text="CB MONOPRIX")
    monoprix.get_by_label("Exclude — CB MONOPRIX").check()
    expect(grand).to_have_text(money(before - 20))
    assert Decimal(str(api.ok("/dashboard/summary", month=MONTH)["totals"]["grand_total"])) == (
        before - 20
    )

    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(f"{live_server}/login")
    page.goto(f"{live_server}/?month={MONTH}")
    expect(page).to_have_url(f"{live_server}/login?next=/")


def test_the_dashboard_works_with_the_keyboard(live_server: str, page: Page, api: Api) -> None:
    a_month(api)
    sign_in(page, live_server)
    page.goto(f"{live_server}/?month={MONTH}")

    page.keyboard.press("Tab")
    skip = page.locator(":focus")
    expect(skip).to_have_text("Skip to content")
    outline = skip.evaluate("el => getComputedStyle(el).outlineStyle")
    assert outline != "none"  # the focus is visible
    for _ in range(40):  # Tab until the first category bar has the focus
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.classList.contains('bar-row')"):
            break
    else:
        pytest.fail("no category bar reachable with Tab")
    page.keyboard.press("Enter")
    expect(page.locator("#drill h2")).to_have_text("alimentation")
    settled(page)
    trail = []
    for _ in range(40):
        page.keyboard.press("Tab")
        trail.append(page.evaluate("document.activeElement.outerHTML.slice(0, 80)"))
        if page.evaluate("document.activeElement.closest('#drill .bar-row') !== null"):
            break
    else:
        pytest.fail("no category of the parent reachable with Tab: " + " | ".join(trail))
    page.keyboard.press("Enter")
    expect(page.locator("#rows tr", has_text="CB CARREFOUR")).to_be_visible()


def test_the_page_cannot_write_without_its_token_nor_to_another_household(
    live_server: str, page: Page, api: Api, engine: Engine
) -> None:
    [theirs, *_] = a_month(api)
    make_user(engine, email="mallory@example.com", household="Elsewhere")
    sign_in(page, live_server, email="mallory@example.com")
    form = f"month={MONTH}&category=stolen&expense_type=FIXED"
    post = """async ([url, body, withToken]) => {
        const token = document.cookie.match(/foyer_csrf=([^;]*)/)[1];
        const headers = {"Content-Type": "application/x-www-form-urlencoded"};
        if (withToken) headers["X-CSRF-Token"] = token;
        return (await fetch(url, {method: "POST", body, headers})).status;
    }"""
    url = f"/web/transactions/{theirs}"

    assert page.evaluate(post, [url, form, False]) == 403
    assert page.evaluate(post, [url, form, True]) == 404
    assert api.ok(f"/transactions/{theirs}")["category"] == "courses"


@pytest.mark.parametrize("page_locale", ["en-GB", "fr-FR"])
def test_no_serious_accessibility_violation(
    live_server: str, page: Page, api: Api, page_locale: str
) -> None:
    a_month(api)
    page.goto(f"{live_server}/login")
    assert page.locator("html").get_attribute("lang") == page_locale[:2]
    found = axe_violations(page)
    assert not found, describe(found)
    sign_in_label = "Sign in" if page_locale == "en-GB" else "Se connecter"
    page.locator("#email").fill("alex@example.com")
    page.locator("#password").fill(PASSWORD)
    page.get_by_role("button", name=sign_in_label).click()
    page.goto(f"{live_server}/?month={MONTH}")
    page.locator("#categories .bar-row").first.click()
    expect(page.locator("#drill .bar-row").first).to_be_visible()
    settled(page)
    page.locator("#drill .bar-row").first.click()
    expect(page.locator("#rows tr").first).to_be_visible()
    settled(page)
    for where in ("dashboard", "trends"):
        if where == "trends":
            page.goto(f"{live_server}/trends?months=12&to={MONTH}")
        found = axe_violations(page)
        assert not found, f"{where}: {describe(found)}"
