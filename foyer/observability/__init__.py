"""What foyer tells about itself while it runs, and what operators change at run time.

- `requests.py` — the request observer (outermost of foyer's middleware): per-route metrics,
  the sliding window, N+1 checks, the access log; `context.py` — what one request is.
- `metrics.py` — Prometheus (per app registry; multiprocess with `serve --workers N`).
- `queries.py` — the query monitor: statement timing, slow statements with plans, N+1.
- `window.py`, `trends.py`, `monitor.py` — the recent past (latency, hit rates, memory);
  `alerts.py`, `webhook.py` — thresholds judged on it, delivered with retry and a breaker.
- `logs.py`, `redaction.py` — JSON log lines with the correlation id, secrets masked;
  `tracing.py` — OpenTelemetry when FOYER_OTEL_ENDPOINT is set.
- `flags.py` — feature flags per household; `memory.py` — operators' tracemalloc diffs.
"""
