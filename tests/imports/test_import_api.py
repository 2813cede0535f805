"""/imports over HTTP (SPEC §8): preview, fixes, commit as a job, duplicates by occurrence
counting, history, undo, limits. The suite's app runs jobs inside the request."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from tests import oracles
from tests.factories import Api, household_api, make_transaction
from tests.helpers import JSON, assert_envelope, cents

FIXTURES = Path(__file__).parent / "fixtures"
PREVIEW_FIELDS = {
    "id",
    "status",
    "format",
    "encoding",
    "dialect",
    "columns",
    "mapping",
    "counts",
    "rows",
    "errors",
}
CFG: JSON = {
    "member1_name": "Alex",
    "member2_name": "Sam",
    "income1": 300_000,
    "income2": 200_000,
    "tax_rate1": 1_000,
    "tax_rate2": 500,
    "split_mode": "income",
    "manual_share1": 5_000,
}


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def statement(*rows: str) -> bytes:
    return ("Date;Libellé;Montant\n" + "".join(f"{row}\n" for row in rows)).encode()


def upload(api: Api, content: bytes, name: str = "releve.csv") -> JSON:
    response = api.upload(content, name=name)
    assert response.status_code == 201, response.text
    body: JSON = response.json()
    return body


def commit(api: Api, import_id: int) -> JSON:
    started = api.post(f"/imports/{import_id}/commit", None)
    assert started.status_code == 202, started.text
    assert set(started.json()) == {"job_id"}
    job: JSON = api.ok(f"/jobs/{started.json()['job_id']}")
    assert job["status"] == "succeeded", job
    result: JSON = job["result"]
    return result


def rows_of(api: Api) -> list[JSON]:
    items: list[JSON] = api.ok("/transactions", limit=200)["items"]
    return items


def views(api: Api, month: str) -> tuple[Any, Any]:
    return api.ok("/dashboard/summary", month=month), api.ok("/transactions/hierarchy", month=month)


def set_config(api: Api) -> None:
    body = {
        **CFG,
        "income1": CFG["income1"] / 100,
        "income2": CFG["income2"] / 100,
        "tax_rate1": CFG["tax_rate1"] / 100,
        "tax_rate2": CFG["tax_rate2"] / 100,
        "manual_share1": CFG["manual_share1"] / 100,
    }
    assert api.put("/config", body).status_code == 200


def test_a_preview_shows_the_files_reading_and_inserts_nothing(api: Api) -> None:
    preview = upload(api, fixture("bnp_nbsp_balance.csv"), "bnp.csv")

    assert set(preview) == PREVIEW_FIELDS
    assert (preview["status"], preview["format"], preview["encoding"]) == (
        "preview",
        "csv",
        "utf-8",
    )
    assert preview["dialect"] == {
        "delimiter": ";",
        "decimal": ",",
        "thousands": "\u00a0",
        "date_format": "%d/%m/%Y",
    }
    assert preview["mapping"] == {
        "date": "Date opération",
        "label": "Libellé",
        "amount": "Montant(EUROS)",
    }
    assert preview["counts"] == {"rows": 4, "duplicates": 0, "errors": 0}
    assert preview["rows"][0] == {
        "line": 2,
        "date": "2024-01-02",
        "label": "PRLV SEPA LOYER RESIDENCE DES TILLEULS",
        "amount": -1234.56,
        "duplicate": False,
        "category": None,
    }
    assert rows_of(api) == []
    [listed] = api.ok("/imports")["items"]
    assert (listed["file_name"], listed["status"], listed["counts"]) == (
        "bnp.csv",
        "preview",
        preview["counts"],
    )


def test_lines_that_fail_are_reported_with_their_number(api: Api) -> None:
    preview = upload(api, fixture("bad_lines.csv"))

    assert preview["counts"] == {"rows": 2, "duplicates": 0, "errors": 5}
    assert preview["errors"][0] == {
        "line": 3,
        "message": "date '32/02/2024' is not a calendar date",
    }


def test_a_commit_inserts_the_rows_and_the_views_equal_recomputation(api: Api) -> None:
    set_config(api)
    preview = upload(api, fixture("bnp_nbsp_balance.csv"))

    result = commit(api, preview["id"])

    assert result == {"rows": 4, "inserted": 4, "duplicates": 0, "errors": 0}
    rows = rows_of(api)
    assert {r["import_id"] for r in rows} == {str(preview["id"])}
    txs = [
        {
            "date": dt.date.fromisoformat(r["date"]),
            "amount": cents(r["amount"]),
            "category": "uncategorized",
            "category_parent": "uncategorized",
            "exclude": False,
            "expense_type": "VARIABLE",
        }
        for r in preview["rows"]
    ]
    summary, hierarchy = views(api, "2024-01")
    assert summary == oracles.summary("2024-01", CFG, [], [], txs)
    assert hierarchy == oracles.hierarchy("2024-01", txs)
    [listed] = api.ok("/imports")["items"]
    assert (listed["status"], listed["inserted"]) == ("committed", 4)
    assert listed["committed_at"] is not None


def test_an_overlapping_statement_inserts_only_the_new_rows(api: Api) -> None:
    first = upload(
        api,
        statement(
            "01/03/2024;CAFE DU COIN;-2,50",
            "01/03/2024;CAFE DU COIN;-2,50",
            "02/03/2024;LOYER;-900,00",
        ),
    )
    commit(api, first["id"])
    # The next statement overlaps: the same two coffees and the rent, a third coffee (the
    # household holds two), and a new day. Case and spaces of a label do not matter.
    second = upload(
        api,
        statement(
            "01/03/2024;Cafe  du coin;-2,50",
            "01/03/2024;CAFE DU COIN;-2,50",
            "01/03/2024;CAFE DU COIN;-2,50",
            "02/03/2024;LOYER;-900,00",
            "03/03/2024;BOULANGERIE;-4,10",
        ),
    )

    assert [r["duplicate"] for r in second["rows"]] == [True, True, False, True, False]
    assert commit(api, second["id"]) == {
        "rows": 5,
        "inserted": 2,
        "duplicates": 3,
        "errors": 0,
    }
    labels = sorted((r["date"], r["label"]) for r in rows_of(api))
    assert labels == [
        ("2024-03-01", "CAFE DU COIN"),
        ("2024-03-01", "CAFE DU COIN"),
        ("2024-03-01", "CAFE DU COIN"),
        ("2024-03-02", "LOYER"),
        ("2024-03-03", "BOULANGERIE"),
    ]


def test_committing_twice_inserts_nothing_the_second_time(api: Api) -> None:
    preview = upload(api, fixture("online_bom_iso.csv"))
    commit(api, preview["id"])

    again = commit(api, preview["id"])

    assert again == {"rows": 3, "inserted": 0, "duplicates": 3, "errors": 0}
    assert len(rows_of(api)) == 3
    # Uploading the same file again: every row is a duplicate, and nothing is inserted.
    repeat = upload(api, fixture("online_bom_iso.csv"))
    assert repeat["counts"] == {"rows": 3, "duplicates": 3, "errors": 0}
    assert commit(api, repeat["id"])["inserted"] == 0
    assert len(rows_of(api)) == 3


def test_undo_restores_the_views_exactly(api: Api) -> None:
    set_config(api)
    api.create_transactions(
        make_transaction(date="2024-01-04", amount=-87.45, label="CB SUPERMARCHE 03/01"),
        make_transaction(date="2024-01-20", amount=-15, label="CINEMA", tags=["sortie"]),
    )
    before = views(api, "2024-01")
    kept = rows_of(api)
    preview = upload(api, fixture("bnp_nbsp_balance.csv"))
    assert preview["counts"]["duplicates"] == 1  # the supermarket line is already there
    assert commit(api, preview["id"])["inserted"] == 3
    [imported, *_] = [r for r in rows_of(api) if r["import_id"] is not None]
    # A user retags an imported row: the undo takes its tags out of the aggregates too.
    assert api.patch(f"/transactions/{imported['id']}", {"tags": ["x"]}).status_code == 200
    assert views(api, "2024-01") != before

    undone = api.delete(f"/imports/{preview['id']}")

    assert undone.status_code == 204
    assert views(api, "2024-01") == before
    assert rows_of(api) == kept
    assert api.ok("/imports")["items"][0]["status"] == "undone"
    assert api.delete(f"/imports/{preview['id']}").status_code == 204  # nothing left to undo
    assert_envelope(api.post(f"/imports/{preview['id']}/commit", None), 409, "conflict")


def test_a_patch_reparses_the_preview(api: Api) -> None:
    content = b"Date;Libelle;Montant;Frais\n05/02/2024;ABONNEMENT;-10,00;-1,00\n"
    preview = upload(api, content)
    assert preview["rows"][0]["amount"] == -10.0

    mapping = {"date": "Date", "label": "Libelle", "amount": "Frais"}
    patched = api.patch(f"/imports/{preview['id']}", {"mapping": mapping})

    assert patched.status_code == 200, patched.text
    assert patched.json()["mapping"] == mapping
    assert patched.json()["rows"][0]["amount"] == -1.0
    assert commit(api, preview["id"])["inserted"] == 1
    assert [r["amount"] for r in rows_of(api)] == [-1.0]
    unknown = api.patch(f"/imports/{preview['id']}", {"mapping": {**mapping, "amount": "Nope"}})
    assert_envelope(unknown, 409, "conflict")  # committed: a preview no longer


def test_a_mapping_that_does_not_fit_the_file_is_a_422(api: Api) -> None:
    preview = upload(api, statement("05/02/2024;ABONNEMENT;-10,00"))
    mapping = {"date": "Date", "label": "Libellé", "amount": "Nope"}

    response = api.patch(f"/imports/{preview['id']}", {"mapping": mapping})

    assert "Nope" in assert_envelope(response, 422, "validation_error")["message"]


def test_files_that_are_not_bank_exports_are_a_422_with_the_reason(api: Api) -> None:
    pdf = api.upload(fixture("statement.pdf"), name="releve.pdf")
    assert "PDF" in assert_envelope(pdf, 422, "not_a_bank_export")["message"]
    contacts = api.upload(fixture("contacts.csv"))
    assert "no header" in assert_envelope(contacts, 422, "not_a_bank_export")["message"]
    assert api.ok("/imports") == {"items": []}


def test_other_formats_and_the_account_field(api: Api) -> None:
    qif = api.upload(fixture("statement.qif"), name="releve.qif", account="alex")
    assert qif.status_code == 201, qif.text
    assert (qif.json()["format"], qif.json()["dialect"]["delimiter"]) == ("qif", None)
    commit(api, qif.json()["id"])
    ofx = upload(api, fixture("statement_v1.ofx"), "releve.ofx")
    assert (ofx["format"], ofx["dialect"], ofx["mapping"]) == ("ofx", None, None)
    commit(api, ofx["id"])

    rows = rows_of(api)
    assert {r["account"] for r in rows if r["import_id"] == str(qif.json()["id"])} == {"alex"}
    assert "Logement:Loyer" in {r["category"] for r in rows}
    assert len(rows) == 5


def test_an_upload_over_the_limit_is_a_413(fresh_app: Any, engine: Engine) -> None:
    app: FastAPI = fresh_app(import_max_bytes=2048, max_body_bytes=1024)
    with TestClient(app, raise_server_exceptions=False) as client:
        small = household_api(client, engine, email="sam@example.com", household="Small")
        rows = [f"0{d % 9 + 1}/05/2024;ACHAT {d};-1,{d % 90 + 10}" for d in range(40)]
        fits = small.upload(statement(*rows))  # ~1.2 KiB: over the API's limit, not this one's
        assert fits.status_code == 201, fits.text
        too_big = small.upload(statement(*rows * 3))
        assert_envelope(too_big, 413, "payload_too_large")
        # Other routes keep the general limit (the bulk insert has its own: test_limits.py).
        single = small.post_raw("/transactions", b" " * 2048)
        assert_envelope(single, 413, "payload_too_large")
        assert len(small.ok("/imports")["items"]) == 1


def test_another_households_import_is_a_404(api: Api, other_api: Api) -> None:
    preview = upload(api, fixture("online_bom_iso.csv"))
    path = f"/imports/{preview['id']}"

    assert_envelope(other_api.post(f"{path}/commit", None), 404, "not_found")
    assert_envelope(other_api.delete(path), 404, "not_found")
    mapping = {"date": "Started Date", "label": "Description", "amount": "Fee"}
    assert_envelope(other_api.patch(path, {"mapping": mapping}), 404, "not_found")
    assert other_api.ok("/imports") == {"items": []}
    assert api.ok("/imports")["items"][0]["status"] == "preview"


def test_a_dialect_fix_reparses_dates_and_a_wrong_delimiter_is_a_422(api: Api) -> None:
    preview = upload(api, statement("03/04/2024;ABONNEMENT;-10,00"))
    assert preview["rows"][0]["date"] == "2024-04-03"
    dialect = {**preview["dialect"], "date_format": "%m/%d/%Y"}

    patched = api.patch(f"/imports/{preview['id']}", {"dialect": dialect})

    assert patched.status_code == 200, patched.text
    assert patched.json()["dialect"] == dialect
    assert patched.json()["rows"][0]["date"] == "2024-03-04"
    wrong = api.patch(f"/imports/{preview['id']}", {"dialect": {**dialect, "delimiter": ","}})
    assert_envelope(wrong, 422, "not_a_bank_export")
    assert api.ok("/imports")["items"][0]["status"] == "preview"
