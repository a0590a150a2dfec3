"""LimeSurvey both ways (issue 13): the ``.lss`` survey structure and the response export read back.

The ``.lss`` is parsed with the standard library's ElementTree and counted per language against the
framework (groups, questions, answer options); a response CSV written the way LimeSurvey's
``CsvWriter`` writes it (UTF-8 byte-order mark, every value quoted, CRLF, a blank last line,
numbers as ``12.0000000000``) is read back and diagnosed to the same results as the same answers
written in YAML; hostile exports are refused naming their row and column.
"""

from __future__ import annotations

import datetime as dt
import re
import warnings
import xml.etree.ElementTree as ET
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from innexport import api
from innexport.core.assessment import RESPONDENT_ROLES, AnswersError
from innexport.core.framework import LANGUAGES, Framework
from innexport.files.answers import ReadingNote, read_answers_text
from innexport.files.frameworks import load_framework
from innexport.files.limesurvey import (
    DONT_KNOW_CODE,
    FIRM_CODES,
    QUESTION_CODE_MAX,
    RESERVED_CODES,
    ROLE_CODE,
    ROLE_CODES,
    SIZE_CODES,
    question_code,
    question_codes,
    read_responses,
)
from innexport.rendering.limesurvey import write_lss

LS_CODE = re.compile(r"^[a-z,A-Z][A-Za-z0-9]*$")  # LimeSurvey's Question model rule
META = ["id", "submitdate", "lastpage", "startlanguage", "seed", "startdate", "datestamp"]


@pytest.fixture(scope="module")
def iiep() -> Framework:
    return load_framework("iiep")


@pytest.fixture(scope="module")
def wine() -> Framework:
    return load_framework("iiep", ["wine"])


def rows_of(root: ET.Element, table: str) -> list[dict[str, str]]:
    return [{child.tag: child.text or "" for child in row} for row in root.findall(f"./{table}/rows/row")]


# --- the survey structure --------------------------------------------------------------------------


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_lss_has_a_group_per_dimension_and_a_list_question_per_observable(tmp_path: Path, wine: Framework,
                                                                             lang: str) -> None:
    write_lss(wine, lang, tmp_path / "s.lss")
    root = ET.parse(tmp_path / "s.lss").getroot()
    assert root.findtext("LimeSurveyDocType") == "Survey"
    assert [e.text for e in root.find("languages")] == [lang, *(x for x in LANGUAGES if x != lang)]
    survey = rows_of(root, "surveys")
    assert len(survey) == 1 and survey[0]["language"] == lang
    assert sorted(survey[0]["additional_languages"].split()) == sorted(x for x in LANGUAGES if x != lang)

    groups, questions = rows_of(root, "groups"), rows_of(root, "questions")
    assert len(groups) == 1 + len(wine.dimensions)
    observables = wine.observables
    # the firm's 11 fields, the role, three hidden equations, then one L question per observable
    assert len(questions) == len(FIRM_CODES) + 1 + 3 + len(observables)
    by_type = Counter(q["type"] for q in questions)
    assert by_type == {"L": len(observables) + 2, "S": 6, "N": 4, "*": 3}
    codes = [q["title"] for q in questions]
    assert len(set(codes)) == len(codes) and len({c.casefold() for c in codes}) == len(codes)
    assert all(LS_CODE.match(c) and len(c) <= QUESTION_CODE_MAX and c not in RESERVED_CODES for c in codes)
    # each dimension's group holds its observables, in framework order
    first_of = {g["gid"]: [q["title"] for q in questions if q["gid"] == g["gid"]] for g in groups}
    expected = question_codes(wine)
    assert list(first_of.values())[1:] == [[expected[o.id] for a in d.activities for o in a.observables]
                                           for d in wine.dimensions]

    # per language: every group, question and answer option has its text
    answers = rows_of(root, "answers")
    n_options = sum(len(wine.scale_by_id[o.scale].levels) + 1 for o in observables) + len(SIZE_CODES) + len(ROLE_CODES)
    assert len(answers) == n_options
    for table, total in (("group_l10ns", len(groups)), ("question_l10ns", len(questions)),
                         ("answer_l10ns", n_options)):
        per_lang = Counter(r["language"] for r in rows_of(root, table))
        assert per_lang == dict.fromkeys(LANGUAGES, total), table
    assert Counter(r["surveyls_language"] for r in rows_of(root, "surveys_languagesettings")) == \
        dict.fromkeys(LANGUAGES, 1)


