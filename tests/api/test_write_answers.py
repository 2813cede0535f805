"""What a write answers is what a read of the row then finds, on both databases.

POST and PATCH /transactions answer from what the write itself knows (the row it stored,
the row it locked with the patch applied: `foyer.read.transactions.StoredRow`) instead of
reading the row back while the month's aggregate rows are locked. These tests hold each
answer equal, byte for byte once parsed, to GET /transactions/{id} afterwards, and to the
TransactionRead schema, over generated bodies: tags in any case and script (the answer
orders them as a read does, whatever the database's collation), every patchable field.
"""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from foyer.read.transactions import StoredRow
from foyer.schemas.transactions import TransactionRead, TransactionUpdate
from foyer.services.transaction_inputs import NewRow
from tests.factories import Api, make_transaction

TEXT = st.characters(codec="utf-8", categories=["L", "N"]) | st.just(" ")
TAG = st.text(TEXT, min_size=1, max_size=12).filter(lambda tag: tag.strip() != "")
TAGS = st.lists(TAG, max_size=5)
CATEGORY = st.sampled_from(["courses", "Épicerie", "loisirs", "zèbre", "Zoo"])
PATCH = st.fixed_dictionaries(
    {},
    optional={
        "category": CATEGORY,
        "category_parent": CATEGORY,
        "exclude": st.booleans(),
        "expense_type": st.sampled_from(["VARIABLE", "FIXED", "PROVISION"]),
        "label": st.text(TEXT, min_size=1, max_size=40).filter(lambda label: label.strip()),
        "tags": TAGS,
    },
)
SETTINGS = settings(
    max_examples=25,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)


def read_back(api: Api, transaction_id: int) -> dict[str, Any]:
    response = api.get(f"/transactions/{transaction_id}")
    assert response.status_code == 200, response.text
    found: dict[str, Any] = response.json()
    return found


@SETTINGS
@given(tags=TAGS, amount=st.integers(-(10**7), 10**7).map(lambda c: c / 100), exclude=st.booleans())
def test_a_create_answers_the_row_a_read_then_finds(
    api: Api, tags: list[str], amount: float, exclude: bool
) -> None:
    body = make_transaction(tags=tags, amount=amount, exclude=exclude, import_id=None)
    response = api.post("/transactions", body)
    assert response.status_code == 201, response.text
    created = response.json()
    assert created == read_back(api, created["id"])
    assert TransactionRead.model_validate(created).model_dump(mode="json") == created
    assert response.headers["content-type"] == "application/json"


@SETTINGS
@given(first_tags=TAGS, patch=PATCH)
def test_a_patch_answers_the_row_a_read_then_finds(
    api: Api, first_tags: list[str], patch: dict[str, Any]
) -> None:
    (transaction_id,) = api.create_transactions(make_transaction(tags=first_tags))
    response = api.patch(f"/transactions/{transaction_id}", patch)
    assert response.status_code == 200, response.text
    updated = response.json()
    assert updated == read_back(api, transaction_id)
    assert TransactionRead.model_validate(updated).model_dump(mode="json") == updated
    # The checker can fail: the patch is in the answer (as the schema cleans it; tags in
    # the order a read lists them).
    sent = TransactionUpdate.model_validate(patch).model_dump(exclude_unset=True)
    if "tags" in sent:
        sent["tags"] = sorted(sent["tags"])
    assert {name: updated[name] for name in sent} == sent


def test_a_patch_of_another_households_row_or_none_is_a_404_and_writes_nothing(
    api: Api, other_api: Api
) -> None:
    (theirs,) = other_api.create_transactions(make_transaction(tags=["theirs"]))
    before = other_api.ok(f"/transactions/{theirs}")
    for transaction_id in (theirs, theirs + 1000):
        response = api.patch(f"/transactions/{transaction_id}", {"tags": ["mine"]})
        assert response.status_code == 404, response.text
        assert response.json()["error"]["code"] == "not_found"
    assert other_api.ok(f"/transactions/{theirs}") == before


def test_a_stored_row_is_the_insert_row_between_its_id_and_its_split() -> None:
    # Two shapes of two layers (what a write supplies, what a row holds), kept apart on
    # purpose: `insert_transaction` builds one from the other by position.
    assert StoredRow._fields == ("id", *NewRow._fields, "split_of")
