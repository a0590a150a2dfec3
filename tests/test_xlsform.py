"""XLSForm both ways (issue 13): the form innexport writes is converted by pyxform (and checked by ODK
Validate when Java is there); submissions of that converted form, exported as ODK Central and
KoBoToolbox write them (CSV and XLSX), are diagnosed to the same result as the same answers in YAML;
hostile exports are refused naming the row and the column.

The exports are generated from the converted form's own structure (pyxform's survey tree): each
field's column is its group path joined as the platform joins it (ODK Central: ``-``, after
``SubmissionDate`` and before ``KEY``… ``FormVersion``, getodk/central-backend ``lib/data/briefcase.js``;
KoBoToolbox: ``/``, ``;``-separated with every cell quoted, its ``_id``… ``_index`` columns at the end,
kobotoolbox/formpack ``reporting/export.py`` and kpi's ``COPY_FIELDS``).
"""

from __future__ import annotations

import csv
import shutil
import warnings
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from hypothesis import given
from hypothesis import strategies as st
from typer.testing import CliRunner

from innexport.api import diagnose_grouped
from innexport.cli import _register, app
from innexport.core.answers import canonical
from innexport.core.assessment import AnswersError, AnswerSheet
from innexport.core.framework import DONT_KNOW, LANGUAGES, Framework
from innexport.files.answers import ReadingNote, read_answers, table_kind
from innexport.files.frameworks import load_framework
from innexport.files.odk import FIRM_GROUP, dimension_group, sheets_from_rows
from innexport.rendering.xlsform import form_id, form_version, language_column, write_xlsform

pyxform = pytest.importorskip("pyxform")
from pyxform.xls2xform import convert  # noqa: E402 - after the importorskip that names the dev extra

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = sorted((ROOT / "examples").glob("*.yaml"))
TEAM = sorted((ROOT / "examples" / "team").glob("*.yaml"))
XF = "{http://www.w3.org/2002/xforms}"
runner = CliRunner()

CENTRAL_TAIL = ["KEY", "SubmitterID", "SubmitterName", "AttachmentsPresent", "AttachmentsExpected", "Status",
                "ReviewState", "DeviceID", "Edits", "FormVersion"]
KOBO_TAIL = ["_id", "_uuid", "_submission_time", "_validation_status", "_notes", "_status", "_submitted_by",
             "__version__", "_tags", "_index"]


def run(*args: str) -> Any:
    _register()
    return runner.invoke(app, list(args))


@pytest.fixture(scope="module")
def wine() -> Framework:
    return load_framework("iiep", ["wine"])


