"""Differential: the optimised reader equals the reference reader after any writes.

Random sequences of single inserts, bulk inserts, patches (category, parent, exclude,
expense_type, label, tags, amount) and deletes through the services, over two households
(one without a config row) and a few months; afterwards every view of the optimised
reader (aggregates) equals the reference reader's (raw rows), and `verify` finds nothing.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterator
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Connection, Engine

from foyer.cache.params import ParamError, ParamName, Params
from foyer.cache.views import VIEWS, Sources, View, path_params
from foyer.db.engine import read_connection
from foyer.domain.vocabulary import EXPENSE_TYPES
from foyer.read import OptimizedReader, ReferenceReader
from foyer.read.cursors import CursorCodec
from foyer.services import aggregates
from tests.factories import make_households, run_ops

optimized = OptimizedReader()
reference = ReferenceReader()

MONTHS = ("2025-11", "2025-12", "2026-01")
CATEGORIES = ("courses", "loyer", "cinéma")
PARENTS = ("alimentation", "logement")
LABELS = ("CB CARREFOUR", "PRLV LOYER", "CB UGC", "cb ugc")
TAGS = ("vacances", "sortie", "maison")

row_strategy = st.fixed_dictionaries(
    {
        "date": st.sampled_from(MONTHS).flatmap(
            lambda m: st.integers(1, 28).map(lambda d: dt.date.fromisoformat(f"{m}-{d:02d}"))
        ),
        "label": st.sampled_from(LABELS),
        # Small amounts so groups collide and equal min/max values happen; 0 included.
        "amount_cents": st.integers(-900, 300),
        "category": st.sampled_from(CATEGORIES),
        "category_parent": st.sampled_from(PARENTS),
        "exclude": st.booleans(),
        "expense_type": st.sampled_from(EXPENSE_TYPES),
        "tags": st.lists(st.sampled_from(TAGS), unique=True, max_size=2),
    }
)
patch_strategy = st.fixed_dictionaries(
    {},
    optional={
        "category": st.sampled_from(CATEGORIES),
        "category_parent": st.sampled_from(PARENTS),
        "exclude": st.booleans(),
        "expense_type": st.sampled_from(EXPENSE_TYPES),
        "label": st.sampled_from(LABELS),
        "tags": st.lists(st.sampled_from(TAGS), unique=True, max_size=2),
        "amount_cents": st.integers(-900, 300),
    },
)
op_strategy = st.one_of(
    st.tuples(st.just("insert"), st.integers(0, 1), st.lists(row_strategy, min_size=1, max_size=1)),
    st.tuples(st.just("bulk"), st.integers(0, 1), st.lists(row_strategy, min_size=2, max_size=12)),
    st.tuples(st.just("patch"), st.integers(0, 10_000), patch_strategy),
    st.tuples(st.just("delete"), st.integers(0, 10_000), st.none()),
)


#: Values to try for each kind of view parameter; every combination a view accepts is read.
SAMPLES: dict[ParamName, tuple[str | int, ...]] = {
    "month": (*MONTHS, "2026-02"),  # and a month with nothing in it
    "from": ("2025-10", "2025-12"),
    "to": ("2025-12", "2026-02"),
    "expense_types": ("VARIABLE,FIXED,PROVISION", "VARIABLE", "FIXED,PROVISION"),
    "category": (*CATEGORIES, "inconnue"),
    "sort": ("date_desc",),  # pages are one keyset query, the same for both readers
    "limit": (3,),
    "cursor": ("",),
}
CURSORS = CursorCodec("differential")


def param_sets(view: View) -> Iterator[Params]:
    names = (*path_params(view.path), *view.params)
    for values in itertools.product(*(SAMPLES[name] for name in names)):
        params = dict(zip(names, values, strict=True))
        try:
            view.check(params)
        except ParamError:
            continue  # e.g. from after to: the route refuses it, no reader sees it
        yield params


def assert_readers_agree(conn: Connection, household_id: int) -> None:
    """Every declared view (foyer.cache.views.VIEWS), every sample of its parameters."""
    fast, oracle = Sources(optimized, CURSORS), Sources(reference, CURSORS)
    for view in VIEWS:
        for params in param_sets(view):
            got = view.compute(fast, conn, household_id, params)
            assert got == view.compute(oracle, conn, household_id, params), (view.name, params)


def test_every_view_is_compared() -> None:
    # The checker can fail: a view whose parameters have no samples is never read.
    for view in VIEWS:
        assert next(param_sets(view), None) is not None, view.name


@settings(
    max_examples=30,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(ops=st.lists(op_strategy, min_size=1, max_size=25))
def test_optimized_equals_reference_after_any_writes(engine: Engine, ops: list[Any]) -> None:
    households = make_households(engine)
    run_ops(engine, households, ops)
    with read_connection(engine) as conn:
        assert aggregates.verify(conn) == []
        for household_id in households:
            assert_readers_agree(conn, household_id)
