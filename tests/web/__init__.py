"""Browser tests: foyer served by uvicorn, driven by Chromium through Playwright."""
