"""OpenAPI links: which request follows which answer (create → read → update → delete).

An OpenAPI link says that a value of one operation's answer (the new fixed line's `id`)
is a parameter of another operation (`GET /fixed-lines/{line_id}`). Clients and tools
read them: tests/fuzz/ drives schemathesis's stateful testing along them. They are
declared here, once, by method and path, and added to the schema FastAPI generates,
so route decorators carry none and no generated operationId is written by hand.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI

from foyer.api.error_schema import add_error_answers

PREFIX = "/api/v1"
Operation = tuple[str, str]  # (method, path under /api/v1)


@dataclass(frozen=True, slots=True)
class Link:
    source: Operation
    status: str  # the answer's status
    target: Operation
    parameters: tuple[tuple[str, str], ...]  # (target's parameter, runtime expression)


def _item(
    source: Operation, status: str, item: str, param: str, value: str, methods: str
) -> Iterator[Link]:
    for method in methods.split():
        yield Link(source, status, (method, item), ((param, value),))


def _resource(collection: str, param: str, methods: str) -> Iterator[Link]:
    """POST `collection` → each of `methods` on its item; an update → the item again; a
    delete → a read of it (which must answer 404)."""
    item = f"{collection}/{{{param}}}"
    again = f"$request.path.{param}"
    yield from _item(("post", collection), "201", item, param, "$response.body#/id", methods)
    for update in ("put", "patch"):
        if update in methods.split():
            yield from _item((update, item), "200", item, param, again, "get delete")
    yield from _item(("delete", item), "204", item, param, again, "get")


def _job(source: Operation) -> Link:
    return Link(source, "202", ("get", "/jobs/{job_id}"), (("job_id", "$response.body#/job_id"),))


TRANSACTION = "/transactions/{transaction_id}"
LINKS: tuple[Link, ...] = (
    *_resource("/fixed-lines", "line_id", "get put patch delete"),
    *_resource("/provisions", "provision_id", "get put patch delete"),
    *_resource("/rules", "rule_id", "get put delete"),
    *_resource("/budgets", "budget_id", "get put delete"),
    *_resource("/transactions", "transaction_id", "get patch delete"),
    *_item(
        ("post", "/transactions/bulk"),
        "201",
        TRANSACTION,
        "transaction_id",
        "$response.body#/ids/0",
        "get patch delete",
    ),
    Link(
        ("post", "/transactions"),
        "201",
        ("post", f"{TRANSACTION}/split"),
        (("transaction_id", "$response.body#/id"),),
    ),
    Link(
        ("post", f"{TRANSACTION}/split"),
        "201",
        ("delete", f"{TRANSACTION}/split"),
        (("transaction_id", "$request.path.transaction_id"),),
    ),
    *_item(
        ("post", "/imports"),
        "201",
        "/imports/{import_id}",
        "import_id",
        "$response.body#/id",
        "patch delete",
    ),
    Link(
        ("post", "/imports"),
        "201",
        ("post", "/imports/{import_id}/commit"),
        (("import_id", "$response.body#/id"),),
    ),
    _job(("post", "/imports/{import_id}/commit")),
    _job(("post", "/rules/apply")),
    _job(("post", "/jobs/rebuild-aggregates")),
    Link(
        ("put", "/balances/{month}"),
        "200",
        ("get", "/balances/{month}"),
        (("month", "$request.path.month"),),
    ),
)


def _operation(schema: dict[str, Any], operation: Operation) -> dict[str, Any]:
    method, path = operation
    try:
        found: dict[str, Any] = schema["paths"][PREFIX + path][method]
    except KeyError:
        raise LookupError(
            f"a link names {method.upper()} {PREFIX}{path}, which no route serves"
        ) from None
    return found


def add_links(schema: dict[str, Any], links: tuple[Link, ...] = LINKS) -> None:
    """Add `links` to the answers of their source operations in an OpenAPI `schema`."""
    for link in links:
        answer = _operation(schema, link.source)["responses"][link.status]
        target_id = _operation(schema, link.target)["operationId"]
        answer.setdefault("links", {})[target_id] = {
            "operationId": target_id,
            "parameters": dict(link.parameters),
        }


def install_links(app: FastAPI) -> None:
    """Make `app.openapi()` (and /openapi.json) carry the links and the error answers as
    the API gives them (`foyer.api.error_schema`), computed once."""
    generate: Callable[[], dict[str, Any]] = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = generate()  # FastAPI keeps what it generated in app.openapi_schema
            add_links(schema)
            add_error_answers(schema)
        return app.openapi_schema  # type: ignore[return-value]

    app.openapi = openapi  # type: ignore[method-assign]
