"""The joint account's start-of-month balance (SPEC §12 transfer plan): set or cleared per
month, its data stamp renewed in the same transaction. Nothing here commits."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Connection

from foyer.db.schema import month_balance
from foyer.services import stamps


def set_balance(conn: Connection, *, household_id: int, month: str, cents: int) -> None:
    """Store the balance entered for `month` (replacing any earlier one)."""
    key = (month_balance.c.household_id == household_id) & (month_balance.c.month == month)
    # Delete then insert: one portable upsert, in the caller's transaction (primary key).
    conn.execute(month_balance.delete().where(key))
    conn.execute(
        month_balance.insert().values(
            household_id=household_id,
            month=month,
            account_balance_cents=cents,
            updated_at=dt.datetime.now(dt.UTC),
        )
    )
    stamps.renew(conn, household_id, [stamps.balance(month)])
