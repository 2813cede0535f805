"""The stamp feed (foyer/cache/feed.py): PostgreSQL pushes every data_stamp change, a read
after a fence sees every change committed before it, and the feed falls back, forgets and
reconnects when its connection dies.

The rules of `learn` (a value read from the database is kept only when no announcement
for that household came since) are checked without a database; the rest against a real
PostgreSQL database of the test's own, migrated (the trigger is migration 0013).
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Awaitable, Callable, Generator, Iterator
from typing import Any

import anyio.to_thread
import psycopg
import pytest
from sqlalchemy import Engine, create_engine, delete

from foyer.cache import fence
from foyer.cache.feed import CHANNEL, StampFeed
from foyer.cache.loop import LoopStamps
from foyer.cache.stamp_map import StampMap, Token
from foyer.db.engine import read_connection
from foyer.db.migrate import upgrade
from foyer.db.schema import household
from foyer.services import stamps
from foyer.settings import Settings
from tests.factories import make_user, unit_of_work
from tests.helpers import create_pg_database, drop_pg_database, engine_for, pg_admin


def _announce(stamps: StampMap, *lines: str) -> None:
    stamps.heard("".join(f"{line}\n" for line in lines))


def test_learn_keeps_a_read_only_when_nothing_was_announced_since() -> None:
    known = StampMap()
    token = Token(known.seq)
    known.learn(1, {"budget": 5}, token)
    assert known.stamps(1) == {"budget": 5}
    assert known.get(1, ["budget"]) == {"budget": 5}

    late = known.get(2, ["budget"])  # not known: the token a fallback read takes
    assert late == Token(known.seq)
    _announce(known, "2 budget 9")  # announced after the read began: the read may be older
    assert isinstance(late, Token)
    known.learn(2, {"budget": 3, "2025-01": 4}, late)
    assert known.stamps(2) == {"budget": 9}
    assert isinstance(known.get(2, ["budget", "2025-01"]), Token)  # a scope never heard of

    _announce(known, "1 budget 7")
    known.learn(1, {"budget": 5}, late)  # never overwrites what was heard
    assert known.stamps(1) == {"budget": 7}


def test_an_evicted_household_raises_the_floor_under_learn() -> None:
    known = StampMap(households=2)
    token = Token(known.seq)
    _announce(known, "1 budget 11")
    _announce(known, "2 budget 12")
    _announce(known, "3 budget 13")  # evicts household 1, whose announcement came after token
    assert known.stamps(1) is None
    known.learn(1, {"budget": 10}, token)  # might be older than the evicted announcement
    assert known.stamps(1) is None
    known.learn(4, {"budget": 14}, Token(known.seq))  # a read begun after: safe
    assert known.stamps(4) == {"budget": 14}


def test_an_unreadable_announcement_forgets_everything() -> None:
    feed = StampFeed("postgresql://unused")
    token = Token(feed.map.seq)
    feed._heard(psycopg.Notify(CHANNEL, "1 budget 7\n", 1))
    assert feed.map.stamps(1) == {"budget": 7}
    feed._heard(psycopg.Notify("another_channel", "1 budget 8\n", 1))  # not ours: ignored
    assert feed.map.stamps(1) == {"budget": 7}
    feed._heard(psycopg.Notify(CHANNEL, "not foyer's", 2))
    assert len(feed.map) == 0
    feed.learn(1, {"budget": 5}, token)  # a read begun before cannot be trusted either
    assert len(feed.map) == 0


# -- against PostgreSQL --------------------------------------------------------------------


@pytest.fixture
def pg() -> Iterator[tuple[str, Engine]]:
    url = create_pg_database("foyer_feed")
    engine = engine_for(url)
    upgrade(engine)
    yield url, engine
    engine.dispose()
    drop_pg_database(url)


async def _until(check: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.01)


def _run(
    url: str,
    body: Callable[[StampFeed], Awaitable[None]],
    task_factory: Any = None,
    background: Callable[[], bool] | None = None,
) -> None:
    async def main() -> None:
        asyncio.get_running_loop().set_task_factory(task_factory)
        feed = StampFeed(url.replace("postgresql+psycopg", "postgresql"), background=background)
        feed.HEARTBEAT_SECONDS = 3600  # only the test's reads send fences: counts are exact
        try:
            assert await feed.read(1, ["budget"]) is None  # connecting: read the database
            await _until(lambda: feed.live)
            await body(feed)
        finally:
            await feed.aclose()

    asyncio.run(main())


def _stored(engine: Engine, household_id: int, scopes: list[str]) -> dict[str, int]:
    with read_connection(engine) as conn:
        return stamps.read(conn, household_id, scopes)


@pytest.mark.postgres
def test_a_read_after_the_fence_sees_every_committed_change(pg: tuple[str, Engine]) -> None:
    url, engine = pg
    user = make_user(engine)
    hid = user.household_id
    scopes = ["budget", "2025-06", "2025-06:rows"]

    async def body(feed: StampFeed) -> None:
        for _ in range(50):
            with unit_of_work(engine) as conn:
                stamps.renew(conn, hid, scopes[:2])
            # No sleep, no wait: the fence alone makes the change visible.
            known = await feed.read(hid, scopes[:2])
            assert known == _stored(engine, hid, scopes[:2])
        # A request that arrived (`since`) before a fence was sent, which is back, needs no
        # fence of its own: every write it may have seen acknowledged was heard.
        with unit_of_work(engine) as conn:
            stamps.renew(conn, hid, scopes[:1])
        arrived, fences = time.perf_counter(), feed.fences
        assert await feed.read(hid, scopes[:1], since=arrived) == _stored(engine, hid, scopes[:1])
        assert feed.fences == fences + 1  # none was sent after it arrived: it waited for one
        assert await feed.read(hid, scopes[:1], since=arrived) == _stored(engine, hid, scopes[:1])
        assert feed.fences == fences + 1  # that one covers it
        assert isinstance(await feed.read(hid, scopes), Token)  # never heard of :rows
        # Hundreds of scopes in one statement: several payloads, every one heard.
        many = [f"{2000 + i // 12}-{i % 12 + 1:02d}" for i in range(600)]
        with unit_of_work(engine) as conn:
            stamps.renew(conn, hid, many)
        assert await feed.read(hid, many) == _stored(engine, hid, many)
        # A household deleted: its stamps cascade away, announced as 0 (never written).
        with unit_of_work(engine) as conn:
            conn.execute(delete(household).where(household.c.id == hid))
        assert await feed.read(hid, scopes[:2]) == dict.fromkeys(scopes[:2], 0)
        assert feed.fences > 0

    _run(url, body)


@pytest.mark.postgres
def test_an_inline_fence_covers_the_rest_of_its_round_and_no_later_task(
    pg: tuple[str, Engine],
) -> None:
    """A fence waited for on the loop thread covers every hit run before `_uncover`, which
    it scheduled before sending: those hits' tasks existed before it was sent. A task made
    afterwards — from bytes read afterwards — gets a fence of its own."""
    url, engine = pg
    hid = make_user(engine).household_id

    async def body(feed: StampFeed) -> None:
        feed.INLINE_FENCE_SECONDS = 1.0  # always back in time, however busy the machine
        await feed.read(hid, ["budget"])  # heard of it once (a Token), now known or learned
        fences, inline = feed.fences, feed.inline_fences
        assert await feed.read(hid, ["budget"], since=time.perf_counter()) is not None
        assert (feed.fences, feed.inline_fences) == (fences + 1, inline + 1)
        # Later in the same round — `since` after the fence was sent — no fence: covered.
        for _ in range(5):
            await feed.read(hid, ["budget"], since=time.perf_counter())
        assert feed.fences == fences + 1

        # A write committed now, then a hit in a task made after it: that task's first
        # step runs after `_uncover`, so it fences and sees the write.
        with unit_of_work(engine) as conn:
            stamps.renew(conn, hid, ["budget"])
        later = asyncio.create_task(feed.read(hid, ["budget"], since=time.perf_counter()))
        assert await later == _stored(engine, hid, ["budget"])
        assert feed.fences == fences + 2
        # Without `since` (a caller's own write may have just committed), never covered.
        with unit_of_work(engine) as conn:
            stamps.renew(conn, hid, ["budget"])
        assert await feed.read(hid, ["budget"]) == _stored(engine, hid, ["budget"])
        assert feed.fences == fences + 3

    _run(url, body)


@pytest.mark.postgres
def test_no_inline_fence_while_requests_work_on_threads(pg: tuple[str, Engine]) -> None:
    """While the request thread pool holds work (writes, misses), fences are awaited: the
    loop keeps its turns for them (docs/SCALING.md measures why)."""
    url, engine = pg
    hid = make_user(engine).household_id

    async def body(feed: StampFeed) -> None:
        feed.INLINE_FENCE_SECONDS = 1.0
        await feed.read(hid, ["budget"])
        release = threading.Event()
        working = asyncio.create_task(anyio.to_thread.run_sync(release.wait))
        await _until(lambda: anyio.to_thread.current_default_thread_limiter().borrowed_tokens > 0)
        try:
            fences, inline = feed.fences, feed.inline_fences
            with unit_of_work(engine) as conn:
                stamps.renew(conn, hid, ["budget"])
            known = await feed.read(hid, ["budget"], since=time.perf_counter())
            assert known == _stored(engine, hid, ["budget"])
            assert (feed.fences, feed.inline_fences) == (fences + 1, inline)
        finally:
            release.set()
            await working
        await feed.read(hid, ["budget"], since=time.perf_counter())
        assert feed.inline_fences == inline + 1  # the pool idle again: inline
        # The process's own threads (the warmer) working: awaited too.
        await asyncio.sleep(0)  # the next turn of the loop: the last fence covers no more
        warming[0] = True
        await feed.read(hid, ["budget"], since=time.perf_counter())
        assert (feed.fences, feed.inline_fences) == (fences + 3, inline + 1)
        warming[0] = False
        await asyncio.sleep(0)
        await feed.read(hid, ["budget"], since=time.perf_counter())
        assert (feed.fences, feed.inline_fences) == (fences + 4, inline + 2)

    warming = [False]
    _run(url, body, background=lambda: warming[0])


@pytest.mark.postgres
def test_with_a_task_factory_an_inline_fence_covers_only_itself(pg: tuple[str, Engine]) -> None:
    """A task factory may run a task's first step inside `create_task` (Python 3.12's
    eager tasks), before `_uncover`: the round is not known to predate the fence."""
    url, engine = pg
    hid = make_user(engine).household_id

    def factory(loop: asyncio.AbstractEventLoop, coro: Any, **kwargs: Any) -> asyncio.Task[Any]:
        return asyncio.Task(coro, loop=loop, **kwargs)

    async def body(feed: StampFeed) -> None:
        feed.INLINE_FENCE_SECONDS = 1.0
        await feed.read(hid, ["budget"])
        fences = feed.fences
        for _ in range(5):
            await feed.read(hid, ["budget"], since=time.perf_counter())
        assert feed.fences == fences + 5
        # Taken away (and set again) while the feed runs: seen at the next fence.
        asyncio.get_running_loop().set_task_factory(None)
        for _ in range(5):
            await feed.read(hid, ["budget"], since=time.perf_counter())
        assert feed.fences == fences + 6
        await asyncio.sleep(0)
        asyncio.get_running_loop().set_task_factory(factory)
        for _ in range(5):
            await feed.read(hid, ["budget"], since=time.perf_counter())
        assert feed.fences == fences + 11

    _run(url, body, task_factory=factory)


def _late_steps(monkeypatch: pytest.MonkeyPatch, fail: list[bool]) -> None:
    """Fences never back inline; with `fail[0]`, failing once the answer came."""
    steps = fence.steps

    def late(pgconn: Any) -> Generator[int, None, None]:
        yield fence.READ  # "not yet", whatever the socket holds: never back inline
        if fail[0]:
            raise psycopg.OperationalError("a fence failing on the wire")
        yield from steps(pgconn)

    monkeypatch.setattr(fence, "steps", late)


@pytest.mark.postgres
def test_a_fence_late_on_the_loop_is_finished_asynchronously(
    pg: tuple[str, Engine], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Not back within INLINE_FENCE_SECONDS: the fence is awaited, reads stay exact, and
    the reads that waited meanwhile share the next fence."""
    url, engine = pg
    hid = make_user(engine).household_id
    _late_steps(monkeypatch, [False])

    async def body(feed: StampFeed) -> None:
        feed.INLINE_FENCE_SECONDS = 1e-9
        feed.INLINE_BACKOFF_SECONDS = 0.0  # try inline every time: late every time
        await feed.read(hid, ["budget"])
        fences, late = feed.fences, feed.inline_late
        for _ in range(20):
            with unit_of_work(engine) as conn:
                stamps.renew(conn, hid, ["budget"])
            known = await feed.read(hid, ["budget"], since=time.perf_counter())
            assert known == _stored(engine, hid, ["budget"])
        # Each read awaited the fence it sent inline: sent after it arrived, it covers it.
        assert (feed.fences, feed.inline_late) == (fences + 20, late + 20)

        # Backing off after a late one: no fence tried inline, the reads still exact.
        feed.INLINE_BACKOFF_SECONDS = 3600.0
        with unit_of_work(engine) as conn:
            stamps.renew(conn, hid, ["budget"])
        assert await feed.read(hid, ["budget"], since=time.perf_counter()) == _stored(
            engine, hid, ["budget"]
        )  # late inline: backing off from now
        assert feed.inline_late == late + 21
        # Concurrent reads share one fence, awaited, none of them tried inline.
        with unit_of_work(engine) as conn:
            stamps.renew(conn, hid, ["budget"])
        arrived = time.perf_counter()
        answers = await asyncio.gather(
            *(feed.read(hid, ["budget"], since=arrived) for _ in range(10))
        )
        assert answers == [_stored(engine, hid, ["budget"])] * 10
        assert (feed.fences, feed.inline_late) == (fences + 22, late + 21)
        assert feed.status()["inline_fences"] == 0

    _run(url, body)


