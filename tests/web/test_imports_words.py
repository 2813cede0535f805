"""The Imports room's words built from tables (separators, mapping fields, job kinds and
statuses, notices) exist in both languages: `t()` calls with literal keys are checked by
tests/web/test_messages.py, these are not literal."""

from __future__ import annotations

from foyer.web import imports_jobs, imports_pages, rules_forms, rules_pages
from foyer.web.imports_forms import MAPPING_FIELDS, SEPARATORS
from foyer.web.messages import EN, FR
from foyer.web.words_imports import EN as IMPORTS_EN
from foyer.web.words_imports import FR as IMPORTS_FR


def test_the_rooms_words_have_both_languages() -> None:
    assert set(IMPORTS_EN) == set(IMPORTS_FR)


def test_every_word_the_room_builds_exists_in_both_languages() -> None:
    keys = {key for _char, key in SEPARATORS.values()}
    keys |= set(MAPPING_FIELDS.values())
    keys |= set(imports_jobs.TITLES.values()) | set(imports_jobs.STATUSES.values())
    keys |= {key for result in imports_jobs.RESULTS.values() for _name, key in result}
    keys |= set(imports_pages.NOTICES.values()) | set(rules_pages.NOTICES.values())
    keys |= set(rules_forms.FIELDS.values())
    assert keys <= set(EN)
    assert keys <= set(FR)
