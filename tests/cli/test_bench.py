"""The bench harness's own logic: ceiling route, wrk scripts, scenarios, aggregation.

Measurements themselves are not asserted (benchmarks measure, tests assert behaviour);
the CI smoke (`foyer bench --smoke`) runs a real side-by-side measurement.
"""

from __future__ import annotations

import io
import os
import py_compile
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson
import pytest
import typer
from fastapi import FastAPI
from fastapi.testclient import TestClient
from rich.console import Console
from typer.testing import CliRunner

from foyer.bench.imports import parse_size, run_one
from foyer.bench.load import _lua_string, wrk_script
from foyer.bench.micro import write_cost
from foyer.bench.report import aggregate, charts, growth, markdown, ratios
from foyer.bench.runner import CEILING, hit_p95_ms, hit_rate
from foyer.bench.scenarios import BUILDERS, Context, Req
from foyer.bench.server import BENCH_SECRET
from foyer.bench.statements import french_amount, statements
from foyer.bench.web import web_stats
from foyer.cli import app
from foyer.cli.bench import server_configs
from foyer.cli.bench_imports import report
from foyer.imports import ParsedRow, SkippedLine, detect, parse
from foyer.read.cursors import CursorCodec
from tests.helpers import REPO
from tests.web.chromium import chromium_executable


@pytest.fixture
def ceiling_client(fresh_app: Callable[..., FastAPI], tmp_path: Path) -> TestClient:
    app = fresh_app(bench_ceiling_dir=tmp_path)
    return TestClient(app, raise_server_exceptions=False)


def test_ceiling_serves_captured_bytes_exactly(ceiling_client: TestClient, tmp_path: Path) -> None:
    body = '{"month":"2026-06","total":12.5,"label":"Électricité"}'.encode()
    (tmp_path / "summary-0.json").write_bytes(body)
    response = ceiling_client.get("/bench/ceiling/summary-0")
    assert response.status_code == 200
    assert response.content == body
    assert response.headers["content-type"] == "application/json"


@pytest.mark.parametrize("key", ["missing-1", "..%2F..%2Fetc%2Fpasswd", "UPPER"])
def test_ceiling_unknown_or_unsafe_key_is_404(ceiling_client: TestClient, key: str) -> None:
    assert ceiling_client.get(f"/bench/ceiling/{key}").status_code == 404


def test_ceiling_route_absent_unless_configured(client: TestClient) -> None:
    assert client.get("/bench/ceiling/summary-0").status_code == 404
    assert "/bench/ceiling/{key}" not in client.get("/openapi.json").json()["paths"]


def test_lua_strings_escape_quotes_backslashes_newlines() -> None:
    assert _lua_string('a"b\\c\nd') == '"a\\"b\\\\c\\nd"'


def test_wrk_script_has_one_request_per_req_and_reports_json() -> None:
    reqs = [
        Req("GET", "/api/v1/dashboard/summary?month=2026-06", "tok1"),
        Req("POST", "/api/v1/transactions", "tok2", b'{"label": "say \\"hi\\""}'),
    ]
    script = wrk_script(reqs)
    assert script.count("wrk.format(") == 2
    assert '"Bearer tok2"' in script
    assert '["Content-Type"]="application/json"' in script
    assert "latency:percentile(95)" in script


def _context() -> Context:
    months = [f"2026-{m:02d}" for m in range(12, 0, -1)]
    return Context(["t1", "t2", "t3"], months, ["courses", "loyer", "énergie"], [1, 2, 3])


def test_every_scenario_builds_nonempty_requests() -> None:
    for name, build in BUILDERS.items():
        scenario = build(_context())
        assert scenario.name == name
        assert scenario.requests
        assert scenario.description
        assert all(r.path.startswith("/api/v1/") for r in scenario.requests)


