"""The web dashboard in headless Chromium against a server in its own process (issue 12).

One run per database and size, on a copy of the cached bench dataset, one server in the
default configuration (optimized reader, cache on, no Redis), one Chromium:

1. **Cold, fresh server** (`cold` times): a new server process each time (nothing in its
   cache, templates not yet compiled) and a new browser context (empty cache, no
   connection): the dashboard of the dataset's last month, its first contentful paint,
   and every byte the load moved (resource timing and CDP's Network domain).
2. **Cold, new month** (`cold` times): one server, a month it has not shown yet, a new
   browser context each time: the server computes the month's views and the page.
3. **Warm** (`warm` times): the same page again in the same context, the server's cache and
   the browser's holding it (a 304 for the page, assets from the browser's cache). The
   server's /metrics before and after tell whether every warm load was a page-cache hit.
4. **The floor**: the same bytes replayed from memory by a trivial server (`web_floor`),
   cold and warm, alternated with the real loads: what Chromium alone needs to paint them.
5. **Page vs API**: from an HTTP client in this process, alternately, the warm page and the
   warm API hits of the four views it shows (`Server-Timing` read from each API answer).
6. **Drill-down** (`warm` times): on the warm page, a click on the parent of the month's
   largest variable category until its categories are on screen, then on the category
   until its rows are.
7. **Edit** (`warm` times): a row's "exclude" box ticked or unticked until the month's grand
   total shows the new figure.

Paints and interactions are timed in the page (`foyer.bench.web_page`). The machine's load
is recorded with the figures: on this 2-core machine other work moves them.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx2 as httpx
import psutil
from prometheus_client.parser import text_string_to_metric_families
from rich.console import Console

from foyer.bench.datasets import (
    END_MONTH,
    PASSWORD,
    Dataset,
    drop_working_copy,
    ensure_dataset,
    working_copy,
)
from foyer.bench.server import ServerConfig, ServerProcess
from foyer.bench.web_floor import Captured, WebFloor
from foyer.bench.web_page import load, measure_click, settled, web_browser, web_context
from foyer.months import add_months

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

#: The default configuration a deployment runs.
CONFIG = ServerConfig("web", reader="optimized", cache="on")
#: The goals of issue 12, in ms (transfer: KB of 1,000 bytes).
GOALS = {
    "fcp_cold_ms": 400.0,
    "fcp_warm_ms": 200.0,
    "drill_ms": 100.0,
    "edit_ms": 150.0,
    "transfer_kb": 100.0,
}
#: The views the dashboard shows, as the API serves them.
PAGE_VIEWS = {
    "summary": "/api/v1/dashboard/summary",
    "hierarchy": "/api/v1/transactions/hierarchy",
    "transfers": "/api/v1/dashboard/transfers",
    "budgets": "/api/v1/dashboard/budgets",
}
_STATIC = re.compile(r'(?:href|src)="(/static/[^"]+)"')
_DURATION = re.compile(r"dur=([0-9.]+)")


def web_stats(values: list[float]) -> dict[str, float]:
    """n, median, p95 (linear between the two nearest ranks), min and max."""
    ordered = sorted(values)
    if not ordered:
        raise ValueError("no values")
    position = 0.95 * (len(ordered) - 1)
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    p95 = ordered[low] + (ordered[high] - ordered[low]) * (position - low)
    return {
        "n": len(ordered),
        "median": statistics.median(ordered),
        "p95": p95,
        "min": ordered[0],
        "max": ordered[-1],
    }


def web_cache_events(base_url: str, view: str) -> dict[str, float]:
    """The server's cache counters of one view (`foyer_cache_events_total{view=…}`),
    as "tier:event" -> n."""
    text = httpx.get(f"{base_url}/metrics", timeout=10).text
    events: dict[str, float] = {}
    for family in text_string_to_metric_families(text):
        if family.name != "foyer_cache_events":
            continue
        for sample in family.samples:
            if sample.name.endswith("_total") and sample.labels["view"] == view:
                events[f"{sample.labels['tier']}:{sample.labels['event']}"] = sample.value
    return events


def _delta(before: dict[str, float], after: dict[str, float]) -> dict[str, float]:
    return {k: v - before.get(k, 0.0) for k, v in after.items() if v - before.get(k, 0.0)}


def _kind(name: str, initiator: str) -> str:
    path = name.split("?", 1)[0].lower()
    for suffix, kind in (
        (".css", "css"),
        (".js", "js"),
        (".woff2", "font"),
        (".woff", "font"),
        (".ttf", "font"),
        (".png", "image"),
        (".svg", "image"),
        (".jpg", "image"),
        (".webp", "image"),
        (".ico", "image"),
    ):
        if path.endswith(suffix):
            return kind
    return "image" if initiator == "img" else "other"


def transfer(figures: dict[str, Any], network: list[int] | None = None) -> dict[str, Any]:
    """What one load moved over the network (compressed bodies + headers), by kind: the
    navigation's and each resource's transferSize; and CDP's total when recorded."""
    by_kind = {"html": int(figures["navigation"]["transfer"])}
    for resource in figures["resources"]:
        kind = _kind(resource["name"], resource["kind"])
        by_kind[kind] = by_kind.get(kind, 0) + int(resource["transfer"])
    return {
        "total": sum(by_kind.values()),
        "by_kind": by_kind,
        "requests": 1 + len(figures["resources"]),
        "html_decoded": int(figures["navigation"]["decoded"]),
        "cdp_total": sum(network) if network is not None else None,
    }


