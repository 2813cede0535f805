"""What a view's parameters may be, checked below the HTTP layer (`ParamError`: a 422).

The HTTP layer reads each kind from a query string (`foyer.api.params`); the checks here
are the views' own, shared by their routes, the fast path and anything else that asks
for a view.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from foyer.domain.vocabulary import EXPENSE_TYPES
from foyer.months import months_between, parse_month

#: A view's parameters, by name: months and names as text, page sizes as int.
Params = Mapping[str, str | int]
#: Every query or path parameter a view may take; `foyer.api.params` reads each from HTTP.
ParamName = Literal["month", "from", "to", "expense_types", "category", "sort", "limit", "cursor"]
MAX_TREND_MONTHS = 120


class ParamError(ValueError):
    """A parameter value a view refuses (answered as a 422 naming it)."""

    def __init__(self, message: str, details: Any = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details


def check_month(value: str, name: str) -> str:
    """A YYYY-MM value, or a ParamError naming the parameter."""
    try:
        parse_month(value)
    except ValueError as exc:
        raise ParamError(f"{name}: {exc}", [{"loc": ["query", name], "msg": str(exc)}]) from exc
    return value


def parse_expense_types(value: str | None) -> str:
    """A comma list of expense types (None: all), as the canonical comma list."""
    if value is None:
        return ",".join(EXPENSE_TYPES)
    wanted = [v.strip() for v in value.split(",") if v.strip()]
    unknown = [v for v in wanted if v not in EXPENSE_TYPES]
    if unknown or not wanted:
        raise ParamError(
            f"expense_types: unknown value(s) {', '.join(unknown) or '(none given)'}",
            {"allowed": list(EXPENSE_TYPES)},
        )
    return ",".join(t for t in EXPENSE_TYPES if t in wanted)


def check_month_range(params: Params) -> None:
    """`from`..`to` in order and at most MAX_TREND_MONTHS long."""
    start, end = str(params["from"]), str(params["to"])
    if start > end:
        raise ParamError("from: must not be after to")
    if len(months_between(start, end)) > MAX_TREND_MONTHS:
        raise ParamError(f"at most {MAX_TREND_MONTHS} months per request")
