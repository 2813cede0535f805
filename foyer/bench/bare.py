"""The "bare" target: a minimal FastAPI app in its own process, serving foyer's bytes.

The ceiling route (`/bench/ceiling/{key}`) runs inside a foyer server, behind foyer's
middleware (correlation id, observer, security headers, gzip, body limit): it measures
foyer's routes against FastAPI in the same server. "bare" is the harder bar: a FastAPI app
with one catch-all route and no middleware of foyer's, in a uvicorn process of its own
started with the same options as the foyer servers (`foyer.bench.server.uvicorn_command`),
answering from memory what foyer answered to the very same requests (same path, query
and headers sent by the load generator):

- the same body bytes, identity or, when the request accepts gzip and foyer answered
  gzip, foyer's gzip bytes;
- the representation headers foyer sent (`REPRESENTATION`: content type, ETag,
  Cache-Control, Vary, Content-Encoding), and a 304 when If-None-Match holds the ETag,
  as foyer's cached views do. Per-request and foyer-middleware headers (Server-Timing,
  the correlation id, the security headers) are left out: that work is what foyer's own
  layers cost, and what "X / bare" charges them with.

The harness captures both representations of each request from the first foyer server
(`capture`), writes them to a file (`write_answers`) and starts a `BareServer` on it;
the server's factory (`create_app_from_env`) reads the file named by `BARE_FILE_ENV`.
"""

from __future__ import annotations

import base64
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx2 as httpx
import orjson
from fastapi import FastAPI, Request, Response

from foyer.api.conditional import accepts_gzip, tag_list
from foyer.bench.load import ScenarioCheckError
from foyer.bench.scenarios import Req
from foyer.bench.server import ServerConfig, ServerProcess, uvicorn_command

BARE = "bare"
BARE_FILE_ENV = "FOYER_BENCH_BARE_FILE"
#: foyer's response headers the bare app repeats (lowercase, as HTTP/1.1 carries them).
REPRESENTATION = ("content-type", "etag", "cache-control", "vary", "content-encoding")
#: Headers of foyer's 304 (RFC 9110 §15.4.5: what a 200 would have said, minus the body's).
NOT_MODIFIED = ("etag", "cache-control", "vary")

Key = tuple[str, bytes]  # (path, raw query string), as the ASGI scope carries them


@dataclass(frozen=True, slots=True)
class Representation:
    body: bytes
    headers: dict[str, str]

    @property
    def etag(self) -> str | None:
        return self.headers.get("etag")


@dataclass(frozen=True, slots=True)
class Answer:
    """What foyer answered to one request: identity, and gzip when it sends gzip."""

    identity: Representation
    gzip: Representation | None


def request_key(path: str) -> Key:
    parts = urlsplit(path)
    return parts.path, parts.query.encode("latin-1")


def _fetch(client: httpx.Client, req: Req, encoding: str) -> Representation:
    headers = {**req.headers, "Accept-Encoding": encoding}
    with client.stream(req.method, req.path, headers=headers) as response:
        body = b"".join(response.iter_raw())  # as sent: gzip stays gzip
        if response.status_code != 200:
            raise ScenarioCheckError(f"{req.method} {req.path} -> {response.status_code}")
        kept = {name: response.headers[name] for name in REPRESENTATION if name in response.headers}
    return Representation(body, kept)


def capture(base_url: str, requests: list[Req]) -> dict[Key, Answer]:
    """Each distinct GET of `requests` asked of foyer twice, identity then gzip."""
    answers: dict[Key, Answer] = {}
    with httpx.Client(base_url=base_url, timeout=120) as client:
        for req in requests:
            key = request_key(req.path)
            if req.method != "GET" or key in answers:
                continue
            identity = _fetch(client, req, "identity")
            zipped = _fetch(client, req, "gzip")
            gzip = zipped if zipped.headers.get("content-encoding") == "gzip" else None
            answers[key] = Answer(identity, gzip)
    return answers


