"""Freshness under load of many households: writes through one server, reads through another,
each read compared with a recomputation from the rows.

The pattern of tests/cache/test_cross_process.py, pointed at a bench dataset: for each
pair, a random household and month, a view read through both servers (so both hold it),
a write through server A (insert, edit, delete, or the household's configuration), and
the same view read again through server B, whose answer must equal what
`foyer.read.ReferenceReader` computes from the database right then. A stale answer is a
cache that missed a write; an error is any answer but 2xx. Both must be 0.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import httpx2 as httpx
from sqlalchemy import Connection, Engine

from foyer.db.engine import read_connection
from foyer.read import DashboardReader, ReferenceReader

#: Views checked: the dashboard's first paint and a drill-down.
VIEWS = ("summary", "hierarchy", "drill_down")
CATEGORY = "courses"  # the demo's groceries: in every household's every month
_reference = ReferenceReader()


@dataclass(frozen=True, slots=True)
class Login:
    household_id: int
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}", "Accept-Encoding": "identity"}


@dataclass(slots=True)
class Freshness:
    pairs: int = 0
    stale: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    writes: dict[str, int] = field(default_factory=dict)


def view_path(view: str, month: str) -> str:
    if view == "summary":
        return f"/api/v1/dashboard/summary?month={month}"
    if view == "hierarchy":
        return f"/api/v1/transactions/hierarchy?month={month}"
    return f"/api/v1/dashboard/drill-down/{quote(CATEGORY)}?month={month}"


def expected(conn: Connection, view: str, household_id: int, month: str) -> Any:
    """The view recomputed from the rows (the reference reader: no aggregates, no cache)."""
    return expected_of(_reference, conn, view, household_id, month)


def expected_of(
    reader: DashboardReader, conn: Connection, view: str, household_id: int, month: str
) -> Any:
    """One of `VIEWS` as `reader` computes it."""
    if view == "summary":
        return reader.summary(conn, household_id=household_id, month=month)
    if view == "hierarchy":
        return reader.hierarchy(conn, household_id=household_id, month=month)
    return reader.drill_down_summary(
        conn, household_id=household_id, category=CATEGORY, month=month
    )


def check(
    writer: str,
    reader: str,
    engine: Engine,
    logins: Sequence[Login],
    months: Sequence[str],
    *,
    pairs: int,
    seed: int = 15,
) -> Freshness:
    """`pairs` write-through-`writer` → read-through-`reader` checks (module docstring)."""
    rng = random.Random(seed)  # noqa: S311 (reproducible load, not security)
    result = Freshness()
    inserted: dict[int, list[int]] = {}
    with (
        httpx.Client(base_url=writer, timeout=60) as a,
        httpx.Client(base_url=reader, timeout=60) as b,
    ):
        for pair in range(pairs):
            login = rng.choice(logins)
            view, month = rng.choice(VIEWS), rng.choice(months)
            path = view_path(view, month)
            for client in (b, a):  # both processes hold the current state
                _ok(client.get(path, headers=login.headers), result, f"pair {pair} read")
            kind = _write(a, rng, login, month, inserted.setdefault(login.household_id, []))
            result.writes[kind] = result.writes.get(kind, 0) + 1
            seen = b.get(path, headers=login.headers)
            if not _ok(seen, result, f"pair {pair} {view} {month}"):
                continue
            with read_connection(engine) as conn:
                fresh = expected(conn, view, login.household_id, month)
            if seen.json() != fresh:
                result.stale.append(f"pair {pair}: household {login.household_id} {view} {month}")
            result.pairs += 1
    return result


def _ok(response: httpx.Response, result: Freshness, what: str) -> bool:
    if response.status_code < 300:
        return True
    result.errors.append(f"{what}: {response.status_code} {response.text[:200]}")
    return False


def _write(a: httpx.Client, rng: random.Random, login: Login, month: str, ids: list[int]) -> str:
    """One write of a random kind through server A; raises on a non-2xx answer (the
    check would be meaningless after a write that did not happen)."""
    kind = rng.choice(["insert", "insert", "patch", "delete", "config"])
    if kind in ("patch", "delete") and not ids:
        kind = "insert"
    if kind == "insert":
        body = {
            "date": f"{month}-{rng.randint(1, 28):02d}",
            "label": f"CB FRESHNESS {rng.randint(1, 99)}",
            "amount": -rng.randint(1, 20_000) / 100,
            "category": rng.choice([CATEGORY, "loisirs"]),
            "category_parent": "alimentation",
            "tags": rng.choice([[], ["vacances"]]),
        }
        response = a.post("/api/v1/transactions", json=body, headers=login.headers)
        response.raise_for_status()
        ids.append(int(response.json()["id"]))
    elif kind == "patch":
        body = {"category": rng.choice([CATEGORY, "loisirs"]), "exclude": rng.random() < 0.3}
        path = f"/api/v1/transactions/{rng.choice(ids)}"
        a.patch(path, json=body, headers=login.headers).raise_for_status()
    elif kind == "delete":
        path = f"/api/v1/transactions/{ids.pop(rng.randrange(len(ids)))}"
        a.delete(path, headers=login.headers).raise_for_status()
    else:
        body = {"income1": rng.randint(1_000, 6_000)}
        a.put("/api/v1/config", json=body, headers=login.headers).raise_for_status()
    return kind
