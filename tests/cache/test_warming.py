"""The response cache: keys, freshness across processes, ETag/304/gzip, single-flight, Redis.

Freshness is the law: after any committed write, every process's next read of a view
that depends on it equals a fresh computation. Redis failing never changes an answer.
"""

from __future__ import annotations

import dataclasses
import random
import shutil
import subprocess
import threading
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import Engine

from foyer.app import create_app
from foyer.bench.server import free_port
from foyer.cache import views as view_catalogue
from foyer.cache.breaker import CircuitBreaker
from foyer.cache.keys import cache_key
from foyer.cache.store import TieredCache, redis_client
from foyer.months import this_month
from foyer.settings import Settings
from tests.conftest import REQUIRE_SERVICES, service_unavailable
from tests.factories import Api, household_api, make_fixed_line, make_transaction

MONTHS = ("2025-05", "2025-06")

# --- keys -------------------------------------------------------------------------------

texts = st.text(max_size=12)
key_parts = st.tuples(
    st.sampled_from(["summary", "slim_summary", "hierarchy", "trends", "drill_down_summary"]),
    st.integers(1, 5),
    st.dictionaries(st.sampled_from(["month", "from", "to", "category"]), texts, max_size=3),
    st.dictionaries(st.sampled_from(["budget", "rows", "2025-06", "2025-05"]), st.integers(0, 3)),
)


@given(a=key_parts, b=key_parts)
def test_keys_collide_only_for_identical_requests(a: Any, b: Any) -> None:
    ka, kb = cache_key(*a), cache_key(*b)
    assert (ka == kb) == (a == b)
    assert (ka.etag == kb.etag) == (a == b)


def test_parameter_values_cannot_impersonate_other_parameters() -> None:
    # Naive "k=v&k=v" joining would make these two equal.
    one = cache_key("drill_down_summary", 1, {"category": "a&month=2025-06"}, {})
    two = cache_key("drill_down_summary", 1, {"category": "a", "month": "2025-06"}, {})
    assert one != two


# --- two processes sharing one database ---------------------------------------------------


@pytest.fixture
def second_client(migrated: tuple[Settings, Engine], engine: Engine) -> Iterator[TestClient]:
    """Another app on the same database: its own L1, as another worker process has."""
    settings, eng = migrated
    with TestClient(create_app(settings, engine=eng), raise_server_exceptions=False) as client:
        yield client


def _views(api: Api) -> dict[str, Any]:
    out = {}
    for month in MONTHS:
        out[f"summary {month}"] = api.ok("/dashboard/summary", month=month)
        out[f"hierarchy {month}"] = api.ok("/transactions/hierarchy", month=month)
        out[f"slim {month}"] = api.ok("/dashboard/summary/slim", month=month)
        out[f"drill {month}"] = api.ok("/dashboard/drill-down/courses", month=month)
        out[f"details {month}"] = api.ok(
            "/dashboard/drill-down/courses", month=month, level="details"
        )
        out[f"analytics {month}"] = api.ok("/analytics/categories", month=month)
        out[f"page {month}"] = api.ok(
            "/dashboard/drill-down/courses", month=month, level="transactions", limit=3
        )
        out[f"provisions {month}"] = api.ok("/provisions/calculate", month=month)
    out["trends"] = api.ok("/dashboard/trends", **{"from": "2025-01", "to": "2025-12"})
    return out


