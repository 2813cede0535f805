"""Per household, the optimized reader or the reference one — and the reference answers
when the optimized one fails.

Which reader: `use_optimized(household_id)`, the `engine` feature flag
(`foyer.observability.flags`). Both readers give identical bodies (the differential test
`tests/read/test_optimized_equals_reference.py`), so an answer and its cache key do not
depend on which computed it.

The fallback (the seeds' automatic rollback): the reference reader recomputes from the
rows themselves, so it stays right when the optimized code or the aggregates it reads are
wrong. Any exception of the optimized reader falls back, except
- the caller's mistakes (`passthrough`: a refused parameter or cursor): the reference
  would refuse them too, and they must reach the client as the 4xx they are;
- the database unreachable (a connection lost, no connection free in the pool): the
  reference would fail the same way, at a higher cost, when the database can least take it.
Each fallback is logged with its traceback (logger `foyer.flags`, ERROR) and reported to
`on_fallback(view)` (the counter `foyer_reader_fallbacks_total{view}`, for alerts).

The connection after a failure. SQLite undoes only the failed statement: the reference
reads on the same connection. PostgreSQL aborts the whole transaction on a database error:
a read connection is rolled back first (its transaction holds nothing; what it reads then
is newer than the cache key's stamps, which `foyer.cache.lookup` allows — never older).
Inside a write's transaction (the warm-ups before a commit) rolling back is not this
reader's to do: the error goes on to the warm-up's savepoint, which logs it and leaves the
write alone; the next read of the view falls back. A savepoint around every optimized read
would cost two round trips each to spare that one warm-up.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import TypeVar

from sqlalchemy import Connection
from sqlalchemy.exc import DBAPIError, DisconnectionError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError

from foyer.cache.params import ParamError
from foyer.domain.vocabulary import ExpenseType
from foyer.read.cursors import InvalidCursorError
from foyer.read.protocol import JSON, DashboardReader

log = logging.getLogger("foyer.flags")

#: Exceptions that are the request's fault, not the reader's: never a fallback.
PASSTHROUGH: tuple[type[Exception], ...] = (ParamError, InvalidCursorError)

R = TypeVar("R")


def _database_down(exc: Exception) -> bool:
    if isinstance(exc, PoolTimeoutError | DisconnectionError):
        return True
    return isinstance(exc, DBAPIError) and exc.connection_invalidated


def _in_write(conn: Connection) -> bool:
    # foyer_write: the execution option Database.unit_of_work opens its connection with.
    return bool(conn.get_execution_options().get("foyer_write")) or conn.in_nested_transaction()


class FallbackReader:
    """A `DashboardReader` choosing per household, falling back on failure (see module)."""

    name = "flagged"

    def __init__(
        self,
        optimized: DashboardReader,
        reference: DashboardReader,
        *,
        use_optimized: Callable[[int], bool],
        on_fallback: Callable[[str], None],
        passthrough: tuple[type[Exception], ...] = PASSTHROUGH,
    ) -> None:
        self.optimized = optimized
        self.reference = reference
        self._use_optimized = use_optimized
        self._on_fallback = on_fallback
        self._passthrough = passthrough

    def _read(
        self,
        view: str,
        conn: Connection,
        household_id: int,
        call: Callable[[DashboardReader], R],
    ) -> R:
        if not self._use_optimized(household_id):
            return call(self.reference)
        try:
            return call(self.optimized)
        except self._passthrough:
            raise
        except Exception as exc:
            aborted = conn.dialect.name == "postgresql" and isinstance(exc, DBAPIError)
            if _database_down(exc) or (aborted and _in_write(conn)):
                raise
            self._on_fallback(view)
            log.error(
                "optimized reader failed on %s for household %s; answered by the reference reader",
                view,
                household_id,
                exc_info=True,
            )
            if aborted:
                conn.rollback()
            return call(self.reference)

    def summary(self, conn: Connection, *, household_id: int, month: str) -> JSON:
        return self._read(
            "summary",
            conn,
            household_id,
            lambda r: r.summary(conn, household_id=household_id, month=month),
        )

    def slim_summary(self, conn: Connection, *, household_id: int, month: str) -> JSON:
        return self._read(
            "slim_summary",
            conn,
            household_id,
            lambda r: r.slim_summary(conn, household_id=household_id, month=month),
        )

    def hierarchy(self, conn: Connection, *, household_id: int, month: str) -> list[JSON]:
        return self._read(
            "hierarchy",
            conn,
            household_id,
            lambda r: r.hierarchy(conn, household_id=household_id, month=month),
        )

    def drill_down_summary(
        self, conn: Connection, *, household_id: int, category: str, month: str
    ) -> JSON:
        return self._read(
            "drill_down_summary",
            conn,
            household_id,
            lambda r: r.drill_down_summary(
                conn, household_id=household_id, category=category, month=month
            ),
        )

    def drill_down_details(
        self, conn: Connection, *, household_id: int, category: str, month: str
    ) -> JSON:
        return self._read(
            "drill_down_details",
            conn,
            household_id,
            lambda r: r.drill_down_details(
                conn, household_id=household_id, category=category, month=month
            ),
        )

    def trends(self, conn: Connection, *, household_id: int, start: str, end: str) -> JSON:
        return self._read(
            "trends",
            conn,
            household_id,
            lambda r: r.trends(conn, household_id=household_id, start=start, end=end),
        )

    def analytics_categories(
        self,
        conn: Connection,
        *,
        household_id: int,
        month: str,
        expense_types: Sequence[ExpenseType],
    ) -> JSON:
        return self._read(
            "analytics_categories",
            conn,
            household_id,
            lambda r: r.analytics_categories(
                conn, household_id=household_id, month=month, expense_types=expense_types
            ),
        )

    def provisions_calculate(self, conn: Connection, *, household_id: int, month: str) -> JSON:
        return self._read(
            "provisions_calculate",
            conn,
            household_id,
            lambda r: r.provisions_calculate(conn, household_id=household_id, month=month),
        )

    def kpis(self, conn: Connection, *, household_id: int, start: str, end: str) -> JSON:
        return self._read(
            "kpis",
            conn,
            household_id,
            lambda r: r.kpis(conn, household_id=household_id, start=start, end=end),
        )

    def transfers(self, conn: Connection, *, household_id: int, month: str) -> JSON:
        return self._read(
            "transfers",
            conn,
            household_id,
            lambda r: r.transfers(conn, household_id=household_id, month=month),
        )

    def budgets(self, conn: Connection, *, household_id: int, month: str) -> JSON:
        return self._read(
            "budgets",
            conn,
            household_id,
            lambda r: r.budgets(conn, household_id=household_id, month=month),
        )

    def budget_suggestions(self, conn: Connection, *, household_id: int, month: str) -> JSON:
        return self._read(
            "budget_suggestions",
            conn,
            household_id,
            lambda r: r.budget_suggestions(conn, household_id=household_id, month=month),
        )

    def anomalies(self, conn: Connection, *, household_id: int, month: str) -> JSON:
        return self._read(
            "anomalies",
            conn,
            household_id,
            lambda r: r.anomalies(conn, household_id=household_id, month=month),
        )
