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

The access log (`access`) is one line per HTTP request, made by the request observer at
the end of each request. The fast path answers in tens of microseconds, so this line
skips the standard library and structlog's logger machinery: it is rendered straight from
its fields with structlog's renderer (~2 µs of CPU against ~27 µs through a `logging`
record and the `ProcessorFormatter`, ~13 µs through a structlog logger; docs/OPERATIONS.md
"Logs"), and off the request path: the request queues its raw fields (a tuple, ~0.4 µs),
and a writer thread renders and writes what gathered every `ACCESS_BATCH_SECONDS`, one
write and one flush per batch, under the handler's lock (other lines never mix into it).
A line is written within that delay, at exit at the latest (`flush_access`, also what
tests call before reading); its timestamp and correlation id are the request's. Off, it
costs one attribute check (0.07 µs).
"""

from __future__ import annotations

import atexit
import logging
import logging.config
import sys
import threading
import time
import traceback
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import IO, Any, cast

import orjson
import structlog
from asgi_correlation_id import correlation_id
from structlog.typing import EventDict, Processor, WrappedLogger

from foyer.observability.context import UNMATCHED, RequestInfo
from foyer.observability.redaction import redact, scrub
from foyer.settings import Settings

ACCESS_LOGGER = "foyer.access"
#: How long an access line may wait in the queue before the writer thread writes it.
ACCESS_BATCH_SECONDS = 0.1
#: Lines queued past this (a stream that stopped taking them) are written by the request.
ACCESS_QUEUE_MAX = 100_000
#: Methods and route templates remembered scrubbed (templates are few; methods are the
#: client's, so the memory is bounded).
ACCESS_SCRUBBED_MAX = 1024

# The job a consumer thread is running (jobs have no request, hence no correlation id).
_job_id: ContextVar[int | None] = ContextVar("foyer_log_job", default=None)


@contextmanager
def job_logging(job_id: int) -> Iterator[None]:
    """Every line logged inside the block carries `job_id`."""
    token = _job_id.set(job_id)
    try:
        yield
    finally:
        _job_id.reset(token)


def add_ids(_logger: WrappedLogger, _name: str, event_dict: EventDict) -> EventDict:
    """The request's correlation id, or the job's id, on every line logged for it."""
    cid = correlation_id.get()
    if cid is not None:
        event_dict["correlation_id"] = cid
    job_id = _job_id.get()
    if job_id is not None:
        event_dict["job_id"] = job_id
    return event_dict


def _drop_noise(_logger: WrappedLogger, _name: str, event_dict: EventDict) -> EventDict:
    # uvicorn passes a coloured copy of its messages as an `extra`.
    event_dict.pop("color_message", None)
    return event_dict


def _orjson_text(obj: Any, **_kw: Any) -> str:
    # `default=str`: an object the redaction left alone (it turns unknown ones into text
    # first) still renders instead of failing the line.
    return orjson.dumps(obj, default=str).decode()


def _renderer(json: bool, colors: bool) -> Processor:
    if json:
        return structlog.processors.JSONRenderer(serializer=_orjson_text)
    return structlog.dev.ConsoleRenderer(colors=colors)


def _json_line(_logger: WrappedLogger, _name: str, event_dict: EventDict) -> str:
    # JSONRenderer(serializer=_orjson_text)'s line without its call layers (~0.5 µs).
    return _orjson_text(event_dict)


def _access_renderer(json: bool, colors: bool) -> Processor:
    return _json_line if json else _renderer(json, colors)


Stream = logging.StreamHandler[IO[str]]


#: One request's access line before rendering: (its end in Unix ns, correlation id, job id,
#: method, route, status, seconds, household id, fast, queries, path: only when unmatched).
#: Only numbers and strings: a request copies five attributes and the line is made later.
Raw = tuple[int, str | None, int | None, str, str, int, float, int | None, bool, int, str | None]


class _AccessLog:
    """Access lines: a request queues its raw fields (`Raw`); a writer thread renders
    them with structlog's renderer and writes them in batches to foyer's handler's
    stream under its lock (see the module). Hand-assembled (no bound logger: its context
    copy, processor loop and own lock; no generic redaction: the fields are known) for
    the cost above."""

    def __init__(self) -> None:
        self.handler: Stream | None = None  # None: access log off
        self._second: tuple[int, str] = (-1, "")
        self._render: Processor = _json_line
        # (the handler when the request ended, its fields): appends and pops are atomic.
        self._queue: deque[tuple[Stream, Raw]] = deque()
        self._writer: threading.Thread | None = None
        self._starting = threading.Lock()
        self._flushing = threading.Lock()  # one flush at a time: lines keep their order
        # Methods and route templates, scrubbed once each (a bounded set: see `_scrubbed`).
        self._clean: dict[str, str] = {}
        self._templates: dict[tuple[str, str, int, bool], str] = {}

    def point_at(self, handler: Stream | None, render: Processor) -> None:
        self.flush()  # the lines queued so far, to the stream they were queued for
        self.handler, self._render = handler, render

    def _timestamp(self, nanos: int) -> str:
        # TimeStamper's format (`2025-06-01T12:00:00.123456Z`) with the part up to the
        # second formatted once a second: 0.4 µs instead of its 2 µs.
        second, nanos = divmod(nanos, 1_000_000_000)
        cached, prefix = self._second
        if second != cached:
            prefix = self._second_prefix(second)
        return f"{prefix}.{nanos // 1000:06d}Z"

    def _second_prefix(self, second: int) -> str:
        prefix = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(second))
        self._second = (second, prefix)
        return prefix

    def _scrubbed(self, text: str) -> str:
        clean = self._clean.get(text)
        if clean is None:
            clean = scrub(text)
            if len(self._clean) < ACCESS_SCRUBBED_MAX:  # a client's odd methods: bounded
                self._clean[text] = clean
        return clean

    def queue(self, handler: Stream, raw: Raw) -> None:
        self._queue.append((handler, raw))
        if self._writer is None:
            self._start_writer()
        elif len(self._queue) > ACCESS_QUEUE_MAX:
            self.flush()

    def _line(self, raw: Raw) -> str:
        at, cid, job_id, method, route, status, seconds, household, fast, queries, path = raw
        if (
            self._render is _json_line
            and path is None
            and job_id is None
            and cid is not None
            and '"' not in cid  # a client's id is a valid UUID (no quote, no backslash)
            and "\\" not in cid
        ):
            # Every request's line but a job's or a 404's: the JSON line `_event` would
            # render, from a template per (method, route, status, fast) — 0.9 µs against
            # 2 through the dictionary and orjson (tests/observability/test_logs.py holds
            # the two to the same object, field for field and in order).
            second, nanos = divmod(at, 1_000_000_000)
            cached, prefix = self._second
            if second != cached:
                prefix = self._second_prefix(second)
            template = self._templates.get((method, route, status, fast))
            if template is None:
                template = self._template(method, route, status, fast)
            return template % (
                seconds * 1000,
                "null" if household is None else household,
                queries,
                cid,
                prefix,
                nanos // 1000,
            )
        return cast(str, self._render(None, "info", self._event(raw)))  # both make text

    def _event(self, raw: Raw) -> EventDict:
        at, cid, job_id, method, route, status, seconds, household, fast, queries, path = raw
        event = self._head(method, route, status)
        event["duration_ms"] = round(seconds * 1000, 3)
        event["household_id"] = household
        event["fast"] = fast
        event["queries"] = queries
        if path is not None:
            event["path"] = scrub(path)  # scanners' probes: worth seeing
        if cid is not None:  # `add_ids`, from the request's context as it ended
            event["correlation_id"] = cid
        if job_id is not None:
            event["job_id"] = job_id
        event["timestamp"] = self._timestamp(at)
        return event

    def _head(self, method: str, route: str, status: int) -> EventDict:
        """The first fields of an access line (the template's constant part)."""
        return {
            "event": "request",
            "level": "info",
            "logger": ACCESS_LOGGER,
            # The only fields holding text (the rest are numbers): scrubbed here rather than
            # by the generic redaction processor, 0.3 µs against 4 µs.
            "method": self._scrubbed(method),
            "route": self._scrubbed(route),
            "status": status,
        }

    def _template(self, method: str, route: str, status: int, fast: bool) -> str:
        key = (method, route, status, fast)
        template = self._templates.get(key)
        if template is None:
            # `_event`'s fields in its order, the constant ones rendered by orjson once.
            head = orjson.dumps(self._head(method, route, status)).decode()
            fast_text = "true" if fast else "false"
            template = (
                head[:-1].replace("%", "%%")
                + ',"duration_ms":%.3f,"household_id":%s,"fast":'
                + fast_text
                + ',"queries":%d,"correlation_id":"%s","timestamp":"%s.%06dZ"}'
            )
            if len(self._templates) < ACCESS_SCRUBBED_MAX:
                self._templates[key] = template
        return template

    def _start_writer(self) -> None:
        with self._starting:
            if self._writer is None:
                writer = threading.Thread(target=self._write_batches, name="foyer-access-log")
                writer.daemon = True  # the interpreter's exit is not held up: `flush` at exit
                writer.start()
                self._writer = writer

    def _write_batches(self) -> None:
        while True:
            time.sleep(ACCESS_BATCH_SECONDS)
            try:
                self.flush()
            except Exception:  # logging's own rule for a failing handler: say so, go on
                traceback.print_exc(file=sys.stderr)

    def flush(self) -> None:
        """Render and write every queued line now: one write and one flush per stream."""
        with self._flushing:
            queue, batch = self._queue, []
            while queue:
                batch.append(queue.popleft())
            start = 0
            while start < len(batch):
                handler, end = batch[start][0], start
                while end < len(batch) and batch[end][0] is handler:
                    end += 1
                end_of_line = handler.terminator
                lines = [self._line(raw) for _, raw in batch[start:end]]
                text = end_of_line.join(lines) + end_of_line
                handler.acquire()  # the lock its other lines are written under
                try:
                    handler.stream.write(text)
                    handler.stream.flush()
                finally:
                    handler.release()
                start = end


_access = _AccessLog()
atexit.register(_access.flush)


def flush_access() -> None:
    """Write the access lines queued so far (tests, before reading a captured stream)."""
    _access.flush()


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
    _access.point_at(out if access_log else None, _access_renderer(json, colors))
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


def access(info: RequestInfo, status: int, seconds: float) -> None:
    """The access line of one request: route template (the raw path only when no route
    matched), status, duration, household (never who, nor an email), fast path, queries.
    Queued as raw fields (~0.4 µs); rendered and written by the writer thread."""
    handler = _access.handler
    if handler is None:
        return
    route = info.route
    raw: Raw = (
        time.time_ns(),
        correlation_id.get(),
        _job_id.get(),
        info.method,
        route,
        status,
        seconds,
        info.household_id,
        info.fast,
        info.queries,
        info.path if route == UNMATCHED else None,
    )
    _access.queue(handler, raw)
