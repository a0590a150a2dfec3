"""The one translation layer of innexport's documents: messages, numbers, dates and plurals.

Every document (diagnostic report, questionnaire, action plan, follow-up, portfolio brief and
workbook, population report) words itself through a :class:`Translator` for one of the supported
languages (:data:`innexport.core.framework.LANGUAGES`, the one list; the web app's screens use the
same list). What this module decides:

* **Messages** are GNU gettext catalogues, one domain ``innexport``:
  ``innexport/rendering/locale/<lang>/LC_MESSAGES/innexport.po``, compiled to the ``.mo`` read here
  (``make messages``; a test checks each ``.mo`` is up to date with its ``.po``). The msgids are
  **symbolic keys** (``report.title``, ``plan.status.done``…), not English sentences: templates and
  code name a message by its key and stay unchanged when a wording changes, and English is one
  catalogue among three. msgstr texts use :meth:`str.format` placeholders (``{firm}``), the same in
  every language. A count-dependent message is a real gettext plural (``msgid`` = key,
  ``msgid_plural`` = key + ``.plural``), chosen by ``ngettext`` with the Plural-Forms of CLDR (as
  written by Babel: French and Spanish have a third form for millions).
* **Numbers, percentages, dates and lists** are formatted by Babel from CLDR data
  (``format_decimal``, ``format_percent``, ``format_date(format="long")``, ``format_list``), so a
  French document writes ``0,45``, ``25 %`` and ``5 décembre 2026``. CLDR lacks Spanish's
  *y → e* before an /i/ sound (RAE, *Ortografía* 2010, §4.2.2.1), which :meth:`Translator.join`
  adds; Babel has no number spell-out, so the few number words stay messages (``report.numbers``).
  English documents follow British conventions (CLDR ``en_GB``: ``5 December 2026``, ``a, b and
  c``), as they always have; French and Spanish use CLDR ``fr`` and ``es``.

Sources: GNU gettext manual, §11.2.6 "Additional functions for plural forms"; Unicode CLDR
(unicode.org/cldr), through Babel (babel.pocoo.org).

>>> fr = Translator("fr")
>>> fr.num(0.4512), fr.percent(0.25), fr.date(dt.date(2026, 12, 5))
('0,45', '25\xa0%', '5 décembre 2026')
>>> fr.plural("report.next.count", 2), Translator("en").plural("report.next.count", 1)
('2 réponses à relever', '1 answer to raise')
"""

from __future__ import annotations

import datetime as dt
import gettext
import io
import re
from collections.abc import Sequence
from decimal import ROUND_HALF_EVEN, Context, Decimal
from functools import cache
from importlib import resources
from importlib.resources.abc import Traversable
from typing import Any

from babel import Locale
from babel.dates import format_date
from babel.lists import format_list
from babel.messages.mofile import read_mo
from babel.numbers import format_decimal, format_percent, get_decimal_symbol, get_minus_sign_symbol
from markupsafe import Markup, escape

from innexport.core.assessment import REASONS, PriorityOut
from innexport.core.framework import LANGUAGES, Framework

__all__ = ["DOMAIN", "LANGUAGES", "Translator", "catalogue", "priority_reason", "t", "translator"]

DOMAIN = "innexport"
"""The gettext domain of the documents' messages."""
CLDR_LOCALES: dict[str, str] = {"en": "en_GB"}
"""The CLDR locale whose conventions a language's documents follow, when it is not the language itself."""
PLURAL_SUFFIX = ".plural"
"""``msgid_plural`` of a plural message is its key followed by this suffix."""

_STEPS = {d: Decimal(1).scaleb(-d) for d in range(7)}


@cache
def _number_signs(locale: str) -> tuple[str, str]:
    """The CLDR decimal and minus signs of ``locale`` (Latin digits)."""
    return get_decimal_symbol(locale), get_minus_sign_symbol(locale)


MISSING = "–"
"""What a number that does not exist (None, NaN) is written as, in every language."""


def _rounded(value: float, digits: int) -> Decimal:
    """``value``'s decimal representation rounded half to even to ``digits`` decimals (as Babel rounds)."""
    exact = Decimal(repr(float(value)))
    context = Context(prec=max(28, exact.adjusted() + digits + 2), rounding=ROUND_HALF_EVEN)
    return exact.quantize(_STEPS.get(digits) or Decimal(1).scaleb(-digits), context=context)


def mo_path(lang: str) -> Traversable:
    """The compiled catalogue of ``lang`` (a resource of the installed package)."""
    return resources.files("innexport.rendering").joinpath("locale", lang, "LC_MESSAGES", f"{DOMAIN}.mo")


@cache
def _translations(lang: str) -> gettext.GNUTranslations:
    """The gettext catalogue of ``lang``, read once (no fallback: a missing message is an error)."""
    if lang not in LANGUAGES:
        raise ValueError(f"unknown language '{lang}' (use {', '.join(LANGUAGES)})")
    return gettext.GNUTranslations(io.BytesIO(mo_path(lang).read_bytes()))


