"""The one rule for a text cell innexport writes into a spreadsheet (XLSX or CSV): never a formula.

A spreadsheet program reads a cell that starts with ``=``, ``+``, ``-`` or ``@`` as a formula, and
a tab or carriage return in front of one as blank space before it: an action titled
``=HYPERLINK("http://evil.example/","t")`` or an owner ``@SUM(1+1)`` would run when the exported file
is opened. OWASP, "CSV Injection" (https://owasp.org/www-community/attacks/CSV_Injection), advises
to prefix such a cell with a single quote, which makes it text; :func:`safe_cell` does that, and
every writer of a spreadsheet uses it on every cell that may hold user or framework text (plans,
portfolio workbooks, the questionnaire, population tables in CSV and XLSX).

Numbers, dates, booleans and ``None`` pass unchanged: a negative *number* stays a number; only text
is changed. A CSV writer must also quote separators and quotes inside a cell (Python's ``csv``
module and pandas do), so that no cell can start in the middle of another one. For XLSX written
with openpyxl, a string starting with ``=`` is stored as a formula; after :func:`safe_cell` none
does, so the cell is a string (``data_type == "s"``).
"""

from __future__ import annotations

from typing import TypeVar

from innexport.core.answers import FORMULA_TRIGGERS

__all__ = ["FORMULA_TRIGGERS", "column_letter", "safe_cell"]

T = TypeVar("T")


def safe_cell(value: T) -> T | str:
    """``value`` as a spreadsheet cell that is never a formula: a text starting with one of
    :data:`FORMULA_TRIGGERS` gets a leading single quote; anything else is returned unchanged.

    >>> safe_cell('=HYPERLINK("http://evil.example/","t")')
    '\\'=HYPERLINK("http://evil.example/","t")'
    >>> safe_cell("@SUM(1+1)"), safe_cell("-1"), safe_cell("\\tx")
    ("'@SUM(1+1)", "'-1", "'\\tx")
    >>> safe_cell(-1.5), safe_cell("Sales - export"), safe_cell(None), safe_cell("")
    (-1.5, 'Sales - export', None, '')
    """
    if isinstance(value, str) and value.startswith(FORMULA_TRIGGERS):
        return "'" + value
    return value


def column_letter(j: int) -> str:
    """The spreadsheet letter of the 0-based column ``j`` (what error messages name a column by), by
    openpyxl's rule.

    >>> column_letter(0), column_letter(25), column_letter(26), column_letter(701)
    ('A', 'Z', 'AA', 'ZZ')
    """
    from openpyxl.utils import get_column_letter

    letter: str = get_column_letter(j + 1)
    return letter
