"""The scale-out measurements' arithmetic (foyer/bench/tenancy_report.py, workers.py,
capacity_run.py): medians over rounds, the ratios the goals are judged by, and errors
counted from every phase. Figures here are made up; what is checked is what is done
with them."""

from __future__ import annotations

from typing import Any

import pytest

from foyer.bench import capacity_run, tenancy_report, workers


def _cell(phase: str, side: str, round_no: int, rps: float, p50: float, errors: int = 0) -> Any:
    return {
        "phase": phase,
        "view": "summary",
        "concurrency": 10,
        "side": side,
        "round": round_no,
        "throughput_rps": rps,
        "p50": p50,
        "p95": 2 * p50,
        "p99": 3 * p50,
        "requests": int(rps * 5),
        "errors": errors,
        "cpu_percent": 90.0,
        "hit_rate": 1.0 if phase == "warm" else None,
    }


def _data(**freshness: Any) -> dict[str, Any]:
    cells = [
        _cell("warm", "one", 0, 1_000, 1.0),
        _cell("warm", "one", 1, 1_200, 1.2),
        _cell("warm", "one", 2, 900, 50.0),  # a noisy round: the median ignores it
        _cell("warm", "many", 0, 800, 1.5),
        _cell("warm", "many", 1, 1_000, 1.3),
        _cell("warm", "many", 2, 1_100, 1.4, errors=2),
    ]
    first = [
        {"view": "summary", "side": "one", "reads": 12, "p50": 4.0, "p95": 5.0, "errors": 0},
        {"view": "summary", "side": "many", "reads": 200, "p50": 3.0, "p95": 6.0, "errors": 1},
    ]
    for row in first:
        row["hit_rate"] = 0.0
    return {
        "plan": {"sample": 200, "rounds": 3, "seconds": 5.0, "redis_url": None},
        "datasets": {
            "one": {"kind": "hh1", "rows": 504, "households": 1},
            "many": {"kind": "hh10k", "rows": 5_040_000, "households": 10_000},
        },
        "seconds": 60.0,
        "cells": cells,
        "first_reads": first,
        "direct": [
            {"view": "summary", "side": side, "pass": 0, "calls": 200, "p50": p50, "p95": p95}
            for side, p50, p95 in (("one", 2.0, 4.0), ("many", 2.5, 4.0))
        ],
        "freshness": {"pairs": 3, "stale": [], "errors": [], "writes": {}, **freshness},
    }


def test_tenancy_ratios_are_many_over_one_of_the_medians() -> None:
    data = _data()
    by_phase = {row["phase"]: row for row in tenancy_report.ratios(data)}

    assert by_phase["warm"]["p50_ratio"] == pytest.approx(1.4 / 1.2)
    assert by_phase["warm"]["throughput_ratio"] == pytest.approx(1_000 / 1_000)
    assert by_phase["first read"]["p50_ratio"] == pytest.approx(3.0 / 4.0)
    assert by_phase["direct, pass 1"]["p50_ratio"] == pytest.approx(1.25)
    assert by_phase["direct, pass 1"]["p95_ratio"] == pytest.approx(1.0)
    report = tenancy_report.markdown(data, "foyer scale households")
    assert "**1.17**" in report  # the warm p50 ratio, bold as the goal is judged on it
    assert "| summary | 1 | 200 | 2.00 / 4.00 | 2.50 / 4.00 | **1.25** | 1.00 |" in report
    assert "worst p50 ratio many / one: **1.25**" in report


def test_tenancy_errors_count_every_phase() -> None:
    assert tenancy_report.errors(_data()) == 3  # wrk's 2, the first reads' 1
    assert tenancy_report.errors(_data(errors=["pair 4: 500"])) == 4
    assert "**1 stale**" in tenancy_report.markdown(_data(stale=["pair 1"]), "c")


def _bench_row(target: str, scenario: str, round_no: int, rps: float) -> dict[str, Any]:
    return {
        "size": "10k",
        "scenario": scenario,
        "concurrency": 25,
        "target": target,
        "round": round_no,
        "requests": int(rps),
        "errors": 0,
        "throughput_rps": rps,
        "latency_ms": {"p50": 10_000 / rps, "p95": 20_000 / rps, "p99": 1.0, "max": 1.0},
        "server": {"rss_mb": 100.0, "cpu_percent": rps / 50},
        "cache_hit_rate": None,
        "hit_server_p95_ms": None,
    }


def test_workers_scaling_sets_each_server_against_one_worker() -> None:
    results = [
        _bench_row("w1", "summary", 0, 4_000),
        _bench_row("w1", "summary", 1, 4_400),
        _bench_row("w2", "summary", 0, 7_600),
        _bench_row("w2", "summary", 1, 8_000),
        _bench_row("w1", "mixed", 0, 300),
        _bench_row("w2", "mixed", 0, 450),
    ]
    rows = {row["scenario"]: row for row in workers.scaling(results)}

    assert set(rows) == {"summary", "mixed"}  # w1 is the base, never a row of its own
    assert rows["summary"]["throughput_ratio"] == pytest.approx(7_800 / 4_200)
    assert rows["summary"]["goal"] == 1.8
    assert rows["mixed"]["throughput_ratio"] == pytest.approx(1.5)
    assert rows["mixed"]["p50_ratio"] == pytest.approx(300 / 450)
    assert "| mixed | 25 | 300 | 450 | **1.50** | ≥ 1.6 |" in workers.markdown(
        {"scaling": list(rows.values())}, "c"
    )


def test_capacity_report_turns_cpu_seconds_into_requests_per_core() -> None:
    cell = {
        "kind": "hit",
        "concurrency": 10,
        "throughput_rps": 3_000.0,
        "p50": 2.0,
        "p95": 4.0,
        "api_cpu_percent": 60.0,
        "db_cpu_percent": 5.0,
        "api_cpu_ms": 0.2,
        "db_cpu_ms": 0.01,
        "per_api_core": 5_000.0,
        "per_db_core": 100_000.0,
        "errors": 0,
    }
    data = {"storage": {}, "cpu": [cell, {**cell, "api_cpu_ms": 0.4, "per_api_core": 2_500.0}]}
    data["seconds"] = 1.0
    report = capacity_run.markdown(data, "c")
    assert "| hit | 10 | 3,000 | 2.00 | 4.00 | 60 | 5 | 0.300 | 0.010 | 3,750 | 100,000 | 0 |" in (
        report
    )
