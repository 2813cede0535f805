"""SQLite: a cache hit trusts the stamps it read earlier only while nothing was committed
to the file since (`PRAGMA data_version`, foyer.cache.loop.LoopStamps._read_sqlite) —
a commit by another app on the same file, as a second process would make, is seen by the
very next hit."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from foyer.app import create_app
from foyer.bench.server import BENCH_SECRET
from foyer.cache import loop
from foyer.settings import Settings
from tests.factories import make_transaction
from tests.faults.harness import make_households, migrate

MONTH = "2025-06"


def _app(database_url: str) -> Any:
    return create_app(
        Settings(
            database_url=database_url,
            secret_key=BENCH_SECRET,
            queue="immediate",
            cache_warm_households=0,
            _env_file=None,
        )
    )


def test_stamps_are_read_again_only_after_a_commit_from_any_connection(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    database_url = f"sqlite:///{tmp_path / 'foyer.db'}"
    migrate(database_url)
    (household,) = make_households(database_url, 1)
    reads: list[int] = []
    real = loop.stamps.read_dbapi

    def counted(*args: Any) -> dict[str, int]:
        reads.append(1)
        return real(*args)

    monkeypatch.setattr(loop.stamps, "read_dbapi", counted)
    reader, writer = _app(database_url), _app(database_url)  # two "processes" on one file
    params = {"month": MONTH}
    with (
        TestClient(reader, headers=household.headers) as one,
        TestClient(writer, headers=household.headers) as other,
    ):
        assert one.get("/api/v1/dashboard/summary", params=params).json()["variable"]["count"] == 0
        before = len(reads)
        for _ in range(5):  # nothing committed meanwhile: no stamp read at all
            summary = one.get("/api/v1/dashboard/summary", params=params)
            assert summary.json()["variable"]["count"] == 0
        assert len(reads) == before
        for count in (1, 2, 3):  # each commit by the other app is in the next hit
            created = other.post("/api/v1/transactions", json=make_transaction(date=f"{MONTH}-02"))
            assert created.status_code == 201
            summary = one.get("/api/v1/dashboard/summary", params=params)
            assert summary.json()["variable"]["count"] == count
        assert len(reads) > before
    # The reader stopped (its connection closed) and started again: a data_version of the
    # new connection says nothing of the stamps the old one read (both may well be 2).
    with TestClient(reader, headers=household.headers) as one:  # reads, sees no commit
        assert one.get("/api/v1/dashboard/summary", params=params).json()["variable"]["count"] == 3
    with TestClient(writer, headers=household.headers) as other:
        created = other.post("/api/v1/transactions", json=make_transaction(date=f"{MONTH}-03"))
        assert created.status_code == 201
    with TestClient(reader, headers=household.headers) as one:
        summary = one.get("/api/v1/dashboard/summary", params=params)
        assert summary.json()["variable"]["count"] == 4