def test_an_observable_question_carries_its_texts_levels_and_dont_know(tmp_path: Path, iiep: Framework) -> None:
    write_lss(iiep, "es", tmp_path / "s.lss")
    root = ET.parse(tmp_path / "s.lss").getroot()
    obs = iiep.observables[0]
    scale = iiep.scale_by_id[obs.scale]
    question = next(q for q in rows_of(root, "questions") if q["title"] == question_code(obs.id))
    assert question["type"] == "L" and question["question_theme_name"] == "listradio"
    texts = {r["language"]: r for r in rows_of(root, "question_l10ns") if r["qid"] == question["qid"]}
    assert texts["fr"]["question"] == obs.question["fr"]
    assert texts["es"]["help"] == obs.help["es"]
    options = [a for a in rows_of(root, "answers") if a["qid"] == question["qid"]]
    assert [a["code"] for a in options] == [f"A{i}" for i in range(1, len(scale.levels) + 1)] + [DONT_KNOW_CODE]
    labels = {(r["aid"], r["language"]): r["answer"] for r in rows_of(root, "answer_l10ns")}
    assert [labels[a["aid"], "en"] for a in options] == [lv.label["en"] for lv in scale.levels] + ["Don't know"]
    assert labels[options[-1]["aid"], "fr"] == "Ne sait pas"
    hidden = {q["title"]: q for q in rows_of(root, "questions") if q["type"] == "*"}
    attrs = {(a["qid"], a["attribute"]): a["value"] for a in rows_of(root, "question_attributes")}
    assert all(attrs[q["qid"], "hidden"] == "1" for q in hidden.values())
    assert attrs[hidden["IXframework"]["qid"], "equation"] == "iiep"
    assert attrs[hidden["IXversion"]["qid"], "equation"] == iiep.version


def test_framework_texts_cannot_inject_markup_or_expressions(tmp_path: Path, iiep: Framework) -> None:
    data = iiep.model_dump(mode="json", exclude={"modules"})
    data["dimensions"][0]["activities"][0]["observables"][0]["question"]["en"] = "<script>x()</script> {TOKEN}"
    write_lss(Framework.model_validate(data), "en", tmp_path / "s.lss")
    text = ET.parse(tmp_path / "s.lss").getroot()
    questions = [r["question"] for r in rows_of(text, "question_l10ns") if r["language"] == "en"]
    hostile = next(q for q in questions if "script" in q)
    assert hostile == "&lt;script&gt;x()&lt;/script&gt; &#123;TOKEN&#125;"


def test_an_unknown_language_is_refused(tmp_path: Path, iiep: Framework) -> None:
    with pytest.raises(ValueError, match="unknown language 'de'"):
        write_lss(iiep, "de", tmp_path / "s.lss")
    assert not (tmp_path / "s.lss").exists()


@given(st.from_regex(r"^[a-z][a-z0-9_]{0,63}$", fullmatch=True))
def test_every_question_id_gets_a_code_limesurvey_keeps(qid: str) -> None:
    code = question_code(qid)
    assert LS_CODE.match(code) and 1 <= len(code) <= QUESTION_CODE_MAX and code not in RESERVED_CODES
    assert code == question_code(qid)  # deterministic


@given(st.sets(st.from_regex(r"^[a-z][a-z0-9_]{0,63}$", fullmatch=True), min_size=2, max_size=30))
def test_distinct_question_ids_get_distinct_codes(ids: set[str]) -> None:
    assert len({question_code(q).casefold() for q in ids}) == len(ids)


def test_codes_by_hand() -> None:
    assert question_code("ip_registered") == "QIpRegistered"
    assert question_code("self") == "QSelf"  # never a reserved word
    assert question_code("q_1") != question_code("q1")  # an underscore before a digit is not lost
    assert len(question_code("net_distribution_partners_selection")) == 20


