"""Spending anomalies (SPEC §12): a known history computed by hand, the rule's edges, and
its laws.

The optimised reader and the reference one are also held equal on random writes by the
differential test of every view (tests/read/).
"""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import Engine

from foyer.db.engine import read_connection
from foyer.domain.anomalies import anomalies_view, assess, history_months
from foyer.read import OptimizedReader, ReferenceReader
from tests.factories import Api, make_transaction

MONTH = "2025-06"
HISTORY = history_months(MONTH)  # 2024-06 .. 2025-05
# Groceries, a usual year: median 400, MAD 10 -> usual swing 20 (5 % of 400), highest 425.
COURSES = [380, 390, 400, 400, 410, 420, 395, 405, 385, 415, 400, 425]


def _history(api: Api) -> None:
    rows = []
    for month, courses in zip(HISTORY, COURSES, strict=True):
        rows += [
            make_transaction(date=f"{month}-05", amount=-courses, label="HYPER"),
            make_transaction(
                date=f"{month}-01",
                amount=-1150,
                label="LOYER",
                category="loyer",
                category_parent="logement",
                expense_type="FIXED",
            ),
            make_transaction(date=f"{month}-15", amount=-60, label="RESTO", category="resto"),
        ]
    # Paid once a year, in June: the history's 2024-06.
    rows.append(
        make_transaction(date="2024-06-20", amount=-480, label="MAIF", category="assurance")
    )
    rows += [
        # The month: groceries far above their usual (620 > 400 + 3 × 20 = 460)...
        make_transaction(date="2025-06-05", amount=-500, label="HYPER"),
        make_transaction(date="2025-06-20", amount=-120, label="MARCHE"),
        make_transaction(date="2025-06-21", amount=-5000, label="REMBOURSE", exclude=True),
        # ...a 3 % raise of the rent (within 5 % × 3 of 1,150: up to 1,322.50)...
        make_transaction(
            date="2025-06-01",
            amount=-1184.5,
            label="LOYER",
            category="loyer",
            category_parent="logement",
            expense_type="FIXED",
        ),
        # ...a usual restaurant month (up to 60 + 3 × 10 = 90)...
        make_transaction(date="2025-06-15", amount=-75, label="RESTO", category="resto"),
        # ...the yearly insurance, a little dearer (up to 480 + 30 = 510)...
        make_transaction(date="2025-06-20", amount=-495, label="MAIF", category="assurance"),
        # ...and two categories never seen before: one above 30 €, one at 30 € exactly.
        make_transaction(date="2025-06-08", amount=-300, label="CRECHE", category="garde"),
        make_transaction(date="2025-06-09", amount=-30, label="FLEURS", category="cadeaux"),
        make_transaction(date="2025-06-10", amount=2500, label="SALAIRE", category="salaire"),
    ]
    api.create_transactions(*rows)


def test_a_known_history(api: Api, engine: Engine) -> None:
    _history(api)
    body = api.ok("/analytics/anomalies", month=MONTH)
    assert body == {
        "month": MONTH,
        "history_months": HISTORY,
        "items": [
            {
                "category": "garde",
                "spent": 300.0,
                "median": 0.0,
                "typical_max": 30.0,
                "excess": 300.0,
                "ratio": None,
            },
            {
                "category": "courses",
                "spent": 620.0,
                "median": 400.0,
                "typical_max": 460.0,
                "excess": 220.0,
                "ratio": 1.55,
            },
        ],
    }
    assert (HISTORY[0], HISTORY[-1]) == ("2024-06", "2025-05")
    # Both readers, straight from the database, agree with the route.
    with read_connection(engine) as conn:
        for reader in (OptimizedReader(), ReferenceReader()):
            assert reader.anomalies(conn, household_id=api.household_id, month=MONTH) == body


def test_usual_months_are_not_flagged_and_the_first_month_flags_everything(api: Api) -> None:
    _history(api)
    # May: groceries at 425, against a history with an empty 2024-05 -> median 400 still.
    assert api.ok("/analytics/anomalies", month="2025-05")["items"] == []
    # The first month with any spending: every category is new, flagged above 30 €.
    first = api.ok("/analytics/anomalies", month="2024-06")["items"]
    assert [(i["category"], i["spent"], i["excess"]) for i in first] == [
        ("loyer", 1150.0, 1150.0),
        ("assurance", 480.0, 480.0),
        ("courses", 380.0, 380.0),
        ("resto", 60.0, 60.0),
    ]


