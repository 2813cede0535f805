"""The hierarchy and the drill-down (SPEC §5–§6): summary, details (top 20 by tag and
label), transaction pages; exactly, on the worked household (tests/api/worked_household.py).
"""

from __future__ import annotations

import datetime as dt

from tests.api.worked_household import MONTH, Worked
from tests.factories import Api, make_transaction
from tests.helpers import JSON, assert_422


def test_worked_hierarchy(worked: Worked) -> None:
    # Debits not excluded, every expense type; sante and transport tie at 89.00 (by name),
    # boulangerie and marche tie at 8.45 (by name).
    assert worked.api.ok("/transactions/hierarchy", month=MONTH) == [
        {"category_parent": "logement", "total": 1225.25, "count": 2, "categories": [
            {"category": "logement", "total": 1150.0, "count": 1},
            {"category": "energie", "total": 75.25, "count": 1},
        ]},
        {"category_parent": "epargne", "total": 250.0, "count": 1, "categories": [
            {"category": "epargne", "total": 250.0, "count": 1},
        ]},
        # courses 54.30 + 120.15 + 5.99 = 180.44; + 8.45 + 8.45 = 197.34
        {"category_parent": "alimentation", "total": 197.34, "count": 5, "categories": [
            {"category": "courses", "total": 180.44, "count": 3},
            {"category": "boulangerie", "total": 8.45, "count": 1},
            {"category": "marche", "total": 8.45, "count": 1},
        ]},
        {"category_parent": "sante", "total": 89.0, "count": 1, "categories": [
            {"category": "sante", "total": 89.0, "count": 1},
        ]},
        {"category_parent": "transport", "total": 89.0, "count": 1, "categories": [
            {"category": "train", "total": 89.0, "count": 1},
        ]},
    ]  # fmt: skip
    assert worked.api.ok("/transactions/hierarchy", month="2025-04") == []


def test_worked_drill_down_summary(worked: Worked) -> None:
    # courses in June: 54.30 + 120.15 + 5.99 (FIXED counts too) = 180.44 over 3 debits;
    # avg 18044/3 = 6014.67 -> 60.15. Excluded T10 and the +10.00 refund are left out.
    # May: 99.99 + 40.00 = 139.99 (the excluded -20.00 is left out).
    assert worked.api.ok("/dashboard/drill-down/courses", month=MONTH) == {
        "category": "courses",
        "month": "2025-06",
        "total": 180.44,
        "count": 3,
        "avg": 60.15,
        "min": 5.99,
        "max": 120.15,
        "previous_total": 139.99,
    }
    assert worked.api.ok(
        "/dashboard/drill-down/courses", month=MONTH, level="summary"
    ) == worked.api.ok("/dashboard/drill-down/courses", month=MONTH)
    # July: one debit; previous_total is June's.
    assert worked.api.ok("/dashboard/drill-down/courses", month="2025-07") == {
        "category": "courses", "month": "2025-07", "total": 12.0, "count": 1, "avg": 12.0,
        "min": 12.0, "max": 12.0, "previous_total": 180.44,
    }  # fmt: skip
    # A category without debits: zeros, no min or max.
    assert worked.api.ok("/dashboard/drill-down/salaire", month=MONTH) == {
        "category": "salaire", "month": "2025-06", "total": 0.0, "count": 0, "avg": 0.0,
        "min": None, "max": None, "previous_total": 0.0,
    }  # fmt: skip


def test_worked_drill_down_details(worked: Worked) -> None:
    details = worked.api.ok("/dashboard/drill-down/courses", month=MONTH, level="details")
    assert details == {
        "category": "courses",
        "month": "2025-06",
        # courses: T1 + T2 + T13 = 180.44; famille: T2 only
        "by_tag": [
            {"tag": "courses", "total": 180.44, "count": 3},
            {"tag": "famille", "total": 120.15, "count": 1},
        ],
        # CB CARREFOUR: 54.30 + 120.15 (the +10.00 refund is no debit)
        "by_label": [
            {"label": "CB CARREFOUR", "total": 174.45, "count": 2},
            {"label": "DRIVE ABONNEMENT", "total": 5.99, "count": 1},
        ],
    }


def test_drill_down_details_top_20(api: Api) -> None:
    # "shop 00".."shop 21" cost 1.00..22.00 and carry tags t00..t21; alpha and beta cost
    # 10.00 like shop 09 and carry tags x and w. Ties order by name.
    bodies = [
        make_transaction(category="divers", label=f"shop {i:02d}", amount=-(i + 1),
                         tags=[f"t{i:02d}"])
        for i in range(22)
    ]  # fmt: skip
    bodies += [
        make_transaction(category="divers", label="beta", amount=-10, tags=["w"]),
        make_transaction(category="divers", label="alpha", amount=-10, tags=["x"]),
        make_transaction(category="divers", label="zeta", amount=-999, exclude=True, tags=["x"]),
        make_transaction(category="divers", label="zeta", amount=999, tags=["x"]),
        make_transaction(category="autre", label="zeta", amount=-999, tags=["x"]),
    ]
    api.create_transactions(*bodies)
    details = api.ok("/dashboard/drill-down/divers", month=MONTH, level="details")
    expected_labels = [f"shop {i:02d}" for i in range(21, 9, -1)]
    expected_labels += ["alpha", "beta", "shop 09"]
    expected_labels += [f"shop {i:02d}" for i in range(8, 3, -1)]
    assert [row["label"] for row in details["by_label"]] == expected_labels
    assert details["by_label"][0] == {"label": "shop 21", "total": 22.0, "count": 1}
    assert details["by_label"][-1] == {"label": "shop 04", "total": 5.0, "count": 1}
    expected_tags = [f"t{i:02d}" for i in range(21, 9, -1)] + ["t09", "w", "x"]
    expected_tags += [f"t{i:02d}" for i in range(8, 3, -1)]
    assert [row["tag"] for row in details["by_tag"]] == expected_tags
    assert details["by_tag"][13:15] == [
        {"tag": "w", "total": 10.0, "count": 1},
        {"tag": "x", "total": 10.0, "count": 1},
    ]


def same_instant(transaction: JSON) -> JSON:
    """created_at as an instant: GET /{id} writes UTC as 'Z', listings as '+00:00'."""
    return {**transaction, "created_at": dt.datetime.fromisoformat(transaction["created_at"])}


def test_worked_drill_down_transactions(worked: Worked) -> None:
    api, tx = worked.api, worked.tx
    path = "/dashboard/drill-down/courses"
    first = api.ok(path, month=MONTH, level="transactions", limit=2)
    # courses debits not excluded, newest first: T13 (18th), T2 (10th), T1 (3rd)
    assert [item["id"] for item in first["items"]] == [tx["T13"], tx["T2"]]
    assert [same_instant(item) for item in first["items"]] == [
        same_instant(api.ok(f"/transactions/{i}")) for i in (tx["T13"], tx["T2"])
    ]
    assert first["next_cursor"]
    second = api.ok(path, month=MONTH, level="transactions", limit=2, cursor=first["next_cursor"])
    assert [item["id"] for item in second["items"]] == [tx["T1"]]
    assert second["next_cursor"] is None
    whole = api.ok(path, month=MONTH, level="transactions", sort="amount_asc")
    assert [item["id"] for item in whole["items"]] == [tx["T2"], tx["T1"], tx["T13"]]
    assert whole["next_cursor"] is None
    bad = api.get(path, month=MONTH, level="transactions", cursor="not-a-cursor")
    assert bad.status_code == 400
    assert_422(api.get(path, month=MONTH, level="everything"))
    assert_422(api.get(path, month="2025-6"))
