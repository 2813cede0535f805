"""Accessibility checks with axe-core, vendored in tests/web/vendor/ (see its README.md).

violations = axe_violations(page)
assert not violations, describe(violations)
"""

from __future__ import annotations

import functools
from collections.abc import Collection, Mapping
from pathlib import Path
from typing import Any

from playwright.sync_api import Page

AXE_VERSION = "4.14.1"
AXE_SCRIPT = Path(__file__).with_name("vendor") / "axe.min.js"

#: What fails a page by default: axe's two highest impacts (the others are "moderate" and
#: "minor", e.g. `region`: content outside landmarks).
SERIOUS = ("serious", "critical")

Violation = dict[str, Any]


@functools.cache
def _axe_source() -> str:
    return AXE_SCRIPT.read_text(encoding="utf-8")


def axe_violations(
    page: Page,
    impacts: Collection[str] | None = SERIOUS,
    *,
    options: Mapping[str, Any] | None = None,
) -> list[Violation]:
    """axe-core's violations on the page as it is now, those of `impacts` (None: all).

    The script is evaluated through the DevTools protocol, not added as a <script> tag, so a
    page's Content-Security-Policy neither blocks it nor has to be relaxed for the test.
    `options` go to `axe.run` (e.g. `{"runOnly": ["wcag2a", "wcag2aa"]}`).
    """
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(_axe_source())
    run_options = {"resultTypes": ["violations"], **(options or {})}
    violations: list[Violation] = page.evaluate(
        "async (options) => (await window.axe.run(document, options)).violations", run_options
    )
    return [v for v in violations if impacts is None or v["impact"] in impacts]


def describe(violations: list[Violation]) -> str:
    """One line per violation and per element, for an assertion's message."""
    lines = []
    for violation in violations:
        lines.append(f"{violation['id']} ({violation['impact']}): {violation['help']}")
        lines.extend(
            f"    {node['target']}: {node['failureSummary']}" for node in violation["nodes"]
        )
    return "\n".join(lines)