@pytest.mark.postgres
def test_a_late_fence_that_fails_sends_its_read_to_the_database(
    pg: tuple[str, Engine], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The read awaiting its late inline fence falls back (None: read the database), the
    connection is renewed, and reads are exact again after it."""
    url, engine = pg
    hid = make_user(engine).household_id
    fail = [True]
    _late_steps(monkeypatch, fail)

    async def body(feed: StampFeed) -> None:
        feed.INLINE_FENCE_SECONDS = 1e-9
        feed.INLINE_BACKOFF_SECONDS = 0.0
        assert await feed.read(hid, ["budget"], since=time.perf_counter()) is None
        assert feed.inline_late == 1
        fail[0] = False
        await _until(lambda: feed.live and feed.connects == 2)
        await feed.read(hid, ["budget"])  # heard of it (a Token), now known or learned
        with unit_of_work(engine) as conn:
            stamps.renew(conn, hid, ["budget"])
        known = await feed.read(hid, ["budget"], since=time.perf_counter())
        assert known == _stored(engine, hid, ["budget"])

    _run(url, body)


@pytest.mark.postgres
def test_a_read_cancelled_or_closed_while_its_fence_is_late_leaves_none_waiting(
    pg: tuple[str, Engine], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Cancelled, the read's fence still finishes and the next read is exact; closing the
    feed (shutdown) while reads wait sends them to the database, none left hanging."""
    url, engine = pg
    hid = make_user(engine).household_id
    _late_steps(monkeypatch, [False])

    async def body(feed: StampFeed) -> None:
        feed.INLINE_FENCE_SECONDS = 1e-9
        feed.INLINE_BACKOFF_SECONDS = 0.0
        await feed.read(hid, ["budget"])
        cancelled = asyncio.create_task(feed.read(hid, ["budget"], since=time.perf_counter()))
        await asyncio.sleep(0)  # it sent its fence and awaits it
        cancelled.cancel()
        with pytest.raises(asyncio.CancelledError):
            await cancelled
        with unit_of_work(engine) as conn:
            stamps.renew(conn, hid, ["budget"])
        known = await feed.read(hid, ["budget"], since=time.perf_counter())
        assert known == _stored(engine, hid, ["budget"])

        arrived = time.perf_counter()
        reads = [asyncio.create_task(feed.read(hid, ["budget"], since=arrived)) for _ in range(3)]
        await asyncio.sleep(0)  # the first awaits its late fence, the others the next one
        await feed.aclose()
        assert await asyncio.wait_for(asyncio.gather(*reads), 5) == [None, None, None]

    _run(url, body)


@pytest.mark.postgres
def test_fences_take_no_transaction_id(pg: tuple[str, Engine]) -> None:
    """A fence per batch of hits must not burn transaction ids (a NOTIFY would: one each)."""
    url, engine = pg
    hid = make_user(engine).household_id

    def next_xid() -> int:  # the snapshot's xmax: read without taking an id
        with pg_admin() as admin:
            row = admin.execute("SELECT txid_snapshot_xmax(txid_current_snapshot())").fetchone()
        assert row is not None
        return int(row[0])

    async def body(feed: StampFeed) -> None:
        before, fences = next_xid(), feed.fences
        for _ in range(400):
            await feed.read(hid, ["budget"])
        assert feed.fences - fences == 400
        assert next_xid() - before < 200  # others' transactions on the server, at most

    _run(url, body)


@pytest.mark.postgres
def test_a_killed_feed_falls_back_then_reconnects_and_forgets(pg: tuple[str, Engine]) -> None:
    url, engine = pg
    hid = make_user(engine).household_id
    name = url.rsplit("/", 1)[1]

    async def body(feed: StampFeed) -> None:
        with unit_of_work(engine) as conn:
            stamps.renew(conn, hid, ["budget"])
        assert await feed.read(hid, ["budget"]) == _stored(engine, hid, ["budget"])
        with pg_admin() as admin:
            killed = admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = %s AND application_name = 'foyer-stamp-feed'",
                (name,),
            ).fetchall()
        assert killed == [(True,)]
        # A change made while the feed is down is never heard...
        with unit_of_work(engine) as conn:
            stamps.renew(conn, hid, ["budget"])
        assert await feed.read(hid, ["budget"]) is None  # ...so the read falls back
        await _until(lambda: feed.live)
        assert feed.connects == 2
        # ...and what the feed knew before is forgotten: read again, then learned.
        token = await feed.read(hid, ["budget"])
        assert isinstance(token, Token)
        feed.learn(hid, _stored(engine, hid, ["budget"]), token)
        assert await feed.read(hid, ["budget"]) == _stored(engine, hid, ["budget"])

    _run(url, body)


