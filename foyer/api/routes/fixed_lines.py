"""CRUD of /fixed-lines: rent, energy, insurance… and their monthly equivalents (SPEC §3)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response
from pydantic import ValidationError

from foyer.api.deps import Claims, State
from foyer.api.errors import ApiError, not_found
from foyer.schemas.budget_items import FixedLineCreate, FixedLineRead, FixedLineUpdate
from foyer.schemas.common import Items
from foyer.services import budget
from foyer.services.budget import fixed_lines

router = APIRouter(prefix="/fixed-lines", tags=["fixed lines"])
WHAT = "fixed line"


@router.get("", response_model=Items[FixedLineRead])
def list_fixed_lines(state: State, claims: Claims) -> dict[str, Any]:
    with state.database.read() as conn:
        lines = fixed_lines.list(conn, household_id=claims.household_id)
    return {"items": [budget.fixed_line_read(line) for line in lines]}


@router.post("", response_model=FixedLineRead, status_code=201)
def create_fixed_line(state: State, claims: Claims, body: FixedLineCreate) -> dict[str, Any]:
    with state.database.unit_of_work() as conn:
        line = fixed_lines.create(conn, household_id=claims.household_id, data=body.model_dump())
    return budget.fixed_line_read(line)


@router.get("/{line_id}", response_model=FixedLineRead, responses={404: {}})
def get_fixed_line(state: State, claims: Claims, line_id: int) -> dict[str, Any]:
    with state.database.read() as conn:
        line = fixed_lines.get(conn, household_id=claims.household_id, item_id=line_id)
    if line is None:
        raise not_found(WHAT)
    return budget.fixed_line_read(line)


@router.put("/{line_id}", response_model=FixedLineRead, responses={404: {}})
def replace_fixed_line(
    state: State, claims: Claims, line_id: int, body: FixedLineCreate
) -> dict[str, Any]:
    with state.database.unit_of_work() as conn:
        line = fixed_lines.replace(
            conn, household_id=claims.household_id, item_id=line_id, data=body.model_dump()
        )
    if line is None:
        raise not_found(WHAT)
    return budget.fixed_line_read(line)


@router.patch("/{line_id}", response_model=FixedLineRead, responses={404: {}})
def update_fixed_line(
    state: State, claims: Claims, line_id: int, body: FixedLineUpdate
) -> dict[str, Any]:
    """Change some fields; the result must still be a valid fixed line."""
    with state.database.unit_of_work() as conn:
        current = fixed_lines.get(conn, household_id=claims.household_id, item_id=line_id)
        if current is None:
            raise not_found(WHAT)
        merged = {**budget.fixed_line_api_fields(current), **body.model_dump(exclude_unset=True)}
        try:
            valid = FixedLineCreate.model_validate(merged)
        except ValidationError as exc:
            errors = exc.errors(include_url=False, include_context=False, include_input=False)
            raise ApiError(422, str(errors[0]["msg"]), details=errors) from exc
        line = fixed_lines.replace(
            conn, household_id=claims.household_id, item_id=line_id, data=valid.model_dump()
        )
    assert line is not None  # found above, same transaction
    return budget.fixed_line_read(line)


@router.delete("/{line_id}", status_code=204, responses={404: {}})
def delete_fixed_line(state: State, claims: Claims, line_id: int) -> Response:
    with state.database.unit_of_work() as conn:
        if not fixed_lines.delete(conn, household_id=claims.household_id, item_id=line_id):
            raise not_found(WHAT)
    return Response(status_code=204)