# --- responses ---------------------------------------------------------------------------------------


def export_csv(path: Path, framework: Framework, responses: list[dict[str, Any]], sep: str = ",",
               heading: str = "code") -> Path:
    """A response export as LimeSurvey's CsvWriter writes it (answer codes, question-code headings)."""
    codes = question_codes(framework)
    columns = META + list(FIRM_CODES.values()) + [ROLE_CODE, "IXframework", "IXversion", "IXmodules"] + \
        list(codes.values())
    header = [f"{c}. text of {c}" if heading == "codetext" else c for c in columns]
    lines = [sep.join(f'"{h}"' for h in header)]
    for k, resp in enumerate(responses, start=1):
        values: dict[str, Any] = {
            "id": k, "submitdate": resp.get("submitdate", "2025-03-04 10:11:12"), "lastpage": 12,
            "startlanguage": resp.get("lang", "fr"), "seed": 123456 + k, "startdate": "2025-03-04 09:00:00",
            "datestamp": "2025-03-04 10:11:12", "IXframework": framework.id, "IXversion": framework.version,
            "IXmodules": ";".join(f"{m.id}@{m.version}" for m in framework.modules),
        }
        values |= {FIRM_CODES[k]: v for k, v in resp.get("firm", {}).items()}
        if "role" in resp:
            values[ROLE_CODE] = ROLE_CODES[resp["role"]]
        for qid, code in resp.get("answers", {}).items():
            values[codes[qid]] = code
        values |= resp.get("raw", {})
        cells = ['' if values.get(c) is None else '"' + str(values[c]).replace('"', '""') + '"' for c in columns]
        lines.append(sep.join(cells))
    path.write_bytes(b"\xef\xbb\xbf" + ("\r\n".join(lines) + "\r\n\r\n").encode("utf-8"))
    return path


def level_answers(framework: Framework, pick: int) -> tuple[dict[str, str], dict[str, str]]:
    """The same answers as LimeSurvey answer codes and as level codes (every 7th "don't know", every 11th blank)."""
    ls, levels = {}, {}
    for i, obs in enumerate(framework.observables):
        if i % 11 == 5:
            continue
        scale = framework.scale_by_id[obs.scale]
        if i % 7 == 3:
            ls[obs.id], levels[obs.id] = "DK", "dk"
            continue
        j = (i * pick + pick) % len(scale.levels)
        ls[obs.id], levels[obs.id] = f"A{j + 1}", scale.levels[j].code
    return ls, levels


def test_a_response_export_reads_back_to_the_same_results_as_yaml(tmp_path: Path, wine: Framework) -> None:
    ls1, lv1 = level_answers(wine, 1)
    ls2, lv2 = level_answers(wine, 2)
    csv_path = export_csv(tmp_path / "results-survey123456.csv", wine, [
        {"firm": {"id": "cl-01", "name": "Viña Uno", "country": "CL", "sector": "11.02", "size": "MED",
                  "employees": "45.0000000000", "founded": "1998.0000000000", "export_share": "62.5000000000",
                  "rd_intensity": "2"}, "answers": ls1, "lang": "es"},
        {"firm": {"id": "fr-02", "name": "Domaine Deux", "contact": "Anne"}, "answers": ls2, "lang": "fr",
         "submitdate": "2025-03-05 08:00:00"},
    ])
    sheets = read_responses(csv_path)
    assert sheets is not None and [s.firm.id for s in sheets] == ["cl-01", "fr-02"]
    first = sheets[0]
    assert (first.firm.size, first.firm.employees, first.firm.founded) == ("medium", 45, 1998)
    assert (first.firm.export_share, first.firm.rd_intensity) == (0.625, 0.02)
    assert first.lang == "es" and first.assessed_on == dt.date(2025, 3, 4) and first.respondent is None
    assert first.modules == ["wine@" + wine.modules[0].version]
    assert first.answers == lv1

    yaml_text = yaml.safe_dump({"framework": "iiep", "version": wine.version,
                                "modules": [f"wine@{wine.modules[0].version}"], "firms": [
        {"firm": {"id": "cl-01", "name": "Viña Uno", "country": "CL", "sector": "11.02", "size": "medium",
                  "employees": 45, "founded": 1998, "export_share": 0.625, "rd_intensity": 0.02},
         "lang": "es", "assessed_on": "2025-03-04", "answers": lv1},
        {"firm": {"id": "fr-02", "name": "Domaine Deux", "contact": "Anne"}, "lang": "fr",
         "assessed_on": "2025-03-05", "answers": lv2}]}, allow_unicode=True)
    from_yaml = read_answers_text(yaml_text)
    assert [s.model_dump() for s in sheets] == [s.model_dump() for s in from_yaml]
    results_ls, results_yaml = api.diagnose(sheets), api.diagnose(from_yaml)
    assert [r.model_dump(mode="json") for r in results_ls] == [r.model_dump(mode="json") for r in results_yaml]
    assert results_ls[0].indices["iiep"].value is not None


