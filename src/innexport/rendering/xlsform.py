"""The questionnaire as an XLSForm, to collect answers with KoBoToolbox, ODK Collect or ODK Central.

:func:`write_xlsform` writes the workbook that the XLSForm converters (pyxform, used by both
platforms) turn into an ODK XForm: a ``survey`` sheet, a ``choices`` sheet and a ``settings``
sheet (XLSForm specification, https://xlsform.org/en/). What this module decides is the form's
*content*; the names of its groups and firm fields, which the way back reads, are
:mod:`innexport.files.odk`'s (imported here, never written again):

* ``start`` and ``end`` metadata (when the interview began and ended);
* a first group :data:`~innexport.files.odk.FIRM_GROUP` with the firm's fields (``firm_id``
  required; the size and the respondent's role as lists; employees and year founded as whole
  numbers; the shares as percentages from 0 to 100; the interview's date, today by default), then
  calculated fields stamping each submission with the framework's id, version, modules, content
  hash and the report's language (:data:`~innexport.files.odk.STAMP_FIELDS`);
* one group per dimension (:func:`~innexport.files.odk.dimension_group`), in the framework's
  order, with one ``select_one`` question per observable: its id as ``name``, the question as
  ``label``, its help as ``hint``; its choices are the scale's levels (their codes as names) and
  "don't know" (:data:`~innexport.core.framework.DONT_KNOW`); no question is required: "don't
  know" or a blank is never scored (``docs/method.md``);
* every text in the three languages, as ``label::French (fr)``, ``label::Spanish (es)``,
  ``label::English (en)`` and ``hint::…`` columns (the XLSForm "Multiple language support"
  convention: a language name with its code in brackets); ``default_language`` is ``lang``;
* ``form_id`` is ``innexport_`` + the framework's id and its modules' ids; ``version`` is the
  framework's version and the first 12 hex digits of its content hash, so that a new framework
  version (or a changed module) is a new form version on the platform, and the submissions carry
  both in their calculated fields.

The firm's fields are worded with the questionnaire's messages (``questionnaire.label.*``,
``questionnaire.describe.*``, ``questionnaire.size.*``) and the roles with the report's
(``report.role.*``), through :class:`innexport.rendering.i18n.Translator`. Every text cell goes
through :func:`innexport.files.cells.safe_cell` (a framework cannot put a formula in it).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from innexport.core.assessment import FIRM_SIZES, RESPONDENT_ROLES
from innexport.core.framework import DONT_KNOW, LANGUAGES, Framework
from innexport.files.cells import safe_cell
from innexport.files.odk import FIRM_GROUP, PERCENT_FIELDS, dimension_group
from innexport.rendering.i18n import translator

SURVEY_COLUMNS: tuple[str, ...] = ("type", "name", "label", "hint", "required", "constraint",
                                   "constraint_message", "calculation", "default", "appearance")
"""Columns of the ``survey`` sheet; ``label``, ``hint`` and ``constraint_message`` get one column per language."""
TRANSLATED: tuple[str, ...] = ("label", "hint", "constraint_message")
SIZE_LIST = "firm_size"
ROLE_LIST = "respondent_role"
SCALE_LIST_PREFIX = "scale_"
"""A scale's choice list is named ``scale_`` + its id (kept apart from the firm's lists)."""

_TEXT_FIELDS: tuple[str, ...] = ("firm_name", "country", "region", "sector")
_CONSTRAINTS: dict[str, tuple[str, str]] = {
    "employees": ("integer", ". >= 0"),
    "founded": ("integer", ". >= 1000 and . <= 2100"),
    **{f: ("decimal", ". >= 0 and . <= 100") for f in PERCENT_FIELDS},
}
_CONSTRAINT_MESSAGES = {"employees": "questionnaire.validation.whole", "founded": "questionnaire.validation.year",
                        **{f: "questionnaire.validation.percent" for f in PERCENT_FIELDS}}


def language_name(lang: str) -> str:
    """How XLSForm names a language: its English name and its code in brackets (CLDR's name, through Babel).

    >>> language_name("fr"), language_name("es"), language_name("en")
    ('French (fr)', 'Spanish (es)', 'English (en)')
    """
    from babel import Locale

    return f"{Locale.parse(lang).english_name} ({lang})"


def language_column(kind: str, lang: str) -> str:
    """The column of ``kind`` (``label``, ``hint``…) in ``lang``.

    >>> language_column("label", "fr"), language_column("hint", "es")
    ('label::French (fr)', 'hint::Spanish (es)')
    """
    return f"{kind}::{language_name(lang)}"


def form_id(framework: Framework) -> str:
    """The form's ``form_id``: the framework's id and its modules'.

    >>> from innexport.files.frameworks import load_framework
    >>> form_id(load_framework("iiep", ["wine"]))
    'innexport_iiep_wine'
    """
    return "_".join(["innexport", framework.id, *(m.id for m in framework.modules)])


def form_version(framework: Framework) -> str:
    """The form's ``version``: the framework's version and the start of its content hash.

    >>> from innexport.files.frameworks import load_framework
    >>> fw = load_framework("iiep")
    >>> form_version(fw) == f"{fw.version}-{fw.content_hash.removeprefix('sha256:')[:12]}"
    True
    """
    return f"{framework.version}-{framework.content_hash.removeprefix('sha256:')[:12]}"


def _texts(key: str, **values: Any) -> dict[str, str]:
    return {lang: translator(lang).t(key, **values) for lang in LANGUAGES}


def form_sheets(framework: Framework, lang: str) -> dict[str, list[dict[str, Any]]]:
    """The form's ``survey``, ``choices`` and ``settings`` rows, each a dict of column → value, with
    translated columns as ``{lang: text}`` dicts.

    >>> from innexport.files.frameworks import load_framework
    >>> fw = load_framework("iiep")
    >>> sheets = form_sheets(fw, "fr")
    >>> sum(r["type"].startswith("select_one scale_") for r in sheets["survey"]) == len(fw.observables)
    True
    >>> sheets["settings"][0]["default_language"]
    'French (fr)'
    """
    if lang not in LANGUAGES:
        raise ValueError(f"unknown language '{lang}' (use {', '.join(LANGUAGES)})")
    survey: list[dict[str, Any]] = [{"type": "start", "name": "start"}, {"type": "end", "name": "end"}]
    survey.append({"type": "begin_group", "name": FIRM_GROUP, "label": _texts("questionnaire.firm.title")})

    def field(name: str, kind: str, **extra: Any) -> None:
        survey.append({"type": kind, "name": name, "label": _texts(f"questionnaire.label.{name}"),
                       "hint": _texts(f"questionnaire.describe.{name}"), **extra})

    field("firm_id", "text", required="yes")
    for name in _TEXT_FIELDS:
        field(name, "text")
    field("size", f"select_one {SIZE_LIST}")
    for name, (kind, constraint) in _CONSTRAINTS.items():
        field(name, kind, constraint=constraint, constraint_message=_texts(_CONSTRAINT_MESSAGES[name]))
    field("contact", "text")
    survey.append({"type": f"select_one {ROLE_LIST}", "name": "respondent_role", "label": _texts("report.col.role")})
    field("assessed_on", "date", default="today()")
    field("assessor", "text")
    stamp = {"framework": framework.id, "version": framework.version,
             "modules": ";".join(m.id for m in framework.modules), "lang": lang,
             "framework_hash": framework.content_hash}
    survey.extend({"type": "calculate", "name": name, "calculation": f"'{value}'"} for name, value in stamp.items())
    survey.append({"type": "end_group", "name": FIRM_GROUP})

    for number, dim in enumerate(framework.dimensions, start=1):
        group = dimension_group(dim.id)
        survey.append({"type": "begin_group", "name": group,
                       "label": {lang_: f"{number}. {dim.name[lang_]}" for lang_ in LANGUAGES}})
        survey.extend({"type": f"select_one {SCALE_LIST_PREFIX}{obs.scale}", "name": obs.id,
                       "label": obs.question.root, "hint": obs.help.root}
                      for act in dim.activities for obs in act.observables)
        survey.append({"type": "end_group", "name": group})

    dont_know = _texts("questionnaire.dont_know")
    choices: list[dict[str, Any]] = []
    used = {obs.scale for obs in framework.observables}
    for scale in framework.scales:
        if scale.id not in used:
            continue
        choices.extend({"list_name": SCALE_LIST_PREFIX + scale.id, "name": level.code, "label": level.label.root}
                       for level in scale.levels)
        choices.append({"list_name": SCALE_LIST_PREFIX + scale.id, "name": DONT_KNOW, "label": dont_know})
    choices.extend({"list_name": SIZE_LIST, "name": size, "label": _texts(f"questionnaire.size.{size}")}
                   for size in FIRM_SIZES)
    choices.extend({"list_name": ROLE_LIST, "name": role, "label": _texts(f"report.role.{role}")}
                   for role in RESPONDENT_ROLES)
    settings = [{"form_title": f"{framework.title[lang]} ({framework.label})", "form_id": form_id(framework),
                 "version": form_version(framework), "default_language": language_name(lang),
                 "instance_name": "concat(${firm_id}, ' ', ${firm_name})"}]
    return {"survey": survey, "choices": choices, "settings": settings}


def _columns(rows: list[dict[str, Any]], order: tuple[str, ...]) -> list[tuple[str, str | None]]:
    """The sheet's columns in order (a translated one once per language), only those some row fills."""
    out: list[tuple[str, str | None]] = []
    for name in order:
        if not any(row.get(name) for row in rows):
            continue
        if name in TRANSLATED or any(isinstance(row.get(name), dict) for row in rows):
            out.extend((name, lang) for lang in LANGUAGES)
        else:
            out.append((name, None))
    return out


def write_xlsform(framework: Framework, lang: str, path: str | Path) -> None:
    """Write the XLSForm of ``framework`` (its modules applied) at ``path``, ``lang`` as its default language.

    Deploy it on KoBoToolbox or ODK Central (``docs/xlsform.md``); the submission exports are read
    back by ``innexport diagnose export.csv`` (:mod:`innexport.files.odk`).
    """
    from openpyxl import Workbook
    from openpyxl.styles import Font

    sheets = form_sheets(framework, lang)
    orders = {"survey": SURVEY_COLUMNS, "choices": ("list_name", "name", "label"),
              "settings": ("form_title", "form_id", "version", "default_language", "instance_name")}
    book = Workbook()
    book.remove(book.active)
    for title, rows in sheets.items():
        ws = book.create_sheet(title)
        columns = _columns(rows, orders[title])
        for j, (name, col_lang) in enumerate(columns, start=1):
            ws.cell(1, j, language_column(name, col_lang) if col_lang else name).font = Font(bold=True)
        for i, row in enumerate(rows, start=2):
            for j, (name, col_lang) in enumerate(columns, start=1):
                value = row.get(name)
                if isinstance(value, dict):
                    value = value.get(col_lang or lang)
                if value not in (None, ""):
                    ws.cell(i, j, safe_cell(value))
        ws.freeze_panes = "A2"
    book.save(Path(path))
