"""Split bank rows (SPEC §12) below the API: foyer.services.splits on both databases.

The supermarket receipt moves the summary by exactly its personal part; a merge puts every
view back as it was; the dedupe of bank imports still holds the bank row once; the
aggregates stay equal to their recomputation and the two readers agree, whatever mix of
splits, merges, patches and deletes (a Hypothesis property).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Connection, Engine, func, select

from foyer.db.engine import read_connection
from foyer.db.schema import bank_transaction, split_original
from foyer.domain.splits import InvalidSplit, check_parts
from foyer.read import OptimizedReader
from foyer.read.imports import held_counts
from foyer.read.transactions import get_transaction
from foyer.services import aggregates, splits
from foyer.services import transactions as tx
from foyer.services.transaction_inputs import NewPart
from tests.factories import insert_rows, make_households, service_row, unit_of_work
from tests.read.test_optimized_equals_reference import (
    CATEGORIES,
    PARENTS,
    TAGS,
    assert_readers_agree,
    op_strategy,
)

MONTH = "2025-12"
reader = OptimizedReader()


def part(amount_cents: int, **overrides: Any) -> NewPart:
    fields: dict[str, Any] = {
        "category": "courses",
        "category_parent": "alimentation",
        "expense_type": "VARIABLE",
        "exclude": False,
        **overrides,
    }
    return NewPart(amount_cents=amount_cents, **fields)


def views(conn: Connection, household_id: int) -> dict[str, Any]:
    h = {"household_id": household_id}
    return {
        "summary": reader.summary(conn, **h, month=MONTH),
        "hierarchy": reader.hierarchy(conn, **h, month=MONTH),
        "trends": reader.trends(conn, **h, start="2025-11", end="2026-01"),
        "drill": reader.drill_down_summary(conn, **h, category="courses", month=MONTH),
        "details": reader.drill_down_details(conn, **h, category="courses", month=MONTH),
    }


def split(engine: Engine, household_id: int, row_id: int, *parts: NewPart) -> list[int] | None:
    with unit_of_work(engine) as conn:
        return splits.split_transaction(
            conn, household_id=household_id, transaction_id=row_id, parts=parts
        )


def merge(engine: Engine, household_id: int, original_id: int) -> bool:
    with unit_of_work(engine) as conn:
        return splits.merge_split(conn, household_id=household_id, original_id=original_id)


def row(engine: Engine, household_id: int, row_id: int) -> dict[str, Any] | None:
    with read_connection(engine) as conn:
        return get_transaction(conn, household_id=household_id, transaction_id=row_id)


def assert_exact(engine: Engine, household_id: int) -> None:
    with read_connection(engine) as conn:
        assert aggregates.verify(conn) == []
        assert_readers_agree(conn, household_id)


def receipt(engine: Engine) -> tuple[int, int]:
    """A household with a -100.00 supermarket receipt (tagged) among other rows."""
    household_id, _ = make_households(engine)
    receipt_id, *_ = insert_rows(
        engine,
        household_id,
        service_row(label="CB CARREFOUR", amount_cents=-10_000, tags=["semaine"]),
        service_row(label="CB CARREFOUR", amount_cents=-2_500),
        service_row(label="SALAIRE", amount_cents=250_000, category="salaire"),
    )
    return household_id, receipt_id


def test_the_supermarket_receipt_moves_the_summary_by_its_personal_part(engine: Engine) -> None:
    household_id, receipt_id = receipt(engine)
    with read_connection(engine) as conn:
        before = reader.summary(conn, household_id=household_id, month=MONTH)

    ids = split(
        engine,
        household_id,
        receipt_id,
        part(-6_000),
        part(-4_000, category="vêtements", category_parent="perso", exclude=True, tags=[]),
    )

    assert ids is not None
    assert len(ids) == 2
    assert min(ids) > receipt_id
    with read_connection(engine) as conn:
        after = reader.summary(conn, household_id=household_id, month=MONTH)
    assert after["variable"]["total"] == before["variable"]["total"] - 40
    assert after["variable"]["count"] == before["variable"]["count"]
    assert after["actuals"]["excluded"] == before["actuals"]["excluded"] + 40
    assert after["actuals"]["transactions"] == before["actuals"]["transactions"] + 1
    shared, personal = (row(engine, household_id, i) for i in ids)
    assert shared is not None
    assert personal is not None
    assert (shared["amount"], shared["split_of"], shared["tags"]) == (-60, receipt_id, ["semaine"])
    assert (personal["amount"], personal["exclude"], personal["tags"]) == (-40, True, [])
    for key in ("date", "month", "label", "account", "import_id"):
        assert shared[key] == personal[key]
    assert row(engine, household_id, receipt_id) is None  # the original left every view
    assert_exact(engine, household_id)


def test_a_merge_restores_every_view_and_the_row_exactly(engine: Engine) -> None:
    household_id, receipt_id = receipt(engine)
    original = row(engine, household_id, receipt_id)
    with read_connection(engine) as conn:
        before = views(conn, household_id)
    split(engine, household_id, receipt_id, *(part(-2_500, category=c) for c in "abcd"))
    with read_connection(engine) as conn:
        assert views(conn, household_id) != before

    assert merge(engine, household_id, receipt_id)

    assert row(engine, household_id, receipt_id) == original
    with read_connection(engine) as conn:
        assert views(conn, household_id) == before
        parts = select(func.count()).where(bank_transaction.c.split_of.is_not(None))
        assert conn.execute(parts).scalar_one() == 0
        assert conn.execute(select(func.count()).select_from(split_original)).scalar_one() == 0
    assert_exact(engine, household_id)
    assert not merge(engine, household_id, receipt_id)  # nothing split any more


def test_the_dedupe_still_holds_the_bank_row_once(engine: Engine) -> None:
    household_id, receipt_id = receipt(engine)
    day = dt.date(2025, 12, 3)
    with read_connection(engine) as conn:
        before = held_counts(conn, household_id=household_id, start=day, end=day)

    split(engine, household_id, receipt_id, part(-9_999), part(-1))

    with read_connection(engine) as conn:
        assert held_counts(conn, household_id=household_id, start=day, end=day) == before


def test_parts_that_do_not_add_up_are_refused_with_the_difference(engine: Engine) -> None:
    household_id, receipt_id = receipt(engine)
    with pytest.raises(InvalidSplit) as refused:
        split(engine, household_id, receipt_id, part(-6_000), part(-3_500))
    assert refused.value.details == {"row": -10_000, "parts": -9_500, "difference": -500}
    assert "-5.00 left to assign" in str(refused.value)
    with pytest.raises(InvalidSplit, match="every part of a debit is a debit"):
        split(engine, household_id, receipt_id, part(-11_000), part(1_000))
    with pytest.raises(InvalidSplit, match="2 to 20 parts"):
        split(engine, household_id, receipt_id, part(-10_000))
    assert row(engine, household_id, receipt_id) is not None  # nothing happened
    assert_exact(engine, household_id)


@pytest.mark.parametrize(
    ("row_cents", "parts", "ok"),
    [
        (-100, [-50, -50], True),
        (100, [1, 99], True),
        (-100, [-50, -50, 0], False),
        (0, [1, -1], False),
        (-100, [-101, 1], False),
        (-100, [-1] * 100, False),
    ],
)
def test_check_parts(row_cents: int, parts: list[int], ok: bool) -> None:
    if ok:
        check_parts(row_cents, parts)
    else:
        with pytest.raises(InvalidSplit):
            check_parts(row_cents, parts)


def test_a_part_or_a_row_already_split_cannot_be_split(engine: Engine) -> None:
    household_id, receipt_id = receipt(engine)
    ids = split(engine, household_id, receipt_id, part(-5_000), part(-5_000))
    assert ids is not None
    with pytest.raises(splits.SplitConflict, match="already split"):
        split(engine, household_id, receipt_id, part(-5_000), part(-5_000))
    with pytest.raises(splits.SplitConflict, match="is a part of split") as refused:
        split(engine, household_id, ids[0], part(-2_500), part(-2_500))
    assert refused.value.original_id == receipt_id
    assert_exact(engine, household_id)


def test_another_households_row_is_not_found(engine: Engine) -> None:
    household_id, receipt_id = receipt(engine)
    _, other = make_households(engine)
    assert split(engine, other, receipt_id, part(-5_000), part(-5_000)) is None
    split(engine, household_id, receipt_id, part(-5_000), part(-5_000))
    assert split(engine, other, receipt_id, part(-5_000), part(-5_000)) is None
    assert not merge(engine, other, receipt_id)
    with unit_of_work(engine) as conn:
        assert not splits.delete_row(conn, household_id=other, transaction_id=receipt_id)
    assert_exact(engine, household_id)


def test_deleting_the_original_deletes_its_parts_and_a_part_alone_is_refused(
    engine: Engine,
) -> None:
    household_id, receipt_id = receipt(engine)
    ids = split(engine, household_id, receipt_id, part(-5_000), part(-5_000))
    assert ids is not None
    with unit_of_work(engine) as conn, pytest.raises(splits.SplitConflict):
        splits.delete_row(conn, household_id=household_id, transaction_id=ids[0])
    with unit_of_work(engine) as conn:
        assert splits.delete_row(conn, household_id=household_id, transaction_id=receipt_id)
    assert all(row(engine, household_id, i) is None for i in ids)
    assert not merge(engine, household_id, receipt_id)
    with read_connection(engine) as conn:
        assert reader.summary(conn, household_id=household_id, month=MONTH)["variable"][
            "total"
        ] == pytest.approx(25)
    assert_exact(engine, household_id)


def test_a_new_row_never_takes_a_split_rows_id(engine: Engine) -> None:
    """SQLite hands out max(id) + 1: the original, out of bank_transaction, still holds its id."""
    household_id, _ = make_households(engine)
    first, last = insert_rows(engine, household_id, service_row(), service_row())
    ids = split(engine, household_id, last, part(-250), part(-250))
    assert ids is not None
    with unit_of_work(engine) as conn:
        assert splits.delete_row(conn, household_id=household_id, transaction_id=first)
        for part_id in ids:  # the parts go too (as an import's undo would take them)
            tx.delete_transaction(conn, household_id=household_id, transaction_id=part_id)
    (new,) = insert_rows(engine, household_id, service_row())
    assert new != last
    with unit_of_work(engine) as conn:
        # The parts were deleted behind the split's back: the merge still restores the row.
        assert splits.merge_split(conn, household_id=household_id, original_id=last)
    assert row(engine, household_id, last) is not None
    assert_exact(engine, household_id)


def test_undoing_an_import_takes_its_split_rows_away(engine: Engine) -> None:
    household_id, _ = make_households(engine)
    with unit_of_work(engine) as conn:
        (imported,) = tx.insert_transactions(
            conn,
            household_id=household_id,
            items=[
                tx.NewTransaction(
                    date=dt.date(2025, 12, 3),
                    label="CB CARREFOUR",
                    amount_cents=-10_000,
                    category="courses",
                    category_parent="alimentation",
                    account="joint",
                    exclude=False,
                    expense_type="VARIABLE",
                    import_id="7",
                )
            ],
        )
    ids = split(engine, household_id, imported, part(-6_000), part(-4_000, account="perso"))
    assert ids is not None
    assert row(engine, household_id, ids[1])["import_id"] == "7"  # type: ignore[index]

    with unit_of_work(engine) as conn:
        assert tx.delete_import_rows(conn, household_id=household_id, import_id="7") == 2

    with read_connection(engine) as conn:
        assert conn.execute(select(func.count()).select_from(split_original)).scalar_one() == 0
        assert conn.execute(select(func.count()).select_from(bank_transaction)).scalar_one() == 0
    assert_exact(engine, household_id)


# -- the law: aggregates exact and readers equal after any splits and merges -----------------

part_strategy = st.fixed_dictionaries(
    {
        "category": st.sampled_from(CATEGORIES),
        "category_parent": st.sampled_from(PARENTS),
        "exclude": st.booleans(),
        "expense_type": st.sampled_from(("VARIABLE", "FIXED", "PROVISION")),
        "tags": st.none() | st.lists(st.sampled_from(TAGS), unique=True, max_size=2),
    }
)
split_op = st.tuples(  # split the n-th row still there; weights: how its amount is cut
    st.just("split"),
    st.integers(0, 10_000),
    st.lists(st.tuples(st.integers(1, 5), part_strategy), min_size=2, max_size=4),
)
merge_op = st.tuples(st.just("merge"), st.integers(0, 10_000), st.none())
# Half the ops split and a quarter merge, so most examples do both, and often.
split_ops = st.one_of(op_strategy, split_op, merge_op, split_op)


def cut(amount: int, weights: list[int]) -> list[int] | None:
    """`amount` cut in parts of its sign proportional to `weights`, none zero (or None)."""
    if abs(amount) < len(weights):
        return None
    sign = -1 if amount < 0 else 1
    total = sum(weights)
    sizes = [max(1, abs(amount) * w // total) for w in weights]
    sizes[-1] = abs(amount) - sum(sizes[:-1])
    return None if sizes[-1] < 1 else [sign * size for size in sizes]


def run_split_ops(engine: Engine, households: list[int], ops: list[Any]) -> None:
    """As `tests.factories.run_ops`, plus splits and merges; a patch, delete or split takes
    the n-th (modulo) row of the households still there, parts included (the services let
    a part be deleted alone, and the merge still restores the original)."""
    t, so = bank_transaction, split_original
    for kind, arg, payload in ops:
        if kind in ("insert", "bulk"):
            insert_rows(engine, households[arg], *payload)
            continue
        with unit_of_work(engine) as conn:
            if kind == "merge":
                found = sorted(
                    conn.execute(select(so.c.id).where(so.c.household_id.in_(households)))
                )
                if found:
                    (original_id,) = found[arg % len(found)]
                    household_id = conn.execute(
                        select(so.c.household_id).where(so.c.id == original_id)
                    ).scalar_one()
                    assert splits.merge_split(
                        conn, household_id=household_id, original_id=original_id
                    )
                continue
            query = select(t.c.id, t.c.household_id, t.c.amount_cents, t.c.split_of)
            rows = sorted(conn.execute(query.where(t.c.household_id.in_(households))))
            if not rows:
                continue
            row_id, household_id, amount, split_of = rows[arg % len(rows)]
            h = {"household_id": household_id, "transaction_id": row_id}
            if kind == "patch":
                assert tx.update_transaction(conn, **h, changes=tx.TransactionChanges(**payload))
            elif kind == "delete":
                assert tx.delete_transaction(conn, **h)
            elif split_of is None:
                amounts = cut(amount, [weight for weight, _ in payload])
                if amounts is not None:
                    parts = [
                        NewPart(amount_cents=cents, **fields)
                        for cents, (_, fields) in zip(amounts, payload, strict=True)
                    ]
                    assert splits.split_transaction(conn, **h, parts=parts)


@settings(
    max_examples=25,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(ops=st.lists(split_ops, min_size=1, max_size=20))
def test_any_splits_and_merges_keep_the_aggregates_exact(engine: Engine, ops: list[Any]) -> None:
    households = make_households(engine)
    run_split_ops(engine, households, ops)
    with read_connection(engine) as conn:
        assert aggregates.verify(conn) == []
        for household_id in households:
            assert_readers_agree(conn, household_id)
