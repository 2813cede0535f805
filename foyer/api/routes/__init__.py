"""One router per resource; `api_router()` assembles them under /api/v1.

The cached views' routes come first, generated from their declarations
(`foyer.api.routes.views`): /transactions/{transaction_id} would otherwise take
/transactions/hierarchy. The transactions' own routes next: FastAPI matches a request
against the routes in order, and the writes are the requests that reach the router most
(the views' hits and misses are answered before it, `foyer.api.fastpath`) — last, a POST
spent ~150 µs more of CPU matching (docs/PERFORMANCE.md, "The write's tail").
"""

from fastapi import APIRouter

from foyer.api import API_PREFIX
from foyer.api.routes import (
    auth,
    balances,
    budgets,
    config,
    exports,
    fixed_lines,
    imports,
    jobs,
    monitoring,
    monitoring_flags,
    provisions,
    rules,
    splits,
    transactions,
)
from foyer.api.routes.views import view_router


def api_router() -> APIRouter:
    """Every /api/v1 route, in a router of the calling app's own."""
    router = APIRouter(prefix=API_PREFIX)
    router.include_router(view_router())
    for module in (
        transactions,
        splits,
        auth,
        balances,
        budgets,
        config,
        exports,
        fixed_lines,
        imports,
        jobs,
        monitoring,
        monitoring_flags,
        provisions,
        rules,
    ):
        router.include_router(module.router)
    return router
