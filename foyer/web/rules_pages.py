"""The rules, in the Imports room (SPEC §11 "review rules"): the household's rules in the
order they apply, add / edit / delete, their application to months as a job (its progress
as imports_jobs shows it), and the rules the household's own recategorisations suggest.

Routes under /imports/rules (imports_pages includes this router). The same services and
checks as /api/v1/rules (rules_forms); another household's rule is a 404.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from starlette.responses import Response

from foyer.api.deps import State
from foyer.api.routes.rules import SUGGESTED_PRIORITY
from foyer.domain.vocabulary import EXPENSE_TYPES
from foyer.jobs import QueueUnavailableError
from foyer.months import add_months, this_month
from foyer.read import rules as read_rules
from foyer.read.jobs import get_job
from foyer.services import rules
from foyer.web import imports_jobs
from foyer.web.i18n import Words
from foyer.web.imports_shared import from_htmx, not_found, notice, page, problem, see_other
from foyer.web.pages import Lang_
from foyer.web.rules_forms import RuleForm, conditions, settings, to_range, to_rule
from foyer.web.session import Csrf, WebClaims

router = APIRouter(prefix="/rules", include_in_schema=False)  # under /imports (imports_pages)
NOTICES = {
    "created": "rules.done_created",
    "updated": "rules.done_updated",
    "deleted": "rules.done_deleted",
}
#: The apply form's months by default: the last year.
APPLY_MONTHS = 12


@dataclass(frozen=True, slots=True)
class RuleRow:
    id: int
    name: str
    priority: int
    conditions: list[str]
    settings: list[str]


@dataclass(frozen=True, slots=True)
class Suggested:
    """A suggestion, with the rule form's fields that create it."""

    label: str
    category: str
    category_parent: str
    count: int
    fields: dict[str, str]


def _suggested(found: read_rules.Suggestion) -> Suggested:
    # The rule `GET /api/v1/rules/suggestions` proposes, field for field.
    return Suggested(
        found.label,
        found.category,
        found.category_parent,
        found.count,
        {
            "name": f"{found.label[:60]} → {found.category}",
            "priority": str(SUGGESTED_PRIORITY),
            "label_contains": found.label[:200],
            "category": found.category,
            "category_parent": found.category_parent,
        },
    )


def _rules_page(
    request: Request,
    state: State,
    household_id: int,
    w: Words,
    *,
    status: int = 200,
    form: RuleForm | None = None,
    errors: list[str] | None = None,
    span: tuple[str, str] | None = None,
    apply_errors: list[str] | None = None,
    done: str | None = None,
) -> Response:
    with state.database.read() as conn:
        stored = read_rules.list_rules(conn, household_id=household_id)
        existing = [s.rule for s in stored]
        found = read_rules.suggestions(conn, household_id=household_id, rules=existing)
    end = this_month()
    start, end = span or (add_months(end, 1 - APPLY_MONTHS), end)
    return page(
        request,
        w,
        "rules.html",
        status=status,
        rules=[
            RuleRow(r.id, r.name, r.priority, conditions(w, r), settings(w, r)) for r in existing
        ],
        form=form or RuleForm(),
        errors=errors or [],
        types=EXPENSE_TYPES,
        suggestions=[_suggested(s) for s in found],
        apply_from=start,
        apply_to=end,
        apply_errors=apply_errors or [],
        notice=notice(w, done, NOTICES),
        tab="rules",
    )


def _edit_page(
    request: Request,
    w: Words,
    rule_id: int,
    form: RuleForm,
    *,
    status: int = 200,
    errors: list[str] | None = None,
) -> Response:
    context: dict[str, Any] = {"rule_id": rule_id, "form": form, "errors": errors or []}
    return page(
        request, w, "rules_edit.html", status=status, types=EXPENSE_TYPES, tab="rules", **context
    )


