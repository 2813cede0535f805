"""Text folding shared by header matching and the duplicate key: case, accents, spaces."""

from __future__ import annotations

import unicodedata


def fold(text: str) -> str:
    """Casefolded, accents removed, runs of whitespace (incl. no-break spaces) as one space.

    `fold("  Café  CB\u00a0N°12 ") == "cafe cb n°12"`: NFKD splits `é` into `e` + a combining
    accent, which is dropped; NFKD also turns U+00A0/U+202F into plain spaces.
    """
    if text.isascii():  # most bank labels: NFKD changes no ASCII, casefold is lower
        return " ".join(text.lower().split())
    decomposed = unicodedata.normalize("NFKD", text)
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(bare.casefold().split())


def fold_header(name: str) -> str:
    """A column name reduced for matching: `Débit (EUR)` -> `debit`, `dateOp` -> `dateop`."""
    words = "".join(ch if ch.isalnum() else " " for ch in fold(name)).split()
    while words and words[-1] in _CURRENCY_WORDS:
        words.pop()
    if len(words) > 1 and words[-2:] == ["en", "euros"]:
        words = words[:-2]
    return " ".join(words)


_CURRENCY_WORDS = frozenset({"eur", "euro", "euros", "en", "usd", "gbp", "chf"})
