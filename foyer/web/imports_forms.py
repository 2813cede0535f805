"""The preview's fix form (SPEC §8 PATCH, as a web form): its choices, and the form read back
into the `Dialect` and `ColumnMapping` that `services.imports.update_import` takes.

Separators travel as words (`semicolon`, `nbsp`…), not characters: a tab or a no-break space
in an `<option value>` does not survive every browser's form encoding. The values checked
are the API's (`schemas.imports.DialectBody`); whether a mapping fits the file is the
domain's (`ColumnMapping`, `with_overrides`: MappingError).
"""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict

from foyer.imports import ColumnMapping, Detection, Dialect
from foyer.imports.csv_detect import DELIMITERS
from foyer.imports.dates import CANDIDATES
from foyer.web.i18n import Words

#: Separator words and the characters they stand for, with the words each is shown as.
SEPARATORS: dict[str, tuple[str, str]] = {
    "semicolon": (";", "imports.sep_semicolon"),
    "comma": (",", "imports.sep_comma"),
    "tab": ("\t", "imports.sep_tab"),
    "pipe": ("|", "imports.sep_pipe"),
    "dot": (".", "imports.sep_dot"),
    "space": (" ", "imports.sep_space"),
    "nbsp": ("\u00a0", "imports.sep_nbsp"),
    "nnbsp": ("\u202f", "imports.sep_nnbsp"),
    "apostrophe": ("'", "imports.sep_apostrophe"),
    "none": ("", "imports.sep_none"),
}
_WORD_OF = {char: word for word, (char, _key) in SEPARATORS.items()}
DECIMAL_WORDS = ("comma", "dot")
THOUSANDS_WORDS = ("none", "space", "nbsp", "nnbsp", "dot", "comma", "apostrophe")
DELIMITER_WORDS = tuple(_WORD_OF[char] for char in DELIMITERS)
#: The mapping's fields in the order shown, each with its words; the first two are required.
MAPPING_FIELDS: dict[str, str] = {
    "date": "imports.map_date",
    "label": "imports.map_label",
    "amount": "imports.map_amount",
    "debit": "imports.map_debit",
    "credit": "imports.map_credit",
    "category": "imports.map_category",
    "account": "imports.map_account",
}
REQUIRED = ("date", "label")


class FormProblem(ValueError):
    """A form value the page cannot use: the words that say so, and their values."""

    def __init__(self, key: str, **values: object) -> None:
        super().__init__(key)
        self.key = key
        self.values = values


@dataclass(frozen=True, slots=True)
class Choice:
    value: str
    label: str
    selected: bool


@dataclass(frozen=True, slots=True)
class MappingField:
    name: str
    label: str
    required: bool
    choices: list[Choice]


def _separator(word: str) -> str:
    """The character a separator word stands for (a single character is taken as itself)."""
    if word in SEPARATORS:
        return SEPARATORS[word][0]
    if len(word) == 1:
        return word
    raise FormProblem("imports.error_field", value=word)


def separator_word(char: str) -> str:
    """The word a separator travels as in the form (a character we have no word for: itself)."""
    return _WORD_OF.get(char, char)


def separator_label(w: Words, char: str) -> str:
    word = _WORD_OF.get(char)
    return repr(char) if word is None else w.t(SEPARATORS[word][1])


def _choices(w: Words, words: tuple[str, ...], current: str) -> list[Choice]:
    shown = [
        Choice(word, w.t(SEPARATORS[word][1]), SEPARATORS[word][0] == current) for word in words
    ]
    if current not in _WORD_OF:  # a separator we have no word for: offer it as it is
        shown.append(Choice(current, repr(current), True))
    elif not any(choice.selected for choice in shown):
        word = _WORD_OF[current]
        shown.append(Choice(word, w.t(SEPARATORS[word][1]), True))
    return shown


def date_format_label(w: Words, fmt: str) -> str:
    """`%d/%m/%Y` as people read it: DD/MM/YYYY (JJ/MM/AAAA in French)."""
    parts = {
        "%d": w.t("imports.fmt_day"),
        "%m": w.t("imports.fmt_month"),
        "%Y": w.t("imports.fmt_year"),
        "%y": w.t("imports.fmt_year_short"),
    }
    for code, text in parts.items():
        fmt = fmt.replace(code, text)
    return fmt


def dialect_choices(w: Words, dialect: Dialect) -> dict[str, list[Choice]]:
    """The dialect's selects, the file's current reading selected."""
    formats = list(CANDIDATES)
    if dialect.date_format not in formats:
        formats.append(dialect.date_format)
    return {
        "delimiter": _choices(w, DELIMITER_WORDS, dialect.delimiter or ""),
        "decimal": _choices(w, DECIMAL_WORDS, dialect.decimal),
        "thousands": _choices(w, THOUSANDS_WORDS, dialect.thousands),
        "date_format": [
            Choice(fmt, date_format_label(w, fmt), fmt == dialect.date_format) for fmt in formats
        ],
    }


def mapping_fields(w: Words, detection: Detection) -> list[MappingField]:
    """One select per mapping field over the file's columns (optional ones may be empty)."""
    current = {} if detection.mapping is None else detection.mapping.as_dict()
    return [
        MappingField(
            name,
            w.t(key),
            name in REQUIRED,
            [Choice(column, column, current.get(name) == column) for column in detection.columns],
        )
        for name, key in MAPPING_FIELDS.items()
    ]


class FixForm(BaseModel):
    """The fix form as posted: every field text, absent ones empty (a QIF file's form has no
    mapping nor delimiter; an OFX file has no form)."""

    model_config = ConfigDict(extra="ignore")

    delimiter: str = ""
    delimiter_was: str = ""
    decimal: str = ""
    thousands: str = ""
    date_format: str = ""
    map_date: str = ""
    map_label: str = ""
    map_amount: str = ""
    map_debit: str = ""
    map_credit: str = ""
    map_category: str = ""
    map_account: str = ""

    def dialect(self) -> Dialect:
        """The dialect asked for, checked as the API's `DialectBody` checks it."""
        decimal = _separator(self.decimal)
        if decimal not in (",", "."):
            raise FormProblem("imports.error_decimal")
        date_format = self.date_format.strip()
        if not 2 <= len(date_format) <= 20:
            raise FormProblem("imports.error_date_format")
        delimiter = _separator(self.delimiter) if self.delimiter else None
        return Dialect(delimiter, decimal, _separator(self.thousands), date_format)

    def delimiter_changed(self) -> bool:
        return bool(self.delimiter) and self.delimiter != self.delimiter_was

    def mapping(self) -> ColumnMapping | None:
        """The columns chosen, None when the form has none (QIF) or the delimiter changed
        (the header is read again, and its columns with it). MappingError when neither
        an amount nor a debit/credit column is chosen."""
        chosen = {name: getattr(self, f"map_{name}").strip() for name in MAPPING_FIELDS}
        if not any(chosen.values()) or self.delimiter_changed():
            return None
        if not (chosen["date"] and chosen["label"]):
            raise FormProblem("imports.error_required")
        return ColumnMapping(
            date=chosen["date"],
            label=chosen["label"],
            amount=chosen["amount"] or None,
            debit=chosen["debit"] or None,
            credit=chosen["credit"] or None,
            category=chosen["category"] or None,
            account=chosen["account"] or None,
        )
