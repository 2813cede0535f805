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

from foyer.api.answer import answer_view
from foyer.api.deps import Claims, State
from foyer.api.params import HTTP_PARAMS, Given, python_name
from foyer.cache.params import ParamName, Params
from foyer.cache.views import View, by_path, path_params

Endpoint = Callable[..., Awaitable[Response]]


def _names(views: list[View]) -> list[ParamName | Literal["level"]]:
    """Every parameter of these views, each once: path parameters, the first view's,
    `level` when views share the path, then the others' (the hand-written order)."""
    names: dict[ParamName | Literal["level"], None] = dict.fromkeys(path_params(views[0].path))
    names.update(dict.fromkeys(views[0].params))
    if len(views) > 1:
        names["level"] = None
    for view in views[1:]:
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
        if name == "level":
            # A Literal of the declared levels, built at run time (mypy cannot express it).
            levels = tuple(view.level for view in views)
            level = Literal.__getitem__(levels)
            parameters.append(inspect.Parameter(name, kind, annotation=level, default=levels[0]))
            continue
        spec = HTTP_PARAMS[name]
        parameters.append(
            inspect.Parameter(
                python_name(name), kind, annotation=spec.annotation, default=spec.default
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
        if not first.generated_route:
            continue
        shared = len(views) > 1
        router.add_api_route(
            path,
            _endpoint(views),
            methods=["GET"],
            name=first.operation,
            description=first.summary,
            tags=[path.split("/")[1]],
            response_model=first.response if not shared else _union(views),
            responses={200: {"description": "Shape depends on `level`."}} if shared else None,
        )
    return router


def _union(views: list[View]) -> object:
    # The union of the levels' schemas, built at run time (mypy cannot express it).
    return Union.__getitem__(tuple(view.response for view in views))
