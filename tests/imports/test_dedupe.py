"""SPEC §8 duplicates: occurrence counting, checked against statements split into files."""

from __future__ import annotations

import datetime as dt
from collections import Counter

from hypothesis import given
from hypothesis import strategies as st

from foyer.imports import DedupeKey, ParsedRow, dedupe_key, mark_duplicates

DAY0 = dt.date(2024, 1, 1)


def key(day: int, label: str, cents: int = -250) -> DedupeKey:
    row = ParsedRow(1, DAY0 + dt.timedelta(days=day), label, cents)
    return dedupe_key(row, default_account="joint")


def import_file(held: Counter[DedupeKey], keys: list[DedupeKey]) -> int:
    """What a commit does, in memory: insert the rows not marked duplicate."""
    inserted = [k for k, dup in zip(keys, mark_duplicates(keys, held), strict=True) if not dup]
    held.update(inserted)
    return len(inserted)


def test_key_ignores_case_accents_and_spaces_not_account() -> None:
    assert key(0, "  Café  de la GARE ") == key(0, "cafe de la gare")
    assert key(0, "CAFÉ\u00a0GARE") == key(0, "cafe garé")
    assert key(0, "cafe") != key(1, "cafe")
    assert key(0, "cafe") != key(0, "cafe", cents=-251)
    own = ParsedRow(1, DAY0, "cafe", -250, account="alice")
    assert dedupe_key(own, default_account="joint") != key(0, "cafe")


def test_third_identical_coffee_is_new_only_if_the_household_holds_fewer() -> None:
    coffee = key(0, "coffee")
    assert list(mark_duplicates([coffee] * 3, {coffee: 2})) == [True, True, False]
    assert list(mark_duplicates([coffee] * 3, {coffee: 3})) == [True, True, True]
    assert list(mark_duplicates([coffee] * 3, {})) == [False, False, False]


# A statement: days in order, each with a few rows drawn from a tiny alphabet so that
# identical rows (same day, label, amount) are common.
day_rows = st.lists(
    st.tuples(
        st.sampled_from(["coffee", "Coffee ", "bread", "café"]), st.sampled_from([-250, -100])
    ),
    max_size=4,
)
statements = st.lists(day_rows, min_size=1, max_size=12)


@given(statement=statements, data=st.data())
def test_overlapping_statements_import_each_row_exactly_once(
    statement: list[list[tuple[str, int]]], data: st.DataObject
) -> None:
    """Any files covering whole days (overlapping, any order) insert every row once."""
    days = len(statement)
    # Ranges of days whose union covers the statement: one range per cut, plus random extras.
    cuts = sorted(data.draw(st.sets(st.integers(1, days - 1), max_size=4)) if days > 1 else set())
    bounds = [0, *cuts, days]
    ranges = [(bounds[i], bounds[i + 1]) for i in range(len(bounds) - 1)]
    ranges = [
        (max(0, lo - data.draw(st.integers(0, 2))), min(days, hi + data.draw(st.integers(0, 2))))
        for lo, hi in ranges
    ]
    ranges += data.draw(st.lists(st.tuples(st.integers(0, days), st.integers(0, days)), max_size=3))
    order = data.draw(st.permutations(ranges))

    def file(lo: int, hi: int) -> list[DedupeKey]:
        return [key(d, label, cents) for d in range(lo, hi) for label, cents in statement[d]]

    held: Counter[DedupeKey] = Counter()
    for lo, hi in order:
        import_file(held, file(lo, hi))
    assert held == Counter(file(0, days))
    for lo, hi in order:  # re-importing any of them inserts nothing
        assert import_file(held, file(lo, hi)) == 0


@given(
    files=st.lists(
        st.lists(st.sampled_from([key(0, "a"), key(0, "b"), key(1, "a")]), max_size=6),
        max_size=5,
    )
)
def test_the_household_ends_with_the_largest_count_seen_per_key(
    files: list[list[DedupeKey]],
) -> None:
    """The law behind the one above, for any files: held == max over files, per key."""
    held: Counter[DedupeKey] = Counter()
    for keys in files:
        import_file(held, keys)
    expected: Counter[DedupeKey] = Counter()
    for keys in files:
        expected |= Counter(keys)
    assert held == expected
