"""The settings forms: posted strings checked by the API's own request schemas, and their
errors said next to each field in the page's language.

A form posts strings; the API's bodies (`ConfigUpdate`, `FixedLineCreate`,
`ProvisionCreate`) check them, so the rules (bounds, decimals, the custom share, month
order…) are the API's and live in one place. What is the form's own: a blank field of an
item takes the schema's default (or is missing); a blank configuration field is an error
(for `PUT /config` a missing field means "keep", a form always sends every field); an
unchecked box sends nothing, so it is false; money may be typed the French way ("1 234,5").
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from foyer.domain.model import FixedLine, HouseholdConfig, Provision
from foyer.schemas.budget_items import FixedLineCreate, ProvisionCreate
from foyer.schemas.config import ConfigUpdate
from foyer.web.i18n import Words

Body = TypeVar("Body", bound=BaseModel)

#: Pydantic's error types and the word that says each to a person (`{limit}`: the bound).
ERROR_WORDS: Mapping[str, str] = {
    "missing": "settings.error.required",
    "string_too_short": "settings.error.required",
    "string_too_long": "settings.error.too_long",
    "decimal_parsing": "settings.error.number",
    "decimal_type": "settings.error.number",
    "finite_number": "settings.error.number",
    "decimal_max_places": "settings.error.decimals",
    "decimal_max_digits": "settings.error.too_large",
    "decimal_whole_digits": "settings.error.too_large",
    "int_parsing": "settings.error.integer",
    "int_type": "settings.error.integer",
    "greater_than": "settings.error.more_than",
    "greater_than_equal": "settings.error.at_least",
    "less_than_equal": "settings.error.at_most",
    "literal_error": "settings.error.choice",
}
#: Errors of a whole body (a model validator's), each said at the field a person fixes.
RULE_WORDS: tuple[tuple[str, str, str], ...] = (
    ("custom_share1 is required", "custom_share1", "settings.error.custom_share"),
    ("start_month must not be after end_month", "end_month", "settings.error.month_order"),
    ("color must be", "color", "settings.error.color"),
    ("month must be", "", "settings.error.month"),  # the field is the error's own
)
FALLBACK = "settings.error.invalid"
_SPACES = re.compile(r"[\s\u00a0\u202f]+")


@dataclass(frozen=True, slots=True)
class Form:
    """One form as the page shows it: the values (strings, as typed) and their errors."""

    prefix: str  # ids: "<prefix>-<field>", unique on the page
    values: Mapping[str, str]
    errors: Mapping[str, str] = field(default_factory=dict)
    alert: str | None = None  # the form's summary (role=alert) when it has errors

    def id(self, name: str) -> str:
        return f"{self.prefix}-{name.replace('_', '-')}"

    def value(self, name: str) -> str:
        return self.values.get(name, "")

    def checked(self, name: str) -> bool:
        return self.values.get(name) == "true"

    @property
    def first_error(self) -> str | None:
        return next(iter(self.errors), None)


@dataclass(frozen=True, slots=True)
class Fields(Generic[Body]):
    """How a form's strings become a request body of `schema`."""

    schema: type[Body]
    numbers: frozenset[str]  # decimals: spaces dropped, a decimal comma accepted
    checkboxes: frozenset[str] = frozenset()
    blank_is_default: bool = True  # False: a blank field is sent, and refused
    shown: tuple[str, ...] = ()  # the form's fields when not all the schema's

    @property
    def names(self) -> tuple[str, ...]:
        return self.shown or tuple(self.schema.model_fields)


#: The configuration of SPEC §2. A field of `PUT /config` the form does not show is left
#: out of the body, which keeps its stored value.
CONFIG = Fields(
    ConfigUpdate,
    numbers=frozenset({"income1", "income2", "tax_rate1", "tax_rate2", "manual_share1"}),
    blank_is_default=False,
    shown=(
        *("member1_name", "member2_name", "income1", "income2"),
        *("tax_rate1", "tax_rate2", "split_mode", "manual_share1"),
    ),
)
FIXED_LINE = Fields(
    FixedLineCreate,
    numbers=frozenset({"amount", "custom_share1"}),
    checkboxes=frozenset({"active"}),
)
PROVISION = Fields(
    ProvisionCreate,
    numbers=frozenset(
        {"percentage", "fixed_amount", "custom_share1", "target_amount", "current_amount"}
    ),
    checkboxes=frozenset({"is_active"}),
)


def number(text: str) -> str:
    """'1 234,50' -> '1234.50' (a decimal comma, any spaces); anything else as it is."""
    compact = _SPACES.sub("", text)
    if compact.count(",") == 1 and "." not in compact:
        compact = compact.replace(",", ".")
    return compact


