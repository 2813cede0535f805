"""Feature flags: per-household percentage rollouts that operators change at run time.

Three flags (`FLAGS`): `engine` — households in it are read with the optimized reader, the
others with the reference one (`foyer.read.fallback`); `warming` — the cache is re-warmed
after this household's writes (`foyer.cache.warming`); `fast_path` — this household's
cache hits are answered before routing (`foyer.api.fastpath`).

A household is in a flag at p % when `bucket(flag, household) < p`, its bucket a
consistent hash (BLAKE2b of the flag's name and the household id) in 0..99: raising the
percentage only ever adds households, lowering it only removes them, and each flag picks
its own households (the name salts the hash).

A flag's default comes from the setting it took over (`defaults_from`: FOYER_READER,
FOYER_FAST_HITS), so a deployment that never touches a flag behaves as before. An
operator's change (`PUT /api/v1/monitoring/flags/{name}`) is stored in table
`feature_flag` and wins over the default. Every process keeps the stored values in memory
and reads them again every FOYER_FLAGS_REFRESH_SECONDS on a short-lived thread of its
own; the process that makes a change sees it at once. So a check (`enabled`) is a boolean
read, a dict lookup and, strictly between 0 and 100 %, a memoised hash: never a database
read, and never a wait for one on the event loop, where the fast path checks its flag
(a checkout from a busy pool there would stall every request: see `foyer.cache.loop`).

Why by hand: the flag libraries (UnleashClient, flagsmith, OpenFeature providers) talk to
a flag server foyer would have to run; what foyer needs is one small table, a hash and a
cache, all here.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import logging
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Literal

from sqlalchemy import Engine
from sqlalchemy.pool import StaticPool

from foyer.db.engine import Database, make_engine, read_connection
from foyer.read.flags import StoredFlag, stored_flags
from foyer.services.flags import set_percent
from foyer.settings import Settings

log = logging.getLogger("foyer.flags")

BUCKETS = 100  # percentages are whole numbers: one bucket per percent


@dataclass(frozen=True, slots=True)
class Flag:
    name: str
    description: str


FLAGS: tuple[Flag, ...] = (
    Flag(
        "engine",
        "Households read with the optimized reader (the aggregates); the others with the "
        "reference reader (raw rows). Default: 100 with FOYER_READER=optimized, else 0.",
    ),
    Flag(
        "warming",
        "Households whose writes re-warm the cache (the views they read recently, this "
        "month's and last month's summaries). Default: 100.",
    ),
    Flag(
        "fast_path",
        "Households whose cache hits and 304s are answered before routing. Default: 100; "
        "FOYER_FAST_HITS=off removes the fast path, and this flag stays at 0.",
    ),
)
BY_NAME: Mapping[str, Flag] = {flag.name: flag for flag in FLAGS}


class UnknownFlagError(ValueError):
    """No flag has this name."""


@functools.lru_cache(maxsize=65_536)
def bucket(name: str, household_id: int) -> int:
    """The household's bucket for this flag, 0..99: the same in every process, forever.

    Memoised: BLAKE2b costs ~1 µs, a cache hit a tenth of that."""
    digest = hashlib.blake2b(f"{name}:{household_id}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") % BUCKETS


def in_rollout(name: str, household_id: int, percent: int) -> bool:
    """Whether a flag at `percent` is on for this household."""
    if percent >= BUCKETS:
        return True
    if percent <= 0:
        return False
    return bucket(name, household_id) < percent


def defaults_from(settings: Settings) -> dict[str, int]:
    """Each flag's percentage when no operator has set it: what the settings did before."""
    return {
        "engine": 100 if settings.reader == "optimized" else 0,
        "warming": 100,
        "fast_path": 100 if settings.fast_hits == "on" else 0,
    }


@dataclass(frozen=True, slots=True)
class FlagState:
    """A flag as operators see it (`GET /api/v1/monitoring/flags`)."""

    name: str
    description: str
    percent: int
    default: int
    source: Literal["setting", "db"]  # db: an operator set it
    updated_at: dt.datetime | None
    updated_by: str | None


def in_thread(target: Callable[[], None]) -> None:
    """Run a refresh on a thread of its own (the default; tests run them inline)."""
    threading.Thread(target=target, name="foyer-flags", daemon=True).start()


def after(seconds: float, callback: Callable[[], None]) -> None:
    """Call `callback` on a timer thread in `seconds`, or at once for 0 (the default; tests
    fire by hand)."""
    if seconds <= 0:
        callback()
        return
    timer = threading.Timer(seconds, callback)
    timer.daemon = True
    timer.start()


