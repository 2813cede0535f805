"""The metadata every table hangs on: naming convention, id type, the household key."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    ForeignKey,
    Integer,
    MetaData,
)

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = MetaData(naming_convention=NAMING_CONVENTION)

# SQLite only auto-assigns ids to an INTEGER PRIMARY KEY (the rowid alias); PostgreSQL gets
# a 64-bit identity so ids never run out at scale.
BigId = BigInteger().with_variant(Integer(), "sqlite")

SPLIT_MODES = "('key', 'equal', 'member1', 'member2', 'custom')"


def household_fk() -> Column[int]:
    return Column(
        "household_id",
        Integer,
        ForeignKey("household.id", ondelete="CASCADE"),
        nullable=False,
    )
