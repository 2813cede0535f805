"""The entry points: what a file is (`detect`), its rows (`parse`), and the user's fixes
(`with_overrides`) before parsing again. Pure: bytes in, values out.

The caller hands a seekable binary stream (an upload spooled to disk, or `BytesIO`):
detection reads only the head, parsing streams CSV and QIF a record at a time. OFX is read
whole by `ofxtools` (it builds a tree); SPEC §8 caps uploads at 20 MiB.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from typing import BinaryIO

from foyer.imports.csv_detect import detect_csv
from foyer.imports.csv_parse import iter_csv
from foyer.imports.encoding import HEAD_BYTES, canonical, detect_encoding, text_stream
from foyer.imports.model import (
    ColumnMapping,
    Detection,
    Dialect,
    FileFormat,
    MappingError,
    NotABankExport,
    ParseItem,
)
from foyer.imports.ofx import read_ofx
from foyer.imports.qif import detect_qif, iter_qif, looks_like_qif

# Magic numbers of the files people upload by mistake, with what to do instead.
_NOT_EXPORTS = (
    (b"%PDF", "a PDF document (a printed statement): download the CSV, OFX or QIF export"),
    (b"PK\x03\x04", "a ZIP archive or an .xlsx/.ods spreadsheet: save it as CSV first"),
    (b"\xd0\xcf\x11\xe0", "an old Excel (.xls) workbook: save it as CSV first"),
    (b"\x89PNG", "a PNG image, not a bank export"),
    (b"\xff\xd8\xff", "a JPEG image, not a bank export"),
)


def _format(head: bytes, text: str) -> FileFormat:
    for magic, reason in _NOT_EXPORTS:
        if head.startswith(magic):
            raise NotABankExport(reason)
    body = text.lstrip("\ufeff \t\r\n")
    if not body:
        raise NotABankExport("the file is empty")
    if b"\x00" in head and not text:
        raise NotABankExport("a binary file, not a text export")
    start = head[:4096].upper()
    if head.lstrip().startswith(b"OFXHEADER") or b"<OFX>" in start:
        return "ofx"
    if looks_like_qif(body):
        return "qif"
    lowered = body[:256].lower()
    if lowered.startswith(("<!doctype html", "<html")):
        raise NotABankExport("an HTML page (a saved web page), not a bank export")
    if lowered.startswith(("{", "[")):
        raise NotABankExport("a JSON document, not a CSV, OFX or QIF bank export")
    if lowered.startswith("<?xml"):
        raise NotABankExport("an XML document that is not OFX")
    return "csv"


def _head_text(head: bytes, encoding: str) -> str:
    if len(head) >= HEAD_BYTES:  # the last line may be cut: keep whole lines only
        head = head[: head.rfind(b"\n") + 1] or head
    try:
        return head.decode(encoding, errors="replace")
    except LookupError:
        return ""


def detect(raw: BinaryIO, *, delimiter: str | None = None) -> Detection:
    """What the file is and how to read it, from its head; NotABankExport says why not.

    `delimiter` forces a CSV's delimiter (the user's fix): the header and columns are then
    found again with it, which `with_overrides` alone cannot do.
    """
    raw.seek(0)
    head = raw.read(HEAD_BYTES)
    raw.seek(0)
    encoding = detect_encoding(head)
    text = _head_text(head, encoding)
    if b"\x00" in head and not encoding.startswith("utf-16"):
        text = ""
    kind = _format(head, text)
    if kind == "ofx":
        declared, _ = read_ofx(raw.read())
        raw.seek(0)
        return Detection("ofx", canonical(declared), None, (), None)
    if kind == "qif":
        return detect_qif(text, encoding=encoding)
    return detect_csv(text.lstrip("\ufeff"), encoding=encoding, delimiter=delimiter)


def parse(raw: BinaryIO, detection: Detection) -> Iterator[ParseItem]:
    """Every row, line error and skipped line of the file, in file order, lazily."""
    raw.seek(0)
    if detection.format == "ofx":
        _, items = read_ofx(raw.read())
        yield from items
        return
    text = text_stream(raw, detection.encoding)
    try:
        if detection.format == "qif":
            yield from iter_qif(text, detection)
        else:
            yield from iter_csv(text, detection)
    finally:
        text.detach()  # the caller's stream stays open


def with_overrides(
    detection: Detection,
    *,
    dialect: Dialect | None = None,
    mapping: ColumnMapping | None = None,
    encoding: str | None = None,
) -> Detection:
    """The detection with the user's fixes (SPEC §8 PATCH), checked against the file."""
    if mapping is not None:
        if detection.format != "csv":
            raise MappingError(f"a {detection.format.upper()} file has no column mapping")
        unknown = [c for c in mapping.as_dict().values() if c not in detection.columns]
        if unknown:
            raise MappingError(f"no column named {', '.join(map(repr, unknown))}")
    if dialect is not None and detection.format == "csv" and not dialect.delimiter:
        raise MappingError("a CSV dialect needs a delimiter")
    if dialect is not None and detection.format == "ofx":
        raise MappingError("an OFX file has no dialect")
    return dataclasses.replace(
        detection,
        dialect=dialect or detection.dialect,
        mapping=mapping or detection.mapping,
        encoding=encoding or detection.encoding,
    )
