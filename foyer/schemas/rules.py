"""Rules (SPEC §8): `{"name","priority","match": {...},"set": {...}}` in and out, the
`rules/apply` range, and the suggestions."""

from __future__ import annotations

import datetime as dt
from typing import Self

from pydantic import Field, field_validator, model_validator

from foyer.domain.categorisation import MAX_PATTERN
from foyer.domain.vocabulary import ExpenseType
from foyer.months import months_between
from foyer.schemas.common import Category, Input, Money, Month, Output
from foyer.schemas.transactions import MAX_TAGS, Tag, clean_tags

#: rules/apply covers at most this many months (a century of statements).
MAX_APPLY_MONTHS = 1200


class RuleMatch(Input):
    """Every condition given must hold. Amounts are signed (a debit is negative) and the
    bounds inclusive; `label_contains` ignores case, accents and spaces; `label_regex` is
    searched anywhere in the label, case-insensitively."""

    label_contains: str | None = Field(default=None, min_length=1, max_length=200)
    label_regex: str | None = Field(default=None, min_length=1, max_length=MAX_PATTERN)
    amount_min: Money | None = None
    amount_max: Money | None = None
    account: str | None = Field(default=None, min_length=1, max_length=100)


class RuleSet(Input):
    """What a matching rule sets; tags are added to the row's own."""

    category: Category | None = None
    category_parent: Category | None = None
    expense_type: ExpenseType | None = None
    tags: list[Tag] | None = Field(default=None, max_length=MAX_TAGS)
    exclude: bool | None = None

    @field_validator("tags")
    @classmethod
    def _tags(cls, value: list[str] | None) -> list[str] | None:
        return clean_tags(value)


class RuleCreate(Input):
    name: str = Field(min_length=1, max_length=100, examples=["Courses"])
    priority: int = Field(default=100, ge=0, le=1_000_000, description="Lower applies first.")
    match: RuleMatch
    set: RuleSet


class RuleRead(Output):
    id: int
    name: str
    priority: int
    match: dict[str, object]
    set: dict[str, object]
    created_at: dt.datetime
    updated_at: dt.datetime


class RuleApply(Input):
    from_: Month = Field(alias="from")
    to: Month

    @model_validator(mode="after")
    def _range(self) -> Self:
        months = len(months_between(self.from_, self.to))
        if months == 0:
            raise ValueError("'from' is after 'to'")
        if months > MAX_APPLY_MONTHS:
            raise ValueError(f"at most {MAX_APPLY_MONTHS} months at once")
        return self


class RuleSuggestion(Output):
    """A rule proposed from the household's recategorisations, ready to POST to /rules
    (`count`: how many times the label was moved that way)."""

    name: str
    priority: int
    match: dict[str, object]
    set: dict[str, object]
    count: int
