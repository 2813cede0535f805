"""/rules over HTTP (SPEC §8): CRUD, rules applied at import commit, `rules/apply` as a job
that keeps the views equal to a recomputation, and suggestions from recategorisations."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy import Engine

from foyer.db.engine import Database
from foyer.services import aggregates
from tests import oracles
from tests.factories import Api, make_transaction
from tests.helpers import JSON, assert_envelope, cents
from tests.imports.test_import_api import CFG, commit, set_config, upload

GROCERIES: JSON = {
    "name": "Courses",
    "priority": 10,
    "match": {"label_contains": "carrefour", "amount_max": -0.01},
    "set": {"category": "hyper", "category_parent": "alimentation", "tags": ["courses"]},
}
ENERGY: JSON = {
    "name": "Énergie",
    "priority": 5,
    "match": {"label_regex": r"^prlv\s+(edf|engie)"},
    "set": {"category": "energie", "category_parent": "logement", "expense_type": "FIXED"},
}


def rows_of(api: Api) -> list[JSON]:
    items: list[JSON] = api.ok("/transactions", limit=200)["items"]
    return items


def by_label(api: Api) -> dict[str, JSON]:
    return {row["label"]: row for row in rows_of(api)}


def as_oracle(rows: list[JSON]) -> list[JSON]:
    return [
        {
            "date": dt.date.fromisoformat(r["date"]),
            "amount": cents(r["amount"]),
            "category": r["category"],
            "category_parent": r["category_parent"],
            "exclude": r["exclude"],
            "expense_type": r["expense_type"],
        }
        for r in rows
    ]


def assert_views_exact(api: Api, engine: Engine, month: str) -> None:
    txs = as_oracle(rows_of(api))
    assert api.ok("/dashboard/summary", month=month) == oracles.summary(month, CFG, [], [], txs)
    assert api.ok("/transactions/hierarchy", month=month) == oracles.hierarchy(month, txs)
    with Database(engine).read() as conn:
        assert aggregates.verify(conn) == []


def run_job(api: Api, response: Any) -> JSON:
    assert response.status_code == 202, response.text
    job: JSON = api.ok(f"/jobs/{response.json()['job_id']}")
    assert job["status"] == "succeeded", job
    result: JSON = job["result"]
    return result


def test_rules_crud_round_trip(api: Api) -> None:
    created = api.post("/rules", GROCERIES)
    assert created.status_code == 201, created.text
    rule = created.json()
    assert {k: rule[k] for k in ("name", "priority", "match", "set")} == GROCERIES
    energy_id = api.create("/rules", ENERGY)

    assert [r["id"] for r in api.ok("/rules")["items"]] == [energy_id, rule["id"]]
    replaced = api.put(f"/rules/{rule['id']}", {**GROCERIES, "priority": 1})
    assert replaced.json()["priority"] == 1
    assert [r["id"] for r in api.ok("/rules")["items"]] == [rule["id"], energy_id]
    assert api.delete(f"/rules/{rule['id']}").status_code == 204
    assert_envelope(api.get(f"/rules/{rule['id']}"), 404, "not_found")
    assert [r["id"] for r in api.ok("/rules")["items"]] == [energy_id]


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        ({**GROCERIES, "match": {"label_regex": "(unclosed"}}, "not a valid pattern"),
        ({**GROCERIES, "match": {}}, "at least one condition"),
        ({**GROCERIES, "set": {}}, "at least one field"),
        ({**GROCERIES, "match": {"amount_min": 5, "amount_max": 1}}, "above"),
        ({**GROCERIES, "match": {"label_contains": "x", "colour": "red"}}, "colour"),
        ({**GROCERIES, "set": {"expense_type": "LUXURY"}}, "expense_type"),
    ],
)
def test_rules_that_cannot_work_are_a_422(api: Api, body: JSON, fragment: str) -> None:
    error = assert_envelope(api.post("/rules", body), 422, "validation_error")
    assert fragment in str(error)
    assert api.ok("/rules") == {"items": []}


def test_rules_are_applied_at_import_commit(api: Api, engine: Engine) -> None:
    set_config(api)
    api.create("/rules", GROCERIES)
    api.create("/rules", ENERGY)
    api.create("/rules", {**GROCERIES, "name": "never", "priority": 50})  # loses to priority 10
    content = (
        "Date;Libellé;Montant\n"
        "04/01/2024;CB CARREFOUR MARKET;-54,30\n"
        "05/01/2024;PRLV EDF CLIENTS;-80,00\n"
        "06/01/2024;VIR CARREFOUR REMBOURSEMENT;12,00\n"
        "07/01/2024;BOULANGERIE;-3,20\n"
    ).encode()

    commit(api, upload(api, content)["id"])

    rows = by_label(api)
    assert (rows["CB CARREFOUR MARKET"]["category"], rows["CB CARREFOUR MARKET"]["tags"]) == (
        "hyper",
        ["courses"],
    )
    assert rows["PRLV EDF CLIENTS"]["expense_type"] == "FIXED"
    assert rows["PRLV EDF CLIENTS"]["category_parent"] == "logement"
    assert rows["VIR CARREFOUR REMBOURSEMENT"]["category"] == "uncategorized"  # a credit
    assert rows["BOULANGERIE"]["category"] == "uncategorized"
    assert_views_exact(api, engine, "2024-01")


def test_apply_recategorises_existing_rows_in_range_and_is_idempotent(
    api: Api, engine: Engine
) -> None:
    set_config(api)
    api.create_transactions(
        make_transaction(date="2024-01-04", amount=-54.3, label="CB CARREFOUR 04/01"),
        make_transaction(date="2024-01-09", amount=-20, label="CB CARREFOUR 09/01", tags=["x"]),
        make_transaction(date="2024-01-10", amount=-80, label="PRLV ENGIE"),
        make_transaction(date="2024-02-03", amount=-31.5, label="CB CARREFOUR 03/02"),
        make_transaction(date="2024-01-11", amount=-9, label="KIOSQUE"),
    )
    warm = api.ok("/transactions/hierarchy", month="2024-01")  # cached before the job
    api.create("/rules", GROCERIES)
    api.create("/rules", ENERGY)

    result = run_job(api, api.post("/rules/apply", {"from": "2024-01", "to": "2024-01"}))

    assert result == {"months": 1, "examined": 4, "changed": 3}
    rows = by_label(api)
    assert rows["CB CARREFOUR 09/01"]["tags"] == ["courses", "x"]
    assert rows["PRLV ENGIE"]["expense_type"] == "FIXED"
    assert rows["CB CARREFOUR 03/02"]["category"] == "courses"  # February: out of range
    assert rows["KIOSQUE"]["category"] == "courses"
    assert api.ok("/transactions/hierarchy", month="2024-01") != warm  # fresh, not cached
    assert_views_exact(api, engine, "2024-01")
    again = run_job(api, api.post("/rules/apply", {"from": "2024-01", "to": "2024-02"}))
    assert again == {"months": 2, "examined": 5, "changed": 1}  # February's row only
    assert_views_exact(api, engine, "2024-02")


def test_apply_needs_an_ordered_range(api: Api) -> None:
    response = api.post("/rules/apply", {"from": "2024-03", "to": "2024-01"})
    assert "after" in str(assert_envelope(response, 422, "validation_error"))
    response = api.post("/rules/apply", {"from": "2024-13", "to": "2024-14"})
    assert_envelope(response, 422, "validation_error")


def test_suggestions_come_from_repeated_recategorisations(api: Api) -> None:
    ids = api.create_transactions(
        make_transaction(date="2024-01-04", amount=-12, label="NETFLIX.COM"),
        make_transaction(date="2024-02-04", amount=-12, label="Netflix.com"),
        make_transaction(date="2024-01-05", amount=-5, label="KIOSQUE"),
    )
    assert api.ok("/rules/suggestions") == {"items": []}
    for tid in ids[:2]:
        body = {"category": "streaming", "category_parent": "loisirs"}
        assert api.patch(f"/transactions/{tid}", body).status_code == 200
    api.patch(f"/transactions/{ids[2]}", {"category": "presse"})  # once: no suggestion
    api.patch(f"/transactions/{ids[2]}", {"label": "KIOSQUE GARE"})  # not a recategorisation

    [suggestion] = api.ok("/rules/suggestions")["items"]

    assert suggestion["count"] == 2
    assert suggestion["set"] == {"category": "streaming", "category_parent": "loisirs"}
    assert suggestion["match"]["label_contains"].casefold() == "netflix.com"
    # Accepting it (POST as is, minus the count) makes it go away.
    accepted = {k: v for k, v in suggestion.items() if k != "count"}
    assert api.post("/rules", accepted).status_code == 201
    assert api.ok("/rules/suggestions") == {"items": []}