def test_only_mixed_and_writes_write_and_they_are_reproducible() -> None:
    writers = [n for n, b in BUILDERS.items() if not b(_context()).read_only]
    assert writers == ["mixed", "writes"]
    for name, methods in (("mixed", {"GET", "PATCH", "POST"}), ("writes", {"PATCH", "POST"})):
        first, second = BUILDERS[name](_context()), BUILDERS[name](_context())
        assert first.requests == second.requests
        assert {r.method for r in first.requests} == methods


def test_mixed_months_follow_popularity() -> None:
    reqs = BUILDERS["mixed"](_context()).requests
    recent = sum("2026-12" in r.path for r in reqs)
    old = sum("2026-01" in r.path and "from=" not in r.path for r in reqs)
    assert recent > 3 * max(old, 1)


def test_deep_cursors_are_valid_for_the_bench_key() -> None:
    paths = [r.path for r in BUILDERS["drill_down"](_context()).requests if "cursor=" in r.path]
    assert paths
    token = re.search(r"cursor=([^&]+)", paths[0])
    assert token is not None
    value, last_id = CursorCodec(BENCH_SECRET).decode(token.group(1), "date_desc")
    assert value.endswith("-15")
    assert last_id > 10**15


def _row(
    target: str, rnd: int, rps: float, p95: float, conc: int = 10, size: str = "10k"
) -> dict[str, Any]:
    return {
        "size": size, "rows": {"10k": 10_800, "100k": 108_000, "5m": 5_040_000}[size],
        "db": "sqlite", "scenario": "summary",
        "concurrency": conc, "target": target, "round": rnd, "requests": int(rps * 5),
        "errors": 0, "error_rate": 0.0, "throughput_rps": rps,
        "latency_ms": {"p50": p95 / 2, "p95": p95, "p99": p95 * 1.2, "max": p95 * 2},
        "server": {"rss_mb": 100.0, "cpu_percent": 95.0}, "cache_hit_rate": None,
    }  # fmt: skip


def test_aggregate_takes_medians_and_ratios_pair_with_the_ceiling() -> None:
    rows = [
        _row("reference", 0, 100, 20),
        _row("reference", 1, 120, 10),
        _row("reference", 2, 110, 30),
        _row(CEILING, 0, 1000, 5),
        _row(CEILING, 1, 1000, 5),
        _row("optimized", 0, 880, 6),
    ]
    cells = aggregate(rows)
    ref = cells[("10k", "summary", 10, "reference")]
    assert ref["throughput_rps"] == 110
    assert ref["p95"] == 20
    assert ref["max"] == 60
    assert ref["rounds"] == 3
    by_pair = {r["pair"]: r for r in ratios(cells)}
    assert by_pair["reference / ceiling"]["throughput_ratio"] == pytest.approx(0.11)
    assert by_pair["reference / ceiling"]["p95_ratio"] == pytest.approx(4.0)
    assert by_pair["optimized / ceiling"]["throughput_ratio"] == pytest.approx(0.88)
    assert by_pair["optimized / reference"]["throughput_ratio"] == pytest.approx(8.0)


def test_report_and_charts_are_written(tmp_path: Path) -> None:
    rows = [_row("reference", 0, 100, 20, c) for c in (1, 10)]
    rows += [_row(CEILING, 0, 900, 4, c) for c in (1, 10)]
    data = {
        "meta": {
            "started_at": "s", "finished_at": "f",
            "machine": {"cpus": 2, "python": "3.11", "platform": "linux"},
            "plan": {"db": "sqlite", "generator": "wrk", "seconds": 5, "rounds": 1,
                     "configs": [{"name": "reference", "reader": "reference",
                                  "cache": "off", "workers": 1}]},
        },
        "results": rows,
    }  # fmt: skip
    cells = aggregate(rows)
    text = markdown(data, cells, "foyer bench --quick")
    assert "| summary | 10 | reference | 100.0 |" in text
    assert "reference / ceiling" in text
    written = charts(cells, tmp_path)
    assert {p.name for p in written} == {"latency-10k.png", "throughput-10k.png"}
    assert all(p.read_bytes().startswith(b"\x89PNG") for p in written)


