"""The routes of the cached views, generated from their declarations (`foyer.cache.views`).

One GET route per path: its query parameters come from the views' `params` (each read as
`foyer.api.params` says), its response schema from their `response`. Views sharing a
path (the drill-down) are told apart by `level`; the route takes and validates the union
of their parameters and hands each view its own.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from typing import Literal, Union

from fastapi import APIRouter, Request
from starlette.responses import Response

from foyer.api.deps import Claims, State
from foyer.api.params import HTTP_PARAMS, Given, python_name
from foyer.api.views import answer_view
from foyer.cache.params import ParamName, Params
from foyer.cache.views import VIEWS, View

Endpoint = Callable[..., Awaitable[Response]]


def by_path() -> dict[str, list[View]]:
    """The views grouped by path, in declaration order."""
    paths: dict[str, list[View]] = {}
    for view in VIEWS:
        paths.setdefault(view.path, []).append(view)
    return paths


def path_params(path: str) -> tuple[ParamName, ...]:
    return ("category",) if "{category}" in path else ()


def _names(views: list[View]) -> list[ParamName]:
    """Every parameter of these views, each once, path parameters first."""
    names: dict[ParamName, None] = dict.fromkeys(path_params(views[0].path))
    for view in views:
        names.update(dict.fromkeys(view.params))
    return list(names)


def _signature(views: list[View]) -> inspect.Signature:
    kind = inspect.Parameter.KEYWORD_ONLY
    parameters = [
        inspect.Parameter("request", kind, annotation=Request),
        inspect.Parameter("state", kind, annotation=State),
        inspect.Parameter("claims", kind, annotation=Claims),
    ]
    for name in _names(views):
        spec = HTTP_PARAMS[name]
        parameters.append(
            inspect.Parameter(
                python_name(name), kind, annotation=spec.annotation, default=spec.default
            )
        )
    if len(views) > 1:
        levels = tuple(view.level for view in views)
        parameters.append(
            inspect.Parameter(
                "level",
                kind,
                annotation=Literal.__getitem__(levels),
                default=levels[0],
            )
        )
    return inspect.Signature(parameters)


def _endpoint(views: list[View]) -> Endpoint:
    by_level = {view.level: view for view in views}
    in_path = path_params(views[0].path)

    async def endpoint(request: Request, state: State, claims: Claims, **given: Given) -> Response:
        view = by_level[str(given["level"])] if len(views) > 1 else views[0]
        params: Params = {
            name: HTTP_PARAMS[name].value(given[python_name(name)])
            for name in (*in_path, *view.params)
        }
        view.check(params)
        return await answer_view(request, state, view, claims.household_id, params)

    # FastAPI reads the parameters off the signature: these are the declared ones.
    endpoint.__signature__ = _signature(views)  # type: ignore[attr-defined]
    return endpoint


def view_router() -> APIRouter:
    """Every cached view's route (include it before routes whose paths could shadow it,
    e.g. /transactions/{transaction_id} would take /transactions/hierarchy)."""
    router = APIRouter()
    for path, views in by_path().items():
        first = views[0]
        shared = len(views) > 1
        router.add_api_route(
            path,
            _endpoint(views),
            methods=["GET"],
            name=first.name if not shared else first.name.rsplit("_", 1)[0],
            description=first.summary,
            tags=[path.split("/")[1]],
            response_model=first.response if not shared else _union(views),
            responses={200: {"description": "Shape depends on `level`."}} if shared else None,
        )
    return router


def _union(views: list[View]) -> object:
    return Union.__getitem__(tuple(view.response for view in views))
