"""The blank questionnaire a person fills in and feeds back to ``innexport diagnose``.

* :func:`write_xlsx`: an Excel workbook in one language, read back unchanged by
  :func:`innexport.files.answers.read_answers`: an instructions sheet, a ``firm`` sheet of
  ``field | value | description`` rows (framework, version, modules and lang filled in) and a
  ``questionnaire`` sheet with one row per observable, grouped by dimension, whose answer cell
  offers the scale's level labels and "don't know" in a drop-down list.
* :func:`render_html` / :func:`write_pdf`: the same questionnaire to print (A4), one section per
  dimension, a box to tick for each answer, a line for comments and a block for the firm.

Every text is a ``questionnaire.*`` message of the documents' gettext catalogues, numbers and
percentages are Babel's, all through :class:`innexport.rendering.i18n.Translator`.

In the workbook, every cell holding a framework's text (names, questions, help, answer labels,
description) or a prefilled value goes through :func:`innexport.files.cells.safe_cell`: an
uploaded framework cannot put a formula in it (OWASP, "CSV Injection"). The one formula the
workbook has on purpose is the progress counter of the instructions sheet.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from innexport.core.assessment import FIRM_SIZES
from innexport.core.framework import LANGUAGES, Framework, Scale
from innexport.files.cells import safe_cell
from innexport.files.frameworks import builtin_documents
from innexport.files.schemas import FORMAT_VERSION
from innexport.rendering.documents import environment, html_to_pdf
from innexport.rendering.i18n import translator

FIRM_SHEET = "firm"
QUESTIONNAIRE_SHEET = "questionnaire"
LISTS_SHEET = "lists"

FIRM_FIELDS: tuple[str, ...] = (
    "format_version", "framework", "version", "modules", "lang",
    "firm_id", "firm_name", "country", "region", "sector", "size", "employees", "founded",
    "export_share", "rd_intensity", "contact", "assessed_on", "assessor",
)
"""Rows of the ``firm`` sheet, in order (the keys :mod:`innexport.files.answers` reads)."""
PREFILLED: tuple[str, ...] = ("format_version", "framework", "version", "modules")
"""Firm-sheet rows innexport fills in and the person must leave alone (``lang`` is filled in but may change)."""
PERCENT_FIELDS: tuple[str, ...] = ("export_share", "rd_intensity")

COLUMNS: tuple[str, ...] = ("dimension", "activity", "tag", "question_id", "question", "help", "answer", "comment")
"""Columns of the ``questionnaire`` sheet: the key row holds these names, the title row their translation."""
_WIDTHS = {"dimension": 14, "activity": 20, "tag": 12, "question_id": 16, "question": 46, "help": 42,
           "answer": 20, "comment": 32}
TITLE_ROW, KEY_ROW = 1, 2


# --- what both formats show --------------------------------------------------------------------


def _check_lang(lang: str) -> str:
    if lang not in LANGUAGES:
        raise ValueError(f"unknown language '{lang}' (use {', '.join(LANGUAGES)})")
    return lang


def dont_know_label(lang: str) -> str:
    """The "don't know" answer as written in the questionnaire of ``lang``."""
    return translator(_check_lang(lang)).t("questionnaire.dont_know")


def answer_labels(scale: Scale, lang: str) -> list[str]:
    """What the answer list of a question on ``scale`` offers: its level labels, then "don't know"."""
    return [level.label[lang] for level in scale.levels] + [dont_know_label(lang)]


@dataclass(frozen=True)
class _Question:
    number: int
    id: str
    question: str
    help: str
    scale: str
    labels: list[str]


@dataclass(frozen=True)
class _Activity:
    id: str
    name: str
    description: str | None
    tag: str
    tag_label: str
    questions: list[_Question]


@dataclass(frozen=True)
class _Dimension:
    number: int
    id: str
    name: str
    description: str | None
    activities: list[_Activity] = field(default_factory=list)


def _outline(framework: Framework, lang: str) -> list[_Dimension]:
    """The framework's dimensions, activities and questions as the questionnaire shows them."""
    L = translator(lang)
    number = 0
    dims = []
    for d_no, dim in enumerate(framework.dimensions, start=1):
        acts = []
        for act in dim.activities:
            questions = []
            for obs in act.observables:
                number += 1
                scale = framework.scale_by_id[obs.scale]
                questions.append(_Question(number, obs.id, obs.question[lang], obs.help[lang], scale.id,
                                           answer_labels(scale, lang)))
            acts.append(_Activity(act.id, act.name[lang], act.description[lang] if act.description else None,
                                  act.tag, L.t(f"questionnaire.tag.{act.tag}"), questions))
        dims.append(_Dimension(d_no, dim.id, dim.name[lang], dim.description[lang] if dim.description else None, acts))
    return dims