# -- FOYER_STAMP_FEED_URL: the feed on a URL of its own ------------------------------------


def _plain(url: str) -> str:
    return url.replace("postgresql+psycopg", "postgresql")


@pytest.mark.postgres
def test_a_feed_url_reaching_the_same_database_by_another_path_is_used(
    pg: tuple[str, Engine],
) -> None:
    url, engine = pg
    hid = make_user(engine).household_id
    main = _plain(url)
    # Another path to the same database (as a feed connecting directly while the main pool
    # goes through PgBouncer would): another host name where there is one, other options.
    other = main.replace("@127.0.0.1:", "@localhost:") + "?connect_timeout=5"

    async def main_body() -> None:
        feed = StampFeed(other, same_as=main)
        feed.HEARTBEAT_SECONDS = 3600
        try:
            assert await feed.read(hid, ["budget"]) is None  # connecting: read the database
            await _until(lambda: feed.live)
            with unit_of_work(engine) as conn:
                stamps.renew(conn, hid, ["budget"])
            assert await feed.read(hid, ["budget"]) == _stored(engine, hid, ["budget"])
            with pg_admin() as admin:
                listening = admin.execute(
                    "SELECT count(*) FROM pg_stat_activity "
                    "WHERE datname = %s AND application_name = 'foyer-stamp-feed'",
                    (url.rsplit("/", 1)[1],),
                ).fetchall()
            assert listening == [(1,)]
            assert not feed.refused
        finally:
            await feed.aclose()

    asyncio.run(main_body())


