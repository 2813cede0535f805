"""The SPEC §9 answers to the server's own limits, raised below the HTTP layer.

- `QuotaExceededError` (foyer.services.quota): the household wrote its quota of rows for
  now → 429 with Retry-After, in the header and in the envelope's details.
- A statement PostgreSQL cancelled at FOYER_DB_STATEMENT_TIMEOUT_MS → 503 with
  Retry-After: the database is the dependency that did not answer in time. Through
  SQLAlchemy it arrives as `StatementTimeoutError` (foyer.db.engine); through the
  driver's own cursor (COPY, exports' batches) as psycopg's `QueryCanceled`.
"""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from psycopg.errors import QueryCanceled

from foyer.api.errors import envelope
from foyer.db.engine import StatementTimeoutError
from foyer.services.quota import QuotaExceededError

log = logging.getLogger("foyer.errors")

#: Seconds a client should wait after a statement timeout (the load that caused it may pass).
TIMEOUT_RETRY_AFTER = 5


async def _quota_exceeded(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, QuotaExceededError)
    return envelope(
        429,
        "write_quota_exceeded",
        f"this household wrote its quota of rows for now: retry in {exc.retry_after} s",
        details={"rows": exc.rows, "retry_after": exc.retry_after},
        headers={"Retry-After": str(exc.retry_after)},
    )


async def _statement_timeout(request: Request, exc: Exception) -> JSONResponse:
    statement = getattr(exc, "statement", None) or "(driver cursor)"
    # The statement's shape only: its parameters may hold a household's data.
    log.warning(
        "statement cancelled by statement_timeout on %s %s: %.200s",
        request.method,
        request.url.path,
        " ".join(str(statement).split()),
    )
    return envelope(
        503,
        "unavailable",
        "the database took too long to answer",
        headers={"Retry-After": str(TIMEOUT_RETRY_AFTER)},
    )


def install_guard_handlers(app: FastAPI) -> None:
    app.add_exception_handler(QuotaExceededError, _quota_exceeded)
    app.add_exception_handler(StatementTimeoutError, _statement_timeout)
    app.add_exception_handler(QueryCanceled, _statement_timeout)
