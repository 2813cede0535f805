"""Open SQLite write transactions shorten the GIL switch interval (foyer.db.urgency): from
the first one opened to the last one closed, errors included, and never lengthen it.
PostgreSQL's leave it alone."""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, text

from foyer.db.engine import Database
from foyer.db.urgency import WRITE_SWITCH_SECONDS, _OpenWrites, open_writes

DEFAULT = 0.005  # CPython's


@pytest.fixture(autouse=True)
def default_interval() -> Iterator[None]:
    saved = sys.getswitchinterval()
    sys.setswitchinterval(DEFAULT)
    yield
    sys.setswitchinterval(saved)


def test_a_unit_of_work_runs_with_the_short_interval_then_puts_it_back(engine: Engine) -> None:
    database = Database(engine)
    sqlite = engine.dialect.name == "sqlite"
    with database.unit_of_work() as conn:
        conn.execute(text("SELECT 1"))
        expected = WRITE_SWITCH_SECONDS if sqlite else DEFAULT
        assert sys.getswitchinterval() == pytest.approx(expected)
        assert open_writes.open == (1 if sqlite else 0)
    assert sys.getswitchinterval() == pytest.approx(DEFAULT)
    assert open_writes.open == 0


def test_a_failed_unit_of_work_puts_it_back_too(engine: Engine) -> None:
    database = Database(engine)
    with pytest.raises(RuntimeError, match="rolled back"), database.unit_of_work():
        raise RuntimeError("rolled back")
    assert sys.getswitchinterval() == pytest.approx(DEFAULT)
    assert open_writes.open == 0


def test_reads_leave_the_interval_alone(engine: Engine) -> None:
    with Database(engine).read() as conn:
        conn.execute(text("SELECT 1"))
        assert sys.getswitchinterval() == pytest.approx(DEFAULT)


def test_overlapping_writes_keep_it_short_until_the_last_one_ends() -> None:
    writes = _OpenWrites()
    second_open, first_closed = threading.Event(), threading.Event()
    seen: list[float] = []

    def second() -> None:
        with writes:
            second_open.set()
            first_closed.wait(10)
            seen.append(sys.getswitchinterval())  # the first has ended: still short

    with writes:
        thread = threading.Thread(target=second)
        thread.start()
        assert second_open.wait(10)
    first_closed.set()
    thread.join(10)
    assert seen == [pytest.approx(WRITE_SWITCH_SECONDS)]
    assert sys.getswitchinterval() == pytest.approx(DEFAULT)


def test_a_shorter_interval_set_by_the_operator_is_kept() -> None:
    sys.setswitchinterval(WRITE_SWITCH_SECONDS / 2)
    writes = _OpenWrites()
    with writes:
        assert sys.getswitchinterval() == pytest.approx(WRITE_SWITCH_SECONDS / 2)
    assert sys.getswitchinterval() == pytest.approx(WRITE_SWITCH_SECONDS / 2)
