"""Login, the current user and a password change (SPEC §7)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from foyer.auth.policy import MAX_PASSWORD_CHARS, MIN_PASSWORD_CHARS
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


class PasswordChange(BaseModel):
    # Not `Input`: that strips strings, and a password's spaces are part of it.
    model_config = ConfigDict(extra="forbid")

    current_password: str = Field(min_length=1, max_length=MAX_PASSWORD_CHARS)
    new_password: str = Field(
        min_length=MIN_PASSWORD_CHARS,
        max_length=MAX_PASSWORD_CHARS,
        description=f"At least {MIN_PASSWORD_CHARS} characters.",
    )
