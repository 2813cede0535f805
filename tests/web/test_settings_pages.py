"""The settings room over HTTP without a browser (SPEC §11): the configuration form equals
the API's configuration both ways, fixed lines and provisions added, edited and deleted
through the page are the API's and the dashboard's at once, bad input is said next to its
field and writes nothing, CSRF is required, and another household's ids are not found."""

from __future__ import annotations

import html
import re
from decimal import Decimal
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from foyer.auth.security import issue_token
from foyer.web.i18n import Words
from tests.factories import Api, make_fixed_line, make_provision
from tests.web.pages import CONFIG, CSRF, MONTH, Browser, signed_in

pytestmark = pytest.mark.parametrize("backend", ["sqlite", "postgresql"], indirect=True)
HTMX = {"HX-Request": "true"}


@pytest.fixture
def browser(client: TestClient, api: Api) -> Browser:
    """A browser signed in to `api`'s household (the pages read only the token's
    household, so the token's user id does not matter here)."""
    secret = client.app.state.foyer.secret  # type: ignore[attr-defined]
    token = issue_token(secret, user_id=0, household_id=api.household_id, ttl_minutes=60)
    b = Browser(client, api.household_id)
    b.cookies.update({"foyer_session": token, "foyer_csrf": CSRF})
    return b


def value(page: str, field_id: str) -> str:
    """An input's value in the page, by its id."""
    found = re.search(rf'<input id="{field_id}"[^>]*? value="([^"]*)"', page)
    assert found, f"no input #{field_id}"
    return html.unescape(found.group(1))


def field_error(page: str, field_id: str) -> str | None:
    """The error said next to a field, checked to be tied to it (aria-describedby)."""
    found = re.search(rf'id="{field_id}-error" class="field-error">([^<]*)<', page)
    if found is None:
        return None
    control = re.search(rf'<(?:input|select) id="{field_id}"[^>]*>', page)
    assert control, f"no control #{field_id}"
    assert f"{field_id}-error" in control.group(0), "error not tied to its field"
    assert 'aria-invalid="true"' in control.group(0)
    return html.unescape(found.group(1))


def fixed_total(api: Api) -> Decimal:
    return Decimal(str(api.ok("/dashboard/summary", month=MONTH)["fixed"]["total"]))


def config_form(**changes: Any) -> dict[str, Any]:
    return {**{k: str(v) for k, v in CONFIG.items()}, **changes}


def test_the_settings_page_needs_a_session(client: TestClient) -> None:
    response = Browser(client).get("/settings")
    assert (response.status_code, response.headers["location"]) == (303, "/login?next=/settings")
    partial = Browser(client).get("/settings/fixed-lines/1/edit", headers=HTMX)
    assert partial.headers["HX-Redirect"] == "/login?next=/settings/fixed-lines/1/edit"


def test_the_configuration_round_trips_with_the_api(browser: Browser, api: Api) -> None:
    page = browser.get("/settings")
    assert page.status_code == 200
    assert page.headers["cache-control"] == "no-store"
    stored = api.ok("/config")
    for name in ("member1_name", "member2_name"):
        assert value(page.text, f"config-{name.replace('_', '-')}") == stored[name]
    for name in ("income1", "income2", "tax_rate1", "tax_rate2", "manual_share1"):
        assert Decimal(value(page.text, f"config-{name.replace('_', '-')}")) == Decimal(
            str(stored[name])
        )

    sent = config_form(
        member1_name=" Alex ", income1="3 210,55", tax_rate1="12.5", split_mode="manual"
    )
    response = browser.post("/settings/config", {**sent, "manual_share1": "60"})
    assert (response.status_code, response.headers["location"]) == (
        303,
        "/settings?done=config.saved#config",
    )
    changes = {"income1": 3210.55, "tax_rate1": 12.5, "split_mode": "manual", "manual_share1": 60}
    # A field of the API the form does not show keeps its value.
    assert api.ok("/config") == {**stored, **CONFIG, **changes}

    again = browser.get("/settings?done=config.saved")
    assert 'id="config-status" class="notice" role="status">Saved.</p>' in again.text
    assert value(again.text, "config-income1") == "3210.55"
    assert 'value="manual" checked' in again.text
    # What the form shows is the API's configuration, field by field.
    shown = {
        name: value(again.text, f"config-{name.replace('_', '-')}")
        for name in ("member1_name", "member2_name", "income1", "income2", "tax_rate1")
    }
    api_config = api.ok("/config")
    assert shown["member1_name"] == api_config["member1_name"]
    assert Decimal(shown["income1"]) == Decimal(str(api_config["income1"]))
    assert Decimal(shown["tax_rate1"]) == Decimal(str(api_config["tax_rate1"]))

    # htmx: the section, its notice, and the item sections (names, incomes) out of band.
    partial = browser.post("/settings/config", config_form(member2_name="Sasha"), headers=HTMX)
    assert partial.status_code == 200
    assert partial.text.startswith('<div id="config-body"')
    assert 'hx-swap-oob="innerHTML">Configuration saved.</p>' in partial.text
    assert '<div id="fixed-body" hx-swap-oob="true">' in partial.text
    assert '<div id="provisions-body" hx-swap-oob="true">' in partial.text
    assert api.ok("/config")["member2_name"] == "Sasha"


