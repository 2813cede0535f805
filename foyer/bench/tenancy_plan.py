"""What the many-household measurement reads (foyer/bench/tenancy.py): its plan, the two
datasets under test, their households' tokens and the reads each gets.

The same views and months go to both sides in the same order; only the households
differ (many random ones, or the one household alone).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from sqlalchemy import select

from foyer.auth.security import issue_token
from foyer.bench import freshness
from foyer.bench.datasets import END_MONTH, Dataset
from foyer.bench.freshness import Login, view_path
from foyer.bench.scenarios import Req
from foyer.bench.server import BENCH_SECRET, ServerProcess
from foyer.db.engine import make_engine, read_connection
from foyer.db.schema import user_account
from foyer.months import add_months
from foyer.settings import Settings

SIDES = ("one", "many")


@dataclass(slots=True)
class TenancyPlan:
    many: str = "hh10k"
    one: str = "hh1"
    sample: int = 200  # households of `many` read (and reads per view of `one`)
    concurrency: list[int] = field(default_factory=lambda: [1, 10])
    seconds: float = 5.0
    rounds: int = 2
    pairs: int = 300  # freshness checks
    # Households of `many` the freshness pairs write to: few enough that each gets
    # several writes, so edits and deletions of rows inserted earlier happen too.
    fresh_households: int = 30
    redis_url: str | None = None
    seed: int = 15


@dataclass(slots=True)
class Side:
    """One dataset under test: its copy, its two servers, its logins and reads."""

    name: str
    dataset: Dataset
    url: str
    handle: object
    cached: ServerProcess
    uncached: ServerProcess
    logins: list[Login] = field(default_factory=list)
    reads: dict[str, list[Req]] = field(default_factory=dict)  # view -> requests


def logins_of(database_url: str) -> list[Login]:
    """A bearer token for each household's user, minted with the bench servers' key (a
    login per household would cost an argon2 hash each)."""
    engine = make_engine(Settings(database_url=database_url, _env_file=None))
    try:
        with read_connection(engine) as conn:
            users = conn.execute(
                select(user_account.c.id, user_account.c.household_id).order_by(
                    user_account.c.household_id
                )
            ).all()
    finally:
        engine.dispose()
    return [
        Login(
            int(h), issue_token(BENCH_SECRET, user_id=int(u), household_id=int(h), ttl_minutes=480)
        )
        for u, h in users
    ]


def months() -> list[str]:
    return [add_months(END_MONTH, -i) for i in range(12)]


def plan_reads(plan: TenancyPlan, sides: list[Side]) -> None:
    """Each side's reads: the same views and months in the same order; `many` spreads
    them over `plan.sample` random households, `one` sends them all to its household."""
    rng = random.Random(plan.seed)  # noqa: S311 (reproducible load, not security)
    sequence = [rng.choice(months()) for _ in range(plan.sample)]
    for side in sides:
        chosen = _households(rng, side.logins, plan.sample)
        side.reads = {
            view: [
                Req("GET", view_path(view, month), login.token)
                for login, month in zip(chosen, sequence, strict=True)
            ]
            for view in freshness.VIEWS
        }


def _households(rng: random.Random, logins: list[Login], count: int) -> list[Login]:
    """`count` random households, or the only ones there are, repeated."""
    if len(logins) >= count:
        return rng.sample(logins, count)
    return [logins[i % len(logins)] for i in range(count)]


def direct_visits(plan: TenancyPlan, sides: list[Side]) -> dict[str, list[tuple[int, str]]]:
    """For `tenancy_direct`: households other than the HTTP phases' (another draw), so
    the first pass finds their pages where the database left them."""
    rng = random.Random(plan.seed + 1)  # noqa: S311 (reproducible load, not security)
    sequence = [rng.choice(months()) for _ in range(plan.sample)]
    return {
        side.name: [
            (login.household_id, month)
            for login, month in zip(
                _households(rng, side.logins, plan.sample), sequence, strict=True
            )
        ]
        for side in sides
    }
