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
        description="Signs bearer tokens and pagination cursors. Unset: generated once and stored "
        "in the database (table instance_secret), never a built-in default.",
    )
    reader: Literal["optimized", "reference"] = Field(
        default="optimized",
        description="Dashboard read path (the `DashboardReader`): `optimized` reads the "
        "aggregates; `reference` recomputes from raw rows (oracle, baseline). Named "
        "FOYER_ENGINE before 0.2.",
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
        description="Answer cache hits and 304s of the dashboard's hot GETs before FastAPI "
        "routing (foyer/api/fastpath.py); off: every request goes through its route.",
    )
    cache_l1_entries: int = Field(
        default=4096, ge=1, description="Responses kept in each process's L1 cache (LRU)."
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
    token_ttl_minutes: int = Field(default=60 * 24 * 7, ge=1, description="Bearer token lifetime.")
    login_rate_limit: str = Field(
        default="5/minute",
        description="Failed logins allowed per email and client address (limits syntax).",
    )
    max_body_bytes: int = Field(
        default=16 * 1024 * 1024, ge=1024, description="Requests with a larger body get 413."
    )
    import_max_bytes: int = Field(
        default=20 * 1024 * 1024,
        ge=1024,
        description="Largest bank file `POST /api/v1/imports` accepts (413 above); that route "
        "alone takes request bodies over FOYER_MAX_BODY_BYTES, up to this plus 64 KiB of "
        "multipart framing.",
    )
    db_pool_size: int = Field(default=10, ge=1, description="PostgreSQL connection pool size.")
    db_max_overflow: int = Field(default=10, ge=0, description="Extra PostgreSQL connections.")
    log_level: str = Field(default="INFO", description="Log level of the foyer logger.")
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
    def queue_file(self) -> Path:
        """The huey SQLite file of FOYER_QUEUE=sqlite."""
        if self.queue_path is not None:
            return self.queue_path
        if self.sqlite_path is not None:
            return self.sqlite_path.with_name(f"{self.sqlite_path.stem}-queue.db")
        return Path("foyer-queue.db")