def test_report_puts_readers_side_by_side_and_orders_sizes_by_rows() -> None:
    rows = [
        _row(target, 0, rps, p95, 1, size)
        for size, grow in (("10k", 1), ("100k", 3), ("5m", 40))
        for target, rps, p95 in (("reference", 50, 10.0 * grow), ("optimized", 400, 2.0))
    ]
    cells = aggregate(rows)
    grown = {(g["target"], g["from"], g["to"]): g["p95_growth"] for g in growth(cells)}
    assert grown == {("reference", "10k", "5m"): 40.0, ("optimized", "10k", "5m"): 1.0}
    data = {
        "meta": {
            "started_at": "s", "finished_at": "f",
            "machine": {"cpus": 2, "python": "3.11", "platform": "linux"},
            "plan": {"db": "sqlite", "generator": "wrk", "seconds": 5, "rounds": 1,
                     "configs": []},
        },
        "results": rows,
    }  # fmt: skip
    text = markdown(data, cells, "foyer bench")
    assert "| 5m | summary | 1 | 200.00 / 400.00 | 1.00 / 2.00 | 200.0x | 200.0x |" in text
    assert text.index("## 10k") < text.index("## 100k") < text.index("## 5m")
    assert "| summary | 1 | reference | 40.00 | 40.00 |" in text


def test_write_cost_measures_both_modes_alternately() -> None:
    result = write_cost("sqlite", batches=2, batch_rows=40, singles=4)
    assert set(result["bulk"]) == set(result["single"]) == {"plain", "aggregates"}
    assert result["bulk"]["plain"]["runs"] == 2
    assert result["single"]["aggregates"]["runs"] == 4
    assert result["bulk_ratio"] > 0
    assert result["single_ratio"] > 0


def test_locustfile_compiles() -> None:
    py_compile.compile(str(REPO / "locustfile.py"), doraise=True)


def test_hit_rate_counts_l1_and_l2_hits_over_l1_lookups() -> None:
    before = {("l1", "hit"): 10.0, ("l1", "miss"): 5.0, ("l2", "hit"): 1.0}
    after = {("l1", "hit"): 100.0, ("l1", "miss"): 15.0, ("l2", "hit"): 6.0, ("l2", "miss"): 5}
    assert hit_rate(before, after) == pytest.approx((90 + 5) / 100)
    assert hit_rate(after, after) is None  # no lookup: the cache was off or unused


def test_hit_p95_interpolates_inside_the_cells_own_bucket_counts() -> None:
    inf = float("inf")
    before = {0.0001: 50.0, 0.0005: 50.0, 0.001: 50.0, inf: 50.0}  # an earlier cell
    # This cell: 80 hits under 0.1 ms, 18 in (0.1, 0.5], 2 in (0.5, 1] ms.
    after = {0.0001: 130.0, 0.0005: 148.0, 0.001: 150.0, inf: 150.0}
    # rank 95 of 100: the 15th of the 18 in (0.1, 0.5] -> 0.1 + 0.4 * 15/18 ms
    assert hit_p95_ms(before, after) == pytest.approx(0.1 + 0.4 * 15 / 18)
    assert hit_p95_ms(after, after) is None  # no hit in the cell
    slow = {0.0001: 0.0, 0.001: 0.0, inf: 10.0}  # all past the last bound: a floor
    assert hit_p95_ms({}, slow) == pytest.approx(1.0)