def test_a_write_through_one_process_is_read_fresh_through_another(
    client: TestClient, second_client: TestClient, engine: Engine
) -> None:
    writer = household_api(client, engine, email="w@example.com", household="Shared")
    reader = Api(second_client, writer.headers, writer.household_id)
    rng = random.Random(5)
    ids: list[int] = []
    for step in range(60):
        _views(reader)  # fill the reader's cache with the current state
        kind = rng.choice(["insert", "insert", "patch", "patch", "delete", "config", "fixed"])
        if kind == "insert" or not ids:
            ids += writer.create_transactions(
                make_transaction(
                    date=f"{rng.choice(MONTHS)}-{rng.randint(1, 28):02d}",
                    amount=-rng.randint(1, 9000) / 100,
                    category=rng.choice(["courses", "loisirs"]),
                )
            )
        elif kind == "patch":
            # Each field alone too: a retag must change the details' key, not the summary's.
            body = rng.choice(
                [
                    {"exclude": rng.random() < 0.5, "category": rng.choice(["courses", "x"])},
                    {"tags": rng.choice([[], ["a"], ["a", "b"]])},
                    {"label": rng.choice(["CB SHOP", "CB OTHER"])},
                    {"expense_type": rng.choice(["VARIABLE", "FIXED", "PROVISION"])},
                ]
            )
            assert writer.patch(f"/transactions/{rng.choice(ids)}", body).status_code == 200
        elif kind == "delete":
            assert writer.delete(f"/transactions/{ids.pop()}").status_code == 204
        elif kind == "config":
            assert writer.put("/config", {"income1": rng.randint(1000, 5000)}).status_code == 200
        else:
            assert writer.post("/fixed-lines", make_fixed_line(amount=step + 1)).status_code == 201
        # The other process answers from its cache where it can: never stale.
        seen = _views(reader)
        second_client.app.state.foyer.cache.clear_l1()  # type: ignore[attr-defined]
        assert _views(reader) == seen, f"stale read after step {step} ({kind})"


# --- HTTP: ETag, 304, gzip ------------------------------------------------------------------


def test_etag_changes_exactly_when_the_views_data_does(api: Api) -> None:
    api.create_transactions(make_transaction(date="2025-06-03"))

    def etag() -> str:
        response = api.get("/dashboard/summary", month="2025-06")
        assert response.headers["Cache-Control"] == "private, no-cache"
        return str(response.headers["ETag"])

    first = etag()
    assert first.startswith('"')
    assert etag() == first
    api.create_transactions(make_transaction(date="2025-05-20"))  # another month
    assert etag() == first
    api.create_transactions(make_transaction(date="2025-06-21"))  # this month
    second = etag()
    assert second != first
    assert api.put("/config", {"income2": 1234}).status_code == 200  # the key changes
    assert etag() not in (first, second)


def test_if_none_match_gets_304_without_a_body(api: Api) -> None:
    api.create_transactions(make_transaction())
    response = api.get("/transactions/hierarchy", month="2025-06")
    again = api.client.get(
        "/api/v1/transactions/hierarchy",
        params={"month": "2025-06"},
        headers={**api.headers, "If-None-Match": f'W/{response.headers["ETag"]}, "other"'},
    )
    assert again.status_code == 304
    assert again.content == b""
    assert again.headers["ETag"] == response.headers["ETag"]


def test_large_bodies_come_gzipped_with_their_own_etag(api: Api) -> None:
    api.create_transactions(
        *(make_transaction(category=f"cat{i}", category_parent=f"p{i % 4}") for i in range(40))
    )
    plain = api.client.get(
        "/api/v1/transactions/hierarchy",
        params={"month": "2025-06"},
        headers={**api.headers, "Accept-Encoding": "identity"},
    )
    zipped = api.client.get(
        "/api/v1/transactions/hierarchy",
        params={"month": "2025-06"},
        headers={**api.headers, "Accept-Encoding": "gzip"},
    )
    assert len(plain.content) > 1024
    assert "Content-Encoding" not in plain.headers
    assert zipped.headers["Content-Encoding"] == "gzip"
    assert zipped.headers["Vary"] == "Accept-Encoding"
    assert zipped.headers["ETag"] != plain.headers["ETag"]  # a strong ETag per encoding
    assert zipped.json() == plain.json()  # the client decoded it


