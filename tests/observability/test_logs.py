"""Log lines are JSON with the correlation id of their request (or the id of their job):
stdlib and structlog loggers, uvicorn's under its own configuration, the 500's traceback
line of a real app, and the access line."""

from __future__ import annotations

import logging
import pickle
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from typing import Any

import orjson
import pytest
import structlog
from asgi_correlation_id import correlation_id
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine

from foyer.db.engine import Database
from foyer.jobs.queue import JobQueue
from foyer.observability import access as access_module
from foyer.observability.access import access
from foyer.observability.context import RequestInfo
from foyer.observability.logs import logging_config
from foyer.settings import Settings
from tests.observability.logcapture import captured_logs, lines

CID = "5f6c0a3e2b9d4c6f8e1a7b3c9d2e4f60"


@pytest.fixture
def request_cid() -> Iterator[str]:
    """A request's correlation id in this context, as the middleware sets it."""
    token = correlation_id.set(CID)
    yield CID
    correlation_id.reset(token)


def test_every_logger_writes_json_with_the_correlation_id(request_cid: str) -> None:
    with captured_logs() as buffer:
        logging.getLogger("foyer.cache").info("warmed %s views", 3, extra={"household_id": 7})
        logging.getLogger("huey.consumer").warning("worker stopped")
        logging.getLogger("uvicorn.error").info("Started server process [1]")
        structlog.get_logger("foyer.alerts").warning("alert fired", rule="route_p95")
        logging.getLogger("foyer.cache").debug("below the level: not written")
    # Only this test's lines: a monitor thread of another test's app may log meanwhile.
    ours = {"warmed 3 views", "worker stopped", "Started server process [1]", "alert fired"}
    got = [line for line in lines(buffer) if line["event"] in ours]
    assert all(line["event"] != "below the level: not written" for line in lines(buffer))
    assert [(line["logger"], line["level"]) for line in got] == [
        ("foyer.cache", "info"),
        ("huey.consumer", "warning"),
        ("uvicorn.error", "info"),
        ("foyer.alerts", "warning"),
    ]
    assert all(line["correlation_id"] == request_cid for line in got)
    assert all(line["timestamp"].endswith("Z") for line in got)
    assert got[0]["event"] == "warmed 3 views"
    assert got[0]["household_id"] == 7
    assert got[3]["rule"] == "route_p95"


def test_a_line_outside_any_request_has_no_correlation_id() -> None:
    with captured_logs() as buffer:
        logging.getLogger("foyer").info("started")
    assert "correlation_id" not in lines(buffer)[0]


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_a_job_run_logs_with_its_job_id(migrated: tuple[Settings, Engine], engine: Engine) -> None:
    settings, _ = migrated
    queue = JobQueue(settings, Database(engine))
    with captured_logs() as buffer:
        queue.run(424242)  # no such job: the runner says so, and nothing else runs
        logging.getLogger("foyer.jobs").info("after the run")
    during, after = lines(buffer)
    assert during["event"] == "job 424242 is not queued; nothing to run"
    assert during["job_id"] == 424242
    assert "job_id" not in after


def test_the_500_line_has_the_correlation_id_route_and_traceback(
    fresh_app: Callable[..., FastAPI],
) -> None:
    app = fresh_app()

    def explode(item_id: int) -> None:
        raise RuntimeError(f"item {item_id}: postgresql://foyer:hunter2hunter2@db/foyer down")

    app.add_api_route("/test-only/explode/{item_id}", explode)
    cid = "abcdef0123456789abcdef0123456789"
    with captured_logs() as buffer, TestClient(app, raise_server_exceptions=False) as client:
        response = client.get("/test-only/explode/31337", headers={"X-Correlation-ID": cid})
    assert response.status_code == 500
    assert response.json()["error"]["correlation_id"] == cid
    [error] = [line for line in lines(buffer) if line["logger"] == "foyer.errors"]
    assert error["level"] == "error"
    assert error["event"] == "unhandled error"
    assert error["correlation_id"] == cid
    assert error["route"] == "/test-only/explode/{item_id}"
    assert error["method"] == "GET"
    assert error["exception"].startswith("Traceback (most recent call last):")
    message = "RuntimeError: item 31337: postgresql://foyer:[redacted]@db/foyer down"
    assert message in error["exception"]
    assert "hunter2hunter2" not in buffer.getvalue()


def info(**fields: Any) -> RequestInfo:
    return RequestInfo(**{"method": "GET", "path": "/api/v1/transactions/98765", **fields})


def test_the_access_line(request_cid: str) -> None:
    request = info(route="/api/v1/transactions/{transaction_id}", household_id=12, queries=3)
    with captured_logs() as buffer:
        access(request, 200, 0.0123456)
        access(info(route="/api/v1/dashboard/summary", fast=True, household_id=12), 304, 3e-5)
    slow, fast = lines(buffer)
    assert slow == {
        "event": "request",
        "level": "info",
        "logger": "foyer.access",
        "method": "GET",
        "route": "/api/v1/transactions/{transaction_id}",
        "status": 200,
        "duration_ms": 12.346,
        "household_id": 12,
        "fast": False,
        "queries": 3,
        "correlation_id": request_cid,
        "timestamp": slow["timestamp"],
    }
    assert "98765" not in buffer.getvalue()  # the template, never the raw path
    assert (fast["fast"], fast["status"], fast["duration_ms"]) == (True, 304, 0.03)


