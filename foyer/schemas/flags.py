"""Feature flags on the wire (`/api/v1/monitoring/flags`, operators only)."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import Field, StrictInt

from foyer.schemas.common import Input, Output


class FlagRead(Output):
    name: str
    description: str
    percent: int = Field(ge=0, le=100, description="Households it is on for, in percent.")
    default: int = Field(ge=0, le=100, description="Its percent when no operator set it.")
    source: Literal["setting", "db"] = Field(
        description="setting: the default, from the settings; db: set by an operator."
    )
    updated_at: dt.datetime | None = Field(description="When an operator last set it.")
    updated_by: str | None = Field(description="The operator who last set it (email).")


class FlagUpdate(Input):
    percent: StrictInt = Field(
        ge=0,
        le=100,
        description="Households to turn it on for, in percent, chosen by a consistent hash: "
        "raising it only adds households.",
    )