@pytest.mark.postgres
def test_a_feed_url_reaching_another_database_is_refused_and_reads_fall_back(
    pg: tuple[str, Engine], caplog: pytest.LogCaptureFixture
) -> None:
    url, engine = pg
    hid = make_user(engine).household_id
    elsewhere = _plain(url).rsplit("/", 1)[0] + "/postgres"  # same server, another database

    async def main_body() -> None:
        feed = StampFeed(elsewhere, same_as=_plain(url))
        try:
            assert await feed.read(hid, ["budget"]) is None  # connecting: read the database
            await _until(lambda: feed.refused)
            # It would hear none of this database's writes: it never goes live, and every
            # read says "read the database" (None), so answers stay exact.
            with unit_of_work(engine) as conn:
                stamps.renew(conn, hid, ["budget"])
            for _ in range(3):
                assert await feed.read(hid, ["budget"]) is None
                await asyncio.sleep(0.05)
            assert not feed.live
            assert feed.status()["refused"] is True
        finally:
            await feed.aclose()

    with caplog.at_level("ERROR", logger="foyer.cache"):
        asyncio.run(main_body())
    (error,) = [r for r in caplog.records if r.levelname == "ERROR"]
    assert "FOYER_STAMP_FEED_URL reaches postgres of cluster" in error.getMessage()


def test_the_setting_points_the_feed_and_keeps_the_main_url_to_check_against() -> None:
    main = create_engine("postgresql+psycopg://app@pgbouncer:6432/foyer")  # never connects
    direct = "postgresql://app@db:5432/foyer"
    with_url = LoopStamps(
        Settings(database_url=str(main.url), stamp_feed_url=direct, secret_key="k" * 40), main
    )
    assert with_url.feed is not None
    assert with_url.feed._url == direct
    assert with_url.feed._same_as is not None
    assert with_url.feed._same_as.main_url == "postgresql://app@pgbouncer:6432/foyer"
    without = LoopStamps(Settings(database_url=str(main.url), secret_key="k" * 40), main)
    assert without.feed is not None
    assert without.feed._url == "postgresql://app@pgbouncer:6432/foyer"
    assert without.feed._same_as is None  # one URL: nothing to compare
