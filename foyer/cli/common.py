"""What the `foyer` commands share: one console, and an engine that closes behind a command."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from rich.console import Console

from foyer.settings import Settings

if TYPE_CHECKING:
    from sqlalchemy import Engine

console = Console()


@contextmanager
def command_engine(settings: Settings) -> Iterator[Engine]:
    """A SQLAlchemy engine for one command, its pool closed afterwards."""
    from foyer.db.engine import make_engine

    engine = make_engine(settings)
    try:
        yield engine
    finally:
        engine.dispose()


def csv_list(value: str) -> list[str]:
    """A comma-separated option's values, blanks dropped ("10k, 1m," -> ["10k", "1m"])."""
    return [part.strip() for part in value.split(",") if part.strip()]
