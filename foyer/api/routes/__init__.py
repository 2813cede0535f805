"""One router per resource; `api_router` assembles them under /api/v1."""

from fastapi import APIRouter

from foyer.api.routes import (
    analytics,
    auth,
    config,
    dashboard,
    fixed_lines,
    provisions,
    transactions,
)

api_router = APIRouter(prefix="/api/v1")
for module in (auth, config, fixed_lines, provisions, transactions, dashboard, analytics):
    api_router.include_router(module.router)
