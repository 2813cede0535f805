"""OFX exports: one OFX 2.2 (XML, UTF-8) bank statement holding the range's transactions,
streamed one chunk per batch of rows.

OFX 2 rather than 1.x SGML: its encoding is always UTF-8 (1.x files declare a code page,
and cp1252 cannot hold every label), and its escaping is XML's. Every reader of bank files
takes it, foyer's own importer (ofxtools) included.

What a bank statement holds, and nothing of foyer's own: each row is a `STMTTRN` with
`TRNTYPE` DEBIT (amount < 0) or CREDIT, `DTPOSTED` (noon UTC of the row's date, so that no
reader's time zone moves it a day), `TRNAMT` (`-12.50`), `FITID` (`foyer-<row id>`, stable
across exports, which readers use to skip rows they already hold), `NAME` (the label's
first 32 characters, the spec's limit) and, for longer labels, `MEMO` with the whole label
(readers, foyer's importer among them, take it when it starts with NAME). Categories,
accounts, tags and the rest have no place in OFX: the CSV and XLSX exports carry them.
The statement's account is `foyer`, `EUR`; `LEDGERBAL`, which the spec requires, is the
net of the exported rows (foyer does not know the bank account's balance).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Iterator
from xml.sax.saxutils import escape

from foyer.exports.cells import money_text
from foyer.read.exports import ExportRow

MEDIA_TYPE = "application/x-ofx"
NAME_LENGTH = 32
# Characters XML 1.0 cannot hold at all, even escaped: replaced by a space.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _text(value: str) -> str:
    return escape(_NOT_XML.sub(" ", value))


def _stamp(day: dt.date) -> str:
    return day.strftime("%Y%m%d") + "120000.000[0:GMT]"


def _transaction(r: ExportRow) -> str:
    memo = f"<MEMO>{_text(r.label)}</MEMO>" if len(r.label) > NAME_LENGTH else ""
    return (
        f"<STMTTRN><TRNTYPE>{'DEBIT' if r.amount_cents < 0 else 'CREDIT'}</TRNTYPE>"
        f"<DTPOSTED>{_stamp(r.date)}</DTPOSTED>"
        f"<TRNAMT>{money_text(r.amount_cents)}</TRNAMT>"
        f"<FITID>foyer-{r.id}</FITID>"
        f"<NAME>{_text(r.label[:NAME_LENGTH])}</NAME>{memo}</STMTTRN>\n"
    )


def ofx_chunks(
    batches: Iterable[list[ExportRow]],
    *,
    start: dt.date,
    end: dt.date,
    now: dt.datetime,
) -> Iterator[bytes]:
    """The statement for rows dated in [start, end): its head, a chunk per batch, its tail.

    `DTEND` is `end`, the day after the last one covered: in OFX it is "the DTSTART of the
    next request", so that consecutive statements neither overlap nor leave a gap.
    """
    status = "<STATUS><CODE>0</CODE><SEVERITY>INFO</SEVERITY></STATUS>"
    head = (
        '<?xml version="1.0" encoding="UTF-8" standalone="no"?>\n'
        '<?OFX OFXHEADER="200" VERSION="220" SECURITY="NONE" OLDFILEUID="NONE"'
        ' NEWFILEUID="NONE"?>\n'
        "<OFX>\n"
        f"<SIGNONMSGSRSV1><SONRS>{status}"
        f"<DTSERVER>{now.astimezone(dt.UTC):%Y%m%d%H%M%S}.000[0:GMT]</DTSERVER>"
        "<LANGUAGE>FRA</LANGUAGE></SONRS></SIGNONMSGSRSV1>\n"
        f"<BANKMSGSRSV1><STMTTRNRS><TRNUID>0</TRNUID>{status}\n"
        "<STMTRS><CURDEF>EUR</CURDEF>"
        "<BANKACCTFROM><BANKID>foyer</BANKID><ACCTID>foyer</ACCTID>"
        "<ACCTTYPE>CHECKING</ACCTTYPE></BANKACCTFROM>\n"
        f"<BANKTRANLIST><DTSTART>{_stamp(start)}</DTSTART><DTEND>{_stamp(end)}</DTEND>\n"
    )
    yield head.encode()
    net = 0
    for batch in batches:
        net += sum(r.amount_cents for r in batch)
        yield "".join(_transaction(r) for r in batch).encode()
    tail = (
        "</BANKTRANLIST>\n"
        f"<LEDGERBAL><BALAMT>{money_text(net)}</BALAMT><DTASOF>{_stamp(end)}</DTASOF>"
        "</LEDGERBAL>\n</STMTRS></STMTTRNRS></BANKMSGSRSV1>\n</OFX>\n"
    )
    yield tail.encode()
