"""Categorisation rules (SPEC §8): what a rule matches, what it sets, which rule wins.

Pure: no database, no HTTP. A rule matches a row when *every* condition it gives holds:
`label_contains` (the label folded as duplicates are: case, accents, spaces), `label_regex`
(case-insensitive, searched anywhere in the label), `amount_min`/`amount_max` (inclusive
bounds on the signed amount, in cents: a debit of 12.50 is -1250) and `account` (exact).
The first matching rule in (priority, id) order wins; the others are not looked at, so
two rules never mix their actions on one row.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import regex

from foyer.domain.vocabulary import ExpenseType
from foyer.imports.text import fold

#: Longest label_regex accepted: rules are typed by people, and a bound keeps the worst
#: pattern's cost bounded together with the timeout below.
MAX_PATTERN = 200
#: A label_regex gets this long per label. The stdlib `re` cannot stop a pattern like
#: `(a+)+$` that backtracks for minutes; the `regex` module can (its `timeout`).
MATCH_TIMEOUT_SECONDS = 0.05


class RuleError(ValueError):
    """A rule that cannot be used as given (bad regex, empty match or set, bounds
    reversed), or a regex that ran past its time on a label."""


@dataclass(frozen=True, slots=True)
class Match:
    """The conditions (SPEC §8 `match`); None for those not given."""

    label_contains: str | None = None
    label_regex: str | None = None
    amount_min_cents: int | None = None
    amount_max_cents: int | None = None
    account: str | None = None

    def __post_init__(self) -> None:
        if all(getattr(self, name) is None for name in self.__slots__):
            raise RuleError("a rule needs at least one condition in 'match'")
        if self.label_contains is not None and not fold(self.label_contains):
            raise RuleError("label_contains is empty")
        if (
            self.amount_min_cents is not None
            and self.amount_max_cents is not None
            and self.amount_min_cents > self.amount_max_cents
        ):
            raise RuleError("amount_min is above amount_max")
        if self.label_regex is not None:
            compiled(self.label_regex)  # refuse a bad pattern when the rule is written


@dataclass(frozen=True, slots=True)
class Actions:
    """What a matching rule sets (SPEC §8 `set`); None for what it leaves alone. Tags are
    added to the row's own, never replacing them."""

    category: str | None = None
    category_parent: str | None = None
    expense_type: ExpenseType | None = None
    tags: tuple[str, ...] | None = None
    exclude: bool | None = None

    def __post_init__(self) -> None:
        if all(getattr(self, name) is None for name in self.__slots__):
            raise RuleError("a rule needs at least one field in 'set'")


@dataclass(frozen=True, slots=True)
class Rule:
    id: int
    name: str
    priority: int
    match: Match
    actions: Actions


def compiled(pattern: str) -> Any:
    """The pattern compiled case-insensitively; RuleError when it is not a regex."""
    if len(pattern) > MAX_PATTERN:
        raise RuleError(f"label_regex is longer than {MAX_PATTERN} characters")
    try:
        return regex.compile(pattern, regex.IGNORECASE | regex.V0)
    except regex.error as exc:
        raise RuleError(f"label_regex is not a valid pattern: {exc}") from exc


class Matcher:
    """Rules ready to run against many rows: sorted once, patterns compiled once."""

    __slots__ = ("_rules",)

    def __init__(self, rules: Iterable[Rule]) -> None:
        ordered = sorted(rules, key=lambda rule: (rule.priority, rule.id))
        self._rules = [
            (
                rule,
                None if rule.match.label_contains is None else fold(rule.match.label_contains),
                None if rule.match.label_regex is None else compiled(rule.match.label_regex),
            )
            for rule in ordered
        ]

    def __bool__(self) -> bool:
        return bool(self._rules)

    def first(self, label: str, amount_cents: int, account: str) -> Rule | None:
        """The winning rule for a row, or None. RuleError when a pattern times out."""
        folded: str | None = None
        for rule, contains, pattern in self._rules:
            match = rule.match
            if match.account is not None and match.account != account:
                continue
            if match.amount_min_cents is not None and amount_cents < match.amount_min_cents:
                continue
            if match.amount_max_cents is not None and amount_cents > match.amount_max_cents:
                continue
            if contains is not None:
                if folded is None:
                    folded = fold(label)
                if contains not in folded:
                    continue
            if pattern is not None:
                try:
                    found = pattern.search(label, timeout=MATCH_TIMEOUT_SECONDS)
                except TimeoutError as exc:
                    raise RuleError(
                        f"rule {rule.name!r}: label_regex ran too long on {label[:80]!r}"
                    ) from exc
                if found is None:
                    continue
            return rule
        return None


def label_matches(match: Match, label: str) -> bool:
    """Whether the label conditions alone hold (amount and account ignored): a rule that
    may cover a label (rule suggestions)."""
    if match.label_contains is None and match.label_regex is None:
        return False
    if match.label_contains is not None and fold(match.label_contains) not in fold(label):
        return False
    if match.label_regex is not None:
        try:
            found = compiled(match.label_regex).search(label, timeout=MATCH_TIMEOUT_SECONDS)
        except TimeoutError:
            return False  # cannot tell: the suggestion stays, which is harmless
        return found is not None
    return True


@dataclass(frozen=True, slots=True)
class Categorised:
    """A row's categorisation fields, before or after its winning rule."""

    category: str
    category_parent: str
    expense_type: ExpenseType
    exclude: bool
    tags: tuple[str, ...]


def categorise(row: Categorised, rule: Rule | None) -> Categorised:
    """The row as the rule leaves it (unchanged without one)."""
    if rule is None:
        return row
    actions = rule.actions
    tags: Sequence[str] = row.tags
    if actions.tags:
        tags = (*row.tags, *(tag for tag in actions.tags if tag not in row.tags))
    return Categorised(
        category=row.category if actions.category is None else actions.category,
        category_parent=(
            row.category_parent if actions.category_parent is None else actions.category_parent
        ),
        expense_type=row.expense_type if actions.expense_type is None else actions.expense_type,
        exclude=row.exclude if actions.exclude is None else actions.exclude,
        tags=tuple(tags),
    )
