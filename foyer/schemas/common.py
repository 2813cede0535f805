"""Shared field types: money in and out, percentages, months, and base model settings."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any, Generic, TypeVar

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, WithJsonSchema
from pydantic.json_schema import SkipJsonSchema

from foyer.months import MAX_YEAR, parse_month

#: A PATCH field's "not given" (None, the default): not a value the API takes, so the schema
#: leaves null out (`field: str | NotNull = None`, in a `Patch`); an explicit null is a 422.
#: Constraints go on the type (`Annotated[str, Field(min_length=1)] | NotNull`): on the field
#: they would apply to None too, and raise instead of refusing it.
NotNull = SkipJsonSchema[None]


def _no_null_defaults(schema: dict[str, Any]) -> None:
    # A NotNull field's default (None) is not a value it takes: the schema does not show it.
    for field in schema.get("properties", {}).values():
        nullable = {"type": "null"} in field.get("anyOf", ())
        if "default" in field and field["default"] is None and not nullable:
            del field["default"]


def _decimal_schema(bounds: dict[str, float], digits: int, sign: str = "") -> WithJsonSchema:
    """What the API docs say of a decimal field: what it accepts, not pydantic's generic
    "any number or any string" (which leaves out the two decimals, and which schemathesis,
    tests/fuzz/, would fill with values the field refuses)."""
    number = {"type": "number", "multipleOf": 0.01, **bounds}
    text = {"type": "string", "pattern": rf"^{sign}[0-9]{{1,{digits}}}(\.[0-9]{{1,2}})?$"}
    return WithJsonSchema({"anyOf": [number, text]}, mode="validation")


_LIMIT = 1_000_000_000
#: Money as it arrives: a JSON number with at most 2 decimals, bounded so sums fit 64 bits.
Money = Annotated[
    Decimal,
    Field(max_digits=12, decimal_places=2, ge=-_LIMIT, le=_LIMIT),
    _decimal_schema({"minimum": -_LIMIT, "maximum": _LIMIT}, 9, "-?"),
]
PositiveMoney = Annotated[
    Decimal,
    Field(max_digits=12, decimal_places=2, gt=0, le=_LIMIT),
    _decimal_schema({"exclusiveMinimum": 0, "maximum": _LIMIT}, 9),
]
NonNegativeMoney = Annotated[
    Decimal,
    Field(max_digits=12, decimal_places=2, ge=0, le=_LIMIT),
    _decimal_schema({"minimum": 0, "maximum": _LIMIT}, 9),
]
#: A percentage 0–100 with at most 2 decimals.
Percent = Annotated[
    Decimal,
    Field(max_digits=5, decimal_places=2, ge=0, le=100),
    _decimal_schema({"minimum": 0, "maximum": 100}, 2),
]


def _valid_month(value: str) -> str:
    parse_month(value)
    return value


#: What `parse_month` accepts, for the API docs (validation stays `parse_month`'s, with
#: its messages): years 1900..2200 (MIN_YEAR, MAX_YEAR), months 01..12; tests/fuzz/
#: checks the two agree. A date's year is the same range (DATE_PATTERN, with its format).
_YEARS = rf"(19[0-9]{{2}}|2[01][0-9]{{2}}|{MAX_YEAR})"
MONTH_PATTERN = rf"^{_YEARS}-(0[1-9]|1[0-2])$"
DATE_PATTERN = rf"^{_YEARS}-"
Month = Annotated[
    str,
    AfterValidator(_valid_month),
    Field(
        examples=["2025-06"], description="YYYY-MM", json_schema_extra={"pattern": MONTH_PATTERN}
    ),
]
Name50 = Annotated[str, Field(min_length=1, max_length=50)]
T = TypeVar("T")
Category = Annotated[str, Field(min_length=1, max_length=100)]


class Input(BaseModel):
    """Base of request bodies: unknown fields are an error, strings are stripped."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class Patch(Input):
    """Base of PATCH bodies: the fields given change; `NotNull` ones take no null."""

    model_config = ConfigDict(json_schema_extra=_no_null_defaults)


class Output(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class Items(BaseModel, Generic[T]):
    """List endpoints of small collections answer {"items": [...]} (SPEC §2)."""

    items: list[T]
