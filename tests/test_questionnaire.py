"""The blank questionnaire (XLSX, HTML, PDF) and ``innexport questionnaire``.

The XLSX round trip is the contract: what ``write_xlsx`` writes, filled in by a person with the
drop-down labels of its language, is read back by ``innexport.files.answers.read_answers`` and scored by
``innexport.core.assessment.diagnose`` without any change.
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import re
from pathlib import Path

import openpyxl
import pytest
from typer.testing import CliRunner

import innexport.cli.questionnaire  # noqa: F401 - registers the command on the app
from innexport.cli import app
from innexport.core.assessment import _DONT_KNOW_WORDS, AnswerSheet, answer_codes, diagnose, encode
from innexport.core.framework import LANGUAGES, Framework, FrameworkError
from innexport.files.answers import read_answers
from innexport.files.frameworks import load_framework
from innexport.rendering import questionnaire as qn
from innexport.rendering.documents import css_string
from innexport.rendering.i18n import translator

FIXTURES = Path(__file__).parent / "fixtures"
MINI = FIXTURES / "mini.yaml"
HAS_WEASYPRINT = importlib.util.find_spec("weasyprint") is not None
needs_weasyprint = pytest.mark.skipif(not HAS_WEASYPRINT, reason="WeasyPrint is not installed (pip install 'innexport[pdf]')")


@pytest.fixture(scope="module")
def mini() -> Framework:
    return load_framework(MINI)


@pytest.fixture(scope="module")
def iiep_wine() -> Framework:
    try:
        return load_framework("iiep", ["wine"])
    except FrameworkError as exc:
        pytest.skip(f"the built-in iiep framework with the wine module does not load yet: {exc}")


# --- helpers ---------------------------------------------------------------------------------------


def question_rows(ws) -> tuple[dict[str, int], dict[str, int]]:
    """Column index of each key and row number of each question id in the questionnaire sheet."""
    rows = list(ws.iter_rows(values_only=True))
    head = next(i for i, r in enumerate(rows) if "question_id" in r and "answer" in r)
    cols = {name: j + 1 for j, name in enumerate(rows[head]) if name}
    where = {r[cols["question_id"] - 1]: i + 1 for i, r in enumerate(rows) if i > head and r[cols["question_id"] - 1]}
    return cols, where


def fill(path: Path, answers: dict[str, str], firm: dict[str, object], comments: dict[str, str] | None = None) -> None:
    """Fill the questionnaire at ``path`` as a person would in a spreadsheet program."""
    book = openpyxl.load_workbook(path)
    ws = book["questionnaire"]
    cols, rows = question_rows(ws)
    for qid, answer in answers.items():
        ws.cell(rows[qid], cols["answer"], answer)
    for qid, text in (comments or {}).items():
        ws.cell(rows[qid], cols["comment"], text)
    fs = book["firm"]
    field_rows = {fs.cell(r, 1).value: r for r in range(2, fs.max_row + 1)}
    for key, value in firm.items():
        fs.cell(field_rows[key], 2, value)
    book.save(path)


def label(framework: Framework, qid: str, code: str, lang: str) -> str:
    scale = framework.scale_by_id[framework.observable_by_id[qid].scale]
    return next(level.label[lang] for level in scale.levels if level.code == code)


def validation_list(book, ws, coordinate: str) -> list[str]:
    """The values the drop-down of ``coordinate`` offers (its list validation resolved)."""
    hits = [dv for dv in ws.data_validations.dataValidation if coordinate in dv.sqref]
    assert len(hits) == 1, f"{coordinate}: {len(hits)} data validations"
    dv = hits[0]
    assert dv.type == "list"
    formula = dv.formula1.lstrip("=")
    if formula.startswith('"'):
        return formula.strip('"').split(",")
    sheet, ref = formula.rsplit("!", 1)
    target = book[sheet.strip("'")]
    return [c.value for row in target[ref.replace("$", "")] for c in row]


# --- XLSX round trip ---------------------------------------------------------------------------------

MINI_CODES = {"q1": "yes", "q2": "often", "q3": "no", "q4": "yes", "q5": "sometimes"}


@pytest.mark.parametrize("lang", LANGUAGES)
def test_xlsx_round_trip_gives_the_hand_computed_scores(mini: Framework, lang: str, tmp_path: Path) -> None:
    path = tmp_path / "q.xlsx"
    qn.write_xlsx(mini, lang, path)
    fill(path, {q: label(mini, q, c, lang) for q, c in MINI_CODES.items()},
         {"firm_id": "F001", "firm_name": "Bodega Uno", "country": "CL", "size": "small", "employees": 23,
          "founded": 1998, "export_share": 0.35, "rd_intensity": 0.02, "assessed_on": dt.date(2025, 3, 14),
          "assessor": "A. Ríos"},
         comments={"q2": "twice a year"})

    sheets = read_answers(path)
    assert len(sheets) == 1
    sheet = sheets[0]
    assert (sheet.framework, sheet.version, sheet.modules, sheet.lang) == ("mini", "0.1.0", [], lang)
    assert sheet.firm.id == "F001" and sheet.firm.name == "Bodega Uno"
    assert (sheet.firm.country, sheet.firm.size, sheet.firm.employees, sheet.firm.founded) == ("CL", "small", 23, 1998)
    assert sheet.firm.export_share == pytest.approx(0.35) and sheet.firm.rd_intensity == pytest.approx(0.02)
    assert sheet.assessed_on == dt.date(2025, 3, 14) and sheet.assessor == "A. Ríos"
    assert sheet.comments == {"q2": "twice a year"}

    (result,) = diagnose(mini, sheets)
    assert result.answers == MINI_CODES
    assert result.completeness == pytest.approx(1.0)
    assert result.dont_know == [] and result.missing == []
    scores = {a.id: a.score for a in result.activities}
    assert scores["a_joint"] == pytest.approx(5 / 6, abs=1e-6)
    assert scores["a_inn"] == pytest.approx(0.0, abs=1e-6)
    assert scores["a_exp"] == pytest.approx(0.5, abs=1e-6)
    assert result.indices["iip"].value == pytest.approx(5 / 12, abs=1e-6)
    assert result.indices["iep"].value == pytest.approx(2 / 3, abs=1e-6)
    assert result.indices["iiep"].value == pytest.approx(11 / 24, abs=1e-6)
    assert result.lang == lang


@pytest.mark.parametrize("lang", LANGUAGES)
def test_xlsx_dont_know_label_is_read_as_dont_know(mini: Framework, lang: str, tmp_path: Path) -> None:
    path = tmp_path / "q.xlsx"
    qn.write_xlsx(mini, lang, path)
    answers = {q: label(mini, q, c, lang) for q, c in MINI_CODES.items()}
    answers["q3"] = qn.dont_know_label(lang)
    fill(path, answers, {"firm_id": "F002"})
    (sheet,) = read_answers(path)
    assert sheet.firm.name == "F002"  # the name defaults to the id
    (result,) = diagnose(mini, [sheet])
    assert result.dont_know == ["q3"]
    assert result.answers["q3"] == "dk"
    assert result.completeness == pytest.approx(0.8)
    scores = {a.id: a.score for a in result.activities}
    assert scores["a_inn"] is None
    assert scores["a_joint"] == pytest.approx(5 / 6, abs=1e-6)
    assert scores["a_exp"] == pytest.approx(0.5, abs=1e-6)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_xlsx_round_trip_iiep_wine(iiep_wine: Framework, lang: str, tmp_path: Path) -> None:
    fw = iiep_wine
    path = tmp_path / "q.xlsx"
    qn.write_xlsx(fw, lang, path)
    obs = fw.observables
    answers = {o.id: fw.scale_by_id[o.scale].levels[-1].label[lang] for o in obs}
    answers[obs[0].id] = qn.dont_know_label(lang)
    fill(path, answers, {"firm_id": "W-7", "firm_name": "Viña Siete"})
    (sheet,) = read_answers(path)
    assert sheet.modules == [m.id for m in fw.modules] == ["wine"]
    (result,) = diagnose(fw, [sheet])
    assert result.dont_know == [obs[0].id]
    assert result.missing == []
    top = {o.id: fw.scale_by_id[o.scale].levels[-1].code for o in obs[1:]}
    assert {k: v for k, v in result.answers.items() if k != obs[0].id} == top
    for index in ("iip", "iep", "iiep"):
        assert result.indices[index].value == pytest.approx(1.0)


# --- the workbook in each language ---------------------------------------------------------------------


@pytest.mark.parametrize("which", ["mini", "iiep_wine"])
@pytest.mark.parametrize("lang", LANGUAGES)
def test_xlsx_is_in_the_chosen_language(which: str, lang: str, request, tmp_path: Path) -> None:
    fw: Framework = request.getfixturevalue(which)
    path = tmp_path / "q.xlsx"
    qn.write_xlsx(fw, lang, path)
    book = openpyxl.load_workbook(path)
    assert book.sheetnames[:3] == [translator(lang).t("questionnaire.sheet.instructions"), "firm", "questionnaire"]
    assert book.active.title == book.sheetnames[0]
    ws = book["questionnaire"]
    cols, rows = question_rows(ws)
    assert list(rows) == [o.id for o in fw.observables]
    assert ws.freeze_panes == "A3"
    dk = qn.dont_know_label(lang)
    for o in fw.observables:
        r = rows[o.id]
        assert ws.cell(r, cols["question"]).value == o.question[lang]
        assert ws.cell(r, cols["help"]).value == o.help[lang]
        assert ws.cell(r, cols["activity"]).value == fw.activity_of[o.id].name[lang]
        assert ws.cell(r, cols["dimension"]).value == fw.dimension_of[fw.activity_of[o.id].id].name[lang]
        assert ws.cell(r, cols["question"]).alignment.wrap_text
        offered = validation_list(book, ws, ws.cell(r, cols["answer"]).coordinate)
        scale = fw.scale_by_id[o.scale]
        assert offered == [level.label[lang] for level in scale.levels] + [dk]
    # the title row is translated, the key row is what the reader needs
    assert ws.cell(1, cols["answer"]).value == translator(lang).t("questionnaire.col.answer")
    firm = {row[0]: row[1] for row in book["firm"].iter_rows(min_row=2, values_only=True)}
    assert list(firm) == list(qn.FIRM_FIELDS)
    assert firm["framework"] == fw.id and firm["version"] == fw.version and firm["lang"] == lang
    assert (firm["modules"] or "") == ";".join(m.id for m in fw.modules)


@pytest.mark.parametrize(("lang", "yes_no", "frequency"), [
    ("fr", "Non · Oui · Ne sait pas   (3 questions)", "(2 questions)"),
    ("es", "(3 preguntas)", "(2 preguntas)"),
    ("en", "(3 questions)", "(2 questions)"),
])
def test_instructions_count_questions_per_scale_with_plurals(mini: Framework, lang: str, yes_no: str, frequency: str,
                                                            tmp_path: Path) -> None:
    """The mini framework asks 3 yes/no and 2 frequency questions; the count is a gettext plural."""
    path = tmp_path / "q.xlsx"
    qn.write_xlsx(mini, lang, path)
    book = openpyxl.load_workbook(path)
    lines = [row[0] for row in book.worksheets[0].iter_rows(values_only=True) if row[0]]
    scales = [line for line in lines if str(line).endswith(")") and "·" in str(line)]
    assert len(scales) == 2 and yes_no in scales[0] and scales[1].endswith(frequency)
    assert translator(lang).plural("questionnaire.scales.used", 1) in {"1 question", "1 pregunta"}


@pytest.mark.parametrize("lang", LANGUAGES)
def test_dont_know_label_is_recognised_by_the_reader(lang: str) -> None:
    assert qn.dont_know_label(lang).casefold() in _DONT_KNOW_WORDS


@pytest.mark.parametrize("which", ["mini", "iiep_wine"])
@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_offered_label_reads_back_as_its_level(which: str, lang: str, request) -> None:
    """A label that another level also uses in some language would be scored as the wrong level."""
    fw: Framework = request.getfixturevalue(which)
    for k in range(max(len(s.levels) for s in fw.scales)):
        answers, expected = {}, {}
        for o in fw.observables:
            levels = fw.scale_by_id[o.scale].levels
            level = levels[min(k, len(levels) - 1)]
            answers[o.id], expected[o.id] = level.label[lang], level.code
        sheet = AnswerSheet(framework=fw.id, firm={"id": "x", "name": "x"}, answers=answers)
        encode(fw, [sheet])  # raises on a label that is not on the scale
        assert answer_codes(fw, sheet) == expected


def test_firm_sheet_offers_sizes_the_reader_accepts(mini: Framework, tmp_path: Path) -> None:
    from typing import get_args

    from innexport.core.assessment import Firm

    size_type = Firm.model_fields["size"].annotation
    literal = next(a for a in get_args(size_type) if get_args(a))
    assert set(get_args(literal)) == set(qn.FIRM_SIZES)
    path = tmp_path / "q.xlsx"
    qn.write_xlsx(mini, "fr", path)
    book = openpyxl.load_workbook(path)
    fs = book["firm"]
    row = next(r for r in range(2, fs.max_row + 1) if fs.cell(r, 1).value == "size")
    assert validation_list(book, fs, f"B{row}") == list(qn.FIRM_SIZES)


def test_unknown_language_is_refused(mini: Framework, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="unknown language 'de'"):
        qn.write_xlsx(mini, "de", tmp_path / "q.xlsx")
    with pytest.raises(ValueError, match="unknown language"):
        qn.render_html(mini, "de")


# --- HTML and PDF ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("lang", LANGUAGES)
def test_html_has_every_question_with_its_boxes(mini: Framework, lang: str) -> None:
    html = qn.render_html(mini, lang)
    assert f'<html lang="{lang}">' in html
    for o in mini.observables:
        assert f'id="q-{o.id}"' in html
    for d in mini.dimensions:
        assert d.name[lang] in html
    dk = qn.dont_know_label(lang).replace("'", "&#39;")
    assert html.count(dk) >= len(mini.observables)
    # 3 yes/no questions (2 levels + dk), 2 frequency questions (4 levels + dk), 4 firm sizes
    assert html.count("☐") == 3 * 3 + 2 * 5 + 4


def test_html_escapes_framework_text(mini: Framework) -> None:
    data = mini.model_dump(mode="python", exclude_none=True)
    data["dimensions"][0]["activities"][0]["observables"][0]["question"] = {
        "fr": "<script>alert(1)</script> ?", "es": "¿<b>x</b>?", "en": 'A "quoted" & <odd> one?'}
    data["title"] = {"fr": "L'outil </style>", "es": "x", "en": "x"}
    fw = Framework.model_validate(data)
    html = qn.render_html(fw, "fr")
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "</style>" in html and html.count("</style>") == 1  # the title cannot close the style element
    assert 'A "quoted"' not in qn.render_html(fw, "en")


def test_css_string_is_inert() -> None:
    out = str(css_string("L'a \"b\" </style> \\ \n"))
    assert out.startswith('"') and out.endswith('"')
    inner = out[1:-1]
    assert not set(inner) & set("\"'<>\n") and "\\5c " in inner


@needs_weasyprint
@pytest.mark.parametrize("lang", ["es", "fr"])
def test_pdf_is_a_pdf_with_the_questions(mini: Framework, lang: str, tmp_path: Path) -> None:
    pypdf = pytest.importorskip("pypdf")
    path = tmp_path / "q.pdf"
    qn.write_pdf(mini, lang, path)
    assert path.read_bytes().startswith(b"%PDF")
    reader = pypdf.PdfReader(path)
    text = " ".join(page.extract_text() for page in reader.pages)
    flat = re.sub(r"\s+", " ", text)
    assert mini.observables[0].question[lang] in flat
    assert qn.dont_know_label(lang) in flat
    assert mini.dimensions[1].name[lang] in flat
    assert reader.pages[0].mediabox.width == pytest.approx(595.28, abs=1)  # A4


def test_pdf_without_weasyprint_says_what_to_install(mini: Framework, tmp_path: Path, monkeypatch) -> None:
    import sys

    monkeypatch.setitem(sys.modules, "weasyprint", None)  # makes `import weasyprint` fail
    with pytest.raises(RuntimeError, match="WeasyPrint"):
        qn.write_pdf(mini, "en", tmp_path / "q.pdf")
    assert not (tmp_path / "q.pdf").exists()


# --- the command line --------------------------------------------------------------------------------------

runner = CliRunner()


def run(*args: str):
    return runner.invoke(app, ["questionnaire", *args])


def test_cli_writes_xlsx(tmp_path: Path) -> None:
    out = tmp_path / "q.xlsx"
    result = run("--framework", str(MINI), "--lang", "es", "--out", str(out))
    assert result.exit_code == 0, result.output
    assert str(out) in result.stdout
    book = openpyxl.load_workbook(out)
    assert {"firm", "questionnaire"} <= set(book.sheetnames)
    cols, rows = question_rows(book["questionnaire"])
    assert book["questionnaire"].cell(rows["q1"], cols["question"]).value == "¿Q1?"


def test_cli_writes_html(tmp_path: Path) -> None:
    out = tmp_path / "q.html"
    result = run("--framework", str(MINI), "--lang", "fr", "--out", str(out))
    assert result.exit_code == 0, result.output
    assert "Q1 ?" in out.read_text(encoding="utf-8")


@needs_weasyprint
def test_cli_writes_pdf(tmp_path: Path) -> None:
    out = tmp_path / "q.pdf"
    result = run("--framework", str(MINI), "--out", str(out))
    assert result.exit_code == 0, result.output
    assert out.read_bytes().startswith(b"%PDF")


def test_cli_builtin_framework_with_module(iiep_wine: Framework, tmp_path: Path) -> None:
    out = tmp_path / "q.xlsx"
    result = run("--framework", "iiep", "--module", "wine", "--lang", "fr", "--out", str(out))
    assert result.exit_code == 0, result.output
    assert iiep_wine.label in result.stdout
    _, rows = question_rows(openpyxl.load_workbook(out)["questionnaire"])
    assert list(rows) == [o.id for o in iiep_wine.observables]


def test_cli_bad_extension_exits_2(tmp_path: Path) -> None:
    result = run("--framework", str(MINI), "--out", str(tmp_path / "q.docx"))
    assert result.exit_code == 2
    assert "unknown file type '.docx'" in result.stderr and ".xlsx" in result.stderr
    assert "Traceback" not in result.output
    assert not (tmp_path / "q.docx").exists()


def test_cli_unknown_framework_exits_2(tmp_path: Path) -> None:
    result = run("--framework", "no_such_framework", "--out", str(tmp_path / "q.xlsx"))
    assert result.exit_code == 2
    assert "cannot load the framework 'no_such_framework'" in result.stderr
    assert "no built-in framework or module 'no_such_framework'" in result.stderr
    assert "Traceback" not in result.output


def test_cli_broken_framework_lists_its_issues(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(MINI.read_text(encoding="utf-8").replace("version: 0.1.0", "version: one"), encoding="utf-8")
    result = run("--framework", str(bad), "--out", str(tmp_path / "q.xlsx"))
    assert result.exit_code == 2
    assert "version" in result.stderr and str(bad) in result.stderr


def test_cli_unknown_module_and_language_exit_2(tmp_path: Path) -> None:
    result = run("--framework", str(MINI), "--module", "nope", "--out", str(tmp_path / "q.xlsx"))
    assert result.exit_code == 2 and "'nope'" in result.stderr
    result = run("--framework", str(MINI), "--lang", "de", "--out", str(tmp_path / "q.xlsx"))
    assert result.exit_code == 2 and "unknown language 'de'" in result.stderr


def test_cli_unwritable_output_exits_2(tmp_path: Path) -> None:
    result = run("--framework", str(MINI), "--out", str(tmp_path / "missing" / "q.xlsx"))
    assert result.exit_code == 2
    assert "cannot write" in result.stderr
    assert "Traceback" not in result.output
