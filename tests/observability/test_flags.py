"""Feature flags (foyer/observability/flags.py): the consistent-hash law, defaults from the
settings, changes seen at once here and after the refresh interval elsewhere, refreshes
that never undo a newer change nor fail a check."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Iterator

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import Engine, event
from sqlalchemy.exc import IntegrityError

from foyer.db.engine import Database
from foyer.db.schema import feature_flag
from foyer.observability import flags as flags_module
from foyer.observability.flags import (
    BY_NAME,
    Flags,
    UnknownFlagError,
    bucket,
    defaults_from,
    in_rollout,
    own_engine,
)
from foyer.read.flags import StoredFlag
from foyer.settings import Settings
from tests.factories import unit_of_work

DEFAULTS = {"engine": 100, "warming": 100, "fast_path": 100}
HOUSEHOLDS = range(1, 20_001)
NOW = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


class Timers:
    """The refresh timers of the Flags made with it; `elapse()` lets their time pass."""

    def __init__(self) -> None:
        self.pending: list[tuple[float, Callable[[], None]]] = []

    def __call__(self, seconds: float, callback: Callable[[], None]) -> None:
        self.pending.append((seconds, callback))

    def elapse(self) -> None:
        due, self.pending = self.pending, []
        for seconds, callback in due:
            assert seconds == 5.0
            callback()


def inline(target: Callable[[], None]) -> None:
    """Run a background refresh at once, on the test's thread."""
    target()


@pytest.fixture
def make_flags(engine: Engine) -> Iterator[Callable[..., Flags]]:
    """Flags on this test's database, as one process each: `make_flags(timer=...)`."""
    made: list[Flags] = []

    def make(**options: object) -> Flags:
        options = {"refresh_seconds": 5.0, "spawn": inline, "timer": Timers(), **options}
        flags = Flags(Database(engine), DEFAULTS, **options)  # type: ignore[arg-type]
        made.append(flags)
        return flags

    yield make
    for flags in made:
        flags.wait()


# -- the consistent hash -------------------------------------------------------------------


@given(
    name=st.sampled_from(sorted(BY_NAME)),
    household_id=st.integers(1, 2**31),
    low=st.integers(0, 100),
    high=st.integers(0, 100),
)
def test_raising_the_percent_never_removes_a_household(
    name: str, household_id: int, low: int, high: int
) -> None:
    low, high = min(low, high), max(low, high)
    if in_rollout(name, household_id, low):
        assert in_rollout(name, household_id, high)


@given(household_id=st.integers(1, 2**31), name=st.sampled_from(sorted(BY_NAME)))
def test_every_household_is_in_at_100_and_out_at_0(household_id: int, name: str) -> None:
    assert in_rollout(name, household_id, 100)
    assert not in_rollout(name, household_id, 0)
    assert 0 <= bucket(name, household_id) < 100


@pytest.mark.parametrize("percent", [1, 5, 25, 50, 90, 99])
def test_about_percent_of_households_are_in(percent: int) -> None:
    for name in BY_NAME:
        share = sum(in_rollout(name, h, percent) for h in HOUSEHOLDS) / len(HOUSEHOLDS)
        # 20,000 households: a binomial share's standard deviation is under 0.36 points.
        assert abs(share * 100 - percent) < 1.5, (name, share)


def test_each_flag_picks_its_own_households() -> None:
    engine = {h for h in HOUSEHOLDS if in_rollout("engine", h, 50)}
    warming = {h for h in HOUSEHOLDS if in_rollout("warming", h, 50)}
    assert 0.4 < len(engine & warming) / len(engine) < 0.6  # independent, not the same half


# -- defaults ------------------------------------------------------------------------------


def test_defaults_follow_the_settings_they_replaced() -> None:
    base = Settings(_env_file=None)  # type: ignore[call-arg]
    assert defaults_from(base) == {"engine": 100, "warming": 100, "fast_path": 100}
    assert defaults_from(base.model_copy(update={"reader": "reference", "fast_hits": "off"})) == {
        "engine": 0,
        "warming": 100,
        "fast_path": 0,
    }


def test_a_flag_nobody_set_has_its_default(make_flags: Callable[..., Flags]) -> None:
    for state in make_flags().states():
        assert (state.percent, state.default, state.source) == (100, 100, "setting")
        assert state.updated_at is state.updated_by is None


# -- changes -------------------------------------------------------------------------------


def test_a_change_is_seen_at_once_here_and_after_the_interval_elsewhere(
    make_flags: Callable[..., Flags],
) -> None:
    timers = Timers()
    here, there = make_flags(timer=timers), make_flags(timer=timers)
    household = next(h for h in HOUSEHOLDS if not in_rollout("engine", h, 30))
    assert here.enabled("engine", household)
    assert there.enabled("engine", household)

    state = here.set("engine", 30, by="ops@example.com")
    assert (state.percent, state.source, state.updated_by) == (30, "db", "ops@example.com")
    assert not here.enabled("engine", household)  # this process: at once
    assert there.enabled("engine", household)  # another: not before its refresh is due
    timers.elapse()
    assert not there.enabled("engine", household)  # ... and as soon as it is
    assert there.state("engine") == here.state("engine")


