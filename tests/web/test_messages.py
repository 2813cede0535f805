"""The pages' words: both languages have every message, and every message a template or
module asks for exists (a missing one would be a KeyError at render time)."""

from __future__ import annotations

import re
from pathlib import Path

import foyer.web
from foyer.web.messages import EN, FR
from foyer.web.render import precompile

WEB = Path(foyer.web.__file__).parent


def test_every_message_exists_in_both_languages() -> None:
    assert set(EN) == set(FR)


def test_every_message_the_templates_use_exists() -> None:
    used: set[str] = set()
    for source in WEB.rglob("*"):
        if source.suffix in (".html", ".py"):
            used |= set(re.findall(r"""\bt\(\s*["']([a-z_.A-Z]+)["']""", source.read_text()))
    # Keys built in a template (`"type." ~ t`) are checked by name: every expense type.
    used = {key for key in used if "." in key and not key.endswith(".")}
    used |= {f"type.{kind}" for kind in ("VARIABLE", "FIXED", "PROVISION")}
    assert used
    assert used <= set(EN), sorted(used - set(EN))


def test_every_template_compiles() -> None:
    assert precompile() == len(list((WEB / "templates").glob("*.html")))
