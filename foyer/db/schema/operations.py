"""What operators change at run time: feature flags (foyer/observability/flags.py)."""

from __future__ import annotations

from sqlalchemy import CheckConstraint, Column, DateTime, Integer, String, Table

from foyer.db.schema.base import metadata

# A flag on for `percent` % of households, chosen by a consistent hash of the household id:
# raising the percentage only ever adds households. A flag without a row has its default.
feature_flag = Table(
    "feature_flag",
    metadata,
    Column("name", String(50), primary_key=True),
    Column("percent", Integer, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("updated_by", String(254), nullable=True),
    CheckConstraint("percent BETWEEN 0 AND 100", name="percent"),
)