@settings(max_examples=300, deadline=None)
@given(
    method=st.sampled_from(["GET", "POST", "DELETE", "PATCH", "get%s", 'G"T', "token=abc"]),
    route=st.sampled_from(["/api/v1/dashboard/summary", "/api/v1/x/{id}", "/100%", 'a"b\\c']),
    status=st.integers(100, 599),
    seconds=st.one_of(
        st.floats(0, 120, allow_nan=False), st.sampled_from([0.0, 0.0005, 0.0015, 2.5e-5])
    ),
    household=st.one_of(st.none(), st.integers(1, 2**53)),
    fast=st.booleans(),
    queries=st.integers(0, 10_000),
    cid=st.one_of(
        st.just(CID), st.uuids(version=4).map(str), st.uuids(version=4).map(lambda u: f"{{{u}}}")
    ),
    at=st.integers(0, 2**62),
)
def test_the_access_template_renders_what_the_event_renders(
    method: str,
    route: str,
    status: int,
    seconds: float,
    household: int | None,
    fast: bool,
    queries: int,
    cid: str,
    at: int,
) -> None:
    """The fast template of a request's line is the dictionary's line: the same fields,
    in the same order, the same values (the duration to the microsecond either way)."""
    with captured_logs():
        writer = access_module.access_writer
        raw: access_module.Raw = (
            at,
            cid,
            None,
            method,
            route,
            status,
            seconds,
            household,
            fast,
            queries,
            None,
        )
        fast_line = orjson.loads(writer._line(raw))
        event = orjson.loads(access_module.json_line(None, "info", writer._event(raw)))
    assert list(fast_line) == list(event)
    assert fast_line == event


def test_access_lines_are_written_by_the_writer_thread_in_order(request_cid: str) -> None:
    with captured_logs() as buffer:
        for status in (200, 201, 404):
            access(info(route="/api/v1/config"), status, 0.001)
        deadline = time.monotonic() + 10  # no flush here: the writer's next batch
        while buffer.getvalue().count("\n") < 3 and time.monotonic() < deadline:
            time.sleep(0.01)
        written = [orjson.loads(line) for line in buffer.getvalue().splitlines()]
    assert [line["status"] for line in written] == [200, 201, 404]
    assert all(line["correlation_id"] == request_cid for line in written)


def test_queued_access_lines_go_to_the_stream_they_were_made_for() -> None:
    with captured_logs() as first:
        access(info(path="/first"), 404, 0.001)
        with captured_logs() as second:  # configured again before the writer's batch
            access(info(path="/second"), 404, 0.001)
    assert [line["path"] for line in lines(first)] == ["/first"]
    assert [line["path"] for line in lines(second)] == ["/second"]


def test_an_unmatched_request_logs_its_path() -> None:
    with captured_logs() as buffer:
        access(info(path="/wp-login.php"), 404, 0.001)
    [line] = lines(buffer)
    assert (line["route"], line["path"]) == ("unmatched", "/wp-login.php")
    assert line["household_id"] is None


@pytest.mark.parametrize(("level", "options"), [("INFO", {"access_log": False}), ("WARNING", {})])
def test_the_access_log_is_off_when_asked_or_below_the_level(
    level: str, options: dict[str, Any]
) -> None:
    with captured_logs(level, **options) as buffer:
        access(info(route="/api/v1/config"), 200, 0.001)
    assert buffer.getvalue() == ""


def test_console_format_is_text_and_still_redacted(request_cid: str) -> None:
    with captured_logs(json=False) as buffer:
        logging.getLogger("foyer.auth").warning("login with password=%s", "hunter2hunter2")
        access(info(route="/api/v1/config"), 200, 0.001)
    text = buffer.getvalue()
    assert not text.startswith("{")
    assert "login with password=[redacted]" in text
    assert "hunter2hunter2" not in text
    assert "route=/api/v1/config" in text
    assert request_cid in text


def test_uvicorn_applies_the_same_configuration_in_a_worker_process() -> None:
    # What `foyer serve --workers N` hands uvicorn: it pickles the dictionary to each
    # spawned worker, which applies it through uvicorn's own Config.configure_logging.
    config = pickle.dumps(logging_config("INFO"))
    script = f"""
import logging, pickle
from uvicorn.config import Config
config = pickle.loads({config!r})
Config("foyer.app:create_app_from_env", log_config=config, log_level="info").configure_logging()
logging.getLogger("uvicorn.error").info("Started server process [1]")
logging.getLogger("foyer.cache").warning("Redis unreachable")
"""
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=True
    )
    got = [orjson.loads(line) for line in done.stderr.splitlines()]
    assert [(line["logger"], line["event"]) for line in got] == [
        ("uvicorn.error", "Started server process [1]"),
        ("foyer.cache", "Redis unreachable"),
    ]