class Session:
    """A signed-in couple member: the web session's cookies (through the /login form, as
    a browser does) and an API bearer token."""

    def __init__(self, base_url: str, email: str) -> None:
        with httpx.Client(base_url=base_url, timeout=60, follow_redirects=False) as client:
            client.get("/login").raise_for_status()
            csrf = client.cookies["foyer_csrf"]
            form = {"email": email, "password": PASSWORD, "csrf_token": csrf, "next": "/"}
            response = client.post("/login", data=form)
            if response.status_code != 303:
                raise RuntimeError(f"sign-in as {email}: {response.status_code}")
            self.cookie_values = {
                "foyer_session": client.cookies["foyer_session"],
                "foyer_csrf": csrf,
            }
            response = client.post(
                "/api/v1/auth/token", data={"username": email, "password": PASSWORD}
            )
            response.raise_for_status()
            self.token: str = response.json()["access_token"]

    def cookies(self, base_url: str) -> list[dict[str, Any]]:
        """For a browser context (cookies are per host: any port of 127.0.0.1)."""
        return [{"name": k, "value": v, "url": base_url} for k, v in self.cookie_values.items()]


def _capture(base_url: str, session: Session, month: str) -> list[Captured]:
    """The dashboard's HTML and the assets it links, for the floor."""
    path = f"/?month={month}"
    with httpx.Client(base_url=base_url, timeout=60, cookies=session.cookie_values) as client:
        page = client.get(path).raise_for_status()
        captured = [Captured(path, page.headers["content-type"], page.content, "no-cache")]
        for asset in dict.fromkeys(_STATIC.findall(page.text)):
            response = client.get(asset.replace("&amp;", "&")).raise_for_status()
            captured.append(
                Captured(
                    asset.replace("&amp;", "&"),
                    response.headers["content-type"],
                    response.content,
                    response.headers.get("cache-control", "no-cache"),
                )
            )
    return captured


def _drill_target(base_url: str, token: str, month: str) -> tuple[str, str]:
    """(parent, category): the month's largest category of variable spending, whose rows
    count in the grand total (excluding one changes it)."""
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=base_url, timeout=60, headers=headers) as client:
        items = client.get("/api/v1/analytics/categories", params={"month": month})
        variable = [
            i for i in items.raise_for_status().json()["items"] if i["expense_type"] == "VARIABLE"
        ]
        hierarchy = client.get("/api/v1/transactions/hierarchy", params={"month": month})
        parents = {
            c["category"]: p["category_parent"]
            for p in hierarchy.raise_for_status().json()
            for c in p["categories"]
        }
    best = max(variable, key=lambda item: float(item["total"]))
    return parents[best["category"]], best["category"]


def _machine() -> dict[str, Any]:
    one, five, fifteen = os.getloadavg()
    return {"load_1m": one, "load_5m": five, "load_15m": fifteen, "at": _now()}


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def _fcp(figures: dict[str, Any]) -> float:
    value = figures["fcp_ms"]
    if value is None:
        raise RuntimeError("no first-contentful-paint entry")
    return float(value)


