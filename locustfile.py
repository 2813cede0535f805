"""Load-test a deployed foyer with the same scenarios `foyer bench` measures.

    pip install -e '.[load]'            # foyer with its `load` extra (locust)
    FOYER_LOCUST_LOGINS="alex@example.com:pw1,sam@example.com:pw2" \\
    FOYER_LOCUST_MONTH=2026-11 locust -f locustfile.py --host https://foyer.example.org

Each simulated user logs the given accounts in once, builds the scenarios from what the
server returns (months, largest categories, some transaction ids) and replays one named
scenario at a time, in order, like `foyer bench` does. The mixed scenario writes (PATCH of
tags, small inserts): point it at a test household, not at your real books.
"""

from __future__ import annotations

import datetime as dt
import os
import random

from locust import HttpUser, between, task

from foyer.bench.scenarios import BUILDERS, Req, Scenario, build_context
from foyer.months import month_of

LOGINS = [
    tuple(pair.split(":", 1))
    for pair in os.environ.get("FOYER_LOCUST_LOGINS", "demo@foyer.local:demo").split(",")
]
END_MONTH = os.environ.get("FOYER_LOCUST_MONTH", month_of(dt.date.today()))
WEIGHTS = {"summary": 4, "progressive": 3, "drill_down": 2, "provisions": 1, "transactions": 2,
           "mixed": 4}  # fmt: skip


class FoyerUser(HttpUser):
    wait_time = between(0.5, 2.0)
    scenarios: dict[str, Scenario]

    def on_start(self) -> None:
        context = build_context(self.host, LOGINS, END_MONTH)  # type: ignore[arg-type]
        self.scenarios = {name: build(context) for name, build in BUILDERS.items()}

    def _replay(self, name: str) -> None:
        for req in self.scenarios[name].requests:
            self._send(req, name)

    def _send(self, req: Req, name: str) -> None:
        label = f"{name}: {req.method} {req.path.split('?', 1)[0]}"
        self.client.request(req.method, req.path, headers=req.headers, data=req.body, name=label)

    @task
    def journey(self) -> None:
        names, weights = list(WEIGHTS), list(WEIGHTS.values())
        self._replay(random.choices(names, weights)[0])  # noqa: S311