def test_semicolons_full_labels_and_code_and_text_headings_are_read(tmp_path: Path, iiep: Framework) -> None:
    obs = iiep.observables[:3]
    scale = iiep.scale_by_id[obs[0].scale]
    path = export_csv(tmp_path / "r.csv", iiep, [
        {"firm": {"id": "a1"}, "raw": {question_codes(iiep)[obs[0].id]: scale.levels[-1].label["fr"],
                                       question_codes(iiep)[obs[1].id]: "No sabe",
                                       question_codes(iiep)[obs[2].id]: "a1"}}], sep=";", heading="codetext")
    (sheet,) = read_responses(path) or []
    assert sheet.firm.name == "a1"  # the id when no name is given
    assert sheet.answers == {obs[0].id: scale.levels[-1].label["fr"], obs[1].id: "No sabe",
                             obs[2].id: iiep.scale_by_id[obs[2].scale].levels[0].code}


def test_several_responses_of_one_firm_are_its_respondents(tmp_path: Path, iiep: Framework) -> None:
    ls1, _ = level_answers(iiep, 1)
    ls2, _ = level_answers(iiep, 3)
    path = export_csv(tmp_path / "r.csv", iiep, [
        {"firm": {"id": "team", "name": "Team SA"}, "answers": ls1, "role": "director",
         "submitdate": "2025-03-01 10:00:00"},
        {"firm": {"id": "team"}, "answers": ls2, "role": "export_manager", "submitdate": "2025-03-03 10:00:00"},
        {"firm": {"id": "alone"}, "answers": ls1, "role": "rd_lead"},
    ])
    sheets = read_responses(path) or []
    assert [(s.firm.id, s.respondent and (s.respondent.id, s.respondent.role)) for s in sheets] == [
        ("team", ("response-1", "director")), ("team", ("response-2", "export_manager")), ("alone", None)]
    assert {s.assessed_on for s in sheets[:2]} == {dt.date(2025, 3, 3)}  # dated by the firm's last submission
    results = api.diagnose(sheets)
    assert [r.firm.id for r in results] == ["team", "alone"]
    assert {r.id for r in results[0].respondents} == {"response-1", "response-2"}
    assert RESPONDENT_ROLES[0] == "director"


def test_unsubmitted_responses_and_foreign_columns_are_left_out_with_a_note(tmp_path: Path, iiep: Framework) -> None:
    ls1, lv1 = level_answers(iiep, 1)
    path = export_csv(tmp_path / "r.csv", iiep, [
        {"firm": {"id": "done"}, "answers": ls1},
        {"firm": {"id": "halfway"}, "answers": ls1, "submitdate": None},
    ])
    text = path.read_text(encoding="utf-8-sig").replace('"id",', '"id","email","howFound",', 1)
    text = re.sub(r'(?m)^"(\d+)",', r'"\1","a@b.c","fair",', text)
    path.write_text(text, encoding="utf-8")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        sheets = read_responses(path) or []
    assert [s.firm.id for s in sheets] == ["done"] and sheets[0].answers == lv1
    notes = [str(w.message) for w in caught if issubclass(w.category, ReadingNote)]
    assert any("howFound" in n and "email" not in n for n in notes)
    assert any("1 response(s) without a submission date" in n for n in notes)


