"""POST /auth/token (OAuth2 password form) and GET /auth/me."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.security import OAuth2PasswordRequestForm

from foyer.api.deps import Claims, State
from foyer.api.errors import ApiError
from foyer.auth.login import BadCredentials, Throttled, log_in
from foyer.auth.service import get_user
from foyer.schemas.auth import MeRead, TokenRead

router = APIRouter(prefix="/auth", tags=["auth"])


@router.post("/token", response_model=TokenRead, responses={401: {}, 429: {}})
def create_token(
    state: State, request: Request, form: Annotated[OAuth2PasswordRequestForm, Depends()]
) -> TokenRead:
    """Exchange email (as `username`) and password for a bearer token."""
    outcome = log_in(
        database=state.database,
        throttle=state.login_throttle,
        secret=state.secret,
        ttl_minutes=state.settings.token_ttl_minutes,
        email=form.username,
        password=form.password,
        client=request.client.host if request.client else "unknown",
    )
    if isinstance(outcome, Throttled):
        raise ApiError(
            429,
            "too many failed logins; try again later",
            headers={"Retry-After": str(outcome.retry_after)},
        )
    if isinstance(outcome, BadCredentials):
        raise ApiError(401, "incorrect email or password", headers={"WWW-Authenticate": "Bearer"})
    return TokenRead(access_token=outcome.token, expires_in=outcome.ttl_seconds)


@router.get("/me", response_model=MeRead, responses={401: {}})
def read_me(state: State, claims: Claims) -> MeRead:
    """The user the token belongs to."""
    with state.database.read() as conn:
        user = get_user(conn, claims.user_id)
    if user is None or user.household_id != claims.household_id:
        raise ApiError(401, "user no longer exists", headers={"WWW-Authenticate": "Bearer"})
    return MeRead(
        id=user.id,
        email=user.email,
        household_id=user.household_id,
        household_name=user.household_name,
        is_operator=user.is_operator,
    )
