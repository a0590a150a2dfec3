"""Answer files of several respondents (issue 12): the ``respondent`` field in YAML and JSON, the
``respondent_id`` / ``respondent_role`` columns of CSV and XLSX tables and rows of a questionnaire's
firm sheet, and ``innexport diagnose`` consolidating a firm's respondents into one result.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import openpyxl
import pytest
import yaml
from typer.testing import CliRunner

from innexport import api
from innexport.cli import _register, app
from innexport.core.assessment import RESPONDENT_ROLES, AnswersError
from innexport.files.answers import read_answers
from innexport.files.frameworks import load_framework
from innexport.rendering.questionnaire import write_xlsx

ROOT = Path(__file__).resolve().parents[1]
TEAM = [ROOT / "examples" / "team" / f"{who}.yaml" for who in ("director", "export-manager", "rd-lead")]
runner = CliRunner()


def run(*args: str):  # typer's Result
    _register()
    return runner.invoke(app, list(args))


# --- reading ------------------------------------------------------------------------------------------


def test_the_example_team_reads_with_its_respondents() -> None:
    sheets = [s for path in TEAM for s in read_answers(path)]
    assert [(s.respondent.id, s.respondent.role) for s in sheets if s.respondent] == [
        ("helene", "director"), ("marc", "export_manager"), ("ines", "rd_lead")]
    assert {s.firm.id for s in sheets} == {"fr-maison-lacoste"}


def test_an_unknown_role_is_refused_with_the_allowed_ones(tmp_path: Path) -> None:
    path = tmp_path / "ceo.yaml"
    path.write_text(TEAM[0].read_text(encoding="utf-8").replace("role: director", "role: ceo"), encoding="utf-8")
    with pytest.raises(AnswersError) as caught:
        read_answers(path)
    line = next(i for i, text in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if "role: ceo" in text)
    assert str(caught.value) == (f"{path}, line {line}, field respondent.role: unknown role 'ceo' "
                                 f"(use {', '.join(RESPONDENT_ROLES)})")


def test_json_answers_carry_the_respondent(tmp_path: Path) -> None:
    doc = yaml.safe_load(TEAM[1].read_text(encoding="utf-8"))
    path = tmp_path / "marc.json"
    path.write_text(json.dumps(doc, default=str), encoding="utf-8")
    [sheet] = read_answers(path)
    assert sheet.respondent is not None and (sheet.respondent.id, sheet.respondent.role) == ("marc", "export_manager")


def test_several_respondents_in_one_yaml_file(tmp_path: Path) -> None:
    docs = [yaml.safe_load(p.read_text(encoding="utf-8")) for p in TEAM]
    shared = {k: docs[0][k] for k in ("framework", "version", "modules", "assessed_on")}
    path = tmp_path / "team.yaml"
    path.write_text(yaml.safe_dump({**shared, "firms": [
        {"firm": d["firm"], "respondent": d["respondent"], "answers": d["answers"]} for d in docs]}), encoding="utf-8")
    [result] = api.diagnose(path)
    assert [r.id for r in result.respondents] == ["helene", "marc", "ines"]


def _table_rows() -> list[list[object]]:
    docs = [yaml.safe_load(p.read_text(encoding="utf-8")) for p in TEAM]
    questions = list(docs[0]["answers"])
    header = ["firm_id", "firm_name", "respondent_id", "respondent_role", "modules", "assessed_on", *questions]
    rows: list[list[object]] = [header]
    for d in docs:
        answers = {q: ("yes" if a is True else "no" if a is False else a) for q, a in d["answers"].items()}
        rows.append([d["firm"]["id"], d["firm"]["name"], d["respondent"]["id"], d["respondent"]["role"], "wine",
                     str(d["assessed_on"]), *(answers[q] for q in questions)])
    return rows


def test_a_csv_table_has_one_row_per_respondent(tmp_path: Path) -> None:
    path = tmp_path / "team.csv"
    path.write_text("\n".join(",".join(map(str, r)) for r in _table_rows()) + "\n", encoding="utf-8")
    sheets = read_answers(path)
    assert [s.respondent.id for s in sheets if s.respondent] == ["helene", "marc", "ines"]
    [result] = api.diagnose(sheets)
    files = [s for p in TEAM for s in read_answers(p)]
    [same] = api.diagnose(files)
    assert result.answers == same.answers and result.disagreement == same.disagreement


def test_an_xlsx_table_reads_the_respondent_columns(tmp_path: Path) -> None:
    path = tmp_path / "team.xlsx"
    book = openpyxl.Workbook()
    for row in _table_rows():
        book.active.append(row)
    book.save(path)
    assert [(s.respondent.id, s.respondent.role) for s in read_answers(path) if s.respondent] == [
        ("helene", "director"), ("marc", "export_manager"), ("ines", "rd_lead")]


def test_a_table_row_with_a_role_but_no_respondent_id_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_text("firm_id,respondent_id,respondent_role\nf1,ana,director\nf1,,rd_lead\nf1,ben,boss\n",
                    encoding="utf-8")
    with pytest.raises(AnswersError) as caught:
        read_answers(path)
    assert str(caught.value).splitlines() == [
        f"{path}, row 3, field respondent.id: required field is missing",
        f"{path}, row 4, field respondent.role: unknown role 'boss' (use {', '.join(RESPONDENT_ROLES)})"]


def test_a_questionnaire_workbook_names_its_respondent_on_the_firm_sheet(tmp_path: Path) -> None:
    path = tmp_path / "q.xlsx"
    write_xlsx(load_framework("iiep", ["wine"]), "fr", path)
    book = openpyxl.load_workbook(path)
    firm = book["firm"]
    for row in firm.iter_rows(min_row=2):
        if row[0].value == "firm_id":
            row[1].value = "fr-01"
    firm.append(["respondent_id", "ana"])
    firm.append(["respondent_role", "export_manager"])
    book.save(path)
    [sheet] = read_answers(path)
    assert sheet.respondent is not None and (sheet.respondent.id, sheet.respondent.role) == ("ana", "export_manager")


# --- the command line ---------------------------------------------------------------------------------


def test_three_respondents_give_one_result(tmp_path: Path) -> None:
    out = tmp_path / "result.json"
    result = run("diagnose", *map(str, TEAM), "--out", str(out))
    assert result.exit_code == 0, result.output
    [firm] = json.loads(out.read_text(encoding="utf-8"))["firms"]
    assert firm["firm"]["id"] == "fr-maison-lacoste"
    assert [(r["id"], r["role"]) for r in firm["respondents"]] == [
        ("helene", "director"), ("marc", "export_manager"), ("ines", "rd_lead")]
    question = next(q for q in firm["disagreement"]["questions"] if q["question"] == "strat_global_linked")
    assert question == {"question": "strat_global_linked", "activity": "strat_global", "respondents": 3,
                        "range": 0.5, "agreement": 0.5, "answers": {"helene": "high", "marc": "partial", "ines": "low"}}
    assert firm["answers"]["strat_global_linked"] == "partial"
    assert {a["activity"] for a in firm["disagreement"]["activities"]} >= {"strat_global", "net_weak_ties"}


def test_the_report_of_a_team_is_written_once(tmp_path: Path) -> None:
    result = run("diagnose", *map(str, TEAM), "--out", str(tmp_path), "--format", "json")
    assert result.exit_code == 0, result.output
    assert [p.name for p in tmp_path.iterdir()] == ["fr-maison-lacoste.json"]
    html = run("diagnose", *map(str, TEAM), "--out", str(tmp_path / "html"))
    assert html.exit_code == 0, html.output
    assert [p.name for p in (tmp_path / "html").iterdir()] == ["fr-maison-lacoste.html"]


def test_a_duplicated_respondent_id_exits_2_naming_both_files(tmp_path: Path) -> None:
    copy = tmp_path / "helene-again.yaml"
    shutil.copy(TEAM[0], copy)
    result = run("diagnose", str(TEAM[0]), str(copy), "--out", str(tmp_path / "r.json"))
    assert result.exit_code == 2
    message = " ".join(result.stderr.split())
    assert (f"{copy}, line 11, firm fr-maison-lacoste: respondent id 'helene' already used for firm "
            f"fr-maison-lacoste on 2026-11-20 by {TEAM[0]}, line 11") in message
    assert "Traceback" not in result.stderr and not (tmp_path / "r.json").exists()


def test_a_respondent_mixed_with_a_plain_sheet_of_the_firm_exits_2(tmp_path: Path) -> None:
    plain = tmp_path / "plain.yaml"
    plain.write_text("\n".join(line for line in TEAM[1].read_text(encoding="utf-8").splitlines()
                               if not line.startswith(("respondent:", "  id: marc", "  role: export_manager"))),
                     encoding="utf-8")
    result = run("diagnose", str(TEAM[0]), str(plain), "--out", str(tmp_path / "r.json"))
    assert result.exit_code == 2
    message = " ".join(result.stderr.split())
    assert (f"{plain}, line 11, firm fr-maison-lacoste: firm fr-maison-lacoste on 2026-11-20 is answered here "
            f"without a respondent and by respondent 'helene' in {TEAM[0]}, line 11") in message


def test_respondents_disagreeing_on_the_firm_exit_2_naming_the_field(tmp_path: Path) -> None:
    other = tmp_path / "marc.yaml"
    other.write_text(TEAM[1].read_text(encoding="utf-8").replace("employees: 22", "employees: 25"), encoding="utf-8")
    result = run("diagnose", str(TEAM[0]), str(other), "--out", str(tmp_path / "r.json"))
    assert result.exit_code == 2
    message = " ".join(result.stderr.split())
    assert f"{other}, line 11, firm fr-maison-lacoste: field firm.employees is 25 here but 22 in {TEAM[0]}" in message


def test_a_bad_answer_of_one_respondent_exits_2_naming_the_file_and_line(tmp_path: Path) -> None:
    other = tmp_path / "ines.yaml"
    text = TEAM[2].read_text(encoding="utf-8").replace("strat_global_linked: low", "strat_global_linked: lots")
    other.write_text(text, encoding="utf-8")
    line = next(i for i, t in enumerate(text.splitlines(), 1) if "strat_global_linked: lots" in t)
    result = run("diagnose", str(TEAM[0]), str(TEAM[1]), str(other), "--out", str(tmp_path / "r.json"))
    assert result.exit_code == 2
    assert (f"{other}, line {line}, firm fr-maison-lacoste, question strat_global_linked: 'lots' is not on the "
            "scale extent5") in " ".join(result.stderr.split())
