"""The Imports room over HTTP without a browser (SPEC §11): upload → preview (duplicates
marked) → fixes re-parsed → commit as a job → rows in the API → undo; files that are not bank
exports and files too large shown on the page; rules CRUD, suggestions and their application
to months; CSRF; another household's ids. The suite's apps run jobs inside the request."""

from __future__ import annotations

import datetime as dt
import re
from html import unescape
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from foyer.auth.security import issue_token
from foyer.db.engine import Database
from foyer.services import aggregates
from foyer.services import jobs as job_rows
from foyer.web import imports_pages
from foyer.web.i18n import Words
from tests.factories import Api, make_transaction
from tests.web.pages import CSRF, Browser, signed_in

pytestmark = pytest.mark.parametrize("backend", ["sqlite", "postgresql"], indirect=True)

FIXTURES = Path(__file__).parents[1] / "imports" / "fixtures"
CAFE = "CARTE X1234 19/01 CAFÉ DE LA GARE"
FIX = {
    "delimiter": "semicolon",
    "delimiter_was": "semicolon",
    "decimal": "comma",
    "thousands": "none",
    "date_format": "%d/%m/%Y",
    "map_date": "Date",
    "map_label": "Libelle",
    "map_amount": "Montant",
}


class Uploader(Browser):
    """A browser that also posts files, as the upload form does (multipart, the CSRF token
    in the form's own field: the script is not needed for it)."""

    def upload(
        self, content: bytes, name: str = "releve.csv", *, csrf: str | None = CSRF, **form: str
    ) -> Any:
        fields = dict(form) if csrf is None else {**form, "csrf_token": csrf}
        files = {"file": (name, content, "text/csv")}
        return self._send("POST", "/imports", {}, files=files, data=fields)


def browser_for(client: TestClient, household_id: int) -> Uploader:
    secret = client.app.state.foyer.secret  # type: ignore[attr-defined]
    token = issue_token(secret, user_id=0, household_id=household_id, ttl_minutes=60)
    browser = Uploader(client, household_id)
    browser.cookies.update({"foyer_session": token, "foyer_csrf": CSRF})
    return browser


@pytest.fixture
def web(client: TestClient, api: Api) -> Uploader:
    """A browser signed in to `api`'s household."""
    return browser_for(client, api.household_id)


def text(html: str) -> str:
    """The page's text, tags dropped, entities read, spaces (incl. no-break) collapsed."""
    shown = unescape(re.sub(r"<[^>]+>", " ", html))
    return " ".join(shown.replace("\u202f", " ").replace("\xa0", " ").split())


def preview_rows(html: str) -> list[tuple[bool, str]]:
    """The preview table's rows: (marked duplicate, the row's text)."""
    body = html.split('<table class="im-rows">', 1)[1].split("</table>", 1)[0]
    return [
        (bool(dup), text(cells))
        for dup, cells in re.findall(r'<tr( class="im-dup")?>(.*?)</tr>', body, re.S)
        if "<td" in cells
    ]


def uploaded(web: Uploader, content: bytes, name: str = "releve.csv") -> tuple[int, str]:
    """Upload → 303 to the preview; its id and page."""
    response = web.upload(content, name)
    assert response.status_code == 303, response.text
    location = response.headers["location"]
    match = re.fullmatch(r"/imports/(\d+)", location)
    assert match, location
    page = web.get(location)
    assert page.status_code == 200, page.text
    return int(match.group(1)), page.text


def committed(web: Uploader, import_id: int, month: str = "") -> str:
    """Commit → 303 to the job's page (the job ran in the request); the page."""
    response = web.post(f"/imports/{import_id}/commit", {"month": month})
    assert response.status_code == 303, response.text
    assert re.fullmatch(r"/imports/jobs/\d+(\?month=\d{4}-\d{2})?", response.headers["location"])
    page = web.get(response.headers["location"])
    assert page.status_code == 200, page.text
    return str(page.text)


def statement(*rows: str, header: str = "Date;Libelle;Montant") -> bytes:
    return (header + "\n" + "".join(f"{row}\n" for row in rows)).encode()


