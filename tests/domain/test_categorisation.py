"""Rule matching (SPEC §8): every condition must hold, the first rule by (priority, id)
wins, actions set only what they name and add tags; a bad pattern is refused when the rule
is written and a runaway one stops with an error instead of hanging."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from foyer.domain.categorisation import (
    Actions,
    Categorised,
    Match,
    Matcher,
    Rule,
    RuleError,
    categorise,
    label_matches,
)

PLAIN = Categorised("uncategorized", "uncategorized", "VARIABLE", False, ())


def rule(rule_id: int, priority: int, **match: object) -> Rule:
    return Rule(rule_id, f"r{rule_id}", priority, Match(**match), Actions(category=f"c{rule_id}"))  # type: ignore[arg-type]


def test_every_condition_must_hold() -> None:
    matcher = Matcher(
        [rule(1, 1, label_contains="carrefour", amount_max_cents=-1, account="joint")]
    )
    assert matcher.first("CB CARREFOUR 12/06", -5430, "joint") is not None
    assert matcher.first("CB CARREFOUR 12/06", 5430, "joint") is None  # a credit
    assert matcher.first("CB CARREFOUR 12/06", -5430, "alex") is None
    assert matcher.first("CB MONOPRIX", -5430, "joint") is None


def test_label_contains_ignores_case_accents_and_spaces() -> None:
    matcher = Matcher([rule(1, 1, label_contains="  Café   de la gare ")])
    assert matcher.first("PRLV CAFE DE LA  GARE", -250, "joint") is not None
    assert matcher.first("CAFE DE LAGARE", -250, "joint") is None


def test_amount_bounds_are_inclusive_and_signed() -> None:
    matcher = Matcher([rule(1, 1, amount_min_cents=-5000, amount_max_cents=-1000)])
    found = [a for a in (-5001, -5000, -3000, -1000, -999, 2000) if matcher.first("X", a, "j")]
    assert found == [-5000, -3000, -1000]


def test_the_first_rule_by_priority_then_id_wins() -> None:
    rules = [
        rule(3, 5, label_contains="cb"),
        rule(1, 10, label_contains="cb"),
        rule(2, 5, label_contains="cb"),
    ]
    winner = Matcher(rules).first("CB X", -100, "joint")
    assert winner is not None
    assert winner.id == 2


def test_regex_is_searched_case_insensitively() -> None:
    matcher = Matcher([rule(1, 1, label_regex=r"^prlv\s+(edf|engie)")])
    assert matcher.first("PRLV  EDF CLIENTS", -100, "j") is not None
    assert matcher.first("CB EDF", -100, "j") is None


@pytest.mark.parametrize(
    ("match", "message"),
    [
        ({}, "at least one condition"),
        ({"label_regex": "(unclosed"}, "not a valid pattern"),
        ({"label_regex": "a" * 201}, "longer than"),
        ({"amount_min_cents": 5, "amount_max_cents": 4}, "above"),
        ({"label_contains": "   "}, "empty"),
    ],
)
def test_rules_that_cannot_work_are_refused(match: dict[str, object], message: str) -> None:
    with pytest.raises(RuleError, match=message):
        Match(**match)  # type: ignore[arg-type]


def test_a_rule_must_set_something() -> None:
    with pytest.raises(RuleError, match="at least one field"):
        Actions()


def test_a_runaway_pattern_stops_with_an_error() -> None:
    matcher = Matcher([rule(1, 1, label_regex=r"(a|aa)+$")])
    with pytest.raises(RuleError, match="ran too long"):
        matcher.first("a" * 400 + "!", -100, "j")


def test_actions_set_only_what_they_name_and_add_tags() -> None:
    start = Categorised("courses", "alimentation", "VARIABLE", False, ("bio",))
    tagging = Rule(1, "t", 1, Match(label_contains="x"), Actions(tags=("bio", "hebdo")))
    assert categorise(start, tagging) == Categorised(
        "courses", "alimentation", "VARIABLE", False, ("bio", "hebdo")
    )
    moving = Rule(2, "m", 1, Match(label_contains="x"), Actions(expense_type="FIXED", exclude=True))
    assert categorise(start, moving) == Categorised(
        "courses", "alimentation", "FIXED", True, ("bio",)
    )
    assert categorise(start, None) is start


def test_label_matches_ignores_amount_and_account() -> None:
    match = Match(label_contains="loyer", amount_max_cents=-100_000, account="alex")
    assert label_matches(match, "PRLV LOYER")
    assert not label_matches(Match(amount_min_cents=0), "PRLV LOYER")


@given(
    priorities=st.lists(st.integers(0, 3), min_size=1, max_size=8),
    amount=st.integers(-10_000, 10_000),
)
def test_the_winner_is_the_least_matching_rule_in_order(priorities: list[int], amount: int) -> None:
    rules = [rule(i + 1, p, amount_min_cents=-5_000 + 1_000 * i) for i, p in enumerate(priorities)]
    matching = [r for r in rules if amount >= (r.match.amount_min_cents or 0)]
    expected = min(matching, key=lambda r: (r.priority, r.id)) if matching else None
    assert Matcher(rules).first("X", amount, "j") == expected
