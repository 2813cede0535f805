"""foyer's engine (foyer.db.engine): the connection settings every SQLite connection gets."""

from __future__ import annotations

from pathlib import Path

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