def test_a_preview_shows_the_rows_and_marks_duplicates(web: Uploader, api: Api) -> None:
    # The household holds one of the file's two identical coffees: the first is a duplicate.
    api.create_transactions(make_transaction(date="2024-01-20", amount=-2.10, label=CAFE))
    front = web.get("/imports")
    assert front.status_code == 200
    assert 'enctype="multipart/form-data"' in front.text
    assert "up to 20 MiB" in text(front.text)

    import_id, page = uploaded(web, (FIXTURES / "ca_latin1_debit_credit.csv").read_bytes())

    shown = text(page)
    for fact in ("CSV", "cp1252", "Semicolon ;", "Comma ,", "DD/MM/YYYY"):
        assert fact in shown, fact
    assert "Rows 5 New 4 Duplicates 1 Errors 0" in shown
    rows = preview_rows(page)
    assert len(rows) == 5
    cafes = [(dup, row) for dup, row in rows if "CAFÉ DE LA GARE" in row]
    assert [dup for dup, _ in cafes] == [True, False]
    assert cafes[0][1].endswith("Duplicate")  # said in words, not only by its colour
    assert cafes[1][1].endswith("New")
    assert "Import 4 new rows" in shown
    # The mapping as detected, as selects the user can change.
    assert re.search(r'<option value="Débit euros" selected>', page)
    assert 'name="map_credit"' in page
    assert len(api.ok("/transactions")["items"]) == 1  # nothing inserted by a preview
    [listed] = api.ok("/imports")["items"]
    assert (listed["id"], listed["status"]) == (import_id, "preview")


def test_line_errors_are_listed_with_their_numbers(web: Uploader) -> None:
    _, page = uploaded(web, (FIXTURES / "bad_lines.csv").read_bytes())
    shown = text(page)
    assert "Lines that could not be read" in shown
    assert "Line 3: date '32/02/2024' is not a calendar date" in shown
    assert "Errors 5" in shown


def test_a_mapping_fix_reparses_the_preview(web: Uploader, api: Api) -> None:
    content = statement("05/02/2024;ABONNEMENT;-10,00;-1,00", header="Date;Libelle;Montant;Frais")
    import_id, page = uploaded(web, content)
    en = Words("en")
    assert en.money(-10) in page

    fixed = web.post(f"/imports/{import_id}", {**FIX, "map_amount": "Frais"})

    assert (fixed.status_code, fixed.headers["location"]) == (
        303,
        f"/imports/{import_id}?done=reparsed",
    )
    page = web.get(fixed.headers["location"]).text
    assert "The file was read again with your choices." in page
    assert en.money(-1) in page
    assert en.money(-10) not in page
    assert re.search(r'<option value="Frais" selected>', page)
    # A date format fix reads 05/02 as May the 2nd.
    month_first = web.post(
        f"/imports/{import_id}", {**FIX, "map_amount": "Frais", "date_format": "%m/%d/%Y"}
    )
    assert month_first.status_code == 303
    assert en.date("2024-05-02") in web.get(f"/imports/{import_id}").text
    # Committed with the fix: the API holds the fee, not the amount.
    committed(web, import_id)
    assert [(r["date"], r["amount"]) for r in api.ok("/transactions")["items"]] == [
        ("2024-05-02", -1.0)
    ]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"map_amount": "Nope"}, "These columns do not fit the file: no column named 'Nope'"),
        ({"map_amount": ""}, "a mapping needs either 'amount' or 'debit'/'credit'"),
        ({"map_date": ""}, "Choose the date and label columns."),
        ({"decimal": "semicolon"}, "The decimal mark must be a comma or a full stop."),
        ({"delimiter": "comma"}, "This file cannot be read as a bank export"),
        ({"thousands": "several"}, "Unexpected value: several"),
    ],
)
def test_a_fix_that_does_not_fit_is_shown_on_the_page(
    web: Uploader, api: Api, change: dict[str, str], message: str
) -> None:
    import_id, _ = uploaded(web, statement("05/02/2024;ABONNEMENT;-10,00"))

    response = web.post(f"/imports/{import_id}", {**FIX, **change})

    assert response.status_code == 422
    alert = re.search(r'<p class="error" role="alert">(.*?)</p>', response.text, re.S)
    assert alert is not None
    assert message in unescape(alert.group(1))
    assert "ABONNEMENT" in response.text  # the preview is still there, as it was
    assert api.ok("/imports")["items"][0]["counts"]["rows"] == 1


