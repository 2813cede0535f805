"""CRUD of /provisions (savings envelopes) and GET /provisions/calculate (SPEC §4)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response
from pydantic import ValidationError

from foyer.api.deps import Claims, State
from foyer.api.errors import ApiError, not_found
from foyer.schemas.budget_items import ProvisionCreate, ProvisionRead, ProvisionUpdate
from foyer.schemas.common import Items
from foyer.services import budget
from foyer.services.budget import provisions

router = APIRouter(prefix="/provisions", tags=["provisions"])
WHAT = "provision"


@router.get("", response_model=Items[ProvisionRead])
def list_provisions(state: State, claims: Claims) -> dict[str, Any]:
    with state.database.read() as conn:
        items = provisions.list(conn, household_id=claims.household_id)
    return {"items": [budget.provision_read(item) for item in items]}


@router.post("", response_model=ProvisionRead, status_code=201)
def create_provision(state: State, claims: Claims, body: ProvisionCreate) -> dict[str, Any]:
    with state.database.unit_of_work() as conn:
        item = provisions.create(conn, household_id=claims.household_id, data=body.model_dump())
    return budget.provision_read(item)


@router.get("/{provision_id}", response_model=ProvisionRead, responses={404: {}})
def get_provision(state: State, claims: Claims, provision_id: int) -> dict[str, Any]:
    with state.database.read() as conn:
        item = provisions.get(conn, household_id=claims.household_id, item_id=provision_id)
    if item is None:
        raise not_found(WHAT)
    return budget.provision_read(item)


@router.put("/{provision_id}", response_model=ProvisionRead, responses={404: {}})
def replace_provision(
    state: State, claims: Claims, provision_id: int, body: ProvisionCreate
) -> dict[str, Any]:
    with state.database.unit_of_work() as conn:
        item = provisions.replace(
            conn, household_id=claims.household_id, item_id=provision_id, data=body.model_dump()
        )
    if item is None:
        raise not_found(WHAT)
    return budget.provision_read(item)


@router.patch("/{provision_id}", response_model=ProvisionRead, responses={404: {}})
def update_provision(
    state: State, claims: Claims, provision_id: int, body: ProvisionUpdate
) -> dict[str, Any]:
    """Change some fields; the result must still be a valid provision."""
    with state.database.unit_of_work() as conn:
        current = provisions.get(conn, household_id=claims.household_id, item_id=provision_id)
        if current is None:
            raise not_found(WHAT)
        merged = {**budget.provision_api_fields(current), **body.model_dump(exclude_unset=True)}
        try:
            valid = ProvisionCreate.model_validate(merged)
        except ValidationError as exc:
            errors = exc.errors(include_url=False, include_context=False, include_input=False)
            raise ApiError(422, str(errors[0]["msg"]), details=errors) from exc
        item = provisions.replace(
            conn, household_id=claims.household_id, item_id=provision_id, data=valid.model_dump()
        )
    assert item is not None  # found above, same transaction
    return budget.provision_read(item)


@router.delete("/{provision_id}", status_code=204, responses={404: {}})
def delete_provision(state: State, claims: Claims, provision_id: int) -> Response:
    with state.database.unit_of_work() as conn:
        if not provisions.delete(conn, household_id=claims.household_id, item_id=provision_id):
            raise not_found(WHAT)
    return Response(status_code=204)
