"""A household's own tables: the household, its users, config, fixed lines, provisions;
and the instance secret."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    PrimaryKeyConstraint,
    String,
    Table,
    UniqueConstraint,
)

from foyer.db.schema.base import SPLIT_MODES, household_fk, metadata

household = Table(
    "household",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(100), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("name"),
)

user_account = Table(
    "user_account",
    metadata,
    Column("id", Integer, primary_key=True),
    household_fk(),
    Column("email", String(254), nullable=False),
    Column("password_hash", String(255), nullable=False),
    Column("is_operator", Boolean, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    # Bumped by a password change: every token issued under an older generation is refused.
    Column("token_generation", Integer, nullable=False, server_default="0"),
    UniqueConstraint("email"),
    Index(None, "household_id"),
)

# Tokens signed out before they expire (`POST /auth/logout`), by their `jti`; a row is
# useless once `expires_at` passes (the token is refused anyway) and is purged then.
revoked_token = Table(
    "revoked_token",
    metadata,
    Column("jti", String(64), primary_key=True),
    Column("user_id", Integer, ForeignKey("user_account.id", ondelete="CASCADE"), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    Index(None, "expires_at"),
)

household_config = Table(
    "household_config",
    metadata,
    Column(
        "household_id",
        Integer,
        ForeignKey("household.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("member1_name", String(50), nullable=False),
    Column("member2_name", String(50), nullable=False),
    Column("income1_cents", BigInteger, nullable=False),
    Column("income2_cents", BigInteger, nullable=False),
    Column("tax_rate1_bp", Integer, nullable=False),
    Column("tax_rate2_bp", Integer, nullable=False),
    Column("split_mode", String(10), nullable=False),
    Column("manual_share1_bp", Integer, nullable=False),
    # What the joint account keeps untouched: the transfer plan (SPEC §12) only counts the
    # balance above it as money already there.
    Column("buffer_cents", BigInteger, nullable=False, server_default="0"),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    CheckConstraint("split_mode IN ('income', 'manual')", name="split_mode"),
    CheckConstraint("income1_cents >= 0 AND income2_cents >= 0", name="income"),
    CheckConstraint(
        "tax_rate1_bp BETWEEN 0 AND 10000 AND tax_rate2_bp BETWEEN 0 AND 10000", name="tax_rate"
    ),
    CheckConstraint("manual_share1_bp BETWEEN 0 AND 10000", name="manual_share1"),
    CheckConstraint("buffer_cents >= 0", name="buffer"),
)

# The joint account's balance at the start of a month, as the couple entered it (SPEC §12
# transfer plan). One row per month entered; a month without one counts as 0.
month_balance = Table(
    "month_balance",
    metadata,
    household_fk(),
    Column("month", String(7), nullable=False),
    Column("account_balance_cents", BigInteger, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    PrimaryKeyConstraint("household_id", "month"),
)

fixed_line = Table(
    "fixed_line",
    metadata,
    Column("id", Integer, primary_key=True),
    household_fk(),
    Column("label", String(200), nullable=False),
    Column("amount_cents", BigInteger, nullable=False),
    Column("frequency", String(10), nullable=False),
    Column("split_mode", String(10), nullable=False),
    Column("custom_share1_bp", Integer, nullable=True),
    Column("category", String(100), nullable=False),
    Column("active", Boolean, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    CheckConstraint("amount_cents > 0", name="amount"),
    CheckConstraint("frequency IN ('monthly', 'quarterly', 'annual')", name="frequency"),
    CheckConstraint(f"split_mode IN {SPLIT_MODES}", name="split_mode"),
    Index(None, "household_id", "id"),
)

provision = Table(
    "provision",
    metadata,
    Column("id", Integer, primary_key=True),
    household_fk(),
    Column("name", String(100), nullable=False),
    Column("icon", String(50), nullable=False),
    Column("color", String(7), nullable=False),
    Column("display_order", Integer, nullable=False),
    Column("base", String(10), nullable=False),
    Column("percentage_bp", Integer, nullable=False),
    Column("fixed_amount_cents", BigInteger, nullable=False),
    Column("split_mode", String(10), nullable=False),
    Column("custom_share1_bp", Integer, nullable=True),
    Column("is_active", Boolean, nullable=False),
    Column("start_month", String(7), nullable=True),
    Column("end_month", String(7), nullable=True),
    Column("target_amount_cents", BigInteger, nullable=True),
    Column("current_amount_cents", BigInteger, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    CheckConstraint("base IN ('total', 'member1', 'member2', 'fixed')", name="base"),
    CheckConstraint("percentage_bp BETWEEN 0 AND 10000", name="percentage"),
    CheckConstraint(f"split_mode IN {SPLIT_MODES}", name="split_mode"),
    Index(None, "household_id", "id"),  # every listing of provisions is in id order
)


instance_secret = Table(
    "instance_secret",
    metadata,
    Column("name", String(50), primary_key=True),
    Column("value", String(200), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)
