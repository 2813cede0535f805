"""Every runtime knob of foyer, read from the environment (and `.env`), in one place.

Each field documents itself; `docs/CONFIGURATION.md` is generated from the same text
by hand and must stay in sync (tests/db/test_settings.py checks that every field is named there).
"""

from __future__ import annotations

from functools import cached_property
from pathlib import Path
from typing import Literal, Self

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """foyer's settings; environment variables are the field names prefixed with FOYER_."""

    model_config = SettingsConfigDict(
        env_prefix="FOYER_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    database_url: str = Field(
        default="sqlite:///./foyer.db",
        description="SQLAlchemy URL. sqlite:///path (embedded default) or postgresql://user@host/db.",
    )
    redis_url: str | None = Field(
        default=None,
        description="Redis URL for state shared between processes (login rate limits, the L2 "
        "response cache). Unset: kept in-process.",
    )
    secret_key: str | None = Field(
        default=None,
        description="Signs bearer tokens and pagination cursors. Unset: read from the key file "
        "(FOYER_SECRET_KEY_FILE, or `<database file>.key` beside a SQLite database), generated "
        "into it (mode 0600) when absent; never a built-in default, never in the database.",
    )
    secret_key_file: Path | None = Field(
        default=None,
        description="The signing key's file when FOYER_SECRET_KEY is unset; created (0600) with "
        "a new key when absent. Unset: `<database file>.key` with SQLite; with PostgreSQL one "
        "of the two is required.",
    )
    reader: Literal["optimized", "reference"] = Field(
        default="optimized",
        description="Dashboard read path (the `DashboardReader`): `optimized` reads the "
        "aggregates; `reference` recomputes from raw rows (oracle, baseline). Named "
        "FOYER_ENGINE before 0.2. The default of the `engine` feature flag (optimized: 100 "
        "%, reference: 0 %), which operators can change at run time; a failed optimized "
        "read is answered by the reference reader.",
    )
    engine: str | None = Field(
        default=None,
        description="Renamed FOYER_READER in 0.2. Setting it is an error, so a deployment "
        "that set it never silently changes read path.",
    )
    cache: Literal["on", "off"] = Field(
        default="on", description="Response cache (L1 in-process, L2 Redis) on or off."
    )
    fast_hits: Literal["on", "off"] = Field(
        default="on",
        description="Answer the cached views' GETs (304s, hits, and misses computed on the "
        "threadpool) before FastAPI routing (foyer/api/fastpath.py); off: every request goes "
        "through its route. The "
        "default of the `fast_path` feature flag (on: 100 %, off: 0 %), which operators "
        "can change at run time.",
    )
    stamp_feed: Literal["on", "off"] = Field(
        default="on",
        description="PostgreSQL: keep the data stamps in memory, pushed by PostgreSQL "
        "(LISTEN/NOTIFY, foyer/cache/feed.py), so a cache hit waits for one fence shared "
        "by concurrent hits instead of a query of its own; off: every hit reads them. "
        "No effect on SQLite.",
    )
    stamp_feed_url: str | None = Field(
        default=None,
        description="PostgreSQL: where the stamp feed connects (a libpq URL), when it must "
        "not be FOYER_DATABASE_URL — e.g. the database directly while the main pool goes "
        "through PgBouncer in transaction pooling, which cannot carry LISTEN (docs/SCALING.md,"
        " 'PgBouncer, or not'). It must reach the same database: the feed checks, and stays "
        "off (hits read their stamps) when it does not. Unset: FOYER_DATABASE_URL.",
    )
    stamp_feed_households: int = Field(
        default=20_000,
        ge=1,
        description="PostgreSQL: households whose data stamps each process keeps in memory "
        "(least recently used dropped first; a dropped one's next hit reads them).",
    )
    flags_refresh_seconds: float = Field(
        default=5.0,
        ge=0,
        description="How often each process reads the feature flags operators set again "
        "(`PUT /api/v1/monitoring/flags/{name}`): another process's change takes effect "
        "within this; the process that makes it uses it at once.",
    )
    cache_l1_bytes: int = Field(
        default=16 * 1024 * 1024,
        ge=64 * 1024,
        description="Memory budget of each process's L1 cache (LRU), counting each response, "
        "its gzipped copy and 256 bytes for its key and bookkeeping; a response larger than a "
        "sixteenth of it is served but not kept in L1 (Redis still keeps it).",
    )
    cache_l1_entries: int | None = Field(
        default=None,
        description="Replaced by FOYER_CACHE_L1_BYTES (L1 is bounded by bytes): "
        "setting it is an error, so a deployment that tuned it notices.",
    )
    cache_ttl_seconds: int = Field(
        default=86_400, ge=1, description="Lifetime of a response in the Redis (L2) cache."
    )
    cache_warm_households: int = Field(
        default=20,
        ge=0,
        description="At start-up, warm the cache for this many households active this "
        "month or last (0: none).",
    )
    cache_warm_recent: int = Field(
        default=32,
        ge=0,
        description="After a write, recompute in the background the views each household "
        "computed recently (at most this many per household) that the write changed; 0: "
        "only the current and previous month's summary, slim summary and hierarchy.",
    )
    redis_timeout_ms: int = Field(
        default=50,
        ge=1,
        description="Redis connect and answer timeout of the cache; past it the request "
        "is served from L1 and the database.",
    )
    token_ttl_minutes: int = Field(
        default=60 * 12,
        ge=1,
        description="Bearer token (and web session) lifetime. Tokens issued for longer, before "
        "it was shortened, are refused.",
    )
    token_revocation_refresh_seconds: float = Field(
        default=5.0,
        gt=0,
        description="How often each process re-reads the revoked tokens (logouts, password "
        "changes) from the database: a token revoked through another process is refused here "
        "within this delay, at once in the process that revoked it.",
    )
    login_rate_limit: str = Field(
        default="5/minute",
        description="Failed logins (and password changes) allowed per account and client "
        "address, moving window (limits syntax); a success clears them.",
    )
    login_address_rate_limit: str = Field(
        default="20/minute",
        description="Login attempts allowed per client address, whatever the account, "
        "successes included (limits syntax).",
    )
    login_hash_concurrency: int | None = Field(
        default=None,
        ge=1,
        description="Password checks (argon2) run at once by a process; a login finding none "
        "free answers 503 with Retry-After at once. Unset: the number of CPU cores.",
    )
    login_redis_timeout_ms: int = Field(
        default=500,
        ge=1,
        description="Connect and answer timeout of the login throttle's Redis client; past it "
        "logins answer 503.",
    )
    max_body_bytes: int = Field(
        default=1024 * 1024,
        ge=1024,
        description="Requests with a larger body get 413, except the bulk insert and the bank "
        "file uploads from a caller whose token verifies (FOYER_BULK_MAX_BYTES, "
        "FOYER_IMPORT_MAX_BYTES).",
    )
    bulk_max_bytes: int = Field(
        default=16 * 1024 * 1024,
        ge=1024,
        description="Largest body `POST /api/v1/transactions/bulk` (up to 10,000 items) "
        "accepts from a caller whose bearer token verifies; 413 above.",
    )
    import_max_bytes: int = Field(
        default=20 * 1024 * 1024,
        ge=1024,
        description="Largest bank file `POST /api/v1/imports` (and the web page's upload) "
        "accepts (413 above); those routes take request bodies over FOYER_MAX_BODY_BYTES, up "
        "to this plus 64 KiB of multipart framing, from a caller whose token verifies.",
    )
    db_pool_size: int = Field(default=10, ge=1, description="PostgreSQL connection pool size.")
    db_max_overflow: int = Field(default=10, ge=0, description="Extra PostgreSQL connections.")
    db_statement_timeout_ms: int = Field(
        default=30_000,
        ge=0,
        description="PostgreSQL statement_timeout of the API's statements: one running longer "
        "is cancelled and the request answers 503. 0: none.",
    )
    db_job_statement_timeout_ms: int = Field(
        default=600_000,
        ge=0,
        description="PostgreSQL statement_timeout of jobs' statements (aggregate rebuilds, "
        "import commits, rules applied), which may legitimately run long. 0: none.",
    )
    log_level: str = Field(default="INFO", description="Log level of the foyer logger.")
    log_format: Literal["json", "console"] = Field(
        default="json",
        description="Log lines of `foyer serve` and `foyer worker`: `json` (one object a line, "
        "for a log collector) or `console` (aligned text for a person at a terminal).",
    )
    access_log: Literal["on", "off"] = Field(
        default="on",
        description="One INFO line per HTTP request (route template, status, duration, "
        "household id, correlation id); shown when FOYER_LOG_LEVEL is INFO or DEBUG.",
    )
    otel_endpoint: str | None = Field(
        default=None,
        description="OpenTelemetry collector (OTLP over HTTP, e.g. http://collector:4318): "
        "traces of requests, SQL statements and Redis calls are sent there. Needs the `otel` "
        "extra. Unset: no tracing, nothing of OpenTelemetry imported.",
    )
    monitoring: Literal["on", "off"] = Field(
        default="on",
        description="Request metrics per route, the query monitor, the sliding window behind "
        "/api/v1/monitoring, alerts and the access log; off: none of them (what they cost is "
        "measured against off in docs/PERFORMANCE.md).",
    )
    slow_query_ms: float = Field(
        default=100.0,
        gt=0,
        description="Statements slower than this are counted, kept with their plan for "
        "/api/v1/monitoring/performance and logged.",
    )
    query_repeat_threshold: int = Field(
        default=10,
        ge=2,
        description="A request running one statement shape this many times or more is logged "
        "and counted as an N+1 suspect.",
    )
    metrics_token: str | None = Field(
        default=None,
        description="When set, GET /metrics needs `Authorization: Bearer <token>`; unset, it "
        "answers only clients on the loopback address (a scraper on the same machine).",
    )
    monitor_window_seconds: float = Field(
        default=300.0,
        gt=0,
        description="The sliding window of /api/v1/monitoring/performance and of the alerts: "
        "latency per route, error rate, cache hit rate and memory growth over this many "
        "seconds (per process).",
    )
    alert_interval_seconds: float = Field(
        default=15.0,
        gt=0,
        description="How often the monitor samples the cache counters and memory and "
        "evaluates the alert rules.",
    )
    alert_route_p95_ms: float = Field(
        default=250.0, gt=0, description="Alert when a route's p95 over the window exceeds this."
    )
    alert_error_rate: float = Field(
        default=0.05,
        ge=0,
        le=1,
        description="Alert when the share of 5xx answers (per route, and of all routes) over "
        "the window exceeds this.",
    )
    alert_hit_rate_min: float = Field(
        default=0.5,
        ge=0,
        le=1,
        description="Alert when a cached view's hit rate (L1 or L2) over the window falls "
        "below this.",
    )
    alert_rss_growth_pct: float = Field(
        default=50.0,
        gt=0,
        description="Alert when the process's resident memory grows by more than this "
        "percentage over the window.",
    )
    alert_min_samples: int = Field(
        default=50,
        ge=1,
        description="Requests (per route) or cache lookups (per view) the window must hold "
        "before the latency, error-rate and hit-rate rules judge them.",
    )
    alert_webhook_url: str | None = Field(
        default=None,
        pattern=r"^https?://\S+$",
        description="Alerts firing and resolving are POSTed here as JSON (retried, behind a "
        "circuit breaker, off the request path). Unset: the log only.",
    )
    alert_webhook_timeout_seconds: float = Field(
        default=5.0, gt=0, description="Timeout of one webhook attempt (connect, send, read)."
    )
    queue: Literal["sqlite", "redis", "immediate"] = Field(
        default="sqlite",
        description="Job queue broker (huey): `sqlite` (a file, nothing to start), `redis` "
        "(FOYER_REDIS_URL; workers on any machine) or `immediate` (jobs run inside the call "
        "that enqueues them: tests).",
    )
    queue_path: Path | None = Field(
        default=None,
        description="The huey SQLite file of FOYER_QUEUE=sqlite. Unset: `<database>-queue.db` "
        "beside a SQLite database, `./foyer-queue.db` with PostgreSQL.",
    )
    queue_name: str = Field(
        default="foyer",
        pattern=r"^[A-Za-z0-9_.-]{1,64}$",
        description="The queue's name in its broker (Redis keys `huey.*.<name>`).",
    )
    worker_embedded: Literal["on", "off"] = Field(
        default="on",
        description="Run a job consumer inside each API process (`off` when `foyer worker` "
        "processes do the work).",
    )
    worker_threads: int = Field(
        default=1, ge=1, description="Job consumer threads of an API process or `foyer worker`."
    )
    job_max_attempts: int = Field(
        default=3, ge=1, description="Runs of a failing job before it is marked failed."
    )
    job_retry_delay_seconds: float = Field(
        default=10.0,
        ge=0,
        description="Delay before a failed job's first retry; doubles at each attempt, "
        "with jitter (0: retry at once).",
    )
    job_lease_seconds: float = Field(
        default=300.0,
        gt=0,
        description="A job's lease: a running job's worker renews it every third of this; a "
        "job whose worker stops renewing (killed, machine gone), or that no worker claims, is "
        "sent again once it passes (checked every minute).",
    )
    import_preview_retention_days: int = Field(
        default=7,
        ge=1,
        description="Import previews never committed are deleted after this many days, with "
        "their file (a daily periodic task).",
    )
    job_retention_days: int = Field(
        default=30,
        ge=1,
        description="Finished jobs older than this are deleted (a daily periodic task).",
    )
    write_quota: str = Field(
        default="200000/hour",
        description="Rows one household may write per window (limits syntax): a bulk insert "
        "counts its items, an import commit its new rows, a split its parts, any other "
        "change to transactions 1; 429 past it. `0` or empty: no quota.",
    )
    api_docs: Literal["on", "off"] = Field(
        default="on",
        description="Serve /docs, /redoc and /openapi.json; production deployments should "
        "turn it off.",
    )
    bench_ceiling_dir: Path | None = Field(
        default=None,
        description="Benchmark servers only: serve /bench/ceiling/{key} from this folder.",
    )

    @field_validator("database_url")
    @classmethod
    def _normalise_url(cls, value: str) -> str:
        # Users write the URL their tools know; SQLAlchemy needs the driver spelled out.
        if value.startswith("postgres://"):
            value = "postgresql://" + value.removeprefix("postgres://")
        if value.startswith("postgresql://"):
            value = "postgresql+psycopg://" + value.removeprefix("postgresql://")
        if not value.startswith(("sqlite://", "postgresql+psycopg://")):
            raise ValueError("FOYER_DATABASE_URL must be a sqlite:// or postgresql:// URL")
        return value

    @field_validator("engine")
    @classmethod
    def _renamed(cls, value: str | None) -> None:
        if value is not None:
            raise ValueError(f"FOYER_ENGINE was renamed in 0.2: set FOYER_READER={value} instead")

    @field_validator("cache_l1_entries")
    @classmethod
    def _l1_by_bytes(cls, value: int | None) -> None:
        if value is not None:
            raise ValueError(
                "FOYER_CACHE_L1_ENTRIES was replaced: L1 is bounded by bytes now, set "
                "FOYER_CACHE_L1_BYTES instead (default 16 MiB)"
            )

    @field_validator("write_quota")
    @classmethod
    def _quota_syntax(cls, value: str) -> str:
        value = value.strip()
        if value not in ("", "0"):
            from limits import parse  # noqa: PLC0415 (importing limits costs the CLI ~90 ms)

            try:
                amount = parse(value).amount
            except ValueError as exc:
                raise ValueError(f"FOYER_WRITE_QUOTA: {exc}") from None
            if amount < 1:
                raise ValueError("FOYER_WRITE_QUOTA: write `0` for no quota, not 0 rows")
        return value

    @field_validator("secret_key")
    @classmethod
    def _strong_secret(cls, value: str | None) -> str | None:
        if value is not None and len(value.encode()) < 32:
            raise ValueError("FOYER_SECRET_KEY must be at least 32 bytes (HS256 key length)")
        return value

    @model_validator(mode="after")
    def _queue_needs_redis(self) -> Self:
        if self.queue == "redis" and not self.redis_url:
            raise ValueError("FOYER_QUEUE=redis needs FOYER_REDIS_URL")
        return self

    @cached_property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @cached_property
    def sqlite_path(self) -> Path | None:
        """The database file for sqlite:///path URLs (None for PostgreSQL and :memory:)."""
        if not self.is_sqlite:
            return None
        path = self.database_url.split(":///", 1)[-1].split("?", 1)[0]
        if path in ("", ":memory:"):
            return None
        return Path(path)

    @cached_property
    def secret_key_path(self) -> Path | None:
        """The signing key's file (FOYER_SECRET_KEY unset): FOYER_SECRET_KEY_FILE, else
        `<database file>.key` beside a SQLite file; None otherwise (foyer.auth.keys)."""
        if self.secret_key_file is not None:
            return self.secret_key_file
        if self.sqlite_path is not None:
            return self.sqlite_path.with_name(f"{self.sqlite_path.name}.key")
        return None

    @cached_property
    def queue_file(self) -> Path:
        """The huey SQLite file of FOYER_QUEUE=sqlite."""
        if self.queue_path is not None:
            return self.queue_path
        if self.sqlite_path is not None:
            return self.sqlite_path.with_name(f"{self.sqlite_path.stem}-queue.db")
        return Path("foyer-queue.db")
