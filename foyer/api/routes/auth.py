"""POST /auth/token (OAuth2 password form), GET /auth/me, POST /auth/logout and
POST /auth/password (SPEC §7).

Every answer here carries `Cache-Control: no-store`: tokens and profiles are for the
caller alone, never for a browser's or a proxy's cache.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response
from fastapi.security import OAuth2PasswordRequestForm

from foyer.api.deps import Claims, State
from foyer.api.errors import ApiError
from foyer.auth.account import UnknownUser, change_password, sign_out
from foyer.auth.login import BadCredentials, Busy, Throttled, log_in
from foyer.auth.service import get_user
from foyer.schemas.auth import MeRead, PasswordChange, TokenRead

NO_STORE = {"Cache-Control": "no-store"}
UNAUTHORIZED = {**NO_STORE, "WWW-Authenticate": "Bearer"}


async def _no_store(response: Response) -> None:
    response.headers.update(NO_STORE)


router = APIRouter(prefix="/auth", tags=["auth"], dependencies=[Depends(_no_store)])


def client_address(request: Request) -> str:
    """The caller's address as the server sees it: the proxy's, unless `foyer serve
    --proxy-headers` trusts the proxy's X-Forwarded-For (README, "Behind a proxy")."""
    return request.client.host if request.client else "unknown"


def refused(outcome: Throttled | Busy) -> ApiError:
    """A throttled or busy attempt as its envelope: 429, or 503 when no check can run."""
    headers = {**NO_STORE, "Retry-After": str(outcome.retry_after)}
    if isinstance(outcome, Throttled):
        return ApiError(429, "too many failed attempts; try again later", headers=headers)
    return ApiError(503, "too many password checks at once; try again shortly", headers=headers)


@router.post("/token", response_model=TokenRead, responses={401: {}, 429: {}, 503: {}})
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
        client=client_address(request),
    )
    if isinstance(outcome, Throttled | Busy):
        raise refused(outcome)
    if isinstance(outcome, BadCredentials):
        raise ApiError(401, "incorrect email or password", headers=UNAUTHORIZED)
    return TokenRead(access_token=outcome.token, expires_in=outcome.ttl_seconds)


@router.get("/me", response_model=MeRead, responses={401: {}})
def read_me(state: State, claims: Claims) -> MeRead:
    """The user the token belongs to."""
    with state.database.read() as conn:
        user = get_user(conn, claims.user_id)
    if user is None or user.household_id != claims.household_id:
        raise ApiError(401, "user no longer exists", headers=UNAUTHORIZED)
    return MeRead(
        id=user.id,
        email=user.email,
        household_id=user.household_id,
        household_name=user.household_name,
        is_operator=user.is_operator,
    )


@router.post("/logout", status_code=204, responses={401: {}})
def log_out(state: State, claims: Claims) -> Response:
    """Revoke this token: refused (401) from now on."""
    sign_out(state.database, state.revocations, claims)
    return Response(status_code=204, headers=NO_STORE)


@router.post("/password", status_code=204, responses={401: {}, 403: {}, 422: {}, 429: {}, 503: {}})
def update_password(
    state: State, request: Request, claims: Claims, body: PasswordChange
) -> Response:
    """Change the caller's password: every token issued to the caller before, this one
    included, is refused from now on (log in again with the new password). A wrong
    `current_password` is 403, counted like a failed login."""
    outcome = change_password(
        database=state.database,
        throttle=state.login_throttle,
        revocations=state.revocations,
        claims=claims,
        current=body.current_password,
        new=body.new_password,
        client=client_address(request),
        token_lifetime=dt.timedelta(minutes=state.settings.token_ttl_minutes),
    )
    if isinstance(outcome, Throttled | Busy):
        raise refused(outcome)
    if isinstance(outcome, UnknownUser):
        raise ApiError(401, "user no longer exists", headers=UNAUTHORIZED)
    if isinstance(outcome, BadCredentials):
        raise ApiError(403, "the current password is incorrect", headers=NO_STORE)
    return Response(status_code=204, headers=NO_STORE)
