"""/rules (SPEC §8): the household's categorisation rules (CRUD), their re-application to
existing rows as a job, and the rules its own recategorisations suggest."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response

from foyer.api.deps import Claims, State
from foyer.api.errors import ApiError, not_found
from foyer.api.params import RowId
from foyer.domain.categorisation import Actions, Match, RuleError
from foyer.jobs import QueueUnavailableError
from foyer.money import to_cents, to_money
from foyer.read import rules as read_rules
from foyer.schemas.common import Items
from foyer.schemas.jobs import JobStarted
from foyer.schemas.rules import RuleApply, RuleCreate, RuleRead, RuleSuggestion
from foyer.services import rules

router = APIRouter(prefix="/rules", tags=["rules"])
WHAT = "rule"
#: The priority a suggested rule comes with: after the household's hand-made ones.
SUGGESTED_PRIORITY = 1000


def _new_rule(body: RuleCreate) -> rules.NewRule:
    match, actions = body.match, body.set
    try:
        return rules.NewRule(
            name=body.name,
            priority=body.priority,
            match=Match(
                label_contains=match.label_contains,
                label_regex=match.label_regex,
                amount_min_cents=None if match.amount_min is None else to_cents(match.amount_min),
                amount_max_cents=None if match.amount_max is None else to_cents(match.amount_max),
                account=match.account,
            ),
            actions=Actions(
                category=actions.category,
                category_parent=actions.category_parent,
                expense_type=actions.expense_type,
                tags=None if actions.tags is None else tuple(actions.tags),
                exclude=actions.exclude,
            ),
        )
    except RuleError as exc:
        raise ApiError(422, str(exc)) from exc


def _match_read(match: Match) -> dict[str, Any]:
    wire = {
        "label_contains": match.label_contains,
        "label_regex": match.label_regex,
        "amount_min": None if match.amount_min_cents is None else to_money(match.amount_min_cents),
        "amount_max": None if match.amount_max_cents is None else to_money(match.amount_max_cents),
        "account": match.account,
    }
    return {key: value for key, value in wire.items() if value is not None}


def _set_read(actions: Actions) -> dict[str, Any]:
    wire = {
        "category": actions.category,
        "category_parent": actions.category_parent,
        "expense_type": actions.expense_type,
        "tags": None if actions.tags is None else list(actions.tags),
        "exclude": actions.exclude,
    }
    return {key: value for key, value in wire.items() if value is not None}


def _read(stored: read_rules.StoredRule) -> RuleRead:
    rule = stored.rule
    return RuleRead(
        id=rule.id,
        name=rule.name,
        priority=rule.priority,
        match=_match_read(rule.match),
        set=_set_read(rule.actions),
        created_at=stored.created_at,
        updated_at=stored.updated_at,
    )


@router.get("", response_model=Items[RuleRead])
def list_rules(state: State, claims: Claims) -> Items[RuleRead]:
    """The household's rules in the order they apply (priority, then creation)."""
    with state.database.read() as conn:
        stored = read_rules.list_rules(conn, household_id=claims.household_id)
    return Items[RuleRead](items=[_read(s) for s in stored])


@router.post("", response_model=RuleRead, status_code=201, responses={422: {}})
def create_rule(state: State, claims: Claims, body: RuleCreate) -> RuleRead:
    item = _new_rule(body)
    with state.database.unit_of_work() as conn:
        stored = rules.create_rule(conn, household_id=claims.household_id, item=item)
    return _read(stored)


@router.get("/suggestions", response_model=Items[RuleSuggestion])
def list_suggestions(state: State, claims: Claims) -> Items[RuleSuggestion]:
    """Rules proposed from the household's own recategorisations: a label moved to the same
    category several times, which no rule gives that category yet."""
    with state.database.read() as conn:
        existing = [s.rule for s in read_rules.list_rules(conn, household_id=claims.household_id)]
        found = read_rules.suggestions(conn, household_id=claims.household_id, rules=existing)
    return Items[RuleSuggestion](
        items=[
            RuleSuggestion(
                name=f"{s.label[:60]} → {s.category}",
                priority=SUGGESTED_PRIORITY,
                match={"label_contains": s.label[:200]},
                set={"category": s.category, "category_parent": s.category_parent},
                count=s.count,
            )
            for s in found
        ]
    )


@router.post("/apply", response_model=JobStarted, status_code=202, responses={503: {}})
def apply_rules(state: State, claims: Claims, body: RuleApply) -> JobStarted:
    """Re-apply the rules to the rows of months `from`..`to`, as a job."""
    try:
        job_id = state.jobs.enqueue(
            "apply_rules",
            household_id=claims.household_id,
            payload={"from": body.from_, "to": body.to},
        )
    except QueueUnavailableError as exc:
        raise ApiError(503, "job queue unavailable") from exc
    return JobStarted(job_id=job_id)


@router.get("/{rule_id}", response_model=RuleRead, responses={404: {}})
def get_rule(state: State, claims: Claims, rule_id: RowId) -> RuleRead:
    with state.database.read() as conn:
        stored = read_rules.get_rule(conn, household_id=claims.household_id, rule_id=rule_id)
    if stored is None:
        raise not_found(WHAT)
    return _read(stored)


@router.put("/{rule_id}", response_model=RuleRead, responses={404: {}, 422: {}})
def replace_rule(state: State, claims: Claims, rule_id: RowId, body: RuleCreate) -> RuleRead:
    item = _new_rule(body)
    with state.database.unit_of_work() as conn:
        stored = rules.replace_rule(
            conn, household_id=claims.household_id, rule_id=rule_id, item=item
        )
    if stored is None:
        raise not_found(WHAT)
    return _read(stored)


@router.delete("/{rule_id}", status_code=204, responses={404: {}})
def delete_rule(state: State, claims: Claims, rule_id: RowId) -> Response:
    with state.database.unit_of_work() as conn:
        found = rules.delete_rule(conn, household_id=claims.household_id, rule_id=rule_id)
    if not found:
        raise not_found(WHAT)
    return Response(status_code=204)