def test_commit_runs_the_job_then_undo_removes_the_rows(
    web: Uploader, api: Api, engine: Engine
) -> None:
    import_id, page = uploaded(web, (FIXTURES / "bnp_nbsp_balance.csv").read_bytes())
    month = re.search(r'name="month" value="(\d{4}-\d{2})"', page)
    assert month is not None
    assert month.group(1) == "2024-01"

    job_page = committed(web, import_id, month.group(1))

    shown = text(job_page)
    assert "Finished · 100%" in shown
    assert "Rows added 4 Duplicates skipped 0 Lines with errors 0" in shown
    assert 'href="/?month=2024-01"' in job_page
    assert "See January 2024 on the dashboard" in shown
    assert 'progress max="100" value="100"' in job_page
    assert "hx-trigger" not in job_page  # finished: nothing polls
    rows = api.ok("/transactions")["items"]
    assert len(rows) == 4
    assert {r["import_id"] for r in rows} == {str(import_id)}
    history = text(web.get("/imports").text)
    assert "releve.csv Imported" in history
    assert "Added 4" in history

    undone = web.post(f"/imports/{import_id}/undo", {})

    assert (undone.status_code, undone.headers["location"]) == (303, "/imports?done=undone")
    assert api.ok("/transactions")["items"] == []
    assert api.ok("/imports")["items"][0]["status"] == "undone"
    assert "releve.csv Undone" in text(web.get("/imports?done=undone").text)
    with Database(engine).read() as conn:
        assert aggregates.verify(conn) == []
    again = web.post(f"/imports/{import_id}/commit", {})
    assert again.status_code == 409
    assert "This import was undone" in again.text


@pytest.mark.parametrize(
    ("fixture", "reason"),
    [
        ("statement.pdf", "PDF"),
        ("contacts.csv", "no header"),
        ("letter.txt", "This file cannot be read as a bank export"),
    ],
)
def test_a_file_that_is_not_a_bank_export_shows_its_reason(
    web: Uploader, api: Api, fixture: str, reason: str
) -> None:
    response = web.upload((FIXTURES / fixture).read_bytes(), fixture)

    assert response.status_code == 422
    alert = re.search(r'<p class="error" role="alert"[^>]*>(.*?)</p>', response.text, re.S)
    assert alert is not None
    assert reason in alert.group(1)
    assert api.ok("/imports") == {"items": []}


def test_no_file_is_said_so(web: Uploader, api: Api) -> None:
    response = web._send(
        "POST",
        "/imports",
        {},
        files={"file": ("", b"", "application/octet-stream")},
        data={"csrf_token": CSRF},
    )
    assert response.status_code == 422
    assert "Choose a bank file to import." in response.text
    assert api.ok("/imports") == {"items": []}


def test_the_upload_takes_bank_files_up_to_the_import_limit(fresh_app: Any, engine: Engine) -> None:
    assert imports_pages.UPLOAD_PATH == "/imports"  # foyer.app lets it through up to the limit
    app: FastAPI = fresh_app(import_max_bytes=2048, max_body_bytes=1024)
    rows = [f"0{d % 9 + 1}/05/2024;ACHAT {d};-1,{d % 90 + 10}" for d in range(40)]
    with TestClient(app, raise_server_exceptions=False) as client:
        small = signed_in(client, engine, email="sam@example.com", household="Small")
        web = browser_for(client, small.household_id)
        fits = web.upload(statement(*rows))  # ~1.2 KiB: over the general limit, not this one's
        assert fits.status_code == 303, fits.text

        too_big = web.upload(statement(*rows * 3))

        assert too_big.status_code == 413
        assert "This file is too large: the limit is 2 KiB." in text(too_big.text)
        assert 'role="alert"' in too_big.text
        assert web.get("/imports").text.count('<li class="im-entry">') == 1