def test_other_csv_files_are_not_limesurvey_exports(tmp_path: Path) -> None:
    (tmp_path / "t.csv").write_text("firm_id,ip_registered\nf1,yes\n", encoding="utf-8")
    (tmp_path / "empty.csv").write_text("", encoding="utf-8")
    (tmp_path / "t.yaml").write_text("firm: {id: a}\n", encoding="utf-8")
    assert [read_responses(tmp_path / n) for n in ("t.csv", "empty.csv", "t.yaml", "missing.csv")] == [None] * 4


# --- hostile exports -----------------------------------------------------------------------------------


def refusal(path: Path) -> str:
    with pytest.raises(AnswersError) as caught:
        read_responses(path)
    return str(caught.value)


def column_of(path: Path, code: str) -> str:
    header = path.read_text(encoding="utf-8-sig").splitlines()[0].split(",")
    j = [h.strip('"') for h in header].index(code)
    letters = ""
    j += 1
    while j:
        j, rest = divmod(j - 1, 26)
        letters = chr(65 + rest) + letters
    return f"column {letters} ({code})"


def test_an_answer_code_off_the_scale_is_refused_at_its_row_and_column(tmp_path: Path, iiep: Framework) -> None:
    obs = iiep.observables[4]
    code = question_codes(iiep)[obs.id]
    path = export_csv(tmp_path / "r.csv", iiep, [{"firm": {"id": "ok"}}, {"firm": {"id": "bad"},
                                                                         "raw": {code: "A9"}}])
    sheets = read_responses(path) or []
    with pytest.raises(AnswersError) as caught:
        api.diagnose(sheets)
    assert f"r.csv, row 3, {column_of(path, code)}, firm bad, question {obs.id}" in str(caught.value)


@pytest.mark.parametrize(("raw", "code", "message"), [
    ({"employees": "many"}, "employees", "'many' is not a number"),
    ({"employees": "12.5"}, "employees", "12.5 is not a whole number"),
    ({"exportShare": "140"}, "exportShare", "140 is not a percentage between 0 and 100"),
    ({"size": "HUGE"}, "size", "'HUGE' is not a size"),
    ({ROLE_CODE: "BOSS"}, ROLE_CODE, "'BOSS' is not a role"),
    ({"startlanguage": "de"}, "startlanguage", "language 'de' is not one of fr, es, en"),
    ({"IXframework": "Robert'); DROP"}, "IXframework", "is not a framework id"),
    ({"IXframework": "nope"}, "IXframework", "framework nope, which is not built in"),
    ({"IXmodules": "wine@x"}, "IXmodules", "is not a module"),
    ({"IXversion": "1.0"}, "IXversion", "'1.0' is not a version"),
    ({"submitdate": "yesterday"}, "submitdate", "'yesterday' is not a date"),
    ({"founded": "3000"}, "founded", "field firm.founded"),
    ({"firmId": "x" * 200}, "firmId", "field firm.id"),
])
def test_bad_values_are_refused_naming_row_and_column(tmp_path: Path, iiep: Framework, raw: dict[str, str],
                                                      code: str, message: str) -> None:
    path = export_csv(tmp_path / "r.csv", iiep, [{"firm": {"id": "ok"}}, {"firm": {"id": "bad"}, "raw": raw}])
    text = refusal(path)
    assert f"r.csv, row 3, {column_of(path, code)}" in text and message in text, text


def test_an_empty_firm_id_is_refused_at_its_cell(tmp_path: Path, iiep: Framework) -> None:
    path = export_csv(tmp_path / "r.csv", iiep, [{"firm": {"name": "Nameless"}}])
    text = refusal(path)
    assert f"row 2, {column_of(path, 'firmId')}: field firm.id: the firm's identifier (firmId) is empty" in text
    assert "firm.name" not in text


