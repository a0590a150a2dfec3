"""Formula injection in every spreadsheet innexport writes (issue 10; OWASP, "CSV Injection").

Each writer — the action plan (XLSX), the portfolio workbook, the questionnaire workbook and the
population tables (CSV, XLSX) — is given hostile text (``=HYPERLINK(…)``, ``@SUM(1+1)``,
``+…``, ``-…``, a leading tab or carriage return); the file is read back with openpyxl (or as CSV
text) and every such cell must be a string starting with a single quote, never a formula, while
numbers (negative ones included) stay numbers. The rule itself, :func:`safe_cell`, is checked by
hand and with hypothesis.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook

from innexport.files.cells import FORMULA_TRIGGERS, safe_cell
from innexport.files.frameworks import load_framework
from innexport.population.io import write_table
from innexport.portfolio.compute import portfolio
from innexport.rendering import questionnaire as qn
from innexport.rendering.plan import HEADER_ROWS, xlsx_bytes
from innexport.rendering.portfolio import xlsx_bytes as portfolio_xlsx
from innexport.support.plans import Action, ActionPlan

LINK = '=HYPERLINK("http://evil.example/","t")'
SUM = "@SUM(1+1)"
HOSTILE = (LINK, SUM, "+1+1", "-2+3", "\t=1+1", "\r=1+1")
FIXTURES = Path(__file__).parent / "fixtures"


def cells(workbook_bytes_or_path: bytes | Path) -> list:
    """Every non-empty cell of every sheet of a workbook."""
    source = io.BytesIO(workbook_bytes_or_path) if isinstance(workbook_bytes_or_path, bytes) else workbook_bytes_or_path
    book = load_workbook(source)
    return [c for ws in book.worksheets for row in ws.iter_rows() for c in row if c.value is not None]


def assert_neutralised(found: list, texts: tuple[str, ...] = HOSTILE) -> None:
    """Each hostile text is in some cell, as the string "'" + text; no cell is a formula or starts like one."""
    by_value = {c.value: c for c in found}
    for text in texts:
        cell = by_value.get("'" + text.replace("\r", "\n"))  # XML reads a carriage return as a line feed
        assert cell is not None, f"{text!r} not written as \"'{text}\""
        assert cell.data_type == "s"
    for c in found:
        assert c.data_type != "f", f"{c.parent.title}!{c.coordinate} is a formula: {c.value!r}"
        if isinstance(c.value, str):
            assert not c.value.startswith(FORMULA_TRIGGERS), f"{c.coordinate}: {c.value!r}"


# --- the rule ------------------------------------------------------------------------------------


def test_safe_cell_by_hand() -> None:
    for text in HOSTILE:
        assert safe_cell(text) == "'" + text
    assert safe_cell("Sales - export") == "Sales - export" and safe_cell("") == ""
    assert safe_cell("'=1") == "'=1"  # already text: one quote is enough
    for value in (-1, -1.5, 0, 3, None, True, dt.date(2027, 1, 4)):
        assert safe_cell(value) is value
    assert math.isnan(safe_cell(math.nan))


@settings(max_examples=200)
@given(st.text(max_size=20))
def test_safe_cell_never_starts_with_a_trigger_and_only_adds_a_quote(text: str) -> None:
    out = safe_cell(text)
    assert isinstance(out, str) and not out.startswith(FORMULA_TRIGGERS)
    assert out == text or out == "'" + text
    assert (out != text) == text.startswith(FORMULA_TRIGGERS)


# --- the action plan -------------------------------------------------------------------------------


def hostile_plan() -> ActionPlan:
    actions = [
        Action(id=f"q{i}", rank=i + 1, activity=f"a{i}", activity_name=text, title=text, targets=[f"a{i}", "iip"],
               owner=SUM if i % 2 else LINK, due=dt.date(2027, 1, 4 + i), programmes=["p1"], chosen=["p1"])
        for i, text in enumerate(HOSTILE)
    ]
    return ActionPlan(firm_id="-f1", firm_name="=Firm", lang="en", framework="mini 0.1.0", content_hash="sha256:0",
                      created_on=dt.date(2026, 12, 5), actions=actions, programme_names={"p1": "+Programme"})


def test_plan_xlsx_has_no_formula() -> None:
    data = xlsx_bytes(hostile_plan())
    found = cells(data)
    assert_neutralised(found, (*HOSTILE, "+Programme"))
    ws = load_workbook(io.BytesIO(data)).active
    first = [c for c in ws[HEADER_ROWS + 1]]
    assert first[0].value == 1 and first[0].data_type == "n"  # the rank stays a number
    assert first[2].value == "'" + LINK and first[2].data_type == "s"
    assert first[3].value == "'" + LINK and ws.cell(HEADER_ROWS + 2, 4).value == "'" + SUM
    assert first[4].is_date  # the due date stays a date
    assert ws["A1"].value.endswith(": =Firm (-f1)")  # not at the start of the cell: unchanged


# --- the portfolio workbook --------------------------------------------------------------------------


def test_portfolio_xlsx_has_no_formula() -> None:
    fw = load_framework("iiep")
    rows = [{
        "firm": f"f{i}", "assessed_on": dt.date(2025, 1, 1 + i), "iip": 0.5, "iep": 0.4, "iiep": 0.45,
        "class_iip": "preactive", "class_iep": "reactive", "class_iiep": "preactive", "top_activities": [],
        "dimension_scores": {}, "sector": LINK, "region": SUM, "size": "small", "advisor": 1, "supported": False,
        "programmes_proposed": ["p1"], "programmes_used": None,
    } for i in range(12)]
    p = portfolio(pd.DataFrame(rows), fw)
    data = portfolio_xlsx(p, fw, lang="en", organisation="-Org", filters={"sector": "+Sector"},
                          programme_names={"p1": "=Programme"}, generated_on=dt.date(2026, 12, 5))
    found = cells(data)
    assert_neutralised(found, ("-Org", "+Sector", "=Programme"))
    numbers = [c for c in found if c.data_type == "n"]
    assert any(c.value == 12 for c in numbers)  # the firm count stays a number


# --- the questionnaire workbook ------------------------------------------------------------------------


def test_questionnaire_xlsx_has_no_formula_from_framework_text(tmp_path: Path) -> None:
    text = (FIXTURES / "mini.yaml").read_text(encoding="utf-8")
    for old, new in (('en: "Q1?"', f"en: '{LINK}'"), ("en: Help 1", f'en: "{SUM}"'), ("en: Strategy", 'en: "-Strategy"'),
                     ("en: Never", 'en: "+Never"'), ("en: Test framework", 'en: "=1+1"')):
        assert old in text
        text = text.replace(old, new, 1)
    source = tmp_path / "hostile.yaml"
    source.write_text(text, encoding="utf-8")
    fw = load_framework(source)
    path = tmp_path / "q.xlsx"
    qn.write_xlsx(fw, "en", path)
    book = load_workbook(path)
    found = [c for ws in book.worksheets for row in ws.iter_rows() for c in row if c.value is not None]
    formulas = [c for c in found if c.data_type == "f"]
    # The one formula on purpose: the progress counter of the instructions sheet.
    assert len(formulas) == 1 and formulas[0].value.startswith('="') and "COUNTA(" in formulas[0].value
    hostile = [c for c in found if c.data_type != "f"]
    assert_neutralised(hostile, (LINK, SUM, "+Never", "=1+1"))
    assert any(c.value == "'" + LINK for c in book[qn.QUESTIONNAIRE_SHEET]["E"])
    assert book[qn.LISTS_SHEET]["B2"].value == "'+Never"


# --- population tables ---------------------------------------------------------------------------------


def hostile_table() -> pd.DataFrame:
    return pd.DataFrame({
        "firm": list(HOSTILE),
        "score": [-1.5, 2.0, -3.0, 0.0, 1.0, -0.25],
        "count": [-1, 2, 3, 4, 5, 6],
        "sector": pd.Categorical([SUM, "wine", LINK, "wine", "-", "+"]),
        "=head": ["x"] * 6,
    })


def test_population_csv_has_no_formula(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    write_table(hostile_table(), path)
    with path.open(encoding="utf-8", newline="") as fh:  # a quoted cell may hold a carriage return
        rows = list(csv.reader(fh))
    assert rows[0] == ["firm", "score", "count", "sector", "'=head"]
    for row in rows:
        for value in row:
            assert not value.startswith(FORMULA_TRIGGERS) or _is_number(value), value
    assert [r[0] for r in rows[1:]] == ["'" + t for t in HOSTILE]
    assert [r[1] for r in rows[1:]] == ["-1.5", "2.0", "-3.0", "0.0", "1.0", "-0.25"]  # numbers unchanged
    assert [r[2] for r in rows[1:]] == ["-1", "2", "3", "4", "5", "6"]
    assert [r[3] for r in rows[1:]] == ["'" + SUM, "wine", "'" + LINK, "wine", "'-", "'+"]


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def test_population_xlsx_has_no_formula(tmp_path: Path) -> None:
    path = tmp_path / "t.xlsx"
    write_table(hostile_table(), path)
    found = cells(path)
    assert_neutralised(found, (*HOSTILE, SUM, LINK, "-", "+", "=head"))
    ws = load_workbook(path).active
    assert [c.value for c in ws["B"]][1:] == [-1.5, 2, -3, 0, 1, -0.25]
    assert all(c.data_type == "n" for c in ws["B"][1:]) and all(c.data_type == "n" for c in ws["C"][1:])


@pytest.mark.parametrize("suffix", [".parquet"])
def test_binary_tables_are_left_exact(tmp_path: Path, suffix: str) -> None:
    """Parquet is no spreadsheet: its texts are kept exactly."""
    path = tmp_path / f"t{suffix}"
    write_table(hostile_table(), path)
    assert pd.read_parquet(path)["firm"].tolist() == list(HOSTILE)