class Flags:
    """The flags of one app (see the module docstring).

    The refresh cycle: a timer marks the flags stale `refresh_seconds` after each refresh;
    the next check sees the mark and starts a refresh on its own thread (answering from
    the flags it holds meanwhile); that refresh arms the timer again. So a check reads a
    boolean instead of a clock (a clock read cost 0.4 µs on the test machine, more than
    the rest of the check), and an app nobody asks any more stops refreshing by itself.
    """

    def __init__(
        self,
        database: Database,
        defaults: Mapping[str, int],
        *,
        refresh_seconds: float = 5.0,
        spawn: Callable[[Callable[[], None]], None] = in_thread,
        timer: Callable[[float, Callable[[], None]], None] = after,
        background_engine: Callable[[], Engine] | None = None,
    ) -> None:
        if set(defaults) != set(BY_NAME):
            raise ValueError(f"defaults must name exactly the flags {sorted(BY_NAME)}")
        self.refresh_seconds = refresh_seconds
        self._database = database
        self._defaults = dict(defaults)
        self._spawn = spawn
        self._timer = timer
        self._make_background_engine = background_engine
        self._background_engine: Engine | None = None  # made on the first background refresh
        self._lock = threading.Lock()
        self._stored: dict[str, StoredFlag] = {}
        self._percents: dict[str, int] = dict(defaults)  # replaced whole, never mutated
        # Bumped by each change made here: a refresh that read the table before it must not
        # put the old value back.
        self._generation = 0
        self._stale = False  # the timer's mark: the next check starts a refresh
        self._idle = threading.Event()  # no background refresh running
        self._idle.set()
        self.refresh()
        self._timer(self.refresh_seconds, self._mark_stale)

    @classmethod
    def from_settings(cls, settings: Settings, database: Database) -> Flags:
        return cls(
            database,
            defaults_from(settings),
            refresh_seconds=settings.flags_refresh_seconds,
            background_engine=lambda: own_engine(settings, database.engine),
        )

    def enabled(self, name: str, household_id: int) -> bool:
        """Whether the flag `name` is on for this household (the hot path's check)."""
        if self._stale:
            self._refresh_soon()
        percent = self._percents[name]
        # in_rollout, inlined: the fast path checks this on every request it sees.
        if percent >= BUCKETS:
            return True
        if percent <= 0:
            return False
        return bucket(name, household_id) < percent

    def percent(self, name: str) -> int:
        """The flag's percentage now (0: on for nobody, 100: for everybody)."""
        if self._stale:
            self._refresh_soon()
        return self._percents[name]

    def states(self) -> list[FlagState]:
        """Every flag as stored now (read from the table: the operators' view is exact)."""
        self.refresh()
        return [self.state(flag.name) for flag in FLAGS]

    def state(self, name: str) -> FlagState:
        """The flag as this process knows it."""
        flag = _known(name)
        stored = self._stored.get(name)
        return FlagState(
            name=name,
            description=flag.description,
            percent=self._percents[name],
            default=self._defaults[name],
            source="db" if stored is not None else "setting",
            updated_at=stored.updated_at if stored is not None else None,
            updated_by=stored.updated_by if stored is not None else None,
        )

    def set(self, name: str, percent: int, *, by: str | None) -> FlagState:
        """Store the flag's new percentage: this process uses it at once, the others at
        their next refresh."""
        _known(name)
        if not 0 <= percent <= BUCKETS:
            raise ValueError(f"percent must be 0..{BUCKETS}, not {percent}")
        now = dt.datetime.now(dt.UTC)
        with self._database.unit_of_work() as conn:
            set_percent(conn, name=name, percent=percent, updated_at=now, updated_by=by)
        with self._lock:
            self._generation += 1
            self._stored = {**self._stored, name: StoredFlag(percent, now, by)}
            self._percents = {**self._percents, name: percent}
        log.info("feature flag %s set to %d%%", name, percent)
        return self.state(name)

    def refresh(self, engine: Engine | None = None) -> None:
        """Read the stored flags now, on this thread (on `engine`'s connection, else one of
        the app's)."""
        with self._lock:
            generation = self._generation
        reading = self._database.read() if engine is None else read_connection(engine)
        with reading as conn:
            stored = stored_flags(conn)
        stored = {name: flag for name, flag in stored.items() if name in BY_NAME}
        with self._lock:
            if generation != self._generation:
                return  # changed here meanwhile: the next refresh reads that change
            self._stored = stored
            self._percents = {**self._defaults, **{n: f.percent for n, f in stored.items()}}

    def wait(self) -> None:
        """Block until a background refresh in progress is over (tests, shutdown)."""
        self._idle.wait()

    def close(self) -> None:
        """Close the background refreshes' connection (app shutdown; made again should the
        app start again and a refresh need it)."""
        self.wait()
        engine, self._background_engine = self._background_engine, None
        if engine is not None and engine is not self._database.engine:
            engine.dispose()

    def _mark_stale(self) -> None:
        self._stale = True

    def _refresh_soon(self) -> None:
        with self._lock:
            if not self._stale:
                return  # another check took it
            self._stale = False
            self._idle.clear()
        try:
            self._spawn(self._refresh_in_background)
        except Exception:  # no thread to be had: try again after the interval
            self._idle.set()
            log.warning("feature flags not refreshed; keeping the values in force", exc_info=True)
            self._timer(self.refresh_seconds, self._mark_stale)

    def _refresh_in_background(self) -> None:
        try:
            if self._background_engine is None and self._make_background_engine is not None:
                self._background_engine = self._make_background_engine()
            self.refresh(self._background_engine)
        except Exception:  # the flags read before stay in force; retried after the interval
            log.warning("feature flags not refreshed; keeping the values in force", exc_info=True)
        finally:
            self._idle.set()
            self._timer(self.refresh_seconds, self._mark_stale)


def own_engine(settings: Settings, main: Engine) -> Engine:
    """The background refreshes' own connection: never one the requests wait for, and its
    statements are not among those of the app's engine, which the query budget tests (and
    anyone listening there) count — a refresh is no request's work. An in-memory SQLite
    database lives in its one shared connection: that one."""
    return main if isinstance(main.pool, StaticPool) else make_engine(settings, single=True)


def _known(name: str) -> Flag:
    flag = BY_NAME.get(name)
    if flag is None:
        raise UnknownFlagError(f"unknown flag {name!r}: one of {', '.join(BY_NAME)}")
    return flag
