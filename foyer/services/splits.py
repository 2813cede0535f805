"""Split bank rows (SPEC §12): a row becomes parts, parts merge back into the row.

A split moves the original out of `bank_transaction` into `split_original` (same id, every
column, its tags) and inserts the parts as ordinary rows with `split_of` = its id; a merge
does the reverse. So every reader of `bank_transaction` — both dashboard readers, the
listings, the aggregates' recomputation, exports — sees the parts and never the original,
with no filter to forget; only the bank imports' dedupe reads `split_original`, so the
bank row is still held once (foyer.read.imports.held_counts). Each write hands the
aggregates one `Delta` (the original out, the parts in, or back), in the caller's unit of
work, so they and the data stamps are exact at its commit.

One of the few modules allowed to write `bank_transaction` and `transaction_tag`
(tests/services/test_only_services_write.py). What a PATCH or DELETE of a part or of an
original does is in docs/DECISIONS.md ("Split rows").
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, Row, Select, select

from foyer.db.schema import bank_transaction as t
from foyer.db.schema import split_original as so
from foyer.db.schema import transaction_tag
from foyer.domain.splits import check_parts
from foyer.read.transactions import tags_of
from foyer.services import aggregates
from foyer.services.transaction_inputs import NewPart, NewRow
from foyer.services.transactions import delete_transaction, store_rows

#: The columns a row and its original share (split_original adds tags and split_at).
_ROW_COLUMNS = tuple(c.name for c in t.columns if c.name != "split_of")


class SplitConflict(Exception):
    """The row cannot be split or deleted as asked: it is a part, or already split."""

    def __init__(self, message: str, original_id: int) -> None:
        super().__init__(message)
        self.original_id = original_id


def _fact(row: Row[Any], tags: Sequence[str]) -> aggregates.Fact:
    return aggregates.Fact(
        row.household_id,
        row.month,
        row.label,
        int(row.amount_cents),
        row.category,
        row.category_parent,
        bool(row.exclude),
        row.expense_type,
        tags=tuple(tags),
    )


def _original(conn: Connection, household_id: int, original_id: int) -> Row[Any] | None:
    """The split row's original, locked until commit (PostgreSQL: FOR UPDATE)."""
    query = select(so).where(so.c.household_id == household_id, so.c.id == original_id)
    return conn.execute(query.with_for_update()).one_or_none()


def _parts(conn: Connection, household_id: int, original_id: int) -> list[Row[Any]]:
    """The original's parts, locked (ix_bank_transaction_split_of)."""
    return list(conn.execute(parts_query(household_id, original_id).with_for_update()))


def parts_query(household_id: int, original_id: int) -> Select[Any]:
    """A split row's parts and what each adds to the aggregates (ix_bank_transaction_split_of)."""
    return select(t.c.id, *aggregates.FACT_COLUMNS).where(
        t.c.household_id == household_id, t.c.split_of == original_id
    )


def split_transaction(
    conn: Connection, *, household_id: int, transaction_id: int, parts: Sequence[NewPart]
) -> list[int] | None:
    """Replace the row by `parts`; their ids in input order, None when the row is not this
    household's. Raises SplitConflict for a part or a row already split, and
    foyer.domain.splits.InvalidSplit when the parts cannot replace the row."""
    query = select(t).where(t.c.household_id == household_id, t.c.id == transaction_id)
    row = conn.execute(query.with_for_update()).one_or_none()
    if row is None:
        if _original(conn, household_id, transaction_id) is not None:
            raise SplitConflict(f"transaction {transaction_id} is already split", transaction_id)
        return None
    if row.split_of is not None:
        raise SplitConflict(
            f"transaction {transaction_id} is a part of split transaction {row.split_of}: "
            "merge that one to split it again",
            int(row.split_of),
        )
    check_parts(int(row.amount_cents), [part.amount_cents for part in parts])
    tags = tags_of(conn, [transaction_id])[transaction_id]
    now = dt.datetime.now(dt.UTC)
    conn.execute(
        so.insert().values(
            **{name: row._mapping[name] for name in _ROW_COLUMNS},
            tags=json.dumps(tags),
            split_at=now,
        )
    )
    # Its tags go with it (ON DELETE CASCADE); split_original keeps them.
    conn.execute(t.delete().where(t.c.id == transaction_id))
    new_rows = [
        NewRow(
            row.date,
            row.month,
            row.label,
            part.amount_cents,
            part.category,
            part.category_parent,
            row.account if part.account is None else part.account,
            part.exclude,
            part.expense_type,
            row.import_id,
            now,
        )
        for part in parts
    ]
    new_tags = [list(dict.fromkeys(tags if part.tags is None else part.tags)) for part in parts]
    ids = store_rows(conn, household_id=household_id, rows=new_rows, tags=new_tags)
    conn.execute(t.update().where(t.c.id.in_(ids)).values(split_of=transaction_id))
    delta = aggregates.Delta()
    delta.add(_fact(row, tags), -1)
    delta.add_new(household_id, new_rows, new_tags)
    aggregates.apply(conn, delta)
    return ids


def _remove_parts(conn: Connection, household_id: int, original_id: int) -> aggregates.Delta:
    """Delete the original's parts (their tags cascade); the delta counting them out."""
    parts = _parts(conn, household_id, original_id)
    tags = tags_of(conn, (part.id for part in parts))
    delta = aggregates.Delta()
    for part in parts:
        delta.add(_fact(part, tags[part.id]), -1)
    if parts:
        conn.execute(t.delete().where(t.c.id.in_([part.id for part in parts])))
    return delta


def merge_split(conn: Connection, *, household_id: int, original_id: int) -> bool:
    """Put the original back in place of its parts; False when `original_id` is not a split
    row of this household's."""
    original = _original(conn, household_id, original_id)
    if original is None:
        return False
    delta = _remove_parts(conn, household_id, original_id)
    conn.execute(t.insert().values(**{name: original._mapping[name] for name in _ROW_COLUMNS}))
    tags: list[str] = json.loads(original.tags)
    if tags:
        conn.execute(
            transaction_tag.insert(),
            [
                {"transaction_id": original_id, "household_id": household_id, "tag": tag}
                for tag in tags
            ],
        )
    conn.execute(so.delete().where(so.c.id == original_id))
    delta.add(_fact(original, tags), 1)
    aggregates.apply(conn, delta)
    return True


def delete_row(conn: Connection, *, household_id: int, transaction_id: int) -> bool:
    """DELETE /transactions/{id}: an ordinary row; or a split row's original, parts and all
    (the bank row is gone); False when neither is this household's. A part alone cannot be
    deleted (its siblings would no longer add up to the bank row): SplitConflict."""
    query = select(t.c.split_of).where(t.c.household_id == household_id, t.c.id == transaction_id)
    found = conn.execute(query.with_for_update()).one_or_none()
    if found is not None:
        if found.split_of is not None:
            raise SplitConflict(
                f"transaction {transaction_id} is a part of split transaction "
                f"{found.split_of}: merge it, or delete that one",
                int(found.split_of),
            )
        return delete_transaction(conn, household_id=household_id, transaction_id=transaction_id)
    if _original(conn, household_id, transaction_id) is None:
        return False
    delta = _remove_parts(conn, household_id, transaction_id)
    conn.execute(so.delete().where(so.c.id == transaction_id))
    aggregates.apply(conn, delta)
    return True