@pytest.fixture(scope="module")
def form(wine: Framework, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The wine framework's XLSForm in Spanish, converted by pyxform (and ODK Validate when Java is installed)."""
    path = tmp_path_factory.mktemp("form") / "form.xlsx"
    write_xlsform(wine, "es", path)
    found: list[str] = []
    result = convert(str(path), warnings=found, validate=shutil.which("java") is not None)
    return {"path": path, "xform": result.xform, "tree": result._pyxform, "warnings": found}


def fields(tree: dict[str, Any], path: tuple[str, ...] = ()) -> list[tuple[tuple[str, ...], str, str]]:
    """The converted form's fields with their group path and type, in form order (what an export's columns follow)."""
    out: list[tuple[tuple[str, ...], str, str]] = []
    for child in tree.get("children", []):
        if child["type"] == "group":
            out.extend(fields(child, (*path, child["name"])))
        else:
            out.append(((*path,), child["name"], child["type"]))
    return out


# --- the form -------------------------------------------------------------------------------------


def test_pyxform_converts_the_form_with_every_question_and_choice(form: dict[str, Any], wine: Framework) -> None:
    assert form["warnings"] == []
    root = ET.fromstring(form["xform"])
    body = root.find("{http://www.w3.org/1999/xhtml}body")
    assert body is not None
    selects = body.findall(f".//{XF}select1")
    # one list question per observable, plus the firm's size and the respondent's role
    assert len(selects) == len(wine.observables) + 2 == 93 + 2
    assert [g.get("ref") for g in body.findall(f"{XF}group")] == (
        ["/data/firm"] + [f"/data/dim_{d.id}" for d in wine.dimensions])
    # choices: each scale's levels and "don't know", in a secondary instance per list
    used = {o.scale for o in wine.observables}
    instances = {i.get("id"): i for i in root.iter(f"{XF}instance") if i.get("id")}
    for scale in wine.scales:
        if scale.id in used:
            names = [v.text for v in instances[f"scale_{scale.id}"].iter(f"{XF}name")]
            assert names == [lv.code for lv in scale.levels] + [DONT_KNOW]
    assert [v.text for v in instances["firm_size"].iter(f"{XF}name")] == ["micro", "small", "medium", "large"]
    # three languages, Spanish the default one
    translations = {t.get("lang"): t.get("default") for t in root.iter(f"{XF}translation")}
    assert translations == {"French (fr)": None, "Spanish (es)": "true()", "English (en)": None}
    data = root.find(f".//{XF}instance/{XF}data")
    assert data is not None
    assert data.get("id") == "innexport_iiep_wine" == form_id(wine)
    assert data.get("version") == form_version(wine) and form_version(wine).startswith("1.1.0-")
    # the questions' help is their hint, in each language
    q = wine.observables[0]
    spanish = next(t for t in root.iter(f"{XF}translation") if t.get("lang") == "Spanish (es)")
    texts = {t.get("id"): t.find(f"{XF}value").text for t in spanish}  # type: ignore[union-attr]
    group = f"dim_{wine.dimension_of[wine.activity_of[q.id].id].id}"
    assert texts[f"/data/{group}/{q.id}:label"] == q.question["es"]
    assert texts[f"/data/{group}/{q.id}:hint"] == q.help["es"]


def test_the_workbook_has_the_three_sheets_and_language_columns(form: dict[str, Any], wine: Framework) -> None:
    book = openpyxl.load_workbook(form["path"])
    assert book.sheetnames == ["survey", "choices", "settings"]
    header = [c.value for c in book["survey"][1]]
    for kind in ("label", "hint"):
        assert [language_column(kind, lang) for lang in LANGUAGES] == [h for h in header if str(h).startswith(kind)]
    assert language_column("label", "fr") == "label::French (fr)"
    survey = [dict(zip(header, (c.value for c in row), strict=True)) for row in book["survey"].iter_rows(min_row=2)]
    assert sum(r["type"] == "begin_group" for r in survey) == len(wine.dimensions) + 1
    assert sum(str(r["type"]).startswith("select_one scale_") for r in survey) == len(wine.observables)
    stamp = {r["name"]: r["calculation"] for r in survey if r["type"] == "calculate"}
    assert stamp == {"framework": "'iiep'", "version": "'1.1.0'", "modules": "'wine'", "lang": "'es'",
                     "framework_hash": f"'{wine.content_hash}'"}
    choices = list(book["choices"].iter_rows(min_row=2, values_only=True))
    n_choices = sum(len(s.levels) + 1 for s in wine.scales if any(o.scale == s.id for o in wine.observables))
    assert len(choices) == n_choices + 4 + 5  # the scales' (with dk), the sizes, the roles
    settings = dict(zip(*book["settings"].iter_rows(values_only=True), strict=True))
    assert settings["default_language"] == "Spanish (es)" and settings["form_id"] == "innexport_iiep_wine"


def test_the_cli_writes_an_xlsform_and_refuses_what_it_cannot_write(tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "form.xlsx"
    res = run("questionnaire", "--framework", "iiep", "--lang", "fr", "--format", "xlsform", "--out", str(out))
    assert res.exit_code == 0, res.output
    assert "XLSForm written" in res.output and "78 questions" in res.output
    assert openpyxl.load_workbook(out).sheetnames == ["survey", "choices", "settings"]
    res = run("questionnaire", "--format", "xlsform", "--out", str(tmp_path / "form.csv"))
    assert res.exit_code == 2 and "--format xlsform writes a .xlsx file" in res.output
    res = run("questionnaire", "--format", "odt", "--out", str(out))
    assert res.exit_code == 2 and "unknown format 'odt'" in res.output
    from innexport.cli import questionnaire as cmd

    monkeypatch.setitem(cmd.FORMATS, "lss", ("innexport.rendering.no_such_module", "write_lss", ".lss"))
    res = run("questionnaire", "--format", "lss", "--out", str(tmp_path / "s.lss"))
    assert res.exit_code == 2 and "the lss format is not available" in res.output
    # auto still chooses by the suffix
    res = run("questionnaire", "--lang", "es", "--out", str(tmp_path / "q.xlsx"))
    assert res.exit_code == 0 and "questionnaire" in openpyxl.load_workbook(tmp_path / "q.xlsx").sheetnames


# --- the way back ---------------------------------------------------------------------------------


def _values(wine: Framework, sheet: AnswerSheet, name: str) -> Any:
    """What a submission holds for field ``name`` of the form, for the firm of ``sheet``."""
    firm = sheet.firm
    own = {"firm_id": firm.id, "firm_name": firm.name, "country": firm.country, "region": firm.region,
           "sector": firm.sector, "size": firm.size, "employees": firm.employees, "founded": firm.founded,
           "export_share": None if firm.export_share is None else round(firm.export_share * 100, 6),
           "rd_intensity": None if firm.rd_intensity is None else round(firm.rd_intensity * 100, 6),
           "contact": firm.contact, "assessed_on": sheet.assessed_on and sheet.assessed_on.isoformat(),
           "assessor": sheet.assessor, "respondent_role": sheet.respondent and sheet.respondent.role,
           "framework": wine.id, "version": wine.version, "modules": ";".join(m.id for m in wine.modules),
           "lang": sheet.lang, "framework_hash": wine.content_hash, "start": "2026-11-20T09:00:00.000+01:00",
           "end": "2026-11-20T10:10:00.000+01:00", "instanceID": f"uuid:{firm.id}-{id(sheet)}",
           "instanceName": f"{firm.id} {firm.name}"}
    if name in own:
        return own[name]
    raw = sheet.answers.get(name)
    return None if raw is None else canonical(wine, name, raw) or None  # the choice's name, as submitted


def central_rows(form: dict[str, Any], wine: Framework, sheets: list[AnswerSheet],
                 group_paths: bool = True) -> list[list[Any]]:
    """The sheets as ODK Central's CSV export of the form's submissions."""
    cols = fields(form["tree"])
    header = ["SubmissionDate", *(("-".join((*p, n)) if group_paths else n) for p, n, _ in cols), *CENTRAL_TAIL]
    rows = [header]
    for i, sheet in enumerate(sheets):
        meta = [f"uuid:{sheet.firm.id}-{i}", "5", "Ana", "0", "0", "", "", "", "0", form_version(wine)]
        rows.append(["2026-11-20T09:10:11.000Z", *(_values(wine, sheet, n) for _, n, _ in cols), *meta])
    return rows


def kobo_rows(form: dict[str, Any], wine: Framework, sheets: list[AnswerSheet], sep: str = "/") -> list[list[Any]]:
    """The sheets as KoBoToolbox's export ("XML values and headers", groups in headers)."""
    cols = [(p, n) for p, n, _ in fields(form["tree"]) if p != ("meta",)]  # KoBo shows _uuid instead
    header = [sep.join((*p, n)) for p, n in cols] + KOBO_TAIL
    rows = [header]
    for i, sheet in enumerate(sheets):
        meta = [str(100 + i), f"{sheet.firm.id}-{i}", "2026-11-20T09:10:11", "", "", "submitted_via_web", "ana",
                "vHx3kP2m9", "", str(i + 1)]
        rows.append([*(_values(wine, sheet, n) for _, n in cols), *meta])
    return rows


def write_central_csv(path: Path, rows: list[list[Any]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as f:
        csv.writer(f).writerows([["" if v is None else v for v in r] for r in rows])
    return path


def write_kobo_csv(path: Path, rows: list[list[Any]]) -> Path:
    """As formpack's ``to_csv``: ``;`` between cells, every cell quoted, quotes doubled (and a BOM)."""
    lines = [";".join('"' + str("" if v is None else v).replace('"', '""') + '"' for v in r) for r in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8-sig")
    return path


def write_kobo_xlsx(path: Path, rows: list[list[Any]], title: str, typed: bool = False) -> Path:
    """As formpack's ``to_xlsx``: one sheet named after the form (31 characters at most), values as
    text (KoBoToolbox's default) or, ``typed``, numbers as numbers and dates as dates."""
    import datetime as dt
    import re

    def cell(v: Any) -> Any:
        if v is None or not typed:
            return None if v is None else str(v)
        if isinstance(v, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", v):
            return dt.datetime.fromisoformat(v)
        return v

    book = openpyxl.Workbook()
    ws = book.active
    ws.title = title[:31]
    for r in rows:
        ws.append([cell(v) for v in r])
    book.save(path)
    return path


def same_results(a: list[Any], b: list[Any]) -> None:
    """The same results but for the comments: the form has no comment fields (docs/xlsform.md)."""
    assert [r.firm.id for r in a] == [r.firm.id for r in b]
    for x, y in zip(a, b, strict=True):
        assert x.model_dump(exclude={"comments"}) == y.model_dump(exclude={"comments"})
        assert x.comments == {} and y.comments


EXPORTS: dict[str, Callable[..., Path]] = {
    "central.csv": lambda d, form, wine, sheets: write_central_csv(d / "central.csv", central_rows(form, wine, sheets)),
    "central-no-groups.csv": lambda d, form, wine, sheets: write_central_csv(
        d / "central-no-groups.csv", central_rows(form, wine, sheets, group_paths=False)),
    "kobo.csv": lambda d, form, wine, sheets: write_kobo_csv(d / "kobo.csv", kobo_rows(form, wine, sheets)),
    "kobo-dots.csv": lambda d, form, wine, sheets: write_kobo_csv(d / "kobo-dots.csv", kobo_rows(form, wine, sheets, ".")),
    "kobo.xlsx": lambda d, form, wine, sheets: write_kobo_xlsx(d / "kobo.xlsx", kobo_rows(form, wine, sheets),
                                                                wine.title["es"]),
    "kobo-typed.xlsx": lambda d, form, wine, sheets: write_kobo_xlsx(
        d / "kobo-typed.xlsx", kobo_rows(form, wine, sheets), wine.title["es"], typed=True),
}


@pytest.mark.parametrize("export", list(EXPORTS))
def test_exports_diagnose_like_the_same_answers_in_yaml(export: str, form: dict[str, Any], wine: Framework,
                                                        tmp_path: Path) -> None:
    yaml_sheets = [s for p in EXAMPLES for s in read_answers(p)]
    path = EXPORTS[export](tmp_path, form, wine, yaml_sheets)
    sheets = read_answers(path)
    assert [s.firm.id for s in sheets] == [s.firm.id for s in yaml_sheets]
    assert sheets[0].framework == "iiep" and sheets[0].modules == ["wine"] and sheets[0].version == "1.1.0"
    assert sheets[0].firm.export_share == yaml_sheets[0].firm.export_share
    expected, _ = diagnose_grouped(yaml_sheets, draws=50, seed=7)
    got, _ = diagnose_grouped(sheets, draws=50, seed=7)
    same_results(got, expected)


def test_innexport_diagnose_reads_an_export(form: dict[str, Any], wine: Framework, tmp_path: Path) -> None:
    yaml_sheets = [s for p in EXAMPLES for s in read_answers(p)]
    export = write_central_csv(tmp_path / "export.csv", central_rows(form, wine, yaml_sheets))
    res = run("diagnose", str(export), "--out", str(tmp_path / "r.json"), "--draws", "0")
    assert res.exit_code == 0, res.output
    import json

    doc = json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))
    firms = doc["firms"] if isinstance(doc, dict) and "firms" in doc else doc
    assert len(firms) == 3


def test_a_team_in_an_export_is_consolidated_like_its_yaml_files(form: dict[str, Any], wine: Framework,
                                                                  tmp_path: Path) -> None:
    team = [s for p in TEAM for s in read_answers(p)]
    sheets = read_answers(write_kobo_csv(tmp_path / "team.csv", kobo_rows(form, wine, team)))
    assert [s.respondent.role for s in sheets if s.respondent] == [s.respondent.role for s in team if s.respondent]
    assert len({s.respondent.id for s in sheets if s.respondent}) == 3  # each submission's _uuid
    expected, _ = diagnose_grouped(team, draws=0)
    got, _ = diagnose_grouped(sheets, draws=0)
    assert len(got) == 1
    assert got[0].indices == expected[0].indices and got[0].priorities == expected[0].priorities
    # the same respondents (by role, in order) and the same disagreement, who said what under their new ids
    assert [(r.role, r.answered, r.dont_know) for r in got[0].respondents] == [
        (r.role, r.answered, r.dont_know) for r in expected[0].respondents]
    mine, theirs = got[0].disagreement, expected[0].disagreement
    assert mine is not None and theirs is not None
    new_id = {e.id: g.id for e, g in zip(expected[0].respondents, got[0].respondents, strict=True)}
    assert set(new_id.values()) == {f"fr-maison-lacoste-{i}" for i in range(3)}
    renamed = [q.model_copy(update={"answers": {new_id[k]: v for k, v in q.answers.items()}})
               for q in theirs.questions]
    assert mine.questions == renamed and len(renamed) > 10
    assert mine.activities == theirs.activities


def test_rejected_submissions_are_left_out_with_a_note(form: dict[str, Any], wine: Framework) -> None:
    rows = central_rows(form, wine, [s for p in EXAMPLES for s in read_answers(p)])
    rows[2][rows[0].index("ReviewState")] = "rejected"
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        sheets = sheets_from_rows("central.csv", rows)
    assert len(sheets) == 2 and rows[2][rows[0].index("firm-firm_id")] not in [s.firm.id for s in sheets]
    assert [str(w.message) for w in caught if issubclass(w.category, ReadingNote)] == [
        "central.csv: row(s) 3 left out: rejected on the platform (review state or validation status)"]


def test_tables_are_told_apart_by_their_columns() -> None:
    assert table_kind(["SubmissionDate", "firm-firm_id", "KEY"]) == "odk"
    assert table_kind(["firm/firm_id", "dim_networks/net_strong_ties_firms"]) == "odk"
    assert table_kind(["firm_id", "net_strong_ties_firms", "_submission_time"]) == "odk"
    assert table_kind(["firm_id", "framework", "net_strong_ties_firms"]) == "table"
    assert table_kind(["id", "submitdate", "lastpage", "startlanguage"]) == "limesurvey"


# --- hostile exports ---------------------------------------------------------------------------------


def _hostile(form: dict[str, Any], wine: Framework, tmp_path: Path, change: Callable[[list[list[Any]]], None]) -> Any:
    rows = central_rows(form, wine, [s for p in EXAMPLES for s in read_answers(p)])
    change(rows)
    path = write_central_csv(tmp_path / "hostile.csv", rows)
    return run("diagnose", str(path), "--out", str(tmp_path / "r.json"), "--draws", "0")


def _letter(rows: list[list[Any]], name: str) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(rows[0].index(name) + 1)


def test_an_unknown_question_column_is_refused_naming_its_column(form: dict[str, Any], wine: Framework,
                                                                 tmp_path: Path) -> None:
    seen: dict[str, str] = {}

    def change(rows: list[list[Any]]) -> None:
        j = rows[0].index("dim_networks-net_strong_ties_firms")
        rows[0][j] = "dim_networks-net_strong_ties_firmz"
        seen["col"] = _letter(rows, rows[0][j])

    res = _hostile(form, wine, tmp_path, change)
    assert res.exit_code == 2
    output = " ".join(res.output.split())
    assert f"column {seen['col']} (dim_networks-net_strong_ties_firmz), question net_strong_ties_firmz" in output
    assert "unknown question id" in output and "did you mean net_strong_ties_firms?" in output


def test_a_column_that_is_no_field_is_refused_in_row_1(form: dict[str, Any], wine: Framework,
                                                        tmp_path: Path) -> None:
    def change(rows: list[list[Any]]) -> None:
        for row in rows:
            row.insert(3, "x")
        rows[0][3] = "¿Nota?"

    res = _hostile(form, wine, tmp_path, change)
    assert res.exit_code == 2
    assert "hostile.csv, row 1, column D (¿Nota?): not a field of innexport's form" in res.output


def test_a_bad_choice_name_is_refused_naming_row_and_column(form: dict[str, Any], wine: Framework,
                                                            tmp_path: Path) -> None:
    seen: dict[str, str] = {}

    def change(rows: list[list[Any]]) -> None:
        rows[3][rows[0].index("dim_networks-net_weak_ties_support_bodies")] = "sometimez"
        seen["col"] = _letter(rows, "dim_networks-net_weak_ties_support_bodies")

    res = _hostile(form, wine, tmp_path, change)
    assert res.exit_code == 2
    assert (f"hostile.csv, row 4, column {seen['col']} (dim_networks-net_weak_ties_support_bodies)" in res.output
            and "'sometimez' is not on the scale" in res.output)


def test_a_duplicated_firm_id_is_refused_naming_both_rows(form: dict[str, Any], wine: Framework,
                                                          tmp_path: Path) -> None:
    seen: dict[str, str] = {}

    def change(rows: list[list[Any]]) -> None:
        j = rows[0].index("firm-firm_id")
        rows[3][j] = rows[1][j]
        seen["col"], seen["id"] = _letter(rows, "firm-firm_id"), rows[1][j]

    res = _hostile(form, wine, tmp_path, change)
    assert res.exit_code == 2
    output = " ".join(res.output.split())
    assert (f"hostile.csv, row 4, column {seen['col']} (firm-firm_id), firm {seen['id']}: firm id '{seen['id']}' "
            f"already used by hostile.csv, row 2, column {seen['col']} (firm-firm_id)") in output.replace(
                str(tmp_path) + "/", "")


def test_bad_firm_fields_are_refused_naming_row_and_column() -> None:
    header = ["SubmissionDate", "firm-firm_id", "firm-size", "firm-export_share", "firm-respondent_role",
              "firm-founded", "KEY"]
    rows: list[list[Any]] = [header, ["t", "f1", "huge", "45", "ceo", "1998", "k1"],
                             ["t", "f2", "small", "a lot", None, "999", "k2"], ["t", None, None, None, None, None, "k3"]]
    with pytest.raises(AnswersError) as caught:
        sheets_from_rows("x.csv", rows)
    problems = [str(p) for p in caught.value.problems]
    assert any(p.startswith("x.csv, row 2, column C (firm-size), field firm.size") for p in problems)
    assert any(p.startswith("x.csv, row 2, column E (firm-respondent_role), field respondent.role")
               and "unknown role 'ceo'" in p for p in problems)
    assert "x.csv, row 3, column D (firm-export_share): 'a lot' is not a percentage (a number from 0 to 100)" in problems
    assert "x.csv, row 4, column B (firm-firm_id): the firm's id (firm_id) is empty" in problems
    assert len(problems) == 4  # row 3's year is refused once its percentage is fixed


def test_an_encrypted_submission_names_central_s_status() -> None:
    rows: list[list[Any]] = [["SubmissionDate", "firm-firm_id", "KEY", "Status"],
                             ["t", None, "k1", "missing encrypted form data"]]
    with pytest.raises(AnswersError, match=r"x.csv, row 2, column B \(firm-firm_id\): the submission cannot be "
                                           r"read: missing encrypted form data"):
        sheets_from_rows("x.csv", rows)


def test_an_export_with_labels_as_headers_says_how_to_export() -> None:
    rows = [["Identifiant", "Pays", "_uuid"], ["f1", "FR", "u1"]]
    with pytest.raises(AnswersError) as caught:
        sheets_from_rows("kobo.csv", rows)
    assert "kobo.csv, row 1: no `firm/firm_id` column" in str(caught.value)


def test_percentages_and_dates_are_read_as_the_answer_files_hold_them() -> None:
    import datetime as dt

    rows: list[list[Any]] = [
        ["firm/firm_id", "firm/export_share", "firm/rd_intensity", "firm/assessed_on", "firm/employees", "_uuid"],
        ["f1", "45,5", 2, dt.datetime(2026, 11, 20), "12", "u"]]
    sheet, = sheets_from_rows("k.xlsx", rows)
    assert sheet.firm.export_share == pytest.approx(0.455) and sheet.firm.rd_intensity == pytest.approx(0.02)
    assert sheet.assessed_on == dt.date(2026, 11, 20) and sheet.firm.employees == 12
    assert sheet.firm.name == "f1"  # the id when the name is blank, as in a table of firms


def test_kobo_xlsx_is_found_on_its_first_sheet(form: dict[str, Any], wine: Framework, tmp_path: Path) -> None:
    sheets = [s for p in EXAMPLES for s in read_answers(p)]
    path = write_kobo_xlsx(tmp_path / "k.xlsx", kobo_rows(form, wine, sheets), "Marco conjunto")
    got = read_answers(path)
    assert [s.firm.id for s in got] == [s.firm.id for s in sheets]
    assert got[0].where("net_strong_ties_firms").startswith(f"{path} [Marco conjunto], row 2, column ")


def test_a_central_csv_is_read_with_its_commas_and_a_kobo_csv_with_its_semicolons(tmp_path: Path) -> None:
    central = tmp_path / "c.csv"
    central.write_text('SubmissionDate,firm-firm_id,firm-firm_name,KEY\nt,f1,"Dupont, fils",k\n', encoding="utf-8")
    kobo = tmp_path / "k.csv"
    kobo.write_text('"firm/firm_id";"firm/firm_name";"_uuid"\n"f1";"Dupont; fils";"u"\n', encoding="utf-8")
    assert read_answers(central)[0].firm.name == "Dupont, fils"
    assert read_answers(kobo)[0].firm.name == "Dupont; fils"


# --- properties and the dispatch ----------------------------------------------------------------------

_FW = load_framework("iiep")


@st.composite
def submissions(draw: st.DrawFn) -> tuple[list[dict[str, Any]], str, bool]:
    """Firms' answers (a level code, a level label in any language, "don't know" or nothing for each
    of a few questions), a group separator and whether the export writes group paths."""
    questions = draw(st.lists(st.sampled_from(_FW.observables), min_size=1, max_size=8, unique_by=lambda o: o.id))
    firms = []
    for i in range(draw(st.integers(1, 4))):
        answers: dict[str, Any] = {}
        for obs in questions:
            level = draw(st.sampled_from(_FW.scale_by_id[obs.scale].levels))
            answers[obs.id] = draw(st.sampled_from([level.code, level.label[draw(st.sampled_from(LANGUAGES))],
                                                    DONT_KNOW, "No sabe", None]))
        firms.append({"id": f"f{i}", "answers": answers})
    return firms, draw(st.sampled_from(["/", "-", ".", ":"])), draw(st.booleans())


@given(submissions())
def test_any_export_reads_back_to_the_answers_submitted(case: tuple[list[dict[str, Any]], str, bool]) -> None:
    firms, sep, grouped = case
    group = {o.id: dimension_group(_FW.dimension_of[_FW.activity_of[o.id].id].id) for o in _FW.observables}
    questions = list(firms[0]["answers"])

    def column(g: str, name: str) -> str:
        return sep.join((g, name)) if grouped else name

    header = [column(FIRM_GROUP, "firm_id"), *(column(group[q], q) for q in questions), "_uuid"]
    rows: list[list[Any]] = [header] + [[f["id"], *(f["answers"][q] for q in questions), f"u{f['id']}"]
                                        for f in firms]
    sheets = sheets_from_rows("e.csv", rows)
    assert [s.firm.id for s in sheets] == [f["id"] for f in firms]
    for sheet, firm in zip(sheets, firms, strict=True):
        assert {q: canonical(_FW, q, v) for q, v in sheet.answers.items()} == {
            q: canonical(_FW, q, v) for q, v in firm["answers"].items()}
        column_of = {q: header.index(column(group[q], q)) for q in questions}
        for q in questions:
            assert sheet.where(q).startswith(f"e.csv, row {2 + firms.index(firm)}, column "
                                             f"{'ABCDEFGHIJ'[column_of[q]]} ({column(group[q], q)})")


def test_a_limesurvey_export_goes_to_its_reader(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import sys
    import types

    path = tmp_path / "responses.csv"
    path.write_text('"id","submitdate","lastpage","startlanguage","firmId"\n"1","2026-11-20","3","fr","f1"\n',
                    encoding="utf-8")
    fake = types.ModuleType("innexport.files.limesurvey")
    given_paths: list[Path] = []
    sheet = AnswerSheet.model_validate({"firm": {"id": "f1", "name": "F"}})
    fake.read_responses = lambda p: given_paths.append(p) or [sheet]  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "innexport.files.limesurvey", fake)
    assert read_answers(path) == [sheet] and given_paths == [path]
    monkeypatch.setitem(sys.modules, "innexport.files.limesurvey", None)  # not installed: a clear refusal
    with pytest.raises(AnswersError, match="this is a LimeSurvey response export, but"):
        read_answers(path)


def test_the_lss_format_is_wired_to_the_limesurvey_writer(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import types

    from innexport.cli import questionnaire as cmd

    written: list[tuple[str, str, Path]] = []
    fake = types.ModuleType("fake_limesurvey")
    fake.write_lss = lambda fw, lang, path: written.append((fw.label, lang, path))  # type: ignore[attr-defined]
    monkeypatch.setitem(__import__("sys").modules, "fake_limesurvey", fake)
    monkeypatch.setitem(cmd.FORMATS, "lss", ("fake_limesurvey", "write_lss", ".lss"))
    res = run("questionnaire", "--framework", "iiep", "--module", "wine", "--lang", "es", "--format", "lss",
              "--out", str(tmp_path / "s.lss"))
    assert res.exit_code == 0, res.output
    assert written == [("iiep 1.1.0 + wine 1.1.0", "es", tmp_path / "s.lss")]
    assert "LimeSurvey survey written" in res.output
