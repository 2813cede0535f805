"""Household configuration, fixed lines and provisions: read, create, update, delete."""

from __future__ import annotations

import datetime as dt
from dataclasses import fields
from decimal import Decimal
from typing import Any, Generic, TypeVar, cast

from sqlalchemy import Connection, Table, select

from foyer.db.households import load_config
from foyer.db.schema import fixed_line, household_config, provision
from foyer.domain.model import FixedLine, HouseholdConfig, Provision
from foyer.domain.rules import fixed_line_monthly, provision_progress
from foyer.money import from_basis_points, ratio_4, to_basis_points, to_cents, to_money
from foyer.services import stamps

Row = TypeVar("Row")

# API field -> (column, kind). Kinds convert between JSON numbers and stored integers.
_CONFIG_MAP = {
    "member1_name": ("member1_name", "raw"),
    "member2_name": ("member2_name", "raw"),
    "income1": ("income1_cents", "money"),
    "income2": ("income2_cents", "money"),
    "tax_rate1": ("tax_rate1_bp", "percent"),
    "tax_rate2": ("tax_rate2_bp", "percent"),
    "split_mode": ("split_mode", "raw"),
    "manual_share1": ("manual_share1_bp", "percent"),
}
_FIXED_MAP = {
    "label": ("label", "raw"),
    "amount": ("amount_cents", "money"),
    "frequency": ("frequency", "raw"),
    "split_mode": ("split_mode", "raw"),
    "custom_share1": ("custom_share1_bp", "percent"),
    "category": ("category", "raw"),
    "active": ("active", "raw"),
}
_PROVISION_MAP = {
    "name": ("name", "raw"),
    "icon": ("icon", "raw"),
    "color": ("color", "raw"),
    "display_order": ("display_order", "raw"),
    "base": ("base", "raw"),
    "percentage": ("percentage_bp", "percent"),
    "fixed_amount": ("fixed_amount_cents", "money"),
    "split_mode": ("split_mode", "raw"),
    "custom_share1": ("custom_share1_bp", "percent"),
    "is_active": ("is_active", "raw"),
    "start_month": ("start_month", "raw"),
    "end_month": ("end_month", "raw"),
    "target_amount": ("target_amount_cents", "money"),
    "current_amount": ("current_amount_cents", "money"),
}


def _to_column(kind: str, value: Any) -> Any:
    if value is None or kind == "raw":
        return value
    return to_cents(value) if kind == "money" else to_basis_points(value)


def _to_api(kind: str, value: Any) -> Any:
    if value is None or kind == "raw":
        return value
    return to_money(value) if kind == "money" else from_basis_points(value)


def to_columns(mapping: dict[str, tuple[str, str]], data: dict[str, Any]) -> dict[str, Any]:
    return {mapping[k][0]: _to_column(mapping[k][1], v) for k, v in data.items()}


def to_api(mapping: dict[str, tuple[str, str]], obj: Any) -> dict[str, Any]:
    return {k: _to_api(kind, getattr(obj, col)) for k, (col, kind) in mapping.items()}


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


# -- configuration -------------------------------------------------------------------------


def config_read(config: HouseholdConfig) -> dict[str, Any]:
    return to_api(_CONFIG_MAP, config)


def get_config(conn: Connection, *, household_id: int) -> dict[str, Any]:
    return config_read(load_config(conn, household_id))


def update_config(
    conn: Connection, *, household_id: int, changes: dict[str, Any]
) -> dict[str, Any]:
    values = to_columns(_CONFIG_MAP, changes)
    current = load_config(conn, household_id)
    merged = {**{c: getattr(current, c) for c, _ in _CONFIG_MAP.values()}, **values}
    updated = conn.execute(
        household_config.update()
        .where(household_config.c.household_id == household_id)
        .values(**merged, updated_at=_now())
    )
    if updated.rowcount == 0:  # households made before configs existed: create it now
        conn.execute(
            household_config.insert().values(household_id=household_id, **merged, updated_at=_now())
        )
    stamps.renew_budget(conn, household_id)
    return config_read(HouseholdConfig(**merged))


