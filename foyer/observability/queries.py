"""The query monitor: every statement through the app's engines, timed (SQLAlchemy events).

- Latency per statement kind (`foyer_query_seconds`), and per request the count and time
  (into the request's `RequestInfo`, which the access log and `foyer_request_queries` read).
- Slow statements (over FOYER_SLOW_QUERY_MS): counted, kept (the slowest few, by shape),
  and explained — the plan is read off the request path, by `explain_pending` on the
  monitor's background tick, on a connection of its own, then logged with the statement.
- N+1 suspects: a request that ran one statement shape FOYER_QUERY_REPEAT_THRESHOLD times
  or more is logged with its route and counted (`foyer_repeated_statements_total`).

A statement's "shape" is its text as sent to the driver: SQLAlchemy binds every value
as a parameter, so the same query for another id has the same text. Parameters are kept
in memory only to explain a slow statement and never logged: they hold household data.

Hand-written on SQLAlchemy's documented cursor-execute events (the profiling recipe):
sqlalchemy-utils and friends time statements but none ties them to a request, keeps
plans, or finds repeated shapes.
"""

from __future__ import annotations

import logging
import threading
import time
import weakref
from collections import Counter, deque
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine, event
from sqlalchemy.engine import Connection

from foyer.observability.context import RequestInfo, current_request
from foyer.observability.metrics import Metrics

log = logging.getLogger("foyer.queries")

_KINDS = ("select", "insert", "update", "delete")
_STARTED = "foyer_query_started"
_EXPLAINABLE = ("select", "with")


def statement_kind(statement: str) -> str:
    head = statement.lstrip()[:6].lower()
    return head if head in _KINDS else "other"


@dataclass(slots=True)
class SlowStatement:
    statement: str
    dialect: str
    # The request it ran for (its route is known once the request ends), None: background.
    request: RequestInfo | None
    worst_seconds: float
    count: int = 1
    parameters: Any = None  # the worst run's, to explain it; never logged
    plan: list[str] | None = None
    explained: bool = False

    @property
    def route(self) -> str:
        return self.request.route if self.request is not None else "background"

    def public(self) -> dict[str, Any]:
        return {
            "statement": self.statement,
            "route": self.route,
            "worst_ms": round(self.worst_seconds * 1000, 3),
            "count": self.count,
            "plan": self.plan,
        }


@dataclass(frozen=True, slots=True)
class Repeat:
    route: str
    statement: str
    runs: int
    at: float = field(default_factory=time.time)

    def public(self) -> dict[str, Any]:
        return {"route": self.route, "statement": self.statement, "runs": self.runs, "at": self.at}


# One pair of listeners per engine, however many apps share it (the tests' apps do): a
# statement goes to the monitor of the request it runs for, else to the engine's owner.
_listening: weakref.WeakSet[Engine] = weakref.WeakSet()
_owners: weakref.WeakKeyDictionary[Engine, QueryMonitor] = weakref.WeakKeyDictionary()


def _before(conn: Connection, *_args: Any) -> None:
    conn.info.setdefault(_STARTED, []).append(time.perf_counter())


def _after(
    conn: Connection,
    _cursor: Any,
    statement: str,
    parameters: Any,
    _context: Any,
    executemany: bool,
) -> None:
    elapsed = time.perf_counter() - conn.info[_STARTED].pop()
    info = current_request.get()
    monitor = info.monitor if info is not None else None
    if monitor is None:
        monitor = _owners.get(conn.engine)
        if monitor is None:
            return
    monitor.observe(info, statement, parameters, conn, executemany, elapsed)


