"""Answer files (YAML, JSON, CSV, XLSX) and their errors: file, line/row, firm and question named."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import openpyxl
import pytest
from typer.testing import CliRunner

from conftest import EXAMPLES
from innexport.cli import _register, app
from innexport.core.assessment import AnswersError, IncompleteError, diagnose, encode
from innexport.files.answers import read_answers
from innexport.files.frameworks import load_framework

MINI = Path(__file__).parent / "fixtures" / "mini.yaml"
runner = CliRunner()

GOOD_YAML = """\
framework: mini
version: 0.1.0
lang: fr
firm:
  id: f1
  name: Firme Une
  country: FR
  size: small
assessed_on: 2026-10-01
answers:
  q1: yes
  q2: Souvent
  q3: "no"
  q4: 1
  q5: sometimes
comments:
  q2: avec notre importateur
"""
HAND = [1.0, 2 / 3, 0.0, 1.0, 1 / 3]  # see tests/test_scoring.py


@pytest.fixture(scope="module")
def mini():
    return load_framework(MINI)


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def problems(exc: pytest.ExceptionInfo) -> str:
    return "\n".join(str(p) for p in exc.value.problems)


def test_yaml_codes_labels_values_and_comments(tmp_path: Path, mini) -> None:
    sheets = read_answers(write(tmp_path, "a.yaml", GOOD_YAML))
    assert len(sheets) == 1 and sheets[0].firm.name == "Firme Une"
    np.testing.assert_allclose(encode(mini, sheets)[0], HAND)
    result = diagnose(mini, sheets)[0]
    assert result.lang == "fr" and result.indices["iiep"].value == pytest.approx(11 / 24, abs=1e-6)
    assert result.answers == {"q1": "yes", "q2": "often", "q3": "no", "q4": "yes", "q5": "sometimes"}
    assert result.comments == {"q2": "avec notre importateur"}
    assert result.framework.version == "0.1.0" and result.framework.content_hash == mini.content_hash


def test_yaml_several_firms_share_the_top_level(tmp_path: Path, mini) -> None:
    text = """\
framework: mini
version: 0.1.0
firms:
  - firm: {id: a, name: A}
    answers: {q1: yes, q2: always, q3: yes, q4: yes, q5: always}
  - firm: {id: b, name: B}
    lang: es
    answers: {q1: "no", q2: never, q3: "no", q4: "no", q5: dk}