# -- fixed lines and provisions: one generic CRUD over two small tables ----------------------


def fixed_line_read(line: FixedLine) -> dict[str, Any]:
    return {
        "id": line.id,
        **to_api(_FIXED_MAP, line),
        "monthly": to_money(fixed_line_monthly(line)),
    }


def provision_read(p: Provision) -> dict[str, Any]:
    progress = provision_progress(p)
    return {
        "id": p.id,
        **to_api(_PROVISION_MAP, p),
        "progress": None if progress is None else ratio_4(progress),
    }


def fixed_line_api_fields(line: FixedLine) -> dict[str, Any]:
    """The API fields of a stored line, as a create body would give them (for PATCH merges)."""
    return {k: _api_input(kind, getattr(line, col)) for k, (col, kind) in _FIXED_MAP.items()}


def provision_api_fields(p: Provision) -> dict[str, Any]:
    return {k: _api_input(kind, getattr(p, col)) for k, (col, kind) in _PROVISION_MAP.items()}


def _api_input(kind: str, value: Any) -> Any:
    # Decimal, not float: merged PATCH bodies are re-validated with exact decimals.
    if value is None or kind == "raw":
        return value
    return Decimal(value) / 100


class SmallTable(Generic[Row]):
    """CRUD of a household-owned table whose rows map to a domain dataclass."""

    def __init__(
        self, table: Table, mapping: dict[str, tuple[str, str]], row_type: type[Row]
    ) -> None:
        self.table = table
        self.mapping = mapping
        self.row_type = row_type
        self.fields = [f.name for f in fields(cast(Any, row_type))]

    def _select(self, household_id: int) -> Any:
        cols = [self.table.c[name] for name in self.fields]
        return select(*cols).where(self.table.c.household_id == household_id)

    def list(self, conn: Connection, *, household_id: int) -> list[Row]:
        rows = conn.execute(self._select(household_id).order_by(self.table.c.id))
        return [self.row_type(**row._asdict()) for row in rows]

    def get(self, conn: Connection, *, household_id: int, item_id: int) -> Row | None:
        row = conn.execute(
            self._select(household_id).where(self.table.c.id == item_id)
        ).one_or_none()
        return None if row is None else self.row_type(**row._asdict())

    def create(self, conn: Connection, *, household_id: int, data: dict[str, Any]) -> Row:
        values = to_columns(self.mapping, data)
        new_id = conn.execute(
            self.table.insert()
            .values(household_id=household_id, created_at=_now(), **values)
            .returning(self.table.c.id)
        ).scalar_one()
        stamps.renew_budget(conn, household_id)
        created = self.get(conn, household_id=household_id, item_id=int(new_id))
        assert created is not None  # just inserted in this transaction
        return created

    def replace(
        self, conn: Connection, *, household_id: int, item_id: int, data: dict[str, Any]
    ) -> Row | None:
        result = conn.execute(
            self.table.update()
            .where(self.table.c.household_id == household_id, self.table.c.id == item_id)
            .values(**to_columns(self.mapping, data))
        )
        if result.rowcount == 0:
            return None
        stamps.renew_budget(conn, household_id)
        return self.get(conn, household_id=household_id, item_id=item_id)

    def delete(self, conn: Connection, *, household_id: int, item_id: int) -> bool:
        result = conn.execute(
            self.table.delete().where(
                self.table.c.household_id == household_id, self.table.c.id == item_id
            )
        )
        if result.rowcount:
            stamps.renew_budget(conn, household_id)
        return bool(result.rowcount)


fixed_lines: SmallTable[FixedLine] = SmallTable(fixed_line, _FIXED_MAP, FixedLine)
provisions: SmallTable[Provision] = SmallTable(provision, _PROVISION_MAP, Provision)
