"""OFX (v1 SGML and v2 XML) and QFX statements through `ofxtools`.

`ofxtools` reads the header, the declared charset and the SGML tag soup (unclosed
elements) into an ElementTree; we read the transactions from that tree rather than from
`OFXTree.convert()`, whose strict validation rejects whole files for one field that real
banks get wrong (a 33-character NAME, a `TRNAMT` with a decimal comma as some French banks
send, a missing `SONRS` detail), and which turns `DTPOSTED` into a UTC datetime whose date
can move a day. The date taken is the bank's own: the first 8 digits of `DTPOSTED`.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from xml.etree.ElementTree import Element
from xml.sax.saxutils import unescape

from ofxtools.header import OFXHeaderError
from ofxtools.Parser import OFXTree, ParseError

from foyer.imports.amounts import amount_parser
from foyer.imports.dates import date_parser
from foyer.imports.model import LineError, NotABankExport, ParsedRow, ParseItem

_STMTTRN = re.compile(rb"<STMTTRN>", re.IGNORECASE)
_parse_date = date_parser("%Y%m%d")
_dot_amount = amount_parser(".", "")
_comma_amount = amount_parser(",", "")


def read_ofx(data: bytes) -> tuple[str, Iterator[ParseItem]]:
    """(the encoding the file declares, its transactions in file order)."""
    tree = OFXTree()
    try:
        tree.parse(io.BytesIO(data))
    except (OFXHeaderError, ParseError, ValueError, KeyError) as error:
        raise NotABankExport(f"OFX file could not be read: {error}") from None
    root = tree.getroot()
    if root is None:
        raise NotABankExport("OFX file holds no statement")
    transactions = list(root.iter("STMTTRN"))
    if not transactions and root.find(".//BANKTRANLIST") is None:
        raise NotABankExport("OFX file holds no bank or card statement")
    # ElementTree keeps no line numbers: the n-th <STMTTRN> in the bytes is the n-th element.
    lines = [data.count(b"\n", 0, m.start()) + 1 for m in _STMTTRN.finditer(data)]
    if len(lines) != len(transactions):
        lines = [0] * len(transactions)
    encoding = str(getattr(tree.header, "codec", "utf-8"))
    return encoding, (_row(line, t) for line, t in zip(lines, transactions, strict=True))


# The entities OFX text may hold (OFX 2.3; banks mix SGML and XML ones), as ofxtools' own
# conversion reads them: its tree, which we read, keeps them as written.
_ENTITIES = {"&nbsp;": " ", "&apos;": "'", "&quot;": '"'}


def _text(element: Element, tag: str) -> str:
    found = element.find(tag)
    return unescape((found.text or "").strip(), _ENTITIES) if found is not None else ""


def _row(line: int, element: Element) -> ParseItem:
    posted = _text(element, "DTPOSTED")
    try:
        date = _parse_date(posted[:8])
    except ValueError:
        return LineError(line, f"DTPOSTED {posted!r} is not a date")
    raw_amount = _text(element, "TRNAMT")
    try:
        amount = (_comma_amount if "," in raw_amount else _dot_amount)(raw_amount)
    except ValueError as error:
        return LineError(line, f"TRNAMT: {error}")
    name, memo = _text(element, "NAME"), _text(element, "MEMO")
    if not name:
        payee = element.find("PAYEE")
        name = _text(payee, "NAME") if payee is not None else ""
    # NAME is cut at 32 characters by the spec; many banks repeat it whole in MEMO.
    label = memo if memo and (not name or memo.startswith(name)) else name
    if not label:
        return LineError(line, "transaction has neither NAME nor MEMO")
    return ParsedRow(line, date, label, amount)
