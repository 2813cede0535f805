"""Every cached view's body is exactly what its declared schema describes.

The cached routes answer with bytes computed below the HTTP layer, which FastAPI never
validates against their `response_model`: this is the check. For each view in
`foyer.cache.views.VIEWS`, the answer of its route (the bytes the cache keeps) must
validate against the view's `response`, and dumping the validated value must give the
same JSON back — no field missing, none extra, no type changed.
"""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import TypeAdapter

from foyer.cache.views import VIEWS, View
from tests.factories import Api, make_fixed_line, make_provision, make_transaction
from tests.helpers import VIEW_SAMPLE, view_request


def test_every_kind_of_parameter_has_a_sample() -> None:
    kinds = {name for view in VIEWS for name in view.params}
    assert kinds <= VIEW_SAMPLE.keys()


@pytest.fixture
def household(api: Api) -> Api:
    api.create_transactions(
        make_transaction(date="2025-06-03", category="courses", tags=["weekly", "bio"]),
        make_transaction(date="2025-06-09", category="courses", amount=-12.5),
        make_transaction(date="2025-06-10", category="courses", amount=-3.2, label="CAFE"),
        make_transaction(date="2025-05-20", category="courses", amount=-40),
        make_transaction(date="2025-06-11", category="resto", category_parent="sorties"),
        make_transaction(date="2025-06-12", category="salaire", amount=2500),
        make_transaction(date="2025-06-13", category="loyer", expense_type="FIXED"),
        make_transaction(date="2025-06-14", category="epargne", expense_type="PROVISION"),
        make_transaction(date="2025-06-15", category="courses", exclude=True),
    )
    assert api.post("/fixed-lines", make_fixed_line()).status_code == 201
    assert api.post("/provisions", make_provision()).status_code == 201
    return api


@pytest.mark.parametrize("view", VIEWS, ids=lambda view: view.name)
def test_the_cached_body_is_its_schema_exactly(household: Api, view: View) -> None:
    path, query = view_request(view)
    body = household.ok(path, **query)
    adapter: TypeAdapter[Any] = TypeAdapter(view.response)
    validated = adapter.validate_python(body)
    assert adapter.dump_python(validated, mode="json") == body
    assert body  # a view with nothing in it would prove nothing


def test_a_body_with_a_field_missing_fails_the_check(household: Api) -> None:
    # The checker can fail: the summary without one of its fields is refused.
    view = next(v for v in VIEWS if v.name == "summary")
    path, query = view_request(view)
    body = household.ok(path, **query)
    body.pop("key")
    with pytest.raises(ValueError, match="key"):
        TypeAdapter(view.response).validate_python(body)
