"""CRUD of /fixed-lines: rent, energy, insurance… and their monthly equivalents (SPEC §3)."""

from __future__ import annotations

from fastapi import APIRouter, Response

from foyer.api.budget_shapes import fixed_line_read, new_fixed_line, patched_fixed_line
from foyer.api.deps import Claims, State
from foyer.api.errors import not_found
from foyer.api.params import SmallRowId
from foyer.schemas.budget_items import FixedLineCreate, FixedLineRead, FixedLineUpdate
from foyer.schemas.common import Items
from foyer.services.budget import fixed_lines

router = APIRouter(prefix="/fixed-lines", tags=["fixed lines"])
WHAT = "fixed line"


@router.get("", response_model=Items[FixedLineRead])
def list_fixed_lines(state: State, claims: Claims) -> Items[FixedLineRead]:
    with state.database.read() as conn:
        lines = fixed_lines.list(conn, household_id=claims.household_id)
    return Items[FixedLineRead](items=[fixed_line_read(line) for line in lines])


@router.post("", response_model=FixedLineRead, status_code=201)
def create_fixed_line(state: State, claims: Claims, body: FixedLineCreate) -> FixedLineRead:
    with state.database.unit_of_work() as conn:
        line = fixed_lines.create(conn, household_id=claims.household_id, item=new_fixed_line(body))
    return fixed_line_read(line)


@router.get("/{line_id}", response_model=FixedLineRead, responses={404: {}})
def get_fixed_line(state: State, claims: Claims, line_id: SmallRowId) -> FixedLineRead:
    with state.database.read() as conn:
        line = fixed_lines.get(conn, household_id=claims.household_id, item_id=line_id)
    if line is None:
        raise not_found(WHAT)
    return fixed_line_read(line)


@router.put("/{line_id}", response_model=FixedLineRead, responses={404: {}})
def replace_fixed_line(
    state: State, claims: Claims, line_id: SmallRowId, body: FixedLineCreate
) -> FixedLineRead:
    with state.database.unit_of_work() as conn:
        line = fixed_lines.replace(
            conn, household_id=claims.household_id, item_id=line_id, item=new_fixed_line(body)
        )
    if line is None:
        raise not_found(WHAT)
    return fixed_line_read(line)


@router.patch("/{line_id}", response_model=FixedLineRead, responses={404: {}})
def update_fixed_line(
    state: State, claims: Claims, line_id: SmallRowId, body: FixedLineUpdate
) -> FixedLineRead:
    """Change some fields; the result must still be a valid fixed line."""
    with state.database.unit_of_work() as conn:
        current = fixed_lines.get(conn, household_id=claims.household_id, item_id=line_id)
        if current is None:
            raise not_found(WHAT)
        line = fixed_lines.replace(
            conn,
            household_id=claims.household_id,
            item_id=line_id,
            item=patched_fixed_line(current, body),
        )
    assert line is not None  # found above, same transaction
    return fixed_line_read(line)


@router.delete("/{line_id}", status_code=204, responses={404: {}})
def delete_fixed_line(state: State, claims: Claims, line_id: SmallRowId) -> Response:
    with state.database.unit_of_work() as conn:
        if not fixed_lines.delete(conn, household_id=claims.household_id, item_id=line_id):
            raise not_found(WHAT)
    return Response(status_code=204)
