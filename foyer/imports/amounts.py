"""Money text to exact integer cents, and the number format of a column.

No float ever: the text is cleaned, split on the decimal mark and read as integers.
A column's format is decided on all of its sampled values at once, since one value such
as `1,234` reads either way and only its neighbours (`12,50`) settle it.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable

from foyer.money import MAX_AMOUNT_CENTS

#: Thousands separators that are spaces: plain, no-break (U+00A0) and narrow no-break (U+202F).
SPACES = " \u00a0\u202f"
_MINUS = "-\u2212\u2013"  # hyphen-minus, minus sign, en dash (some PDFs-turned-CSV)
_CURRENCY = ("EUR", "€", "$", "£", "USD", "GBP", "CHF")


def _core(text: str) -> tuple[bool, str]:
    """(negative, the number without sign, currency or outer spaces)."""
    value = text.strip(SPACES + "\t")
    for symbol in _CURRENCY:
        if value.startswith(symbol):
            value = value[len(symbol) :].strip(SPACES)
        elif value.endswith(symbol):
            value = value[: -len(symbol)].strip(SPACES)
    negative = False
    if value[:1] in _MINUS and value:
        negative, value = True, value[1:]
    elif value[-1:] in _MINUS and value:  # `12,50-`, as some banks print debits
        negative, value = True, value[:-1]
    elif value.startswith("(") and value.endswith(")"):
        negative, value = True, value[1:-1]
    elif value.startswith("+"):
        value = value[1:]
    for symbol in _CURRENCY:  # `-€12.50` puts the symbol after the sign
        value = value.removeprefix(symbol)
    return negative, value.strip(SPACES)


def detect_number_format(samples: Iterable[str], *, default_decimal: str) -> tuple[str, str]:
    """(decimal mark, thousands separator or "") that reads every sample of a column."""
    decimal: Counter[str] = Counter()
    thousands: Counter[str] = Counter()
    for sample in samples:
        _, value = _core(sample)
        if not value:
            continue
        for space in SPACES:
            if space in value:
                thousands[space] += 1
        marks = [ch for ch in value if ch in ",."]
        if not marks:
            continue
        last = marks[-1]
        tail = value.rsplit(last, 1)[1]
        if len(set(marks)) == 2:  # `1.234,56`: the last mark is the decimal one
            decimal[last] += 1
            thousands[marks[0]] += 1
        elif len(marks) > 1:  # `1.234.567`: only thousands repeat
            thousands[last] += 1
        elif len(tail) != 3:  # `12,5` or `12,50`; `1,234` stays undecided
            decimal[last] += 1
    mark = decimal.most_common(1)[0][0] if decimal else default_decimal
    thousands.pop(mark, None)
    return mark, (thousands.most_common(1)[0][0] if thousands else "")


def amount_parser(decimal: str, thousands: str) -> Callable[[str], int]:
    """A function reading a cell in this format as cents; ValueError says what is wrong."""
    # Spaces are never a decimal mark, so all three kinds are dropped whichever the file
    # declared: exports mix U+00A0 in amounts with plain spaces in totals.
    drop = str.maketrans("", "", SPACES + (thousands if thousands not in SPACES else ""))
    # Most cells are plain `-87,45`: without the mark they are the signed cents themselves.
    # Only those take the short way; anything else (spaces, signs, currencies, thousands,
    # other lengths) is read below.
    plain = re.compile(rf"-?[0-9]{{1,16}}{re.escape(decimal)}[0-9][0-9]").fullmatch
    short = decimal in {",", "."}

    def parse(text: str) -> int:
        if short and plain(text):
            cents = int(text.replace(decimal, ""))
            if -MAX_AMOUNT_CENTS <= cents <= MAX_AMOUNT_CENTS:
                return cents
        negative, value = _core(text)
        digits = value.translate(drop)
        whole, _, frac = digits.partition(decimal)
        if not whole and not frac:
            raise ValueError(f"amount {text.strip()!r} is empty")
        if not whole:
            whole = "0"
        frac = frac.rstrip("0") if len(frac) > 2 else frac
        if (
            not (whole.isdigit() and whole.isascii())
            or len(frac) > 2
            or (frac and not (frac.isdigit() and frac.isascii()))
        ):
            raise ValueError(f"amount {text.strip()!r} is not a number in this format")
        cents = int(whole) * 100 + int(frac.ljust(2, "0"))
        if cents > MAX_AMOUNT_CENTS:
            raise ValueError(f"amount {text.strip()!r} is too large")
        return -cents if negative else cents

    return parse