"""
    sheets = read_answers(write(tmp_path, "many.yaml", text))
    assert [s.firm.id for s in sheets] == ["a", "b"] and sheets[1].lang == "es"
    with pytest.raises(IncompleteError):  # b: q5 is "don't know", 80% scored < 90%
        diagnose(mini, sheets, min_completeness=0.9)
    results = diagnose(mini, sheets)
    assert results[0].indices["iiep"].value == 1.0 and results[1].indices["iiep"].value == 0.0
    assert results[1].dont_know == ["q5"] and results[1].missing == []


def test_json(tmp_path: Path, mini) -> None:
    doc = {"framework": "mini", "firm": {"id": "j", "name": "J"},
           "answers": {"q1": "yes", "q2": "often", "q3": "no", "q4": "yes", "q5": "sometimes"}}
    sheets = read_answers(write(tmp_path, "a.json", json.dumps(doc, indent=2)))
    np.testing.assert_allclose(encode(mini, sheets)[0], HAND)


CSV = """\
firm_id;firm_name;country;size;framework;version;q1;q2;q3;q4;q5;comment.q1
f1;Firm One;FR;small;mini;0.1.0;yes;often;no;yes;sometimes;checked
f2;Firm Two;CL;medium;mini;0.1.0;Sí;A menudo;No;1;0.3333333333;
"""


def test_csv_wide_table(tmp_path: Path, mini) -> None:
    sheets = read_answers(write(tmp_path, "a.csv", CSV))
    assert [s.firm.id for s in sheets] == ["f1", "f2"]
    values = encode(mini, sheets)
    np.testing.assert_allclose(values[0], HAND)
    np.testing.assert_allclose(values[1], HAND)
    assert sheets[0].comments == {"q1": "checked"} and sheets[1].comments == {}


def test_xlsx_wide_table(tmp_path: Path, mini) -> None:
    book = openpyxl.Workbook()
    ws = book.active
    for row in CSV.splitlines():
        ws.append([None if c == "" else c for c in row.split(";")])
    ws["J3"] = 1  # a number cell for q4
    path = tmp_path / "a.xlsx"
    book.save(path)
    values = encode(mini, read_answers(path))
    np.testing.assert_allclose(values, [HAND, HAND])


@pytest.mark.parametrize(("name", "text", "expected"), [
    ("bad.yaml", GOOD_YAML.replace("q5: sometimes", "q5: sometimez"),
     "bad.yaml, line 15, firm f1, question q5: 'sometimez' is not on the scale frequency4"),
    ("bad.yaml", GOOD_YAML.replace("q5: sometimes", "q9: sometimes"),
     "bad.yaml, line 15, firm f1, question q9: unknown question id"),
    ("bad.yaml", GOOD_YAML.replace("q4: 1", "q4: 0.5"),
     "bad.yaml, line 14, firm f1, question q4: '0.5' is not on the scale yes_no"),
    ("bad.yaml", GOOD_YAML.replace("  q2: avec", "  q7: avec"),
     "question q7: comment on an unknown question id"),
    ("bad.csv", CSV.replace(";often;", ";oftn;"),
     "bad.csv, row 2, column H, firm f1, question q2: 'oftn' is not on the scale"),
    ("bad.csv", CSV.replace("f2;Firm Two", "f1;Firm Two"),
     "bad.csv, row 3, firm f1: firm id 'f1' already used by"),
])
def test_bad_answers_name_the_place(tmp_path: Path, mini, name: str, text: str, expected: str) -> None:
    with pytest.raises(AnswersError) as exc:
        diagnose(mini, read_answers(write(tmp_path, name, text)))
    assert expected in problems(exc)


@pytest.mark.parametrize(("name", "text", "expected"), [
    ("broken.yaml", "firm: {id: x\nanswers: {}\n", "broken.yaml, line 2: broken YAML"),
    ("broken.json", '{"firm": {"id": "x"},}', "broken.json, line 1, column 22: broken JSON"),
    ("fields.yaml", GOOD_YAML.replace("  size: small", "  size: tiny"), "fields.yaml, line 8, field firm.size"),
    ("fields.yaml", GOOD_YAML.replace("lang: fr", "langue: fr"), "fields.yaml, line 3, field langue: unknown field"),
    ("nofirm.csv", "name;q1\nA;yes\n", "nofirm.csv, row 1: a `firm_id` column is needed"),
    ("cells.csv", "firm_id;q1\nA;yes;no\n", "cells.csv, row 2: 3 cells but only 2 columns"),
    ("dup.csv", "firm_id;q1;q1\nA;yes;no\n", "dup.csv, row 1: duplicated column(s): q1"),
    ("broken.xlsx", "this is not a zip file", "broken.xlsx: broken XLSX file"),
    ("answers.txt", "x", "unsupported answers format '.txt'"),
    ("empty.csv", "", "empty.csv: no firm found in this file"),
])
def test_broken_files(tmp_path: Path, name: str, text: str, expected: str) -> None:
    with pytest.raises(AnswersError) as exc:
        read_answers(write(tmp_path, name, text))
    assert expected in problems(exc)


def test_wrong_framework_version_or_modules(tmp_path: Path, mini) -> None:
    with pytest.raises(AnswersError) as exc:
        diagnose(mini, read_answers(write(tmp_path, "v.yaml", GOOD_YAML.replace("0.1.0", "0.0.9"))))
    assert "answers were made with mini 0.0.9; this framework is mini 0.1.0" in problems(exc)
    # a later MINOR or PATCH of the same MAJOR keeps the questions: the answers fit
    later = diagnose(mini, read_answers(write(tmp_path, "w.yaml", GOOD_YAML.replace("0.1.0", "0.1.7"))))
    assert later[0].framework.version == "0.1.0"
    with pytest.raises(AnswersError) as exc:
        diagnose(mini, read_answers(write(tmp_path, "m.yaml", "modules: [wine]\n" + GOOD_YAML)))
    assert "answers use modules ['wine']; the framework has none" in problems(exc)
    with pytest.raises(AnswersError) as exc:
        diagnose(mini, read_answers(write(tmp_path, "f.yaml", GOOD_YAML.replace("framework: mini", "framework: other"))))
    assert "answers are for framework 'other', not 'mini'" in problems(exc)


def test_incomplete_answers_are_refused_with_the_missing_questions(tmp_path: Path, mini) -> None:
    text = GOOD_YAML.replace("  q4: 1\n", "").replace("  q5: sometimes\n", "  q5: dk\n")
    with pytest.raises(IncompleteError) as exc:
        diagnose(mini, read_answers(write(tmp_path, "inc.yaml", text)))
    assert "only 60% of the questions have a scored answer (at least 70% needed); missing: q4, q5" in problems(exc)
    assert diagnose(mini, read_answers(write(tmp_path, "inc.yaml", text)), min_completeness=0.6)


def test_cli_writes_nothing_when_any_file_is_bad(tmp_path: Path) -> None:
    _register()
    good = write(tmp_path, "good.yaml", GOOD_YAML)
    bad = write(tmp_path, "bad.yaml", GOOD_YAML.replace("id: f1", "id: f2").replace("q5: sometimes", "q5: 7"))
    out = tmp_path / "out"
    res = runner.invoke(app, ["diagnose", str(good), str(bad), "--framework", str(MINI), "--out", str(out / "r.json")])
    assert res.exit_code == 2
    assert "bad.yaml, line 15, firm f2, question q5: '7' is not on the scale" in res.stderr
    assert not out.exists()
    res = runner.invoke(app, ["diagnose", str(good), "--framework", str(MINI), "--out", str(out / "r.json")])
    assert res.exit_code == 0, res.output
    doc = json.loads((out / "r.json").read_text(encoding="utf-8"))
    firm = doc["firms"][0]
    assert firm["indices"]["iip"]["value"] == pytest.approx(5 / 12, abs=1e-6)
    assert firm["indices"]["iep"]["class"] == "proactive"
    assert [p["activity"] for p in firm["priorities"]] == ["a_inn", "a_exp", "a_joint"]
    assert firm["framework"]["content_hash"].startswith("sha256:")
    assert firm["next_class"]["steps"][0] == {"observable": "q3", "activity": "a_inn", "from_code": "no",
                                              "to_code": "yes", "gain_iip": 0.5, "gain_iep": 0.0}


def test_cli_unknown_framework_and_output(tmp_path: Path) -> None:
    _register()
    good = write(tmp_path, "good.yaml", GOOD_YAML)
    res = runner.invoke(app, ["diagnose", str(good), "--out", str(tmp_path / "r.json")])
    assert res.exit_code == 2 and "no built-in framework or module 'mini'" in res.stderr
    res = runner.invoke(app, ["diagnose", str(good), "--framework", str(MINI), "--out", str(tmp_path / "r.docx")])
    assert res.exit_code == 2 and "unknown format '.docx'" in res.stderr


def test_json_problems_are_located_by_line_in_a_list_of_firms(tmp_path: Path) -> None:
    """JSON is read as YAML too (innexport.files.yamlsource), so a firm's problem names its line."""
    path = tmp_path / "firms.json"
    path.write_text('{\n  "firms": [\n    {"firm": {"id": "a", "name": "A"}, "answers": {}},\n'
                    '    {"firm": {"id": "b", "name": "B", "size": "tiny"}, "answers": {}}\n  ]\n}\n', encoding="utf-8")
    with pytest.raises(AnswersError) as info:
        read_answers(path)
    assert [str(p).split(": ")[0] for p in info.value.problems] == [f"{path}, line 4, field firm.size"]
    path.write_text('{"firms": [{"firm": {"id": "a", "name": "A"}, "answers": {"q1": "yes"}}]}', encoding="utf-8")
    [sheet] = read_answers(path)
    assert sheet.where("q1") == f"{path}, line 1, firm a, question q1"


def test_a_share_just_below_the_floor_never_reads_as_the_floor() -> None:
    """The first 67 answers of this firm give 69.8 % (scored answers among 93 questions): the refusal must not
    say "only 70 % (at least 70 % needed)"."""
    import innexport

    [sheet] = innexport.read_answers(EXAMPLES / "fr-domaine-des-trois-collines.yaml")
    kept = dict(list(sheet.answers.items())[:67])
    short = sheet.model_copy(update={"answers": kept})
    with pytest.raises(AnswersError) as exc:
        innexport.diagnose([short], min_completeness=0.7)
    assert "only 69.8% of the questions have a scored answer (at least 70% needed)" in str(exc.value)