def test_configuration_errors_are_shown_and_nothing_is_written(browser: Browser, api: Api) -> None:
    assert api.put("/config", CONFIG).status_code == 200
    before = api.ok("/config")
    bad = config_form(member1_name="", income1="-5", tax_rate1="100.001", manual_share1="abc")

    page = browser.post("/settings/config", bad)

    assert page.status_code == 422
    assert 'role="alert">Not saved: check the fields marked below.' in page.text
    assert field_error(page.text, "config-member1-name") == "Required."
    assert field_error(page.text, "config-income1") == "Must be at least 0."
    assert field_error(page.text, "config-tax-rate1") == "At most 2 decimals."
    assert field_error(page.text, "config-manual-share1") == "Enter a number, like 1234.56."
    assert field_error(page.text, "config-income2") is None
    assert value(page.text, "config-income1") == "-5"  # what was typed stays in the form
    assert re.search(r'<input id="config-member1-name"[^>]* autofocus', page.text)
    assert api.ok("/config") == before

    # htmx: the section's body (200, htmx swaps no 4xx), the same errors.
    partial = browser.post("/settings/config", bad, headers=HTMX)
    assert partial.status_code == 200
    assert partial.text.startswith('<div id="config-body"')
    assert field_error(partial.text, "config-income1") == "Must be at least 0."
    assert api.ok("/config") == before


def test_a_fixed_line_added_edited_deleted_is_the_apis_and_the_dashboards(
    browser: Browser, api: Api
) -> None:
    assert api.put("/config", CONFIG).status_code == 200
    before = fixed_total(api)
    body = {"label": "Internet", "amount": "119,97", "frequency": "quarterly"}
    added = browser.post("/settings/fixed-lines", {**body, "split_mode": "key", "active": "true"})
    assert (added.status_code, added.headers["location"]) == (
        303,
        "/settings?done=fixed.added#fixed",
    )
    [line] = api.ok("/fixed-lines")["items"]
    assert line == {
        "id": line["id"],
        "label": "Internet",
        "amount": 119.97,
        "frequency": "quarterly",
        "split_mode": "key",
        "custom_share1": None,
        "category": "uncategorized",
        "active": True,
        "monthly": 39.99,
    }
    assert fixed_total(api) == before + Decimal("39.99")
    dashboard = browser.get(f"/?month={MONTH}")
    assert Words("en").money("39.99") in dashboard.text
    page = browser.get("/settings")
    assert f'<tr id="fixed-{line["id"]}"' in page.text
    assert "Monthly total of the active lines: €39.99" in page.text

    # Edit in place (htmx): the section again, the notice out of band.
    edit = {
        "label": "Fibre",
        "amount": "30",
        "frequency": "monthly",
        "split_mode": "custom",
        "custom_share1": "70",
        "category": "maison",
    }  # no "active": the box is unchecked
    saved = browser.post(f"/settings/fixed-lines/{line['id']}", edit, headers=HTMX)
    assert saved.status_code == 200
    assert saved.text.startswith('<div id="fixed-body"')
    assert '<p id="fixed-status" hx-swap-oob="innerHTML">Saved “Fibre”.</p>' in saved.text
    assert f'id="fixed-{line["id"]}-edit"' in saved.text
    assert "autofocus" in saved.text
    changed = api.ok(f"/fixed-lines/{line['id']}")
    assert (changed["label"], changed["amount"], changed["custom_share1"]) == ("Fibre", 30, 70)
    assert (changed["category"], changed["active"]) == ("maison", False)
    assert fixed_total(api) == before  # inactive: not counted

    deleted = browser.post(f"/settings/fixed-lines/{line['id']}/delete", {})
    assert deleted.headers["location"] == "/settings?done=fixed.deleted#fixed"
    assert api.ok("/fixed-lines")["items"] == []
    assert "Deleted." in browser.get("/settings?done=fixed.deleted").text


