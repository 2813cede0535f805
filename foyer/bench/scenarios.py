"""The named request sequences a benchmark drives (from the seeds' user journeys).

Each scenario is a fixed list of requests built once from the dataset (tokens, months,
categories, cursors), so the load generator only replays bytes. Deep-page cursors are
minted with the bench servers' known key: keyset pages cost the same at any depth, and
minting avoids walking thousands of pages during setup.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlencode

import httpx2 as httpx
import orjson

from foyer.bench.datasets import END_MONTH, PASSWORD, Dataset
from foyer.bench.server import BENCH_SECRET
from foyer.months import add_months
from foyer.read.cursors import CursorCodec


@dataclass(frozen=True, slots=True)
class Req:
    method: str
    path: str
    token: str
    body: bytes | None = None

    @property
    def headers(self) -> dict[str, str]:
        headers = {"Authorization": f"Bearer {self.token}", "Accept-Encoding": "identity"}
        if self.body is not None:
            headers["Content-Type"] = "application/json"
        return headers


@dataclass(frozen=True, slots=True)
class Scenario:
    name: str
    description: str
    requests: list[Req]
    read_only: bool = True


@dataclass(slots=True)
class Context:
    """What scenarios are built from, read once from a running server."""

    tokens: list[str]  # main household first
    months: list[str]  # most recent first
    categories: list[str]  # main household's largest categories, last month
    transaction_ids: list[int] = field(default_factory=list)


def _get(client: httpx.Client, path: str, token: str, **params: Any) -> Any:
    response = client.get(path, params=params, headers={"Authorization": f"Bearer {token}"})
    response.raise_for_status()
    return response.json()


def build_context(
    base_url: str, logins: Sequence[tuple[str, str]], end_month: str = END_MONTH
) -> Context:
    """Log every (email, password) in and read what the scenarios need, from any server."""
    with httpx.Client(base_url=base_url, timeout=60) as client:
        tokens = []
        for email, password in logins:
            response = client.post(
                "/api/v1/auth/token", data={"username": email, "password": password}
            )
            response.raise_for_status()
            tokens.append(response.json()["access_token"])
        months = [add_months(end_month, -i) for i in range(12)]
        hierarchy = _get(client, "/api/v1/transactions/hierarchy", tokens[0], month=end_month)
        categories = [c["category"] for parent in hierarchy for c in parent["categories"]]
        page = _get(client, "/api/v1/transactions", tokens[0], month=end_month, limit=10)
        ids = [item["id"] for item in page["items"]]
    return Context(tokens, months, categories[:6] or ["uncategorized"], ids)


def dataset_logins(dataset: Dataset) -> list[tuple[str, str]]:
    return [(email, PASSWORD) for email in dataset.emails]


def _path(path: str, **params: Any) -> str:
    return f"/api/v1{path}?{urlencode(params)}" if params else f"/api/v1{path}"


def _deep_cursor(sort: str, value: Any) -> str:
    # Past every id: the page starts at `value` in the sort order.
    return CursorCodec(BENCH_SECRET).encode(sort, value, 2**62)


def _each_month(ctx: Context, name: str, path: str) -> Scenario:
    """GET `path` for each of the last 12 months of the main household."""
    return Scenario(
        name,
        f"GET {path} for each of the last 12 months of the main household.",
        [Req("GET", _path(path, month=m), ctx.tokens[0]) for m in ctx.months],
    )


def summary(ctx: Context) -> Scenario:
    return _each_month(ctx, "summary", "/dashboard/summary")


def progressive(ctx: Context) -> Scenario:
    token, reqs = ctx.tokens[0], []
    for m in ctx.months[:6]:
        reqs += [
            Req("GET", _path("/dashboard/summary/slim", month=m), token),
            Req("GET", _path("/provisions/calculate", month=m), token),
            Req("GET", _path("/transactions/hierarchy", month=m), token),
        ]
    return Scenario(
        "progressive",
        "First paint then detail: slim summary, provisions/calculate, hierarchy (6 months).",
        reqs,
    )


def drill_down(ctx: Context) -> Scenario:
    token, reqs = ctx.tokens[0], []
    for m in ctx.months[:3]:
        reqs.append(Req("GET", _path("/transactions/hierarchy", month=m), token))
        for cat in ctx.categories[:3]:
            base = f"/dashboard/drill-down/{quote(cat)}"
            deep = _deep_cursor("date_desc", f"{m}-15")
            reqs += [
                Req("GET", _path(base, month=m, level="summary"), token),
                Req("GET", _path(base, month=m, level="details"), token),
                Req("GET", _path(base, month=m, level="transactions", limit=50), token),
                Req(
                    "GET",
                    _path(base, month=m, level="transactions", limit=50, cursor=deep),
                    token,
                ),
            ]
    return Scenario(
        "drill_down",
        "hierarchy → category summary → details → first and a deep transactions page "
        "(3 months × 3 largest categories).",
        reqs,
    )


def hierarchy(ctx: Context) -> Scenario:
    return _each_month(ctx, "hierarchy", "/transactions/hierarchy")


def analytics(ctx: Context) -> Scenario:
    return _each_month(ctx, "analytics", "/analytics/categories")


def trends(ctx: Context) -> Scenario:
    """36-month trends windows ending at each of the last 12 months."""
    return Scenario(
        "trends",
        "GET /dashboard/trends over 36 months, windows ending at each of the last 12 months.",
        [
            Req(
                "GET",
                _path("/dashboard/trends", **{"from": add_months(m, -35), "to": m}),
                ctx.tokens[0],
            )
            for m in ctx.months
        ],
    )


def couples_month(ctx: Context) -> Scenario:
    """SPEC §12's views for each of the last 12 months: the transfer plan, the budgets,
    their suggestions, the anomalies and a year's KPIs."""
    token, reqs = ctx.tokens[0], []
    for m in ctx.months:
        reqs += [
            Req("GET", _path("/dashboard/transfers", month=m), token),
            Req("GET", _path("/dashboard/budgets", month=m), token),
            Req("GET", _path("/budgets/suggestions", month=m), token),
            Req("GET", _path("/analytics/anomalies", month=m), token),
            Req("GET", _path("/analytics/kpis", **{"from": add_months(m, -11), "to": m}), token),
        ]
    return Scenario(
        "couples_month",
        "Transfers, budgets, budget suggestions, anomalies and a year's KPIs for each of the "
        "last 12 months (SPEC §12).",
        reqs,
    )