def test_unsafe_requests_without_the_csrf_token_are_refused(web: Uploader, api: Api) -> None:
    import_id, _ = uploaded(web, statement("05/02/2024;ABONNEMENT;-10,00"))
    rule = {"name": "x", "label_contains": "ABONNEMENT", "category": "abonnements"}
    rule_id = api.create(
        "/rules", {"name": "r", "match": {"label_contains": "a"}, "set": {"exclude": True}}
    )
    for csrf in (None, "wrong-token"):
        assert web.upload(statement("06/02/2024;AUTRE;-1,00"), csrf=csrf).status_code == 403
        assert web.post(f"/imports/{import_id}", FIX, csrf=csrf).status_code == 403
        assert web.post(f"/imports/{import_id}/commit", {}, csrf=csrf).status_code == 403
        assert web.post(f"/imports/{import_id}/undo", {}, csrf=csrf).status_code == 403
        assert web.post("/imports/rules", rule, csrf=csrf).status_code == 403
        assert web.post(f"/imports/rules/{rule_id}", rule, csrf=csrf).status_code == 403
        assert web.post(f"/imports/rules/{rule_id}/delete", {}, csrf=csrf).status_code == 403
        span = {"from": "2024-01", "to": "2024-02"}
        assert web.post("/imports/rules/apply", span, csrf=csrf).status_code == 403
    [listed] = api.ok("/imports")["items"]
    assert (listed["status"], listed["counts"]["rows"]) == ("preview", 1)
    assert [r["name"] for r in api.ok("/rules")["items"]] == ["r"]
    assert api.ok("/jobs")["items"] == []


def test_pages_need_a_session(client: TestClient) -> None:
    anonymous = Browser(client)
    for path in ("/imports", "/imports/1", "/imports/rules", "/imports/jobs/1"):
        response = anonymous.get(path)
        assert (response.status_code, response.headers["location"]) == (
            303,
            f"/login?next={path}",
        )


def test_another_households_import_job_and_rule_are_not_found(
    web: Uploader, api: Api, client: TestClient, engine: Engine
) -> None:
    import_id, _ = uploaded(web, statement("05/02/2024;ABONNEMENT;-10,00"))
    rule_id = api.create(
        "/rules", {"name": "Mine", "match": {"label_contains": "a"}, "set": {"category": "x"}}
    )
    job_page = committed(web, import_id)
    job_id = int(re.findall(r'id="job-(\d+)"', job_page)[0])
    mallory = browser_for(
        client, signed_in(client, engine, email="m@example.com", household="Elsewhere").household_id
    )
    theirs = {"name": "Stolen", "label_contains": "a", "category": "stolen"}

    for method, path, body in [
        ("GET", f"/imports/{import_id}", None),
        ("POST", f"/imports/{import_id}", FIX),
        ("POST", f"/imports/{import_id}/commit", {}),
        ("POST", f"/imports/{import_id}/undo", {}),
        ("GET", f"/imports/jobs/{job_id}", None),
        ("GET", f"/imports/jobs/{job_id}/progress", None),
        ("GET", f"/imports/rules/{rule_id}", None),
        ("POST", f"/imports/rules/{rule_id}", theirs),
        ("POST", f"/imports/rules/{rule_id}/delete", {}),
    ]:
        response = mallory.get(path) if method == "GET" else mallory.post(path, body or {})
        assert response.status_code == 404, (method, path)
        assert "Not found." in response.text

    assert api.ok("/imports")["items"][0]["status"] == "committed"
    assert len(api.ok("/transactions")["items"]) == 1
    assert api.ok(f"/rules/{rule_id}")["name"] == "Mine"
    assert "ABONNEMENT" not in mallory.get("/imports").text
    assert "Mine" not in mallory.get("/imports/rules").text


