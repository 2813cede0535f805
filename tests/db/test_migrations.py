"""Alembic migrations: upgrade and downgrade both work, and head matches foyer.db.schema."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Connection, Engine, inspect, select, text

from foyer.app import SchemaOutOfDateError, check_schema
from foyer.db.migrate import current_heads, downgrade, upgrade
from foyer.db.schema import agg_month, metadata
from foyer.services import aggregates
from tests.helpers import engine_for

NOW = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
DESC_INDEXES = ("ix_agg_tag_top", "ix_agg_label_top")


@pytest.fixture
def scratch_engine(scratch_url: str) -> Iterator[Engine]:
    """An engine on an empty, unmigrated database (not the suite's migrated one)."""
    engine = engine_for(scratch_url)
    yield engine
    engine.dispose()


def insert_household(conn: Connection, household_id: int) -> None:
    """A household row as any schema version has it (raw SQL: no foyer code of today)."""
    conn.execute(
        text("INSERT INTO household (id, name, created_at) VALUES (:id, 'h', :now)"),
        {"id": household_id, "now": NOW},
    )


def test_upgrade_matches_schema_and_downgrade_removes_everything(scratch_engine: Engine) -> None:
    with pytest.raises(SchemaOutOfDateError, match="foyer migrate"):
        check_schema(scratch_engine)
    upgrade(scratch_engine)
    check_schema(scratch_engine)
    with scratch_engine.connect() as conn:
        diff = compare_metadata(
            MigrationContext.configure(conn, opts={"compare_type": True}), metadata
        )
        # Alembic cannot compare indexes with a DESC column; their DDL is checked instead.
        diff = [d for d in diff if getattr(d[1], "name", None) not in DESC_INDEXES]
        for name in DESC_INDEXES:
            ddl = conn.exec_driver_sql(
                "SELECT sql FROM sqlite_master WHERE name = ?"
                if conn.dialect.name == "sqlite"
                else "SELECT indexdef FROM pg_indexes WHERE indexname = %s",
                (name,),
            ).scalar_one()
            assert "total_cents DESC" in ddl, ddl
    assert diff == [], f"migrations and foyer/db/schema/ disagree: {diff}"
    assert set(metadata.tables) <= set(inspect(scratch_engine).get_table_names())

    downgrade(scratch_engine, "base")
    assert current_heads(scratch_engine) == set()
    assert set(inspect(scratch_engine).get_table_names()) <= {"alembic_version"}

    upgrade(scratch_engine)  # and back up again from nothing
    assert set(metadata.tables) <= set(inspect(scratch_engine).get_table_names())


def test_upgrade_fills_aggregates_from_existing_rows(scratch_engine: Engine) -> None:
    """0002 creates the aggregates on a database that already has transactions."""
    upgrade(scratch_engine, "0001")
    with scratch_engine.begin() as conn:
        insert_household(conn, 1)
        rows = [
            # (date, amount, category, exclude, expense_type)
            ("2025-01-03", -1250, "courses", False, "VARIABLE"),
            ("2025-01-09", -300, "courses", False, "VARIABLE"),
            ("2025-01-09", -90000, "loyer", False, "FIXED"),
            ("2025-01-20", 250000, "salaire", False, "VARIABLE"),
            ("2025-02-01", -4000, "courses", True, "VARIABLE"),
        ]
        for i, (day, amount, category, exclude, etype) in enumerate(rows, start=1):
            conn.execute(
                text(
                    "INSERT INTO bank_transaction (id, household_id, date, month, label, "
                    "amount_cents, category, category_parent, account, exclude, "
                    "expense_type, created_at) VALUES (:id, 1, :date, :month, 'x', :amount, "
                    ":category, 'p', 'joint', :exclude, :etype, :now)"
                ),
                {
                    "id": i,
                    "date": dt.date.fromisoformat(day),
                    "month": day[:7],
                    "amount": amount,
                    "category": category,
                    "exclude": exclude,
                    "etype": etype,
                    "now": NOW,
                },
            )
        conn.execute(
            text(
                "INSERT INTO transaction_tag (transaction_id, tag, household_id) VALUES (1, 'a', 1)"
            )
        )
    upgrade(scratch_engine)
    with scratch_engine.connect() as conn:
        assert aggregates.verify(conn) == []
        months = conn.execute(
            select(agg_month.c.month, agg_month.c.transactions).order_by(agg_month.c.month)
        ).all()
        assert [tuple(m) for m in months] == [("2025-01", 4), ("2025-02", 1)]


def test_stamps_keep_their_values_across_the_rename(scratch_engine: Engine) -> None:
    # 0005 renames data_version to data_stamp: cached entries and ETags stay valid.
    upgrade(scratch_engine, "0004")
    with scratch_engine.begin() as conn:
        insert_household(conn, 7)
        conn.execute(
            text(
                "INSERT INTO data_version (household_id, scope, version) "
                "VALUES (7, '2025-06', 123456789012)"
            )
        )
    upgrade(scratch_engine)
    with scratch_engine.connect() as conn:
        rows = conn.execute(text("SELECT household_id, scope, stamp FROM data_stamp")).all()
    assert [tuple(r) for r in rows] == [(7, "2025-06", 123456789012)]
    downgrade(scratch_engine, "0004")
    with scratch_engine.connect() as conn:
        back = conn.execute(text("SELECT version FROM data_version")).scalar_one()
    assert back == 123456789012
