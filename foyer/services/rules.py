"""Rule writes (SPEC §8): the rules' CRUD, their application to existing rows, and the log
of recategorisations the suggestions read.

Applying rules rewrites rows' categories, so it goes the way every row write goes: the rows
are locked, updated, and their aggregate groups moved in one `Delta` in the caller's unit
of work (aggregates and data stamps exact at commit). Nothing here commits.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace

from sqlalchemy import Connection, select

from foyer.db.schema import bank_transaction as t
from foyer.db.schema import recategorisation, rule
from foyer.domain.categorisation import Actions, Categorised, Match, Matcher, categorise
from foyer.imports.text import fold
from foyer.read.rules import StoredRule, actions_json, get_rule, match_json
from foyer.read.transactions import tags_of
from foyer.services import aggregates, transaction_moves


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@dataclass(frozen=True, slots=True)
class NewRule:
    name: str
    priority: int
    match: Match
    actions: Actions


def _values(item: NewRule) -> dict[str, object]:
    return {
        "name": item.name,
        "priority": item.priority,
        "conditions": match_json(item.match),
        "actions": actions_json(item.actions),
        "updated_at": _now(),
    }


def create_rule(conn: Connection, *, household_id: int, item: NewRule) -> StoredRule:
    values = {**_values(item), "household_id": household_id, "created_at": _now()}
    rule_id = int(conn.execute(rule.insert().values(values).returning(rule.c.id)).scalar_one())
    stored = get_rule(conn, household_id=household_id, rule_id=rule_id)
    assert stored is not None  # just inserted in this transaction
    return stored


def replace_rule(
    conn: Connection, *, household_id: int, rule_id: int, item: NewRule
) -> StoredRule | None:
    """The rule with new contents; None when it is not this household's."""
    changed = conn.execute(
        rule.update()
        .where(rule.c.household_id == household_id, rule.c.id == rule_id)
        .values(_values(item))
    ).rowcount
    if changed != 1:
        return None
    return get_rule(conn, household_id=household_id, rule_id=rule_id)


def delete_rule(conn: Connection, *, household_id: int, rule_id: int) -> bool:
    deleted = conn.execute(
        rule.delete().where(rule.c.household_id == household_id, rule.c.id == rule_id)
    ).rowcount
    return bool(deleted == 1)


def note_recategorisation(
    conn: Connection, *, household_id: int, label: str, category: str, category_parent: str
) -> None:
    """A member moved a row with this label to this category (a PATCH did)."""
    conn.execute(
        recategorisation.insert().values(
            household_id=household_id,
            label_key=fold(label)[:500],
            label=label[:500],
            category=category,
            category_parent=category_parent,
            created_at=_now(),
        )
    )


@dataclass(frozen=True, slots=True)
class Applied:
    examined: int
    changed: int


def apply_to_month(conn: Connection, *, household_id: int, month: str, matcher: Matcher) -> Applied:
    """Re-apply the rules to the household's rows of `month`: each row the winning rule
    changes is updated, rows no rule matches are left as they are. Idempotent. The parts of
    a split bank row are left alone: a member categorised each of them by hand when
    splitting it (a rule on its label would put them all back together)."""
    query = (
        select(t.c.id, t.c.account, *aggregates.FACT_COLUMNS)
        .where(t.c.household_id == household_id, t.c.month == month, t.c.split_of.is_(None))
        .order_by(t.c.id)
        .with_for_update()
    )
    rows = conn.execute(query).all()
    tags = tags_of(conn, (row.id for row in rows))
    moves: list[transaction_moves.Move] = []
    for row in rows:
        winner = matcher.first(row.label, int(row.amount_cents), row.account)
        if winner is None:
            continue
        before = Categorised(
            row.category,
            row.category_parent,
            row.expense_type,
            bool(row.exclude),
            tuple(tags[row.id]),
        )
        after = categorise(before, winner)
        if after == before:
            continue
        fact = aggregates.Fact(
            household_id,
            row.month,
            row.label,
            int(row.amount_cents),
            before.category,
            before.category_parent,
            before.exclude,
            before.expense_type,
            tags=before.tags,
        )
        moved = replace(
            fact,
            category=after.category,
            category_parent=after.category_parent,
            exclude=after.exclude,
            expense_type=after.expense_type,
            tags=after.tags,
        )
        moves.append(transaction_moves.Move(int(row.id), fact, moved))
    transaction_moves.recategorise_rows(conn, household_id=household_id, moves=moves)
    return Applied(examined=len(rows), changed=len(moves))
