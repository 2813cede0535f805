"""Households and users: creation (CLI), login checks and the current user's profile."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Select, select

from foyer.auth.security import hash_password, verify_password
from foyer.db.schema import household, household_config, user_account
from foyer.domain.model import HouseholdConfig


@dataclass(frozen=True, slots=True)
class User:
    id: int
    email: str
    household_id: int
    household_name: str
    is_operator: bool


class UserExistsError(Exception):
    """A user with this email already exists."""


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def ensure_household(conn: Connection, *, name: str) -> int:
    """The id of the household called `name`, created with a default configuration if new."""
    existing = conn.execute(select(household.c.id).where(household.c.name == name)).scalar()
    if existing is not None:
        return int(existing)
    household_id = int(
        conn.execute(
            household.insert().values(name=name, created_at=_now()).returning(household.c.id)
        ).scalar_one()
    )
    default = HouseholdConfig()
    conn.execute(
        household_config.insert().values(
            household_id=household_id,
            member1_name=default.member1_name,
            member2_name=default.member2_name,
            income1_cents=default.income1_cents,
            income2_cents=default.income2_cents,
            tax_rate1_bp=default.tax_rate1_bp,
            tax_rate2_bp=default.tax_rate2_bp,
            split_mode=default.split_mode,
            manual_share1_bp=default.manual_share1_bp,
            updated_at=_now(),
        )
    )
    return household_id


def create_user(
    conn: Connection,
    *,
    email: str,
    password: str,
    household_name: str,
    operator: bool = False,
    password_hash: str | None = None,
) -> User:
    """Create a user in the named household (joined if it exists, else created)."""
    email = email.strip().lower()
    taken = conn.execute(select(user_account.c.id).where(user_account.c.email == email)).scalar()
    if taken is not None:
        raise UserExistsError(email)
    household_id = ensure_household(conn, name=household_name)
    user_id = conn.execute(
        user_account.insert()
        .values(
            household_id=household_id,
            email=email,
            password_hash=password_hash or hash_password(password),
            is_operator=operator,
            created_at=_now(),
        )
        .returning(user_account.c.id)
    ).scalar_one()
    return User(int(user_id), email, household_id, household_name, operator)


def _user_query() -> Select[Any]:
    return select(
        user_account.c.id,
        user_account.c.email,
        user_account.c.household_id,
        household.c.name,
        user_account.c.is_operator,
        user_account.c.password_hash,
    ).join(household, household.c.id == user_account.c.household_id)


def authenticate(conn: Connection, *, email: str, password: str) -> User | None:
    """The user when the password matches; None otherwise (timing-equalised)."""
    row = conn.execute(
        _user_query().where(user_account.c.email == email.strip().lower())
    ).one_or_none()
    if not verify_password(None if row is None else row.password_hash, password) or row is None:
        return None
    return User(row.id, row.email, row.household_id, row.name, row.is_operator)


def get_user(conn: Connection, user_id: int) -> User | None:
    row = conn.execute(_user_query().where(user_account.c.id == user_id)).one_or_none()
    if row is None:
        return None
    return User(row.id, row.email, row.household_id, row.name, row.is_operator)