def test_a_question_code_the_framework_does_not_have_is_refused(tmp_path: Path, iiep: Framework) -> None:
    path = export_csv(tmp_path / "r.csv", iiep, [{"firm": {"id": "a"}}, {"firm": {"id": "b"}}])
    first = question_codes(iiep)[iiep.observables[0].id]
    text = path.read_text(encoding="utf-8-sig").replace(f'"{first}"', '"QIpStolen"', 1)
    path.write_text(text, encoding="utf-8")
    text = refusal(path)
    assert f"r.csv, row 2, {column_of(path, 'QIpStolen')}: QIpStolen is not a question of iiep" in text
    assert text.count("QIpStolen is not") == 1  # once, not once per row


def test_a_hostile_response_id_is_refused_at_its_cell(tmp_path: Path, iiep: Framework) -> None:
    path = export_csv(tmp_path / "r.csv", iiep, [{"firm": {"id": "a"}}, {"firm": {"id": "a"}}])
    text = path.read_text(encoding="utf-8-sig").replace('\n"2",', '\n"' + "9" * 300 + '",', 1)
    path.write_text(text, encoding="utf-8")
    assert f"r.csv, row 3, {column_of(path, 'id')}: field respondent.id" in refusal(path)


def test_a_broken_or_oversized_table_is_refused_with_its_place(tmp_path: Path, iiep: Framework,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    path = export_csv(tmp_path / "r.csv", iiep, [{"firm": {"id": "a"}}, {"firm": {"id": "b"}}])
    lines = path.read_text(encoding="utf-8-sig").splitlines()
    (tmp_path / "extra.csv").write_text("\n".join([*lines[:2], lines[2] + ',"spill"']), encoding="utf-8")
    assert "extra.csv, row 3: " in refusal(tmp_path / "extra.csv")
    assert "cells but only" in refusal(tmp_path / "extra.csv")
    (tmp_path / "dupe.csv").write_text(lines[0] + ',"firmId"\n' + lines[1], encoding="utf-8")
    assert "dupe.csv, row 1: duplicated column(s): firmId" in refusal(tmp_path / "dupe.csv")
    (tmp_path / "nul.csv").write_text(lines[0] + "\n" + lines[1].replace('"a"', '"a\0"'), encoding="utf-8")
    assert "nul.csv, byte " in refusal(tmp_path / "nul.csv")  # files.limits' refusal of a binary file
    import innexport.files.limesurvey as ls

    monkeypatch.setattr("innexport.files.limits.MAX_TABLE_ROWS", 2)
    assert "r.csv, row 3: 3 rows: more than the 2 accepted" in refusal(path)
    monkeypatch.setattr(ls, "MAX_TABLE_BYTES", 100)
    assert "larger than the 100 bytes accepted" in refusal(path)


def test_an_export_without_the_framework_column_is_refused(tmp_path: Path) -> None:
    (tmp_path / "other.csv").write_text('"id","submitdate","lastpage","startlanguage","G01Q01"\n"1","2025-01-01",'
                                        '"1","fr","A1"\n', encoding="utf-8")
    assert "other.csv, row 1: a LimeSurvey response export without the column IXframework" in \
        refusal(tmp_path / "other.csv")


def test_a_custom_framework_is_read_when_given(tmp_path: Path, iiep: Framework) -> None:
    custom = Framework.model_validate(iiep.model_dump(mode="json", exclude={"modules"}) | {"id": "ours"})
    ls1, lv1 = level_answers(custom, 2)
    path = export_csv(tmp_path / "r.csv", custom, [{"firm": {"id": "a"}, "answers": ls1}])
    assert "framework ours, which is not built in" in refusal(path)
    (sheet,) = read_responses(path, custom) or []
    assert sheet.framework == "ours" and sheet.answers == lv1


# --- end to end: the command line both ways, the Excel export -------------------------------------------


def test_the_cli_writes_the_lss_and_diagnoses_its_responses(tmp_path: Path, iiep: Framework) -> None:
    import json

    from typer.testing import CliRunner

    from innexport.cli import _register, app

    _register()
    runner = CliRunner()
    res = runner.invoke(app, ["questionnaire", "--lang", "es", "--format", "lss", "--out", str(tmp_path / "s.lss")])
    assert res.exit_code == 0, res.output
    root = ET.parse(tmp_path / "s.lss").getroot()
    codes = {q["title"] for q in rows_of(root, "questions")}
    assert set(question_codes(iiep).values()) <= codes and rows_of(root, "surveys")[0]["language"] == "es"

    ls1, lv1 = level_answers(iiep, 1)
    path = export_csv(tmp_path / "results-survey1.csv", iiep, [{"firm": {"id": "cli-1", "name": "Uno"},
                                                                "answers": ls1, "lang": "es"}])
    res = runner.invoke(app, ["diagnose", str(path), "--out", str(tmp_path / "r.json")])
    assert res.exit_code == 0, res.output
    (firm,) = json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))["firms"]
    expected = api.diagnose(read_answers_text(yaml.safe_dump(
        {"firm": {"id": "cli-1", "name": "Uno"}, "lang": "es", "assessed_on": "2025-03-04", "answers": lv1})))[0]
    assert firm["indices"]["iiep"]["value"] == pytest.approx(expected.indices["iiep"].value)
    assert firm["firm"]["id"] == "cli-1" and firm["lang"] == "es"

    bad = export_csv(tmp_path / "bad.csv", iiep, [{"firm": {"id": "b"}, "raw": {"employees": "lots"}}])
    res = runner.invoke(app, ["diagnose", str(bad), "--out", str(tmp_path / "b.json")])
    assert res.exit_code == 2 and f"bad.csv, row 2, {column_of(bad, 'employees')}" in res.output


