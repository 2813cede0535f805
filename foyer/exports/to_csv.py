"""CSV exports: RFC 4180 (comma, `"` quoting when needed, CRLF line ends), UTF-8 without
a byte order mark, one chunk of bytes per batch of rows.

The stdlib `csv` writer does the quoting; the cells are foyer.exports.cells': amounts as
plain numbers (`-12.50`, never quoted), `true`/`false`, ISO dates, text made inert.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator

from foyer.exports.cells import FIELDS, inert, money_text, tags_text
from foyer.read.exports import ExportRow

MEDIA_TYPE = "text/csv; charset=utf-8"


def csv_chunks(batches: Iterable[list[ExportRow]]) -> Iterator[bytes]:
    """The header, then one chunk per batch (the header alone for no rows)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(FIELDS)
    for batch in batches:
        writer.writerows(
            (
                date.isoformat(),
                inert(label),
                money_text(cents),
                inert(category),
                inert(parent),
                inert(account),
                kind,
                "true" if exclude else "false",
                inert(tags_text(tags)) if tags else "",
            )
            for _, date, label, cents, category, parent, account, kind, exclude, tags in batch
        )
        yield buffer.getvalue().encode()
        buffer.seek(0)
        buffer.truncate()
    if buffer.tell():
        yield buffer.getvalue().encode()
