"""Fuzzing: schemathesis against foyer's own OpenAPI, signed in as a household (SPEC §9).

Every operation of /openapi.json gets generated requests, valid ones (positive) and invalid
ones (negative), deterministic (derandomized) and at least 2,000 in all; and the stateful
test walks the OpenAPI links (foyer.api.links) create → read → update → delete. Every
answer must hold: no server error (5xx), every error in the SPEC §9 envelope, and every
answer carries its X-Correlation-ID.

Why not schemathesis's pytest plugin (`schemathesis.pytest.from_fixture` + `parametrize`):
with pytest 9.2 its lazy schema fails before running a case (it sets `request.node._nodeid`,
which pytest no longer has). The documented Hypothesis route (`APIOperation.as_strategy`
with `@given`) runs the same generation, lets one test count the cases and report every
failing operation at once.
"""

from __future__ import annotations

import collections
import copy
import re
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.generation.stateful.state_machine import StepInput, StepOutput
from schemathesis.python.asgi import shutdown_lifespans
from schemathesis.specs.openapi.checks import (
    ensure_resource_availability,
    response_schema_conformance,
    use_after_free,
)
from sqlalchemy import Engine

from foyer.auth.security import issue_token
from foyer.auth.service import User
from foyer.db.schema import instance_secret, metadata
from foyer.months import parse_month
from foyer.schemas.common import MONTH_PATTERN
from tests.factories import make_user

# The fuzz runs on SQLite only: the same routes on PostgreSQL are the API tests' business,
# and a second run would double the suite's longest test.
on_sqlite = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)

EXAMPLES = 25  # per operation and generation mode: ~2,600 cases, about a minute here
MINIMUM_CASES = 2_000
STATEFUL_SCENARIOS = 30  # per resource; a scenario is up to 6 linked requests
# Generation is deterministic (derandomize), so a failure reproduces on every run; no
# shrinking (it would replay a failing case hundreds of times: the first one is reported);
# no health checks, which flag slow or heavily filtered generation, both normal here.
FUZZ = settings(
    max_examples=EXAMPLES,
    derandomize=True,
    database=None,
    deadline=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)
ENVELOPE_KEYS = {"code", "message", "correlation_id", "details"}


def error_envelope(_ctx: Any, response: schemathesis.Response, _case: schemathesis.Case) -> None:
    """SPEC §9: every answer carries X-Correlation-ID; every error is `{"error": {"code",
    "message", "correlation_id", "details"?}}`, the id the header's."""
    correlation = response.headers.get("x-correlation-id")
    assert correlation, "no X-Correlation-ID header"
    if response.status_code < 400:
        return
    body = response.json()
    assert isinstance(body, dict), f"not the envelope: {body!r}"
    assert set(body) == {"error"}, f"not the envelope: {body!r}"
    error = body["error"]
    assert isinstance(error, dict), f"not the envelope: {error!r}"
    assert set(error) <= ENVELOPE_KEYS, f"not the envelope: {error!r}"
    for key in ("code", "message"):
        assert isinstance(error.get(key), str), f"no {key}: {error!r}"
        assert error[key], f"empty {key}: {error!r}"
    assert [error.get("correlation_id")] == correlation, "correlation id differs from the header"


CHECKS = [not_a_server_error, error_envelope, response_schema_conformance]


@dataclass
class Fuzzed:
    """The app under test, its schema, and the household the requests are signed for."""

    app: FastAPI
    engine: Engine
    schema: Any = None
    user: User | None = None
    cases: collections.Counter[str] = field(default_factory=collections.Counter)

    def new_household(self) -> None:
        """Empty the database and sign up the household again: every stateful scenario
        starts from the same state, or Hypothesis sees the same choices lead elsewhere (a
        create that answered 201 now answers 409) and stops (FlakyStrategyDefinition)."""
        state = self.app.state.foyer
        state.warmer.wait()  # no warm-up of the last scenario writes meanwhile
        with self.engine.begin() as conn:
            for table in reversed(metadata.sorted_tables):
                if table is not instance_secret:
                    conn.execute(table.delete())
        state.cache.clear_l1()
        self.user = make_user(self.engine, email="fuzz@example.com", household="Fuzz")

    def sign(self) -> dict[str, str]:
        """A new token per request: a generated POST /auth/logout revokes only the token it
        carried, and must not sign out the rest of the run."""
        assert self.user is not None
        token = issue_token(
            self.app.state.foyer.secret,
            user_id=self.user.id,
            household_id=self.user.household_id,
            ttl_minutes=60,
        )
        return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def fuzzed(fresh_app: Callable[..., FastAPI], engine: Engine) -> Iterator[Fuzzed]:
    target = Fuzzed(fresh_app(), engine)
    target.new_household()
    target.schema = schemathesis.openapi.from_asgi("/openapi.json", target.app)
    yield target
    # schemathesis started the app's lifespan and keeps it for the process: end it here.
    shutdown_lifespans()


def _fuzz(fuzzed: Fuzzed, operation: Any, mode: GenerationMode) -> None:
    @given(case=operation.as_strategy(generation_mode=mode))
    @FUZZ
    def run(case: schemathesis.Case) -> None:
        fuzzed.cases[operation.label] += 1
        response = case.call(headers=fuzzed.sign())
        case.validate_response(response, checks=CHECKS)

    run()