@cache
def _read(lang: str) -> tuple[dict[str, str], frozenset[str]]:
    """Key → text of every singular message of ``lang``, and the keys of its plural messages."""
    _translations(lang)  # refuses an unknown language
    with mo_path(lang).open("rb") as f:
        catalog = read_mo(f)
    singular = {m.id: m.string for m in catalog if m.id and isinstance(m.id, str) and isinstance(m.string, str)}
    plural = frozenset(m.id[0] for m in catalog if m.id and isinstance(m.id, (list, tuple)))
    return singular, plural


def _messages(lang: str) -> dict[str, str]:
    return _read(lang)[0]


def _plural_keys(lang: str) -> frozenset[str]:
    return _read(lang)[1]


@cache
def catalogue() -> dict[str, dict[str, str]]:
    """Every singular message key → its text in each language (a key missing in one language is an error).

    >>> catalogue()["report.title"]["es"]
    'Diagnóstico de innovación y exportación'
    """
    per_lang = {lang: _messages(lang) for lang in LANGUAGES}
    keys = set().union(*per_lang.values())
    out: dict[str, dict[str, str]] = {}
    for key in sorted(keys):
        missing = [lang for lang in LANGUAGES if key not in per_lang[lang]]
        if missing:
            raise ValueError(f"locale/{missing[0]}/LC_MESSAGES/{DOMAIN}.mo: message '{key}' lacks {', '.join(missing)}")
        out[key] = {lang: per_lang[lang][key] for lang in LANGUAGES}
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
        self.locale = CLDR_LOCALES.get(lang, lang)
        """The CLDR locale of numbers, dates and lists (``en_GB`` for English)."""

    @property
    def code(self) -> str:
        """The language code (``fr``, ``es``, ``en``)."""
        return self.lang

    def text(self, key: str) -> str:
        """The raw text of the message ``key`` (placeholders unfilled); :class:`KeyError` if unknown."""
        try:
            return _messages(self.lang)[key]
        except KeyError:
            raise KeyError(f"no message '{key}' in locale/{self.lang}/LC_MESSAGES/{DOMAIN}.po") from None

    def t(self, key: str, **values: Any) -> str:
        """The message ``key``, formatted with ``values``.

        >>> Translator("fr").t("plan.priority", rank=2)
        'Priorité 2'
        """
        text = self.text(key)
        return text.format(**values) if values else text

    def has(self, key: str) -> bool:
        """Whether the catalogue has the (singular) message ``key``."""
        return key in _messages(self.lang)

    def markup(self, key: str, **values: Any) -> Markup:
        """A message as HTML: its text escaped, Markup values (bold names…) kept, the others escaped.

        >>> Translator("en").markup("report.field.region") + Translator("en").markup("plan.priority", rank="<1>")
        Markup('RegionPriority &lt;1&gt;')
        """
        return escape(self.text(key)).format(**values)

    def plural(self, key: str, n: int, **values: Any) -> str:
        """The plural message ``key`` in the form for ``n`` (gettext ``ngettext``, CLDR plural rules),
        formatted with ``n`` (written as :meth:`count` writes it) and ``values``.

        >>> Translator("es").plural("questionnaire.scales.used", 1), Translator("fr").plural("questionnaire.scales.used", 0)
        ('1 pregunta', '0 question')
        """
        if key not in _plural_keys(self.lang):
            raise KeyError(f"no plural message '{key}' in locale/{self.lang}/LC_MESSAGES/{DOMAIN}.po")
        text = _translations(self.lang).ngettext(key, key + PLURAL_SUFFIX, int(n))
        return text.format(n=self.count(n), **values)

    @property
    def decimal(self) -> str:
        """The decimal separator of the language (``,`` in French and Spanish)."""
        return get_decimal_symbol(self.locale)

    def number_word(self, n: int) -> str:
        """A small number (0–10) written in words (feminine where it matters: *une*, *una*), else in digits.

        >>> Translator("fr").number_word(2), Translator("en").number_word(12)
        ('deux', '12')
        """
        words = self.t("report.numbers").split(",")
        return words[n] if 0 <= n < len(words) else self.count(n)

    def num(self, value: float | None, digits: int = 2) -> str:
        """A decimal number with ``digits`` decimals, as the language writes it (no grouping).

        The same text as Babel's ``format_decimal(value, format="0.00", locale=...)`` (a test checks
        it on any float), written without re-parsing the pattern for each of a report's hundreds of
        numbers: the value's decimal representation rounded half to even, as Babel rounds it, with
        the CLDR decimal and minus signs of the language.

        >>> Translator("fr").num(-0.675), Translator("en").num(1234.5, 1), Translator("es").num(2.5, 0)
        ('-0,68', '1234.5', '2')
        """
        if value is None or value != value:
            return MISSING
        return self._decimal_text(_rounded(value, digits))

    def _decimal_text(self, rounded: Decimal) -> str:
        decimal_sign, minus_sign = _number_signs(self.locale)
        text = f"{abs(rounded):f}".replace(".", decimal_sign)
        return minus_sign + text if rounded.is_signed() else text

    def signed(self, value: float | None, digits: int = 2) -> str:
        """A change with its sign, as the language writes it; no sign when it rounds to zero.

        >>> Translator("fr").signed(0.25), Translator("en").signed(-0.004), Translator("en").signed(None)
        ('+0,25', '0.00', '–')
        """
        if value is None or value != value:
            return MISSING
        return self._signed_text(_rounded(value, digits))

    def _signed_text(self, rounded: Decimal) -> str:
        if rounded.is_zero():
            return self._decimal_text(abs(rounded))
        return ("+" if rounded > 0 else _number_signs(self.locale)[1]) + self._decimal_text(abs(rounded))

    def change(self, before: float | None, after: float | None, digits: int = 2) -> str:
        """The change from ``before`` to ``after`` as a reader checks it: the difference of the two
        numbers as they are printed, so that a table never shows 0.54 → 0.64 as +0.11.

        >>> Translator("en").change(0.544, 0.636), Translator("en").signed(0.636 - 0.544)
        ('+0.10', '+0.09')
        >>> Translator("es").change(0.5, None)
        '–'
        """
        if before is None or after is None or before != before or after != after:
            return MISSING
        return self._signed_text(_rounded(after, digits) - _rounded(before, digits))

    @staticmethod
    def direction(before: float | None, after: float | None, digits: int = 2) -> str:
        """Which way :meth:`change` reads: ``up``, ``down``, ``same`` (the printed values are equal)
        or ``none`` (one of them is missing).

        >>> Translator.direction(0.544, 0.636), Translator.direction(0.5, 0.504), Translator.direction(None, 1.0)
        ('up', 'same', 'none')
        """
        if before is None or after is None or before != before or after != after:
            return "none"
        delta = _rounded(after, digits) - _rounded(before, digits)
        return "up" if delta > 0 else "down" if delta < 0 else "same"

    def count(self, value: int | None) -> str:
        """A whole number with the language's grouping (``12,345``; ``12 345`` in French)."""
        if value is None:
            return MISSING
        return format_decimal(int(value), locale=self.locale)

    def percent(self, share: float | None, digits: int = 0) -> str:
        """A share in [0, 1] as a percentage (``25 %`` in French, ``25%`` in English)."""
        if share is None or share != share:
            return MISSING
        pattern = Locale.parse(self.locale).percent_formats[None].pattern
        if digits > 0:
            pattern = pattern.replace("0", "0." + "0" * digits, 1) if "." not in pattern else pattern
        return format_percent(float(share), format=pattern, locale=self.locale, decimal_quantization=True)

    def date(self, day: dt.date | None) -> str | None:
        """A date written out (``5 December 2026``, ``5 décembre 2026``, ``5 de diciembre de 2026``)."""
        if day is None:
            return None
        return format_date(day, format="long", locale=self.locale)

    def join(self, items: Sequence[Markup | str]) -> Markup:
        """``a, b and c`` as the language lists things (CLDR list patterns, items escaped); Spanish
        ``y`` becomes ``e`` before an /i/ sound, which CLDR does not do.

        >>> str(Translator("fr").join(["a", "b", "c"])), str(Translator("es").join(["a", "innovar"]))
        ('a, b et c', 'a e innovar')
        """
        escaped = [escape(i) for i in items]
        if len(escaped) <= 1:
            return Markup("").join(escaped)
        marks = [f"\x00{k}\x00" for k in range(len(escaped))]
        pattern = format_list(marks, locale=self.locale)
        if self.lang == "es":
            last = escaped[-1].striptags().lower()
            if last.startswith(("i", "hi")) and not last.startswith(("hia", "hie", "hio", "hiu")):
                pattern = pattern.replace(f" y {marks[-1]}", f" e {marks[-1]}")
        parts = re.split("\x00(\\d+)\x00", pattern)
        out = Markup("")
        for k, part in enumerate(parts):
            out += escaped[int(part)] if k % 2 else escape(part)
        return out


@cache
def translator(lang: str) -> Translator:
    """The (shared, immutable) translator of ``lang``."""
    return Translator(lang)


def t(key: str, lang: str, **values: Any) -> str:
    """The message ``key`` in ``lang``, formatted with ``values``."""
    return translator(lang).t(key, **values)


def priority_reason(framework: Framework, p: PriorityOut, lang: str) -> str:
    """One sentence saying why an activity stands where it does in the priority list.

    The core gives a code (:attr:`PriorityOut.reason`); results stored before it did carry the
    sentence itself, which is returned as it is.
    """
    if p.reason not in REASONS:
        return p.reason
    L = translator(lang)
    if p.reason == "unassessed" or p.score is None or p.target is None:
        return L.t("reason.unassessed")
    label = next((c.label[lang] for c in framework.classes if c.id == p.target_class), "")
    values = {
        "score": L.num(p.score), "target": L.num(p.target), "gap": L.num(max(p.target - p.score, 0.0)),
        "target_class": label.lower(), "leverage": L.num(p.leverage, 3),
        "lever": L.t(f"reason.lever.{p.tag}"),
        "top": L.t("reason.top") if p.top_leverage else "",
    }
    return L.t(f"reason.{p.reason}", **values)
