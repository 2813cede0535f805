"""Which households are active: what the cache warmer asks at start-up."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, Select, func, select

from foyer.db.schema import agg_month


def busiest_query(months: Sequence[str], limit: int) -> Select[Any]:
    """The households with the most transactions in `months`, busiest first.

    Not a hot path, so not in foyer.read.plans: it runs once per process start, on the
    warmer's thread, and reads every agg_month row of those months (one per household)
    to rank the households (a scan and a sort of one row per active household).
    """
    return (
        select(agg_month.c.household_id)
        .where(agg_month.c.month.in_(list(months)))
        .group_by(agg_month.c.household_id)
        .order_by(func.sum(agg_month.c.transactions).desc())
        .limit(limit)
    )


def busiest_households(conn: Connection, months: Sequence[str], limit: int) -> list[int]:
    return [int(h) for h in conn.execute(busiest_query(months, limit)).scalars()]