def test_a_month_without_history_or_spending(api: Api) -> None:
    _history(api)
    body = api.ok("/analytics/anomalies", month="2030-01")
    assert body == {"month": "2030-01", "history_months": history_months("2030-01"), "items": []}
    assert body["history_months"][0] == "2029-01"
    assert api.get("/analytics/anomalies", month="2025-13").status_code == 422


# -- the rule, pure ----------------------------------------------------------------------


def _view(history: list[int], spent: int) -> list[dict[str, Any]]:
    spending = {m: {"c": cents} for m, cents in zip(HISTORY, history, strict=True)}
    items: list[dict[str, Any]] = anomalies_view(MONTH, {**spending, MONTH: {"c": spent}})["items"]
    return items


def test_typical_max_is_the_most_not_flagged() -> None:
    for history in ([0] * 12, [40_000] * 12, [0] * 11 + [48_000], [100, 250] * 6):
        limit = assess(history).typical_max
        assert _view(history, limit) == []
        [item] = _view(history, limit + 1)
        assert round(item["typical_max"] * 100) == limit


def test_half_cent_medians_round_half_up_and_the_numbers_add_up() -> None:
    # Six months at 10.01 €, six at 10.02 €: the median is 10.015 €, shown 10.02 €.
    found = assess([1001] * 6 + [1002] * 6)
    assert (found.median * 2, found.swing, found.typical_max) == (2003, 1000, 4002)
    [item] = _view([1001] * 6 + [1002] * 6, 10_000)
    assert item == {
        "category": "c",
        "spent": 100.0,
        "median": 10.02,
        "typical_max": 40.02,
        "excess": 89.98,
        "ratio": 9.985,  # 10,000 / 1,001.5
    }


def test_the_swing_has_floors() -> None:
    # A rent, the same every month: MAD 0, the swing is 5 % of it.
    assert assess([115_000] * 12).typical_max == 115_000 + 3 * 5_750
    # A small steady spend: the swing is 10 €.
    assert assess([2_000] * 12).typical_max == 2_000 + 3 * 1_000
    # A noisy one: the MAD itself (median 400 €, distances' median 100 €).
    assert assess([30_000, 50_000] * 6).median == 40_000
    assert assess([30_000, 50_000] * 6).typical_max == 40_000 + 3 * 10_000


cents = st.integers(0, 10**8)
spending_strategy = st.dictionaries(
    st.sampled_from([*HISTORY, MONTH]),
    st.dictionaries(st.sampled_from(["a", "b", "c", "d"]), cents, max_size=4),
)


def _flagged(spending: dict[str, dict[str, int]]) -> set[str]:
    return {item["category"] for item in anomalies_view(MONTH, spending)["items"]}


@given(spending=spending_strategy)
def test_every_item_is_above_its_typical_max_and_ranked(
    spending: dict[str, dict[str, int]],
) -> None:
    body = anomalies_view(MONTH, spending)
    items = body["items"]
    for item in items:
        assert item["spent"] > item["typical_max"] >= item["median"]
        assert round(item["excess"] * 100) == round(item["spent"] * 100) - round(
            item["median"] * 100
        )
    excesses = [item["excess"] for item in items]
    assert excesses == sorted(excesses, reverse=True)
    # And every category spent on this month and left out is within its typical_max.
    for category, spent in spending.get(MONTH, {}).items():
        found = assess([spending.get(m, {}).get(category, 0) for m in HISTORY])
        assert found.flags(spent) == (category in _flagged(spending))


@given(spending=spending_strategy, factor=st.integers(1, 50))
def test_the_same_pattern_larger_is_never_less_noticeable(
    spending: dict[str, dict[str, int]], factor: int
) -> None:
    # Scaling every month by the same factor keeps every flagged category flagged: the
    # rule is in proportions but for its floors (10 €, 30 €), which only larger amounts
    # clear more easily. Without the floors, the flagged set would be the same.
    scaled = {m: {c: v * factor for c, v in by.items()} for m, by in spending.items()}
    assert _flagged(spending) <= _flagged(scaled)


@given(spending=spending_strategy, order=st.permutations(HISTORY))
def test_the_order_of_the_history_and_other_categories_do_not_matter(
    spending: dict[str, dict[str, int]], order: list[str]
) -> None:
    shuffled = {
        new: spending[old] for old, new in zip(HISTORY, order, strict=True) if old in spending
    }
    if MONTH in spending:
        shuffled[MONTH] = spending[MONTH]
    assert _flagged(shuffled) == _flagged(spending)
    # A category's verdict is its own history's: removing the others changes nothing.
    for category in _flagged(spending):
        alone = {m: {category: by[category]} for m, by in spending.items() if category in by}
        assert _flagged(alone) == {category}
