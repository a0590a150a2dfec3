"""The one translation layer of innexport's documents: messages, numbers, dates and plurals.

Every document (diagnostic report, questionnaire, action plan, follow-up, portfolio brief and
workbook, population report) words itself through a :class:`Translator` for one of the supported
languages (:data:`innexport.core.framework.LANGUAGES`, the one list). Messages come from the
catalogues in ``innexport/rendering/locale``; numbers, dates and lists are formatted by Babel
(CLDR data), so a French document writes ``0,45`` and ``5 décembre 2026``.

>>> fr = Translator("fr")
>>> fr.num(0.4512), fr.percent(0.25), fr.date(dt.date(2026, 12, 5))
('0,45', '25\\xa0%', '5 décembre 2026')
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from functools import cache
from importlib import resources
from typing import Any

import yaml
from babel import Locale
from babel.dates import format_date
from babel.numbers import format_decimal, format_percent
from markupsafe import Markup, escape

from innexport.core.assessment import REASONS, PriorityOut
from innexport.core.framework import LANGUAGES, Framework

__all__ = ["LANGUAGES", "Translator", "catalogue", "fmt", "priority_reason", "t"]

MISSING = "–"
"""What a number that does not exist (None, NaN) is written as, in every language."""


@cache
def catalogue() -> dict[str, dict[str, str]]:
    """Every message key → its text in each language (a missing language is an error)."""
    out: dict[str, dict[str, str]] = {}
    for entry in sorted(resources.files("innexport.rendering").joinpath("locale").iterdir(), key=lambda p: p.name):
        if entry.name.endswith(".yaml"):
            data = yaml.safe_load(entry.read_text(encoding="utf-8")) or {}
            for key, texts in data.items():
                missing = [lang for lang in LANGUAGES if not texts.get(lang)]
                if missing:
                    raise ValueError(f"locale/{entry.name}: message '{key}' lacks {', '.join(missing)}")
                out[key] = texts
    return out


class Translator:
    """The messages, numbers, dates and plurals of one language.

    >>> en = Translator("en")
    >>> en.count(12345), Translator("fr").count(12345)
    ('12,345', '12\\u202f345')
    """

    def __init__(self, lang: str):
        if lang not in LANGUAGES:
            raise ValueError(f"unknown language '{lang}' (use {', '.join(LANGUAGES)})")
        self.lang = lang

    @property
    def code(self) -> str:
        """The language code (``fr``, ``es``, ``en``)."""
        return self.lang

    def t(self, key: str, **values: Any) -> str:
        """The message ``key``, formatted with ``values``."""
        text = catalogue()[key][self.lang]
        return text.format(**values) if values else text

    def has(self, key: str) -> bool:
        """Whether the catalogue has the message ``key``."""
        return key in catalogue()

    def markup(self, key: str, **values: Any) -> Markup:
        """A message as HTML: its text escaped, Markup values (bold names…) kept, the others escaped."""
        return Markup(escape(catalogue()[key][self.lang])).format(**values)

    def plural(self, key: str, n: int, **values: Any) -> str:
        """``key.one`` for one, ``key.many`` otherwise, formatted with ``n`` and ``values``."""
        return self.t(f"{key}.one" if n == 1 else f"{key}.many", n=self.count(n), **values)

    def num(self, value: float | None, digits: int = 2) -> str:
        """A decimal number with ``digits`` decimals, as the language writes it (no grouping)."""
        if value is None or value != value:
            return MISSING
        pattern = "0." + "0" * digits if digits > 0 else "0"
        return format_decimal(float(value), format=pattern, locale=self.lang, decimal_quantization=True)

    def count(self, value: int | None) -> str:
        """A whole number with the language's grouping (``12,345``; ``12 345`` in French)."""
        if value is None:
            return MISSING
        return format_decimal(int(value), locale=self.lang)

    def percent(self, share: float | None, digits: int = 0) -> str:
        """A share in [0, 1] as a percentage (``25 %`` in French, ``25%`` in English)."""
        if share is None or share != share:
            return MISSING
        pattern = Locale.parse(self.lang).percent_formats[None].pattern
        if digits > 0:
            pattern = pattern.replace("0", "0." + "0" * digits, 1) if "." not in pattern else pattern
        return format_percent(float(share), format=pattern, locale=self.lang, decimal_quantization=True)

    def date(self, day: dt.date | None) -> str | None:
        """A date written out (``5 December 2026``, ``5 décembre 2026``, ``5 de diciembre de 2026``)."""
        if day is None:
            return None
        return format_date(day, format="long", locale=self.lang)

    def join(self, items: Sequence[Markup | str]) -> Markup:
        """``a, b and c`` in the language (Spanish ``y`` becomes ``e`` before an /i/ sound)."""
        escaped = [escape(i) for i in items]
        if len(escaped) <= 1:
            return Markup("").join(escaped)
        word = self.t("report.and")
        if self.lang == "es":
            last = Markup(escaped[-1]).striptags().lower()
            if (last.startswith("i") or last.startswith("hi")) and not last.startswith(("hia", "hie", "hio", "hiu")):
                word = "e"
        return Markup(", ").join(escaped[:-1]) + Markup(f" {escape(word)} ") + escaped[-1]


@cache
def translator(lang: str) -> Translator:
    """The (shared, immutable) translator of ``lang``."""
    return Translator(lang)


def t(key: str, lang: str, **values: Any) -> str:
    """The message ``key`` in ``lang``, formatted with ``values``."""
    return translator(lang).t(key, **values)


def fmt(value: float | None, lang: str, digits: int = 2) -> str:
    """A number as people of ``lang`` write it (decimal comma in French and Spanish).

    >>> fmt(0.456, "fr"), fmt(0.456, "en", 1), fmt(None, "es")
    ('0,46', '0.5', '–')
    """
    return translator(lang).num(value, digits)


def priority_reason(framework: Framework, p: PriorityOut, lang: str) -> str:
    """One sentence saying why an activity stands where it does in the priority list.

    The core gives a code (:attr:`PriorityOut.reason`); results stored before it did carry the
    sentence itself, which is returned as it is.
    """
    if p.reason not in REASONS:
        return p.reason
    if p.reason == "unassessed" or p.score is None or p.target is None:
        return t("reason.unassessed", lang)
    label = next((c.label[lang] for c in framework.classes if c.id == p.target_class), "")
    values = {
        "score": fmt(p.score, lang), "target": fmt(p.target, lang), "gap": fmt(max(p.target - p.score, 0.0), lang),
        "target_class": label.lower(), "leverage": fmt(p.leverage, lang, 3),
        "lever": t(f"reason.lever.{p.tag}", lang),
        "top": t("reason.top", lang) if p.top_leverage else "",
    }
    return t(f"reason.{p.reason}", lang, **values)
