"""The economic activity classification shipped with innexport: NACE Rev. 2, read once.

``data/classifications/nace2.csv`` holds the 996 positions of NACE Rev. 2 (21 sections, 88
divisions, 272 groups, 615 classes) with their official titles in English (Eurostat), French
(INSEE, NAF rév. 2) and Spanish (INE, CNAE-2009); its header says where each list comes from.
This module only reads it; naming, choosing and reading back a sector is
:mod:`innexport.rendering.sectors`.

>>> nace = nace_positions()
>>> len(nace), nace["11.02"].title["es"], nace["11.02"].parent
(996, 'Elaboración de vinos', '11.0')
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from functools import cache
from importlib import resources

from innexport.core.languages import LANGUAGES

NACE_FILE = "nace2.csv"
_CODE = re.compile(r"^([A-U])?(\d{2})(?:\.?(\d{1,2}))?$")


@dataclass(frozen=True)
class Position:
    """One position of the classification: a section (``A``), division (``01``), group (``01.2``)
    or class (``01.21``), its parent's code (``""`` for a section) and its title in each language."""

    code: str
    level: int
    parent: str
    title: dict[str, str]


@cache
def nace_positions() -> dict[str, Position]:
    """Every NACE Rev. 2 position by code, in the classification's order (read once, then cached).

    >>> [p.code for p in nace_positions().values()][:4]
    ['A', '01', '01.1', '01.11']
    """
    text = (resources.files("innexport.data") / "classifications" / NACE_FILE).read_text(encoding="utf-8")
    rows = csv.DictReader(line for line in text.splitlines() if not line.startswith("#"))
    return {
        row["code"]: Position(row["code"], int(row["level"]), row["parent"], {lang: row[lang] for lang in LANGUAGES})
        for row in rows
    }


def section_of(code: str) -> str:
    """The section letter of a known code (``11.02`` → ``C``); a section is its own. An unknown
    code raises :class:`KeyError`.

    >>> section_of("01.21"), section_of("C")
    ('A', 'C')
    """
    positions = nace_positions()
    while positions[code].parent:
        code = positions[code].parent
    return code


def read_code(text: str) -> str | None:
    """The NACE Rev. 2 code written ``text`` (``11.02``, ``1102``, ``C11``, ``C1102``, ``c 11.02``, ``A``), as
    stored (``11.02``, ``11``, ``A``); None if it is no code of the classification. A section letter given
    with a division must be that division's (ISIC Rev. 4 shares NACE's sections and divisions).

    >>> read_code("C1102"), read_code("c 01.21"), read_code("a"), read_code("A11"), read_code("99.99")
    ('11.02', None, 'A', None, None)
    """
    compact = "".join(text.upper().split())
    positions = nace_positions()
    if len(compact) == 1:
        return compact if compact in positions else None
    match = _CODE.match(compact)
    if match is None:
        return None
    letter, division, rest = match.groups()
    code = division + (f".{rest}" if rest else "")
    if code not in positions or (letter and section_of(code) != letter):
        return None
    return code