def test_every_answer_says_vary_accept_encoding_exactly_once(api: Api) -> None:
    api.create_transactions(
        *(make_transaction(category=f"cat{i}", category_parent=f"p{i % 4}") for i in range(40))
    )
    answers = []
    for path, encoding in (
        ("/api/v1/transactions/hierarchy", "identity"),  # large, uncompressed
        ("/api/v1/transactions/hierarchy", "gzip"),  # large, compressed
        ("/api/v1/dashboard/drill-down/none", "gzip"),  # small
    ):
        response = api.client.get(
            path, params={"month": "2025-06"}, headers={**api.headers, "Accept-Encoding": encoding}
        )
        answers.append(response)
        revalidated = api.client.get(
            path,
            params={"month": "2025-06"},
            headers={
                **api.headers,
                "Accept-Encoding": encoding,
                "If-None-Match": response.headers["ETag"],
            },
        )
        assert revalidated.status_code == 304
        answers.append(revalidated)
    for response in answers:
        assert response.headers.get_list("vary") == ["Accept-Encoding"], response.headers


def test_small_bodies_are_not_compressed(api: Api) -> None:
    response = api.client.get(
        "/api/v1/dashboard/drill-down/none",
        params={"month": "2025-06"},
        headers={**api.headers, "Accept-Encoding": "gzip"},
    )
    assert response.status_code == 200
    assert "Content-Encoding" not in response.headers


# --- the store ---------------------------------------------------------------------------


