"""Templates and assets: the Jinja2 environment, versioned static URLs, HTML responses.

Static files are served under `/static/` with a year's `immutable` cache: their URLs carry
a digest of their bytes (`?v=`), so a changed file is a new URL and a browser never asks
twice for the same one. `VERSION` (templates + messages + assets) is part of every cached
page's key, so a deployment with new templates never serves an old page from Redis.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from starlette.responses import Response
from starlette.staticfiles import StaticFiles

from foyer.web import messages

HERE = Path(__file__).parent
TEMPLATES = HERE / "templates"
STATIC = HERE / "static"


def _digest(paths: list[Path]) -> str:
    sha = hashlib.sha256()
    for path in sorted(paths):
        sha.update(path.name.encode())
        sha.update(path.read_bytes())
    return sha.hexdigest()[:12]


ASSETS: Mapping[str, str] = {
    path.name: _digest([path]) for path in STATIC.iterdir() if path.is_file()
}
VERSION = _digest(
    [*TEMPLATES.iterdir(), *STATIC.iterdir(), Path(messages.__file__)],
)


def static_url(name: str) -> str:
    return f"/static/{name}?v={ASSETS[name]}"


ENV = Environment(
    loader=FileSystemLoader(TEMPLATES),
    autoescape=select_autoescape(["html"]),
    undefined=StrictUndefined,  # a misspelt variable fails the render, not shows ""
    trim_blocks=True,
    lstrip_blocks=True,
    auto_reload=False,
)
ENV.globals["static"] = static_url


def precompile() -> int:
    """Compile every template now (at start-up) rather than on the first page each one
    serves: compiling them cost the first dashboard after a restart ~26 ms of CPU, stretched
    to hundreds of ms of first paint on a busy machine (docs/PERFORMANCE.md, "Web")."""
    names = ENV.list_templates(extensions=["html"])
    for name in names:
        ENV.get_template(name)
    return len(names)


def render(template: str, context: Mapping[str, Any]) -> str:
    return ENV.get_template(template).render(context)


def html(
    body: str | bytes, status: int = 200, headers: Mapping[str, str] | None = None
) -> Response:
    return Response(
        body, status_code=status, media_type="text/html; charset=utf-8", headers=dict(headers or {})
    )


class ImmutableStatic(StaticFiles):
    """Starlette's static files with a year of `immutable` caching (URLs are versioned)."""

    def file_response(self, *args: Any, **kwargs: Any) -> Response:
        response = super().file_response(*args, **kwargs)
        response.headers["Cache-Control"] = "public, max-age=31536000, immutable"
        return response
