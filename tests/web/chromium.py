"""Which Chromium the browser tests drive, and how it is launched."""

from __future__ import annotations

import os
from pathlib import Path

from tests.helpers import service_unavailable

#: Debian's package (`apt-get install chromium`); `scripts/test` installs it when it can.
DEFAULT_CHROMIUM = "/usr/bin/chromium"


def chromium_executable() -> Path:
    """`FOYER_TEST_CHROMIUM`, else /usr/bin/chromium; skips (or fails, under
    FOYER_REQUIRE_SERVICES=1) when it is not an executable file. Playwright never
    downloads a browser for foyer (`playwright install` is not used)."""
    path = Path(os.environ.get("FOYER_TEST_CHROMIUM") or DEFAULT_CHROMIUM)
    if not (path.is_file() and os.access(path, os.X_OK)):
        service_unavailable(
            f"Chromium not found at {path}; apt-get install chromium "
            "(or set FOYER_TEST_CHROMIUM to a Chromium executable)"
        )
    return path


def launch_args() -> list[str]:
    """Chromium's sandbox refuses to start as root (CI runs as root)."""
    return ["--no-sandbox"] if os.geteuid() == 0 else []
