"""Calendar months as 'YYYY-MM' strings: parsing, neighbours, ranges and date bounds."""

from __future__ import annotations

import datetime as dt
import re

# ASCII digits, the whole string: `\d` also takes "２０２５" and `$` a trailing newline, and
# either would name a month no write ever stamps (a cache scope that never changes).
_MONTH = re.compile(r"([0-9]{4})-(0[1-9]|1[0-2])")
MIN_YEAR, MAX_YEAR = 1900, 2200


def parse_month(value: str) -> tuple[int, int]:
    """'2025-06' -> (2025, 6); anything else raises ValueError with a clear message.

    What a month given to foyer may be (years MIN_YEAR..MAX_YEAR). The arithmetic below
    reads its own results without that bound: the month after 2200-12, or before 1900-01
    (a KPI's previous month), is a month to compute with, not bad input."""
    year, month = split_month(value)
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise ValueError(f"year must be between {MIN_YEAR} and {MAX_YEAR}")
    return year, month


def split_month(value: str) -> tuple[int, int]:
    """'2025-06' -> (2025, 6) for a month foyer computed (any year); `parse_month` for input."""
    match = _MONTH.fullmatch(value)
    if not match:
        raise ValueError(f"month must be YYYY-MM, got {value!r}")
    return int(match.group(1)), int(match.group(2))


def format_month(year: int, month: int) -> str:
    return f"{year:04d}-{month:02d}"


def month_of(day: dt.date) -> str:
    return format_month(day.year, day.month)


def add_months(value: str, delta: int) -> str:
    year, month = split_month(value)
    index = year * 12 + (month - 1) + delta
    return format_month(index // 12, index % 12 + 1)


def previous_month(value: str) -> str:
    return add_months(value, -1)


def months_between(start: str, end: str) -> list[str]:
    """Every month from start to end, inclusive (empty when start > end)."""
    y1, m1 = split_month(start)
    y2, m2 = split_month(end)
    count = (y2 * 12 + m2) - (y1 * 12 + m1) + 1
    return [add_months(start, i) for i in range(max(count, 0))]


def month_bounds(value: str) -> tuple[dt.date, dt.date]:
    """[first day of the month, first day of the next month)."""
    year, month = split_month(value)
    ny, nm = split_month(add_months(value, 1))
    return dt.date(year, month, 1), dt.date(ny, nm, 1)


def this_month() -> str:
    """The current calendar month, 'YYYY-MM' (local date)."""
    return month_of(dt.date.today())
