"""The isolation probes (SPEC §7): one per (method, route) under /api/v1, each run as
household B against household A's world. tests/api/test_isolation.py runs them, and fails
when a route has none: a new endpoint cannot ship without its probe here.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import openpyxl

from foyer.months import add_months
from tests.factories import PASSWORD, Api, make_fixed_line, make_provision, make_transaction
from tests.helpers import assert_envelope

MONTH = "2025-06"
CATEGORY = "courses"
TAG = "weekly"
NEVER = 987_654_321  # an id no test row ever gets


@dataclass
class World:
    a: Api
    b: Api
    tid: int  # A's VARIABLE debit in MONTH, category CATEGORY, tagged TAG
    tids: list[int]  # every transaction of A's
    line_id: int
    prov_id: int


A_TRANSACTIONS = [
    make_transaction(date="2025-06-12", amount=-54.3, label="CB CARREFOUR 12/06", tags=[TAG]),
    make_transaction(date="2025-06-03", amount=-20, label="CB MONOPRIX", tags=[TAG, "bio"]),
    make_transaction(date="2025-05-20", amount=-31.5, label="CB CARREFOUR 20/05"),
    make_transaction(
        date="2025-06-01", amount=2500, label="SALAIRE", category="salaire", category_parent="rev"
    ),
    make_transaction(
        date="2025-06-05", amount=-1150, label="LOYER", category="loyer", expense_type="FIXED"
    ),
    make_transaction(
        date="2025-06-06", amount=-100, label="EPARGNE", category="ep", expense_type="PROVISION"
    ),
    make_transaction(date="2025-06-07", amount=-9.99, label="REMBOURSE", exclude=True),
]


def assert_hidden(b: Api, method: str, path: str, body: Any = None) -> None:
    """B's request on A's object answers exactly as for an object that never existed."""

    def call(p: str) -> Any:
        if method in ("GET", "DELETE"):
            return getattr(b, method.lower())(p)
        return getattr(b, method.lower())(p, body)

    response = call(path)
    error = assert_envelope(response, 404, "not_found")
    missing = call(path.rsplit("/", 1)[0] + f"/{NEVER}")
    assert missing.status_code == 404
    assert error["message"] == missing.json()["error"]["message"]
    assert "details" not in error


# -- the probes: one per (method, route) -----------------------------------------------------


def probe_me(w: World) -> None:
    me_b, me_a = w.b.ok("/auth/me"), w.a.ok("/auth/me")
    assert me_b["household_id"] != me_a["household_id"]
    assert me_b["household_name"] == "Elsewhere"
    assert me_b["email"] == "mallory@example.com"


def probe_logout(w: World) -> None:
    # B signs out: B's token is refused from then on, A's sessions are untouched (the
    # snapshot after the probe reads A's views with A's token).
    assert w.b.post("/auth/logout", None).status_code == 204
    assert_envelope(w.b.get("/auth/me"), 401, "unauthorized")
    assert w.a.ok("/auth/me")["household_name"] == "Home"


def probe_change_password(w: World) -> None:
    # B's password change refuses B's tokens only; A keeps its token and its password.
    change = {"current_password": PASSWORD, "new_password": "mallory's new passphrase"}
    assert w.b.post("/auth/password", change).status_code == 204
    assert_envelope(w.b.get("/auth/me"), 401, "unauthorized")
    assert w.a.ok("/auth/me")["household_name"] == "Home"
    again = w.a.client.post(
        "/api/v1/auth/token", data={"username": "alex@example.com", "password": PASSWORD}
    )
    assert again.status_code == 200


def probe_get_config(w: World) -> None:
    config_b = w.b.ok("/config")
    assert config_b["income1"] == config_b["income2"] == 0
    assert config_b["member1_name"] == "Member 1"
    assert w.a.ok("/config")["income1"] == 3000


def probe_put_config(w: World) -> None:
    response = w.b.put("/config", {"income1": 1, "member1_name": "Mallory", "split_mode": "manual"})
    assert response.status_code == 200, response.text
    assert w.b.ok("/config")["member1_name"] == "Mallory"
    assert w.a.ok("/config")["member1_name"] == "Alex"


def probe_list_fixed_lines(w: World) -> None:
    assert w.b.ok("/fixed-lines") == {"items": []}
    assert len(w.a.ok("/fixed-lines")["items"]) == 1


def probe_create_fixed_line(w: World) -> None:
    response = w.b.post("/fixed-lines", make_fixed_line(label="Mine"))
    assert response.status_code == 201, response.text
    assert [item["label"] for item in w.b.ok("/fixed-lines")["items"]] == ["Mine"]
    assert [item["id"] for item in w.a.ok("/fixed-lines")["items"]] == [w.line_id]


def probe_get_fixed_line(w: World) -> None:
    assert_hidden(w.b, "GET", f"/fixed-lines/{w.line_id}")


def probe_put_fixed_line(w: World) -> None:
    assert_hidden(w.b, "PUT", f"/fixed-lines/{w.line_id}", make_fixed_line(label="Hijacked"))


def probe_patch_fixed_line(w: World) -> None:
    assert_hidden(w.b, "PATCH", f"/fixed-lines/{w.line_id}", {"label": "Hijacked"})
    assert_hidden(w.b, "PATCH", f"/fixed-lines/{w.line_id}", {"active": False, "amount": 1})


def probe_delete_fixed_line(w: World) -> None:
    assert_hidden(w.b, "DELETE", f"/fixed-lines/{w.line_id}")


def probe_list_provisions(w: World) -> None:
    assert w.b.ok("/provisions") == {"items": []}
    assert len(w.a.ok("/provisions")["items"]) == 1


def probe_create_provision(w: World) -> None:
    response = w.b.post("/provisions", make_provision(name="Mine"))
    assert response.status_code == 201, response.text
    assert [item["name"] for item in w.b.ok("/provisions")["items"]] == ["Mine"]
    assert [item["id"] for item in w.a.ok("/provisions")["items"]] == [w.prov_id]


def probe_calculate_provisions(w: World) -> None:
    calc_b = w.b.ok("/provisions/calculate", month=MONTH)
    assert calc_b["items"] == []
    assert calc_b["totals"] == {"monthly": 0, "member1": 0, "member2": 0}
    calc_a = w.a.ok("/provisions/calculate", month=MONTH)
    assert [item["id"] for item in calc_a["items"]] == [w.prov_id]
    assert calc_a["totals"]["monthly"] == 250


def probe_get_provision(w: World) -> None:
    assert_hidden(w.b, "GET", f"/provisions/{w.prov_id}")


def probe_put_provision(w: World) -> None:
    assert_hidden(w.b, "PUT", f"/provisions/{w.prov_id}", make_provision(name="Hijacked"))


def probe_patch_provision(w: World) -> None:
    assert_hidden(w.b, "PATCH", f"/provisions/{w.prov_id}", {"name": "Hijacked"})
    assert_hidden(w.b, "PATCH", f"/provisions/{w.prov_id}", {"current_amount": 0})


def probe_delete_provision(w: World) -> None:
    assert_hidden(w.b, "DELETE", f"/provisions/{w.prov_id}")


def probe_list_transactions(w: World) -> None:
    b = w.b
    assert b.ok("/transactions") == {"items": [], "next_cursor": None}
    for sort in ("date_desc", "date_asc", "amount_asc", "amount_desc"):
        assert b.ok("/transactions", sort=sort, limit=1)["items"] == []
    a_filters: list[dict[str, Any]] = [
        {"month": MONTH},
        {"category": CATEGORY},
        {"category_parent": "alimentation"},
        {"expense_type": "VARIABLE"},
        {"exclude": "false"},
        {"exclude": "true"},
        {"tag": TAG},
        {"q": "carrefour"},
    ]
    for params in a_filters:
        assert b.ok("/transactions", **params)["items"] == [], params
        assert w.a.ok("/transactions", **params)["items"], params
    # A's cursor in B's hands pages through B's rows only (there are none).
    a_page = w.a.ok("/transactions", limit=1)
    assert a_page["next_cursor"] is not None
    assert b.ok("/transactions", limit=1, cursor=a_page["next_cursor"])["items"] == []
    # The month's listing is cached (transactions_month): A's pages, read and cached
    # first, never answer B, whatever the cursor.
    a_month = w.a.ok("/transactions", month=MONTH, limit=1)
    assert a_month["items"]
    assert a_month["next_cursor"] is not None
    assert b.ok("/transactions", month=MONTH, limit=1)["items"] == []
    cursor = a_month["next_cursor"]
    assert b.ok("/transactions", month=MONTH, limit=1, cursor=cursor)["items"] == []


def probe_create_transaction(w: World) -> None:
    response = w.b.post("/transactions", make_transaction(amount=-10, tags=[TAG]))
    assert response.status_code == 201, response.text
    mine = response.json()["id"]
    assert mine not in w.tids
    assert [item["id"] for item in w.b.ok("/transactions")["items"]] == [mine]
    assert [item["id"] for item in w.b.ok("/transactions", tag=TAG)["items"]] == [mine]
    # B's totals count B's row alone, in the same month and category as A's.
    assert w.b.ok("/dashboard/summary", month=MONTH)["variable"]["total"] == 10
    drill = w.b.ok(f"/dashboard/drill-down/{CATEGORY}", month=MONTH, level="details")
    assert drill["by_tag"] == [{"tag": TAG, "total": 10, "count": 1}]


def probe_bulk_create(w: World) -> None:
    mine = w.b.create_transactions(
        make_transaction(amount=-1, tags=[TAG]), make_transaction(amount=-2)
    )
    assert not set(mine) & set(w.tids)
    got = [item["id"] for item in w.b.ok("/transactions", sort="amount_desc")["items"]]
    assert got == mine
    (parent,) = w.b.ok("/transactions/hierarchy", month=MONTH)
    assert (parent["total"], parent["count"]) == (3, 2)


def probe_hierarchy(w: World) -> None:
    assert w.b.ok("/transactions/hierarchy", month=MONTH) == []
    assert w.a.ok("/transactions/hierarchy", month=MONTH)


def probe_get_transaction(w: World) -> None:
    for tid in w.tids:
        assert_hidden(w.b, "GET", f"/transactions/{tid}")


def probe_patch_transaction(w: World) -> None:
    bodies: list[dict[str, Any]] = [
        {"label": "Hijacked"},
        {"category": "x"},
        {"category_parent": "x"},
        {"exclude": True},
        {"expense_type": "FIXED"},
        {"tags": ["stolen"]},
        {"tags": []},
        {},
    ]
    for body in bodies:
        assert_hidden(w.b, "PATCH", f"/transactions/{w.tid}", body)


def probe_delete_transaction(w: World) -> None:
    for tid in w.tids:
        assert_hidden(w.b, "DELETE", f"/transactions/{tid}")


def probe_summary(w: World) -> None:
    summary = w.b.ok("/dashboard/summary", month=MONTH)
    assert summary["variable"] == {"total": 0, "member1": 0, "member2": 0, "count": 0}
    assert summary["fixed"] == {"total": 0, "member1": 0, "member2": 0, "count": 0, "lines": []}
    assert summary["provisions"] == {
        "total": 0,
        "member1": 0,
        "member2": 0,
        "count": 0,
        "items": [],
    }
    assert summary["totals"] == {"member1": 0, "member2": 0, "grand_total": 0}
    assert summary["actuals"] == {
        "income": 0,
        "fixed_debits": 0,
        "provision_debits": 0,
        "excluded": 0,
        "transactions": 0,
    }
    assert summary["members"] == {"member1": "Member 1", "member2": "Member 2"}
    assert summary["key"] == {"member1": 0.5, "member2": 0.5}
    a_summary = w.a.ok("/dashboard/summary", month=MONTH)
    assert a_summary["members"] == {"member1": "Alex", "member2": "Sam"}
    assert a_summary["totals"]["grand_total"] > 0


def probe_slim_summary(w: World) -> None:
    slim = w.b.ok("/dashboard/summary/slim", month=MONTH)
    for block in ("variable", "fixed", "provisions"):
        assert slim[block] == {"total": 0, "member1": 0, "member2": 0, "count": 0}, block
    assert slim["totals"] == {"member1": 0, "member2": 0, "grand_total": 0}
    assert w.a.ok("/dashboard/summary/slim", month=MONTH)["variable"]["count"] == 2


def probe_drill_down(w: World) -> None:
    path = f"/dashboard/drill-down/{CATEGORY}"
    summary = w.b.ok(path, month=MONTH, level="summary")
    assert summary == {
        "category": CATEGORY,
        "month": MONTH,
        "total": 0,
        "count": 0,
        "avg": 0,
        "min": None,
        "max": None,
        "previous_total": 0,
    }
    assert w.a.ok(path, month=MONTH, level="summary")["previous_total"] == 31.5
    details = w.b.ok(path, month=MONTH, level="details")
    assert (details["by_tag"], details["by_label"]) == ([], [])
    a_details = w.a.ok(path, month=MONTH, level="details")
    assert a_details["by_tag"]
    assert a_details["by_label"]
    assert w.b.ok(path, month=MONTH, level="transactions") == {"items": [], "next_cursor": None}
    a_page = w.a.ok(path, month=MONTH, level="transactions", limit=1)
    assert a_page["items"]
    assert a_page["next_cursor"] is not None
    b_page = w.b.ok(path, month=MONTH, level="transactions", limit=1, cursor=a_page["next_cursor"])
    assert b_page["items"] == []


def probe_trends(w: World) -> None:
    params = {"from": "2025-01", "to": "2025-12"}
    months = w.b.ok("/dashboard/trends", **params)["months"]
    assert len(months) == 12
    for month in months:
        assert {k: v for k, v in month.items() if k != "month"} == {
            "variable": 0,
            "fixed_debits": 0,
            "provision_debits": 0,
            "income": 0,
            "net": 0,
            "count": 0,
        }
    a_months = {m["month"]: m for m in w.a.ok("/dashboard/trends", **params)["months"]}
    assert a_months[MONTH]["count"] == 6
    assert a_months["2025-05"]["count"] == 1


def probe_analytics(w: World) -> None:
    assert w.b.ok("/analytics/categories", month=MONTH) == {"month": MONTH, "items": []}
    fixed = w.b.ok("/analytics/categories", month=MONTH, expense_types="FIXED,PROVISION")
    assert fixed["items"] == []
    assert len(w.a.ok("/analytics/categories", month=MONTH)["items"]) == 3


def probe_kpis(w: World) -> None:
    params = {"from": "2025-01", "to": "2025-12"}
    mine = w.b.ok("/analytics/kpis", **params)
    assert mine["averages"] == {"income": 0, "spending": 0, "savings": 0, "savings_rate": None}
    assert mine["top_categories"] == []
    assert w.a.ok("/analytics/kpis", **params)["top_categories"] != []  # A's are there


def _a_job(w: World) -> int:
    started = w.a.post("/jobs/rebuild-aggregates", None)
    assert started.status_code == 202
    return int(started.json()["job_id"])


def probe_list_jobs(w: World) -> None:
    job_id = _a_job(w)
    assert w.b.ok("/jobs") == {"items": []}
    assert [j["id"] for j in w.a.ok("/jobs")["items"]] == [job_id]


def probe_get_job(w: World) -> None:
    job_id = _a_job(w)
    assert_hidden(w.b, "GET", f"/jobs/{job_id}")
    assert w.a.ok(f"/jobs/{job_id}")["status"] == "succeeded"


def probe_rebuild_aggregates(w: World) -> None:
    started = w.b.post("/jobs/rebuild-aggregates", None)
    assert started.status_code == 202
    job = w.b.ok(f"/jobs/{started.json()['job_id']}")
    # B's rebuild found B's (empty) aggregates: none of A's groups were read or rewritten.
    assert job["result"]["groups"] == {
        "agg_month": 0,
        "agg_category": 0,
        "agg_tag": 0,
        "agg_label": 0,
    }
    assert w.a.ok("/jobs") == {"items": []}


# A bank file holding one of A's rows (2025-06-12, -54.30, CB CARREFOUR 12/06) and a new one.
STATEMENT = (
    "Date;Libellé;Montant\n12/06/2025;CB CARREFOUR 12/06;-54,30\n13/06/2025;BOULANGERIE;-3,20\n"
).encode()


def _a_import(w: World, *, commit: bool = False) -> int:
    created = w.a.upload(STATEMENT)
    assert created.status_code == 201, created.text
    import_id = int(created.json()["id"])
    if commit:
        assert w.a.post(f"/imports/{import_id}/commit", None).status_code == 202
    return import_id


def probe_create_import(w: World) -> None:
    # B's preview is told duplicates from B's rows only: A's identical row does not count.
    preview = w.b.upload(STATEMENT)
    assert preview.status_code == 201, preview.text
    assert [r["duplicate"] for r in preview.json()["rows"]] == [False, False]
    assert w.a.upload(STATEMENT).json()["counts"]["duplicates"] == 1
    assert [i["id"] for i in w.a.ok("/imports")["items"]] != [preview.json()["id"]]


def probe_list_imports(w: World) -> None:
    import_id = _a_import(w)
    assert w.b.ok("/imports") == {"items": []}
    assert [i["id"] for i in w.a.ok("/imports")["items"]] == [import_id]


def probe_patch_import(w: World) -> None:
    import_id = _a_import(w)
    mapping = {"date": "Date", "label": "Libellé", "amount": "Montant"}
    assert_hidden(w.b, "PATCH", f"/imports/{import_id}", {"mapping": mapping})


def probe_commit_import(w: World) -> None:
    import_id = _a_import(w)
    error = assert_envelope(w.b.post(f"/imports/{import_id}/commit", None), 404, "not_found")
    missing = w.b.post(f"/imports/{NEVER}/commit", None)
    assert missing.status_code == 404
    assert error["message"] == missing.json()["error"]["message"]
    assert w.b.ok("/jobs") == {"items": []}
    assert w.a.ok("/imports")["items"][0]["status"] == "preview"
    assert len(w.a.ok("/transactions")["items"]) == len(w.tids)


def probe_undo_import(w: World) -> None:
    import_id = _a_import(w, commit=True)
    assert_hidden(w.b, "DELETE", f"/imports/{import_id}")
    assert w.a.ok("/imports")["items"][0]["status"] == "committed"
    assert len(w.a.ok("/transactions")["items"]) == len(w.tids) + 1
    # A's own undo puts A's world back as it was (the harness compares it).
    assert w.a.delete(f"/imports/{import_id}").status_code == 204


# -- rules ---------------------------------------------------------------------------------

RULE = {
    "name": "Carrefour",
    "priority": 10,
    "match": {"label_contains": "carrefour"},
    "set": {"category": "hyper", "category_parent": "alimentation", "tags": ["r"]},
}


def _a_rule(w: World) -> int:
    created = w.a.post("/rules", RULE)
    assert created.status_code == 201, created.text
    return int(created.json()["id"])


def probe_list_rules(w: World) -> None:
    rule_id = _a_rule(w)
    assert w.b.ok("/rules") == {"items": []}
    assert [r["id"] for r in w.a.ok("/rules")["items"]] == [rule_id]


def probe_create_rule(w: World) -> None:
    # B's rule, applied by B, touches none of A's rows (A has CARREFOUR rows in 2025-05/06).
    assert w.b.post("/rules", RULE).status_code == 201
    started = w.b.post("/rules/apply", {"from": "2025-01", "to": "2025-12"})
    assert w.b.ok(f"/jobs/{started.json()['job_id']}")["result"]["changed"] == 0
    assert w.a.ok("/rules") == {"items": []}
    assert w.a.ok(f"/transactions/{w.tid}")["category"] == CATEGORY


def probe_get_rule(w: World) -> None:
    rule_id = _a_rule(w)
    assert_hidden(w.b, "GET", f"/rules/{rule_id}")
    assert w.a.ok(f"/rules/{rule_id}")["name"] == "Carrefour"


def probe_put_rule(w: World) -> None:
    rule_id = _a_rule(w)
    assert_hidden(w.b, "PUT", f"/rules/{rule_id}", {**RULE, "name": "Hijacked"})
    assert w.a.ok(f"/rules/{rule_id}")["name"] == "Carrefour"


def probe_delete_rule(w: World) -> None:
    rule_id = _a_rule(w)
    assert_hidden(w.b, "DELETE", f"/rules/{rule_id}")
    assert w.a.ok(f"/rules/{rule_id}")["name"] == "Carrefour"


def probe_apply_rules(w: World) -> None:
    _a_rule(w)  # A's rule would recategorise A's CARREFOUR rows; B's apply must not run it
    started = w.b.post("/rules/apply", {"from": "2025-01", "to": "2025-12"})
    assert started.status_code == 202
    result = w.b.ok(f"/jobs/{started.json()['job_id']}")["result"]
    assert (result["examined"], result["changed"]) == (0, 0)
    assert w.a.ok(f"/transactions/{w.tid}")["category"] == CATEGORY
    assert w.a.ok("/jobs") == {"items": []}


def probe_rule_suggestions(w: World) -> None:
    # A moves a row away and back, twice: a suggestion for A, and A's rows as they were.
    for category in ("hyper", CATEGORY, "hyper", CATEGORY):
        assert w.a.patch(f"/transactions/{w.tid}", {"category": category}).status_code == 200
    assert w.a.ok("/rules/suggestions")["items"]
    assert w.b.ok("/rules/suggestions") == {"items": []}


# -- transfers ------------------------------------------------------------------------------


def probe_get_balance(w: World) -> None:
    assert w.a.put(f"/balances/{MONTH}", {"account_balance": 1234.5}).status_code == 200
    assert w.b.ok(f"/balances/{MONTH}")["account_balance"] is None


def probe_put_balance(w: World) -> None:
    assert w.b.put(f"/balances/{MONTH}", {"account_balance": 99999}).status_code == 200
    assert w.a.ok(f"/balances/{MONTH}")["account_balance"] is None
    assert w.a.ok("/dashboard/transfers", month=MONTH)["account_balance"] == 0


def probe_transfers(w: World) -> None:
    assert w.a.put(f"/balances/{MONTH}", {"account_balance": 1234.5}).status_code == 200
    plan_b = w.b.ok("/dashboard/transfers", month=MONTH)
    assert plan_b["account_balance"] == 0
    assert plan_b["needed"]["total"] == 0  # none of A's lines, provisions or spending
    assert w.a.ok("/dashboard/transfers", month=MONTH)["needed"]["total"] > 0


# -- budgets --------------------------------------------------------------------------------

BUDGET = {"category": CATEGORY, "amount": 100}


def _a_budget(w: World) -> int:
    return w.a.create("/budgets", BUDGET)


def probe_list_budgets(w: World) -> None:
    budget_id = _a_budget(w)
    assert w.b.ok("/budgets") == {"items": []}
    assert [b["id"] for b in w.a.ok("/budgets")["items"]] == [budget_id]


def probe_create_budget(w: World) -> None:
    assert w.b.post("/budgets", BUDGET).status_code == 201  # A's own does not clash
    assert w.a.ok("/budgets") == {"items": []}
    assert w.a.ok("/dashboard/budgets", month=MONTH)["items"] == []
    assert w.a.post("/budgets", BUDGET).status_code == 201


def probe_get_budget(w: World) -> None:
    budget_id = _a_budget(w)
    assert_hidden(w.b, "GET", f"/budgets/{budget_id}")


def probe_put_budget(w: World) -> None:
    budget_id = _a_budget(w)
    assert_hidden(w.b, "PUT", f"/budgets/{budget_id}", {**BUDGET, "amount": 1})
    assert w.a.ok(f"/budgets/{budget_id}")["amount"] == 100


def probe_delete_budget(w: World) -> None:
    budget_id = _a_budget(w)
    assert_hidden(w.b, "DELETE", f"/budgets/{budget_id}")
    assert w.a.ok(f"/budgets/{budget_id}")["amount"] == 100


def probe_budgets_view(w: World) -> None:
    _a_budget(w)
    assert w.b.post("/budgets", BUDGET).status_code == 201
    [line_b] = w.b.ok("/dashboard/budgets", month=MONTH)["items"]
    assert line_b["spent"] == 0  # none of A's spending on CATEGORY
    [line_a] = w.a.ok("/dashboard/budgets", month=MONTH)["items"]
    assert line_a["spent"] > 0


def probe_budget_suggestions(w: World) -> None:
    # A spent on CATEGORY in May and June only: alone, its six-month median is 0. B spends
    # on it in January and February: alone, 0 too. Either's rows in the other's months
    # would make four non-zero months and a median, hence a suggestion.
    w.b.create_transactions(
        make_transaction(date="2025-01-10", amount=-10, label="B", category=CATEGORY),
        make_transaction(date="2025-02-10", amount=-10, label="B", category=CATEGORY),
    )
    assert w.b.ok("/budgets/suggestions", month="2025-07")["items"] == []
    assert w.a.ok("/budgets/suggestions", month="2025-07")["items"] == []


# -- split rows ------------------------------------------------------------------------------

# Parts that add up to A's row w.tid (-54.30): were B's split to reach it, it would succeed.
SPLIT_PARTS = [
    {
        "amount": amount,
        "category": CATEGORY,
        "category_parent": "alimentation",
        "expense_type": "VARIABLE",
        "exclude": False,
    }
    for amount in (-30, -24.3)
]


def _hidden_split(b: Api, method: str, transaction_id: int) -> None:
    """B's split or merge of A's row, split row or part answers exactly as for an id that
    never existed: a 404, never the 409 or 422 that would tell B what A's row is."""

    def call(target: int) -> Any:
        path = f"/transactions/{target}/split"
        return b.post(path, {"parts": SPLIT_PARTS}) if method == "POST" else b.delete(path)

    error = assert_envelope(call(transaction_id), 404, "not_found")
    missing = call(NEVER)
    assert missing.status_code == 404
    assert error["message"] == missing.json()["error"]["message"]
    assert "details" not in error