def _commands(framework: Framework, lang: str, xlsx_name: str = "q.xlsx") -> tuple[str | None, str]:
    """The command that makes the Excel questionnaire (None unless the framework and its modules are
    built in: a YAML file's path is not known here) and the one that runs the diagnostic on it."""
    L = translator(lang)
    builtin = builtin_documents()
    make = None
    if framework.id in builtin and all(m.id in builtin for m in framework.modules):
        modules = "".join(f" --module {m.id}" for m in framework.modules)
        make = f"innexport questionnaire --framework {framework.id}{modules} --lang {lang} --out {xlsx_name}"
    run = f"innexport diagnose {xlsx_name} --out {L.t('questionnaire.report_file')}"
    return make, run


# --- XLSX --------------------------------------------------------------------------------------

_ACCENT = "1F4E79"
_BAND = "D9E1F2"
_INPUT = "FFF2CC"
_ANSWERED = "E2EFDA"
_PREFILLED = "EDEDED"
_GREY_TEXT = "595959"


def _lines(text: str, width: float) -> int:
    """Lines a wrapped cell of ``width`` (Excel character units) needs, estimated."""
    per_line = max(width * 1.15, 1.0)
    return sum(max(1, math.ceil(len(part) / per_line)) for part in str(text).split("\n"))


