"""The read seam: every dashboard/analytics view a route can ask for."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

from sqlalchemy import Connection

from foyer.domain.vocabulary import ExpenseType

JSON = dict[str, Any]


class DashboardReader(Protocol):
    """Computes dashboard views for one household. Implementations never write."""

    name: str

    def summary(self, conn: Connection, *, household_id: int, month: str) -> JSON: ...

    def slim_summary(self, conn: Connection, *, household_id: int, month: str) -> JSON: ...

    def hierarchy(self, conn: Connection, *, household_id: int, month: str) -> list[JSON]: ...

    def drill_down_summary(
        self, conn: Connection, *, household_id: int, category: str, month: str
    ) -> JSON: ...

    def drill_down_details(
        self, conn: Connection, *, household_id: int, category: str, month: str
    ) -> JSON: ...

    def trends(self, conn: Connection, *, household_id: int, start: str, end: str) -> JSON: ...

    def analytics_categories(
        self,
        conn: Connection,
        *,
        household_id: int,
        month: str,
        expense_types: Sequence[ExpenseType],
    ) -> JSON: ...

    def provisions_calculate(self, conn: Connection, *, household_id: int, month: str) -> JSON: ...

    def kpis(self, conn: Connection, *, household_id: int, start: str, end: str) -> JSON: ...

    def transfers(self, conn: Connection, *, household_id: int, month: str) -> JSON: ...

    def budgets(self, conn: Connection, *, household_id: int, month: str) -> JSON: ...

    def budget_suggestions(self, conn: Connection, *, household_id: int, month: str) -> JSON: ...

    def anomalies(self, conn: Connection, *, household_id: int, month: str) -> JSON: ...