class _Run:
    """One database × size: the phases in order, filling `self.out`."""

    def __init__(
        self,
        browser: Browser,
        dataset: Dataset,
        url: str,
        folder: Path,
        counts: dict[str, int],
        console: Console,
    ) -> None:
        self.browser, self.dataset, self.url, self.folder = browser, dataset, url, folder
        self.counts, self.console = counts, console
        self.month = END_MONTH
        self.out: dict[str, Any] = {
            "db": dataset.db,
            "size": dataset.size,
            "rows": dataset.main_rows,
            "month": END_MONTH,
            "counts": counts,
            "chromium": browser.version,
            "config": {"reader": CONFIG.reader, "cache": CONFIG.cache, "workers": 1},
            "machine": {"cpus": os.cpu_count(), "started": _machine()},
            "fcp": {},
            "cache": {},
        }
        self.session: Session | None = None
        self._floor: WebFloor | None = None

    @property
    def floor(self) -> WebFloor:
        assert self._floor is not None, "the floor starts with the first cold load"
        return self._floor

    def close(self) -> None:
        if self._floor is not None:
            self._floor.__exit__()

    def log(self, text: str) -> None:
        self.console.print(f"  [{self.dataset.db} {self.dataset.size}] {text}")

    def page_url(self, base_url: str, month: str) -> str:
        return f"{base_url}/?month={month}"

    def cold_load(self, base_url: str, month: str) -> dict[str, Any]:
        assert self.session is not None
        context = web_context(self.browser, self.session.cookies(base_url))
        try:
            network: list[int] = []
            figures = load(context.new_page(), self.page_url(base_url, month), network=network)
        finally:
            context.close()
        figures["transfer"] = transfer(figures, network)
        return figures

    # -- 1. cold, on a fresh server each time; 4. the floor, cold ------------------------

    def cold_servers(self, floor_cold: list[dict[str, Any]]) -> ServerProcess:
        runs: list[dict[str, Any]] = []
        # Signed in on a server of its own: the sign-in would warm the measured one (its
        # templates, connections, statements). The session is a signed token any server
        # with the bench key accepts, as a browser's cookie outlives a restart.
        server = ServerProcess(CONFIG, self.url, self.folder / "ceiling")
        server.start(timeout=180)
        try:
            self.session = Session(server.base_url, self.dataset.emails[0])
        finally:
            server.stop()
        for i in range(self.counts["cold"]):
            server.stop()
            server = ServerProcess(CONFIG, self.url, self.folder / "ceiling")
            server.start(timeout=180)
            server.wait_idle()  # its start-up warm-ups are done
            before = web_cache_events(server.base_url, "page_dashboard")
            if self._floor is not None and i % 2:  # alternately before and after
                floor_cold.append(self.cold_load(self.floor.url, self.month))
            figures = self.cold_load(server.base_url, self.month)
            figures["page_cache"] = _delta(
                before, web_cache_events(server.base_url, "page_dashboard")
            )
            runs.append(figures)
            if self._floor is None:  # the bytes to replay, once the page is cached
                captured = _capture(server.base_url, self.session, self.month)
                self._floor = WebFloor(captured).__enter__()
            if not i % 2:
                floor_cold.append(self.cold_load(self.floor.url, self.month))
            self.log(f"cold (fresh server) {i + 1}: FCP {_fcp(figures):.0f} ms")
        self.out["fcp"]["cold_server"] = self._series(runs)
        return server

    def _series(self, runs: list[dict[str, Any]]) -> dict[str, Any]:
        return {"stats": web_stats([_fcp(r) for r in runs]), "runs": runs}

    # -- 2. cold, a month the server has not shown --------------------------------------

    def cold_months(self, server: ServerProcess) -> None:
        runs = []
        for i in range(self.counts["cold"]):
            month = add_months(self.month, -(i + 1))
            before = web_cache_events(server.base_url, "page_dashboard")
            figures = self.cold_load(server.base_url, month)
            figures["page_cache"] = _delta(
                before, web_cache_events(server.base_url, "page_dashboard")
            )
            figures["month"] = month
            runs.append(figures)
            self.log(f"cold (new month {month}): FCP {_fcp(figures):.0f} ms")
        self.out["fcp"]["cold_month"] = self._series(runs)

    # -- 3. warm, and 4. the floor warm, alternated ---------------------------------------

    def warm(self, server: ServerProcess) -> Page:
        assert self.session is not None
        real = web_context(self.browser, self.session.cookies(server.base_url)).new_page()
        floor = web_context(self.browser, self.session.cookies(self.floor.url)).new_page()
        real_url = self.page_url(server.base_url, self.month)
        floor_url = self.page_url(self.floor.url, self.month)
        load(real, real_url)  # the context's first load fills its cache
        load(floor, floor_url)
        runs: list[dict[str, Any]] = []
        floor_runs: list[dict[str, Any]] = []
        before = web_cache_events(server.base_url, "page_dashboard")
        for i in range(self.counts["warm"]):
            pair = [(real, real_url, runs), (floor, floor_url, floor_runs)]
            for page, url, into in pair if i % 2 == 0 else pair[::-1]:
                figures = load(page, url)
                figures["transfer"] = transfer(figures)
                into.append(figures)
        self.out["cache"]["warm"] = _delta(
            before, web_cache_events(server.base_url, "page_dashboard")
        )
        self.out["fcp"]["warm"] = self._series(runs)
        self.out["fcp"]["floor_warm"] = self._series(floor_runs)
        stats = self.out["fcp"]["warm"]["stats"]
        self.log(f"warm: FCP median {stats['median']:.0f} ms, p95 {stats['p95']:.0f} ms")
        floor.context.close()
        return real

    # -- 5. the page and its views' API hits, from an HTTP client -------------------------

    def page_vs_api(self, server: ServerProcess) -> None:
        assert self.session is not None
        n = self.counts["api"]
        latencies: dict[str, list[float]] = {"page": [], **{name: [] for name in PAGE_VIEWS}}
        server_ms: dict[str, list[float]] = {name: [] for name in PAGE_VIEWS}
        sizes: dict[str, int] = {}
        bearer = {"Authorization": f"Bearer {self.session.token}"}
        with httpx.Client(
            base_url=server.base_url, timeout=60, headers={"Accept-Encoding": "gzip"}
        ) as client:
            requests: list[tuple[str, str, dict[str, str]]] = [
                ("page", f"/?month={self.month}", {"Cookie": self._cookie_header()})
            ]
            requests += [
                (name, f"{path}?month={self.month}", bearer) for name, path in PAGE_VIEWS.items()
            ]
            for _name, path, headers in requests:  # warm: each once, not counted
                client.get(path, headers=headers).raise_for_status()
            page_cache = web_cache_events(server.base_url, "page_dashboard")
            summary_cache = web_cache_events(server.base_url, "summary")
            for i in range(n):
                for name, path, headers in requests if i % 2 == 0 else requests[::-1]:
                    started = time.perf_counter()
                    response = client.get(path, headers=headers)
                    elapsed = (time.perf_counter() - started) * 1000
                    response.raise_for_status()
                    latencies[name].append(elapsed)
                    sizes[name] = len(response.content)
                    timing = _DURATION.search(response.headers.get("server-timing", ""))
                    if name in server_ms and timing is not None:
                        server_ms[name].append(float(timing.group(1)))
        views_sum = [sum(latencies[name][i] for name in PAGE_VIEWS) for i in range(n)]
        self.out["api"] = {
            "requests_each": n,
            "client_ms": {name: web_stats(values) for name, values in latencies.items()},
            "views_sum_ms": web_stats(views_sum),
            "server_timing_ms": {name: web_stats(v) for name, v in server_ms.items() if v},
            "body_bytes": sizes,
            "page_cache": _delta(page_cache, web_cache_events(server.base_url, "page_dashboard")),
            "summary_cache": _delta(summary_cache, web_cache_events(server.base_url, "summary")),
        }
        page, summary = latencies["page"], latencies["summary"]
        self.log(
            f"warm page {statistics.median(page):.2f} ms, API summary "
            f"{statistics.median(summary):.2f} ms (client medians)"
        )

    def _cookie_header(self) -> str:
        assert self.session is not None
        return "; ".join(f"{k}={v}" for k, v in self.session.cookie_values.items())

    # -- 6. drill-down, 7. edit -----------------------------------------------------------

    def drill_and_edit(self, server: ServerProcess, page: Page) -> None:
        assert self.session is not None
        parent, category = _drill_target(server.base_url, self.session.token, self.month)
        self.out["drill_target"] = {"parent": parent, "category": category}
        to_parent, to_rows = [], []
        for _ in range(self.counts["warm"]):
            load(page, self.page_url(server.base_url, self.month))
            to_parent.append(
                measure_click(
                    page,
                    _bar(page, "#categories", parent),
                    kind="visible",
                    selector="#drill .bar-row",
                    request="/web/parent",
                )
            )
            to_rows.append(
                measure_click(
                    page,
                    _bar(page, "#drill", category),
                    kind="visible",
                    selector="#rows tr",
                    request="/web/category",
                )
            )
        self.out["drill"] = {"parent": _timings(to_parent), "category": _timings(to_rows)}
        self.log(
            f"drill: parent {self.out['drill']['parent']['paint_ms']['median']:.0f} ms, "
            f"rows {self.out['drill']['category']['paint_ms']['median']:.0f} ms (medians)"
        )
        row = page.evaluate(
            """() => {
              for (const tr of document.querySelectorAll('#rows tr[id^="row-"]')) {
                const type = tr.querySelector('select[name="expense_type"]');
                const box = tr.querySelector('input[name="exclude"]');
                if (type && type.value === 'VARIABLE' && box && !box.checked) return tr.id;
              }
              return null;
            }"""
        )
        if row is None:
            raise RuntimeError(f"no variable, kept row among {category}'s first rows")
        box = page.locator(f"#{row} input[name='exclude']")
        grand = page.locator('[data-total="grand"]')
        edits = []
        for _ in range(self.counts["warm"]):
            edits.append(
                measure_click(
                    page,
                    box.click,
                    kind="text_changed",
                    selector='[data-total="grand"]',
                    before=grand.inner_text().strip(),
                    request="/web/transactions/",
                )
            )
        if self.counts["warm"] % 2:  # leave the row as it was
            box.click()
            settled(page)
        self.out["edit"] = _timings(edits)
        self.out["edit"]["row"] = row
        self.log(f"edit: {self.out['edit']['paint_ms']['median']:.0f} ms (median)")