def _a_split(w: World) -> list[int]:
    """A splits w.tid; the parts' ids (A merges it back before the probe ends)."""
    response = w.a.post(f"/transactions/{w.tid}/split", {"parts": SPLIT_PARTS})
    assert response.status_code == 201, response.text
    return [item["id"] for item in response.json()["items"]]


def _a_merge(w: World) -> None:
    assert w.a.delete(f"/transactions/{w.tid}/split").status_code == 204


def probe_split_transaction(w: World) -> None:
    for tid in w.tids:
        _hidden_split(w.b, "POST", tid)
    parts = _a_split(w)
    for target in (w.tid, *parts):  # A's split row (not a 409 for B) and its parts
        _hidden_split(w.b, "POST", target)
    _a_merge(w)


def probe_merge_split(w: World) -> None:
    _hidden_split(w.b, "DELETE", w.tid)
    parts = _a_split(w)
    for target in (w.tid, *parts):
        _hidden_split(w.b, "DELETE", target)
        assert_hidden(w.b, "DELETE", f"/transactions/{target}")  # the split row, its parts
    assert w.a.ok(f"/transactions/{parts[0]}")["split_of"] == w.tid
    _a_merge(w)


# -- exports ---------------------------------------------------------------------------------


def probe_export_transactions(w: World) -> None:
    year = {"from": "2025-01", "to": "2025-12"}
    header = b"date,label,amount,category,category_parent,account,expense_type,exclude,tags\r\n"
    mine = w.b.get("/exports/transactions", **year, format="csv")
    assert mine.status_code == 200, mine.text
    assert mine.content == header  # none of A's rows
    theirs = w.a.get("/exports/transactions", **year, format="csv")
    assert theirs.content.count(b"\r\n") == 1 + len(w.tids)
    assert b"<STMTTRN>" not in w.b.get("/exports/transactions", **year, format="ofx").content
    xlsx = w.b.get("/exports/transactions", **year, format="xlsx").content
    sheet = openpyxl.load_workbook(io.BytesIO(xlsx)).worksheets[0]
    assert sheet.max_row == 1