def test_the_excel_export_reads_like_the_csv(tmp_path: Path, iiep: Framework) -> None:
    import csv

    import openpyxl

    from innexport.files.answers import read_answers

    ls1, lv1 = level_answers(iiep, 2)
    path = export_csv(tmp_path / "r.csv", iiep, [{"firm": {"id": "x1", "employees": "12"}, "answers": ls1}])
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "results"
    for row in csv.reader(path.read_text(encoding="utf-8-sig").splitlines()):
        if row:
            sheet.append([float(c) if c.isdigit() else (c or None) for c in row])
    book.save(tmp_path / "r.xlsx")
    from_xlsx, from_csv = read_responses(tmp_path / "r.xlsx") or [], read_responses(path) or []
    assert [s.model_dump() for s in from_xlsx] == [s.model_dump() for s in from_csv]
    assert from_xlsx[0].firm.employees == 12 and from_xlsx[0].answers == lv1
    # innexport's own readers hand both exports over (files.answers' dispatch)
    assert [s.model_dump() for s in read_answers(tmp_path / "r.xlsx")] == [s.model_dump() for s in from_csv]
    assert [s.model_dump() for s in read_answers(path)] == [s.model_dump() for s in from_csv]


def test_the_firm_group_asks_its_fields_with_their_limits(tmp_path: Path, iiep: Framework) -> None:
    write_lss(iiep, "fr", tmp_path / "s.lss")
    root = ET.parse(tmp_path / "s.lss").getroot()
    questions = {q["title"]: q for q in rows_of(root, "questions")}
    assert [c for c, q in questions.items() if q["mandatory"] == "Y"] == ["firmId"]
    attrs: dict[tuple[str, str], list[tuple[str, str]]] = {}
    for a in rows_of(root, "question_attributes"):
        attrs.setdefault((a["qid"], a["attribute"]), []).append((a["language"], a["value"]))
    share = questions["exportShare"]["qid"]
    assert attrs[share, "min_num_value_n"] == [("", "0")] and attrs[share, "max_num_value_n"] == [("", "100")]
    assert sorted(attrs[share, "suffix"]) == sorted((lg, "%") for lg in LANGUAGES)
    assert attrs[questions["employees"]["qid"], "num_value_int_only"] == [("", "1")]
    labels = {r["language"]: r["question"] for r in rows_of(root, "question_l10ns")
              if r["qid"] == questions["firmName"]["qid"]}
    from innexport.rendering.i18n import translator

    assert labels == {lg: translator(lg).t("questionnaire.label.firm_name") for lg in LANGUAGES}
    assert labels["fr"] == "Entreprise"
    size_options = [a["code"] for a in rows_of(root, "answers") if a["qid"] == questions["size"]["qid"]]
    assert size_options == list(SIZE_CODES.values())
