"""The rule form (SPEC §8 rules, as a web form): the fields as typed, checked exactly as
`POST /api/v1/rules` checks a body (the `RuleCreate` schema, then the API's conversion to a
domain rule, which raises on a bad regex, an empty match…), each problem in words; and a
stored rule told back in words for the list."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

# The API's conversion (money to cents, RuleError to its 422) is reused, not copied: both
# doors to the rules must accept and refuse the same rules.
from foyer.api.errors import ApiError
from foyer.api.routes.rules import _new_rule
from foyer.domain.categorisation import Rule
from foyer.money import to_money
from foyer.schemas.rules import RuleApply, RuleCreate
from foyer.services.rules import NewRule
from foyer.web.i18n import Words

#: Each field's words, for its label and for the problems found in it.
FIELDS = {
    "name": "rules.name",
    "priority": "rules.priority",
    "label_contains": "rules.label_contains",
    "label_regex": "rules.label_regex",
    "amount_min": "rules.amount_min",
    "amount_max": "rules.amount_max",
    "account": "rules.account",
    "category": "rules.category",
    "category_parent": "rules.category_parent",
    "expense_type": "rules.expense_type",
    "tags": "rules.tags",
    "exclude": "rules.exclude",
    "from": "rules.apply_from",
    "to": "rules.apply_to",
}
_MINUS = str.maketrans({"\u2212": "-", ",": ".", " ": None, "\u00a0": None, "\u202f": None})


def _amount(text: str) -> str:
    """A typed amount as the schema reads it: `-12,50`, `−12.50`, `1 234,5` all work."""
    return text.strip().translate(_MINUS)


def amount_text(w: Words, cents: int | None) -> str:
    if cents is None:
        return ""
    text = f"{Decimal(cents).scaleb(-2):.2f}"
    return text.replace(".", ",") if w.lang == "fr" else text


class RuleForm(BaseModel):
    """The rule form as posted: every field text, empty when not given."""

    model_config = ConfigDict(extra="ignore")

    name: str = ""
    priority: str = ""
    label_contains: str = ""
    label_regex: str = ""
    amount_min: str = ""
    amount_max: str = ""
    account: str = ""
    category: str = ""
    category_parent: str = ""
    expense_type: str = ""
    tags: str = ""
    exclude: str = ""  # "", "true" or "false": leave the row's flag, exclude, include

    def body(self) -> dict[str, Any]:
        """The form as the API's JSON body (fields left empty are not given)."""
        match: dict[str, Any] = {
            name: value
            for name in ("label_contains", "label_regex", "account")
            if (value := getattr(self, name)).strip()
        }
        for name in ("amount_min", "amount_max"):
            if getattr(self, name).strip():
                match[name] = _amount(getattr(self, name))
        actions: dict[str, Any] = {
            name: value
            for name in ("category", "category_parent", "expense_type")
            if (value := getattr(self, name)).strip()
        }
        tags = [tag.strip() for tag in self.tags.split(",") if tag.strip()]
        if tags:
            actions["tags"] = tags
        if self.exclude in ("true", "false"):
            actions["exclude"] = self.exclude == "true"
        body: dict[str, Any] = {"name": self.name, "match": match, "set": actions}
        if self.priority.strip():
            body["priority"] = self.priority.strip()
        return body

    @classmethod
    def of(cls, w: Words, rule: Rule) -> RuleForm:
        """A stored rule's form, to edit it."""
        match, actions = rule.match, rule.actions
        return cls(
            name=rule.name,
            priority=str(rule.priority),
            label_contains=match.label_contains or "",
            label_regex=match.label_regex or "",
            amount_min=amount_text(w, match.amount_min_cents),
            amount_max=amount_text(w, match.amount_max_cents),
            account=match.account or "",
            category=actions.category or "",
            category_parent=actions.category_parent or "",
            expense_type=actions.expense_type or "",
            tags=", ".join(actions.tags or ()),
            exclude="" if actions.exclude is None else str(actions.exclude).lower(),
        )


def problems(w: Words, error: ValidationError) -> list[str]:
    """The schema's complaints, each after the words of the field it is about."""
    found = []
    for item in error.errors():
        named = [part for part in item["loc"] if isinstance(part, str) and part in FIELDS]
        where = w.t(FIELDS[named[-1]]) if named else ""
        message = item["msg"].removeprefix("Value error, ")
        found.append(w.t("rules.problem", field=where, message=message) if where else message)
    return found


def to_rule(w: Words, form: RuleForm) -> NewRule | list[str]:
    """The rule the form describes, or what is wrong with it."""
    try:
        body = RuleCreate.model_validate(form.body())
    except ValidationError as exc:
        return problems(w, exc)
    try:
        return _new_rule(body)
    except ApiError as exc:
        return [exc.message]


def to_range(w: Words, start: str, end: str) -> tuple[str, str] | list[str]:
    """The months rules/apply takes, checked as the API checks them."""
    try:
        span = RuleApply.model_validate({"from": start.strip(), "to": end.strip()})
    except ValidationError as exc:
        return problems(w, exc)
    return span.from_, span.to


def conditions(w: Words, rule: Rule) -> list[str]:
    """What a rule matches, in words."""
    match = rule.match
    shown = []
    if match.label_contains is not None:
        shown.append(w.t("rules.show_contains", text=match.label_contains))
    if match.label_regex is not None:
        shown.append(w.t("rules.show_regex", pattern=match.label_regex))
    if match.amount_min_cents is not None:
        shown.append(w.t("rules.show_min", amount=w.money(to_money(match.amount_min_cents))))
    if match.amount_max_cents is not None:
        shown.append(w.t("rules.show_max", amount=w.money(to_money(match.amount_max_cents))))
    if match.account is not None:
        shown.append(w.t("rules.show_account", account=match.account))
    return shown


def settings(w: Words, rule: Rule) -> list[str]:
    """What a rule sets, in words."""
    actions = rule.actions
    shown = []
    if actions.category is not None:
        shown.append(w.t("rules.show_category", category=actions.category))
    if actions.category_parent is not None:
        shown.append(w.t("rules.show_parent", parent=actions.category_parent))
    if actions.expense_type is not None:
        shown.append(w.t("rules.show_type", type=w.t(f"type.{actions.expense_type}")))
    if actions.tags:
        shown.append(w.t("rules.show_tags", tags=", ".join(actions.tags)))
    if actions.exclude is not None:
        shown.append(w.t("rules.show_excluded" if actions.exclude else "rules.show_included"))
    return shown
