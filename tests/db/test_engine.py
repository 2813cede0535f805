"""foyer's engine (foyer.db.engine): the connection settings every SQLite connection gets,
and `Database.optimize`'s interval."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine

from foyer.db.engine import Database
from tests.helpers import engine_for


def test_sqlite_connections_get_the_pragmas(tmp_path: Path) -> None:
    engine = engine_for(f"sqlite:///{tmp_path / 'p.db'}")
    with engine.connect() as conn:
        pragma = lambda name: conn.exec_driver_sql(f"PRAGMA {name}").scalar()  # noqa: E731
        assert pragma("journal_mode") == "wal"
        assert pragma("foreign_keys") == 1
        assert pragma("busy_timeout") == 10000
        assert pragma("synchronous") == 1  # NORMAL
    engine.dispose()


def test_optimize_runs_at_most_once_within_its_interval(engine: Engine) -> None:
    database = Database(engine)
    assert database.optimize(unless_within=600) is True
    assert database.optimize(unless_within=600) is False  # a file imported right after
    assert database.optimize() is True  # housekeeping: always
