"""Budgets over HTTP (SPEC §12): CRUD with one budget per category and month, the month's
view against its own recomputation, suggestions on a known history, fresh after writes."""

from __future__ import annotations

from tests.factories import Api, make_transaction
from tests.helpers import assert_envelope

MONTH = "2025-06"


def spend(api: Api) -> None:
    food = {"category": "courses", "category_parent": "alimentation"}
    api.create_transactions(
        make_transaction(date="2025-06-03", amount=-300, label="HYPER", **food),
        make_transaction(date="2025-06-04", amount=-200, label="MARCHE", **food),
        make_transaction(date="2025-06-05", amount=-50, label="REMBOURSE", exclude=True, **food),
        make_transaction(date="2025-06-06", amount=40, label="AVOIR", **food),  # a credit
        make_transaction(date="2025-06-07", amount=-30, label="CINE", category="cinema"),
    )


def test_budgets_crud(api: Api) -> None:
    created = api.post("/budgets", {"category": "courses", "amount": 450})
    assert created.status_code == 201, created.text
    budget = created.json()
    assert budget == {
        "id": budget["id"],
        "category": "courses",
        "category_parent": None,
        "amount": 450.0,
        "month": None,
    }
    june = api.create("/budgets", {"category": "courses", "amount": 600, "month": MONTH})
    again = api.post("/budgets", {"category": "courses", "amount": 1, "month": MONTH})
    assert "already has a budget for 2025-06" in assert_envelope(again, 409, "conflict")["message"]
    assert_envelope(api.post("/budgets", {"category": "courses", "amount": 1}), 409, "conflict")
    assert [b["month"] for b in api.ok("/budgets")["items"]] == [None, MONTH]

    moved = api.put(f"/budgets/{june}", {"category": "courses", "amount": 500, "month": "2025-07"})
    assert moved.json()["month"] == "2025-07"
    clash = api.put(f"/budgets/{june}", {"category": "courses", "amount": 500})
    assert_envelope(clash, 409, "conflict")
    assert api.delete(f"/budgets/{june}").status_code == 204
    assert_envelope(api.get(f"/budgets/{june}"), 404, "not_found")
    for bad in ({"category": "x", "amount": 0}, {"category": "x", "amount": 1, "month": "2025-13"}):
        assert_envelope(api.post("/budgets", bad), 422, "validation_error")


def test_the_months_view_counts_kept_debits_and_takes_the_months_own_budget(api: Api) -> None:
    spend(api)
    api.create("/budgets", {"category": "courses", "amount": 450})
    api.create("/budgets", {"category": "courses", "amount": 600, "month": MONTH})
    api.create("/budgets", {"category": "cinema", "category_parent": "loisirs", "amount": 20})

    view = api.ok("/dashboard/budgets", month=MONTH)

    assert view["items"] == [
        # cinema's budget names a parent its spending is not under: nothing spent on it.
        {
            "category": "cinema",
            "budget": 20.0,
            "spent": 0.0,
            "remaining": 20.0,
            "ratio": 0.0,
            "over": False,
            "every_month": True,
        },
        {
            "category": "courses",
            "budget": 600.0,
            "spent": 500.0,
            "remaining": 100.0,
            "ratio": 0.8333,
            "over": False,
            "every_month": False,  # June's own, over the default
        },
    ]
    assert view["totals"] == {"budget": 620.0, "spent": 500.0, "remaining": 120.0, "over": 0}
    assert api.ok("/dashboard/budgets", month="2025-07")["items"][1]["budget"] == 450.0


def test_the_view_is_fresh_after_budget_and_row_writes(api: Api) -> None:
    spend(api)
    assert api.ok("/dashboard/budgets", month=MONTH)["items"] == []
    budget_id = api.create("/budgets", {"category": "courses", "amount": 450})
    assert api.ok("/dashboard/budgets", month=MONTH)["items"][0]["over"] is True
    api.put(f"/budgets/{budget_id}", {"category": "courses", "amount": 900})
    assert api.ok("/dashboard/budgets", month=MONTH)["items"][0]["over"] is False
    api.create_transactions(
        make_transaction(date="2025-06-20", amount=-450, label="X", category="courses")
    )
    assert api.ok("/dashboard/budgets", month=MONTH)["items"][0]["spent"] == 950.0


def test_suggestions_from_six_months_of_history(api: Api) -> None:
    amounts = {"01": -390, "02": -400, "03": -410, "04": -420, "05": -432.1, "06": -800}
    api.create_transactions(
        *(
            make_transaction(date=f"2025-{m}-10", amount=a, label="HYPER", category="courses")
            for m, a in amounts.items()
        ),
        make_transaction(date="2025-06-11", amount=-12, label="CINE", category="cinema"),
        make_transaction(date="2024-12-11", amount=-5000, label="OLD", category="courses"),
    )

    view = api.ok("/budgets/suggestions", month="2025-07")

    assert view["months"][0] == "2025-01"
    assert view["items"] == [{"category": "courses", "median": 415.0, "amount": 415.0}]
