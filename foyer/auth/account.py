"""Signing out and changing one's password: the two ways a user revokes tokens (SPEC §7).

Both write through a unit of work, then tell this process's `RevocationView` at once (the
other processes read it within FOYER_TOKEN_REVOCATION_REFRESH_SECONDS). A password change
is a password check like a login: throttled and bounded the same way (foyer.auth.login).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from foyer.auth.login import BadCredentials, Busy, Throttled, guarded
from foyer.auth.policy import MAX_PASSWORD_CHARS, check_new_password
from foyer.auth.ratelimit import LoginThrottle
from foyer.auth.revocation import RevocationView, renew_generation, revoke_token
from foyer.auth.security import TokenClaims, hash_password
from foyer.auth.service import check_password, get_user, set_password_hash
from foyer.db.engine import Database


@dataclass(frozen=True, slots=True)
class PasswordChanged:
    generation: int  # every token of an older one is refused


class UnknownUser:
    """The token's user no longer exists, or no longer in the token's household."""


def sign_out(database: Database, revocations: RevocationView, claims: TokenClaims) -> None:
    """Refuse the token of `claims` from now on."""
    with database.unit_of_work() as conn:
        revoke_token(conn, claims)
    revocations.note_revoked(claims.jti)


def change_password(
    *,
    database: Database,
    throttle: LoginThrottle,
    revocations: RevocationView,
    claims: TokenClaims,
    current: str,
    new: str,
    client: str,
    token_lifetime: dt.timedelta,
) -> PasswordChanged | Throttled | Busy | BadCredentials | UnknownUser:
    """Set `new` (the policy applies: WeakPasswordError) when `current` is the user's
    password, and refuse every token the user was issued before."""
    check_new_password(new)
    with database.read() as conn:
        user = get_user(conn, claims.user_id)
    if user is None or user.household_id != claims.household_id:
        return UnknownUser()

    def check() -> PasswordChanged | None:
        with database.read() as conn:
            if not check_password(conn, user_id=user.id, password=current):
                return None
        password_hash = hash_password(new)
        with database.unit_of_work() as conn:
            set_password_hash(conn, user_id=user.id, password_hash=password_hash)
            generation = renew_generation(conn, user_id=user.id, token_lifetime=token_lifetime)
        revocations.note_generation(user.id, generation)
        return PasswordChanged(generation)

    plausible = len(current) <= MAX_PASSWORD_CHARS
    return guarded(throttle, account=user.email if plausible else None, client=client, check=check)