def _bar(page: Page, where: str, name: str) -> Callable[[], None]:
    bar = page.locator(f"{where} .bar-row").filter(
        has=page.locator(".name").get_by_text(name, exact=True)
    )
    return bar.click


def _timings(runs: list[dict[str, Any]]) -> dict[str, Any]:
    requests = [r["request"] for r in runs if r.get("request")]
    return {
        "dom_ms": web_stats([r["dom_ms"] for r in runs]),
        "paint_ms": web_stats([r["paint_ms"] for r in runs]),
        "first_paint_ms": runs[0]["paint_ms"],  # the fragment's views not yet cached
        "request_ms": web_stats([q["request_ms"] for q in requests]) if requests else None,
        "runs": runs,
    }


def goals(result: dict[str, Any]) -> list[dict[str, Any]]:
    """Each figure of issue 12 against its goal: median and p95, met when p95 is."""

    def row(name: str, stats: dict[str, float], goal: float, unit: str = "ms") -> dict[str, Any]:
        return {
            "figure": name,
            "goal": goal,
            "unit": unit,
            "median": stats["median"],
            "p95": stats["p95"],
            "met_median": stats["median"] <= goal,
            "met": stats["p95"] <= goal,
        }

    fcp, drill = result["fcp"], result["drill"]
    cold_kb = [r["transfer"]["total"] / 1000 for r in fcp["cold_server"]["runs"]]
    return [
        row("FCP cold, fresh server", fcp["cold_server"]["stats"], GOALS["fcp_cold_ms"]),
        row("FCP cold, new month", fcp["cold_month"]["stats"], GOALS["fcp_cold_ms"]),
        row("FCP warm", fcp["warm"]["stats"], GOALS["fcp_warm_ms"]),
        row("drill: parent click → categories", drill["parent"]["paint_ms"], GOALS["drill_ms"]),
        row("drill: category click → rows", drill["category"]["paint_ms"], GOALS["drill_ms"]),
        row("edit → grand total", result["edit"]["paint_ms"], GOALS["edit_ms"]),
        row("cold transfer", web_stats(cold_kb), GOALS["transfer_kb"], "KB"),
    ]


