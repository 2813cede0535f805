"""Request dependencies as `Annotated` aliases: the app state, the current user, a month."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Query, Request
from fastapi.security import OAuth2PasswordBearer

from foyer.api.errors import ApiError
from foyer.auth.ratelimit import LoginThrottle
from foyer.auth.revocation import RevocationView
from foyer.auth.security import InvalidTokenError, TokenClaims, TokenReader
from foyer.auth.service import get_user
from foyer.cache.lookup import ViewCache
from foyer.cache.params import check_month
from foyer.cache.store import TieredCache
from foyer.cache.warming import Warmer
from foyer.db.engine import Database
from foyer.jobs.queue import JobQueue
from foyer.observability.context import note_identity
from foyer.observability.flags import Flags
from foyer.observability.memory import MemoryProfiler
from foyer.observability.metrics import Metrics
from foyer.observability.monitor import Monitor
from foyer.observability.queries import QueryMonitor
from foyer.read.cursors import CursorCodec
from foyer.schemas.common import MONTH_PATTERN
from foyer.services.quota import WriteQuota
from foyer.settings import Settings


@dataclass(slots=True)
class AppState:
    """Everything a request may need, built once in create_app."""

    settings: Settings
    database: Database
    secret: str
    tokens: TokenReader  # checks revocation too, through `revocations`
    revocations: RevocationView  # this process's copy of the revoked tokens
    cursors: CursorCodec
    login_throttle: LoginThrottle
    cache: TieredCache
    warmer: Warmer
    view_cache: ViewCache  # cached views: keys, hits, fills
    metrics: Metrics
    jobs: JobQueue  # the job queue (its broker per FOYER_QUEUE)
    write_quota: WriteQuota  # rows each household may write per window (FOYER_WRITE_QUOTA)
    flags: Flags  # feature flags: engine, warming, fast path per household
    # FOYER_MONITORING=off: None. The request window and alerts; the query monitor.
    monitor: Monitor | None
    queries: QueryMonitor | None
    memory: MemoryProfiler  # operators' tracemalloc snapshots (off until started)


async def get_state(request: Request) -> AppState:
    state: AppState = request.app.state.foyer
    return state


_bearer = OAuth2PasswordBearer(tokenUrl="/api/v1/auth/token", auto_error=False)


async def current_claims(
    state: Annotated[AppState, Depends(get_state)],
    token: Annotated[str | None, Depends(_bearer)],
) -> TokenClaims:
    """The signed identity of the caller: no database round-trip on the hot path.

    Async (as get_state and the month check): no I/O, so FastAPI runs them on the event
    loop instead of sending each through the threadpool.
    """
    unauthorized = {"WWW-Authenticate": "Bearer"}
    if not token:
        raise ApiError(401, "not authenticated", headers=unauthorized)
    try:
        claims = state.tokens.read(token)
    except InvalidTokenError as exc:
        raise ApiError(401, "invalid or expired token", headers=unauthorized) from exc
    note_identity(claims.household_id, claims.user_id)
    return claims


State = Annotated[AppState, Depends(get_state)]
Claims = Annotated[TokenClaims, Depends(current_claims)]


def operator_claims(state: State, claims: Claims) -> TokenClaims:
    """The caller's claims when the caller is an operator (SPEC §7), else 403.

    Read from the database on every call, not from the token: taking the flag away
    takes effect at once. Sync: FastAPI runs it on the threadpool (a database read).
    """
    with state.database.read() as conn:
        user = get_user(conn, claims.user_id)
    if user is None or user.household_id != claims.household_id:
        raise ApiError(401, "user no longer exists", headers={"WWW-Authenticate": "Bearer"})
    if not user.is_operator:
        raise ApiError(403, "operators only")
    return claims


Operator = Annotated[TokenClaims, Depends(operator_claims)]


async def _month_query(
    month: Annotated[
        str,
        Query(
            description="YYYY-MM",
            examples=["2025-06"],
            pattern=r"^\d{4}-\d{2}$",
            json_schema_extra={"pattern": MONTH_PATTERN},  # the docs say what check_month takes
        ),
    ],
) -> str:
    # A dependency, not a plain Query: its 422 comes before the route's other checks.
    return check_month(month, "month")


MonthQuery = Annotated[str, Depends(_month_query)]
