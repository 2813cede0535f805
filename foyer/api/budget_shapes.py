"""The budget resources on the wire: bodies to the services' typed inputs, objects to answers.

JSON carries money as numbers with two decimals and percentages 0–100; the services and
the database hold integer cents and basis points (`foyer.money`). The conversions both
ways, and the computed fields of the answers (a fixed line's `monthly`, a provision's
`progress`), are here and nowhere else, for /config, /fixed-lines and /provisions.
"""

from __future__ import annotations

from decimal import Decimal
from typing import TypeVar

from pydantic import BaseModel, ValidationError

from foyer.api.errors import ApiError
from foyer.domain.model import FixedLine, HouseholdConfig, Provision
from foyer.domain.rules import fixed_line_monthly, provision_progress
from foyer.money import from_basis_points, ratio_4, to_basis_points, to_cents, to_money
from foyer.schemas.budget_items import (
    FixedLineCreate,
    FixedLineRead,
    FixedLineUpdate,
    ProvisionCreate,
    ProvisionRead,
    ProvisionUpdate,
)
from foyer.schemas.config import ConfigRead, ConfigUpdate
from foyer.services.budget import ConfigChanges, NewFixedLine, NewProvision

Body = TypeVar("Body", bound=BaseModel)


def _cents(value: Decimal | None) -> int | None:
    return None if value is None else to_cents(value)


def _bp(value: Decimal | None) -> int | None:
    return None if value is None else to_basis_points(value)


def _percent(bp: int | None) -> float | None:
    return None if bp is None else from_basis_points(bp)


def _exact(hundredths: int | None) -> Decimal | None:
    # Cents or basis points as the exact decimal a body holds (a float would not be).
    return None if hundredths is None else Decimal(hundredths) / 100


def _patched(schema: type[Body], stored: dict[str, object], patch: BaseModel) -> Body:
    """The stored fields with the patch's over them, valid as a whole or a 422."""
    try:
        return schema.model_validate({**stored, **patch.model_dump(exclude_unset=True)})
    except ValidationError as exc:
        errors = exc.errors(include_url=False, include_context=False, include_input=False)
        raise ApiError(422, str(errors[0]["msg"]), details=errors) from exc


# -- configuration -------------------------------------------------------------------------


def config_changes(body: ConfigUpdate) -> ConfigChanges:
    """A PUT body as the service's changes (fields left out or null stay as they are)."""
    return ConfigChanges(
        member1_name=body.member1_name,
        member2_name=body.member2_name,
        income1_cents=_cents(body.income1),
        income2_cents=_cents(body.income2),
        tax_rate1_bp=_bp(body.tax_rate1),
        tax_rate2_bp=_bp(body.tax_rate2),
        split_mode=body.split_mode,
        manual_share1_bp=_bp(body.manual_share1),
        buffer_cents=_cents(body.buffer),
    )


def config_read(config: HouseholdConfig) -> ConfigRead:
    return ConfigRead(
        member1_name=config.member1_name,
        member2_name=config.member2_name,
        income1=to_money(config.income1_cents),
        income2=to_money(config.income2_cents),
        tax_rate1=from_basis_points(config.tax_rate1_bp),
        tax_rate2=from_basis_points(config.tax_rate2_bp),
        split_mode=config.split_mode,
        manual_share1=from_basis_points(config.manual_share1_bp),
        buffer=to_money(config.buffer_cents),
    )


# -- fixed lines ---------------------------------------------------------------------------


def new_fixed_line(body: FixedLineCreate) -> NewFixedLine:
    return NewFixedLine(
        label=body.label,
        amount_cents=to_cents(body.amount),
        frequency=body.frequency,
        split_mode=body.split_mode,
        custom_share1_bp=_bp(body.custom_share1),
        category=body.category,
        active=body.active,
    )


def patched_fixed_line(line: FixedLine, patch: FixedLineUpdate) -> NewFixedLine:
    """The stored line with the PATCH's fields over it, checked as a create body would be."""
    stored: dict[str, object] = {
        "label": line.label,
        "amount": _exact(line.amount_cents),
        "frequency": line.frequency,
        "split_mode": line.split_mode,
        "custom_share1": _exact(line.custom_share1_bp),
        "category": line.category,
        "active": line.active,
    }
    return new_fixed_line(_patched(FixedLineCreate, stored, patch))


def fixed_line_read(line: FixedLine) -> FixedLineRead:
    return FixedLineRead(
        id=line.id,
        label=line.label,
        amount=to_money(line.amount_cents),
        frequency=line.frequency,
        split_mode=line.split_mode,
        custom_share1=_percent(line.custom_share1_bp),
        category=line.category,
        active=line.active,
        monthly=to_money(fixed_line_monthly(line)),
    )


# -- provisions ----------------------------------------------------------------------------


def new_provision(body: ProvisionCreate) -> NewProvision:
    return NewProvision(
        name=body.name,
        icon=body.icon,
        color=body.color,
        display_order=body.display_order,
        base=body.base,
        percentage_bp=to_basis_points(body.percentage),
        fixed_amount_cents=to_cents(body.fixed_amount),
        split_mode=body.split_mode,
        custom_share1_bp=_bp(body.custom_share1),
        is_active=body.is_active,
        start_month=body.start_month,
        end_month=body.end_month,
        target_amount_cents=_cents(body.target_amount),
        current_amount_cents=to_cents(body.current_amount),
    )


def patched_provision(item: Provision, patch: ProvisionUpdate) -> NewProvision:
    """The stored provision with the PATCH's fields over it (null clears an optional one),
    checked as a create body would be."""
    stored: dict[str, object] = {
        "name": item.name,
        "icon": item.icon,
        "color": item.color,
        "display_order": item.display_order,
        "base": item.base,
        "percentage": _exact(item.percentage_bp),
        "fixed_amount": _exact(item.fixed_amount_cents),
        "split_mode": item.split_mode,
        "custom_share1": _exact(item.custom_share1_bp),
        "is_active": item.is_active,
        "start_month": item.start_month,
        "end_month": item.end_month,
        "target_amount": _exact(item.target_amount_cents),
        "current_amount": _exact(item.current_amount_cents),
    }
    return new_provision(_patched(ProvisionCreate, stored, patch))


def provision_read(item: Provision) -> ProvisionRead:
    progress = provision_progress(item)
    return ProvisionRead(
        id=item.id,
        name=item.name,
        icon=item.icon,
        color=item.color,
        display_order=item.display_order,
        base=item.base,
        percentage=from_basis_points(item.percentage_bp),
        fixed_amount=to_money(item.fixed_amount_cents),
        split_mode=item.split_mode,
        custom_share1=_percent(item.custom_share1_bp),
        is_active=item.is_active,
        start_month=item.start_month,
        end_month=item.end_month,
        target_amount=None
        if item.target_amount_cents is None
        else to_money(item.target_amount_cents),
        current_amount=to_money(item.current_amount_cents),
        progress=None if progress is None else ratio_4(progress),
    )
