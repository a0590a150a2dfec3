"""Countries: the ISO 3166-1 alpha-2 codes innexport accepts and their names in each language.

A firm's country is stored as its ISO 3166-1 alpha-2 code (``CL``), which programme eligibility,
benchmarks and the portfolio compare; people pick it by its name in their language. The names
come from the Unicode CLDR through Babel (already the project's formatter of numbers and dates),
so no list is written here: CLDR's two-letter territories, less those that are not ISO 3166-1
countries (groupings such as ``EU`` and ``UN``, pseudo-territories, and the territories CLDR adds
for its own needs: Ascension, Clipperton, Diego Garcia, Ceuta and Melilla, the Canary Islands,
Tristan da Cunha, Sark, Kosovo's user-assigned ``XK``).

>>> country_name("CL", "fr"), country_code("Chile"), country_code("suiza"), country_code("cl")
('Chili', 'CL', 'CH', 'CL')
>>> country_code("Chil") is None
True

A country also proposes the language of a questionnaire for its firms
(:func:`country_language`): the first of its official languages, as CLDR lists them (de facto
ones included, most spoken first), that innexport speaks.
"""

from __future__ import annotations

import unicodedata
from functools import cache

from babel import Locale
from babel.languages import get_official_languages

from innexport.core.languages import LANGUAGES, Lang

_NOT_ISO_3166_1 = frozenset({
    "EU", "EZ", "QO", "UN", "XA", "XB", "XK", "ZZ",  # groupings, pseudo-locales, user-assigned, unknown
    "AC", "CP", "CQ", "DG", "EA", "IC", "TA",  # CLDR's extra territories (reserved or exceptional codes)
})

COUNTRY_CODES: frozenset[str] = frozenset(
    code for code in map(str, Locale("en").territories)
    if len(code) == 2 and code.isalpha() and code not in _NOT_ISO_3166_1
)
"""The ISO 3166-1 alpha-2 codes a firm's country may have (249 countries)."""


def _key(text: str) -> str:
    """A spelling-insensitive key: no accents, no case, single spaces."""
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return " ".join(plain.casefold().split())


@cache
def countries(lang: str) -> tuple[tuple[str, str], ...]:
    """(code, name) of every country, in ``lang``, sorted by name as a reader of ``lang`` expects
    (accents ignored: *Émirats* among the E)."""
    names = {str(code): name for code, name in Locale.parse(lang).territories.items()}
    return tuple(sorted(((c, names[c]) for c in COUNTRY_CODES), key=lambda item: _key(item[1])))


def country_name(code: str, lang: str) -> str:
    """The country's name in ``lang``; an unknown code is returned as it is."""
    return dict(countries(lang)).get(code.upper(), code)


@cache
def _by_spelling() -> dict[str, str]:
    table = {_key(code): code for code in COUNTRY_CODES}
    for lang in LANGUAGES:
        table.update({_key(name): code for code, name in countries(lang)})
    return table


def country_code(text: str) -> str | None:
    """The code of a country given by its code or its name in any supported language; None if unknown."""
    return _by_spelling().get(_key(text))


def country_language(code: str) -> Lang | None:
    """The language a firm of country ``code`` is best asked in: the first of the country's official
    languages (CLDR's territory data through Babel, de facto official ones included, in CLDR's order)
    that innexport speaks; None when it speaks none of them (or the code is unknown).

    >>> country_language("FR"), country_language("BE")
    ('fr', 'fr')
    >>> country_language("cl"), country_language("MX")
    ('es', 'es')
    >>> country_language("US"), country_language("BR"), country_language("ZZ")
    ('en', None, None)
    """
    code = code.strip().upper()
    if code not in COUNTRY_CODES:
        return None
    spoken: dict[str, Lang] = {lang: lang for lang in LANGUAGES}
    return next((spoken[lang] for lang in get_official_languages(code, de_facto=True) if lang in spoken), None)
