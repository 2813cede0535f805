"""The access log: one JSON line per HTTP request, cheap enough for a cache hit.

The request observer calls `access` at the end of each request. The fast path answers in
tens of microseconds, so this line skips the standard library and structlog's logger
machinery: it is rendered straight from its fields with structlog's renderer (~2 µs of CPU
against ~27 µs through a `logging` record and the `ProcessorFormatter`, ~13 µs through a
structlog logger; docs/OPERATIONS.md "Logs"), and off the request path: the request queues
its raw fields (a tuple, ~0.4 µs), and a writer thread renders and writes what gathered
every `ACCESS_BATCH_SECONDS`, one write and one flush per batch, under the handler's lock
(other lines never mix into it). A line is written within that delay, at exit at the latest
(`flush_access`, also what tests call before reading); its timestamp and correlation id are
the request's. Off, it costs one attribute check (0.07 µs).

foyer's handler (`foyer.observability.logs.handler`) points the writer (`access_writer`) at
its stream; `FOYER_ACCESS_LOG=off` points it at nothing.
"""

from __future__ import annotations

import atexit
import logging
import sys
import threading
import time
import traceback
from collections import deque
from typing import IO, Any, cast

import orjson
from asgi_correlation_id import correlation_id
from structlog.typing import EventDict, Processor, WrappedLogger

from foyer.observability.context import UNMATCHED, RequestInfo, current_job
from foyer.observability.redaction import scrub

ACCESS_LOGGER = "foyer.access"
#: How long an access line may wait in the queue before the writer thread writes it.
ACCESS_BATCH_SECONDS = 0.1
#: Lines queued past this (a stream that stopped taking them) are written by the request.
ACCESS_QUEUE_MAX = 100_000
#: Methods and route templates remembered scrubbed (templates are few; methods are the
#: client's, so the memory is bounded).
ACCESS_SCRUBBED_MAX = 1024


def orjson_text(obj: Any, **_kw: Any) -> str:
    # `default=str`: an object the redaction left alone (it turns unknown ones into text
    # first) still renders instead of failing the line.
    return orjson.dumps(obj, default=str).decode()


def json_line(_logger: WrappedLogger, _name: str, event_dict: EventDict) -> str:
    # JSONRenderer(serializer=_orjson_text)'s line without its call layers (~0.5 µs).
    return orjson_text(event_dict)


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
        self._render: Processor = json_line
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
            self._render is json_line
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


access_writer = _AccessLog()
atexit.register(access_writer.flush)


def flush_access() -> None:
    """Write the access lines queued so far (tests, before reading a captured stream)."""
    access_writer.flush()


def access(info: RequestInfo, status: int, seconds: float) -> None:
    """The access line of one request: route template (the raw path only when no route
    matched), status, duration, household (never who, nor an email), fast path, queries.
    Queued as raw fields (~0.4 µs); rendered and written by the writer thread."""
    handler = access_writer.handler
    if handler is None:
        return
    route = info.route
    raw: Raw = (
        time.time_ns(),
        correlation_id.get(),
        current_job.get(),
        info.method,
        route,
        status,
        seconds,
        info.household_id,
        info.fast,
        info.queries,
        info.path if route == UNMATCHED else None,
    )
    access_writer.queue(handler, raw)
