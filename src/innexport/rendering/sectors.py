"""Sectors: the NACE Rev. 2 codes innexport accepts, their names in each language, a name read back.

A firm's sector is stored as its NACE Rev. 2 code (``11.02``), which programme eligibility,
benchmarks and the portfolio compare; people pick it by its name in their language. The codes
and official titles are the shipped classification (:func:`innexport.files.classifications.nace_positions`:
Eurostat's English, INSEE's French NAF rév. 2 and INE's Spanish CNAE-2009 titles). ISIC Rev. 4
shares NACE's sections and divisions, so ``C11`` or ``11`` mean the same in both.

A code is read in the forms people write it: ``11.02``, ``1102``, ``C11``, ``C1102``, ``c 11.02``, ``A``;
a section letter given with a division must be that division's (``A11`` is refused): that reading is
:func:`innexport.files.classifications.read_code`, which programme catalogues use too. A name is read
in any of the three languages, accents, case and spacing aside; ``code — name`` (what the pickers
show) is read by its code. Nothing else is guessed: :func:`suggestions` proposes names for a
"did you mean" instead.

>>> sector_name("11.02", "fr"), sector_code("Elaboración de vinos"), sector_code("C11"), sector_code("1102")
('Production de vin (de raisin)', '11.02', '11', '11.02')
>>> sector_code("vino tinto") is None, sector_code("A11") is None
(True, True)
>>> sector_label("11.02", "en")
'11.02 — Manufacture of wine from grape'
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from functools import cache

from innexport.core.languages import LANGUAGES
from innexport.files.classifications import nace_positions, read_code

_STOPWORDS = frozenset({
    "the", "and", "for", "other", "des", "les", "aux", "une", "par", "sur", "autres", "del", "los", "las",
    "con", "por", "otros", "otras", "para",
})
DASH = " — "
"""Between a code and its name in labels (``11.02 — Manufacture of wine from grape``)."""


def _key(text: str) -> str:
    """A spelling-insensitive key: no accents, no case, single spaces."""
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return " ".join(plain.casefold().split())


def is_sector_code(code: str) -> bool:
    """Whether ``code`` is a NACE Rev. 2 code as stored (``A``, ``01``, ``01.2``, ``01.21``).

    >>> is_sector_code("11.02"), is_sector_code("1102"), is_sector_code("99.99")
    (True, False, False)
    """
    return code in nace_positions()


@cache
def _by_name() -> dict[str, str]:
    """Every title, in every language, by its key; a title two positions share (a division and its
    only group) names the finer one."""
    table: dict[str, str] = {}
    for position in nace_positions().values():  # in the classification's order: finer positions come later
        for lang in LANGUAGES:
            table[_key(position.title[lang])] = position.code
    return table


def sector_code(text: str) -> str | None:
    """The code of a sector given by its code (any usual writing) or its name in any supported
    language, or ``code — name``; None if it is none of these."""
    text = text.strip()
    if not text:
        return None
    code = read_code(text)
    if code is not None:
        return code
    for dash in ("—", "–", " - "):
        if dash in text:
            head = text.split(dash, 1)[0]
            code = read_code(head)
            if code is not None:
                return code
    return _by_name().get(_key(text))


def sector_name(code: str, lang: str) -> str:
    """The sector's official title in ``lang``; an unknown code is returned as it is.

    >>> sector_name("A", "es"), sector_name("zz", "fr")
    ('Agricultura, ganadería, silvicultura y pesca', 'zz')
    """
    position = nace_positions().get(code)
    return position.title[lang] if position is not None else code


def sector_label(code: str, lang: str) -> str:
    """``code — name`` in ``lang`` (what the pickers, lists and groups show); an unknown code alone."""
    position = nace_positions().get(code)
    return f"{code}{DASH}{position.title[lang]}" if position is not None else code


@cache
def sector_choices(lang: str) -> tuple[tuple[str, str], ...]:
    """(code, ``code — name``) of every position, in the classification's order, named in ``lang``.

    >>> len(sector_choices("es")), sector_choices("es")[0]
    (996, ('A', 'A — Agricultura, ganadería, silvicultura y pesca'))
    """
    return tuple((code, sector_label(code, lang)) for code in nace_positions())


@cache
def sector_codes_within(code: str) -> frozenset[str]:
    """``code`` and every position under it (a section's divisions, groups and classes…): what a
    filter on ``code`` keeps. An unknown code: itself alone.

    >>> sorted(sector_codes_within("11.0"))[:3], len(sector_codes_within("A"))
    (['11.0', '11.01', '11.02'], 56)
    """
    positions = nace_positions()
    if code not in positions:
        return frozenset({code})
    found = {code}
    for position in positions.values():  # parents come before their children
        if position.parent in found:
            found.add(position.code)
    return frozenset(found)


def _words(text: str) -> list[str]:
    return [w for w in re.split(r"[^a-z0-9]+", _key(text)) if len(w) >= 3 and w not in _STOPWORDS]


@cache
def _indexed_words() -> tuple[tuple[str, int, frozenset[str]], ...]:
    return tuple((p.code, p.level, frozenset(w for lang in LANGUAGES for w in _words(p.title[lang])))
                 for p in nace_positions().values())


def suggestions(text: str, limit: int = 3) -> list[str]:
    """Codes whose names are closest to ``text`` (for a "did you mean"), best first: the most words
    of ``text`` found at the start of words of a name (``vino`` in *vinos*; a word of the name found at
    the start of one of ``text`` counts half), then the finer position.

    >>> suggestions("vino tinto")[0], suggestions("")
    ('11.02', [])
    """
    wanted = _words(text)
    if not wanted:
        return []
    scored = []
    for code, level, words in _indexed_words():
        hits = sum(2 if any(v.startswith(w) for v in words) else
                   1 if any(len(v) >= 4 and w.startswith(v) for v in words) else 0 for w in wanted)
        if hits:
            scored.append((-hits, -level, code))
    scored.sort()
    found = [code for _, _, code in scored[:limit]]
    if not found:  # a misspelt name: the closest titles
        keys = _by_name()
        found = list(dict.fromkeys(keys[k] for k in difflib.get_close_matches(_key(text), list(keys), limit, 0.6)))
    return found
