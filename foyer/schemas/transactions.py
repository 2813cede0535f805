"""Transactions (SPEC §5)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any

from pydantic import Field, field_validator

from foyer.domain.splits import MAX_PARTS, MIN_PARTS
from foyer.domain.vocabulary import ExpenseType
from foyer.months import MAX_YEAR, MIN_YEAR
from foyer.schemas.common import DATE_PATTERN, Category, Input, Money, NotNull, Output, Patch

Tag = Annotated[str, Field(min_length=1, max_length=50)]
MAX_BULK = 10_000
MAX_TAGS = 20


def clean_tags(tags: list[str] | None) -> list[str] | None:
    if tags is None:
        return None
    # Order kept, duplicates dropped: a tag is a set membership, not a count.
    return list(dict.fromkeys(tag.strip() for tag in tags))


class TransactionCreate(Input):
    date: dt.date = Field(examples=["2025-06-12"], json_schema_extra={"pattern": DATE_PATTERN})
    label: str = Field(min_length=1, max_length=500, examples=["CB CARREFOUR 12/06"])
    amount: Money = Field(examples=[-54.3], description="Negative = debit, positive = credit.")
    category: Category = Field(default="uncategorized", examples=["courses"])
    category_parent: Category = Field(default="uncategorized", examples=["alimentation"])
    account: str = Field(default="main", max_length=100, examples=["joint"])
    exclude: bool = False
    expense_type: ExpenseType = "VARIABLE"
    tags: list[Tag] = Field(default_factory=list, max_length=MAX_TAGS, examples=[["courses"]])
    import_id: str | None = Field(default=None, max_length=100)

    @field_validator("date")
    @classmethod
    def _date_range(cls, value: dt.date) -> dt.date:
        if not MIN_YEAR <= value.year <= MAX_YEAR:
            raise ValueError(f"date must be between {MIN_YEAR} and {MAX_YEAR}")
        return value

    @field_validator("tags")
    @classmethod
    def _tags(cls, value: list[str]) -> list[str]:
        return clean_tags(value) or []


class TransactionBulkCreate(Input):
    items: list[TransactionCreate] = Field(max_length=MAX_BULK, min_length=1)


class TransactionBulkCreated(Output):
    created: int
    ids: list[int]


class TransactionUpdate(Patch):
    """PATCH body (SPEC §5): only these fields can change."""

    category: Category | NotNull = None
    category_parent: Category | NotNull = None
    exclude: bool | NotNull = None
    expense_type: ExpenseType | NotNull = None
    tags: Annotated[list[Tag], Field(max_length=MAX_TAGS)] | NotNull = None
    label: Annotated[str, Field(min_length=1, max_length=500)] | NotNull = None

    @field_validator("tags")
    @classmethod
    def _tags(cls, value: list[str] | None) -> list[str] | None:
        return clean_tags(value)


class TransactionRead(Output):
    id: int
    date: dt.date
    month: str
    label: str
    amount: float
    category: str
    category_parent: str
    account: str
    exclude: bool
    expense_type: ExpenseType
    tags: list[str]
    import_id: str | None
    created_at: dt.datetime
    split_of: int | None = Field(
        description="For a part of a split bank row, the split row's id; null otherwise."
    )


TRANSACTION_FIELDS = tuple(TransactionRead.model_fields)


class TransactionPage(Output):
    items: list[dict[str, Any]] = Field(
        description="Transactions, projected to `fields` when given.",
        examples=[[{"id": 42, "date": "2025-06-12", "label": "CB CARREFOUR", "amount": -54.3}]],
    )
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null at end.")


class HierarchyCategory(Output):
    category: str
    total: float
    count: int


class HierarchyParent(Output):
    category_parent: str
    total: float
    count: int
    categories: list[HierarchyCategory]


class SplitPart(Input):
    """One part of a bank row to split (SPEC §12); date, label and import id are the row's."""

    amount: Money = Field(examples=[-60], description="Not zero, of the row's sign.")
    category: Category = Field(examples=["courses"])
    category_parent: Category = Field(examples=["alimentation"])
    expense_type: ExpenseType = Field(examples=["VARIABLE"])
    exclude: bool = Field(examples=[False])
    account: str | None = Field(
        default=None, min_length=1, max_length=100, description="Default: the row's account."
    )
    tags: list[Tag] | None = Field(
        default=None, max_length=MAX_TAGS, description="Default: the row's tags."
    )

    @field_validator("amount")
    @classmethod
    def _not_zero(cls, value: Decimal) -> Decimal:
        if value == 0:
            raise ValueError("a part is not zero")
        return value

    @field_validator("tags")
    @classmethod
    def _tags(cls, value: list[str] | None) -> list[str] | None:
        return clean_tags(value)


class SplitCreate(Input):
    """`POST /transactions/{id}/split`: the parts, adding up exactly to the row's amount."""

    parts: list[SplitPart] = Field(min_length=MIN_PARTS, max_length=MAX_PARTS)


class SplitCreated(Output):
    items: list[TransactionRead] = Field(description="The parts, as transactions.")