# -- anomalies -------------------------------------------------------------------------------


def probe_anomalies(w: World) -> None:
    # B spends 50 € on CATEGORY in MONTH and in each of the twelve months before: alone, a
    # usual month, nothing flagged. A's rows of MONTH in B's view would flag CATEGORY
    # (124.30 > 80) and A's loyer and ep; B's history in A's would give A's CATEGORY a
    # median (alone, A spent on it in May only: median 0).
    w.b.create_transactions(
        *(
            make_transaction(date=f"{add_months(MONTH, -n)}-10", amount=-50, label="B")
            for n in range(13)
        )
    )
    assert w.b.ok("/analytics/anomalies", month=MONTH)["items"] == []
    found = w.a.ok("/analytics/anomalies", month=MONTH)["items"]
    assert [(i["category"], i["spent"], i["median"]) for i in found] == [
        ("loyer", 1150, 0),
        ("ep", 100, 0),
        (CATEGORY, 74.3, 0),
    ]


# -- operators' routes --------------------------------------------------------------------------
# /api/v1/monitoring is for operators only (SPEC §7): household B, not one, is refused every
# route with 403 and changes nothing. What operators see is the process's, never a
# household's rows (tests/api/test_monitoring.py).


def _operators_only(method: str, path: str) -> Callable[[World], None]:
    def probe(w: World) -> None:
        response = w.b.client.request(method, f"/api/v1{path}", headers=w.b.headers)
        assert response.status_code == 403, response.text
        assert response.json()["error"]["code"] == "forbidden"

    return probe


