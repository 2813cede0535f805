"""Two cache tiers behind one call: `TieredCache.get_or_compute(view, key, compute)`.

- L1: a cachetools LRU in this process, bounded by bytes (`l1_bytes`: bodies, their
  gzipped copies and a per-entry overhead); a body over a sixteenth of the budget is
  served but not kept, so a few huge answers cannot push out everything else. cachetools
  is not thread-safe, so one lock guards it — held for dictionary work only, never for I/O.
- L2: Redis when FOYER_REDIS_URL is set, shared by every process and machine, entries
  with a TTL. Short socket timeouts, no retries, and a circuit breaker: a dead or slow
  Redis costs at most one timeout per cooldown, then requests skip it (counted as
  fallbacks) and are served from L1 and the database — just as fresh, because freshness
  comes from the versioned keys, not from Redis.
- Single-flight: concurrent misses of one key in this process wait for one computation.

Entries' bodies are immutable (their key names the data stamp), so there is nothing to
invalidate; FOYER_CACHE=off computes every time.
"""

from __future__ import annotations

import gzip
import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from cachetools import LRUCache
from redis import Redis
from redis.backoff import NoBackoff
from redis.exceptions import RedisError
from redis.retry import Retry

from foyer.cache.breaker import CircuitBreaker
from foyer.observability.metrics import Metrics

log = logging.getLogger("foyer.cache")

#: Bodies at least this large are also kept gzipped (compressed once, at fill time).
GZIP_MIN_BYTES = 1024
#: What an L1 entry costs besides its bodies: its key, the objects' headers and the LRU's
#: bookkeeping (tracemalloc measured ~150 bytes for a 40-character key; rounded up).
ENTRY_OVERHEAD_BYTES = 256
#: An entry may take at most this fraction of the L1 budget (1/16: 1 MiB of the default 16 MiB).
L1_ENTRY_SHARE = 16


@dataclass(slots=True, eq=False, weakref_slot=True)
class Entry:
    """A cached body. Its bytes never change (the key names the data stamp); `read` turns
    true when a reader is served it, which tells the warmer whether its warm-ups of the
    view are wanted (`foyer.cache.warming`)."""

    body: bytes  # JSON, identity encoding
    gzipped: bytes | None  # the same, gzipped; None when too small to be worth it
    read: bool = False

    @property
    def nbytes(self) -> int:
        """What keeping it in L1 costs, roughly (the LRU's `getsizeof`)."""
        return len(self.body) + len(self.gzipped or b"") + ENTRY_OVERHEAD_BYTES


def make_entry(body: bytes) -> Entry:
    small = len(body) < GZIP_MIN_BYTES
    return Entry(body, None if small else gzip.compress(body, compresslevel=5, mtime=0))


def _nbytes(entry: Entry) -> int:
    return entry.nbytes


def redis_client(url: str, timeout: float) -> Redis:
    """A client that fails fast: `timeout` seconds to connect or answer, no retries."""
    return Redis.from_url(
        url,
        socket_timeout=timeout,
        socket_connect_timeout=timeout,
        retry=Retry(NoBackoff(), 0),
        health_check_interval=0,
    )


