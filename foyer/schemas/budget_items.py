"""Fixed lines (SPEC §3) and provisions (SPEC §4)."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Annotated, Any, Self

from pydantic import Field, field_validator, model_validator

from foyer.domain.vocabulary import Frequency, ProvisionBase, SplitMode
from foyer.schemas.common import (
    Category,
    Input,
    Month,
    NonNegativeMoney,
    NotNull,
    Output,
    Patch,
    Percent,
    PositiveMoney,
)

_COLOR = re.compile(r"^#[0-9A-Fa-f]{6}$")
COLOR_DOC: dict[str, Any] = {"pattern": _COLOR.pattern}  # the API docs say what _color takes


def _check_custom(split_mode: str, custom_share1: object) -> None:
    if split_mode == "custom" and custom_share1 is None:
        raise ValueError("custom_share1 is required when split_mode is 'custom'")


class FixedLineCreate(Input):
    label: str = Field(min_length=1, max_length=200, examples=["Loyer"])
    amount: PositiveMoney = Field(examples=[1150.0])
    frequency: Frequency = "monthly"
    split_mode: SplitMode = "key"
    custom_share1: Percent | None = Field(default=None, description="Member 1's percent.")
    category: Category = Field(default="uncategorized", examples=["logement"])
    active: bool = True

    @model_validator(mode="after")
    def _custom_share(self) -> Self:
        _check_custom(self.split_mode, self.custom_share1)
        return self


class FixedLineUpdate(Patch):
    """PATCH body: only the fields given change (null clears `custom_share1`; the other
    fields take no null, and the schema does not offer it)."""

    label: Annotated[str, Field(min_length=1, max_length=200)] | NotNull = None
    amount: PositiveMoney | NotNull = None
    frequency: Frequency | NotNull = None
    split_mode: SplitMode | NotNull = None
    custom_share1: Percent | None = None
    category: Category | NotNull = None
    active: bool | NotNull = None


class FixedLineRead(Output):
    id: int
    label: str
    amount: float
    frequency: Frequency
    split_mode: SplitMode
    custom_share1: float | None
    category: str
    active: bool
    monthly: float = Field(description="Monthly equivalent of the amount.")


class ProvisionCreate(Input):
    name: str = Field(min_length=1, max_length=100, examples=["Vacances"])
    icon: str = Field(default="", max_length=50, examples=["🏖️"])
    color: str = Field(default="#4F46E5", examples=["#0EA5E9"], json_schema_extra=COLOR_DOC)
    display_order: int = Field(default=0, ge=-1_000_000, le=1_000_000)
    base: ProvisionBase = "total"
    percentage: Percent = Field(default=Decimal(0), examples=[5.0])
    fixed_amount: NonNegativeMoney = Field(default=Decimal(0), examples=[0])
    split_mode: SplitMode = "key"
    custom_share1: Percent | None = None
    is_active: bool = True
    start_month: Month | None = None
    end_month: Month | None = None
    target_amount: PositiveMoney | None = Field(default=None, examples=[3000.0])
    current_amount: NonNegativeMoney = Field(default=Decimal(0), examples=[450.0])

    @field_validator("color")
    @classmethod
    def _color(cls, value: str) -> str:
        if not _COLOR.match(value):
            raise ValueError("color must be #RRGGBB")
        return value.upper()

    @model_validator(mode="after")
    def _rules(self) -> Self:
        _check_custom(self.split_mode, self.custom_share1)
        if self.start_month and self.end_month and self.start_month > self.end_month:
            raise ValueError("start_month must not be after end_month")
        return self


class ProvisionUpdate(Patch):
    """PATCH body: only the fields given change (null clears an optional field:
    custom_share1, start_month, end_month, target_amount; the others take no null)."""

    name: Annotated[str, Field(min_length=1, max_length=100)] | NotNull = None
    icon: Annotated[str, Field(max_length=50)] | NotNull = None
    color: Annotated[str, Field(json_schema_extra=COLOR_DOC)] | NotNull = None
    display_order: Annotated[int, Field(ge=-1_000_000, le=1_000_000)] | NotNull = None
    base: ProvisionBase | NotNull = None
    percentage: Percent | NotNull = None
    fixed_amount: NonNegativeMoney | NotNull = None
    split_mode: SplitMode | NotNull = None
    custom_share1: Percent | None = None
    is_active: bool | NotNull = None
    start_month: Month | None = None
    end_month: Month | None = None
    target_amount: PositiveMoney | None = None
    current_amount: NonNegativeMoney | NotNull = None


class ProvisionRead(Output):
    id: int
    name: str
    icon: str
    color: str
    display_order: int
    base: ProvisionBase
    percentage: float
    fixed_amount: float
    split_mode: SplitMode
    custom_share1: float | None
    is_active: bool
    start_month: str | None
    end_month: str | None
    target_amount: float | None
    current_amount: float
    progress: float | None = Field(description="current_amount / target_amount, 4 decimals.")
