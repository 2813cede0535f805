"""Cache keys (foyer.cache.keys): one key, and one ETag, per distinct request, never shared
across households, months, views or parameters (SPEC's cache-key law)."""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from foyer.cache.keys import cache_key

texts = st.text(max_size=12)
key_parts = st.tuples(
    st.sampled_from(["summary", "slim_summary", "hierarchy", "trends", "drill_down_summary"]),
    st.integers(1, 5),
    st.dictionaries(st.sampled_from(["month", "from", "to", "category"]), texts, max_size=3),
    st.dictionaries(st.sampled_from(["budget", "rows", "2025-06", "2025-05"]), st.integers(0, 3)),
)


@given(a=key_parts, b=key_parts)
def test_keys_collide_only_for_identical_requests(a: Any, b: Any) -> None:
    ka, kb = cache_key(*a), cache_key(*b)
    assert (ka == kb) == (a == b)
    assert (ka.etag == kb.etag) == (a == b)


def test_parameter_values_cannot_impersonate_other_parameters() -> None:
    # Naive "k=v&k=v" joining would make these two equal.
    one = cache_key("drill_down_summary", 1, {"category": "a&month=2025-06"}, {})
    two = cache_key("drill_down_summary", 1, {"category": "a", "month": "2025-06"}, {})
    assert one != two
