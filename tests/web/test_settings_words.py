"""The settings room's words: those it builds from a vocabulary (a split mode, a
frequency…) and its form errors' words exist in both languages. (The words a template or
module names literally are checked by tests/web/test_messages.py.)"""

from __future__ import annotations

from typing import get_args

from foyer.domain.vocabulary import Frequency, KeyMode, ProvisionBase, SplitMode
from foyer.web.messages import EN, FR
from foyer.web.settings_forms import ERROR_WORDS, FALLBACK, RULE_WORDS
from foyer.web.settings_render import EVENTS, SECTIONS
from foyer.web.words_settings import EN as SETTINGS_EN
from foyer.web.words_settings import FR as SETTINGS_FR


def test_every_word_the_room_builds_exists_in_both_languages() -> None:
    built = {
        *(f"settings.split.{v}" for v in get_args(SplitMode)),
        *(f"settings.frequency.{v}" for v in get_args(Frequency)),
        *(f"settings.base.{v}" for v in get_args(ProvisionBase)),
        *(f"settings.base_line.{v}" for v in get_args(ProvisionBase) if v != "fixed"),
        *(f"settings.key_mode.{v}" for v in get_args(KeyMode)),
        *(f"settings.done.{v}" for v in EVENTS),
        *(f"settings.{v}.title" for v in SECTIONS),
        *ERROR_WORDS.values(),
        *(key for _needle, _field, key in RULE_WORDS),
        FALLBACK,
    }
    assert built <= set(EN), sorted(built - set(EN))
    assert built <= set(FR), sorted(built - set(FR))


def test_the_rooms_words_are_its_own() -> None:
    assert set(SETTINGS_EN) == set(SETTINGS_FR)
    assert all(key.startswith("settings.") for key in SETTINGS_EN)
