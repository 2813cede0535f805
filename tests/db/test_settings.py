"""Settings: parsing rules, and every setting documented in docs/CONFIGURATION.md."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from foyer.settings import Settings
from tests.helpers import REPO

DOC = REPO / "docs" / "CONFIGURATION.md"


def test_every_setting_is_documented() -> None:
    text = DOC.read_text()
    missing = [
        f"FOYER_{name.upper()}"
        for name in Settings.model_fields
        if f"`FOYER_{name.upper()}`" not in text
    ]
    assert missing == []


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("postgresql://u@h/db", "postgresql+psycopg://u@h/db"),
        ("postgres://u@h/db", "postgresql+psycopg://u@h/db"),
        ("sqlite:///./x.db", "sqlite:///./x.db"),
    ],
)
def test_database_url_is_normalised(given: str, expected: str) -> None:
    assert Settings(database_url=given, _env_file=None).database_url == expected  # type: ignore[call-arg]


def test_unsupported_database_is_rejected() -> None:
    with pytest.raises(ValidationError, match="sqlite:// or postgresql://"):
        Settings(database_url="mysql://x", _env_file=None)  # type: ignore[call-arg]


def test_short_secret_is_rejected() -> None:
    with pytest.raises(ValidationError, match="32 bytes"):
        Settings(secret_key="short", _env_file=None)  # type: ignore[call-arg]


def test_defaults_follow_the_spec(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in Settings.model_fields:
        monkeypatch.delenv(f"FOYER_{name.upper()}", raising=False)
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    assert settings.database_url == "sqlite:///./foyer.db"
    assert settings.redis_url is None
    assert settings.secret_key is None
    assert settings.reader == "optimized"
    assert settings.cache == "on"


def test_the_old_name_of_the_reader_setting_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FOYER_ENGINE", "reference")
    with pytest.raises(ValidationError, match="set FOYER_READER=reference instead"):
        Settings(_env_file=None)  # type: ignore[call-arg]