class QueryMonitor:
    def __init__(
        self,
        metrics: Metrics,
        *,
        slow_ms: float,
        repeat_threshold: int,
        keep: int = 20,
    ) -> None:
        self.metrics = metrics
        self.slow_seconds = slow_ms / 1000
        self.repeat_threshold = repeat_threshold
        self.keep = keep
        self._lock = threading.Lock()
        self._slow: dict[str, SlowStatement] = {}
        self._repeats: deque[Repeat] = deque(maxlen=keep)
        # The labelled children, looked up once: labels() costs more than observe().
        self._latency = {
            kind: metrics.batched(metrics.query_seconds.labels(kind)) for kind in (*_KINDS, "other")
        }

    def attach(self, engine: Engine) -> None:
        """Time every statement `engine` runs: statements of this app's requests, and its
        background work's (the last monitor attached to an engine takes those)."""
        _owners[engine] = self
        if engine not in _listening:
            event.listen(engine, "before_cursor_execute", _before)
            event.listen(engine, "after_cursor_execute", _after)
            _listening.add(engine)

    def observe(
        self,
        info: RequestInfo | None,
        statement: str,
        parameters: Any,
        conn: Connection,
        executemany: bool,
        elapsed: float,
    ) -> None:
        kind = statement_kind(statement)
        self._latency[kind].observe(elapsed)
        if info is not None:
            info.queries += 1
            info.query_seconds += elapsed
            if info.shapes is None:
                info.shapes = Counter()
            info.shapes[statement] += 1
        if elapsed >= self.slow_seconds:
            self._note_slow(
                statement, None if executemany else parameters, conn, info, elapsed, kind
            )

    def record(self, statement: str, seconds: float) -> None:
        """A statement run outside SQLAlchemy (the PostgreSQL data-stamp reads of cache hits,
        on psycopg's async pool): counted like the others, never explained."""
        kind = statement_kind(statement)
        self._latency[kind].observe(seconds)
        info = current_request.get()
        if info is not None:
            info.queries += 1
            info.query_seconds += seconds

    def _note_slow(
        self,
        statement: str,
        parameters: Any,
        conn: Connection,
        info: RequestInfo | None,
        elapsed: float,
        kind: str,
    ) -> None:
        self.metrics.slow_statements.labels(kind).inc()
        with self._lock:
            known = self._slow.get(statement)
            if known is not None:
                known.count += 1
                if elapsed > known.worst_seconds:
                    known.worst_seconds, known.request = elapsed, info
                    known.parameters = parameters
                return
            self._slow[statement] = SlowStatement(
                statement, conn.dialect.name, info, elapsed, parameters=parameters
            )
            if len(self._slow) > self.keep:  # forget the fastest of the slow
                fastest = min(self._slow.values(), key=lambda slow: slow.worst_seconds)
                del self._slow[fastest.statement]

    def finish(self, info: RequestInfo) -> None:
        """At the end of a request: flag the statement shapes it repeated (N+1 suspects)."""
        if info.shapes is None or info.queries < self.repeat_threshold:
            return
        for statement, runs in info.shapes.items():
            if runs >= self.repeat_threshold:
                self.metrics.repeated_statements.labels(info.route).inc()
                with self._lock:
                    self._repeats.append(Repeat(info.route, statement, runs))
                log.warning(
                    "statement repeated %d times in one request (N+1?)",
                    runs,
                    extra={"route": info.route, "statement": statement, "runs": runs},
                )

    def explain_pending(self, engine: Engine) -> None:
        """Read and log the plan of each slow statement not explained yet (off the request
        path: the monitor's background tick calls this)."""
        with self._lock:
            pending = [slow for slow in self._slow.values() if not slow.explained]
            for slow in pending:
                slow.explained = True
        for slow in pending:
            slow.plan = self._explain(engine, slow)
            log.warning(
                "slow statement: %.1f ms",
                slow.worst_seconds * 1000,
                extra={"route": slow.route, "statement": slow.statement, "plan": slow.plan},
            )

    @staticmethod
    def _explain(engine: Engine, slow: SlowStatement) -> list[str] | None:
        words = slow.statement.split(None, 1)
        if not words or words[0].lower() not in _EXPLAINABLE:
            return None
        prefix = "EXPLAIN QUERY PLAN " if slow.dialect == "sqlite" else "EXPLAIN "
        try:
            with engine.connect() as conn:
                rows = conn.exec_driver_sql(prefix + slow.statement, slow.parameters or ()).all()
        except Exception as exc:  # a plan is a nicety; its failure is reported, not raised
            return [f"plan unavailable: {type(exc).__name__}: {exc}"]
        return [str(row[-1]) for row in rows]

    def report(self) -> dict[str, Any]:
        with self._lock:
            slowest = sorted(self._slow.values(), key=lambda s: s.worst_seconds, reverse=True)
            return {
                "slow_statement_ms": self.slow_seconds * 1000,
                "slowest": [slow.public() for slow in slowest],
                "repeat_threshold": self.repeat_threshold,
                "repeated": [repeat.public() for repeat in reversed(self._repeats)],
            }

    def reset(self) -> None:
        with self._lock:
            self._slow.clear()
            self._repeats.clear()
