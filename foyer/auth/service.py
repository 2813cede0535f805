"""Households and users: creation (CLI), login checks, passwords and the current user's profile.

`register_user` is how a person gets an account (the CLI): the password policy and the
household rules of SPEC §7 apply. `create_user` below it takes any password and joins or
creates the household by name: for the demo and bench datasets and the tests' factories,
which build many users with one precomputed hash.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Select, func, select, update

from foyer.auth.policy import check_new_email, check_new_password, normalise_email
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
    token_generation: int = 0  # what its new tokens carry (foyer.auth.revocation)


MAX_MEMBERS = 2  # a household is a couple (SPEC §7)


class UserExistsError(Exception):
    """A user with this email already exists."""


class HouseholdError(Exception):
    """The user cannot be added to this household; the message says why."""


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
    """Create a user in the named household (joined if it exists, else created), with
    no password policy: see the module docstring, and `register_user` for people."""
    email = normalise_email(email)
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


def register_user(
    conn: Connection,
    *,
    email: str,
    password: str,
    household_name: str,
    join: bool = False,
    operator: bool = False,
) -> User:
    """A new user under SPEC §7's rules: a real email (InvalidEmailError), the password
    policy (WeakPasswordError), and
    either a new household (`join` False: HouseholdError when the name is taken) or an
    existing one of fewer than two members (`join` True)."""
    email = check_new_email(email)
    check_new_password(password)
    existing = conn.execute(
        select(household.c.id).where(household.c.name == household_name).with_for_update()
    ).scalar()
    if not join and existing is not None:
        raise HouseholdError(
            f"household {household_name!r} exists: --join it (as its second member) or "
            "choose another name"
        )
    if join:
        if existing is None:
            raise HouseholdError(f"no household called {household_name!r} to join")
        members = conn.execute(
            select(func.count()).where(user_account.c.household_id == existing)
        ).scalar_one()
        if members >= MAX_MEMBERS:
            raise HouseholdError(
                f"household {household_name!r} has {members} members already (at most "
                f"{MAX_MEMBERS})"
            )
    return create_user(
        conn, email=email, password=password, household_name=household_name, operator=operator
    )


def set_password_hash(conn: Connection, *, user_id: int, password_hash: str) -> None:
    """Store `user_id`'s new password hash (hashed before the unit of work: argon2 takes
    tens of milliseconds, SQLite's writer lock should not wait for it)."""
    conn.execute(
        update(user_account).where(user_account.c.id == user_id).values(password_hash=password_hash)
    )


def _user_query() -> Select[Any]:
    return select(
        user_account.c.id,
        user_account.c.email,
        user_account.c.household_id,
        household.c.name,
        user_account.c.is_operator,
        user_account.c.password_hash,
        user_account.c.token_generation,
    ).join(household, household.c.id == user_account.c.household_id)


def _user(row: Any) -> User:
    return User(
        row.id, row.email, row.household_id, row.name, row.is_operator, row.token_generation
    )


def authenticate(conn: Connection, *, email: str, password: str) -> User | None:
    """The user when the password matches; None otherwise (timing-equalised)."""
    row = conn.execute(
        _user_query().where(user_account.c.email == normalise_email(email))
    ).one_or_none()
    if not verify_password(None if row is None else row.password_hash, password) or row is None:
        return None
    return _user(row)


def check_password(conn: Connection, *, user_id: int, password: str) -> bool:
    """Whether `password` is `user_id`'s (a user that does not exist has none)."""
    stored = conn.execute(
        select(user_account.c.password_hash).where(user_account.c.id == user_id)
    ).scalar_one_or_none()
    return verify_password(stored, password) and stored is not None


def get_user(conn: Connection, user_id: int) -> User | None:
    row = conn.execute(_user_query().where(user_account.c.id == user_id)).one_or_none()
    return None if row is None else _user(row)
