"""Fixtures of the fault tests: each starts real processes of its own (a foyer server, a
redis-server, a PostgreSQL cluster) and never touches the shared services' state."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

# The own-redis fixture (a redis-server on a free port, killed and restarted on demand)
# is the cache freshness tests' own; reused here rather than written twice.
from tests.cache.test_freshness import own_redis  # noqa: F401
from tests.faults.pg_cluster import ClusterUnavailableError, PrivateCluster, have_binaries
from tests.helpers import service_unavailable


@pytest.fixture
def private_pg() -> Iterator[PrivateCluster]:
    """A running PostgreSQL cluster of this test's own (tests/faults/pg_cluster.py)."""
    if not have_binaries():
        # Nothing to make a cluster with (the shared server is a service to use, never one
        # a test may restart): a skip, or a failure where services are required (CI).
        service_unavailable("PostgreSQL's server binaries (initdb, pg_ctl) are not installed")
    try:
        cluster = PrivateCluster()
    except ClusterUnavailableError as exc:
        service_unavailable(f"no private PostgreSQL cluster: {exc}")
    try:
        cluster.start()
    except ClusterUnavailableError as exc:
        cluster.remove()
        service_unavailable(f"the private PostgreSQL cluster did not start: {exc}")
    yield cluster
    cluster.remove()
