"""The response cache: two tiers (in-process L1, Redis L2), keyed by data stamps.

- keys.py: the one function that builds every key (and the ETag of the same data).
- store.py: L1 (cachetools LRU) + L2 (redis-py) with single-flight and counters.
- breaker.py: the circuit breaker that keeps a slow or dead Redis off the request path.

Entries are never invalidated: a write renews the data stamps its views depend on
(foyer.services.stamps), which changes their keys; old entries simply stop being asked
for and age out (LRU in L1, TTL in L2). See docs/ARCHITECTURE.md, "The cache".
"""