class TieredCache:
    def __init__(
        self,
        *,
        enabled: bool = True,
        l1_bytes: int = 16 * 1024 * 1024,
        redis: Redis | None = None,
        namespace: str = "foyer",
        ttl_seconds: int = 86_400,
        breaker: CircuitBreaker | None = None,
        metrics: Metrics | None = None,
    ) -> None:
        self.enabled = enabled
        self.metrics = metrics or Metrics()
        self.redis = redis
        self.namespace = namespace
        self.ttl_seconds = ttl_seconds
        self.breaker = breaker or CircuitBreaker()
        self._l1: LRUCache[str, Entry] = LRUCache(maxsize=l1_bytes, getsizeof=_nbytes)
        self.l1_entry_max_bytes = l1_bytes // L1_ENTRY_SHARE
        self._l1_lock = threading.Lock()
        self._flights: dict[str, tuple[threading.Lock, int]] = {}
        self._flights_lock = threading.Lock()

    # -- the one entry point -----------------------------------------------------------

    def get_or_compute(
        self, view: str, key: str, compute: Callable[[], bytes], *, tally: bool = True
    ) -> Entry:
        """The entry under `key`: from L1, else L2, else computed once and stored in both.

        `tally=False` (the warmer) leaves the hit/miss counters to readers: a warm-up's
        lookups would count as hits nobody was served. What it computes counts as
        `warm`; L2 errors and fallbacks count always.
        """
        if not self.enabled:
            self.metrics.cache_counter(view, "l1", "off").inc()
            return make_entry(compute())
        entry = self._l1_get(key)
        if entry is not None:
            if tally:
                self.metrics.cache_counter(view, "l1", "hit").inc()
                entry.read = True
            return entry
        if tally:
            self.metrics.cache_counter(view, "l1", "miss").inc()
        with self._single_flight(key):
            entry = self._l1_get(key)  # filled while we waited for the leader
            if entry is not None:
                if tally:
                    entry.read = True
                return entry
            body = self._l2_get(view, key, tally)
            if body is None:
                body = compute()
                if not tally:
                    self.metrics.cache_counter(view, "l1", "warm").inc()
                self._l2_set(view, key, body)
            entry = make_entry(body)
            entry.read = tally
            if entry.nbytes <= self.l1_entry_max_bytes:
                with self._l1_lock:
                    self._l1[key] = entry
            return entry

    def peek(self, view: str, key: str) -> Entry | None:
        """The L1 entry, counted as a hit, or None (not counted: the caller goes on to
        `get_or_compute`, which counts the miss)."""
        if not self.enabled:
            return None
        entry = self._l1_get(key)
        if entry is not None:
            self.metrics.cache_counter(view, "l1", "hit").inc()
            entry.read = True
        return entry

    # -- L1 ----------------------------------------------------------------------------

    def _l1_get(self, key: str) -> Entry | None:
        with self._l1_lock:  # an LRU read reorders: it needs the lock too
            return self._l1.get(key)

    def l1_usage(self) -> tuple[int, int]:
        """(entries, bytes) held in L1."""
        with self._l1_lock:
            return len(self._l1), int(self._l1.currsize)

    def clear_l1(self) -> None:
        with self._l1_lock:
            self._l1.clear()

    @contextmanager
    def _single_flight(self, key: str) -> Iterator[None]:
        with self._flights_lock:
            lock, users = self._flights.get(key, (threading.Lock(), 0))
            self._flights[key] = (lock, users + 1)
        try:
            with lock:
                yield
        finally:
            with self._flights_lock:
                lock, users = self._flights[key]
                if users == 1:
                    del self._flights[key]
                else:
                    self._flights[key] = (lock, users - 1)

    # -- L2 ----------------------------------------------------------------------------

    def _l2(self, view: str, operation: Callable[[Redis], Any]) -> tuple[bool, Any]:
        """(ok, result) of a Redis call behind the breaker; errors are counted, logged
        once per opening of the breaker, and answered by falling back to L1 + database."""
        if self.redis is None:
            return False, None
        if not self.breaker.allow():
            self.metrics.cache_counter(view, "l2", "fallback").inc()
            return False, None
        try:
            result = operation(self.redis)
        except RedisError as exc:
            was_closed = self.breaker.state == "closed"
            self.breaker.failure()
            self.metrics.cache_counter(view, "l2", "error").inc()
            if was_closed and self.breaker.state != "closed":
                log.warning("redis cache unavailable, serving from L1 and the database: %s", exc)
            return False, None
        self.breaker.success()
        return True, result

    def _l2_get(self, view: str, key: str, tally: bool) -> bytes | None:
        ok, body = self._l2(view, lambda r: r.get(f"{self.namespace}:{key}"))
        if ok and tally:
            self.metrics.cache_counter(view, "l2", "hit" if body is not None else "miss").inc()
        return body if isinstance(body, bytes) else None

    def _l2_set(self, view: str, key: str, body: bytes) -> None:
        self._l2(view, lambda r: r.set(f"{self.namespace}:{key}", body, ex=self.ttl_seconds))
