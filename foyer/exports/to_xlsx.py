"""XLSX exports with XlsxWriter in constant-memory mode, through a temporary file.

An XLSX file is a zip archive whose central directory, at the end, lists every member
with its size and offset: it is written whole, and its first byte is only final once its
last row is. So the workbook is written to a temporary file (spooled: small exports never
touch the disk), then streamed from it in chunks. In constant-memory mode XlsxWriter
flushes each row to its own temporary file as soon as the next one starts, so memory stays
flat at any size; the price is rows written strictly in order, which a keyset read gives.

Cells are typed: dates are Excel dates, amounts numbers (two decimals shown), `exclude` a
boolean, and text is written with `write_string` (never as a formula: `strings_to_formulas`
is off as well) and made inert (foyer.exports.cells) for when it is copied or saved as CSV.
A sheet holds 1,048,575 rows under its header; more continue on "transactions 2", ….
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterable, Iterator

import xlsxwriter
from xlsxwriter.worksheet import Worksheet

from foyer.exports.cells import FIELDS, inert, tags_text
from foyer.read.exports import ExportRow

MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
#: Rows of one worksheet, the header included (Excel's limit).
SHEET_ROWS = 1_048_576
#: Bytes per streamed chunk, and how large the file grows in memory before going to disk.
CHUNK = 1 << 20
SPOOL = 8 << 20
_OPTIONS = {
    "constant_memory": True,
    "strings_to_formulas": False,
    "strings_to_urls": False,
    "strings_to_numbers": False,
}
_WIDTHS = (11, 40, 11, 18, 18, 12, 12, 8, 20)


def xlsx_chunks(
    batches: Iterable[list[ExportRow]], *, sheet_rows: int = SHEET_ROWS
) -> Iterator[bytes]:
    """The workbook's bytes, in chunks of CHUNK, once every batch is written."""
    with tempfile.SpooledTemporaryFile(max_size=SPOOL) as out:
        book = xlsxwriter.Workbook(out, _OPTIONS)
        date = book.add_format({"num_format": "yyyy-mm-dd"})
        money = book.add_format({"num_format": "0.00"})
        header = book.add_format({"bold": True})
        sheets = 0

        def new_sheet() -> Worksheet:
            nonlocal sheets
            sheets += 1
            sheet = book.add_worksheet("transactions" if sheets == 1 else f"transactions {sheets}")
            for column, width in enumerate(_WIDTHS):
                sheet.set_column(column, column, width)
            sheet.freeze_panes(1, 0)
            sheet.write_row(0, 0, FIELDS, header)
            return sheet

        sheet, row = new_sheet(), 1
        for batch in batches:
            for r in batch:
                if row == sheet_rows:
                    sheet, row = new_sheet(), 1
                sheet.write_datetime(row, 0, r.date, date)
                sheet.write_string(row, 1, inert(r.label))
                sheet.write_number(row, 2, r.amount_cents / 100, money)
                sheet.write_string(row, 3, inert(r.category))
                sheet.write_string(row, 4, inert(r.category_parent))
                sheet.write_string(row, 5, inert(r.account))
                sheet.write_string(row, 6, r.expense_type)
                sheet.write_boolean(row, 7, r.exclude)
                if r.tags:
                    sheet.write_string(row, 8, inert(tags_text(r.tags)))
                row += 1
        book.close()
        out.seek(0)
        while chunk := out.read(CHUNK):
            yield chunk
