"""Shared field types: money in and out, percentages, months, and base model settings."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Generic, TypeVar

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from foyer.months import parse_month

#: Money as it arrives: a JSON number with at most 2 decimals, bounded so sums fit 64 bits.
Money = Annotated[
    Decimal, Field(max_digits=12, decimal_places=2, ge=-1_000_000_000, le=1_000_000_000)
]
PositiveMoney = Annotated[Decimal, Field(max_digits=12, decimal_places=2, gt=0, le=1_000_000_000)]
NonNegativeMoney = Annotated[
    Decimal, Field(max_digits=12, decimal_places=2, ge=0, le=1_000_000_000)
]
#: A percentage 0–100 with at most 2 decimals.
Percent = Annotated[Decimal, Field(max_digits=5, decimal_places=2, ge=0, le=100)]


def _valid_month(value: str) -> str:
    parse_month(value)
    return value


Month = Annotated[
    str, AfterValidator(_valid_month), Field(examples=["2025-06"], description="YYYY-MM")
]
Name50 = Annotated[str, Field(min_length=1, max_length=50)]
T = TypeVar("T")
Category = Annotated[str, Field(min_length=1, max_length=100)]


class Input(BaseModel):
    """Base of request bodies: unknown fields are an error, strings are stripped."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class Output(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class Items(BaseModel, Generic[T]):
    """List endpoints of small collections answer {"items": [...]} (SPEC §2)."""

    items: list[T]
