"""What the settings room shows: the household's configuration, fixed lines and provisions
read through the budget services, with the forms' state, shaped for the templates
(`settings.html`, `_settings_*.html`). Amounts and rules are the domain's and the API's
(`foyer.domain.rules`, `foyer.api.budget_shapes`); nothing is computed twice.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, get_args

from fastapi import Request
from sqlalchemy import Connection

from foyer.api.budget_shapes import fixed_line_read, provision_read
from foyer.domain.model import FixedLine, HouseholdConfig, Provision
from foyer.domain.rules import (
    fixed_line_monthly,
    household_key,
    provision_monthly,
    provisions_in_month,
)
from foyer.domain.vocabulary import Frequency, KeyMode, ProvisionBase, SplitMode
from foyer.money import ratio_4, to_money
from foyer.months import month_of
from foyer.schemas.budget_items import FixedLineRead, ProvisionRead
from foyer.services import budget as budget_service
from foyer.web.i18n import Words
from foyer.web.pages import base_context
from foyer.web.session import csrf_token_for
from foyer.web.settings_forms import Form, config_values, fixed_line_values, provision_values


@dataclass(frozen=True, slots=True)
class Budget:
    config: HouseholdConfig
    lines: list[FixedLine]
    provisions: list[Provision]


def load(conn: Connection, household_id: int) -> Budget:
    return Budget(
        budget_service.get_config(conn, household_id=household_id),
        budget_service.fixed_lines.list(conn, household_id=household_id),
        budget_service.provisions.list(conn, household_id=household_id),
    )


@dataclass(frozen=True, slots=True)
class Editing:
    id: int
    form: Form


@dataclass(frozen=True, slots=True)
class Shown:
    """A section's state beyond its rows: its add form (None: blank) and whether it is
    open, the row being edited, and what htmx focuses after the swap."""

    add: Form | None = None
    open: bool = False
    editing: Editing | None = None
    focus: str | None = None  # "add" or "row-<id>"


@dataclass(frozen=True, slots=True)
class View:
    config: Form | None = None  # None: the stored values
    fixed: Shown = Shown()
    provisions: Shown = Shown()
    notices: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Row:
    """One stored item as its row shows it (`data`: the API's answer for it)."""

    id: int
    data: FixedLineRead | ProvisionRead
    monthly: float
    split: str
    base: str = ""
    period: str = ""


@dataclass(frozen=True, slots=True)
class Section:
    rows: list[Row]
    total: float
    add: Form
    adding: bool
    editing: Editing | None
    focus: str | None


def _split(w: Words, mode: SplitMode, custom_bp: int | None, m1: str, m2: str) -> str:
    if mode == "custom" and custom_bp is not None:
        r1 = custom_bp / 10_000
        return w.t("settings.split_line", m1=m1, r1=w.ratio(r1), m2=m2, r2=w.ratio(1 - r1))
    return w.t(f"settings.split.{mode}", m1=m1, m2=m2)


def _base(w: Words, item: Provision, m1: str, m2: str) -> str:
    if item.base == "fixed":
        return w.t("settings.base.fixed")
    share = w.ratio(item.percentage_bp / 10_000)
    return w.t(f"settings.base_line.{item.base}", percent=share, m1=m1, m2=m2)


def _period(w: Words, start: str | None, end: str | None) -> str:
    if start and end:
        return w.t("settings.period.between", start=w.month(start), end=w.month(end))
    if start:
        return w.t("settings.period.from", start=w.month(start))
    if end:
        return w.t("settings.period.until", end=w.month(end))
    return w.t("settings.period.always")


def _options(w: Words, m1: str, m2: str) -> dict[str, list[tuple[str, str]]]:
    def said(prefix: str, values: Iterable[str]) -> list[tuple[str, str]]:
        return [(v, w.t(f"{prefix}.{v}", m1=m1, m2=m2)) for v in values]

    return {
        "frequency": said("settings.frequency", get_args(Frequency)),
        "split": said("settings.split", get_args(SplitMode)),
        "base": said("settings.base", get_args(ProvisionBase)),
        "key_mode": said("settings.key_mode", get_args(KeyMode)),
    }


def _section(rows: list[Row], total_cents: int, shown: Shown, blank: Form) -> Section:
    add = shown.add or blank
    return Section(
        rows=rows,
        total=to_money(total_cents),
        add=add,
        adding=shown.open or bool(add.errors),
        editing=shown.editing,
        focus=shown.focus,
    )


def context(w: Words, request: Request, budget: Budget, view: View) -> dict[str, Any]:
    """Everything the room's templates read."""
    config = budget.config
    m1, m2 = config.member1_name, config.member2_name
    key = household_key(config)
    month = month_of(dt.datetime.now(dt.UTC).date())
    lines = [
        Row(
            line.id,
            fixed_line_read(line),
            to_money(fixed_line_monthly(line)),
            _split(w, line.split_mode, line.custom_share1_bp, m1, m2),
        )
        for line in budget.lines
    ]
    ordered = sorted(budget.provisions, key=lambda p: (p.display_order, p.name, p.id))
    provisions = [
        Row(
            item.id,
            provision_read(item),
            to_money(provision_monthly(item, config)),
            _split(w, item.split_mode, item.custom_share1_bp, m1, m2),
            _base(w, item, m1, m2),
            _period(w, item.start_month, item.end_month),
        )
        for item in ordered
    ]
    fixed_total = sum(fixed_line_monthly(line) for line in budget.lines if line.active)
    counted = provisions_in_month(budget.provisions, month)
    provisions_total = sum(provision_monthly(item, config) for item in counted)
    return base_context(
        w,
        request,
        path="/settings",  # the language switch comes back to the page, not to a POST's URL
        csrf=csrf_token_for(request),
        month=month,
        m1=m1,
        m2=m2,
        key={"member1": ratio_4(key), "member2": ratio_4(1 - key)},
        options=_options(w, m1, m2),
        config_form=view.config or Form("config", config_values(config)),
        sections={
            "fixed": _section(
                lines, fixed_total, view.fixed, Form("fixed-new", fixed_line_values(None))
            ),
            "provisions": _section(
                provisions,
                provisions_total,
                view.provisions,
                Form("provisions-new", provision_values(None)),
            ),
        },
        notices=view.notices,
    )