def run_web(db: str, size: str, counts: dict[str, int], console: Console) -> dict[str, Any]:
    """Every figure of one database × size (see the module's docstring)."""
    dataset = ensure_dataset(size, db, console)
    psutil.cpu_percent(None)  # starts the machine's CPU reading
    with tempfile.TemporaryDirectory(prefix="foyer-bench-web-") as tmp:
        folder = Path(tmp)
        (folder / "ceiling").mkdir()
        url, handle = working_copy(dataset, folder)
        try:
            with web_browser() as browser:
                _browser_warm_up(browser)
                run = _Run(browser, dataset, url, folder, counts, console)
                floor_cold: list[dict[str, Any]] = []
                server = run.cold_servers(floor_cold)
                try:
                    run.out["fcp"]["floor_cold"] = run._series(floor_cold)
                    run.cold_months(server)
                    page = run.warm(server)
                    run.page_vs_api(server)
                    run.drill_and_edit(server, page)
                    page.context.close()
                finally:
                    server.stop()
                    run.close()
        finally:
            drop_working_copy(dataset, handle)
    result = run.out
    result["machine"]["finished"] = _machine()
    result["machine"]["cpu_busy_percent"] = psutil.cpu_percent(None)
    result["goals"] = goals(result)
    return result


def _browser_warm_up(browser: Browser) -> None:
    """One throwaway page: the browser's own start (its first renderer, GPU process) is
    not a cost of any page."""
    context = browser.new_context()
    try:
        page = context.new_page()
        page.set_content("<p>warm-up</p>")
    finally:
        context.close()