def test_households_in_follow_the_stored_percent(make_flags: Callable[..., Flags]) -> None:
    flags = make_flags()
    flags.set("warming", 40, by=None)
    for household in range(1, 500):
        assert flags.enabled("warming", household) == (bucket("warming", household) < 40)
        assert flags.enabled("engine", household)  # the others keep their defaults


def test_states_read_the_table_now(make_flags: Callable[..., Flags]) -> None:
    here, there = make_flags(), make_flags()
    here.set("fast_path", 0, by="ops@example.com")
    (fast_path,) = [s for s in there.states() if s.name == "fast_path"]  # no interval waited
    assert (fast_path.percent, fast_path.default, fast_path.source) == (0, 100, "db")
    assert fast_path.updated_at is not None
    assert fast_path.updated_at.tzinfo is not None


def test_a_refresh_read_before_a_change_here_does_not_undo_it(
    make_flags: Callable[..., Flags], monkeypatch: pytest.MonkeyPatch
) -> None:
    timers = Timers()
    flags = make_flags(timer=timers)
    real = flags_module.stored_flags

    def read_then_a_change_lands(conn: object) -> dict[str, StoredFlag]:
        stored = real(conn)  # type: ignore[arg-type]
        monkeypatch.setattr(flags_module, "stored_flags", real)
        flags.set("engine", 10, by=None)  # committed after this read, before its use
        return stored

    monkeypatch.setattr(flags_module, "stored_flags", read_then_a_change_lands)
    timers.elapse()
    flags.enabled("engine", 1)  # the refresh runs (inline), with the change in its middle
    assert flags.percent("engine") == 10


def test_a_failed_refresh_keeps_the_flags_and_is_retried(
    make_flags: Callable[..., Flags],
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    timers = Timers()
    flags, other = make_flags(timer=timers), make_flags()
    other.set("engine", 0, by=None)
    real = flags_module.stored_flags

    def unreachable(conn: object) -> dict[str, StoredFlag]:
        raise ConnectionError("database unreachable")

    monkeypatch.setattr(flags_module, "stored_flags", unreachable)
    timers.elapse()
    with caplog.at_level(logging.WARNING, logger="foyer.flags"):
        assert flags.enabled("engine", 1)  # the check itself never fails
    assert "feature flags not refreshed" in caplog.text
    monkeypatch.setattr(flags_module, "stored_flags", real)
    assert flags.enabled("engine", 1)  # not due again yet
    timers.elapse()
    assert not flags.enabled("engine", 1)


def test_an_app_nobody_asks_stops_refreshing(make_flags: Callable[..., Flags]) -> None:
    timers = Timers()
    make_flags(timer=timers)
    timers.elapse()  # stale now; without a check, nothing refreshes nor re-arms
    assert timers.pending == []


def test_refreshes_run_on_a_thread_of_their_own(make_flags: Callable[..., Flags]) -> None:
    here = make_flags()
    there = make_flags(refresh_seconds=0, spawn=flags_module.in_thread, timer=flags_module.after)
    here.set("engine", 0, by=None)
    there.wait()  # the timer of the first read, already fired (0 s), may have started one
    there.enabled("engine", 1)
    there.wait()
    assert not there.enabled("engine", 1)


def test_background_refreshes_read_on_their_own_connection(
    make_flags: Callable[..., Flags], migrated: tuple[Settings, Engine], engine: Engine
) -> None:
    """Not on the app's engine: a refresh never waits for the requests' pool, and is never
    counted among a request's statements by whoever listens there."""
    settings, _ = migrated
    timers = Timers()
    flags = make_flags(timer=timers, background_engine=lambda: own_engine(settings, engine))
    make_flags().set("engine", 0, by=None)
    on_the_app_engine: list[str] = []

    def record(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        on_the_app_engine.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        timers.elapse()
        flags.enabled("engine", 1)  # starts the refresh (inline here)
    finally:
        event.remove(engine, "before_cursor_execute", record)
        flags.close()
    assert not flags.enabled("engine", 1)
    assert on_the_app_engine == []


def test_unknown_flags_and_percents_are_refused(make_flags: Callable[..., Flags]) -> None:
    flags = make_flags()
    with pytest.raises(UnknownFlagError):
        flags.set("turbo", 50, by=None)
    for percent in (-1, 101):
        with pytest.raises(ValueError, match="percent"):
            flags.set("engine", percent, by=None)
    assert all(state.source == "setting" for state in flags.states())


def test_the_table_refuses_a_percent_out_of_range(engine: Engine) -> None:
    with pytest.raises(IntegrityError), unit_of_work(engine) as conn:
        conn.execute(feature_flag.insert().values(name="engine", percent=101, updated_at=NOW))


def test_defaults_must_name_every_flag(engine: Engine) -> None:
    with pytest.raises(ValueError, match="exactly the flags"):
        Flags(Database(engine), {"engine": 100})
