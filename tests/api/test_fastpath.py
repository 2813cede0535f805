"""The hot-GET fast path answers exactly what the routes answer, or leaves it to them.

Differential: the same requests go to an app with `CachedHitsMiddleware` and to one
without it, both on one database; after both have the entry cached, every answer must
match in status, body and headers (the per-request Server-Timing aside). Separate tests
pin which requests the fast path takes and which it passes on.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import quote, urlencode

import jwt
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from foyer.api.fastpath import CachedHitsMiddleware
from foyer.auth.security import TOKEN_ALGORITHM, InvalidTokenError, TokenReader, issue_token
from foyer.cache.views import VIEWS
from tests.factories import Api, make_fixed_line, make_transaction
from tests.helpers import view_request

PER_REQUEST = {"server-timing"}
# Error bodies quote the correlation id: the same one for both apps.
CORRELATION_ID = "0f4c2b8a9d6e4f1a8b3c5d7e9f1a2b3c"


@pytest.fixture
def slow_client(fresh_app: Callable[..., FastAPI]) -> Iterator[TestClient]:
    """The same app without the fast path, on the same database."""
    app = fresh_app(fast_hits="off")
    assert not any(m.cls is CachedHitsMiddleware for m in app.user_middleware)
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client


@pytest.fixture
def answered(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The paths the fast path answered itself, in order."""
    seen: list[str] = []
    original = CachedHitsMiddleware._answer

    async def spy(self: CachedHitsMiddleware, scope: Any) -> Any:
        response = await original(self, scope)
        if response is not None:
            seen.append(scope["path"])
        return response

    monkeypatch.setattr(CachedHitsMiddleware, "_answer", spy)
    return seen


@pytest.fixture
def household(api: Api) -> Api:
    """Transactions in June and May, a fixed line; nothing cached yet (the app starts empty,
    and no write of 2025, a year long gone, warms anything)."""
    api.create_transactions(
        make_transaction(date="2025-06-03", category="courses", category_parent="alimentation"),
        make_transaction(date="2025-06-09", category="resto", category_parent="sorties"),
        make_transaction(date="2025-05-20", category="courses", category_parent="alimentation"),
        *(
            make_transaction(date=f"2025-06-1{i}", category="courses", amount=-i - 1)
            for i in range(3)
        ),
        *(make_transaction(date="2025-06-11", category=f"c{i}", label=f"L{i}") for i in range(30)),
    )
    assert api.post("/fixed-lines", make_fixed_line()).status_code == 201
    return api


def _comparable(response: Any) -> tuple[int, bytes, list[tuple[str, str]]]:
    headers = sorted(
        (k.lower(), v) for k, v in response.headers.multi_items() if k.lower() not in PER_REQUEST
    )
    return response.status_code, response.content, headers


#: Every declared view (foyer.cache.views.VIEWS), plus a page of another category.
HOT_REQUESTS = [
    *(view_request(view) for view in VIEWS),
    view_request(next(v for v in VIEWS if v.name == "drill_down_page"), category="c1", limit=1),
]


MONTHS = ["2025-06", "2025-05", "2025-6", "2025-13", "", "２０２５-06", "2025-06\n", "1999-01"]
PARAMS = st.lists(
    st.tuples(
        st.sampled_from(
            ["month", "from", "to", "level", "expense_types", "limit", "sort", "cursor", "x"]
        ),
        st.one_of(
            st.sampled_from(MONTHS),
            st.sampled_from(["summary", "details", "transactions", "VARIABLE", "FIXED,VARIABLE"]),
            st.sampled_from(["nope", "10", "VARIABLE,", "2015-01", "amount_desc", "01", "501"]),
        ),
    ),
    max_size=4,
)
PATHS = st.sampled_from(
    [
        *dict.fromkeys(view_request(view)[0] for view in VIEWS),  # every declared path
        "/dashboard/drill-down/" + quote("cat égorie&x"),
        "/dashboard/drill-down/",
    ]
)


def _typical() -> st.SearchStrategy[list[tuple[str, str]]]:
    # Valid queries are rare among random ones: draw them on purpose too.
    month = st.sampled_from(["2025-06", "2025-05"])
    return st.one_of(
        month.map(lambda m: [("month", m)]),
        st.tuples(month, st.sampled_from(["summary", "details"])).map(
            lambda t: [("month", t[0]), ("level", t[1])]
        ),
        st.tuples(st.sampled_from(["2024-07", "2025-05", "2025-07"]), month).map(
            lambda t: [("from", t[0]), ("to", t[1])]
        ),
        st.tuples(
            month,
            st.sampled_from(["date_desc", "amount_asc", "bad"]),
            st.sampled_from(["1", "2", "50", "0", "+2"]),
        ).map(
            lambda t: [("month", t[0]), ("level", "transactions"), ("sort", t[1]), ("limit", t[2])]
        ),
    )


@settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    path=PATHS,
    query=st.one_of(PARAMS, _typical()),
    auth=st.sampled_from(["ok", "lower", "none", "garbage", "scheme-only"]),
    # Outside GZipMiddleware, the fast path answers as if inside it: "gzip" anywhere in
    # the header makes Starlette's middleware compress, foyer's reading may still refuse.
    accept=st.sampled_from(["identity", "gzip", "br;q=1, gzip;q=0", "*", "GZIP", "x-gzip"]),
    revalidate=st.booleans(),
)
def test_fast_path_answers_exactly_as_the_route(
    household: Api,
    slow_client: TestClient,
    path: str,
    query: list[tuple[str, str]],
    auth: str,
    accept: str,
    revalidate: bool,
) -> None:
    token = household.headers["Authorization"].removeprefix("Bearer ")
    headers = {"Accept-Encoding": accept, "X-Correlation-ID": CORRELATION_ID}
    if auth != "none":
        headers["Authorization"] = {
            "ok": f"Bearer {token}",
            "lower": f"bearer {token}",
            "garbage": "Bearer not-a-token",
            "scheme-only": "Bearer",
        }[auth]
    url = f"/api/v1{path}?{urlencode(query)}"
    fast_client = household.client
    if not getattr(slow_client, "warmed", False):
        # Every hot view cached already: a request answered with another view's entry
        # (a wrong key) shows up as a difference.
        for client in (fast_client, slow_client):
            for hot_path, params in HOT_REQUESTS:
                client.get(f"/api/v1{hot_path}", params=params, headers=household.headers)
        slow_client.warmed = True  # type: ignore[attr-defined]
    for client in (fast_client, slow_client):  # both apps fill their own L1
        client.get(url, headers=headers)
    slow = slow_client.get(url, headers=headers)
    fast = fast_client.get(url, headers=headers)
    assert _comparable(fast) == _comparable(slow)
    if revalidate and "etag" in slow.headers:
        headers["If-None-Match"] = slow.headers["etag"]
        again = (fast_client.get(url, headers=headers), slow_client.get(url, headers=headers))
        assert _comparable(again[0]) == _comparable(again[1])


ACCEPTS = ["identity", "gzip", "gzip;q=0", "br;q=1, gzip;q=0", "x-gzip", "GZIP", "*", ""]


def test_every_hot_view_in_every_encoding_is_answered_exactly_as_the_route(
    household: Api, slow_client: TestClient, answered: list[str]
) -> None:
    # The fast path answers outside GZipMiddleware: each Accept-Encoding (Starlette's
    # middleware compresses when "gzip" appears anywhere, foyer's reading may refuse it)
    # on each view, small bodies and large (hierarchy, with its 30 categories), alike.
    sizes = set()
    for path, params in HOT_REQUESTS:
        for accept in ACCEPTS:
            url = f"/api/v1{path}?{urlencode(params)}"
            headers = {**household.headers, "Accept-Encoding": accept}
            headers["X-Correlation-ID"] = CORRELATION_ID
            for client in (household.client, slow_client):
                client.get(url, headers=headers)  # cached in both apps
            fast = household.client.get(url, headers=headers)
            slow = slow_client.get(url, headers=headers)
            assert _comparable(fast) == _comparable(slow), (url, accept)
            sizes.add(len(slow.content) >= 1024)
    assert sizes == {True, False}  # both sides of the gzip minimum were compared
    assert answered  # and the fast path did answer


@pytest.mark.parametrize(("path", "params"), HOT_REQUESTS)
def test_every_read_of_every_hot_view_is_answered_before_routing(
    household: Api, app: FastAPI, answered: list[str], path: str, params: dict[str, str]
) -> None:
    view = path_view(path, params)
    first = household.get(path, **params)
    assert first.status_code == 200
    assert answered == [f"/api/v1{path}"]  # a miss, computed without FastAPI's routing
    assert household.count(view, "l1", "miss") == 1
    second = household.get(path, **params)
    assert len(answered) == 2
    assert household.count(view, "l1", "hit") == 1
    assert second.content == first.content
    assert second.headers["ETag"] == first.headers["ETag"]
    not_modified = household.get(path, headers={"If-None-Match": "*"}, **params)
    assert not_modified.status_code == 304
    assert len(answered) == 3


def path_view(path: str, params: dict[str, str]) -> str:
    """The name of the view a hot request reads (its metrics label)."""
    views = [v for v in VIEWS if path == v.path.replace("{category}", path.rsplit("/", 1)[-1])]
    level = params.get("level")
    return next(v.name for v in views if level is None or v.level == level)


PASSED_ON = [
    ("/dashboard/summary", "month=2025-06&month=2025-05"),  # repeated
    ("/dashboard/summary", "month=2025-06&extra=1"),  # not the route's parameters
    ("/dashboard/summary", "month=2025-6"),  # the route's 422
    ("/dashboard/drill-down/courses", "month=2025-06&level=transactions&limit=0"),
    ("/dashboard/drill-down/courses", "month=2025-06&level=transactions&limit=+5"),
    ("/dashboard/drill-down/courses", "month=2025-06&level=transactions&sort=nope"),
    ("/dashboard/drill-down/courses", "month=2025-06&level=transactions&cursor=forged"),
    ("/dashboard/drill-down/courses", "month=2025-06&limit=5"),  # not a page
    ("/dashboard/trends", "from=2025-07&to=2025-06"),
    ("/analytics/categories", "month=2025-06&expense_types=nope"),
]


