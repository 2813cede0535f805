"""Batched histograms (foyer.observability.metrics.BatchedHistogram): what a scrape shows
is exactly what prometheus-client's own `observe`, value by value, would have shown."""

from __future__ import annotations

import threading

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from prometheus_client import CollectorRegistry, Histogram, generate_latest

from foyer.observability import metrics as metrics_module
from foyer.observability.metrics import FOLD_AT, BatchedHistogram, Metrics

BUCKETS = (0.001, 0.01, 0.1, 1.0)

#: Values on and around every bound (the `<=` rule), below the first and past the last.
values = st.lists(
    st.one_of(
        st.sampled_from([0.0, *BUCKETS, 0.0009999, 0.0010001, 2.5, 1e9]),
        st.floats(min_value=0, max_value=10, allow_nan=False),
    ),
    max_size=300,
)


def _pair() -> tuple[CollectorRegistry, Histogram, CollectorRegistry, Histogram]:
    one, two = CollectorRegistry(), CollectorRegistry()
    direct = Histogram("h", "h", ["route"], buckets=BUCKETS, registry=one)
    batched = Histogram("h", "h", ["route"], buckets=BUCKETS, registry=two)
    return one, direct, two, batched


def _text(registry: CollectorRegistry) -> list[str]:
    # Without the `_created` lines: the two histograms were made at different instants.
    return [
        line for line in generate_latest(registry).decode().splitlines() if "_created" not in line
    ]


@settings(max_examples=200, deadline=None)
@given(values)
def test_a_folded_histogram_reads_as_one_observed_value_by_value(observed: list[float]) -> None:
    one, direct, two, histogram = _pair()
    batched = BatchedHistogram(histogram.labels("/r"))
    child = direct.labels("/r")
    for value in observed:
        child.observe(value)
        batched.observe(value)
    batched.fold()
    assert _text(one) == _text(two)


def test_a_busy_histogram_folds_itself_and_the_registry_folds_the_rest() -> None:
    metrics = Metrics()
    timer = metrics.request_timer("GET", "/api/v1/x", 200, True)
    for _ in range(FOLD_AT + 5):
        timer.observe(0.0002)
    labels = {"method": "GET", "route": "/api/v1/x", "status": "200", "handler": "fast"}
    # FOLD_AT folded by the observations themselves; the last 5 by the read.
    assert metrics.registry.get_sample_value("foyer_request_seconds_count", labels) == FOLD_AT + 5
    assert b"foyer_request_seconds_count{" in metrics.exposition()


def test_threads_observing_while_another_folds_lose_nothing() -> None:
    metrics = Metrics()
    timer = metrics.view_timer("summary", "hit")
    per_thread, threads = 20_000, 4

    def observe() -> None:
        for _ in range(per_thread):
            timer.observe(0.0001)

    workers = [threading.Thread(target=observe) for _ in range(threads)]
    for worker in workers:
        worker.start()
    while any(worker.is_alive() for worker in workers):
        metrics.fold()
    labels = {"view": "summary", "outcome": "hit"}
    total = metrics.registry.get_sample_value("foyer_view_seconds_count", labels)
    assert total == per_thread * threads


def test_multiprocess_mode_observes_directly(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(metrics_module, "multiprocess_dir", lambda: "/nowhere")
    metrics = Metrics()
    child = metrics.view_seconds.labels("summary", "hit")
    assert metrics.batched(child) is child
