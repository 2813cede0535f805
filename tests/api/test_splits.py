"""POST/DELETE /api/v1/transactions/{id}/split (SPEC §12) over HTTP, on both databases.

The views are read through the cache before and after each write: a split or a merge must
renew the data stamps of the month, or the cached answers would be stale.
"""

from __future__ import annotations

from typing import Any

from tests.factories import Api, make_transaction
from tests.helpers import JSON, assert_envelope, cents
from tests.imports.test_import_api import commit, statement, upload

MONTH = "2025-06"
RECEIPT = make_transaction(date="2025-06-12", label="CB CARREFOUR 12/06", amount=-100, tags=["s"])
SHARED = {
    "amount": -60,
    "category": "courses",
    "category_parent": "alimentation",
    "expense_type": "VARIABLE",
    "exclude": False,
}
PERSONAL = {
    "amount": -40,
    "category": "vêtements",
    "category_parent": "perso",
    "expense_type": "VARIABLE",
    "exclude": True,
    "account": "perso",
    "tags": [],
}


def household(api: Api) -> int:
    """A configured household with the receipt among other rows; the receipt's id."""
    config = {"member1_name": "Alex", "member2_name": "Sam", "income1": 3000, "income2": 2000}
    assert api.put("/config", config).status_code == 200
    receipt, *_ = api.create_transactions(
        RECEIPT,
        make_transaction(date="2025-06-03", amount=-20, label="CB MONOPRIX"),
        make_transaction(date="2025-06-01", amount=2500, label="SALAIRE", category="salaire"),
        make_transaction(date="2025-05-20", amount=-31.5, label="CB CARREFOUR 20/05"),
    )
    return receipt


def views(api: Api) -> dict[str, Any]:
    return {
        "summary": api.ok("/dashboard/summary", month=MONTH),
        "slim": api.ok("/dashboard/summary/slim", month=MONTH),
        "hierarchy": api.ok("/transactions/hierarchy", month=MONTH),
        "trends": api.ok("/dashboard/trends", **{"from": "2025-05", "to": "2025-07"}),
        "drill": api.ok("/dashboard/drill-down/courses", month=MONTH),
        "details": api.ok("/dashboard/drill-down/courses", month=MONTH, level="details"),
        "rows": api.ok("/dashboard/drill-down/courses", month=MONTH, level="transactions"),
        "listing": api.ok("/transactions", limit=500),
        "analytics": api.ok("/analytics/categories", month=MONTH),
    }


def split(api: Api, transaction_id: int, *parts: JSON) -> Any:
    return api.post(f"/transactions/{transaction_id}/split", {"parts": list(parts)})


def split_ok(api: Api, transaction_id: int, *parts: JSON) -> list[JSON]:
    response = split(api, transaction_id, *parts)
    assert response.status_code == 201, response.text
    items: list[JSON] = response.json()["items"]
    return items


def test_the_supermarket_receipt_changes_the_summary_by_its_personal_part(api: Api) -> None:
    receipt = household(api)
    before = views(api)  # cached now: the split must renew the month's stamps

    shared, personal = split_ok(api, receipt, SHARED, PERSONAL)

    assert (shared["amount"], shared["split_of"], shared["tags"]) == (-60, receipt, ["s"])
    assert (personal["amount"], personal["exclude"], personal["account"]) == (-40, True, "perso")
    assert personal["tags"] == []
    for key in ("date", "month", "label", "import_id"):
        assert shared[key] == personal[key] == api.ok(f"/transactions/{shared['id']}")[key]
    after = views(api)
    variable, was = after["summary"]["variable"], before["summary"]["variable"]
    assert variable["total"] == was["total"] - 40
    assert cents(variable["member1"]) + cents(variable["member2"]) == cents(variable["total"])
    assert after["summary"]["actuals"]["excluded"] == before["summary"]["actuals"]["excluded"] + 40
    assert after["summary"]["actuals"]["transactions"] == 4  # June's 3 rows, one in 2 parts
    assert after["drill"]["total"] == before["drill"]["total"] - 40
    ids = [item["id"] for item in after["listing"]["items"]]
    assert receipt not in ids
    assert {shared["id"], personal["id"]} <= set(ids)
    assert_envelope(api.get(f"/transactions/{receipt}"), 404, "not_found")
    assert_envelope(api.patch(f"/transactions/{receipt}", {"label": "x"}), 404, "not_found")
    listed = api.ok("/transactions", fields="id,split_of", limit=500)["items"]
    assert {item["id"]: item["split_of"] for item in listed}[shared["id"]] == receipt


def test_a_merge_restores_every_view_exactly(api: Api) -> None:
    receipt = household(api)
    before = views(api)
    split_ok(api, receipt, SHARED, PERSONAL)
    assert views(api) != before

    merged = api.delete(f"/transactions/{receipt}/split")

    assert merged.status_code == 204
    assert views(api) == before
    assert api.ok(f"/transactions/{receipt}")["split_of"] is None
    assert_envelope(api.delete(f"/transactions/{receipt}/split"), 404, "not_found")


def test_a_part_can_be_patched_not_deleted_alone_and_the_original_deletes_them_all(
    api: Api,
) -> None:
    receipt = household(api)
    shared, personal = split_ok(api, receipt, SHARED, PERSONAL)
    patched = api.patch(f"/transactions/{personal['id']}", {"exclude": False, "tags": ["x"]})
    assert patched.status_code == 200, patched.text
    assert (patched.json()["exclude"], patched.json()["split_of"]) == (False, receipt)
    assert api.ok("/dashboard/summary", month=MONTH)["variable"]["total"] == 120

    refused = assert_envelope(api.delete(f"/transactions/{shared['id']}"), 409, "conflict")
    assert refused["details"] == {"split_of": receipt}
    assert api.ok(f"/transactions/{shared['id']}")["amount"] == -60

    assert api.delete(f"/transactions/{receipt}").status_code == 204
    for part in (shared, personal):
        assert_envelope(api.get(f"/transactions/{part['id']}"), 404, "not_found")
    assert_envelope(api.delete(f"/transactions/{receipt}/split"), 404, "not_found")
    assert api.ok("/dashboard/summary", month=MONTH)["variable"]["total"] == 20


