"""The household's category budgets as stored (SPEC §12): the CRUD's reads and the
budgets view's input (a small table, read whole: a household has tens of budgets)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Select, select

from foyer.db.schema import category_budget as b
from foyer.domain.budgets import Budget


def budgets_query(household_id: int) -> Select[Any]:
    return select(b.c.id, b.c.category, b.c.category_parent, b.c.month, b.c.amount_cents).where(
        b.c.household_id == household_id
    )


def _budget(row: Any) -> Budget:
    return Budget(
        id=int(row.id),
        category=row.category,
        category_parent=row.category_parent,
        month=row.month,
        amount_cents=int(row.amount_cents),
    )


def list_budgets(conn: Connection, *, household_id: int) -> list[Budget]:
    """Every budget of the household: by category, defaults (no month) first."""
    found = [_budget(row) for row in conn.execute(budgets_query(household_id))]
    # Sorted here, not in SQL: tens of rows, and the databases sort NULL months at
    # opposite ends (defaults must come first).
    found.sort(key=lambda x: (x.category, x.month is not None, x.month or "", x.id))
    return found


def get_budget(conn: Connection, *, household_id: int, budget_id: int) -> Budget | None:
    row = conn.execute(budgets_query(household_id).where(b.c.id == budget_id)).one_or_none()
    return None if row is None else _budget(row)