def write_xlsx(framework: Framework, lang: str, path: str | Path) -> None:
    """Write the questionnaire of ``framework`` in ``lang`` as an Excel workbook at ``path``."""
    from openpyxl import Workbook
    from openpyxl.formatting.rule import FormulaRule
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    lang = _check_lang(lang)
    L = translator(lang)
    path = Path(path)
    dk = dont_know_label(lang)
    outline = _outline(framework, lang)
    n_questions = sum(len(a.questions) for d in outline for a in d.activities)

    thin = Side(style="thin", color="BFBFBF")
    box = Border(left=thin, right=thin, top=thin, bottom=thin)
    wrap_top = Alignment(wrap_text=True, vertical="top")
    header_font = Font(bold=True, color="FFFFFF")
    header_fill = PatternFill("solid", fgColor=_ACCENT)
    key_font = Font(italic=True, size=8, color="808080")
    key_fill = PatternFill("solid", fgColor="F2F2F2")
    input_fill = PatternFill("solid", fgColor=_INPUT)
    prefilled_fill = PatternFill("solid", fgColor=_PREFILLED)
    grey = Font(color=_GREY_TEXT)

    book = Workbook()
    ins = book.active
    ins.title = L.t("questionnaire.sheet.instructions")
    fs = book.create_sheet(FIRM_SHEET)
    ws = book.create_sheet(QUESTIONNAIRE_SHEET)

    # Hidden sheet holding each scale's answer list (the drop-downs point at it: labels may contain commas).
    lists = book.create_sheet(LISTS_SHEET)
    lists.sheet_state = "hidden"
    list_ref: dict[str, str] = {}
    for j, scale in enumerate(framework.scales, start=1):
        col = get_column_letter(j)
        lists.cell(1, j, safe_cell(scale.id))
        labels = answer_labels(scale, lang)
        for i, label in enumerate(labels, start=2):
            lists.cell(i, j, safe_cell(label))
        list_ref[scale.id] = f"{LISTS_SHEET}!${col}$2:${col}${len(labels) + 1}"

    # --- questionnaire sheet ---------------------------------------------------------------------
    col_of = {name: j for j, name in enumerate(COLUMNS, start=1)}
    letter = {name: get_column_letter(j) for name, j in col_of.items()}
    for name, j in col_of.items():
        title = ws.cell(TITLE_ROW, j, L.t(f"questionnaire.col.{name}"))
        title.font, title.fill, title.border = header_font, header_fill, box
        title.alignment = Alignment(vertical="center", wrap_text=True)
        key = ws.cell(KEY_ROW, j, name)
        key.font, key.fill, key.border = key_font, key_fill, box
        ws.column_dimensions[letter[name]].width = _WIDTHS[name]
    ws.row_dimensions[TITLE_ROW].height = 22
    ws.freeze_panes = ws.cell(KEY_ROW + 1, 1)

    validations: dict[str, DataValidation] = {}
    for scale in framework.scales:
        dv = DataValidation(type="list", formula1=list_ref[scale.id], allow_blank=True,
                            showErrorMessage=True, showInputMessage=True, errorStyle="stop",
                            promptTitle=L.t("questionnaire.validation.prompt_title")[:32],
                            prompt=L.t("questionnaire.validation.prompt", dk=dk)[:255],
                            errorTitle=L.t("questionnaire.validation.error_title")[:32],
                            error=L.t("questionnaire.validation.error")[:255])
        validations[scale.id] = dv

    row = KEY_ROW + 1
    first_question_row, last_question_row = row, row
    band_fill = PatternFill("solid", fgColor=_BAND)
    for dim in outline:
        band = ws.cell(row, 1, safe_cell(f"{dim.number}. {dim.name}"))
        band.font = Font(bold=True, size=12, color=_ACCENT)
        for j in range(1, len(COLUMNS) + 1):
            ws.cell(row, j).fill = band_fill
        ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=len(COLUMNS))
        ws.row_dimensions[row].height = 21
        band.alignment = Alignment(vertical="center")
        row += 1
        group_start = row
        for act in dim.activities:
            for q in act.questions:
                values = {"dimension": dim.name, "activity": act.name, "tag": act.tag_label, "question_id": q.id,
                          "question": q.question, "help": q.help, "answer": None, "comment": None}
                for name, value in values.items():
                    cell = ws.cell(row, col_of[name], safe_cell(value))
                    cell.alignment, cell.border = wrap_top, box
                ws.cell(row, col_of["question_id"]).font = Font(color="808080", size=9)
                ws.cell(row, col_of["dimension"]).font = Font(color=_GREY_TEXT, size=9)
                ws.cell(row, col_of["activity"]).font = Font(color=_GREY_TEXT, size=9)
                ws.cell(row, col_of["tag"]).font = Font(color=_GREY_TEXT, size=9)
                ws.cell(row, col_of["help"]).font = Font(italic=True, color=_GREY_TEXT, size=10)
                answer = ws.cell(row, col_of["answer"])
                answer.fill = input_fill
                answer.font = Font(bold=True)
                validations[q.scale].add(answer.coordinate)
                n_lines = max(_lines(q.question, _WIDTHS["question"]), _lines(q.help, _WIDTHS["help"] * 1.1),
                            _lines(act.name, _WIDTHS["activity"] * 1.2), _lines(dim.name, _WIDTHS["dimension"] * 1.2),
                            _lines(q.id, _WIDTHS["question_id"] * 1.2))
                ws.row_dimensions[row].height = 15 * n_lines + 4
                last_question_row = row
                row += 1
        if row > group_start:
            ws.row_dimensions.group(group_start, row - 1, outline_level=1, hidden=False)
    for dv in validations.values():
        if dv.sqref:
            ws.add_data_validation(dv)
    answers_range = f"{letter['answer']}{first_question_row}:{letter['answer']}{last_question_row}"
    ws.conditional_formatting.add(
        answers_range,
        FormulaRule(formula=[f"LEN({letter['answer']}{first_question_row})>0"],
                    fill=PatternFill("solid", fgColor=_ANSWERED, bgColor=_ANSWERED)),
    )
    ws.sheet_view.zoomScale = 90
    ws.print_title_rows = f"{TITLE_ROW}:{KEY_ROW}"
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True

    # --- firm sheet ----------------------------------------------------------------------------
    for j, key in enumerate(("field", "value", "description"), start=1):
        cell = fs.cell(1, j, L.t(f"questionnaire.col.{key}"))
        cell.font, cell.fill, cell.border = header_font, header_fill, box
    fs.column_dimensions["A"].width = 16
    fs.column_dimensions["B"].width = 36
    fs.column_dimensions["C"].width = 80
    fs.freeze_panes = "A2"
    prefilled = {
        "format_version": FORMAT_VERSION,
        "framework": framework.id,
        "version": framework.version,
        "modules": ";".join(m.id for m in framework.modules) or None,
        "lang": lang,
    }
    firm_validations = {
        "size": DataValidation(type="list", formula1='"' + ",".join(FIRM_SIZES) + '"', allow_blank=True,
                               error=L.t("questionnaire.validation.choice")),
        "lang": DataValidation(type="list", formula1='"' + ",".join(LANGUAGES) + '"', allow_blank=True,
                               error=L.t("questionnaire.validation.choice")),
        "employees": DataValidation(type="whole", operator="greaterThanOrEqual", formula1="0", allow_blank=True,
                                    error=L.t("questionnaire.validation.whole")),
        "founded": DataValidation(type="whole", operator="between", formula1="1000", formula2="2100",
                                  allow_blank=True, error=L.t("questionnaire.validation.year")),
        **{f: DataValidation(type="decimal", operator="between", formula1="0", formula2="1", allow_blank=True,
                             error=L.t("questionnaire.validation.percent")) for f in PERCENT_FIELDS},
    }
    for i, name in enumerate(FIRM_FIELDS, start=2):
        key = fs.cell(i, 1, name)
        value = fs.cell(i, 2, safe_cell(prefilled.get(name)))
        desc = fs.cell(i, 3, L.t(f"questionnaire.describe.{name}"))
        for cell in (key, value, desc):
            cell.border, cell.alignment = box, wrap_top
        desc.font = grey
        if name in PREFILLED:
            value.fill = prefilled_fill
            key.font = value.font = Font(color="808080")
        else:
            value.fill = input_fill
            key.font = Font(bold=name in ("firm_id", "firm_name"))
        if name in PERCENT_FIELDS:
            value.number_format = "0%"
        elif name == "assessed_on":
            value.number_format = "yyyy-mm-dd"
        elif name in ("employees", "founded"):
            value.number_format = "0"
        if name in firm_validations:
            dv = firm_validations[name]
            dv.showErrorMessage = True
            dv.errorTitle = L.t("questionnaire.validation.error_title")[:32]
            dv.add(value.coordinate)
            fs.add_data_validation(dv)
        fs.row_dimensions[i].height = 15 * _lines(desc.value, 80) + 4

    # --- instructions sheet (first, and the active one) ---------------------------------------------
    ins.column_dimensions["A"].width = 110
    ins.sheet_view.showGridLines = False
    _, run_cmd = _commands(framework, lang, path.name if path.suffix.lower() == ".xlsx" else "q.xlsx")
    used = {s.id: 0 for s in framework.scales}
    for obs in framework.observables:
        used[obs.scale] += 1
    answers_ref = f"{QUESTIONNAIRE_SHEET}!{letter['answer']}{first_question_row}:{letter['answer']}{last_question_row}"
    progress_text = L.t("questionnaire.progress", dk=dk).replace('"', '""')
    lines: list[tuple[Any, str]] = [
        (L.t("questionnaire.title"), "title"),
        (L.t("questionnaire.subtitle"), "subtitle"),
        (None, ""),
        (L.t("questionnaire.framework", label=f"{framework.title[lang]} ({framework.label})"), "bold"),
        (framework.description[lang], ""),
        (L.t("questionnaire.count", questions=L.count(n_questions), dimensions=L.count(len(outline))), ""),
        (None, ""),
        (L.t("questionnaire.how.title"), "heading"),
        (L.t("questionnaire.how.firm"), ""),
        (L.t("questionnaire.how.answer"), ""),
        (L.t("questionnaire.how.dont_know", dk=dk, min=L.percent(framework.scoring.min_completeness)), ""),
        (L.t("questionnaire.how.comment"), ""),
        (L.t("questionnaire.how.keep"), ""),
        (L.t("questionnaire.how.run"), ""),
        (run_cmd, "code"),
        (L.t("questionnaire.how.result"), ""),
        (None, ""),
        (f'="{progress_text}"&COUNTA({answers_ref})&" / {n_questions}"', "progress"),
        (None, ""),
        (L.t("questionnaire.scales.title"), "heading"),
    ]
    lines.extend((" · ".join(answer_labels(scale, lang)) + "   (" +
                  L.plural("questionnaire.scales.used", used[scale.id]) + ")", "scale")
                 for scale in framework.scales if used[scale.id])
    lines += [(None, ""), (L.t("questionnaire.hash", hash=framework.content_hash), "small")]
    styles = {
        "title": Font(bold=True, size=16, color=_ACCENT),
        "subtitle": Font(italic=True, size=12, color=_GREY_TEXT),
        "heading": Font(bold=True, size=13, color=_ACCENT),
        "bold": Font(bold=True),
        "code": Font(name="Consolas", size=11),
        "progress": Font(bold=True, size=12),
        "scale": Font(size=11),
        "small": Font(size=8, color="808080"),
    }
    for i, (text, style) in enumerate(lines, start=1):
        cell = ins.cell(i, 1, text if style == "progress" else safe_cell(text))  # the one formula on purpose
        cell.alignment = Alignment(wrap_text=True, vertical="top", indent=1 if style in ("code", "scale") else 0)
        if style in styles:
            cell.font = styles[style]
        if style == "code":
            cell.fill = PatternFill("solid", fgColor="F2F2F2")
        if isinstance(text, str) and style not in ("progress",):
            size = float(styles[style].size or 11) if style in styles else 11.0
            ins.row_dimensions[i].height = (size + 4) * _lines(text, 110 * 11 / size) + 2

    book.active = 0
    book.save(path)


