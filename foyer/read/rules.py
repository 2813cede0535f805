"""The household's rules as stored, and the rules its own recategorisations suggest.

Rules are stored as the JSON of their `match` and `set` (columns `conditions`, `actions`);
`rule_from_row` turns a row back into `foyer.domain.categorisation.Rule`, and the JSON
writers live here too so the two directions sit side by side.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, func, select

from foyer.db.engine import as_utc
from foyer.db.schema import recategorisation, rule
from foyer.domain.categorisation import Actions, Match, Rule, label_matches

#: A label recategorised the same way this many times is worth a rule.
SUGGEST_AFTER = 2
#: At most this many suggestions, the most repeated first.
MAX_SUGGESTIONS = 50


@dataclass(frozen=True, slots=True)
class StoredRule:
    rule: Rule
    created_at: dt.datetime
    updated_at: dt.datetime


def match_json(match: Match) -> str:
    return json.dumps({k: v for k, v in dataclasses.asdict(match).items() if v is not None})


def actions_json(actions: Actions) -> str:
    data = {k: v for k, v in dataclasses.asdict(actions).items() if v is not None}
    if "tags" in data:
        data["tags"] = list(data["tags"])
    return json.dumps(data)


def rule_from_row(row: Any) -> StoredRule:
    actions: dict[str, Any] = json.loads(row.actions)
    if "tags" in actions:
        actions["tags"] = tuple(actions["tags"])
    return StoredRule(
        rule=Rule(
            id=int(row.id),
            name=row.name,
            priority=int(row.priority),
            match=Match(**json.loads(row.conditions)),
            actions=Actions(**actions),
        ),
        created_at=as_utc(row.created_at),
        updated_at=as_utc(row.updated_at),
    )


def list_rules(conn: Connection, *, household_id: int) -> list[StoredRule]:
    """Every rule of the household in the order they apply (ix household_id, priority, id)."""
    query = (
        select(rule).where(rule.c.household_id == household_id).order_by(rule.c.priority, rule.c.id)
    )
    return [rule_from_row(row) for row in conn.execute(query)]


def get_rule(conn: Connection, *, household_id: int, rule_id: int) -> StoredRule | None:
    row = conn.execute(
        select(rule).where(rule.c.household_id == household_id, rule.c.id == rule_id)
    ).one_or_none()
    return None if row is None else rule_from_row(row)


@dataclass(frozen=True, slots=True)
class Suggestion:
    """A rule the household's recategorisations propose: `label` (as last seen) moved to
    `category`/`category_parent` `count` times."""

    label: str
    category: str
    category_parent: str
    count: int


def suggestions(conn: Connection, *, household_id: int, rules: list[Rule]) -> list[Suggestion]:
    """Labels recategorised the same way at least SUGGEST_AFTER times, one suggestion per
    label (its most repeated move; ties to the latest), leaving out those a rule already
    gives that category. One grouped query over the household's log (ix household_id,
    label_key)."""
    query = (
        select(
            recategorisation.c.label_key,
            recategorisation.c.category,
            recategorisation.c.category_parent,
            func.count().label("times"),
            func.max(recategorisation.c.label).label("label"),
            func.max(recategorisation.c.id).label("latest"),
        )
        .where(recategorisation.c.household_id == household_id)
        .group_by(
            recategorisation.c.label_key,
            recategorisation.c.category,
            recategorisation.c.category_parent,
        )
    )
    best: dict[str, tuple[int, int, Suggestion]] = {}
    for row in conn.execute(query):
        count, latest = int(row.times), int(row.latest)
        seen = best.get(row.label_key)
        if seen is None or (count, latest) > seen[:2]:
            suggestion = Suggestion(row.label, row.category, row.category_parent, count)
            best[row.label_key] = (count, latest, suggestion)
    found = [
        suggestion
        for count, _latest, suggestion in best.values()
        if count >= SUGGEST_AFTER and not _covered(suggestion, rules)
    ]
    found.sort(key=lambda s: (-s.count, s.label))
    return found[:MAX_SUGGESTIONS]


def _covered(suggestion: Suggestion, rules: list[Rule]) -> bool:
    """A rule whose label conditions match the label already sets this category."""
    return any(
        r.actions.category == suggestion.category and label_matches(r.match, suggestion.label)
        for r in rules
    )