def test_a_provision_added_edited_deleted_is_the_apis_and_the_dashboards(
    browser: Browser, api: Api
) -> None:
    assert api.put("/config", CONFIG).status_code == 200
    body = {
        "name": "Vacances",
        "icon": "🏖️",
        "color": "#0ea5e9",
        "display_order": "1",
        "base": "total",
        "percentage": "5",
        "fixed_amount": "",
        "split_mode": "equal",
        "custom_share1": "",
        "is_active": "true",
        "start_month": "",
        "end_month": "",
        "target_amount": "3000",
        "current_amount": "450",
    }
    added = browser.post("/settings/provisions", body, headers=HTMX)
    assert added.status_code == 200
    assert added.text.startswith('<div id="provisions-body"')
    assert "Added “Vacances”." in added.text
    [item] = api.ok("/provisions")["items"]
    assert (item["color"], item["percentage"], item["fixed_amount"]) == ("#0EA5E9", 5, 0)
    assert (item["target_amount"], item["current_amount"], item["progress"]) == (3000, 450, 0.15)
    summary = api.ok("/dashboard/summary", month=MONTH)["provisions"]
    assert summary["total"] == 250  # 5 % of 3000 + 2000
    assert "€450.00 of €3,000.00" in added.text
    assert '<progress max="1" value="0.15"' in added.text

    page = browser.get(f"/settings/provisions/{item['id']}/edit")  # a plain link: the page
    assert page.status_code == 200
    assert value(page.text, f"provisions-{item['id']}-name") == "Vacances"
    assert value(page.text, f"provisions-{item['id']}-target-amount") == "3000"
    changes = {**body, "base": "fixed", "fixed_amount": "80", "end_month": "2025-12"}
    saved = browser.post(f"/settings/provisions/{item['id']}", changes)
    assert saved.headers["location"] == "/settings?done=provisions.saved#provisions"
    changed = api.ok(f"/provisions/{item['id']}")
    assert (changed["base"], changed["fixed_amount"], changed["end_month"]) == (
        "fixed",
        80,
        "2025-12",
    )
    assert api.ok("/dashboard/summary", month=MONTH)["provisions"]["total"] == 80

    deleted = browser.post(f"/settings/provisions/{item['id']}/delete", {}, headers=HTMX)
    assert "Deleted “Vacances”." in deleted.text
    assert api.ok("/provisions")["items"] == []
    assert api.ok("/dashboard/summary", month=MONTH)["provisions"]["total"] == 0


def test_item_errors_are_said_at_their_field_and_nothing_is_written(
    browser: Browser, api: Api
) -> None:
    negative = browser.post("/settings/fixed-lines", {"label": "Loyer", "amount": "-10"})
    assert negative.status_code == 422
    assert field_error(negative.text, "fixed-new-amount") == "Must be more than 0."
    assert '<details class="add" open>' in negative.text  # the add form stays open

    custom = {"label": "Loyer", "amount": "900", "split_mode": "custom", "custom_share1": ""}
    partial = browser.post("/settings/fixed-lines", custom, headers=HTMX)
    assert partial.status_code == 200
    assert field_error(partial.text, "fixed-new-custom-share1") == (
        "A custom split needs member 1's share (0 to 100)."
    )
    assert api.ok("/fixed-lines")["items"] == []

    months = {"name": "Noël", "start_month": "2025-12", "end_month": "2025-01"}
    page = browser.post("/settings/provisions", months)
    assert page.status_code == 422
    assert field_error(page.text, "provisions-new-end-month") == (
        "The last month must not come before the first."
    )
    colour = browser.post("/settings/provisions", {"name": "Noël", "color": "red"})
    assert field_error(colour.text, "provisions-new-color") == "Enter a colour as #RRGGBB."
    assert api.ok("/provisions")["items"] == []

    line_id = api.create("/fixed-lines", make_fixed_line())
    stored = api.ok(f"/fixed-lines/{line_id}")
    bad_edit = {"label": "x" * 201, "amount": "1e400", "frequency": "weekly"}
    edit = browser.post(f"/settings/fixed-lines/{line_id}", bad_edit)
    assert edit.status_code == 422
    assert field_error(edit.text, f"fixed-{line_id}-label") == "At most 200 characters."
    assert field_error(edit.text, f"fixed-{line_id}-frequency") == "Choose one of the options."
    assert field_error(edit.text, f"fixed-{line_id}-amount") is not None
    assert api.ok(f"/fixed-lines/{line_id}") == stored


