"""foyer's logging configured onto a buffer for one test, and everything it changed put
back afterwards (root handlers and level, the loggers it names, structlog's configuration,
the access log's target), so no other test sees JSON lines or a stale stream."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import orjson
import structlog

from foyer.observability import access, logs

NAMED = ("uvicorn", "uvicorn.error", "uvicorn.access", "alembic")


@contextmanager
def captured_logs(level: str = "INFO", **options: Any) -> Iterator[io.StringIO]:
    """`configure_logging(level, stream=buffer, **options)` for the block; the buffer."""
    root = logging.getLogger()
    saved_root = (root.level, root.handlers[:])
    saved = {name: _state(logging.getLogger(name)) for name in NAMED}
    saved_structlog = structlog.get_config()
    saved_access = access.access_writer.handler
    buffer = io.StringIO()
    try:
        logs.configure_logging(level, stream=buffer, **options)
        yield buffer
    finally:
        access.flush_access()  # the access lines still queued, into this buffer
        ours = root.handlers[:]
        root.setLevel(saved_root[0])
        root.handlers[:] = saved_root[1]
        for handler in ours:
            handler.close()
        for name, state in saved.items():
            _restore(logging.getLogger(name), state)
        structlog.configure(**saved_structlog)
        access.access_writer.handler = saved_access


def _state(logger: logging.Logger) -> tuple[int, list[logging.Handler], bool]:
    return logger.level, logger.handlers[:], logger.propagate


def _restore(logger: logging.Logger, state: tuple[int, list[logging.Handler], bool]) -> None:
    logger.setLevel(state[0])
    logger.handlers[:] = state[1]
    logger.propagate = state[2]


def lines(buffer: io.StringIO) -> list[dict[str, Any]]:
    """Every line written so far, the queued access lines too, parsed (a line that is not
    one JSON object fails)."""
    access.flush_access()
    parsed = [orjson.loads(line) for line in buffer.getvalue().splitlines()]
    assert all(isinstance(line, dict) for line in parsed)
    return parsed


def strings(value: Any) -> Iterator[str]:
    """Every string in a parsed line, keys included, at any depth."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield key
            yield from strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from strings(item)
