"""GET /api/v1/transactions filters (SPEC §5): month, category, parent, type, exclude,
tag and the label search `q`, each against the rows every filter should keep."""

from __future__ import annotations

from typing import Any

import pytest

from tests.factories import Api, make_transaction
from tests.helpers import assert_envelope, listed_ids
from tests.oracles import matching

FILTER_ROWS = [
    make_transaction(
        date="2025-06-02",
        label="CB CARREFOUR 02/06",
        amount=-54.3,
        category="courses",
        category_parent="alimentation",
        tags=["food"],
    ),
    make_transaction(
        date="2025-06-10",
        label="Électricité EDF",
        amount=-80,
        category="energie",
        category_parent="logement",
        expense_type="FIXED",
        tags=["home", "energy"],
    ),
    make_transaction(
        date="2025-07-01",
        label="SALAIRE JUILLET",
        amount=2500,
        category="salaire",
        category_parent="revenus",
    ),
    make_transaction(
        date="2025-06-20",
        label="Virement épargne",
        amount=-200,
        category="epargne",
        category_parent="epargne",
        expense_type="PROVISION",
        exclude=True,
        tags=["home"],
    ),
    make_transaction(
        date="2025-05-31",
        label="100% BIO_MARKET",
        amount=-12.5,
        category="courses",
        category_parent="alimentation",
        tags=["food", "bio"],
    ),
    make_transaction(
        date="2025-06-30",
        label="100 BIOXMARKET",
        amount=-7.5,
        category="courses",
        category_parent="alimentation",
        exclude=True,
    ),
    make_transaction(
        date="2025-06-15",
        label="Straße Café",
        amount=-4.2,
        category="restaurant",
        category_parent="alimentation",
        tags=["Food"],
    ),
    make_transaction(
        date="2025-06-15",
        label="path/to 50_50 split",
        amount=-10,
        category="divers",
        category_parent="divers",
    ),
]


@pytest.fixture
def filter_rows(api: Api) -> dict[int, dict[str, Any]]:
    ids = api.create_transactions(*FILTER_ROWS)
    return dict(zip(ids, FILTER_ROWS, strict=True))


@pytest.mark.parametrize(
    "where",
    [
        {},
        {"month": "2025-06"},
        {"month": "2025-05"},
        {"month": "2025-07"},
        {"month": "2024-06"},
        {"category": "courses"},
        {"category": "Courses"},
        {"category_parent": "alimentation"},
        {"expense_type": "VARIABLE"},
        {"expense_type": "FIXED"},
        {"expense_type": "PROVISION"},
        {"exclude": True},
        {"exclude": False},
        {"tag": "food"},
        {"tag": "Food"},
        {"tag": "home"},
        {"tag": "nope"},
        {"month": "2025-06", "category": "courses"},
        {"month": "2025-06", "exclude": False, "category_parent": "alimentation"},
        {"tag": "home", "expense_type": "FIXED"},
        {"tag": "food", "month": "2025-05"},
    ],
)
def test_filters_return_exactly_the_matching_rows(
    api: Api, filter_rows: dict[int, dict[str, Any]], where: dict[str, Any]
) -> None:
    expected = matching(filter_rows, **where)
    params = {k: str(v).lower() if isinstance(v, bool) else v for k, v in where.items()}
    got = listed_ids(api, **params)
    assert len(got) == len(set(got))
    assert set(got) == expected
    # Filters never change the order: the filtered listing is the full one, restricted.
    assert got == [tid for tid in listed_ids(api) if tid in expected]


@pytest.mark.parametrize(
    ("q", "labels"),
    [
        ("carrefour", {"CB CARREFOUR 02/06"}),
        ("CarreFour 02", {"CB CARREFOUR 02/06"}),
        ("électricité", {"Électricité EDF"}),
        ("ÉLECTRICITÉ", {"Électricité EDF"}),
        ("Électricité edf", {"Électricité EDF"}),
        ("ÉPARGNE", {"Virement épargne"}),
        ("straße", {"Straße Café"}),
        ("CAFÉ", {"Straße Café"}),
        ("market", {"100% BIO_MARKET", "100 BIOXMARKET"}),
        ("100%", {"100% BIO_MARKET"}),
        ("%", {"100% BIO_MARKET"}),
        ("O_M", {"100% BIO_MARKET"}),
        ("_", {"100% BIO_MARKET", "path/to 50_50 split"}),
        ("0_5", {"path/to 50_50 split"}),
        ("/", {"CB CARREFOUR 02/06", "path/to 50_50 split"}),
        ("h/t", {"path/to 50_50 split"}),
        ("\\", set()),
        ("nothing like this", set()),
        ("'; DROP TABLE bank_transaction; --", set()),
    ],
)
def test_q_matches_label_case_insensitively_and_literally(
    api: Api, filter_rows: dict[int, dict[str, Any]], q: str, labels: set[str]
) -> None:
    got = listed_ids(api, q=q)
    assert {filter_rows[tid]["label"] for tid in got} == labels
    assert len(got) == len(labels)


def test_q_combines_with_other_filters(api: Api, filter_rows: dict[int, dict[str, Any]]) -> None:
    got = listed_ids(api, q="market", exclude="false")
    assert [filter_rows[tid]["label"] for tid in got] == ["100% BIO_MARKET"]
    assert listed_ids(api, q="market", month="2025-07") == []


@pytest.mark.parametrize(
    "params",
    [
        {"month": "2025-6"},
        {"month": "June"},
        {"month": "2025-13"},
        {"expense_type": "OTHER"},
        {"exclude": "maybe"},
        {"sort": "label_asc"},
        {"q": "x" * 201},
    ],
)
def test_invalid_listing_params_are_422(api: Api, params: dict[str, Any]) -> None:
    assert_envelope(api.get("/transactions", **params), 422, "validation_error")
