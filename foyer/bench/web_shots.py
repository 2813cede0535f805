"""The documentation's screenshots (docs/SCREENSHOTS.md), taken from a real server on a copy
of a bench dataset with the system's Chromium, so they can be refreshed whenever the pages
change: `scripts/screenshots` (or `foyer bench --web --screenshots DIR --sizes 10k`).

- dashboard.png: the month on a desktop (1280 px wide), in English;
- drill-down.png: the month's largest variable category open, its rows listed;
- import-preview.png: a small bank file uploaded through the page, one row already held
  marked as a duplicate;
- dashboard-phone.png: the month on a phone (390 px wide), in French.

Each is the browser's viewport (not the whole page), written as an optimised PNG, and
reduced to a palette if it would weigh more than 200 KB.
"""

from __future__ import annotations

import io
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx2 as httpx
from PIL import Image
from rich.console import Console

from foyer.bench.datasets import END_MONTH, drop_working_copy, ensure_dataset, working_copy
from foyer.bench.server import ServerProcess
from foyer.bench.statements import french_amount
from foyer.bench.web import CONFIG, Session, _drill_target
from foyer.bench.web_page import settled, web_browser, web_context

if TYPE_CHECKING:
    from playwright.sync_api import Page

MAX_BYTES = 200 * 1024
#: New rows of the uploaded statement, after the one already held: (day, label, cents).
NEW_ROWS = (
    (2, "CB BOULANGERIE PAUL 02/07", -485),
    (2, "PRLV SEPA EDF CLIENTS PARTICULIERS", -6_730),
    (3, "CB MONOPRIX 03/07", -3_412),
    (3, "VIR SEPA SALAIRE JUILLET", 245_000),
)


def web_png(data: bytes, path: Path) -> Path:
    """`data` (a PNG) written to `path` optimised; as a 256-colour palette when still over
    MAX_BYTES (screens of flat colours lose nothing visible)."""
    image = Image.open(io.BytesIO(data))
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    if out.tell() > MAX_BYTES:
        out = io.BytesIO()
        palette = image.convert("RGB").quantize(colors=256, method=Image.Quantize.MEDIANCUT)
        palette.save(out, format="PNG", optimize=True)
    path.write_bytes(out.getvalue())
    return path


def _statement(base_url: str, token: str) -> tuple[bytes, str]:
    """A small statement as a French bank exports it (cp1252, `;`, DD/MM/YYYY, decimal
    comma) whose first row is the household's last row of END_MONTH; and its account."""
    with httpx.Client(base_url=base_url, timeout=60) as client:
        response = client.get(
            "/api/v1/transactions",
            params={"month": END_MONTH, "limit": 1},
            headers={"Authorization": f"Bearer {token}"},
        )
        held: dict[str, Any] = response.raise_for_status().json()["items"][0]
    year, month, day = held["date"].split("-")
    amount = round(float(held["amount"]) * 100)
    lines = [
        "Date;Libellé;Montant",
        f'{day}/{month}/{year};"{held["label"]}";{french_amount(amount)}',
    ]
    next_year, next_month = (int(year) + 1, 1) if month == "12" else (int(year), int(month) + 1)
    for new_day, label, cents in NEW_ROWS:
        lines.append(f'{new_day:02d}/{next_month:02d}/{next_year};"{label}";{french_amount(cents)}')
    return ("\r\n".join(lines) + "\r\n").encode("cp1252"), str(held["account"])


def _open_category(page: Page, parent: str, category: str) -> None:
    page.locator("#categories .bar-row").filter(
        has=page.locator(".name").get_by_text(parent, exact=True)
    ).click()
    page.locator("#drill .bar-row").first.wait_for()
    settled(page)
    page.locator("#drill .bar-row").filter(
        has=page.locator(".name").get_by_text(category, exact=True)
    ).click()
    page.locator("#rows tr").first.wait_for()
    settled(page)


def take_screenshots(db: str, size: str, folder: Path, console: Console) -> list[Path]:
    """Write the four screenshots into `folder`; their paths."""
    folder.mkdir(parents=True, exist_ok=True)
    dataset = ensure_dataset(size, db, console)
    written: list[Path] = []
    with tempfile.TemporaryDirectory(prefix="foyer-screenshots-") as tmp:
        (Path(tmp) / "ceiling").mkdir()
        url, handle = working_copy(dataset, Path(tmp))
        server = ServerProcess(CONFIG, url, Path(tmp) / "ceiling")
        try:
            server.start(timeout=180)
            session = Session(server.base_url, dataset.emails[0])
            cookies = session.cookies(server.base_url)
            month_url = f"{server.base_url}/?month={END_MONTH}"
            parent, category = _drill_target(server.base_url, session.token, END_MONTH)
            with web_browser() as browser:
                desktop = web_context(browser, cookies, locale="en-GB", width=1280, height=860)
                page = desktop.new_page()
                page.goto(month_url)
                settled(page)
                written.append(web_png(page.screenshot(), folder / "dashboard.png"))

                _open_category(page, parent, category)
                page.evaluate(  # the category's card at the top, a margin above it
                    "window.scrollTo(0, document.querySelector('#drill').offsetTop - 24)"
                )
                written.append(web_png(page.screenshot(), folder / "drill-down.png"))

                content, account = _statement(server.base_url, session.token)
                page.goto(f"{server.base_url}/imports")
                page.get_by_label("Bank file", exact=True).set_input_files(
                    {"name": "releve-2026-07.csv", "mimeType": "text/csv", "buffer": content}
                )
                page.locator("#import-account").fill(account)
                page.get_by_role("button", name="Preview").click()
                page.locator("table.im-rows tr.im-dup").first.wait_for()
                written.append(web_png(page.screenshot(), folder / "import-preview.png"))
                desktop.close()

                # (The month input's text is the browser's own control: headless Chromium
                # writes it in English whatever the page's language.)
                phone = web_context(
                    browser, cookies, locale="fr-FR", width=390, height=844, scale=2, mobile=True
                )
                page = phone.new_page()
                page.goto(month_url)
                settled(page)
                written.append(web_png(page.screenshot(), folder / "dashboard-phone.png"))
        finally:
            server.stop()
            drop_working_copy(dataset, handle)
    return written