def submitted(fields: Fields[Any], form: Mapping[str, str]) -> dict[str, str]:
    """The form's values of `fields` as it showed them (checkboxes as "true" or "")."""
    values = {name: form.get(name, "").strip() for name in fields.names}
    for name in fields.checkboxes:
        values[name] = "true" if form.get(name) else ""
    return values


def body_of(fields: Fields[Any], values: Mapping[str, str]) -> dict[str, object]:
    body: dict[str, object] = {}
    for name in fields.names:
        if name in fields.checkboxes:
            body[name] = values[name] == "true"
        elif values[name] or not fields.blank_is_default:
            body[name] = number(values[name]) if name in fields.numbers else values[name]
    return body


def _decimals(text: str) -> int:
    try:
        exponent = Decimal(number(text)).as_tuple().exponent
    except InvalidOperation:
        return 0
    return -exponent if isinstance(exponent, int) and exponent < 0 else 0


def _said(w: Words, error: ErrorDetails, values: Mapping[str, str]) -> tuple[str, str]:
    """(field, message) for one of pydantic's errors ("" when no field fits)."""
    name = str(error["loc"][0]) if error["loc"] else ""
    kind = error["type"]
    if kind == "value_error":
        for needle, at, key in RULE_WORDS:
            if needle in error["msg"]:
                return at or name, w.t(key)
        return name, w.t(FALLBACK)
    raw = values.get(name, "")
    if not raw and kind != "literal_error":
        return name, w.t("settings.error.required")
    if kind in ("decimal_max_digits", "decimal_whole_digits") and _decimals(raw) > 2:
        kind = "decimal_max_places"
    ctx = error.get("ctx") or {}
    limit = next((ctx[k] for k in ("gt", "ge", "le", "max_length") if k in ctx), "")
    return name, w.t(ERROR_WORDS.get(kind, FALLBACK), limit=limit)


def check(
    w: Words, fields: Fields[Body], form: Mapping[str, str], *, prefix: str
) -> tuple[Body | None, Form]:
    """The valid body and the form as sent, or None and the form with its errors."""
    values = submitted(fields, form)
    try:
        return fields.schema.model_validate(body_of(fields, values)), Form(prefix, values)
    except ValidationError as exc:
        errors: dict[str, str] = {}
        loose: list[str] = []
        for error in exc.errors(include_url=False):
            name, message = _said(w, error, values)
            if name in values:
                errors.setdefault(name, message)
            else:
                loose.append(message)
        ordered = {name: errors[name] for name in fields.names if name in errors}
        alert = " ".join([w.t("settings.error.summary"), *loose])
        return None, Form(prefix, values, ordered, alert)


# -- what a stored thing looks like in its form -------------------------------------------


def hundredths(value: int | None) -> str:
    """Cents or basis points as a form shows them: 115000 -> '1150', 1250 -> '12.5'."""
    return "" if value is None else f"{Decimal(value) / 100:f}"


def _defaults(schema: type[BaseModel], *names: str) -> dict[str, str]:
    return {name: str(schema.model_fields[name].default) for name in names}


def config_values(config: HouseholdConfig) -> dict[str, str]:
    return {
        "member1_name": config.member1_name,
        "member2_name": config.member2_name,
        "income1": hundredths(config.income1_cents),
        "income2": hundredths(config.income2_cents),
        "tax_rate1": hundredths(config.tax_rate1_bp),
        "tax_rate2": hundredths(config.tax_rate2_bp),
        "split_mode": config.split_mode,
        "manual_share1": hundredths(config.manual_share1_bp),
    }


def fixed_line_values(line: FixedLine | None) -> dict[str, str]:
    """A line's form values; a new line's defaults (the schema's) for None."""
    if line is None:
        return _defaults(FixedLineCreate, "frequency", "split_mode") | {"active": "true"}
    return {
        "label": line.label,
        "amount": hundredths(line.amount_cents),
        "frequency": line.frequency,
        "split_mode": line.split_mode,
        "custom_share1": hundredths(line.custom_share1_bp),
        "category": line.category,
        "active": "true" if line.active else "",
    }


def provision_values(item: Provision | None) -> dict[str, str]:
    """A provision's form values; a new one's defaults (the schema's) for None."""
    if item is None:
        names = ("color", "display_order", "base", "percentage", "fixed_amount", "split_mode")
        return _defaults(ProvisionCreate, *names, "current_amount") | {"is_active": "true"}
    return {
        "name": item.name,
        "icon": item.icon,
        "color": item.color,
        "display_order": str(item.display_order),
        "base": item.base,
        "percentage": hundredths(item.percentage_bp),
        "fixed_amount": hundredths(item.fixed_amount_cents),
        "split_mode": item.split_mode,
        "custom_share1": hundredths(item.custom_share1_bp),
        "is_active": "true" if item.is_active else "",
        "start_month": item.start_month or "",
        "end_month": item.end_month or "",
        "target_amount": hundredths(item.target_amount_cents),
        "current_amount": hundredths(item.current_amount_cents),
    }
