"""Finished requests, recorded with one append and accounted for in batches, off the request.

A cache hit costs foyer tens of microseconds, so what monitoring does at the end of each
request is a large part of what monitoring costs (issue 13 asks ≤ 3 % of throughput).
The request observer (`foyer.observability.requests`) ends a request with `journal.add`:
one tuple of what it was (an `Entry`: its info, status, duration, end time and ids), one
`deque.append`. A thread drains the journal every `JOURNAL_SECONDS` and hands each batch
to whoever added it (`Finisher.finish`): the observer feeds its histograms, the
monitor's window and the access log from it, in one loop per batch instead of five
calls per request (docs/PERFORMANCE.md, "Operations").

What reads those drains the journal first, so a reader sees every request that ended
before it asked: a scrape (`Metrics.fold`), the monitoring report and the alerts'
evaluation (`Monitor`), `flush_access` and `point_at` (tests, logging set-up). At exit
`atexit` drains what is left. In prometheus_client's multiprocess mode the observer does
not queue (another process's scrape reads this one's files, and nothing would drain it
first): it finishes each request at once.

Why by hand: a logging `QueueHandler` carries log records (~10 µs each to make), and no
metrics library batches observations across its metrics; this is a deque and a thread.
"""

from __future__ import annotations

import atexit
import sys
import threading
import time
import traceback
from collections import deque
from typing import Protocol

from foyer.observability.context import RequestInfo

#: How long a finished request may wait in the journal before the thread accounts for it.
JOURNAL_SECONDS = 0.1
#: Entries queued past this (the thread stalled) are drained by the request adding one.
JOURNAL_MAX = 100_000


class Finisher(Protocol):
    def finish(self, batch: list[Entry]) -> None:
        """Account for a batch of finished requests (all added by this finisher, in order)."""


#: (finisher, info, status, seconds, end in Unix ns, end on the finisher's window clock,
#: correlation id, job id): what a request was, copied at its end.
Entry = tuple[Finisher, RequestInfo, int, float, int, float, str | None, int | None]


class RequestJournal:
    def __init__(self) -> None:
        self._queue: deque[Entry] = deque()
        self._thread: threading.Thread | None = None
        self._starting = threading.Lock()
        self._draining = threading.Lock()  # one drain at a time: batches keep their order

    def add(self, entry: Entry) -> None:
        self._queue.append(entry)  # atomic: sync routes' threads add too
        if self._thread is None:
            self._start()
        elif len(self._queue) > JOURNAL_MAX:
            self.drain()

    def pending(self) -> int:
        return len(self._queue)

    def _start(self) -> None:
        with self._starting:
            if self._thread is None:
                thread = threading.Thread(target=self._run, name="foyer-journal")
                thread.daemon = True  # the interpreter's exit is not held up: drained at exit
                thread.start()
                self._thread = thread

    def _run(self) -> None:
        while True:
            time.sleep(JOURNAL_SECONDS)
            try:
                self.drain()
            except Exception:  # logging's own rule for a failing handler: say so, go on
                traceback.print_exc(file=sys.stderr)

    def drain(self) -> None:
        """Hand every queued entry to its finisher now, in order, a run of one finisher's
        entries at a time. A finisher's error propagates (to the thread: printed)."""
        failed: Exception | None = None
        with self._draining:
            queue = self._queue
            batch = [queue.popleft() for _ in range(len(queue))]
            start = 0
            while start < len(batch):
                finisher, end = batch[start][0], start + 1
                while end < len(batch) and batch[end][0] is finisher:
                    end += 1
                try:
                    finisher.finish(batch[start:end])
                except Exception as exc:  # the other finishers' runs still go through
                    failed = failed or exc
                start = end
        if failed is not None:
            raise failed


journal = RequestJournal()
atexit.register(journal.drain)
