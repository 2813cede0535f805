"""Log lines: JSON (or console text) for every logger of the process, and the access log.

Every logger writes through the standard library (`logging.getLogger("foyer.x")`,
uvicorn's, huey's, alembic's), and one handler on the root logger formats them all with
structlog's `ProcessorFormatter`: ISO UTC timestamp, level, logger name, the request's
correlation id (asgi-correlation-id's context variable) or the running job's id, the
exception as a traceback string, then secrets masked (`foyer.observability.redaction`)
and the line rendered with orjson. structlog's own loggers (`structlog.get_logger()`) go
through the same handler.

The configuration is a `logging.config.dictConfig` dictionary (`logging_config`) so that
`foyer serve --workers N` hands it to uvicorn, which applies it again in each worker
process it spawns (spawned processes inherit no logging set-up).

The access log (one line per HTTP request, made off the request path) is
`foyer.observability.access`; `handler` points it at the same stream.
"""

from __future__ import annotations

import logging
import logging.config
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import IO, Any

import structlog
from asgi_correlation_id import correlation_id
from structlog.typing import EventDict, Processor, WrappedLogger

from foyer.observability.access import access_writer, json_line, orjson_text
from foyer.observability.context import current_job
from foyer.observability.redaction import redact
from foyer.settings import Settings


@contextmanager
def job_logging(job_id: int) -> Iterator[None]:
    """Every line logged inside the block carries `job_id`."""
    token = current_job.set(job_id)
    try:
        yield
    finally:
        current_job.reset(token)


def add_ids(_logger: WrappedLogger, _name: str, event_dict: EventDict) -> EventDict:
    """The request's correlation id, or the job's id, on every line logged for it."""
    cid = correlation_id.get()
    if cid is not None:
        event_dict["correlation_id"] = cid
    job_id = current_job.get()
    if job_id is not None:
        event_dict["job_id"] = job_id
    return event_dict


def _drop_noise(_logger: WrappedLogger, _name: str, event_dict: EventDict) -> EventDict:
    # uvicorn passes a coloured copy of its messages as an `extra`.
    event_dict.pop("color_message", None)
    return event_dict


def _renderer(json: bool, colors: bool) -> Processor:
    if json:
        return structlog.processors.JSONRenderer(serializer=orjson_text)
    return structlog.dev.ConsoleRenderer(colors=colors)


def _access_renderer(json: bool, colors: bool) -> Processor:
    return json_line if json else _renderer(json, colors)


def formatter(*, json: bool = True, colors: bool = False) -> structlog.stdlib.ProcessorFormatter:
    """The formatter of foyer's handler: every record of every stdlib logger."""
    return structlog.stdlib.ProcessorFormatter(
        # Records of stdlib loggers: their `extra=` fields become fields of the line.
        foreign_pre_chain=[structlog.stdlib.ExtraAdder(), _drop_noise],
        processors=[
            structlog.stdlib.add_log_level,
            structlog.stdlib.add_logger_name,
            add_ids,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.format_exc_info,  # `exception`: the traceback, as text
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            redact,  # last before rendering: every field, the traceback included, is final
            _renderer(json, colors),
        ],
    )


def handler(
    *, stream: IO[str], json: bool = True, colors: bool = False, access_log: bool = True
) -> logging.Handler:
    """foyer's handler (`logging_config` names this factory); it also points structlog's
    loggers and the access log at the same stream. Here rather than in `configure_logging`:
    in a worker process uvicorn spawned, applying the dictionary is the only set-up run."""
    structlog.configure(
        # structlog loggers hand their event dict to the stdlib logger of the same name,
        # so this handler formats them like any other record.
        processors=[
            structlog.stdlib.filter_by_level,
            structlog.stdlib.PositionalArgumentsFormatter(),
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    out = logging.StreamHandler(stream)
    out.setFormatter(formatter(json=json, colors=colors))
    access_writer.point_at(out if access_log else None, _access_renderer(json, colors))
    return out


def _numeric(level: str) -> int:
    # An unknown name: dictConfig refuses it with the name in the message.
    return logging.getLevelNamesMapping().get(level, logging.NOTSET)


def logging_config(
    level: str, *, json: bool = True, access_log: bool = True, stream: IO[str] | None = None
) -> dict[str, Any]:
    """The `dictConfig` dictionary: foyer's handler on the root logger (stderr by default).
    Access lines are INFO: shown when `access_log` is on and `level` is INFO or DEBUG."""
    level = level.upper()
    out = stream or sys.stderr
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "handlers": {
            "foyer": {
                "()": f"{__name__}.handler",
                # A string names stderr in each process (uvicorn pickles this to its workers).
                "stream": stream if stream is not None else "ext://sys.stderr",
                "json": json,
                "colors": not json and out.isatty(),
                "access_log": access_log and _numeric(level) <= logging.INFO,
            }
        },
        "root": {"level": level, "handlers": ["foyer"]},
        "loggers": {
            # uvicorn's own configuration gives its loggers plain-text handlers: through
            # the root's instead, at its level (NOTSET: an earlier uvicorn.Config in this
            # process may have set its own). Its access log is replaced by foyer's (`access`).
            "uvicorn": {"handlers": [], "propagate": True, "level": "NOTSET"},
            "uvicorn.error": {"handlers": [], "propagate": True, "level": "NOTSET"},
            "uvicorn.access": {"handlers": [], "propagate": False},
            "alembic": {"level": "WARNING"},  # the start-up schema check's chatter
        },
    }


def settings_config(settings: Settings, *, access_log: bool = True) -> dict[str, Any]:
    """`logging_config` from FOYER_LOG_LEVEL, FOYER_LOG_FORMAT and FOYER_ACCESS_LOG
    (`access_log=False`: a process that serves no HTTP)."""
    return logging_config(
        settings.log_level,
        json=settings.log_format == "json",
        access_log=access_log and settings.access_log == "on",
    )


def configure_logging(
    level: str, *, json: bool = True, access_log: bool = True, stream: IO[str] | None = None
) -> None:
    """Send every logger of this process through foyer's handler at `level`, as JSON lines
    or console text (`FOYER_LOG_FORMAT`); `access_log=False` silences the access lines."""
    logging.config.dictConfig(
        logging_config(level, json=json, access_log=access_log, stream=stream)
    )