def test_edit_in_place_answers_rows_to_htmx(browser: Browser, api: Api) -> None:
    line_id = api.create("/fixed-lines", make_fixed_line(amount=1150.5))
    form = browser.get(f"/settings/fixed-lines/{line_id}/edit", headers=HTMX)
    assert form.status_code == 200
    assert form.text.startswith(f'<tr id="fixed-{line_id}" class="editing">')
    assert value(form.text, f"fixed-{line_id}-amount") == "1150.5"
    assert f'name="csrf_token" value="{CSRF}"' in form.text
    shown = browser.get(f"/settings/fixed-lines/{line_id}", headers=HTMX)
    assert shown.text.startswith(f'<tr id="fixed-{line_id}">')
    assert "Loyer" in shown.text
    plain = browser.get(f"/settings/fixed-lines/{line_id}")
    assert plain.headers["location"] == f"/settings#fixed-{line_id}"


def test_writes_need_the_csrf_token(browser: Browser, api: Api) -> None:
    assert api.put("/config", CONFIG).status_code == 200
    line_id = api.create("/fixed-lines", make_fixed_line())
    provision_id = api.create("/provisions", make_provision())
    before = (api.ok("/config"), api.ok("/fixed-lines"), api.ok("/provisions"))
    posts = [
        ("/settings/config", config_form(member1_name="Eve")),
        ("/settings/fixed-lines", {"label": "Hack", "amount": "1"}),
        (f"/settings/fixed-lines/{line_id}", {"label": "Hack", "amount": "1"}),
        (f"/settings/fixed-lines/{line_id}/delete", {}),
        ("/settings/provisions", {"name": "Hack"}),
        (f"/settings/provisions/{provision_id}", {"name": "Hack"}),
        (f"/settings/provisions/{provision_id}/delete", {}),
    ]
    for path, body in posts:
        for csrf in (None, "wrong-token"):
            assert browser.post(path, body, csrf=csrf).status_code == 403, (path, csrf)
        forged = {**body, "csrf_token": "wrong-token"}
        assert browser.post(path, forged, csrf=None).status_code == 403, path
    assert (api.ok("/config"), api.ok("/fixed-lines"), api.ok("/provisions")) == before
    # The form field alone (a plain form, no script) is accepted.
    plain = browser.post("/settings/fixed-lines/0/delete", {"csrf_token": CSRF}, csrf=None)
    assert plain.status_code == 404


def test_another_households_items_are_not_found(
    browser: Browser, api: Api, client: TestClient, engine: Engine
) -> None:
    line_id = api.create("/fixed-lines", make_fixed_line())
    provision_id = api.create("/provisions", make_provision())
    before = (api.ok("/fixed-lines"), api.ok("/provisions"))
    mallory = signed_in(client, engine, email="mallory@example.com", household="Elsewhere")
    for path, body in (
        (f"/settings/fixed-lines/{line_id}", {"label": "Stolen", "amount": "1"}),
        (f"/settings/provisions/{provision_id}", {"name": "Stolen"}),
    ):
        assert mallory.get(path + "/edit").status_code == 404
        assert mallory.get(path, headers=HTMX).status_code == 404
        assert mallory.post(path, body).status_code == 404
        assert mallory.post(path, {"label": ""}).status_code == 404  # invalid too: 404
        assert mallory.post(path + "/delete", {}).status_code == 404
    assert (api.ok("/fixed-lines"), api.ok("/provisions")) == before
    theirs = mallory.get("/settings")
    assert "Loyer" not in theirs.text
    assert "Vacances" not in theirs.text
    huge = "9" * 30
    assert mallory.post(f"/settings/fixed-lines/{huge}/delete", {}).status_code == 404
    assert mallory.get(f"/settings/provisions/{2**63}/edit").status_code == 404


@pytest.mark.parametrize(
    "body",
    [
        {"label": "Loyer", "amount": "NaN"},
        {"label": "Loyer", "amount": "9" * 40},
        {"label": "Loyer", "amount": "12", "split_mode": "custom", "custom_share1": "Infinity"},
        {"label": "Loyer", "amount": "12", "extra": "ignored", "active": "maybe"},
    ],
)
def test_odd_input_is_never_a_server_error(
    browser: Browser, api: Api, body: dict[str, str]
) -> None:
    response = browser.post("/settings/fixed-lines", body)
    assert response.status_code in (303, 422), response.text


def test_the_page_speaks_french(browser: Browser, api: Api) -> None:
    api.create("/fixed-lines", make_fixed_line(frequency="annual", amount=1200))
    browser.cookies["foyer_lang"] = "fr"
    page = browser.get("/settings")
    assert '<html lang="fr">' in page.text
    assert "Charges fixes" in page.text
    assert "Annuelle" in page.text
    assert Words("fr").money(100) in page.text
    error = browser.post("/settings/fixed-lines", {"label": "", "amount": "1"})
    assert field_error(error.text, "fixed-new-label") == "Obligatoire."
