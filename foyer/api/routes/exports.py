"""/exports/transactions (SPEC §12): a household's transactions of a range of months as a
CSV, XLSX or OFX download, streamed in constant memory (foyer.exports writes it)."""

from __future__ import annotations

from collections.abc import AsyncGenerator, Generator
from typing import Annotated, Any

import anyio
from fastapi import APIRouter, Query
from fastapi.responses import StreamingResponse
from starlette.concurrency import run_in_threadpool
from starlette.types import Receive, Scope, Send

from foyer.api.deps import AppState, Claims, State
from foyer.cache.params import ParamError, check_month
from foyer.exports import FORMATS, ExportFormat, export_chunks, file_name

router = APIRouter(prefix="/exports", tags=["exports"])


async def _streamed(chunks: Generator[bytes, None, None]) -> AsyncGenerator[bytes, None]:
    """`chunks` advanced on the threadpool (each step reads a batch and writes it) and closed
    there, so the read connection goes back to the pool off the event loop."""
    try:
        while (chunk := await run_in_threadpool(next, chunks, None)) is not None:
            yield chunk
    finally:
        with anyio.CancelScope(shield=True):
            await run_in_threadpool(chunks.close)


class Download(StreamingResponse):
    """A streamed file whose body is closed when the response ends, however it ends.

    Starlette leaves a body it stopped iterating (the client left mid-way) to the garbage
    collector; this one holds a database connection and a read transaction, which a pool of
    a few connections cannot wait for."""

    def __init__(self, chunks: AsyncGenerator[bytes, None], **kwargs: Any) -> None:
        super().__init__(chunks, **kwargs)
        self._chunks = chunks

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            with anyio.CancelScope(shield=True):
                await self._chunks.aclose()


@router.get(
    "/transactions",
    response_class=Download,
    status_code=200,  # FastAPI reads the default from the class's __init__ otherwise
    responses={
        200: {
            "description": "The file, streamed (`Content-Disposition: attachment`).",
            "content": {f.media_type: {} for f in FORMATS.values()},
        },
        422: {},
    },
)
async def export_transactions(
    state: State,
    claims: Claims,
    start: Annotated[str, Query(alias="from", examples=["2025-01"], description="YYYY-MM")],
    end: Annotated[str, Query(alias="to", examples=["2025-12"], description="YYYY-MM")],
    fmt: Annotated[ExportFormat, Query(alias="format")] = "csv",
) -> Download:
    """Every transaction dated in `from`..`to` (months, inclusive), oldest first, one row
    each under a header of field names; any number of rows, in constant memory. No I/O
    here: the file's generator opens its own read connection when the response starts."""
    return download(state, claims.household_id, start, end, fmt)


def download(
    state: AppState, household_id: int, start: str, end: str, fmt: ExportFormat
) -> Download:
    """The export as a streamed download (the API's route and the web page's link)."""
    first, last = check_month(start, "from"), check_month(end, "to")
    if first > last:
        raise ParamError("from: must not be after to")
    chunks = export_chunks(
        state.database,
        household_id=household_id,
        first_month=first,
        last_month=last,
        fmt=fmt,
    )
    headers = {
        "Content-Disposition": f'attachment; filename="{file_name(first, last, fmt)}"',
        "Cache-Control": "no-store",
    }
    return Download(_streamed(chunks), media_type=FORMATS[fmt].media_type, headers=headers)