@router.get("")
def rules_page(
    request: Request, state: State, claims: WebClaims, w: Lang_, done: str | None = None
) -> Response:
    return _rules_page(request, state, claims.household_id, w, done=done)


@router.post("", dependencies=[Csrf])
def create_rule(
    request: Request,
    state: State,
    claims: WebClaims,
    w: Lang_,
    form: Annotated[RuleForm, Form()],
) -> Response:
    """Add a rule (the form, or a suggestion's "Create this rule")."""
    item = to_rule(w, form)
    if isinstance(item, list):
        return _rules_page(
            request, state, claims.household_id, w, status=422, form=form, errors=item
        )
    with state.database.unit_of_work() as conn:
        rules.create_rule(conn, household_id=claims.household_id, item=item)
    # The form posts to …#rule-new (a refused rule shows the form, not the page's top); a
    # redirect without a fragment would keep that one, and scroll past the notice.
    return see_other("/imports/rules?done=created#main")


@router.post("/apply", dependencies=[Csrf])
def apply_rules(
    request: Request,
    state: State,
    claims: WebClaims,
    w: Lang_,
    start: Annotated[str, Form(alias="from")] = "",
    end: Annotated[str, Form(alias="to")] = "",
) -> Response:
    """Re-apply the rules to the rows of months `from`..`to`, as a job: its progress (in
    the page's job region for htmx, else its page)."""
    household = claims.household_id
    span = to_range(w, start, end)
    if isinstance(span, list):
        if from_htmx(request):
            return problem(request, w, 422, " ".join(span))
        return _rules_page(
            request, state, household, w, status=422, span=(start, end), apply_errors=span
        )
    try:
        job_id = state.jobs.enqueue(
            "apply_rules", household_id=household, payload={"from": span[0], "to": span[1]}
        )
    except QueueUnavailableError:
        return problem(request, w, 503, w.t("imports.error_queue"))
    if not from_htmx(request):
        return see_other(f"/imports/jobs/{job_id}?month={span[1]}")
    with state.database.read() as conn:
        job = get_job(conn, household_id=household, job_id=job_id)
    if job is None:  # housekeeping took it already: unlikely, but say so rather than fail
        return not_found(request, w)
    return imports_jobs.fragment(request, w, job, span[1])


@router.get("/{rule_id:int}")
def edit_page(
    request: Request, state: State, claims: WebClaims, w: Lang_, rule_id: int
) -> Response:
    with state.database.read() as conn:
        stored = read_rules.get_rule(conn, household_id=claims.household_id, rule_id=rule_id)
    if stored is None:
        return not_found(request, w)
    return _edit_page(request, w, rule_id, RuleForm.of(w, stored.rule))


@router.post("/{rule_id:int}", dependencies=[Csrf])
def replace_rule(
    request: Request,
    state: State,
    claims: WebClaims,
    w: Lang_,
    rule_id: int,
    form: Annotated[RuleForm, Form()],
) -> Response:
    item = to_rule(w, form)
    if isinstance(item, list):
        with state.database.read() as conn:
            found = read_rules.get_rule(conn, household_id=claims.household_id, rule_id=rule_id)
        if found is None:
            return not_found(request, w)
        return _edit_page(request, w, rule_id, form, status=422, errors=item)
    with state.database.unit_of_work() as conn:
        stored = rules.replace_rule(
            conn, household_id=claims.household_id, rule_id=rule_id, item=item
        )
    if stored is None:
        return not_found(request, w)
    return see_other("/imports/rules?done=updated")


@router.post("/{rule_id:int}/delete", dependencies=[Csrf])
def delete_rule(
    request: Request, state: State, claims: WebClaims, w: Lang_, rule_id: int
) -> Response:
    with state.database.unit_of_work() as conn:
        found = rules.delete_rule(conn, household_id=claims.household_id, rule_id=rule_id)
    if not found:
        return not_found(request, w)
    return see_other("/imports/rules?done=deleted")