def provisions(ctx: Context) -> Scenario:
    return _each_month(ctx, "provisions", "/provisions/calculate")


def transactions(ctx: Context) -> Scenario:
    token, reqs = ctx.tokens[0], []
    middle = add_months(END_MONTH, -18)
    for m in ctx.months[:4]:
        reqs += [
            Req("GET", _path("/transactions", month=m, limit=50), token),
            Req("GET", _path("/transactions", month=m, sort="amount_desc", limit=50), token),
            Req("GET", _path("/transactions", month=m, q="carrefour", limit=50), token),
        ]
    deep = _deep_cursor("date_desc", f"{middle}-15")
    reqs += [
        Req("GET", _path("/transactions", limit=50), token),
        Req("GET", _path("/transactions", limit=50, cursor=deep), token),
    ]
    return Scenario(
        "transactions",
        "Listing pages: by month (date and amount order), label search, newest, and a "
        "page 18 months deep.",
        reqs,
    )


NEW_TRANSACTION = {
    "date": f"{END_MONTH}-20",
    "label": "CB BENCH",
    "amount": -12.5,
    "category": "courses",
    "category_parent": "alimentation",
}


def mixed(ctx: Context, *, size: int = 400, seed: int = 11) -> Scenario:
    """Mostly reads, a few writes, three households, Zipf-popular months."""
    rng = random.Random(seed)  # noqa: S311 (reproducible load, not security)
    weights = [1 / (rank + 1) ** 1.1 for rank in range(len(ctx.months))]
    reqs: list[Req] = []
    kinds: dict[str, Callable[[str, str], Req]] = {
        "summary": lambda t, m: Req("GET", _path("/dashboard/summary", month=m), t),
        "slim": lambda t, m: Req("GET", _path("/dashboard/summary/slim", month=m), t),
        "hierarchy": lambda t, m: Req("GET", _path("/transactions/hierarchy", month=m), t),
        "drill": lambda t, m: Req(
            "GET", _path(f"/dashboard/drill-down/{quote(ctx.categories[0])}", month=m), t
        ),
        "page": lambda t, m: Req("GET", _path("/transactions", month=m, limit=50), t),
        "trends": lambda t, m: Req(
            "GET", _path("/dashboard/trends", **{"from": add_months(m, -11), "to": m}), t
        ),
        "patch": lambda t, m: Req(
            "PATCH",
            f"/api/v1/transactions/{rng.choice(ctx.transaction_ids or [0])}",
            ctx.tokens[0],
            orjson.dumps({"tags": [rng.choice(["bench-a", "bench-b"])]}),
        ),
        "insert": lambda t, m: Req(
            "POST",
            "/api/v1/transactions",
            t,
            orjson.dumps(NEW_TRANSACTION),
        ),
    }
    mix = {
        "summary": 30,
        "slim": 15,
        "hierarchy": 15,
        "drill": 10,
        "page": 10,
        "trends": 10,
        "patch": 5,
        "insert": 5,
    }
    names, kind_weights = list(mix), list(mix.values())
    for _ in range(size):
        kind = rng.choices(names, kind_weights)[0]
        # The first household is the busiest; the others share the rest.
        token = rng.choices(ctx.tokens, [6] + [1] * (len(ctx.tokens) - 1))[0]
        month = rng.choices(ctx.months, weights)[0]
        reqs.append(kinds[kind](token, month))
    return Scenario(
        "mixed",
        "A realistic session: 90 % reads (summary, slim, hierarchy, drill-down, pages, "
        "trends), 5 % PATCH, 5 % inserts; 3 households; months Zipf-distributed (s=1.1).",
        reqs,
        read_only=False,
    )


def writes(ctx: Context, *, size: int = 200, seed: int = 13) -> Scenario:
    """The mixed session's writes alone: what a write costs when writes queue on the same
    month's aggregate rows (docs/PERFORMANCE.md, "The write's tail")."""
    rng = random.Random(seed)  # noqa: S311 (reproducible load, not security)
    reqs: list[Req] = []
    for i in range(size):
        if i % 2:
            ids = ctx.transaction_ids or [0]
            body = orjson.dumps({"tags": [rng.choice(["bench-a", "bench-b"])]})
            reqs.append(
                Req("PATCH", f"/api/v1/transactions/{rng.choice(ids)}", ctx.tokens[0], body)
            )
        else:
            reqs.append(
                Req("POST", "/api/v1/transactions", ctx.tokens[0], orjson.dumps(NEW_TRANSACTION))
            )
    return Scenario(
        "writes",
        "Writes only, into one household's month: half PATCH of a row's tags, half inserts "
        "(the mixed session's two writes).",
        reqs,
        read_only=False,
    )


BUILDERS: dict[str, Callable[[Context], Scenario]] = {
    "summary": summary,
    "hierarchy": hierarchy,
    "analytics": analytics,
    "trends": trends,
    "progressive": progressive,
    "drill_down": drill_down,
    "provisions": provisions,
    "couples_month": couples_month,
    "transactions": transactions,
    "mixed": mixed,
    "writes": writes,
}