@on_sqlite
def test_every_operation_answers_generated_requests_without_a_server_error(
    fuzzed: Fuzzed,
) -> None:
    failures: list[str] = []
    operations = [result.ok() for result in fuzzed.schema.get_all_operations()]
    for operation in operations:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            try:
                _fuzz(fuzzed, operation, mode)
            except Unsatisfiable:
                # An operation without parameters or body has no invalid request to make.
                assert mode is GenerationMode.NEGATIVE, operation.label
            except Exception as exc:  # every failing operation is reported, not the first
                report = "".join(traceback.format_exception_only(exc)).strip()
                failures.append(f"{operation.label} ({mode.value}): {report}")
    assert not failures, "\n\n".join(failures)
    assert {operation.label for operation in operations} == set(fuzzed.cases)
    assert sum(fuzzed.cases.values()) >= MINIMUM_CASES, fuzzed.cases


@on_sqlite
def test_the_envelope_check_can_fail(fuzzed: Fuzzed) -> None:
    operation = fuzzed.schema["/health"]["GET"]
    case = operation.Case()
    response = case.call()
    response.status_code = 404  # a "not found" in some other shape than the envelope
    with pytest.raises(AssertionError, match="not the envelope"):
        error_envelope(None, response, case)


def test_the_documented_month_pattern_is_what_parse_month_accepts() -> None:
    pattern = re.compile(MONTH_PATTERN)
    for year in range(0, 10_000):
        for month in range(0, 14):
            text = f"{year:04d}-{month:02d}"
            try:
                parse_month(text)
                accepted = True
            except ValueError:
                accepted = False
            assert bool(pattern.match(text)) == accepted, text


#: Each resource's item path, and its update methods: from a POST that created it, the
#: links (foyer.api.links) must reach a read (200), an update (200), a delete (204) and
#: a read after the delete (404).
CRUD = {
    "/api/v1/fixed-lines/{line_id}": ("PUT", "PATCH"),
    "/api/v1/provisions/{provision_id}": ("PUT", "PATCH"),
    "/api/v1/rules/{rule_id}": ("PUT",),
    "/api/v1/budgets/{budget_id}": ("PUT",),
    "/api/v1/transactions/{transaction_id}": ("PATCH",),
}


def linked_schema(fuzzed: Fuzzed, item: str) -> Any:
    """The operations on `item`'s resource: its collection, its items (and a transaction's
    split), as schemathesis's stateful testing is to walk them."""
    raw = copy.deepcopy(fuzzed.app.openapi())
    # schemathesis's dependency analysis takes TransactionCreate's `import_id` (free text:
    # where a row came from) for a foreign key to a resource no operation creates, and then
    # never starts a scenario with POST /transactions. Without the field, it does.
    del raw["components"]["schemas"]["TransactionCreate"]["properties"]["import_id"]
    schema = schemathesis.openapi.from_dict(raw)
    schema.app = fuzzed.app
    # The links followed are the ones foyer declares, not links schemathesis guesses (it
    # guessed POST /transactions → DELETE /transactions/{id}/split, a merge of a row never
    # split, and called its 404 a created resource gone missing).
    schema.config.phases.stateful.inference.algorithms.clear()
    collection = re.escape(item.rsplit("/", 1)[0])
    return schema.include(path_regex=rf"^{collection}(/\{{[a-z_]+\}}(/split)?)?$")


@on_sqlite
@pytest.mark.parametrize("item", CRUD, ids=lambda item: item.split("/")[3])
def test_stateful_links_create_read_update_delete(fuzzed: Fuzzed, item: str) -> None:
    followed: collections.Counter[tuple[str, str, int]] = collections.Counter()
    base = linked_schema(fuzzed, item).as_state_machine()

    class Household(base):  # type: ignore[misc, valid-type]
        def setup(self) -> None:
            fuzzed.new_household()

        def get_call_kwargs(self, case: schemathesis.Case) -> dict[str, Any]:
            return {"headers": fuzzed.sign()}

        def step(self, input: StepInput) -> StepOutput:
            output: StepOutput = super().step(input)
            if input.transition is not None and input.is_applied:
                case = output.case
                followed[(case.method, case.path, output.response.status_code)] += 1
            return output

        def validate_response(
            self, response: Any, case: schemathesis.Case, *_args: Any, **kwargs: Any
        ) -> None:
            # A created resource is there until deleted, and gone after (404), besides the
            # checks every answer gets.
            stateful = [use_after_free, ensure_resource_availability]
            case.validate_response(
                response,
                checks=[*CHECKS, *stateful],
                transport_kwargs=kwargs or None,
                recorder=self.recorder,
            )

    Household.run(settings=settings(FUZZ, max_examples=STATEFUL_SCENARIOS, stateful_step_count=6))
    reached = {(method, status) for method, at, status in followed if at == item}
    assert {("GET", 200), ("DELETE", 204), ("GET", 404)} <= reached, sorted(followed.items())
    assert any((method, 200) in reached for method in CRUD[item]), sorted(followed.items())