@pytest.mark.parametrize(("path", "query"), PASSED_ON)
def test_requests_it_cannot_answer_exactly_go_to_the_route(
    household: Api, answered: list[str], path: str, query: str
) -> None:
    for _ in range(2):
        household.client.get(f"/api/v1{path}?{query}", headers=household.headers)
    assert answered == []


def test_a_get_with_a_body_over_the_limit_gets_the_413_of_the_body_limit(
    household: Api, app: FastAPI, answered: list[str]
) -> None:
    url = "/api/v1/dashboard/summary?month=2025-06"
    household.get("/dashboard/summary", month="2025-06")  # cached now
    limit = app.state.foyer.settings.max_body_bytes
    small = household.client.request("GET", url, headers=household.headers, content=b"{}")
    assert (small.status_code, answered) == (200, ["/api/v1/dashboard/summary"] * 2)
    large = household.client.request(
        "GET", url, headers=household.headers, content=b"x" * (limit + 1)
    )
    assert large.status_code == 413
    assert len(answered) == 2  # the body limit answered it, as for any route


def test_an_anonymous_or_a_head_request_goes_to_the_route(
    household: Api, answered: list[str]
) -> None:
    household.client.head("/api/v1/dashboard/summary?month=2025-06", headers=household.headers)
    anonymous = household.client.get("/api/v1/dashboard/summary?month=2025-06")
    assert anonymous.status_code == 401
    assert answered == []
    household.get("/dashboard/summary", month="2025-06")  # the checker can fail
    assert answered == ["/api/v1/dashboard/summary"]


def test_a_write_makes_the_next_fast_answer_fresh(
    household: Api, app: FastAPI, answered: list[str]
) -> None:
    before = household.ok("/dashboard/summary", month="2025-06")  # a miss, remembered
    household.ok("/dashboard/summary", month="2025-06")
    assert len(answered) == 2
    household.create_transactions(make_transaction(date="2025-06-14", amount=-999))
    app.state.foyer.warmer.wait()  # it re-warmed the summary under the new version
    after = household.ok("/dashboard/summary", month="2025-06")
    assert len(answered) == 3
    assert after["actuals"]["transactions"] == before["actuals"]["transactions"] + 1


def test_a_cursor_page_is_answered_exactly_as_the_route(
    household: Api, slow_client: TestClient, answered: list[str]
) -> None:
    base = "/api/v1/dashboard/drill-down/courses?month=2025-06&level=transactions&limit=1"
    headers = {**household.headers, "X-Correlation-ID": CORRELATION_ID}
    first = household.client.get(base, headers=headers).json()
    url = f"{base}&cursor={first['next_cursor']}"
    fast = [household.client.get(url, headers=headers) for _ in range(2)]
    slow = [slow_client.get(url, headers=headers) for _ in range(2)]
    assert answered == ["/api/v1/dashboard/drill-down/courses"] * 3  # misses and the hit
    assert _comparable(fast[1]) == _comparable(slow[1]) == _comparable(fast[0])
    assert fast[1].json()["items"][0]["id"] != first["items"][0]["id"]


def test_hits_and_304s_never_wait_for_the_main_pool(
    api: Api, app: FastAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = api.get("/dashboard/summary", month="2025-06")  # a miss: the main pool
    state = app.state.foyer

    def exhausted(*_args: Any, **_kwargs: Any) -> Any:
        raise AssertionError("the event loop waited for the main pool")

    # As if every pooled connection were busy on the threadpool: a checkout would block.
    monkeypatch.setattr(state.database.engine, "connect", exhausted)
    again = api.get("/dashboard/summary", month="2025-06")
    assert (again.status_code, again.content) == (200, first.content)
    revalidated = api.get(
        "/dashboard/summary", month="2025-06", headers={"If-None-Match": first.headers["ETag"]}
    )
    assert revalidated.status_code == 304


def test_token_reader_remembers_only_valid_tokens_until_they_expire(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    reader = TokenReader("k" * 32)
    token = issue_token("k" * 32, user_id=3, household_id=7, ttl_minutes=1)
    assert reader.read(token).household_id == 7
    expires = jwt.decode(token, options={"verify_signature": False})["exp"]
    monkeypatch.setattr("foyer.auth.security.time.time", lambda: expires + 0.5)
    with pytest.raises(InvalidTokenError):
        reader.read(token)  # remembered, but expired: checked again, refused
    forged = jwt.encode(
        {"sub": "3", "hh": 8, "exp": dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)},
        "other-key-of-the-same-length-000",
        algorithm=TOKEN_ALGORITHM,
    )
    for _ in range(2):
        with pytest.raises(InvalidTokenError):
            reader.read(forged)


def test_the_default_app_has_the_fast_path(session_app: FastAPI) -> None:
    assert any(m.cls is CachedHitsMiddleware for m in session_app.user_middleware)
