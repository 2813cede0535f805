"""How each kind of view parameter (`foyer.cache.views.ParamName`) is read from HTTP.

Two readings per kind, which `tests/api/test_fastpath.py` holds to the same answers:
- the route's: a FastAPI annotation (type and `Query` rules, validated by FastAPI) and a
  conversion of the validated value into the view's parameter;
- the fast path's: the raw query text straight to the view's parameter, or None whenever
  it is not plainly valid — the route then decides, with its own error messages.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated

from fastapi import Path, Query

from foyer.api.deps import MonthQuery
from foyer.cache.params import ParamName, check_month, parse_expense_types
from foyer.domain.vocabulary import SORTS, Sort
from foyer.schemas.common import MONTH_PATTERN

MAX_LIMIT = 500
DEFAULT_LIMIT = 50
Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Page size, 1–500.")]
Cursor = Annotated[str | None, Query(description="next_cursor of the previous page.")]
#: How many of a household's latest items a history lists (jobs, imports).
Recent = Annotated[int, Query(ge=1, le=100, description="How many, newest first.")]
#: A row's id in a path, bounded as its column is: BIGINT (RowId), or INTEGER for the
#: small household tables, fixed lines and provisions (SmallRowId). Beyond, it is bad input
#: (422); unbounded, it reached the database, whose driver raised (SQLite: OverflowError;
#: PostgreSQL: out of range) and the request answered 500 (found by tests/fuzz/).
RowId = Annotated[int, Path(ge=1, le=2**63 - 1, description="The item's id.")]
SmallRowId = Annotated[int, Path(ge=1, le=2**31 - 1, description="The item's id.")]

# What the routes' pattern (^\d{4}-\d{2}$) accepts, minus its oddities (non-ASCII digits,
# a trailing newline): anything else goes to the route, which decides.
_MONTH = re.compile(r"[0-9]{4}-[0-9]{2}")
_LIMIT = re.compile(r"[1-9][0-9]{0,2}")  # what Limit (1..500) parses, minus "+5", "05"…
REQUIRED: object = inspect.Parameter.empty
Value = str | int  # a view's parameter
Given = str | int | None  # what FastAPI hands the endpoint, validated by `annotation`


@dataclass(frozen=True, slots=True)
class HttpParam:
    annotation: object  # the route's parameter: type and FastAPI rules
    value: Callable[[Given], Value]  # the route's validated value -> the view's parameter
    fast: Callable[[str | None], Value | None]  # raw text (None: absent) -> value, or None
    default: object = REQUIRED
    in_path: bool = False


def _text(given: Given) -> str:
    if not isinstance(given, str):
        raise TypeError(f"expected text, FastAPI gave {given!r}")
    return given


def _number(given: Given) -> int:
    if not isinstance(given, int):
        raise TypeError(f"expected a number, FastAPI gave {given!r}")
    return given


def _cursor(given: Given) -> Value:
    return "" if given is None else _text(given)


def _fast_month(name: str) -> Callable[[str | None], Value | None]:
    def read(text: str | None) -> Value | None:
        if text is None or not _MONTH.fullmatch(text):
            return None
        return check_month(text, name)

    return read


def _month_bound(name: str) -> HttpParam:
    # Trends' from/to: any text reaches the route, which names the parameter in its 422.
    example = "2025-01" if name == "from" else "2025-12"
    return HttpParam(
        annotation=Annotated[
            str, Query(alias=name, examples=[example], json_schema_extra={"pattern": MONTH_PATTERN})
        ],
        value=lambda v: check_month(_text(v), name),
        fast=_fast_month(name),
    )


def _fast_limit(text: str | None) -> Value | None:
    text = str(DEFAULT_LIMIT) if text is None else text
    return int(text) if _LIMIT.fullmatch(text) and int(text) <= MAX_LIMIT else None


def _fast_sort(text: str | None) -> Value | None:
    text = "date_desc" if text is None else text
    return text if text in SORTS else None


def _fast_category(text: str | None) -> Value | None:
    return text if text and "/" not in text else None


HTTP_PARAMS: dict[ParamName, HttpParam] = {
    "month": HttpParam(MonthQuery, _text, _fast_month("month")),
    "from": _month_bound("from"),
    "to": _month_bound("to"),
    "expense_types": HttpParam(
        Annotated[
            str | None,
            Query(description="Comma list; default all three.", examples=["VARIABLE,FIXED"]),
        ],
        lambda v: parse_expense_types(None if v is None else _text(v)),
        parse_expense_types,
        default=None,
    ),
    "category": HttpParam(Annotated[str, Path()], _text, _fast_category, in_path=True),
    "sort": HttpParam(Sort, _text, _fast_sort, default="date_desc"),
    "limit": HttpParam(Limit, _number, _fast_limit, default=DEFAULT_LIMIT),
    # Any cursor text: only one the route accepted before can have an entry (a bad one
    # fails its computation, which caches nothing), so a hit means the route took it.
    "cursor": HttpParam(Cursor, _cursor, lambda t: t or "", default=None),
}


def python_name(name: str) -> str:
    """The endpoint's argument for a parameter (`from` is a keyword: `from_`)."""
    return f"{name}_" if name in ("from", "to") else name