# --- HTML and PDF --------------------------------------------------------------------------------


_PRINT_FIRM_FIELDS: tuple[tuple[str, str], ...] = (
    ("firm_name", "wide"), ("firm_id", ""), ("sector", ""), ("country", ""), ("region", ""),
    ("employees", ""), ("founded", ""), ("export_share", "percent"), ("rd_intensity", "percent"),
    ("contact", "wide"), ("assessed_on", ""), ("assessor", ""),
)


def render_html(framework: Framework, lang: str) -> str:
    """The printable questionnaire (A4) of ``framework`` in ``lang``, as an HTML document."""
    lang = _check_lang(lang)
    L = translator(lang)
    dk = dont_know_label(lang)
    outline = _outline(framework, lang)
    make_cmd, run_cmd = _commands(framework, lang)
    n_questions = sum(len(a.questions) for d in outline for a in d.activities)
    minimum = L.percent(framework.scoring.min_completeness)
    return environment().get_template("questionnaire.html.j2").render(
        lang=lang,
        title=L.t("questionnaire.title"),
        subtitle=L.t("questionnaire.subtitle"),
        framework_line=L.t("questionnaire.framework", label=f"{framework.title[lang]} ({framework.label})"),
        framework_label=framework.label,
        framework_title=framework.title[lang],
        description=framework.description[lang],
        count=L.t("questionnaire.count", questions=L.count(n_questions), dimensions=L.count(len(outline))),
        how=L.t("questionnaire.print.how", dk=dk, min=minimum),
        transcribe=L.t("questionnaire.print.transcribe"),
        commands=[c for c in (make_cmd, run_cmd) if c],
        firm_title=L.t("questionnaire.firm.title"),
        firm_fields=[{"label": L.t(f"questionnaire.label.{name}"), "kind": kind} for name, kind in _PRINT_FIRM_FIELDS],
        size_label=L.t("questionnaire.label.size"),
        sizes=[L.t(f"questionnaire.size.{s}") for s in FIRM_SIZES],
        comment_label=L.t("questionnaire.print.comment"),
        colon=L.t("report.colon") + " ",
        page_label=L.t("questionnaire.print.page"),
        dimension_of=lambda n: L.t("questionnaire.print.dimension", n=n, total=len(outline)),
        code_label=L.t("questionnaire.col.question_id"),
        dont_know=dk,
        dimensions=outline,
        hash=L.t("questionnaire.hash", hash=framework.content_hash),
    )


def write_html(framework: Framework, lang: str, path: str | Path) -> None:
    """Write :func:`render_html` of ``framework`` in ``lang`` to ``path`` (UTF-8)."""
    Path(path).write_text(render_html(framework, lang), encoding="utf-8")


def write_pdf(framework: Framework, lang: str, path: str | Path) -> None:
    """Print the questionnaire of ``framework`` in ``lang`` to a PDF file (needs WeasyPrint)."""
    Path(path).write_bytes(html_to_pdf(render_html(framework, lang)))