def test_parts_that_do_not_add_up_are_a_422_saying_the_difference(api: Api) -> None:
    receipt = household(api)
    short = assert_envelope(
        split(api, receipt, SHARED, {**PERSONAL, "amount": -35}), 422, "validation_error"
    )
    assert short["details"] == {"row": -100, "parts": -95, "difference": -5}
    assert "-5.00" in short["message"]
    over = assert_envelope(
        split(api, receipt, SHARED, {**PERSONAL, "amount": -40.01}), 422, "validation_error"
    )
    assert over["details"]["difference"] == 0.01
    refused: list[tuple[JSON, ...]] = [
        (SHARED,),  # one part
        (SHARED, {**PERSONAL, "amount": 0}, {**PERSONAL, "amount": -40}),  # a zero part
        ({**SHARED, "amount": -110}, {**PERSONAL, "amount": 10}),  # a credit part
        tuple({**SHARED, "amount": -5} for _ in range(21)),  # 21 parts
        (SHARED, {**PERSONAL, "amount": -40.001}),  # more than cents
        (SHARED, {**PERSONAL, "colour": "red"}),  # an unknown field
        (SHARED, {k: v for k, v in PERSONAL.items() if k != "category"}),  # a missing one
    ]
    for parts in refused:
        assert_envelope(split(api, receipt, *parts), 422, "validation_error")
    assert api.ok(f"/transactions/{receipt}")["amount"] == -100  # nothing was split


def test_twenty_parts_of_a_credit(api: Api) -> None:
    (salary,) = api.create_transactions(make_transaction(amount=2000, label="SALAIRE"))
    parts = split_ok(api, salary, *({**SHARED, "amount": 100} for _ in range(20)))
    assert [part["amount"] for part in parts] == [100] * 20
    assert [part["id"] for part in parts] == sorted(part["id"] for part in parts)
    assert api.ok("/dashboard/summary", month=MONTH)["actuals"]["income"] == 2000


def test_splitting_a_part_or_a_split_row_is_a_409(api: Api) -> None:
    receipt = household(api)
    shared, _ = split_ok(api, receipt, SHARED, PERSONAL)
    again = assert_envelope(split(api, receipt, SHARED, PERSONAL), 409, "conflict")
    assert "already split" in again["message"]
    halves = ({**SHARED, "amount": -30}, {**SHARED, "amount": -30})
    of_part = assert_envelope(split(api, shared["id"], *halves), 409, "conflict")
    assert of_part["details"] == {"split_of": receipt}


def test_another_households_row_is_a_404(api: Api, other_api: Api) -> None:
    receipt = household(api)
    for target in (receipt, 987_654_321):
        assert_envelope(split(other_api, target, SHARED, PERSONAL), 404, "not_found")
        assert_envelope(other_api.delete(f"/transactions/{target}/split"), 404, "not_found")
    shared, _ = split_ok(api, receipt, SHARED, PERSONAL)
    for target in (receipt, shared["id"]):
        assert_envelope(split(other_api, target, SHARED, PERSONAL), 404, "not_found")
        assert_envelope(other_api.delete(f"/transactions/{target}/split"), 404, "not_found")
        assert_envelope(other_api.delete(f"/transactions/{target}"), 404, "not_found")
    assert api.ok(f"/transactions/{shared['id']}")["split_of"] == receipt


def test_reimporting_the_statement_after_a_split_inserts_nothing(api: Api) -> None:
    content = statement(
        "12/06/2025;CB CARREFOUR 12/06;-100,00",
        "12/06/2025;CB CARREFOUR 12/06;-100,00",
        "13/06/2025;BOULANGERIE;-4,10",
    )
    assert commit(api, upload(api, content)["id"])["inserted"] == 3
    receipt, *_ = (r["id"] for r in api.ok("/transactions")["items"] if r["amount"] == -100)
    # Parts of the amounts of other rows of the same day must not count as those rows.
    split_ok(
        api,
        receipt,
        {**SHARED, "amount": -95.9},
        {**PERSONAL, "amount": -4.1, "account": None},
    )
    rows = len(api.ok("/transactions", limit=500)["items"])

    again = upload(api, content)

    assert again["counts"]["duplicates"] == 3
    assert commit(api, again["id"])["inserted"] == 0
    assert len(api.ok("/transactions", limit=500)["items"]) == rows


def test_rules_reapplied_leave_the_parts_alone(api: Api) -> None:
    receipt = household(api)
    shared, personal = split_ok(api, receipt, SHARED, PERSONAL)
    rule = {"name": "Carrefour", "match": {"label_contains": "carrefour"}, "set": {"category": "h"}}
    assert api.post("/rules", rule).status_code == 201
    started = api.post("/rules/apply", {"from": MONTH, "to": MONTH})
    assert started.status_code == 202
    assert api.ok(f"/jobs/{started.json()['job_id']}")["result"]["changed"] == 0  # only parts
    assert api.ok(f"/transactions/{shared['id']}")["category"] == "courses"
    assert api.ok(f"/transactions/{personal['id']}")["category"] == "vêtements"
