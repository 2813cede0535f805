"""The bench's "bare" target (foyer/bench/bare.py): a FastAPI app of its own replaying
foyer's answers byte for byte, and run beside foyer by the runner.

Figures are not asserted (benchmarks measure, tests assert behaviour): the run below
checks the target exists, answers what foyer answered, and gets its ratios.
"""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from rich.console import Console

from foyer.bench.bare import (
    BARE,
    Answer,
    Representation,
    create_app,
    read_answers,
    request_key,
    write_answers,
)
from foyer.bench.report import aggregate, markdown, ratios
from foyer.bench.runner import CEILING, Plan, run_plan
from foyer.bench.server import ServerConfig

BODY = b'{"month":"2026-06","total":"1234.50","label":"\xc3\x89lectricit\xc3\xa9"}' * 20
HEADERS = {
    "content-type": "application/json",
    "etag": '"abc"',
    "cache-control": "private, no-cache",
    "vary": "Accept-Encoding",
}
ANSWERS = {
    request_key("/api/v1/dashboard/summary?month=2026-06"): Answer(
        Representation(BODY, HEADERS),
        Representation(
            gzip.compress(BODY, mtime=0),
            {**HEADERS, "etag": '"abc-gz"', "content-encoding": "gzip"},
        ),
    ),
    request_key("/api/v1/dashboard/summary/slim?month=2026-06"): Answer(
        Representation(b'{"small":true}', {"content-type": "application/json"}), None
    ),
}


@pytest.fixture
def bare(tmp_path: Path) -> TestClient:
    path = tmp_path / "bare.json"
    write_answers(path, ANSWERS)
    assert read_answers(path) == ANSWERS  # the file the server process reads
    return TestClient(create_app(read_answers(path)))


def test_bare_app_answers_foyers_bytes_and_headers(bare: TestClient) -> None:
    url = "/api/v1/dashboard/summary?month=2026-06"
    plain = bare.get(url, headers={"Accept-Encoding": "identity", "Authorization": "Bearer x"})
    assert (plain.status_code, plain.content) == (200, BODY)
    assert {k: plain.headers[k] for k in HEADERS} == HEADERS
    assert "content-encoding" not in plain.headers
    zipped = bare.get(url, headers={"Accept-Encoding": "gzip, deflate"})
    assert zipped.headers["content-encoding"] == "gzip"
    assert zipped.headers["etag"] == '"abc-gz"'
    assert zipped.content == BODY  # the client decoded foyer's gzip bytes
    refused = bare.get(url, headers={"Accept-Encoding": "gzip;q=0"})
    assert refused.headers["etag"] == '"abc"'
    small = bare.get("/api/v1/dashboard/summary/slim?month=2026-06")  # foyer sent no gzip
    assert (small.content, small.headers.get("content-encoding")) == (b'{"small":true}', None)


def test_bare_app_answers_304_to_a_held_etag_and_404_to_the_unknown(bare: TestClient) -> None:
    url = "/api/v1/dashboard/summary?month=2026-06"
    held = bare.get(url, headers={"Accept-Encoding": "identity", "If-None-Match": 'W/"abc"'})
    assert (held.status_code, held.content) == (304, b"")
    assert held.headers["etag"] == '"abc"'
    assert "content-type" not in held.headers
    other = bare.get(url, headers={"Accept-Encoding": "identity", "If-None-Match": '"old"'})
    assert other.status_code == 200
    assert bare.get("/api/v1/dashboard/summary?month=2026-05").status_code == 404
    assert bare.get("/api/v1/dashboard/summary").status_code == 404


def test_bench_runs_the_bare_target_beside_foyer(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("FOYER_BENCH_CACHE", str(tmp_path / "datasets"))  # built here
    plan = Plan(
        sizes=["10k"],
        configs=[ServerConfig("optimized", reader="optimized", cache="on")],
        scenarios=["summary"],
        concurrency=[2],
        seconds=1.0,
        rounds=1,
        generator="python",
        bare=True,
    )
    # The runner checks the bare app answers every captured request as foyer did (bytes
    # and headers, both encodings) before it measures, and raises otherwise.
    data = run_plan(plan, Console(quiet=True))
    rows = {row["target"]: row for row in data["results"]}
    assert set(rows) == {"optimized", CEILING, BARE}
    assert rows[BARE]["requests"] > 0
    assert rows[BARE]["errors"] == 0
    assert rows[BARE]["cache_hit_rate"] is None  # a replay: nothing of foyer's to count
    assert all(row["server"]["cpu_us_per_request"] > 0 for row in rows.values())
    assert rows["optimized"]["cache_hit_rate"] is not None
    cells = aggregate(data["results"])
    pairs = {r["pair"]: r for r in ratios(cells)}
    assert pairs["optimized / bare"]["cpu_ratio"] > 0
    assert {"optimized / bare", "ceiling / bare", "optimized / ceiling"} <= set(pairs)
    assert "bare / ceiling" not in pairs
    assert "| 10k | summary | 2 | optimized / bare |" in markdown(data, cells, "foyer bench")
