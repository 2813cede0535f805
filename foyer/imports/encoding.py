"""Which text encoding a bank file uses, and a text stream over its bytes.

Order of evidence: a byte-order mark first (exact); then strict UTF-8 on the head (a
Windows-1252 text with any accent is almost never valid UTF-8, so this is exact in practice
and much faster than statistics); then `charset-normalizer`, limited to the Western
single-byte code pages banks use. Unrestricted, it names cp1250 (Central European) for
short French and German exports: measured on our Latin-1 fixtures, the accents decode the
same in both for `é`, but not for `€` or `Œ`, and the name is wrong in the preview.
"""

from __future__ import annotations

import codecs
import io
from typing import BinaryIO

from charset_normalizer import from_bytes

#: How many bytes detection reads from the start of a file.
HEAD_BYTES = 64 * 1024

# Measured on our fixtures: unrestricted it names cp1250 for French, and even among
# Western pages it named cp850 (DOS) for German `ä`/`ü`. Banks export Windows-1252 or
# ISO-8859-15 (the one with `€` at 0xA4); latin-1 is read as its superset cp1252.
_WESTERN = ["cp1252", "latin_1", "iso8859_15"]
_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_FALLBACK_ERRORS = "foyer-cp1252"


def _cp1252_fallback(error: UnicodeError) -> tuple[str, int]:
    # A file whose head is plain ASCII is read as UTF-8, yet a Windows-1252 accent may first
    # appear a megabyte later: decode that byte as cp1252 (latin-1 for its 5 holes) instead
    # of failing the line or the whole import.
    if not isinstance(error, UnicodeDecodeError):
        raise error
    chunk = bytes(error.object[error.start : error.end])
    return "".join(_cp1252_char(byte) for byte in chunk), error.end


def _cp1252_char(byte: int) -> str:
    # cp1252 leaves 5 bytes undefined; latin-1 (chr) maps every byte.
    return chr(byte) if byte in _CP1252_HOLES else bytes([byte]).decode("cp1252")


_CP1252_HOLES = frozenset({0x81, 0x8D, 0x8F, 0x90, 0x9D})


codecs.register_error(_FALLBACK_ERRORS, _cp1252_fallback)


def detect_encoding(head: bytes) -> str:
    """The codec name of a file from its first bytes (see the module docstring)."""
    for bom, name in _BOMS:
        if head.startswith(bom):
            return name
    # Cut at the last newline so a multi-byte character split by the sample is not an error.
    cut = head.rfind(b"\n")
    sample = head[: cut + 1] if cut >= 0 and len(head) >= HEAD_BYTES else head
    try:
        sample.decode("utf-8")
    except UnicodeDecodeError:
        pass
    else:
        return "utf-8"
    best = from_bytes(sample, cp_isolation=_WESTERN).best()
    return "iso8859-15" if best is not None and best.encoding == "iso8859_15" else "cp1252"


def canonical(name: str) -> str:
    """Python's own name of a codec (`UTF8` -> `utf-8`, `windows-1252` -> `cp1252`)."""
    try:
        return codecs.lookup(name).name
    except LookupError:
        return name


def text_stream(raw: BinaryIO, encoding: str) -> io.TextIOWrapper:
    """A text view of `raw` for the csv module (newline="" keeps quoted line breaks)."""
    errors = _FALLBACK_ERRORS if encoding in {"utf-8", "utf-8-sig"} else "replace"
    return io.TextIOWrapper(raw, encoding=encoding, errors=errors, newline="")
