"""Allow `python -m foyer` as an alias of the `foyer` CLI."""

from foyer.cli import app

app()