MONITORING = [
    ("GET", "/monitoring/performance"),
    ("POST", "/monitoring/cache/clear"),
    ("POST", "/monitoring/reset"),
    ("POST", "/monitoring/memory/start"),
    ("POST", "/monitoring/memory/snapshot"),
    ("POST", "/monitoring/memory/stop"),
    ("GET", "/monitoring/flags"),
    ("PUT", "/monitoring/flags/{name}"),
]


@dataclass(frozen=True)
class Probe:
    method: str
    route: str  # the route's path under /api/v1, as declared in the app
    run: Callable[[World], None]


PROBES = [
    Probe("GET", "/auth/me", probe_me),
    Probe("POST", "/auth/logout", probe_logout),
    Probe("POST", "/auth/password", probe_change_password),
    Probe("GET", "/config", probe_get_config),
    Probe("PUT", "/config", probe_put_config),
    Probe("GET", "/fixed-lines", probe_list_fixed_lines),
    Probe("POST", "/fixed-lines", probe_create_fixed_line),
    Probe("GET", "/fixed-lines/{line_id}", probe_get_fixed_line),
    Probe("PUT", "/fixed-lines/{line_id}", probe_put_fixed_line),
    Probe("PATCH", "/fixed-lines/{line_id}", probe_patch_fixed_line),
    Probe("DELETE", "/fixed-lines/{line_id}", probe_delete_fixed_line),
    Probe("GET", "/provisions", probe_list_provisions),
    Probe("POST", "/provisions", probe_create_provision),
    Probe("GET", "/provisions/calculate", probe_calculate_provisions),
    Probe("GET", "/provisions/{provision_id}", probe_get_provision),
    Probe("PUT", "/provisions/{provision_id}", probe_put_provision),
    Probe("PATCH", "/provisions/{provision_id}", probe_patch_provision),
    Probe("DELETE", "/provisions/{provision_id}", probe_delete_provision),
    Probe("GET", "/transactions", probe_list_transactions),
    Probe("POST", "/transactions", probe_create_transaction),
    Probe("POST", "/transactions/bulk", probe_bulk_create),
    Probe("GET", "/transactions/hierarchy", probe_hierarchy),
    Probe("GET", "/transactions/{transaction_id}", probe_get_transaction),
    Probe("PATCH", "/transactions/{transaction_id}", probe_patch_transaction),
    Probe("DELETE", "/transactions/{transaction_id}", probe_delete_transaction),
    Probe("GET", "/dashboard/summary", probe_summary),
    Probe("GET", "/dashboard/summary/slim", probe_slim_summary),
    Probe("GET", "/dashboard/drill-down/{category}", probe_drill_down),
    Probe("GET", "/dashboard/trends", probe_trends),
    Probe("GET", "/analytics/categories", probe_analytics),
    Probe("GET", "/analytics/kpis", probe_kpis),
    Probe("GET", "/jobs", probe_list_jobs),
    Probe("GET", "/jobs/{job_id}", probe_get_job),
    Probe("POST", "/jobs/rebuild-aggregates", probe_rebuild_aggregates),
    Probe("GET", "/imports", probe_list_imports),
    Probe("POST", "/imports", probe_create_import),
    Probe("PATCH", "/imports/{import_id}", probe_patch_import),
    Probe("POST", "/imports/{import_id}/commit", probe_commit_import),
    Probe("DELETE", "/imports/{import_id}", probe_undo_import),
    Probe("GET", "/rules", probe_list_rules),
    Probe("POST", "/rules", probe_create_rule),
    Probe("GET", "/rules/suggestions", probe_rule_suggestions),
    Probe("POST", "/rules/apply", probe_apply_rules),
    Probe("GET", "/rules/{rule_id}", probe_get_rule),
    Probe("PUT", "/rules/{rule_id}", probe_put_rule),
    Probe("DELETE", "/rules/{rule_id}", probe_delete_rule),
    Probe("GET", "/balances/{month}", probe_get_balance),
    Probe("PUT", "/balances/{month}", probe_put_balance),
    Probe("GET", "/dashboard/transfers", probe_transfers),
    Probe("GET", "/budgets", probe_list_budgets),
    Probe("POST", "/budgets", probe_create_budget),
    Probe("GET", "/budgets/{budget_id}", probe_get_budget),
    Probe("PUT", "/budgets/{budget_id}", probe_put_budget),
    Probe("DELETE", "/budgets/{budget_id}", probe_delete_budget),
    Probe("GET", "/dashboard/budgets", probe_budgets_view),
    Probe("GET", "/budgets/suggestions", probe_budget_suggestions),
    Probe("POST", "/transactions/{transaction_id}/split", probe_split_transaction),
    Probe("DELETE", "/transactions/{transaction_id}/split", probe_merge_split),
    Probe("GET", "/exports/transactions", probe_export_transactions),
    Probe("GET", "/analytics/anomalies", probe_anomalies),
    *(Probe(method, path, _operators_only(method, path)) for method, path in MONITORING),
]
