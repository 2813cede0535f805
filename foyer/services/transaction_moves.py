"""Rows recategorised in bulk (rules re-applied to a month): many rows' category fields and
tags rewritten with one aggregates delta, in the caller's unit of work.

A sibling of foyer.services.transactions, and one of the few modules allowed to write
`bank_transaction` (tests/services/test_only_services_write.py): it is kept apart so that
`services.rules` can use it while `services.transactions` uses `services.rules` (to log
recategorisations) without an import cycle.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

from sqlalchemy import Connection, bindparam

from foyer.db.schema import bank_transaction as t
from foyer.db.schema import transaction_tag
from foyer.services import aggregates


class Move(NamedTuple):
    """A row whose categorisation changes (rules re-applied): its contribution before
    and after. Only category, category_parent, exclude, expense_type and tags may differ,
    and the tags after hold the tags before (rules add tags, never remove them)."""

    row_id: int
    before: aggregates.Fact
    after: aggregates.Fact


_SET_CATEGORISATION = (
    t.update()
    .where(t.c.id == bindparam("row_id"))
    .values(
        category=bindparam("new_category"),
        category_parent=bindparam("new_parent"),
        expense_type=bindparam("new_type"),
        exclude=bindparam("new_exclude"),
    )
)


def recategorise_rows(conn: Connection, *, household_id: int, moves: Sequence[Move]) -> None:
    """Apply many rows' new categorisations with one aggregates delta. The caller has
    locked the rows (rules.apply_to_month reads them FOR UPDATE)."""
    if not moves:
        return
    conn.execute(
        _SET_CATEGORISATION,
        [
            {
                "row_id": move.row_id,
                "new_category": move.after.category,
                "new_parent": move.after.category_parent,
                "new_type": move.after.expense_type,
                "new_exclude": move.after.exclude,
            }
            for move in moves
        ],
    )
    added = [
        {"transaction_id": move.row_id, "household_id": household_id, "tag": tag}
        for move in moves
        for tag in move.after.tags
        if tag not in move.before.tags
    ]
    if added:
        conn.execute(transaction_tag.insert(), added)
    delta = aggregates.Delta()
    for move in moves:
        delta.add(move.before, -1)
        delta.add(move.after, 1)
    aggregates.apply(conn, delta)
