"""Jobs (SPEC §8): a job's state as `GET /jobs/{id}` shows it, the listing, a started job."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import Field

from foyer.schemas.common import Output

JobStatus = Literal["queued", "running", "succeeded", "failed"]


class JobRead(Output):
    id: int
    kind: str
    status: JobStatus
    progress: float = Field(ge=0, le=1)
    result: dict[str, Any] | None
    error: str | None
    created_at: dt.datetime
    started_at: dt.datetime | None
    finished_at: dt.datetime | None
    attempts: int


class JobPage(Output):
    items: list[JobRead]


class JobStarted(Output):
    job_id: int
