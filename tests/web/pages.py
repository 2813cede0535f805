"""A browser's side of the web pages without a browser: a TestClient with its own cookie
jar (session and CSRF cookies), for the page tests that need no JavaScript."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import Engine

from foyer.auth.security import issue_token
from tests.factories import Api, make_transaction, make_user

CSRF = "test-csrf-token"


class Browser:
    """One browser: its own cookies, the CSRF header its script would add.

    All browsers share the test's one TestClient (one event loop: the app's PostgreSQL
    connections live on it), each sending its own cookies and keeping what it is sent.
    """

    def __init__(self, client: TestClient, household_id: int = 0) -> None:
        self.client = client
        self.household_id = household_id
        self.cookies: dict[str, str] = {}

    def _send(self, method: str, path: str, headers: dict[str, str], **kwargs: Any) -> Any:
        self.client.cookies.clear()
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        response = self.client.request(
            method, path, headers=headers, follow_redirects=False, **kwargs
        )
        for name, value in response.cookies.items():
            self.cookies[name] = value
        for header in response.headers.get_list("set-cookie"):
            if "max-age=0" in header.lower() or "expires=thu, 01 jan 1970" in header.lower():
                self.cookies.pop(header.split("=", 1)[0], None)
        self.client.cookies.clear()
        return response

    def get(self, path: str, headers: dict[str, str] | None = None) -> Any:
        return self._send("GET", path, dict(headers or {}))

    def post(
        self,
        path: str,
        data: dict[str, Any],
        *,
        csrf: str | None = CSRF,
        headers: dict[str, str] | None = None,
    ) -> Any:
        sent = dict(headers or {})
        if csrf is not None:
            sent["X-CSRF-Token"] = csrf
        return self._send("POST", path, sent, data=data)


def signed_in(client: TestClient, engine: Engine, *, email: str, household: str) -> Browser:
    """A browser holding a session for a new user (token minted directly: no argon2)."""
    user = make_user(engine, email=email, household=household)
    secret = client.app.state.foyer.secret  # type: ignore[attr-defined]
    token = issue_token(secret, user_id=user.id, household_id=user.household_id, ttl_minutes=60)
    browser = Browser(client, user.household_id)
    browser.cookies.update({"foyer_session": token, "foyer_csrf": CSRF})
    return browser


MONTH = "2025-06"
CONFIG = {
    "member1_name": "Alex",
    "member2_name": "Sam",
    "income1": 3000,
    "income2": 2000,
    "tax_rate1": 10,
    "tax_rate2": 5,
    "split_mode": "income",
    "manual_share1": 50,
}


def a_month(api: Api) -> list[int]:
    """A configured household with a few rows in MONTH; their ids (CB CARREFOUR first)."""
    assert api.put("/config", CONFIG).status_code == 200
    food = {"category": "courses", "category_parent": "alimentation"}
    return api.create_transactions(
        make_transaction(date="2025-06-12", amount=-54.3, label="CB CARREFOUR", **food),
        make_transaction(date="2025-06-13", amount=-20, label="CB MONOPRIX", **food),
        make_transaction(
            date="2025-06-03",
            amount=-12.5,
            label="CINEMA",
            category="sorties",
            category_parent="loisirs",
        ),
        make_transaction(
            date="2025-06-01",
            amount=2500,
            label="SALAIRE",
            category="salaire",
            category_parent="revenus",
        ),
    )
