"""Bank imports (SPEC §8): the preview, the user's fixes (PATCH), the history."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from pydantic import Field

from foyer.read.imports import ImportStatus
from foyer.schemas.common import Input, Output

Column = Annotated[str, Field(min_length=1, max_length=200)]


class DialectBody(Input):
    delimiter: str | None = Field(default=None, min_length=1, max_length=1)
    decimal: Literal[",", "."]
    thousands: str = Field(max_length=1)
    date_format: str = Field(min_length=2, max_length=20, examples=["%d/%m/%Y"])


class MappingBody(Input):
    date: Column
    label: Column
    amount: Column | None = None
    debit: Column | None = None
    credit: Column | None = None
    category: Column | None = None
    account: Column | None = None


class ImportUpdate(Input):
    mapping: MappingBody | None = None
    dialect: DialectBody | None = None


class ImportCounts(Output):
    rows: int
    duplicates: int
    errors: int


class PreviewRow(Output):
    line: int
    date: dt.date
    label: str
    amount: float
    duplicate: bool
    category: str | None = None


class LineErrorRead(Output):
    line: int
    message: str


class DialectRead(Output):
    delimiter: str | None
    decimal: str
    thousands: str
    date_format: str


class ImportPreview(Output):
    id: int
    status: ImportStatus
    format: Literal["csv", "ofx", "qif"]
    encoding: str
    dialect: DialectRead | None
    columns: list[str]
    mapping: dict[str, str] | None
    counts: ImportCounts
    rows: list[PreviewRow] = Field(description="The first 50 parsed rows.")
    errors: list[LineErrorRead] = Field(description="The first 100 lines that did not parse.")


class ImportRead(Output):
    id: int
    file_name: str
    account: str
    status: ImportStatus
    format: str
    counts: ImportCounts
    inserted: int
    created_at: dt.datetime
    committed_at: dt.datetime | None


class ImportPage(Output):
    items: list[ImportRead]
