"""CRUD of /provisions (savings envelopes) and GET /provisions/calculate (SPEC §4)."""

from __future__ import annotations

from fastapi import APIRouter, Response

from foyer.api.budget_shapes import new_provision, patched_provision, provision_read
from foyer.api.deps import Claims, State
from foyer.api.errors import not_found
from foyer.api.params import SmallRowId
from foyer.schemas.budget_items import ProvisionCreate, ProvisionRead, ProvisionUpdate
from foyer.schemas.common import Items
from foyer.services.budget import provisions

router = APIRouter(prefix="/provisions", tags=["provisions"])
WHAT = "provision"


@router.get("", response_model=Items[ProvisionRead])
def list_provisions(state: State, claims: Claims) -> Items[ProvisionRead]:
    with state.database.read() as conn:
        items = provisions.list(conn, household_id=claims.household_id)
    return Items[ProvisionRead](items=[provision_read(item) for item in items])


@router.post("", response_model=ProvisionRead, status_code=201)
def create_provision(state: State, claims: Claims, body: ProvisionCreate) -> ProvisionRead:
    with state.database.unit_of_work() as conn:
        item = provisions.create(conn, household_id=claims.household_id, item=new_provision(body))
    return provision_read(item)


@router.get("/{provision_id}", response_model=ProvisionRead, responses={404: {}})
def get_provision(state: State, claims: Claims, provision_id: SmallRowId) -> ProvisionRead:
    with state.database.read() as conn:
        item = provisions.get(conn, household_id=claims.household_id, item_id=provision_id)
    if item is None:
        raise not_found(WHAT)
    return provision_read(item)


@router.put("/{provision_id}", response_model=ProvisionRead, responses={404: {}})
def replace_provision(
    state: State, claims: Claims, provision_id: SmallRowId, body: ProvisionCreate
) -> ProvisionRead:
    with state.database.unit_of_work() as conn:
        item = provisions.replace(
            conn,
            household_id=claims.household_id,
            item_id=provision_id,
            item=new_provision(body),
        )
    if item is None:
        raise not_found(WHAT)
    return provision_read(item)


@router.patch("/{provision_id}", response_model=ProvisionRead, responses={404: {}})
def update_provision(
    state: State, claims: Claims, provision_id: SmallRowId, body: ProvisionUpdate
) -> ProvisionRead:
    """Change some fields; the result must still be a valid provision."""
    with state.database.unit_of_work() as conn:
        current = provisions.get(conn, household_id=claims.household_id, item_id=provision_id)
        if current is None:
            raise not_found(WHAT)
        item = provisions.replace(
            conn,
            household_id=claims.household_id,
            item_id=provision_id,
            item=patched_provision(current, body),
        )
    assert item is not None  # found above, same transaction
    return provision_read(item)


@router.delete("/{provision_id}", status_code=204, responses={404: {}})
def delete_provision(state: State, claims: Claims, provision_id: SmallRowId) -> Response:
    with state.database.unit_of_work() as conn:
        if not provisions.delete(conn, household_id=claims.household_id, item_id=provision_id):
            raise not_found(WHAT)
    return Response(status_code=204)