def test_bench_servers_are_named_by_what_differs_between_them() -> None:
    configs = server_configs(
        ["reference", "optimized", "optimized"], ["off", "on", "on"], 1, None, ["32", "32", "0"]
    )
    assert [c.name for c in configs] == ["reference", "optimized+cache", "optimized+cache+nowarm"]
    assert configs[2].extra_env == {
        "FOYER_CACHE_WARM_RECENT": "0",
        "FOYER_MONITORING": "on",
        "FOYER_STAMP_FEED": "on",
    }
    with pytest.raises(typer.BadParameter):  # indistinguishable servers
        server_configs(["optimized", "optimized"], ["on"], 1, None, ["32"])
    # What operations cost: the same server with monitoring on and off, set side by side.
    twins = server_configs(["optimized", "optimized"], ["on"], 1, None, ["32"], ["on", "off"])
    assert [c.name for c in twins] == ["optimized", "optimized+nomon"]
    assert twins[1].extra_env["FOYER_MONITORING"] == "off"
    # What the stamp feed gains (PostgreSQL): the same server with the feed on and off.
    fed = server_configs(["optimized", "optimized"], ["on"], 1, None, ["32"], ["on"], ["on", "off"])
    assert [c.name for c in fed] == ["optimized", "optimized+nofeed"]
    assert fed[1].extra_env["FOYER_STAMP_FEED"] == "off"
    cells = {
        ("10k", "summary", 10, "optimized"): {"throughput_rps": 97.0, "p50": 1.0, "p95": 2.1},
        ("10k", "summary", 10, "optimized+nomon"): {
            "throughput_rps": 100.0,
            "p50": 1.0,
            "p95": 2.0,
        },
    }
    (pair,) = ratios(cells)
    assert pair["pair"] == "optimized / optimized+nomon"
    assert pair["throughput_ratio"] == pytest.approx(0.97)
    assert pair["p95_ratio"] == pytest.approx(1.05)


def test_a_server_may_run_another_checkouts_code_beside_this_ones(tmp_path: Path) -> None:
    before = tmp_path / "before"
    (before / "foyer").mkdir(parents=True)
    (before / "foyer" / "app.py").write_text("")
    both = server_configs(
        ["optimized", "optimized"], ["on"], 1, None, ["32"], ["on"], ["on"], [".", str(before)]
    )
    assert [c.name for c in both] == ["optimized", "optimized@before"]
    assert both[0].place() == ({}, None)
    # Run as the bench runs a server (`python -m`, from where `place` says), the other
    # checkout's package is the one imported, not this checkout's editable install.
    (before / "foyer" / "__main__.py").write_text("print(__file__)\n")
    env, cwd = both[1].place()
    ran = subprocess.run(
        [sys.executable, "-m", "foyer"],
        env={**os.environ, **env},
        cwd=cwd,
        capture_output=True,
        text=True,
        check=True,
    )
    assert ran.stdout.strip() == str(before.resolve() / "foyer" / "__main__.py")
    with pytest.raises(typer.BadParameter, match="no foyer checkout"):
        server_configs(["optimized"], ["on"], 1, None, ["32"], ["on"], ["on"], [str(tmp_path)])
    cells = {
        ("10k", "mixed", 10, "optimized"): {"throughput_rps": 120.0, "p50": 1.0, "p95": 5.0},
        ("10k", "mixed", 10, "optimized@before"): {
            "throughput_rps": 100.0,
            "p50": 1.0,
            "p95": 10.0,
        },
    }
    (pair,) = ratios(cells)
    assert pair["pair"] == "optimized / optimized@before"
    assert pair["throughput_ratio"] == pytest.approx(1.2)
    assert pair["p95_ratio"] == pytest.approx(0.5)


# -- the import benchmark (issue 11): runnable at a few hundred rows, so it cannot rot ----------


def test_statements_are_french_csvs_that_parse_back_to_the_rows_they_carry() -> None:
    first = list(statements(650, 300, seed=3))
    again = list(statements(650, 300, seed=3))
    assert [s.content for s in first] == [s.content for s in again]
    assert [len(s.rows) for s in first] == [300, 300, 50]
    assert [s.name for s in first][-1].endswith("2026-06.csv")
    for statement in first:
        assert len(statement.content) <= 20 * 2**20  # SPEC §8's upload limit
        detection = detect(io.BytesIO(statement.content))
        assert detection.encoding == "cp1252"
        assert detection.dialect is not None
        assert detection.dialect.delimiter == ";"
        items = list(parse(io.BytesIO(statement.content), detection))
        rows = [item for item in items if isinstance(item, ParsedRow)]
        assert isinstance(items[-1], SkippedLine)  # the closing `Solde au …`
        assert [(r.date, r.label, r.amount_cents) for r in rows] == [
            (r.date, r.label, r.amount_cents) for r in statement.rows
        ]


