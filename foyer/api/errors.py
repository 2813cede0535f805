"""The error envelope of SPEC §9, for every error the app can produce.

`{"error": {"code", "message", "correlation_id", "details"?}}` with the right status:
validation errors, HTTP errors raised by routes or by routing itself (404, 405), and any
unhandled exception (500, logged with its traceback, never sent to the client).
"""

from __future__ import annotations

import logging
import sqlite3
from typing import Any

import psycopg
from asgi_correlation_id import correlation_id
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from starlette.exceptions import HTTPException as StarletteHTTPException

from foyer.cache.params import ParamError
from foyer.observability.context import route_template
from foyer.read.cursors import InvalidCursorError

log = logging.getLogger("foyer.errors")

CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "validation_error",
    429: "rate_limited",
    500: "internal_error",
    503: "unavailable",
}


class ApiError(Exception):
    """An error a route raises on purpose; rendered as the envelope."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        code: str | None = None,
        details: Any = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code or CODES.get(status, "error")
        self.message = message
        self.details = details
        self.headers = headers


def not_found(what: str) -> ApiError:
    return ApiError(404, f"{what} not found")


def envelope(
    status: int,
    code: str,
    message: str,
    details: Any = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    cid = correlation_id.get()
    body: dict[str, Any] = {"code": code, "message": message, "correlation_id": cid}
    if details is not None:
        body["details"] = details
    return JSONResponse({"error": body}, status_code=status, headers=headers)


async def _api_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ApiError)
    return envelope(exc.status, exc.code, exc.message, exc.details, exc.headers)


async def _param_error(_request: Request, exc: Exception) -> JSONResponse:
    # A view parameter refused below the HTTP layer (foyer.cache.views): a 422 naming it.
    assert isinstance(exc, ParamError)
    return envelope(422, CODES[422], exc.message, exc.details)


async def _invalid_cursor(_request: Request, exc: Exception) -> JSONResponse:
    # Raised below the HTTP layer (cached drill-down pages decode cursors there too).
    assert isinstance(exc, InvalidCursorError)
    return envelope(400, "invalid_cursor", str(exc))


async def _http_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    message = exc.detail if isinstance(exc.detail, str) else CODES.get(exc.status_code, "error")
    headers = dict(exc.headers) if exc.headers else None
    return envelope(exc.status_code, CODES.get(exc.status_code, "error"), message, headers=headers)


def _jsonable_errors(errors: Any) -> list[dict[str, Any]]:
    out = []
    for err in errors:
        item = {"loc": list(err.get("loc", ())), "msg": err.get("msg", ""), "type": err["type"]}
        out.append(item)
    return out


async def _validation_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = _jsonable_errors(exc.errors())
    # A bulk insert over the item limit is "too large" (413), not a malformed body.
    if any(e["type"] == "too_long" and e["loc"] == ["body", "items"] for e in errors):
        return envelope(413, CODES[413], "too many items in one request", errors)
    first = errors[0] if errors else {"loc": [], "msg": "invalid request"}
    where = ".".join(str(part) for part in first["loc"])
    message = str(first["msg"])
    return envelope(422, CODES[422], f"{where}: {message}" if where else message, errors)


async def _unhandled(request: Request, exc: Exception) -> JSONResponse:
    # The route's template, never the raw path (ids, household data); the formatter adds
    # the correlation id and renders the traceback (foyer.observability.logs).
    route = route_template(request.scope)
    log.error("unhandled error", exc_info=exc, extra={"route": route, "method": request.method})
    # Starlette answers unhandled errors outside every middleware, the correlation one
    # included, so this response carries the id itself.
    cid = correlation_id.get()
    headers = {"X-Correlation-ID": cid} if cid else None
    return envelope(500, CODES[500], "internal server error", headers=headers)


# -- The database unreachable: 503 (issue 14 "Faults", tests/faults/) --------------------
# Added by the faults work, and only this mapping: a database that is down, restarting or
# refusing connections, or an SQLite file whose disk is full or read-only, is a dependency
# down (SPEC §9: 503 with Retry-After), not a bug; so is an SQLite write lock held by
# another process past the busy timeout ("database is locked": 503, Retry-After 1). Every
# other database error stays a 500.

#: Seconds a client should wait before retrying while the database is unavailable.
DATABASE_RETRY_AFTER = 5
#: SQLite's primary result codes of a disk that refuses writes.
_SQLITE_DISK_CODES = frozenset({sqlite3.SQLITE_READONLY, sqlite3.SQLITE_IOERR, sqlite3.SQLITE_FULL})
#: SQLite's "database is locked": another process (a job worker, a second `foyer serve`, a
#: backup) held the write lock past the busy timeout. Contention, not a bug: retry soon.
_SQLITE_BUSY_CODES = frozenset({sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED})
#: Seconds a client should wait before retrying a write the database was too busy for.
BUSY_RETRY_AFTER = 1
_SQLITE_UNAVAILABLE_CODES = _SQLITE_DISK_CODES | _SQLITE_BUSY_CODES


def _database_unavailable(exc: Exception) -> bool:
    if isinstance(exc, PoolTimeoutError):  # no pooled connection came free in time
        return True
    if isinstance(exc, DBAPIError) and exc.connection_invalidated:  # lost mid-request
        return True
    driver = exc.orig if isinstance(exc, DBAPIError) else exc
    if isinstance(driver, psycopg.OperationalError):
        # PostgreSQL refusing or dropping connections (down, shutting down, starting up,
        # too many clients), and psycopg_pool's PoolTimeout; raw when raised below
        # SQLAlchemy (the cache's stamp reads, COPY).
        return True
    return _sqlite_code(exc) in _SQLITE_UNAVAILABLE_CODES


def _database_busy(exc: Exception) -> bool:
    return _sqlite_code(exc) in _SQLITE_BUSY_CODES


def _sqlite_code(exc: Exception) -> int | None:
    """SQLite's primary result code of an operational error (None for anything else)."""
    driver = exc.orig if isinstance(exc, DBAPIError) else exc
    if not isinstance(driver, sqlite3.OperationalError):
        return None
    return int(getattr(driver, "sqlite_errorcode", 0)) & 0xFF


async def _database_error(request: Request, exc: Exception) -> JSONResponse:
    if not _database_unavailable(exc):
        return await _unhandled(request, exc)
    # The driver's first line only: SQLAlchemy's text adds the statement's parameters.
    reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0:1]
    log.warning(
        "database unavailable on %s %s: %s",
        request.method,
        route_template(request.scope),
        reason[0] if reason else type(exc).__name__,
    )
    if _database_busy(exc):
        return envelope(
            503,
            CODES[503],
            "the database is busy with another write; retry shortly",
            headers={"Retry-After": str(BUSY_RETRY_AFTER)},
        )
    return envelope(
        503,
        CODES[503],
        "the database is unavailable; retry later",
        headers={"Retry-After": str(DATABASE_RETRY_AFTER)},
    )


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(ApiError, _api_error)
    app.add_exception_handler(InvalidCursorError, _invalid_cursor)
    app.add_exception_handler(ParamError, _param_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    database_errors = (OperationalError, PoolTimeoutError, psycopg.OperationalError)
    for kind in (*database_errors, sqlite3.OperationalError):  # the 503s above
        app.add_exception_handler(kind, _database_error)
    app.add_exception_handler(Exception, _unhandled)
