"""Inputs bounded (SPEC §7, §9; issue 14 "Inputs"): request bodies, the per-household
write quota, the security headers, and the API documentation switch.

Bodies: 1 MiB by default; only the bulk insert and the bank file uploads take more, and
only from a caller whose token verifies. A streamed body (no Content-Length) over its
limit is a 413 too, on JSON and form routes alike, not the 400 FastAPI's body parsing
made of it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from foyer.api.headers import with_security_headers
from foyer.settings import Settings
from tests.factories import Api, household_api, make_transaction
from tests.helpers import JSON, assert_envelope
from tests.web.pages import CSRF, Browser, signed_in

MiB = 1024 * 1024
SECURITY = {
    "x-content-type-options": "nosniff",
    "referrer-policy": "same-origin",
    "content-security-policy": "frame-ancestors 'none'",
    "x-frame-options": "DENY",
}


@pytest.fixture
def small(fresh_app: Callable[..., FastAPI], engine: Engine) -> Iterator[Api]:
    """A signed-in household on an app with small limits: 1 KiB bodies, 16 KiB bulks,
    2 KiB bank files, 25 rows written per hour."""
    app = fresh_app(
        max_body_bytes=1024, bulk_max_bytes=16 * 1024, import_max_bytes=2048, write_quota="25/hour"
    )
    with TestClient(app, raise_server_exceptions=False) as client:
        yield household_api(client, engine, email="sam@example.com", household="Small")


def chunks(body: bytes, size: int = 256) -> Iterator[bytes]:
    """`body` streamed: the client sends no Content-Length, only chunks."""
    for start in range(0, len(body), size):
        yield body[start : start + size]


def streamed(api: Api, path: str, body: bytes, content_type: str, **headers: str) -> Any:
    return api.client.post(
        path, content=chunks(body), headers={"Content-Type": content_type, **headers}
    )


def statement(rows: int) -> bytes:
    lines = "".join(f"0{d % 9 + 1}/05/2024;ACHAT {d};-1,{d % 90 + 10}\n" for d in range(rows))
    return f"Date;Libellé;Montant\n{lines}".encode()


# -- bodies -------------------------------------------------------------------------------------


def test_the_default_body_limit_is_one_mebibyte(api: Api) -> None:
    assert Settings(_env_file=None).max_body_bytes == MiB
    response = api.post_raw("/transactions", b" " * (MiB + 1))
    assert_envelope(response, 413, "payload_too_large")


def test_a_streamed_json_body_over_the_limit_is_413(small: Api) -> None:
    body = b'{"label": "' + b"x" * 4096 + b'"}'
    for headers in ({}, small.headers):  # before authentication and after
        response = streamed(small, "/api/v1/transactions", body, "application/json", **headers)
        error = assert_envelope(response, 413, "payload_too_large")
        assert "1024 bytes" in error["message"]


def test_a_streamed_form_body_over_the_limit_is_413(small: Api) -> None:
    body = b"grant_type=password&username=" + b"a" * 4096 + b"&password=x"
    response = streamed(small, "/api/v1/auth/token", body, "application/x-www-form-urlencoded")
    assert_envelope(response, 413, "payload_too_large")


def test_a_streamed_body_within_the_limit_is_read(small: Api) -> None:
    body = b'{"date": "2025-06-12", "label": "CB MARCHE", "amount": -12.5, "category": "courses"}'
    response = streamed(small, "/api/v1/transactions", body, "application/json", **small.headers)
    assert response.status_code == 201, response.text


def test_the_bulk_insert_takes_more_only_from_a_signed_in_caller(small: Api) -> None:
    items = {"items": [make_transaction(label=f"CB ACHAT {i}") for i in range(20)]}
    assert 1024 < len(str(items)) < 16 * 1024
    path = "/api/v1/transactions/bulk"

    anonymous = small.client.post(path, json=items)
    forged = small.client.post(path, json=items, headers={"Authorization": "Bearer not.a.token"})
    signed = small.post("/transactions/bulk", items)

    assert_envelope(anonymous, 413, "payload_too_large")  # not read, so never a 401
    assert_envelope(forged, 413, "payload_too_large")
    assert signed.status_code == 201, signed.text
    assert signed.json()["created"] == 20


def test_the_bulk_limit_holds_for_streamed_bodies(small: Api) -> None:
    body = b'{"items": [' + b" " * (16 * 1024) + b"]}"
    response = streamed(
        small, "/api/v1/transactions/bulk", body, "application/json", **small.headers
    )
    error = assert_envelope(response, 413, "payload_too_large")
    assert str(16 * 1024) in error["message"]


def test_uploads_take_more_only_from_a_signed_in_caller(small: Api, engine: Engine) -> None:
    content = statement(40)  # ~1.2 KiB: over the general limit, within the import limit
    files = {"file": ("releve.csv", content, "text/csv")}

    anonymous = small.client.post("/api/v1/imports", files=files)
    signed = small.upload(content)
    browser = signed_in(small.client, engine, email="web@example.com", household="Web")
    web_anonymous = Browser(small.client)._send(
        "POST", "/imports", {}, files=files, data={"csrf_token": CSRF}
    )
    web_signed = browser._send("POST", "/imports", {}, files=files, data={"csrf_token": CSRF})

    assert_envelope(anonymous, 413, "payload_too_large")
    assert signed.status_code == 201, signed.text
    assert_envelope(web_anonymous, 413, "payload_too_large")
    assert web_signed.status_code == 303, web_signed.text


# -- the write quota ----------------------------------------------------------------------------


def assert_quota_refused(response: Any) -> JSON:
    error = assert_envelope(response, 429, "write_quota_exceeded")
    assert int(response.headers["Retry-After"]) >= 1
    assert error["details"]["retry_after"] == int(response.headers["Retry-After"])
    return error


def test_rows_past_the_quota_are_refused_and_count_nothing(small: Api) -> None:
    bulk = small.post("/transactions/bulk", {"items": [make_transaction()] * 20})
    assert bulk.status_code == 201, bulk.text

    refused = small.post("/transactions/bulk", {"items": [make_transaction()] * 10})
    error = assert_quota_refused(refused)
    assert error["details"]["rows"] == 10
    # The refused bulk took nothing: 5 single writes still fit, the 6th does not.
    first = bulk.json()["ids"][0]
    assert small.patch(f"/transactions/{first}", {"label": "RENAMED"}).status_code == 200
    assert small.delete(f"/transactions/{first}").status_code == 204
    for _ in range(3):
        assert small.post("/transactions", make_transaction()).status_code == 201
    assert_quota_refused(small.post("/transactions", make_transaction()))
    assert len(small.ok("/transactions", limit=100)["items"]) == 22


def test_the_quota_is_per_household(small: Api, engine: Engine) -> None:
    assert small.post("/transactions/bulk", {"items": [make_transaction()] * 25}).status_code == 201
    assert_quota_refused(small.post("/transactions", make_transaction()))
    other = household_api(small.client, engine, email="lee@example.com", household="Other")
    assert other.post("/transactions", make_transaction()).status_code == 201


def test_splits_count_their_parts(small: Api) -> None:
    one, two = small.create_transactions(*[make_transaction(amount=-30)] * 2)
    assert small.post("/transactions/bulk", {"items": [make_transaction()] * 18}).status_code == 201
    part = {"amount": -10, "category": "courses", "category_parent": "alimentation"}
    parts = {"parts": [{**part, "expense_type": "VARIABLE", "exclude": False}] * 3}
    assert small.post(f"/transactions/{one}/split", parts).status_code == 201  # 23
    assert_quota_refused(small.post(f"/transactions/{two}/split", parts))  # 26 > 25


def test_an_import_commit_counts_its_new_rows(small: Api) -> None:
    assert small.post("/transactions/bulk", {"items": [make_transaction()] * 10}).status_code == 201
    preview = small.upload(statement(20))  # 10 + 20 new rows > 25
    assert preview.status_code == 201, preview.text
    assert_quota_refused(small.post(f"/imports/{preview.json()['id']}/commit", None))
    assert len(small.ok("/transactions", limit=100)["items"]) == 10

    fits = small.upload(statement(15))
    started = small.post(f"/imports/{fits.json()['id']}/commit", None)
    assert started.status_code == 202, started.text
    assert len(small.ok("/transactions", limit=100)["items"]) == 25


def test_the_web_import_commit_counts_its_new_rows(small: Api, engine: Engine) -> None:
    browser = signed_in(small.client, engine, email="web@example.com", household="Web")
    bulk = small.client.post(  # 10 rows written by the same household through the API
        "/api/v1/transactions/bulk",
        json={"items": [make_transaction()] * 10},
        headers={"Authorization": f"Bearer {browser.cookies['foyer_session']}"},
    )
    assert bulk.status_code == 201, bulk.text
    files = {"file": ("releve.csv", statement(20), "text/csv")}
    uploaded = browser._send("POST", "/imports", {}, files=files, data={"csrf_token": CSRF})
    assert uploaded.status_code == 303, uploaded.text
    refused = browser.post(f"{uploaded.headers['location']}/commit", {"month": ""})
    assert refused.status_code == 429
    assert int(refused.headers["Retry-After"]) >= 1
    assert "try again in" in refused.text


def test_an_import_larger_than_the_quota_needs_all_of_it(
    fresh_app: Callable[..., FastAPI], engine: Engine
) -> None:
    app = fresh_app(write_quota="10/hour")
    with TestClient(app, raise_server_exceptions=False) as client:
        api = household_api(client, engine, email="big@example.com", household="Big")
        preview = api.upload(statement(30))
        started = api.post(f"/imports/{preview.json()['id']}/commit", None)
        assert started.status_code == 202, started.text  # never fitting would be a lie
        assert_quota_refused(api.post("/transactions", make_transaction()))


def test_no_quota_when_off(fresh_app: Callable[..., FastAPI], engine: Engine) -> None:
    app = fresh_app(write_quota="0")
    with TestClient(app, raise_server_exceptions=False) as client:
        api = household_api(client, engine, email="free@example.com", household="Free")
        assert not app.state.foyer.write_quota.enabled
        for _ in range(3):
            assert (
                api.post("/transactions/bulk", {"items": [make_transaction()] * 100}).status_code
                == 201
            )


# -- headers ------------------------------------------------------------------------------------


def assert_security_headers(response: Any) -> None:
    for name, value in SECURITY.items():
        assert response.headers.get_list(name) == [value], (name, response.headers)


def test_every_answer_carries_the_security_headers(api: Api, client: TestClient) -> None:
    api.create_transactions(make_transaction())
    first = api.get("/dashboard/summary", month="2025-06")
    hit = api.get("/dashboard/summary", month="2025-06")  # an L1 hit: the fast path's answer
    not_modified = api.get(
        "/dashboard/summary", month="2025-06", headers={"If-None-Match": first.headers["ETag"]}
    )
    assert api.count("summary", "l1", "hit") >= 1
    assert (first.status_code, hit.status_code, not_modified.status_code) == (200, 200, 304)
    for response in (
        first,
        hit,
        not_modified,
        client.get("/api/v1/transactions"),  # 401
        client.get("/nowhere"),  # 404
        api.post_raw("/transactions", b" " * (MiB + 1)),  # 413, before any route
        client.get("/login"),  # a web page
        client.get("/health"),
    ):
        assert_security_headers(response)


def test_a_policy_the_app_set_gets_frame_ancestors_once() -> None:
    csp = b"content-security-policy"
    merged = dict(with_security_headers([(csp, b"default-src 'self'")]))
    assert merged[csp] == b"default-src 'self'; frame-ancestors 'none'"
    kept = with_security_headers([(csp, b"frame-ancestors 'self'"), (b"referrer-policy", b"x")])
    assert [v for n, v in kept if n == csp] == [b"frame-ancestors 'self'"]
    assert [v for n, v in kept if n == b"referrer-policy"] == [b"x"]


@pytest.mark.parametrize("path", ["/docs", "/redoc", "/openapi.json"])
def test_the_api_docs_can_be_turned_off(
    fresh_app: Callable[..., FastAPI], client: TestClient, path: str
) -> None:
    assert client.get(path).status_code == 200  # on by default
    with TestClient(fresh_app(api_docs="off"), raise_server_exceptions=False) as off:
        assert_envelope(off.get(path), 404, "not_found")
