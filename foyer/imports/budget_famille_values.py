"""One cell of a Budget Famille `budget.db` as a foyer value: cents, basis points, words, dates.

Budget Famille kept money and percentages as SQLite REALs (binary floats) and its own
French vocabulary; foyer keeps integer cents, basis points and `foyer.domain.vocabulary`.
Every conversion is here, each failing with a `BudgetFamilleError` that says where the
value was (`transactions row 42, amount`) and what was wrong with it. Pure functions.

A float is read through its shortest repr (`Decimal(repr(x))`): `19.99` is stored as
19.989999999999998..., and `int(19.99 * 100)` is 1998, but its repr is the "19.99" the user
typed. The decimal value is then rounded half away from zero to the unit (SPEC §1), so
`0.1 + 0.2` (0.30000000000000004) becomes 30 cents and -2.675 becomes -268.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import math
import re
import unicodedata
from collections.abc import Mapping
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import TypeVar, get_args

from foyer.domain.vocabulary import ExpenseType, Frequency, KeyMode, ProvisionBase, SplitMode
from foyer.money import MAX_AMOUNT_CENTS
from foyer.months import month_of, parse_month

W = TypeVar("W", bound=str)

#: Beyond this a stored number is damage, not money (and Decimal's precision would bind).
_LARGEST = Decimal(10) ** 15


class BudgetFamilleError(ValueError):
    """The file is not a Budget Famille database foyer can read, or holds a value it cannot
    take; the message says which table, row and column, and why."""


def where(table: str, rowid: int, column: str) -> str:
    return f"{table} row {rowid}, {column}"


def decimal(value: object, at: str) -> Decimal | None:
    """A stored number as the decimal it was typed as; None for NULL."""
    if value is None:
        return None
    if isinstance(value, float):
        if not math.isfinite(value):
            raise BudgetFamilleError(f"{at}: {value!r} is not a finite number")
        number = Decimal(repr(value))
    elif isinstance(value, int):
        number = Decimal(value)
    elif isinstance(value, str):
        # SQLite keeps whatever it was given; a number saved as text may use a decimal comma.
        text = value.strip().replace("\u00a0", "").replace(" ", "")
        if "," in text and "." not in text:
            text = text.replace(",", ".")
        try:
            number = Decimal(text)
        except InvalidOperation:
            raise BudgetFamilleError(f"{at}: {value!r} is not a number") from None
        if not number.is_finite():
            raise BudgetFamilleError(f"{at}: {value!r} is not a finite number")
    else:
        raise BudgetFamilleError(f"{at}: {value!r} is not a number")
    if abs(number) > _LARGEST:
        raise BudgetFamilleError(f"{at}: {value!r} is out of range")
    return number


def scaled(number: Decimal, scale: int) -> int:
    """`number * scale` rounded half away from zero (Decimal's ROUND_HALF_UP)."""
    return int((number * scale).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def cents(value: object, at: str, *, default: int | None = None, minimum: int | None = None) -> int:
    """Money to integer cents; NULL is `default` (an error when there is none)."""
    number = decimal(value, at)
    if number is None:
        if default is None:
            raise BudgetFamilleError(f"{at}: missing")
        return default
    result = scaled(number, 100)
    if abs(result) > MAX_AMOUNT_CENTS:
        raise BudgetFamilleError(f"{at}: {value!r} is out of range")
    if minimum is not None and result < minimum:
        raise BudgetFamilleError(f"{at}: {value!r} is below {minimum / 100:.2f}")
    return result


def basis_points(value: object, at: str, *, scale: int, default: int) -> int:
    """A share as hundredths of a percent (0–10000): `scale` 100 for a percent (12.5 ->
    1250), 10000 for a fraction (0.6 -> 6000). NULL is `default`."""
    number = decimal(value, at)
    if number is None:
        return default
    result = scaled(number, scale)
    if not 0 <= result <= 10_000:
        span = "0–100" if scale == 100 else "0–1"
        raise BudgetFamilleError(f"{at}: {value!r} is outside {span}")
    return result


def fold(value: str) -> str:
    """A vocabulary word compared loosely: case, surrounding spaces, accents, and the
    UTF-8-read-as-Latin-1 damage Budget Famille's own sources carry ("clÃ©" for "clé")."""
    text = value.strip()
    with contextlib.suppress(UnicodeEncodeError, UnicodeDecodeError):  # the usual case: clean
        text = text.encode("latin-1").decode("utf-8")
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def word(value: object, at: str, mapping: Mapping[str, W], default: W) -> W:
    """A Budget Famille word as foyer's (`mapping` keyed by folded words); NULL or an empty
    cell is `default`, anything unknown an error listing what is accepted."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return default
    found = mapping.get(fold(value)) if isinstance(value, str) else None
    if found is None:
        accepted = ", ".join(sorted(mapping))
        raise BudgetFamilleError(f"{at}: unknown value {value!r} (expected one of {accepted})")
    return found


def flag(value: object, at: str, *, default: bool) -> bool:
    if value is None:
        return default
    if isinstance(value, int | float) and value in (0, 1):
        return bool(value)
    if isinstance(value, str) and fold(value) in {"0", "1", "true", "false"}:
        return fold(value) in {"1", "true"}
    raise BudgetFamilleError(f"{at}: {value!r} is not a boolean")


def text(value: object, limit: int, default: str = "") -> str:
    """A text cell stripped and cut to foyer's column width (`default` when empty)."""
    if value is None:
        return default
    result = str(value).strip()[:limit].strip()
    return result or default


def month(value: object, at: str) -> str:
    """A 'YYYY-MM' cell, checked."""
    if not isinstance(value, str):
        raise BudgetFamilleError(f"{at}: {value!r} is not a month (YYYY-MM)")
    try:
        parse_month(value.strip())
    except ValueError as exc:
        raise BudgetFamilleError(f"{at}: {exc}") from None
    return value.strip()


def day(value: object, at: str) -> dt.date | None:
    """A date or datetime cell ('2024-03-15', '2024-03-15 00:00:00.000000') as a date."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        parsed = dt.date.fromisoformat(str(value).strip()[:10])
        parse_month(month_of(parsed))  # the years foyer takes
    except ValueError:
        raise BudgetFamilleError(f"{at}: {value!r} is not a date (YYYY-MM-DD)") from None
    return parsed


# -- the vocabularies, keyed by folded words (`fold`) ----------------------------------------

#: config.split_mode: how the key is derived.
KEY_MODES: dict[str, KeyMode] = {"revenus": "income", "manuel": "manual"}
#: fixed_lines.split_mode and custom_provisions.split_mode: Budget Famille had two spellings
#: of the same five modes (its calculations module lists them as one enumeration).
SPLITS: dict[str, SplitMode] = {
    "cle": "key",
    "key": "key",
    "50/50": "equal",
    "m1": "member1",
    "100/0": "member1",
    "m2": "member2",
    "0/100": "member2",
    "manuel": "custom",
    "custom": "custom",
}
FREQUENCIES: dict[str, Frequency] = {
    "mensuelle": "monthly",
    "trimestrielle": "quarterly",
    "annuelle": "annual",
}
BASES: dict[str, ProvisionBase] = {base: base for base in get_args(ProvisionBase)}
EXPENSE_TYPES: dict[str, ExpenseType] = {kind.lower(): kind for kind in get_args(ExpenseType)}

_COLOR = re.compile(r"^#[0-9A-Fa-f]{6}$")
DEFAULT_COLOR = "#4F46E5"  # foyer's default provision color
_TAG_WIDTH = 50


def color(value: object) -> str:
    """A provision color as foyer stores it (#RRGGBB, upper-case); foyer's default when the
    old one is not of that form (Budget Famille did not check it)."""
    if isinstance(value, str) and _COLOR.match(value.strip()):
        return value.strip().upper()
    return DEFAULT_COLOR


def tags(value: object) -> tuple[str, ...]:
    """Comma-separated tags ("courses, bio") as foyer's set: trimmed, no empties, no repeats."""
    if not isinstance(value, str):
        return ()
    cut = (tag.strip()[:_TAG_WIDTH].strip() for tag in value.split(","))
    return tuple(dict.fromkeys(tag for tag in cut if tag))
