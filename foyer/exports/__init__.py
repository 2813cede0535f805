"""Exports of a household's transactions (SPEC §12) as CSV, XLSX or OFX, in constant memory.

`export_chunks` opens its own read connection, reads the range in keyset batches
(foyer.read.exports) and hands them to the format's writer, which turns each into bytes as
it comes (CSV, OFX) or into a temporary file streamed at the end (XLSX, a zip archive).
Below HTTP: the route (foyer.api.routes.exports) only checks parameters and streams.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Generator, Iterable, Iterator
from dataclasses import dataclass
from typing import Literal

from foyer.db.engine import Database
from foyer.exports import to_csv, to_ofx, to_xlsx
from foyer.read.exports import ExportRow, date_range, export_batches, snapshot

ExportFormat = Literal["csv", "xlsx", "ofx"]
#: (batches, first day, day after the last) -> the file's bytes, in chunks
Writer = Callable[[Iterable[list[ExportRow]], dt.date, dt.date], Iterator[bytes]]


@dataclass(frozen=True, slots=True)
class Format:
    media_type: str
    write: Writer


def _ofx(batches: Iterable[list[ExportRow]], start: dt.date, end: dt.date) -> Iterator[bytes]:
    return to_ofx.ofx_chunks(batches, start=start, end=end, now=dt.datetime.now(dt.UTC))


FORMATS: dict[ExportFormat, Format] = {
    "csv": Format(to_csv.MEDIA_TYPE, lambda batches, _start, _end: to_csv.csv_chunks(batches)),
    "xlsx": Format(to_xlsx.MEDIA_TYPE, lambda batches, _start, _end: to_xlsx.xlsx_chunks(batches)),
    "ofx": Format(to_ofx.MEDIA_TYPE, _ofx),
}


def file_name(first_month: str, last_month: str, fmt: ExportFormat) -> str:
    """`foyer-2025-01-2025-12.csv`."""
    return f"foyer-{first_month}-{last_month}.{fmt}"


def export_chunks(
    database: Database,
    *,
    household_id: int,
    first_month: str,
    last_month: str,
    fmt: ExportFormat,
) -> Generator[bytes, None, None]:
    """The export's bytes, chunk by chunk. The months are checked now (ValueError); nothing
    is read before the first `next()`, and the read connection is held until the generator
    ends or is closed."""
    start, end = date_range(first_month, last_month)
    return _chunks(database, household_id, first_month, last_month, FORMATS[fmt], start, end)


def _chunks(
    database: Database,
    household_id: int,
    first_month: str,
    last_month: str,
    fmt: Format,
    start: dt.date,
    end: dt.date,
) -> Generator[bytes, None, None]:
    with database.read() as conn:
        batches = export_batches(
            snapshot(conn),
            household_id=household_id,
            first_month=first_month,
            last_month=last_month,
        )
        yield from fmt.write(batches, start, end)
