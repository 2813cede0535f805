"""Household configuration, fixed lines and provisions: read, create, update, delete.

These functions take typed inputs in stored units (integer cents, basis points) and answer
domain objects (`foyer.domain.model`) or found flags, never JSON: the API turns bodies
into these inputs and the objects into answers (`foyer.api.budget_shapes`). Every write
renews the household's `budget` data stamp in the same transaction.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, fields, replace
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from sqlalchemy import Connection, Select, Table, select

from foyer.db.households import load_config
from foyer.db.schema import fixed_line, household_config, provision
from foyer.domain.model import FixedLine, HouseholdConfig, Provision
from foyer.domain.vocabulary import Frequency, KeyMode, ProvisionBase, SplitMode
from foyer.services import stamps

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

Row = TypeVar("Row", bound="DataclassInstance")
New = TypeVar("New", bound="DataclassInstance")


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


# -- configuration -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ConfigChanges:
    """A configuration update: the fields to change, None for those left as they are.

    (None never means "set to NULL": no configuration column is nullable.)
    """

    member1_name: str | None = None
    member2_name: str | None = None
    income1_cents: int | None = None
    income2_cents: int | None = None
    tax_rate1_bp: int | None = None
    tax_rate2_bp: int | None = None
    split_mode: KeyMode | None = None
    manual_share1_bp: int | None = None
    buffer_cents: int | None = None


def get_config(conn: Connection, *, household_id: int) -> HouseholdConfig:
    """The household's configuration; the defaults when it has none yet."""
    return load_config(conn, household_id)


def update_config(
    conn: Connection, *, household_id: int, changes: ConfigChanges
) -> HouseholdConfig:
    """Apply `changes` over the stored configuration (or the defaults); the result."""
    given = {name: value for name, value in asdict(changes).items() if value is not None}
    merged = replace(load_config(conn, household_id), **given)
    values = asdict(merged)
    updated = conn.execute(
        household_config.update()
        .where(household_config.c.household_id == household_id)
        .values(**values, updated_at=_now())
    )
    if updated.rowcount == 0:  # households made before configs existed: create it now
        conn.execute(
            household_config.insert().values(household_id=household_id, **values, updated_at=_now())
        )
    stamps.renew_budget(conn, household_id)
    return merged


# -- fixed lines and provisions: one generic CRUD over two small tables ----------------------


@dataclass(frozen=True, slots=True)
class NewFixedLine:
    """A fixed line to create, or the whole new state of one (PUT, and PATCH once merged)."""

    label: str
    amount_cents: int
    frequency: Frequency
    split_mode: SplitMode
    custom_share1_bp: int | None
    category: str
    active: bool


@dataclass(frozen=True, slots=True)
class NewProvision:
    """A provision to create, or the whole new state of one (PUT, and PATCH once merged)."""

    name: str
    icon: str
    color: str
    display_order: int
    base: ProvisionBase
    percentage_bp: int
    fixed_amount_cents: int
    split_mode: SplitMode
    custom_share1_bp: int | None
    is_active: bool
    start_month: str | None
    end_month: str | None
    target_amount_cents: int | None
    current_amount_cents: int


class SmallTable(Generic[Row, New]):
    """CRUD of a household-owned table: rows read as `Row`s, written from `New`s.

    A `New` has the fields of a `Row` but its id, under the same (column) names.
    """

    def __init__(self, table: Table, row_type: type[Row], new_type: type[New]) -> None:
        self.table = table
        self.row_type = row_type
        self.fields = [f.name for f in fields(row_type)]
        if [f.name for f in fields(new_type)] != [n for n in self.fields if n != "id"]:
            raise TypeError(f"{new_type.__name__} must have the fields of {row_type.__name__}")

    def _select(self, household_id: int) -> Select[Any]:
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

    def create(self, conn: Connection, *, household_id: int, item: New) -> Row:
        new_id = conn.execute(
            self.table.insert()
            .values(household_id=household_id, created_at=_now(), **asdict(item))
            .returning(self.table.c.id)
        ).scalar_one()
        stamps.renew_budget(conn, household_id)
        created = self.get(conn, household_id=household_id, item_id=int(new_id))
        assert created is not None  # just inserted in this transaction
        return created

    def replace(
        self, conn: Connection, *, household_id: int, item_id: int, item: New
    ) -> Row | None:
        """Set every field of the item; None when it is not this household's."""
        result = conn.execute(
            self.table.update()
            .where(self.table.c.household_id == household_id, self.table.c.id == item_id)
            .values(**asdict(item))
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


fixed_lines: SmallTable[FixedLine, NewFixedLine] = SmallTable(fixed_line, FixedLine, NewFixedLine)
provisions: SmallTable[Provision, NewProvision] = SmallTable(provision, Provision, NewProvision)