def test_rules_are_created_edited_applied_and_deleted_from_the_pages(
    web: Uploader, api: Api
) -> None:
    [tid] = api.create_transactions(
        make_transaction(date="2025-06-12", amount=-54.3, label="CB CARREFOUR MARKET")
    )
    form = {
        "name": "Courses",
        "priority": "10",
        "label_contains": "carrefour",
        "amount_max": "-0,01",
        "category": "courses",
        "category_parent": "alimentation",
        "expense_type": "VARIABLE",
        "tags": "food, weekly",
        "exclude": "",
    }

    created = web.post("/imports/rules", form)

    assert (created.status_code, created.headers["location"]) == (
        303,
        "/imports/rules?done=created#main",
    )
    [rule] = api.ok("/rules")["items"]
    assert (rule["name"], rule["priority"]) == ("Courses", 10)
    assert rule["match"] == {"label_contains": "carrefour", "amount_max": -0.01}
    assert rule["set"] == {
        "category": "courses",
        "category_parent": "alimentation",
        "expense_type": "VARIABLE",
        "tags": ["food", "weekly"],
    }
    listing = text(web.get("/imports/rules?done=created").text)
    assert "Rule created." in listing
    assert "Courses Priority 10" in listing
    assert "label contains “carrefour”" in listing
    assert "category courses · parent alimentation · type Variable · tags food, weekly" in listing

    edit = web.get(f"/imports/rules/{rule['id']}")
    assert 'value="-0.01"' in edit.text
    assert 'value="food, weekly"' in edit.text
    saved = web.post(f"/imports/rules/{rule['id']}", {**form, "priority": "5", "exclude": "true"})
    assert saved.headers["location"] == "/imports/rules?done=updated"
    changed = api.ok(f"/rules/{rule['id']}")
    assert (changed["priority"], changed["set"]["exclude"]) == (5, True)

    applied = web.post("/imports/rules/apply", {"from": "2025-05", "to": "2025-06"})

    assert applied.status_code == 303
    assert applied.headers["location"].endswith("?month=2025-06")
    shown = text(web.get(applied.headers["location"]).text)
    assert "Applying the rules" in shown
    assert "Rows changed 1 Rows examined 1 Months 2" in shown
    row = api.ok(f"/transactions/{tid}")
    assert (row["category"], row["exclude"], row["tags"]) == ("courses", True, ["food", "weekly"])

    deleted = web.post(f"/imports/rules/{rule['id']}/delete", {})
    assert deleted.headers["location"] == "/imports/rules?done=deleted"
    assert api.ok("/rules")["items"] == []
    assert web.post(f"/imports/rules/{rule['id']}/delete", {}).status_code == 404


def test_applying_with_htmx_answers_the_progress_fragment(web: Uploader, api: Api) -> None:
    api.create("/rules", {"name": "r", "match": {"label_contains": "x"}, "set": {"exclude": True}})
    htmx = {"HX-Request": "true"}

    response = web.post("/imports/rules/apply", {"from": "2025-06", "to": "2025-06"}, headers=htmx)

    assert response.status_code == 200
    assert response.text.startswith('<section class="card im-job"')
    assert "Finished" in response.text
    wrong = web.post("/imports/rules/apply", {"from": "2025-07", "to": "2025-06"}, headers=htmx)
    assert wrong.status_code == 200  # htmx swaps 2xx only: the error is shown in place
    assert 'role="alert"' in wrong.text
    assert "'from' is after 'to'" in unescape(wrong.text)


@pytest.mark.parametrize(
    ("form", "message"),
    [
        ({"name": "", "label_contains": "a", "category": "c"}, "Name: String should have"),
        ({"name": "n", "category": "c"}, "a rule needs at least one condition in 'match'"),
        ({"name": "n", "label_contains": "a"}, "a rule needs at least one field in 'set'"),
        ({"name": "n", "label_regex": "(", "category": "c"}, "label_regex is not a valid"),
        (
            {"name": "n", "label_contains": "a", "amount_min": "abc", "category": "c"},
            "Amount at least:",
        ),
        ({"name": "n", "label_contains": "a", "priority": "-1", "category": "c"}, "Priority:"),
        (
            {
                "name": "n",
                "label_contains": "a",
                "amount_min": "5",
                "amount_max": "1",
                "category": "c",
            },
            "amount_min is above amount_max",
        ),
    ],
)
def test_a_rule_the_api_would_refuse_is_refused_with_its_reason(
    web: Uploader, api: Api, form: dict[str, str], message: str
) -> None:
    response = web.post("/imports/rules", form)

    assert response.status_code == 422
    assert 'role="alert"' in response.text
    assert message in unescape(response.text)
    assert f'value="{form["name"]}"' in response.text  # what was typed is kept
    assert api.ok("/rules")["items"] == []


