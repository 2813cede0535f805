"""Loaders of a household's small tables (config, fixed lines, provisions) as domain objects.

Both readers and the CRUD services use these: the rows are few (tens), so one indexed
query each is all they cost.
"""

from __future__ import annotations

from dataclasses import fields
from typing import Any

from sqlalchemy import Connection, Select, select

from foyer.db.schema import fixed_line, household_config, month_balance, provision
from foyer.domain.model import FixedLine, HouseholdConfig, Provision

CONFIG_FIELDS = (
    "member1_name",
    "member2_name",
    "income1_cents",
    "income2_cents",
    "tax_rate1_bp",
    "tax_rate2_bp",
    "split_mode",
    "manual_share1_bp",
    "buffer_cents",
)
_FIXED_FIELDS = tuple(f.name for f in fields(FixedLine))
_PROVISION_FIELDS = tuple(f.name for f in fields(Provision))


def q_month_balance(household_id: int, month: str) -> Select[Any]:
    """The joint account's balance entered for a month (primary key lookup)."""
    return select(month_balance.c.account_balance_cents).where(
        month_balance.c.household_id == household_id, month_balance.c.month == month
    )


def load_balance(conn: Connection, household_id: int, month: str) -> int | None:
    """The balance entered for `month`, in cents; None when none was."""
    found = conn.execute(q_month_balance(household_id, month)).scalar_one_or_none()
    return None if found is None else int(found)


def load_config(conn: Connection, household_id: int) -> HouseholdConfig:
    """The household's configuration; defaults when it has none yet."""
    cols = [household_config.c[name] for name in CONFIG_FIELDS]
    row = conn.execute(
        select(*cols).where(household_config.c.household_id == household_id)
    ).one_or_none()
    if row is None:
        return HouseholdConfig()
    return HouseholdConfig(**row._asdict())


def fixed_line_from_row(row: Any) -> FixedLine:
    return FixedLine(**{name: getattr(row, name) for name in _FIXED_FIELDS})


def provision_from_row(row: Any) -> Provision:
    return Provision(**{name: getattr(row, name) for name in _PROVISION_FIELDS})


def fixed_lines_query(household_id: int) -> Select[Any]:
    cols = [fixed_line.c[name] for name in _FIXED_FIELDS]
    return select(*cols).where(fixed_line.c.household_id == household_id).order_by(fixed_line.c.id)


def provisions_query(household_id: int) -> Select[Any]:
    cols = [provision.c[name] for name in _PROVISION_FIELDS]
    return select(*cols).where(provision.c.household_id == household_id).order_by(provision.c.id)


def load_fixed_lines(conn: Connection, household_id: int) -> list[FixedLine]:
    return [fixed_line_from_row(row) for row in conn.execute(fixed_lines_query(household_id))]


def load_provisions(conn: Connection, household_id: int) -> list[Provision]:
    return [provision_from_row(row) for row in conn.execute(provisions_query(household_id))]
