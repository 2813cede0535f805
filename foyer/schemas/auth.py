"""Login and the current user (SPEC §7)."""

from __future__ import annotations

from pydantic import Field

from foyer.schemas.common import Output


class TokenRead(Output):
    access_token: str
    token_type: str = Field(default="bearer", examples=["bearer"])
    expires_in: int = Field(description="Seconds until the token expires.")


class MeRead(Output):
    id: int
    email: str
    household_id: int
    household_name: str
    is_operator: bool
