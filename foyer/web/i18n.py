"""The page's language and how it writes money, months and ratios (SPEC §11: fr and en).

The language is the `foyer_lang` cookie when the user picked one, else the browser's
`Accept-Language` (its first supported entry), else English. Numbers go through Babel:
`1 234,56 €` in French, `€1,234.56` in English, months as `juin 2025` / `June 2025`.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Literal, get_args

from babel.dates import format_date
from babel.numbers import format_currency, format_percent

from foyer.months import split_month
from foyer.web.messages import MESSAGES

Lang = Literal["fr", "en"]
LANGS: tuple[Lang, ...] = get_args(Lang)
LANG_COOKIE = "foyer_lang"
_LOCALES: dict[Lang, str] = {"fr": "fr_FR", "en": "en_GB"}
# Whole euros for chart axes.
_WHOLE: dict[Lang, str] = {"fr": "#,##0\u00a0¤", "en": "¤#,##0"}
# Babel's own percent patterns have no decimals; the key needs one (56.6 %).
_PERCENT: dict[Lang, str] = {"fr": "#,##0.0\u00a0%", "en": "#,##0.0%"}


def negotiate(cookie: str | None, accept_language: str | None) -> Lang:
    """The user's pick, else the browser's first supported language (q order), else en."""
    if cookie in LANGS:
        return cookie
    ranked: list[tuple[float, int, str]] = []
    for position, part in enumerate((accept_language or "").split(",")):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                continue
        ranked.append((-quality, position, tag.strip().lower()[:2]))
    for _q, _p, primary in sorted(ranked):
        if primary in LANGS:
            return primary
    return "en"


class Words:
    """One language's words and number formats, handed to the templates as `t`, `money`…"""

    __slots__ = ("lang", "locale", "messages")

    def __init__(self, lang: Lang) -> None:
        self.lang = lang
        self.locale = _LOCALES[lang]
        self.messages = MESSAGES[lang]

    def t(self, key: str, **values: object) -> str:
        text = self.messages[key]  # a KeyError is a bug a test catches, never a fallback
        return text.format(**values) if values else text

    def money(self, amount: float | int | str) -> str:
        """A JSON money value (euros, ≤ 2 decimals) the way this language writes it."""
        return str(format_currency(Decimal(str(amount)), "EUR", locale=self.locale))

    def money_whole(self, amount: float) -> str:
        """Whole euros (chart axes): `10 000 €`, `€10,000`."""
        value = Decimal(round(amount))
        return str(
            format_currency(
                value, "EUR", format=_WHOLE[self.lang], locale=self.locale, currency_digits=False
            )
        )

    def ratio(self, value: float) -> str:
        """A 0–1 ratio (the key, 4 decimals) as a percentage with one decimal."""
        return str(format_percent(Decimal(str(value)), _PERCENT[self.lang], locale=self.locale))

    def month(self, month: str) -> str:
        year, number = split_month(month)
        return str(format_date(dt.date(year, number, 1), "LLLL yyyy", locale=self.locale))

    def month_short(self, month: str) -> str:
        """`juin 26`, `Jul 26`: a chart axis' month."""
        year, number = split_month(month)
        return str(format_date(dt.date(year, number, 1), "MMM yy", locale=self.locale))

    def date(self, value: str) -> str:
        return str(format_date(dt.date.fromisoformat(value), "medium", locale=self.locale))
