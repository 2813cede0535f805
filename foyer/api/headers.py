"""Security headers on every response, the fast path's answers and the 413s included.

`with_security_headers` is applied to every response start by the outermost of foyer's
layers (`foyer.api.middleware.FrontMiddleware`), outside `CachedHitsMiddleware`, whose
cache hits cost tens of microseconds: a header list and nothing else. A header the app
already set wins; a Content-Security-Policy the app set gets `frame-ancestors 'none'`
appended unless it names frame-ancestors itself.
"""

from __future__ import annotations

from collections.abc import Iterable

FRAME_ANCESTORS = b"frame-ancestors 'none'"
#: (name, value), lowercase names as ASGI carries them.
SECURITY_HEADERS: tuple[tuple[bytes, bytes], ...] = (
    # Browsers must not guess a type (a JSON body sniffed as HTML would run as a page).
    (b"x-content-type-options", b"nosniff"),
    # The dashboard's URLs name months and categories: never sent to another site.
    (b"referrer-policy", b"same-origin"),
    # No page of foyer may be framed (clickjacking); X-Frame-Options for older browsers.
    (b"content-security-policy", FRAME_ANCESTORS),
    (b"x-frame-options", b"DENY"),
)
CSP = b"content-security-policy"


def with_security_headers(headers: Iterable[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
    """`headers` (an ASGI header list) with the missing security headers added."""
    out = list(headers)
    present = {name.lower() for name, _value in out}
    if CSP in present:
        for index, (name, value) in enumerate(out):
            if name.lower() == CSP and b"frame-ancestors" not in value:
                out[index] = (name, value.rstrip(b"; ") + b"; " + FRAME_ANCESTORS)
    out += [header for header in SECURITY_HEADERS if header[0] not in present]
    return out
