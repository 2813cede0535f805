"""The error answers in the API's schema: SPEC §9's envelope, as the API really answers.

FastAPI documents every 422 with its own `HTTPValidationError` (`{"detail": [...]}`) and
the other errors a route declares (404, 409, 429…) with no body at all, but foyer answers
every error — validation errors included (`foyer.api.errors`) — with one envelope:
`{"error": {"code", "message", "correlation_id", "details"?}}`. Clients generated from
/openapi.json would otherwise parse a shape that never comes. `add_error_answers` gives
every error answer of every operation that envelope, and drops FastAPI's two validation
schemas once nothing refers to them; tests/fuzz/test_schemathesis.py then checks every
answer against the schema (`response_schema_conformance`).
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from foyer.api.errors import CODES

REF = "#/components/schemas/{model}"
FASTAPI_VALIDATION = ("HTTPValidationError", "ValidationError")


class ErrorBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: str = Field(
        description="Machine-readable: " + ", ".join(sorted(set(CODES.values()))) + ", …",
        examples=["validation_error"],
    )
    message: str = Field(description="For people; names the field when one is at fault.")
    correlation_id: str | None = Field(
        description="The request's X-Correlation-ID, to quote when reporting a problem."
    )
    details: Any = Field(
        default=None, description="What went wrong in detail, when there is more to say."
    )


class ErrorEnvelope(BaseModel):
    """Every error answer of the API (SPEC §9)."""

    model_config = ConfigDict(extra="forbid")

    error: ErrorBody


def _schemas() -> dict[str, Any]:
    schema = ErrorEnvelope.model_json_schema(ref_template=REF)
    nested: dict[str, Any] = schema.pop("$defs", {})
    return {**nested, ErrorEnvelope.__name__: schema}


def add_error_answers(schema: dict[str, Any]) -> None:
    """Every 4xx/5xx answer of every operation in `schema`: the envelope, as JSON."""
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    components.update(_schemas())
    content = {"application/json": {"schema": {"$ref": REF.format(model=ErrorEnvelope.__name__)}}}
    for operations in schema.get("paths", {}).values():
        for operation in operations.values():
            for status, answer in operation.get("responses", {}).items():
                if status.isdigit() and int(status) >= 400:
                    answer["content"] = content
                    if answer.get("description") in (None, "", "Validation Error"):
                        answer["description"] = HTTPStatus(int(status)).phrase
    text = repr(schema["paths"])
    for name in FASTAPI_VALIDATION:
        if REF.format(model=name) not in text:
            components.pop(name, None)
