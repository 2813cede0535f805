"""`foyer bench --soak` (foyer/bench/soak.py): its verdict, and the mode itself run at the
smallest size (2 clients, a few seconds) so it cannot rot. The full soak (50 clients × 10
minutes) runs outside CI; its figures are in docs/PERFORMANCE.md. No timing is asserted.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import orjson
import pytest
from typer.testing import CliRunner

from foyer.bench.soak import Sample, SoakPlan, flatness, verdict
from foyer.cli import app


def _samples(rss: list[float], fds: list[int]) -> list[Sample]:
    return [
        Sample(
            t=10.0 * i,
            rss_mib=r,
            heap_mib=r / 2,
            fds=f,
            requests=100 * i,
            errors=0,
            cpu_seconds=float(i),
        )
        for i, (r, f) in enumerate(zip(rss, fds, strict=True))
    ]


def test_flat_means_every_sample_within_the_tolerance_of_the_first() -> None:
    assert flatness([100.0, 104.0, 95.0, 109.9], 0.10)["flat"]
    climbing = flatness([100.0, 104.0, 108.0, 112.0], 0.10)
    assert not climbing["flat"]
    assert climbing["max_deviation"] == pytest.approx(0.12)
    assert not flatness([], 0.10)["flat"]  # nothing after the warm-up proves nothing


def test_verdict_skips_the_warm_up_and_needs_zero_errors() -> None:
    plan = SoakPlan(warmup_seconds=20.0)
    # A steep warm-up (0-10 s) then flat: passed.
    samples = _samples([50.0, 80.0, 100.0, 101.0, 103.0], [10, 30, 40, 40, 41])
    judged = verdict(samples, Counter({"200": 500}), plan)
    assert (judged["rss"]["samples"], judged["rss"]["first"]) == (3, 100.0)
    assert judged["passed"]
    # One 500 among them: failed, whatever the memory did.
    assert not verdict(samples, Counter({"200": 499, "500": 1}), plan)["passed"]
    # A request without an answer counts as an error too.
    assert not verdict(samples, Counter({"200": 499, "ReadTimeout": 1}), plan)["passed"]
    # Open files climbing after the warm-up: failed.
    leaking = _samples([50.0, 80.0, 100.0, 101.0, 103.0], [10, 30, 40, 46, 52])
    assert not verdict(leaking, Counter({"200": 500}), plan)["passed"]


def test_soak_mode_runs_end_to_end(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("FOYER_BENCH_CACHE", str(tmp_path / "datasets"))  # built here (~3 s)
    out = tmp_path / "soak"
    args = ["bench", "--soak", "--clients", "2", "--minutes", "0.05", "--warmup", "1"]
    result = CliRunner().invoke(app, [*args, "--sizes", "10k", "--out", str(out)])
    data = orjson.loads((out / "soak.json").read_bytes())
    judged = data["verdict"]
    # The exit status is the verdict's (a flatness over 3 s is noise: not asserted).
    assert result.exit_code == (0 if judged["passed"] else 1), result.output
    assert judged["errors"] == 0, data["errors_kept"]
    assert data["totals"]["requests"] > 0
    assert all(status.isdigit() and int(status) < 400 for status in data["totals"]["answers"])
    samples = data["samples"]
    assert len(samples) >= 3
    assert [s["t"] for s in samples] == sorted(s["t"] for s in samples)
    assert all(s["rss_mib"] > 0 and s["fds"] > 0 for s in samples)
    assert 0 < samples[-1]["requests"] <= data["totals"]["requests"]
    assert judged["rss"]["samples"] == sum(1 for s in samples if s["t"] >= 1)
    text = (out / "soak.md").read_text()
    assert text.startswith("# Soak")
    assert text.count("\n| ") == len(samples) + 1  # the header, then one row per sample