def test_french_amounts_group_thousands_with_a_no_break_space() -> None:
    assert french_amount(-123_456) == "-1\u00a0234,56"
    assert french_amount(5) == "0,05"
    assert parse_size("100k") == 100_000
    assert parse_size("1m") == 1_000_000
    assert parse_size("600") == 600


def test_import_bench_runs_end_to_end(
    backend: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    if backend == "postgresql":
        request.getfixturevalue("pg_url")  # the server answers (or the test skips)
    result = run_one(backend, 600, 300, tmp_path, Console(quiet=True))
    # Figures only: both sides inserted every row with exact aggregates (run_one checks
    # and raises otherwise); no timing is asserted.
    assert result["files"] == 2
    assert len(result["api"]["preview_s"]) == len(result["api"]["job_s"]) == 2
    assert result["ratio"] > 0
    assert result["rss_mib"]["peak"] >= result["rss_mib"]["start"] > 0
    text = report([result], "foyer bench --imports")
    assert f"| {backend} | 600 | 2 × 300" in text


# -- the web bench (issue 12): runnable at the smallest size, so it cannot rot -----------------


def test_web_stats_interpolate_p95_between_the_nearest_ranks() -> None:
    stats = web_stats([5.0, 1.0, 4.0, 2.0, 3.0])
    assert (stats["n"], stats["median"], stats["min"], stats["max"]) == (5, 3.0, 1.0, 5.0)
    assert stats["p95"] == pytest.approx(4.8)  # 95 % of the way from rank 0 to rank 4
    assert web_stats([7.0])["p95"] == 7.0


def test_web_bench_runs_end_to_end(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    pytest.importorskip("playwright.sync_api", reason="Playwright (a dev dependency) missing")
    monkeypatch.setenv("FOYER_BENCH_CHROMIUM", str(chromium_executable()))
    monkeypatch.setenv("FOYER_BENCH_CACHE", str(tmp_path / "datasets"))  # built here (~3 s)
    out = tmp_path / "web"
    args = ["bench", "--web", "--sizes", "10k", "--cold", "1", "--warm", "2", "--out", str(out)]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    # Figures only, every one of them present; no timing is asserted.
    [run] = orjson.loads((out / "web.json").read_bytes())["results"]
    for series in ("cold_server", "cold_month", "warm", "floor_cold", "floor_warm"):
        assert run["fcp"][series]["stats"]["median"] > 0
    cold = run["fcp"]["cold_server"]["runs"][0]
    assert cold["page_cache"] == {"l1:miss": 1.0}  # a fresh server computed the page
    assert run["cache"]["warm"] == {"l1:hit": 2.0}  # every warm load was a page-cache hit
    assert {"html", "css", "js"} <= set(cold["transfer"]["by_kind"])
    assert cold["transfer"]["cdp_total"] > 0
    for timing in (run["drill"]["parent"], run["drill"]["category"], run["edit"]):
        assert timing["paint_ms"]["n"] == 2
        assert timing["paint_ms"]["median"] >= timing["dom_ms"]["median"] > 0
    assert set(run["api"]["server_timing_ms"]) == {"summary", "hierarchy", "transfers", "budgets"}
    assert [goal["figure"] for goal in run["goals"]] == [
        "FCP cold, fresh server",
        "FCP cold, new month",
        "FCP warm",
        "drill: parent click → categories",
        "drill: category click → rows",
        "edit → grand total",
        "cold transfer",
    ]
    text = (out / "web.md").read_text()
    assert "## sqlite, 10k (10,800 rows in the household)" in text
    assert "| FCP warm | ≤ 200 ms |" in text
    assert "| the four API hits, summed |" in text
