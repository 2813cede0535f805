"""The Imports room in a real Chromium (SPEC §11): a bank file uploaded through the page, its
preview with a duplicate marked, the commit's progress reaching its result, the dashboard's
month, undo; a job's progress polled by htmx until it finishes; rules added and applied
from the page; no serious accessibility violation on the room's pages, in both languages."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from fastapi import FastAPI
from playwright.sync_api import Page, expect
from sqlalchemy import Engine

from foyer.auth.security import issue_token
from foyer.db.engine import Database
from foyer.services import jobs as job_rows
from tests.factories import Api, make_transaction
from tests.web.axe import axe_violations, describe

FIXTURES = Path(__file__).parents[1] / "imports" / "fixtures"
CAFE = "CARTE X1234 19/01 CAFÉ DE LA GARE"


def sign_in(page: Page, live_server: str, live_app: FastAPI, household_id: int) -> None:
    """The session cookie as /login would set it (the sign-in form has its own tests)."""
    secret = live_app.state.foyer.secret
    token = issue_token(secret, user_id=0, household_id=household_id, ttl_minutes=60)
    page.context.add_cookies(
        [{"name": "foyer_session", "value": token, "url": live_server, "httpOnly": True}]
    )


def settled(page: Page) -> None:
    page.wait_for_function(
        "!document.querySelector('.htmx-request, .htmx-swapping, .htmx-settling')"
    )


def test_a_bank_file_from_the_page_to_the_dashboard_and_back(
    live_server: str, live_app: FastAPI, page: Page, api: Api
) -> None:
    api.create_transactions(make_transaction(date="2024-01-20", amount=-2.10, label=CAFE))
    sign_in(page, live_server, live_app, api.household_id)
    page.goto(f"{live_server}/imports")

    page.get_by_label("Bank file", exact=True).set_input_files(
        FIXTURES / "ca_latin1_debit_credit.csv"
    )
    page.get_by_role("button", name="Preview").click()

    expect(page).to_have_url(re.compile(r"/imports/\d+$"))
    duplicate = page.locator("table.im-rows tbody tr.im-dup")
    expect(duplicate).to_have_count(1)
    expect(duplicate).to_contain_text("CAFÉ DE LA GARE")
    expect(duplicate.locator("td.im-col-status")).to_have_text("Duplicate")
    expect(page.locator("table.im-rows tbody tr")).to_have_count(5)
    assert api.ok("/imports")["items"][0]["status"] == "preview"

    page.get_by_role("button", name="Import 4 new rows").click()

    expect(page).to_have_url(re.compile(r"/imports/jobs/\d+\?month=2024-01$"))
    expect(page.locator(".im-job-status")).to_have_text("Finished · 100%")
    expect(page.locator(".im-job progress")).to_have_attribute("value", "100")
    expect(page.locator(".im-job dd")).to_have_text(["4", "1", "0"])
    assert page.locator(".im-job[hx-trigger]").count() == 0
    page.get_by_role("link", name="See January 2024 on the dashboard").click()
    expect(page).to_have_url(f"{live_server}/?month=2024-01")
    assert len(api.ok("/transactions", limit=200)["items"]) == 5

    page.goto(f"{live_server}/imports")
    entry = page.locator(".im-entry", has_text="ca_latin1_debit_credit.csv")
    entry.locator("summary").click()
    entry.get_by_role("button", name=re.compile("^Yes, undo the import")).click()

    expect(page.locator(".im-notice")).to_have_text("Done: the import is undone.")
    expect(entry.locator(".im-badge")).to_have_text("Undone")
    assert [r["label"] for r in api.ok("/transactions", limit=200)["items"]] == [CAFE]


def test_a_jobs_progress_is_polled_until_it_is_finished(
    live_server: str, live_app: FastAPI, page: Page, api: Api, engine: Engine
) -> None:
    lease = dt.timedelta(minutes=5)
    database = Database(engine)
    with database.unit_of_work() as conn:
        job_id = job_rows.create(
            conn, household_id=api.household_id, kind="commit_import", payload={}, lease=lease
        )
    sign_in(page, live_server, live_app, api.household_id)
    page.goto(f"{live_server}/imports/jobs/{job_id}?month=2024-01")
    status = page.locator(".im-job-status")
    expect(status).to_have_text("Waiting to start · 0%")

    with database.unit_of_work() as conn:
        claimed = job_rows.claim(conn, job_id, lease=lease)
        assert claimed is not None
        job_rows.set_progress(conn, job_id, claimed.attempts, 0.5, lease=lease)
    expect(status).to_have_text("In progress · 50%")
    with database.unit_of_work() as conn:
        result = {"rows": 3, "inserted": 2, "duplicates": 1, "errors": 0}
        assert job_rows.succeed(conn, job_id, claimed.attempts, result)

    expect(status).to_have_text("Finished · 100%")
    expect(page.locator(".im-job dd")).to_have_text(["2", "1", "0"])
    expect(page.get_by_role("link", name="See January 2024 on the dashboard")).to_be_visible()
    settled(page)
    assert page.locator(".im-job[hx-trigger]").count() == 0  # polling stopped


def test_a_rule_added_and_applied_from_the_page(
    live_server: str, live_app: FastAPI, page: Page, api: Api
) -> None:
    [tid] = api.create_transactions(
        make_transaction(
            date="2025-06-12",
            label="CB CARREFOUR MARKET",
            category="divers",
            category_parent="autres",
        )
    )
    sign_in(page, live_server, live_app, api.household_id)
    page.goto(f"{live_server}/imports/rules")

    page.get_by_label("Name").fill("Courses")
    page.get_by_label("Label contains").fill("carrefour")
    page.get_by_label("Amount at most").fill("-0,01")
    page.get_by_label("Category", exact=True).fill("courses")
    page.get_by_label("Category parent").fill("alimentation")
    page.get_by_role("button", name="Add the rule").click()

    expect(page.locator(".im-notice")).to_have_text("Rule created.")
    expect(page.locator(".im-entry", has_text="Courses")).to_contain_text("carrefour")
    page.get_by_label("From", exact=True).fill("2025-06")
    page.get_by_label("To", exact=True).fill("2025-06")
    page.get_by_role("button", name="Apply the rules").click()

    job = page.locator("#apply-job .im-job")
    expect(job.locator(".im-job-status")).to_have_text("Finished · 100%")
    expect(job.locator("dd")).to_have_text(["1", "1", "1"])
    expect(page).to_have_url(f"{live_server}/imports/rules?done=created#main")  # htmx: no reload
    assert api.ok(f"/transactions/{tid}")["category"] == "courses"


@pytest.mark.parametrize("page_locale", ["en-GB", "fr-FR"])
def test_no_serious_accessibility_violation(
    live_server: str, live_app: FastAPI, page: Page, api: Api, page_locale: str
) -> None:
    ids = api.create_transactions(
        make_transaction(date="2024-01-20", amount=-2.10, label=CAFE),
        *[make_transaction(date=f"2024-01-0{d}", amount=-3, label="BOULANGERIE") for d in (1, 2)],
    )
    for tid in ids[1:]:
        body = {"category": "pain", "category_parent": "alimentation"}
        assert api.patch(f"/transactions/{tid}", body).status_code == 200
    rule_id = api.create(
        "/rules",
        {"name": "Café", "match": {"label_regex": "CAF[ÉE]"}, "set": {"expense_type": "FIXED"}},
    )
    sign_in(page, live_server, live_app, api.household_id)
    assert page.goto(f"{live_server}/imports") is not None
    assert page.locator("html").get_attribute("lang") == page_locale[:2]

    def check(where: str) -> None:
        found = axe_violations(page)
        assert not found, f"{where}: {describe(found)}"

    page.locator("#import-file").set_input_files(FIXTURES / "letter.txt")
    page.locator("form.stack button[type=submit]").click()
    expect(page.locator("#upload-error")).to_be_visible()
    check("imports, with an upload error")
    page.locator("#import-file").set_input_files(FIXTURES / "ca_latin1_debit_credit.csv")
    page.locator("form.stack button[type=submit]").click()
    expect(page.locator("tr.im-dup")).to_have_count(1)
    check("preview")
    page.locator(".im-actions > form button").click()
    expect(page.locator(".im-job progress")).to_have_attribute("value", "100")
    check("job")
    page.goto(f"{live_server}/imports")
    page.locator(".im-confirm summary").first.click()
    check("imports, undo open")
    page.locator("#import-file").set_input_files(FIXTURES / "bad_lines.csv")
    page.locator("form.stack button[type=submit]").click()
    expect(page.locator(".im-line-errors li")).to_have_count(5)
    check("preview with line errors")
    page.goto(f"{live_server}/imports/rules")
    expect(page.locator(".im-suggestion")).to_have_count(1)
    page.locator("#rule-name").fill("x")
    page.locator("#rule-label-regex").fill("(")
    page.locator(".im-rule-form button[type=submit]").click()
    expect(page.locator(".im-rule-form .error")).to_be_visible()
    page.locator(".im-apply button").click()
    expect(page.locator("#apply-job .im-job")).to_be_visible()
    settled(page)
    page.locator(".im-entry .im-confirm summary").first.click()
    check("rules")
    page.goto(f"{live_server}/imports/rules/{rule_id}")
    check("rule edit")
