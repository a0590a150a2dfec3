"""Answer files as advisors really have them (issue 11): Excel's CSV in a Western European locale,
a questionnaire workbook whose sheets were renamed, shares written as percentages, a mistyped
question id. Each is read with a note, or refused with a message that says what to do.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import openpyxl
import pytest
from typer.testing import CliRunner

from innexport.cli import _register, app
from innexport.core.assessment import AnswersError, encode
from innexport.files.answers import ReadingNote, read_answers
from innexport.files.frameworks import load_framework
from innexport.rendering.questionnaire import write_xlsx

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "fr-domaine-des-trois-collines.yaml"


def _notes(caught: list[warnings.WarningMessage]) -> list[str]:
    return [str(w.message) for w in caught if issubclass(w.category, ReadingNote)]


def test_a_windows_1252_csv_is_read_with_a_note(tmp_path: Path) -> None:
    path = tmp_path / "réponses.csv"
    # what Excel writes as "CSV (séparateur : point-virgule)" on a French Windows: cp1252, `;`
    path.write_bytes("firm_id;firm_name;country;net_weak_ties_collective_events\n"
                     "f1;Château Élysée;FR;yes\n".encode("cp1252"))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        [sheet] = read_answers(path)
    assert sheet.firm.name == "Château Élysée"
    assert _notes(caught) == [(f"{path}: not UTF-8 text, read as Windows-1252; save it as UTF-8 CSV to be sure "
                               "of its accents")]


def test_the_note_is_printed_by_the_command_line(tmp_path: Path) -> None:
    path = tmp_path / "latin.csv"
    path.write_bytes("firm_id;firm_name\nf1;Bodega Ñandú\n".encode("cp1252"))
    _register()
    result = CliRunner().invoke(app, ["diagnose", str(path), "--out", str(tmp_path / "r.json")])
    # refused for completeness (one firm with no answers), but the note came first, as a note
    assert result.exit_code == 2
    assert "note: " in result.stderr and "read as Windows-1252" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_renamed_questionnaire_sheet_is_found_by_its_columns(tmp_path: Path) -> None:
    fw = load_framework("iiep", ["wine"])
    path = tmp_path / "cuestionario.xlsx"
    write_xlsx(fw, "es", path)
    book = openpyxl.load_workbook(path)
    book["questionnaire"].title = "cuestionario"
    book["firm"].title = "empresa"
    firm = book["empresa"]
    for row in firm.iter_rows(min_row=2):
        if row[0].value == "firm_id":
            row[1].value = "cl-01"
    qs = book["cuestionario"]
    header = next(r for r in range(1, 30) if [c.value for c in qs[r]].count("question_id"))
    cols = {c.value: c.column for c in qs[header]}
    first = next(r for r in range(header + 1, header + 40) if qs.cell(r, cols["question_id"]).value)
    qs.cell(first, cols["answer"]).value = "sí"
    book.save(path)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        [sheet] = read_answers(path)
    assert sheet.firm.id == "cl-01" and [q for q, a in sheet.answers.items() if a] == ["net_weak_ties_support_bodies"]
    assert _notes(caught) == [(f"{path}: no `questionnaire` sheet; sheet `cuestionario` read as the questionnaire "
                               "and `empresa` as the firm's fields")]


def test_a_workbook_with_neither_table_nor_questionnaire_names_its_sheets(tmp_path: Path) -> None:
    path = tmp_path / "other.xlsx"
    book = openpyxl.Workbook()
    book.active.title = "instrucciones"
    book.active.append(["Lea esto primero"])
    book.create_sheet("datos").append(["id", "nombre"])
    book.save(path)
    with pytest.raises(AnswersError) as exc:
        read_answers(path)
    assert str(exc.value.problems[0]).endswith(
        "no sheet is a table of firms (a `firm_id` column in its first row) or a questionnaire (`question_id` and "
        "`answer` columns); sheets found: instrucciones, datos")


@pytest.mark.parametrize(("written", "share"), [("45 %", 0.45), ("45%", 0.45), ("2,5 %", 0.025), ("0.45", 0.45)])
def test_a_share_may_be_written_as_a_percentage(tmp_path: Path, written: str, share: float) -> None:
    path = tmp_path / "a.yaml"
    path.write_text(f"firm: {{id: f1, name: F, export_share: '{written}'}}\nanswers: {{}}\n", encoding="utf-8")
    [sheet] = read_answers(path)
    assert sheet.firm.export_share == pytest.approx(share)


def test_a_share_above_one_is_refused_with_the_hint(tmp_path: Path) -> None:
    path = tmp_path / "a.csv"
    path.write_text("firm_id,export_share\nf1,45\n", encoding="utf-8")
    with pytest.raises(AnswersError) as exc:
        read_answers(path)
    assert [str(p) for p in exc.value.problems] == [
        (f"{path}, row 2, field firm.export_share: 45 is not a share: write a number between 0 and 1 (0.45) or a "
         "percentage (45 %)")]


def test_a_mistyped_question_id_gets_a_suggestion(tmp_path: Path) -> None:
    fw = load_framework("iiep")
    path = tmp_path / "a.yaml"
    path.write_text("firm: {id: f1, name: F}\nanswers: {net_weak_ties_colective_events: yes, zzz: no}\n",
                    encoding="utf-8")
    with pytest.raises(AnswersError) as exc:
        encode(fw, read_answers(path))
    messages = [p.message for p in exc.value.problems]
    assert messages == [f"unknown question id (not in {fw.label}); did you mean net_weak_ties_collective_events?",
                        f"unknown question id (not in {fw.label})"]