def _rep_json(rep: Representation) -> dict[str, Any]:
    return {"body": base64.b64encode(rep.body).decode(), "headers": rep.headers}


def _rep_of(data: dict[str, Any]) -> Representation:
    return Representation(base64.b64decode(data["body"]), dict(data["headers"]))


def write_answers(path: Path, answers: dict[Key, Answer]) -> None:
    rows = [
        {
            "path": key[0],
            "query": key[1].decode("latin-1"),
            "identity": _rep_json(answer.identity),
            "gzip": None if answer.gzip is None else _rep_json(answer.gzip),
        }
        for key, answer in answers.items()
    ]
    path.write_bytes(orjson.dumps(rows))


def read_answers(path: Path) -> dict[Key, Answer]:
    answers: dict[Key, Answer] = {}
    for row in orjson.loads(path.read_bytes()):
        gzip = None if row["gzip"] is None else _rep_of(row["gzip"])
        key = (row["path"], row["query"].encode("latin-1"))
        answers[key] = Answer(_rep_of(row["identity"]), gzip)
    return answers


def create_app(answers: dict[Key, Answer]) -> FastAPI:
    """One catch-all route answering `answers` from memory; 404 for anything else."""
    app = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)

    @app.get("/{path:path}")
    async def replay(request: Request) -> Response:
        scope = request.scope
        answer = answers.get((scope["path"], scope["query_string"]))
        if answer is None:
            return Response(status_code=404)
        headers = request.headers
        rep = answer.identity
        if answer.gzip is not None and accepts_gzip(headers.get("accept-encoding", "")):
            rep = answer.gzip
        held = tag_list(headers.get("if-none-match", ""))
        if rep.etag is not None and (rep.etag in held or "*" in held):
            kept = {name: rep.headers[name] for name in NOT_MODIFIED if name in rep.headers}
            return Response(status_code=304, headers=kept)
        return Response(rep.body, headers=rep.headers)

    return app


def create_app_from_env() -> FastAPI:
    """Factory for `uvicorn --factory`: the answers in the file `BARE_FILE_ENV` names."""
    return create_app(read_answers(Path(os.environ[BARE_FILE_ENV])))


class BareServer(ServerProcess):
    """The bare app in its own uvicorn process; `usage`, `wait_idle` and `stop` as any
    bench server's. It has no /metrics: the runner scrapes nothing from it."""

    def __init__(self, answers_file: Path, workers: int = 1) -> None:
        super().__init__(ServerConfig(BARE, workers=workers), "", answers_file.parent)
        self.answers_file = answers_file

    def start(self, timeout: float = 60.0) -> None:
        answers = read_answers(self.answers_file)
        if not answers:
            raise ValueError("the bare app needs at least one captured answer")
        path, query = next(iter(answers))
        ready = f"{path}?{query.decode('latin-1')}" if query else path
        env = {**os.environ, BARE_FILE_ENV: str(self.answers_file)}
        command = uvicorn_command(f"{__name__}:create_app_from_env", self.port, self.config.workers)
        self.launch(command, env, timeout, ready=ready)


def check_same(base_url: str, answers: dict[Key, Answer]) -> None:
    """Every captured answer, asked of the bare app in both encodings, comes back with its
    bytes and headers: what the bare target serves is what foyer served."""
    with httpx.Client(base_url=base_url, timeout=30) as client:
        for (path, query), answer in answers.items():
            url = f"{path}?{query.decode('latin-1')}" if query else path
            for encoding, rep in (("identity", answer.identity), ("gzip", answer.gzip)):
                expected = rep or answer.identity
                with client.stream("GET", url, headers={"Accept-Encoding": encoding}) as response:
                    body = b"".join(response.iter_raw())
                    got = {k: response.headers[k] for k in REPRESENTATION if k in response.headers}
                if (response.status_code, body, got) != (200, expected.body, expected.headers):
                    raise ScenarioCheckError(f"bare app: GET {url} ({encoding}) differs from foyer")
