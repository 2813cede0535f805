"""The typed inputs of transaction writes: a new row as stored, a create, a patch.

`NewRow` is the one shape every insert path (single, bulk, demo, imports) hands to
`foyer.services.transactions.insert_rows`; `NewTransaction` and `TransactionChanges` are
what the API's bodies become, in cents, before any write.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

from foyer.domain.vocabulary import ExpenseType
from foyer.months import month_of


class NewRow(NamedTuple):
    """One new transaction, the one shape every insert path hands to `insert_rows`.

    A NamedTuple, not a dataclass: bulk loads build millions of them, COPY writes them
    as they are, and `aggregates.Delta.add_new` unpacks them by position.
    """

    date: dt.date
    month: str
    label: str
    amount_cents: int
    category: str
    category_parent: str
    account: str
    exclude: bool
    expense_type: str
    import_id: str | None
    created_at: dt.datetime


#: Column order of `NewRow`s.
NEW_ROW_COLUMNS = NewRow._fields


@dataclass(frozen=True, slots=True)
class NewTransaction:
    """A transaction to create, validated, its amount in cents."""

    date: dt.date
    label: str
    amount_cents: int
    category: str
    category_parent: str
    account: str
    exclude: bool
    expense_type: ExpenseType
    tags: Sequence[str] = ()
    import_id: str | None = None


@dataclass(frozen=True, slots=True)
class TransactionChanges:
    """A patch: the fields to change, None for those left as they are.

    (None never means "set to NULL": none of these columns is nullable.) The API exposes
    the SPEC's subset; amount_cents is for services.
    """

    category: str | None = None
    category_parent: str | None = None
    exclude: bool | None = None
    expense_type: ExpenseType | None = None
    label: str | None = None
    amount_cents: int | None = None
    tags: Sequence[str] | None = None  # the new set of tags, replacing the old one

    def columns(self) -> dict[str, Any]:
        """The bank_transaction columns to set (also `aggregates.Fact` fields)."""
        values = {
            "category": self.category,
            "category_parent": self.category_parent,
            "exclude": self.exclude,
            "expense_type": self.expense_type,
            "label": self.label,
            "amount_cents": self.amount_cents,
        }
        return {name: value for name, value in values.items() if value is not None}


def new_row(item: NewTransaction, created_at: dt.datetime) -> NewRow:
    """The insert row of a transaction to create."""
    return NewRow(
        item.date,
        month_of(item.date),
        item.label,
        item.amount_cents,
        item.category,
        item.category_parent,
        item.account,
        item.exclude,
        item.expense_type,
        item.import_id,
        created_at,
    )


@dataclass(frozen=True, slots=True)
class NewPart:
    """One part of a bank row to split (SPEC §12), its amount in cents; the row gives the
    rest (date, label, import id). `account` None: the row's; `tags` None: the row's."""

    amount_cents: int
    category: str
    category_parent: str
    expense_type: ExpenseType
    exclude: bool
    account: str | None = None
    tags: Sequence[str] | None = None