def test_concurrent_misses_compute_once() -> None:
    cache = TieredCache()
    calls = 0
    lock = threading.Lock()
    start = threading.Barrier(16)

    def compute() -> bytes:
        nonlocal calls
        with lock:
            calls += 1
        time.sleep(0.05)
        return b'{"n": 1}'

    def ask() -> None:
        start.wait()
        assert cache.get_or_compute("summary", "k", compute).body == b'{"n": 1}'

    threads = [threading.Thread(target=ask) for _ in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert calls == 1


def test_cache_off_computes_every_time() -> None:
    cache = TieredCache(enabled=False)
    bodies = iter([b"1", b"2"])
    assert cache.get_or_compute("v", "k", lambda: next(bodies)).body == b"1"
    assert cache.get_or_compute("v", "k", lambda: next(bodies)).body == b"2"


def test_breaker_opens_after_failures_and_lets_one_trial_through() -> None:
    now = [0.0]
    breaker = CircuitBreaker(threshold=2, cooldown=5, clock=lambda: now[0])
    breaker.failure()
    assert breaker.allow()
    breaker.failure()
    assert breaker.state == "open"
    assert not breaker.allow()
    now[0] = 5.0
    assert breaker.state == "half-open"
    assert breaker.allow()  # the trial
    assert not breaker.allow()  # only one at a time
    breaker.success()
    assert breaker.state == "closed"
    assert breaker.allow()


def test_a_dead_redis_costs_a_few_timeouts_then_is_skipped() -> None:
    dead = redis_client(f"redis://127.0.0.1:{free_port()}/0", timeout=0.05)
    cache = TieredCache(redis=dead, breaker=CircuitBreaker(threshold=3, cooldown=60))
    count = cache.metrics.count
    errors, fallbacks = count("t-dead", "l2", "error"), count("t-dead", "l2", "fallback")
    started = time.perf_counter()
    for i in range(20):
        assert cache.get_or_compute("t-dead", f"k{i}", lambda: b"{}").body == b"{}"
    assert time.perf_counter() - started < 2
    assert count("t-dead", "l2", "error") - errors == 3  # then the breaker opened
    # A miss asks Redis twice (get, then set): 40 attempts, 3 errors, the rest skipped.
    assert count("t-dead", "l2", "fallback") - fallbacks == 2 * 20 - 3


# --- Redis as L2 ---------------------------------------------------------------------------


@pytest.fixture
def shared_redis() -> Iterator[Any]:
    client = redis_client("redis://127.0.0.1:6379/0", timeout=0.5)
    try:
        client.ping()
    except Exception as exc:
        service_unavailable(f"Redis unreachable at 127.0.0.1:6379: {exc}")
    yield client
    client.close()


@pytest.mark.redis
def test_l2_serves_another_process(shared_redis: Any) -> None:
    namespace = f"foyer-test-{uuid.uuid4().hex[:8]}"
    one = TieredCache(redis=shared_redis, namespace=namespace, ttl_seconds=60)
    two = TieredCache(redis=shared_redis, namespace=namespace, ttl_seconds=60)
    try:
        assert one.get_or_compute("summary", "k", lambda: b'{"a": 1}').body == b'{"a": 1}'
        assert two.metrics.count("summary", "l2", "hit") == 0

        def never() -> bytes:
            raise AssertionError("should come from Redis")

        assert two.get_or_compute("summary", "k", never).body == b'{"a": 1}'
        assert two.metrics.count("summary", "l2", "hit") == 1
        assert 0 < shared_redis.ttl(f"{namespace}:k") <= 60
    finally:
        shared_redis.delete(f"{namespace}:k")  # exact key: no SCAN, no FLUSH


@pytest.fixture
def own_redis() -> Iterator[tuple[int, Any]]:
    """A redis-server of this test's own on a free port (the shared one is never touched)."""
    binary = shutil.which("redis-server")
    if binary is None:
        if REQUIRE_SERVICES:
            pytest.fail("redis-server is not installed (FOYER_REQUIRE_SERVICES=1)")
        pytest.skip("redis-server is not installed")
    port = free_port()
    args = [binary, "--port", str(port), "--save", "", "--appendonly", "no"]

    def start() -> subprocess.Popen[bytes]:
        process = subprocess.Popen(args, stdout=subprocess.DEVNULL)
        probe = redis_client(f"redis://127.0.0.1:{port}/0", timeout=0.2)
        for _ in range(100):
            try:
                probe.ping()
                return process
            except Exception:
                time.sleep(0.02)
        raise RuntimeError("redis-server did not start")

    state = {"process": start()}

    def control(action: str) -> None:
        if action == "kill":
            state["process"].kill()
            state["process"].wait()
        else:
            state["process"] = start()

    yield port, control
    state["process"].kill()
    state["process"].wait()


@pytest.mark.redis
def test_redis_dying_and_returning_never_serves_stale(
    migrated: tuple[Settings, Engine], engine: Engine, own_redis: tuple[int, Any]
) -> None:
    port, control = own_redis
    settings, eng = migrated
    with_redis = settings.model_copy(update={"redis_url": f"redis://127.0.0.1:{port}/0"})
    apps = [create_app(with_redis, engine=eng) for _ in range(2)]
    for app in apps:  # fast recovery for the test: the breaker retries after 0.2 s
        app.state.foyer.cache.breaker.cooldown = 0.2
    with TestClient(apps[0]) as one, TestClient(apps[1]) as two:
        writer = household_api(one, engine, email="r@example.com", household="Redis")
        reader = Api(two, writer.headers, writer.household_id)
        hits = writer.count("summary", "l2", "hit")
        for phase in ("up", "killed", "restarted"):
            if phase == "killed":
                control("kill")
            elif phase == "restarted":
                control("start")
                time.sleep(0.3)  # past the breaker's cooldown
            for i in range(6):
                writer.create_transactions(make_transaction(amount=-(i + 1)))
                seen = reader.ok("/dashboard/summary", month="2025-06")
                fresh = writer.ok("/dashboard/summary", month="2025-06")
                assert seen == fresh, phase
                assert seen["actuals"]["transactions"] == writer_count(writer)
            if phase == "up":  # the writer's reads found what the reader had put in Redis
                assert writer.count("summary", "l2", "hit") > hits


def writer_count(api: Api) -> int:
    page = api.ok("/transactions", month="2025-06", limit=500)
    return len(page["items"])


def test_hits_and_304s_never_wait_for_the_main_pool(
    api: Api, app: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = api.get("/dashboard/summary", month="2025-06")  # a miss: the main pool
    state = app.state.foyer

    def exhausted(*_args: Any, **_kwargs: Any) -> Any:
        raise AssertionError("the event loop waited for the main pool")

    # As if every pooled connection were busy on the threadpool: a checkout would block.
    monkeypatch.setattr(state.database.engine, "connect", exhausted)
    again = api.get("/dashboard/summary", month="2025-06")
    assert (again.status_code, again.content) == (200, first.content)
    headers = {**api.headers, "If-None-Match": first.headers["ETag"]}
    revalidated = api.client.get("/api/v1/dashboard/summary?month=2025-06", headers=headers)
    assert revalidated.status_code == 304


# --- warming ----------------------------------------------------------------------------------


def test_a_write_warms_the_views_of_its_recent_month(api: Api, app: Any) -> None:
    month = this_month()
    api.create_transactions(make_transaction(date=f"{month}-01"))
    app.state.foyer.warmer.wait()
    hits = api.count("summary", "l1", "hit"), api.count("hierarchy", "l1", "hit")
    api.ok("/dashboard/summary", month=month)
    api.ok("/transactions/hierarchy", month=month)
    assert (api.count("summary", "l1", "hit"), api.count("hierarchy", "l1", "hit")) == (
        hits[0] + 1,
        hits[1] + 1,
    )


def test_old_months_are_not_warmed(api: Api, app: Any) -> None:
    api.create_transactions(make_transaction(date="2020-01-05"))
    app.state.foyer.warmer.wait()
    misses = api.count("summary", "l1", "miss")
    api.ok("/dashboard/summary", month="2020-01")
    assert api.count("summary", "l1", "miss") == misses + 1


def test_a_write_rewarms_what_its_household_read_recently(api: Api, app: Any) -> None:
    api.create_transactions(make_transaction(date="2021-03-04", category="courses"))
    reads = [
        ("/dashboard/trends", {"from": "2020-10", "to": "2021-03"}, "trends"),
        ("/dashboard/drill-down/courses", {"month": "2021-03", "level": "details"}, None),
        ("/dashboard/summary", {"month": "2021-03"}, "summary"),
    ]
    for path, params, _view in reads:
        api.ok(path, **params)  # misses: remembered
    api.create_transactions(make_transaction(date="2021-03-09", category="courses"))
    app.state.foyer.warmer.wait()
    before = {
        v: (api.count(v, "l1", "hit"), api.count(v, "l1", "miss")) for v in ("trends", "summary")
    }
    details = api.count("drill_down_details", "l1", "miss")
    for path, params, _view in reads:
        body = api.ok(path, **params)
        if path == "/dashboard/summary":
            assert body["actuals"]["transactions"] == 2  # fresh, not the old entry
    for view, (hits, misses) in before.items():
        assert (api.count(view, "l1", "hit"), api.count(view, "l1", "miss")) == (hits + 1, misses)
    assert api.count("drill_down_details", "l1", "miss") == details


def test_a_write_warms_what_was_read_before_it_commits(api: Api) -> None:
    api.ok("/dashboard/summary", month="2021-03")  # a miss: remembered
    api.create_transactions(make_transaction(date="2021-03-09"))
    # No waiting for any worker: the entry was computed on the write's own connection,
    # before its commit made the new version visible.
    hits, misses = api.count("summary", "l1", "hit"), api.count("summary", "l1", "miss")
    body = api.ok("/dashboard/summary", month="2021-03")
    assert (api.count("summary", "l1", "hit"), api.count("summary", "l1", "miss")) == (
        hits + 1,
        misses,
    )
    assert body["actuals"]["transactions"] == 1


def test_a_failing_warm_up_never_fails_the_write(
    api: Api, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    api.ok("/dashboard/summary", month="2021-03")  # remembered: re-warmed after writes
    real = view_catalogue.BY_NAME["summary"]

    def broken(reader: Any, conn: Any, household_id: int, params: Any) -> Any:
        conn.exec_driver_sql("SELECT no_such_column FROM household")  # PostgreSQL: aborts
        raise AssertionError("unreachable")

    monkeypatch.setitem(
        view_catalogue.BY_NAME, "summary", dataclasses.replace(real, compute=broken)
    )
    [new_id] = api.create_transactions(make_transaction(date="2021-03-09"))
    assert api.get(f"/transactions/{new_id}").status_code == 200  # committed
    assert "cache warm-up of summary failed" in caplog.text
    monkeypatch.setitem(view_catalogue.BY_NAME, "summary", real)
    assert api.ok("/dashboard/summary", month="2021-03")["actuals"]["transactions"] == 1


def test_warm_ups_are_not_counted_as_lookups(api: Api, app: Any) -> None:
    month = this_month()
    api.ok("/dashboard/summary", month=month)
    lookups = api.count("summary", "l1", "hit") + api.count("summary", "l1", "miss")
    warmed = api.count("summary", "l1", "warm")
    api.create_transactions(make_transaction(date=f"{month}-03"))
    app.state.foyer.warmer.wait()
    assert api.count("summary", "l1", "hit") + api.count("summary", "l1", "miss") == lookups
    assert api.count("summary", "l1", "warm") == warmed + 1  # this app's warmer, once
    hits = api.count("summary", "l1", "hit")
    api.ok("/dashboard/summary", month=month)
    assert api.count("summary", "l1", "hit") == hits + 1


def test_without_recent_warming_only_the_calendar_months_are_warmed(
    migrated: tuple[Settings, Engine], engine: Engine, api: Api
) -> None:
    settings, eng = migrated
    plain = create_app(settings.model_copy(update={"cache_warm_recent": 0}), engine=eng)
    with TestClient(plain) as client:
        other = Api(client, api.headers, api.household_id)
        other.ok("/dashboard/summary", month="2021-03")
        other.create_transactions(make_transaction(date="2021-03-09"))
        plain.state.foyer.warmer.wait()
        misses = other.count("summary", "l1", "miss")
        other.ok("/dashboard/summary", month="2021-03")
        assert other.count("summary", "l1", "miss") == misses + 1


def test_trends_change_key_only_for_writes_inside_their_range(api: Api) -> None:
    def etag() -> str:
        response = api.get("/dashboard/trends", **{"from": "2025-01", "to": "2025-06"})
        assert response.status_code == 200
        return str(response.headers["ETag"])

    first = etag()
    api.create_transactions(make_transaction(date="2025-07-02"))  # after the range
    api.create_transactions(make_transaction(date="2024-12-31"))  # before it
    assert etag() == first
    api.create_transactions(make_transaction(date="2025-01-01"))  # its first month
    assert etag() != first


def test_start_up_warms_active_households(
    api: Api, migrated: tuple[Settings, Engine], engine: Engine
) -> None:
    month = this_month()
    api.create_transactions(make_transaction(date=f"{month}-02"))
    settings, eng = migrated
    fresh = create_app(settings, engine=eng)  # a new process's empty L1
    with TestClient(fresh) as client:
        fresh.state.foyer.warmer.wait()
        other = Api(client, api.headers, api.household_id)
        hits = other.count("slim_summary", "l1", "hit")
        other.ok("/dashboard/summary/slim", month=month)
        assert other.count("slim_summary", "l1", "hit") == hits + 1


def test_ready_reports_an_unreachable_cache(
    migrated: tuple[Settings, Engine], engine: Engine
) -> None:
    settings, eng = migrated
    dead = settings.model_copy(update={"redis_url": f"redis://127.0.0.1:{free_port()}/0"})
    with TestClient(create_app(dead, engine=eng), raise_server_exceptions=False) as client:
        response = client.get("/ready")
    assert response.status_code == 503
    assert response.json()["error"]["details"]["cache"].startswith("error:")
