"""The settings room in a real Chromium (SPEC §11): a fixed line added on the page moves the
dashboard's fixed total by its monthly amount; edited and deleted in place (htmx); no
serious accessibility violation, in English and in French, forms and errors included."""

from __future__ import annotations

from decimal import Decimal

import pytest
from playwright.sync_api import Page, expect

from foyer.web.i18n import Words
from tests.factories import PASSWORD, Api, make_fixed_line, make_provision
from tests.web.axe import axe_violations, describe
from tests.web.pages import CONFIG, MONTH

EN = Words("en")


def money(value: Decimal) -> str:
    return EN.money(str(value))


def sign_in(page: Page, live_server: str) -> None:
    page.goto(f"{live_server}/login")
    page.locator("#email").fill("alex@example.com")
    page.locator("#password").fill(PASSWORD)
    page.locator("form[action='/login'] button[type=submit]").click()
    expect(page).to_have_url(f"{live_server}/")


def settled(page: Page) -> None:
    """Wait until htmx has swapped and settled."""
    page.wait_for_function(
        "!document.querySelector('.htmx-request, .htmx-swapping, .htmx-settling')"
    )


def fixed_total(page: Page) -> str:
    row = page.locator("#summary tbody tr", has_text="Fixed lines")
    return row.locator("td").nth(2).inner_text()


def test_a_fixed_line_added_on_the_page_moves_the_dashboards_fixed_total(
    live_server: str, page: Page, api: Api
) -> None:
    assert api.put("/config", CONFIG).status_code == 200
    api.create("/fixed-lines", make_fixed_line())  # Loyer, 1150 a month
    sign_in(page, live_server)
    page.goto(f"{live_server}/?month={MONTH}")
    before = Decimal(str(api.ok("/dashboard/summary", month=MONTH)["fixed"]["total"]))
    assert fixed_total(page) == money(before)

    page.goto(f"{live_server}/settings")
    page.get_by_text("Add a fixed line").click()
    form = page.locator("#fixed form[action='/settings/fixed-lines']")
    form.get_by_label("Label").fill("Internet")
    form.get_by_label("Amount (€)").fill("119,97")  # a decimal comma is fine
    form.get_by_label("Frequency").select_option("quarterly")
    form.get_by_role("button", name="Add", exact=True).click()

    expect(page.locator("#fixed-status")).to_have_text("Added “Internet”.")
    row = page.locator("#fixed tbody tr", has_text="Internet")
    expect(row).to_contain_text(money(Decimal("39.99")))
    expect(page.locator("#fixed-add-submit")).to_be_focused()  # ready for the next one
    settled(page)

    page.goto(f"{live_server}/?month={MONTH}")
    assert fixed_total(page) == money(before + Decimal("39.99"))

    # Edit in place, then delete (the browser asks first).
    page.goto(f"{live_server}/settings")
    page.get_by_role("link", name="Edit Internet").click()
    editing = page.locator("#fixed tr.editing")
    editing.get_by_label("Amount (€)").fill("240")
    editing.get_by_role("button", name="Save").click()
    expect(page.locator("#fixed-status")).to_have_text("Saved “Internet”.")
    saved = page.locator("#fixed tbody tr", has_text="Internet")
    expect(saved).to_contain_text(money(Decimal("80.00")))
    expect(saved.get_by_role("link", name="Edit Internet")).to_be_focused()
    settled(page)
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Delete Internet").click()
    expect(page.locator("#fixed-status")).to_have_text("Deleted “Internet”.")
    expect(page.locator("#fixed tbody tr", has_text="Internet")).to_have_count(0)
    expect(page.locator("#fixed-add-open")).to_be_focused()
    assert [line["label"] for line in api.ok("/fixed-lines")["items"]] == ["Loyer"]


@pytest.mark.parametrize("page_locale", ["en-GB", "fr-FR"])
def test_no_serious_accessibility_violation(
    live_server: str, page: Page, api: Api, page_locale: str
) -> None:
    assert api.put("/config", CONFIG).status_code == 200
    line_id = api.create("/fixed-lines", make_fixed_line())
    api.create("/provisions", make_provision(target_amount=3000, current_amount=450))
    sign_in(page, live_server)
    page.goto(f"{live_server}/settings")
    assert page.locator("html").get_attribute("lang") == page_locale[:2]
    found = axe_violations(page)
    assert not found, f"page: {describe(found)}"

    # Both add forms open, one with errors; a row in its edit form.
    page.locator("#provisions-add-open").click()
    page.locator("#fixed-add-open").click()
    page.locator("#fixed-new-label").fill("Internet")
    page.locator("#fixed-new-amount").fill("-3")
    page.locator("#fixed-add-submit").click()
    expect(page.locator("#fixed-new-amount-error")).to_be_visible()
    expect(page.locator("#fixed-new-amount")).to_be_focused()
    settled(page)
    page.locator(f"#fixed-{line_id}-edit").click()
    expect(page.locator(f"#fixed-{line_id}.editing")).to_be_visible()
    settled(page)
    found = axe_violations(page)
    assert not found, f"forms: {describe(found)}"
