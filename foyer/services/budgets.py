"""Category budget writes (SPEC §12): create, replace, delete, each renewing the `budgets`
data stamp in the same transaction (the budgets view's cached answers follow).
Nothing here commits."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import Connection, and_, select

from foyer.db.schema import category_budget as b
from foyer.domain.budgets import Budget
from foyer.read.budgets import get_budget
from foyer.services import stamps


class BudgetExistsError(ValueError):
    """The category already has a budget for that month (or a default): one of each."""


@dataclass(frozen=True, slots=True)
class NewBudget:
    category: str
    category_parent: str | None
    month: str | None
    amount_cents: int


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _check_free(
    conn: Connection, household_id: int, item: NewBudget, except_id: int | None = None
) -> None:
    """One budget per category and month (and one default): said before the unique index
    would refuse it, so the answer is a clear 409, not a database error."""
    month = b.c.month.is_(None) if item.month is None else b.c.month == item.month
    query = select(b.c.id).where(
        and_(b.c.household_id == household_id, b.c.category == item.category, month)
    )
    if except_id is not None:
        query = query.where(b.c.id != except_id)
    if conn.execute(query.limit(1)).first() is not None:
        when = "every month" if item.month is None else item.month
        raise BudgetExistsError(f"{item.category!r} already has a budget for {when}")


def create_budget(conn: Connection, *, household_id: int, item: NewBudget) -> Budget:
    _check_free(conn, household_id, item)
    now = _now()
    budget_id = conn.execute(
        b.insert()
        .values(
            household_id=household_id,
            category=item.category,
            category_parent=item.category_parent,
            month=item.month,
            amount_cents=item.amount_cents,
            created_at=now,
            updated_at=now,
        )
        .returning(b.c.id)
    ).scalar_one()
    stamps.renew(conn, household_id, [stamps.BUDGETS])
    created = get_budget(conn, household_id=household_id, budget_id=int(budget_id))
    assert created is not None  # just inserted in this transaction
    return created


def replace_budget(
    conn: Connection, *, household_id: int, budget_id: int, item: NewBudget
) -> Budget | None:
    if get_budget(conn, household_id=household_id, budget_id=budget_id) is None:
        return None
    _check_free(conn, household_id, item, except_id=budget_id)
    conn.execute(
        b.update()
        .where(b.c.household_id == household_id, b.c.id == budget_id)
        .values(
            category=item.category,
            category_parent=item.category_parent,
            month=item.month,
            amount_cents=item.amount_cents,
            updated_at=_now(),
        )
    )
    stamps.renew(conn, household_id, [stamps.BUDGETS])
    return get_budget(conn, household_id=household_id, budget_id=budget_id)


def delete_budget(conn: Connection, *, household_id: int, budget_id: int) -> bool:
    deleted = conn.execute(
        b.delete().where(b.c.household_id == household_id, b.c.id == budget_id)
    ).rowcount
    if deleted:
        stamps.renew(conn, household_id, [stamps.BUDGETS])
    return bool(deleted)