def test_a_suggestion_becomes_a_rule_with_one_button(web: Uploader, api: Api) -> None:
    ids = api.create_transactions(
        *[
            make_transaction(date=f"2025-06-0{d}", amount=-3, label="BOULANGERIE PAUL")
            for d in (1, 2)
        ]
    )
    for tid in ids:
        body = {"category": "pain", "category_parent": "alimentation"}
        assert api.patch(f"/transactions/{tid}", body).status_code == 200
    page = web.get("/imports/rules").text
    assert "“BOULANGERIE PAUL” → pain (alimentation), moved 2 times" in text(page)
    form = page.split('class="im-entry im-suggestion"', 1)[1].split("</form>", 1)[0]
    fields = dict(re.findall(r'<input type="hidden" name="([a-z_]+)" value="([^"]*)">', form))
    assert fields.pop("csrf_token") == CSRF

    response = web.post("/imports/rules", fields)

    assert response.status_code == 303
    [rule] = api.ok("/rules")["items"]
    [suggested] = api.ok("/rules/suggestions")["items"] or [None]  # now covered: none left
    assert suggested is None
    assert (rule["name"], rule["priority"], rule["match"], rule["set"]) == (
        "BOULANGERIE PAUL → pain",
        1000,
        {"label_contains": "BOULANGERIE PAUL"},
        {"category": "pain", "category_parent": "alimentation"},
    )
    assert "No suggestions for now." in web.get("/imports/rules").text


def test_the_progress_fragment_polls_until_the_job_is_finished(
    web: Uploader, engine: Engine
) -> None:
    lease = dt.timedelta(minutes=5)
    with Database(engine).unit_of_work() as conn:
        job_id = job_rows.create(
            conn, household_id=web.household_id, kind="commit_import", payload={}, lease=lease
        )
    queued = web.get(f"/imports/jobs/{job_id}/progress?month=2024-01").text
    assert 'hx-trigger="every 1s"' in queued
    assert f'hx-get="/imports/jobs/{job_id}/progress?month=2024-01"' in queued
    assert "Waiting to start · 0%" in text(queued)
    with Database(engine).unit_of_work() as conn:
        claimed = job_rows.claim(conn, job_id, lease=lease)
        assert claimed is not None
        job_rows.set_progress(conn, job_id, claimed.attempts, 0.5, lease=lease)
    running = web.get(f"/imports/jobs/{job_id}/progress?month=2024-01").text
    assert 'hx-trigger="every 1s"' in running
    assert 'value="50"' in running
    assert "In progress · 50%" in text(running)
    assert "See January 2024" not in running
    result = {"rows": 3, "inserted": 2, "duplicates": 1, "errors": 0}
    with Database(engine).unit_of_work() as conn:
        assert job_rows.succeed(conn, job_id, claimed.attempts, result)

    done = web.get(f"/imports/jobs/{job_id}/progress?month=2024-01").text

    assert "hx-trigger" not in done
    assert "Rows added 2 Duplicates skipped 1 Lines with errors 0" in text(done)
    assert "See January 2024 on the dashboard" in text(done)
    assert web.get(f"/imports/jobs/{job_id}/progress?month=../x").text.count("?month") == 0


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_every_page_of_the_room_speaks_both_languages(web: Uploader, api: Api, lang: str) -> None:
    web.cookies["foyer_lang"] = lang
    api.create(
        "/rules",
        {
            "name": "r",
            "match": {"label_contains": "x", "amount_min": -5},
            "set": {"exclude": False, "expense_type": "FIXED", "tags": ["t"]},
        },
    )
    [rule] = api.ok("/rules")["items"]
    import_id, page = uploaded(web, (FIXTURES / "sg_tab_short_dates.tsv").read_bytes(), "sg.tsv")
    assert f'<html lang="{lang}">' in page
    _, qif = uploaded(web, (FIXTURES / "statement.qif").read_bytes(), "s.qif")
    assert 'name="delimiter"' not in qif
    assert 'name="map_date"' not in qif
    _, ofx = uploaded(web, (FIXTURES / "statement_v1.ofx").read_bytes(), "s.ofx")
    assert "im-mapping" not in ofx
    job = committed(web, import_id, "2024-01")
    for path in (
        "/imports",
        "/imports/rules",
        f"/imports/rules/{rule['id']}",
        f"/imports/{import_id}",
    ):
        assert web.get(path).status_code == 200, path
    assert ("Voir janvier 2024" if lang == "fr" else "See January 2024") in text(job)
