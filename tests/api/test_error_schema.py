"""/openapi.json documents the errors the API really answers: SPEC §9's envelope.

(The fuzz test checks every generated answer against the schema; this holds the schema
itself to it, and one real answer of each kind FastAPI used to document otherwise.)
"""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from foyer.api.error_schema import ErrorEnvelope
from tests.factories import Api, make_fixed_line, make_provision, make_transaction

ENVELOPE = {"$ref": "#/components/schemas/ErrorEnvelope"}


def test_every_error_answer_of_every_operation_is_the_envelope(client: TestClient) -> None:
    schema: dict[str, Any] = client.get("/openapi.json").json()
    errors = [
        (path, method, status, answer)
        for path, operations in schema["paths"].items()
        for method, operation in operations.items()
        for status, answer in operation["responses"].items()
        if int(status) >= 400
    ]
    assert len(errors) > 50  # the checker can fail: every 422 FastAPI adds, 404s, 429s…
    for path, method, status, answer in errors:
        assert answer["content"]["application/json"]["schema"] == ENVELOPE, (path, method, status)
        assert answer["description"] != "Validation Error", (path, method, status)
    assert "HTTPValidationError" not in schema["components"]["schemas"]
    assert "ValidationError" not in schema["components"]["schemas"]
    body = schema["components"]["schemas"]["ErrorBody"]
    assert set(body["required"]) == {"code", "message", "correlation_id"}


def test_a_validation_error_and_a_not_found_match_the_documented_envelope(api: Api) -> None:
    invalid = api.post("/transactions", {"date": "not a date"})
    assert invalid.status_code == 422
    missing = api.get("/transactions/999999")
    assert missing.status_code == 404
    for answer in (invalid, missing):
        envelope = ErrorEnvelope.model_validate(answer.json())
        assert envelope.error.correlation_id == answer.headers["X-Correlation-ID"]


PATCHES = {
    "TransactionUpdate": "/transactions/{id}",
    "FixedLineUpdate": "/fixed-lines/{id}",
    "ProvisionUpdate": "/provisions/{id}",
}


def test_patch_schemas_offer_null_only_where_it_clears_a_field(client: TestClient) -> None:
    schemas: dict[str, Any] = client.get("/openapi.json").json()["components"]["schemas"]
    nullable = {
        name: sorted(
            field
            for field, spec in schemas[name]["properties"].items()
            if {"type": "null"} in spec.get("anyOf", [])
        )
        for name in PATCHES
    }
    assert nullable == {
        "TransactionUpdate": [],
        "FixedLineUpdate": ["custom_share1"],
        "ProvisionUpdate": ["custom_share1", "end_month", "start_month", "target_amount"],
    }


def test_an_explicit_null_where_the_schema_offers_none_is_a_422(
    client: TestClient, api: Api
) -> None:
    schemas: dict[str, Any] = client.get("/openapi.json").json()["components"]["schemas"]
    (transaction_id,) = api.create_transactions(make_transaction())
    ids = {
        "TransactionUpdate": transaction_id,
        "FixedLineUpdate": api.create("/fixed-lines", make_fixed_line()),
        "ProvisionUpdate": api.create("/provisions", make_provision()),
    }
    for name, path in PATCHES.items():
        for field, spec in schemas[name]["properties"].items():
            if {"type": "null"} in spec.get("anyOf", []):
                continue
            answer = api.patch(path.format(id=ids[name]), {field: None})
            assert answer.status_code == 422, (name, field, answer.text)
            assert ErrorEnvelope.model_validate(answer.json()).error.code == "validation_error"
