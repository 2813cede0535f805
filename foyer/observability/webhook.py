"""Alert notifications POSTed to FOYER_ALERT_WEBHOOK_URL, off every request's path.

`WebhookSender.send` only puts the payload on a bounded queue (full: the payload is
dropped, counted and logged — an alert storm must not grow memory nor block anyone); one
daemon thread delivers. Each delivery is retried with exponential backoff and jitter
(tenacity) on network errors, timeouts, 5xx, 408 and 429 — another 4xx will not get
better by asking again. Deliveries that still fail feed a circuit breaker
(`foyer.cache.breaker`): after `threshold` failed deliveries in a row the receiver is
left alone for `cooldown` seconds (deliveries skipped at once, counted), then one trial
delivery decides. Every alert also reaches the log (`foyer.alerts`), so a skipped or
dropped notification loses nothing an operator cannot read there.
"""

from __future__ import annotations

import contextlib
import logging
import queue
import threading
import time
from collections.abc import Mapping
from typing import Any

import httpx2 as httpx
from tenacity import (
    RetryCallState,
    Retrying,
    retry_if_exception,
    stop_after_attempt,
    wait_exponential_jitter,
)
from tenacity.wait import wait_base

from foyer.cache.breaker import CircuitBreaker

log = logging.getLogger("foyer.alerts")

#: Status codes worth asking again: the receiver is busy or broken for now.
_RETRY_STATUSES = frozenset({408, 429})


def _retryable(exc: BaseException) -> bool:
    if isinstance(exc, httpx.HTTPStatusError):
        status = exc.response.status_code
        return status >= 500 or status in _RETRY_STATUSES
    return isinstance(exc, httpx.TransportError)


class WebhookSender:
    def __init__(
        self,
        url: str,
        *,
        timeout: float = 5.0,
        attempts: int = 3,
        wait: wait_base | None = None,
        breaker: CircuitBreaker | None = None,
        queue_size: int = 100,
    ) -> None:
        self.url = url
        self.timeout = timeout  # per attempt: connect, write, read each
        self.attempts = attempts
        self.wait = wait or wait_exponential_jitter(multiplier=0.5, max=5.0, jitter=0.5)
        self.breaker = breaker or CircuitBreaker(threshold=3, cooldown=60.0)
        self._queue: queue.Queue[Mapping[str, Any] | None] = queue.Queue(maxsize=queue_size)
        self._counts = {"delivered": 0, "failed": 0, "dropped": 0, "skipped": 0, "retries": 0}
        self._lock = threading.Lock()
        self._idle = threading.Condition(self._lock)  # notified when nothing is pending
        self._pending = 0
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()

    # -- the caller's side: never blocks ------------------------------------------------

    def send(self, payload: Mapping[str, Any]) -> bool:
        """Queue `payload` for delivery; False when it was dropped (queue full, stopped)."""
        if self._stopping.is_set():
            self._drop("sender stopped", payload)
            return False
        self._start()
        with self._lock:
            try:
                self._queue.put_nowait(payload)
            except queue.Full:
                pass
            else:
                self._pending += 1
                return True
        self._drop("queue full", payload)
        return False

    def counts(self) -> dict[str, int]:
        """delivered, failed (after every retry), dropped (queue full or stopped), skipped
        (breaker open), retries (extra attempts), pending (queued, not yet delivered)."""
        with self._lock:
            return {**self._counts, "pending": self._pending}

    def state(self) -> str:
        return self.breaker.state

    def flush(self, timeout: float) -> bool:
        """Wait until every queued payload is delivered, failed or skipped (tests,
        shutdown). False if some are still pending after `timeout` seconds."""
        deadline = time.monotonic() + timeout
        with self._idle:
            while self._pending:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._idle.wait(remaining)
        return True

    def stop(self, timeout: float = 5.0) -> None:
        """Stop the delivery thread after the delivery in progress (pending ones are
        counted as dropped)."""
        self._stopping.set()
        with contextlib.suppress(queue.Full):  # full: the thread is awake anyway
            self._queue.put_nowait(None)
        if self._thread is not None:
            self._thread.join(timeout)

    def _count(self, name: str) -> None:
        with self._lock:
            self._counts[name] += 1

    def _drop(self, reason: str, payload: Mapping[str, Any]) -> None:
        self._count("dropped")
        log.warning(
            "alert webhook notification dropped: %s",
            reason,
            extra={
                "reason": reason,
                "alert": payload.get("alert"),
                "alert_event": payload.get("event"),
            },
        )

    def start(self) -> None:
        """Start (or, after `stop`, restart) the delivery thread; `send` starts it too."""
        self._stopping.clear()
        self._start()

    def _start(self) -> None:
        thread = self._thread
        if thread is not None and thread.is_alive():
            return
        with self._lock:
            if self._thread is thread:
                self._thread = threading.Thread(
                    target=self._run, name="foyer-alert-webhook", daemon=True
                )
                self._thread.start()

    # -- the delivery thread -------------------------------------------------------------

    def _run(self) -> None:
        with httpx.Client(timeout=self.timeout) as client:
            while True:
                payload = self._queue.get()
                if self._stopping.is_set():
                    break
                if payload is None:  # a stale wake-up from an earlier stop
                    continue
                try:
                    self._deliver(client, payload)
                except Exception:  # a bug must not end the thread: later alerts still go
                    self._count("failed")
                    log.exception("alert webhook delivery crashed")
                finally:
                    self._done()
        if payload is not None:
            self._drop("sender stopped", payload)
            self._done()
        while True:  # stopped: what is left is not delivered
            try:
                payload = self._queue.get_nowait()
            except queue.Empty:
                break
            if payload is not None:
                self._drop("sender stopped", payload)
                self._done()

    def _done(self) -> None:
        with self._idle:
            self._pending -= 1
            if not self._pending:
                self._idle.notify_all()

    def _deliver(self, client: httpx.Client, payload: Mapping[str, Any]) -> None:
        if not self.breaker.allow():
            self._count("skipped")
            return
        retrying = Retrying(
            stop=stop_after_attempt(self.attempts),
            wait=self.wait,
            retry=retry_if_exception(_retryable),
            before_sleep=self._retrying,
            reraise=True,
        )
        try:
            for attempt in retrying:
                with attempt:
                    client.post(self.url, json=payload).raise_for_status()
        except httpx.HTTPError as exc:
            was_closed = self.breaker.state == "closed"
            self.breaker.failure()
            self._count("failed")
            log.warning(
                "alert webhook delivery failed: %s",
                exc,
                extra={"alert": payload.get("alert"), "alert_event": payload.get("event")},
            )
            if was_closed and self.breaker.state != "closed":
                log.warning(
                    "alert webhook unreachable: deliveries skipped for %.0f s",
                    self.breaker.cooldown,
                )
            return
        self.breaker.success()
        self._count("delivered")

    def _retrying(self, state: RetryCallState) -> None:
        self._count("retries")
