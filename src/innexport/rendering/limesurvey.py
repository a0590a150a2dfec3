"""The questionnaire as a LimeSurvey survey structure (``.lss``), the XML LimeSurvey 5 and 6 import.

:func:`write_lss` writes one survey in the three languages (the base language is the one asked,
the two others are additional languages): a first group "The firm" (its identifier, name,
country, region, sector, size, employees, year founded, export share and R&D intensity in %,
the person answering, the respondent's role, and three hidden equation questions naming the
framework, its version and modules), then one group per dimension with one "List (radio)"
question (type ``L``) per observable: the question, its help, the scale's levels and "don't know"
as answer options. The codes are :mod:`innexport.files.limesurvey`'s (the one home of that rule),
so that LimeSurvey's response export is read back by
:func:`innexport.files.limesurvey.read_responses`.

The format is LimeSurvey's own (``LimeSurveyDocType`` ``Survey``, ``DBVersion`` 480, the ``*_l10ns``
tables of LimeSurvey 4 and later), as its importer ``XMLImportSurvey``
(``application/helpers/admin/import_helper.php``) reads it and as its test surveys
(``tests/data/surveys/*.lss``) are written, github.com/LimeSurvey/LimeSurvey. Each table is a
``<fields>`` list and ``<rows>``; questions, groups and answer options refer to one another by ids
the importer renumbers.

LimeSurvey shows a question's text and help as HTML and evaluates ``{…}`` as an expression: every
framework text is HTML-escaped and its braces written as character references, so that an uploaded
framework can put neither markup nor an expression in the survey. The texts of the firm's group and
the welcome are the questionnaire's messages (:mod:`innexport.rendering.i18n`).
"""

from __future__ import annotations

import hashlib
import html
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from pathlib import Path

from innexport.core.assessment import RESPONDENT_ROLES
from innexport.core.framework import LANGUAGES, Framework
from innexport.files.limesurvey import (
    FIRM_CODES,
    FRAMEWORK_CODE,
    MODULES_CODE,
    PERCENT_FIELDS,
    ROLE_CODE,
    ROLE_CODES,
    SIZE_CODES,
    VERSION_CODE,
    WHOLE_FIELDS,
    level_codes,
    question_codes,
)
from innexport.rendering.i18n import translator

DB_VERSION = 480
"""The LimeSurvey database version the file is written for (LimeSurvey 5 and 6 import it)."""
LABELS: dict[str, str] = {
    "id": "firm_id", "name": "firm_name", "country": "country", "region": "region", "sector": "sector",
    "size": "size", "employees": "employees", "founded": "founded", "export_share": "export_share",
    "rd_intensity": "rd_intensity", "contact": "contact",
}
"""Each firm field's key in the questionnaire's messages (``questionnaire.label.<key>``)."""
_HELPED = ("firm_id", "firm_name", "country", "sector", "employees", "founded", "export_share", "rd_intensity",
           "contact")
_NUMBER_LIMITS = {"employees": (0, None), "founded": (1000, 2100), "export_share": (0, 100),
                  "rd_intensity": (0, 100)}


def _languages(lang: str) -> list[str]:
    if lang not in LANGUAGES:
        raise ValueError(f"unknown language '{lang}' (use {', '.join(LANGUAGES)})")
    return [lang, *(other for other in LANGUAGES if other != lang)]


def _plain(text: str) -> str:
    """A plain text where LimeSurvey shows text (a title, a group's name): one line, no markup or braces.

    >>> _plain("R&D <b>{x}</b>\\nnext")
    'R&D bx/b next'
    """
    return " ".join(text.translate(str.maketrans("", "", "<>{}")).split())


def _html(text: str) -> str:
    """A plain text as LimeSurvey's HTML: escaped, braces as references, line breaks kept.

    >>> _html("R&D {x}\\n<b>")
    'R&amp;D &#123;x&#125;<br />&lt;b&gt;'
    """
    escaped = html.escape(text.strip(), quote=False).replace("{", "&#123;").replace("}", "&#125;")
    return escaped.replace("\r\n", "\n").replace("\n", "<br />")


class _Table:
    """One table of the document: its field names and rows (each a mapping of field → text)."""

    def __init__(self, name: str, fields: Sequence[str]) -> None:
        self.name, self.fields = name, list(fields)
        self.rows: list[dict[str, str]] = []

    def add(self, **values: object) -> None:
        unknown = set(values) - set(self.fields)
        if unknown:
            raise KeyError(f"{self.name}: unknown field(s) {sorted(unknown)}")
        self.rows.append({k: "" if v is None else str(v) for k, v in values.items()})

    def element(self) -> ET.Element:
        table = ET.Element(self.name)
        fields = ET.SubElement(table, "fields")
        for name in self.fields:
            ET.SubElement(fields, "fieldname").text = name
        rows = ET.SubElement(table, "rows")
        for values in self.rows:
            row = ET.SubElement(rows, "row")
            for name in self.fields:
                if name in values:
                    ET.SubElement(row, name).text = values[name]
        return table


def survey_id(framework: Framework) -> int:
    """The survey id the file proposes (LimeSurvey keeps it when free): six digits from the framework's content hash.

    >>> from innexport.files.frameworks import load_framework
    >>> 100000 <= survey_id(load_framework("iiep")) <= 999999
    True
    """
    return 100000 + int(hashlib.sha256(framework.content_hash.encode()).hexdigest(), 16) % 900000


def lss_document(framework: Framework, lang: str) -> ET.ElementTree:
    """The survey structure of ``framework`` with base language ``lang`` (see the module).

    >>> from innexport.files.frameworks import load_framework
    >>> doc = lss_document(load_framework("iiep"), "es")
    >>> [e.text for e in doc.getroot().find("languages")]
    ['es', 'fr', 'en']
    """
    langs = _languages(lang)
    sid = survey_id(framework)
    codes = question_codes(framework)
    L = {lg: translator(lg) for lg in langs}
    groups = _Table("groups", ["gid", "sid", "group_order", "randomization_group", "grelevance"])
    group_l10ns = _Table("group_l10ns", ["id", "gid", "group_name", "description", "language"])
    questions = _Table("questions", ["qid", "parent_qid", "sid", "gid", "type", "title", "preg", "other",
                                     "mandatory", "encrypted", "question_order", "scale_id", "same_default",
                                     "relevance", "question_theme_name", "modulename"])
    question_l10ns = _Table("question_l10ns", ["id", "qid", "question", "help", "language"])
    attributes = _Table("question_attributes", ["qid", "attribute", "value", "language"])
    answers = _Table("answers", ["aid", "qid", "code", "sortorder", "assessment_value", "scale_id"])
    answer_l10ns = _Table("answer_l10ns", ["id", "aid", "answer", "language"])
    counter = {"gid": 0, "qid": 0, "aid": 0, "l10n": 0}

    def next_id(kind: str) -> int:
        counter[kind] += 1
        return counter[kind]

    def group(names: dict[str, str], descriptions: dict[str, str]) -> int:
        gid = next_id("gid")
        groups.add(gid=gid, sid=sid, group_order=gid, randomization_group="", grelevance="1")
        for lg in langs:
            group_l10ns.add(id=next_id("l10n"), gid=gid, group_name=_plain(names[lg]),
                            description=_html(descriptions.get(lg, "")), language=lg)
        return gid

    def question(gid: int, order: int, kind: str, code: str, theme: str, texts: dict[str, str],
                 helps: dict[str, str] | None = None, mandatory: bool = False) -> int:
        qid = next_id("qid")
        questions.add(qid=qid, parent_qid=0, sid=sid, gid=gid, type=kind, title=code, preg="", other="N",
                      mandatory="Y" if mandatory else "N", encrypted="N", question_order=order, scale_id=0,
                      same_default=0, relevance="1", question_theme_name=theme, modulename="")
        for lg in langs:
            question_l10ns.add(id=next_id("l10n"), qid=qid, question=_html(texts[lg]),
                               help=_html((helps or {}).get(lg, "")), language=lg)
        return qid

    def options(qid: int, labelled: Sequence[tuple[str, dict[str, str]]]) -> None:
        for order, (code, labels) in enumerate(labelled):
            aid = next_id("aid")
            answers.add(aid=aid, qid=qid, code=code, sortorder=order, assessment_value=0, scale_id=0)
            for lg in langs:
                answer_l10ns.add(id=next_id("l10n"), aid=aid, answer=_html(labels[lg]), language=lg)

    # --- the firm ---
    firm = group({lg: L[lg].t("questionnaire.firm.title") for lg in langs}, {})
    order = 0
    for field, code in FIRM_CODES.items():
        order += 1
        key = LABELS[field]
        texts = {lg: L[lg].t(f"questionnaire.label.{key}") for lg in langs}
        helps = {lg: L[lg].t(f"questionnaire.describe.{key}") for lg in langs} if key in _HELPED else None
        if field == "size":
            qid = question(firm, order, "L", code, "listradio", texts)
            options(qid, [(c, {lg: L[lg].t(f"questionnaire.size.{size}") for lg in langs})
                          for size, c in SIZE_CODES.items()])
        elif field in WHOLE_FIELDS or field in PERCENT_FIELDS:
            qid = question(firm, order, "N", code, "numerical", texts, helps)
            low, high = _NUMBER_LIMITS[field]
            attributes.add(qid=qid, attribute="min_num_value_n", value=low, language="")
            if high is not None:
                attributes.add(qid=qid, attribute="max_num_value_n", value=high, language="")
            if field in WHOLE_FIELDS:
                attributes.add(qid=qid, attribute="num_value_int_only", value=1, language="")
            if field in PERCENT_FIELDS:  # a text shown after the box: one per language
                for lg in langs:
                    attributes.add(qid=qid, attribute="suffix", value="%", language=lg)
        else:
            question(firm, order, "S", code, "shortfreetext", texts, helps, mandatory=field == "id")
    order += 1
    qid = question(firm, order, "L", ROLE_CODE, "listradio", {lg: L[lg].t("report.col.role") for lg in langs})
    options(qid, [(ROLE_CODES[role], {lg: L[lg].t(f"report.role.{role}") for lg in langs})
                  for role in RESPONDENT_ROLES])
    modules = ";".join(f"{m.id}@{m.version}" for m in framework.modules)
    for code, value in ((FRAMEWORK_CODE, framework.id), (VERSION_CODE, framework.version), (MODULES_CODE, modules)):
        order += 1
        qid = question(firm, order, "*", code, "equation", dict.fromkeys(langs, value))
        attributes.add(qid=qid, attribute="hidden", value=1, language="")
        attributes.add(qid=qid, attribute="equation", value=value, language="")

    # --- the dimensions ---
    for dimension in framework.dimensions:
        descriptions = {lg: dimension.description[lg] for lg in langs} if dimension.description else {}
        gid = group({lg: dimension.name[lg] for lg in langs}, descriptions)
        order = 0
        for activity in dimension.activities:
            for obs in activity.observables:
                order += 1
                scale = framework.scale_by_id[obs.scale]
                qid = question(gid, order, "L", codes[obs.id], "listradio", {lg: obs.question[lg] for lg in langs},
                               {lg: obs.help[lg] for lg in langs})
                level_code = level_codes(scale)
                labelled = [(level_code[level.code], {lg: level.label[lg] for lg in langs}) for level in scale.levels]
                labelled.append((level_code["dk"], {lg: L[lg].t("questionnaire.dont_know") for lg in langs}))
                options(qid, labelled)

    # --- the survey ---
    surveys = _Table("surveys", ["sid", "gsid", "admin", "adminemail", "anonymized", "format", "savetimings",
                                 "template", "language", "additional_languages", "datestamp", "usecookie",
                                 "allowregister", "allowsave", "autonumber_start", "autoredirect", "allowprev",
                                 "printanswers", "ipaddr", "refurl", "showsurveypolicynotice", "publicstatistics",
                                 "publicgraphs", "listpublic", "htmlemail", "sendconfirmation",
                                 "tokenanswerspersistence", "assessments", "usecaptcha", "usetokens",
                                 "showxquestions", "showgroupinfo", "shownoanswer", "showqnumcode", "showwelcome",
                                 "showprogress", "questionindex", "navigationdelay", "nokeyboard",
                                 "alloweditaftercompletion"])
    surveys.add(sid=sid, gsid=1, admin="inherit", adminemail="inherit", anonymized="N", format="G", savetimings="N",
                template="inherit", language=lang, additional_languages=" ".join(langs[1:]), datestamp="Y",
                usecookie="N", allowregister="N", allowsave="Y", autonumber_start=0, autoredirect="N", allowprev="Y",
                printanswers="Y", ipaddr="N", refurl="N", showsurveypolicynotice=0, publicstatistics="N",
                publicgraphs="N", listpublic="N", htmlemail="Y", sendconfirmation="N", tokenanswerspersistence="N",
                assessments="N", usecaptcha="N", usetokens="N", showxquestions="Y", showgroupinfo="B",
                shownoanswer="N", showqnumcode="X", showwelcome="Y", showprogress="Y", questionindex=1,
                navigationdelay=0, nokeyboard="N", alloweditaftercompletion="N")
    settings = _Table("surveys_languagesettings", ["surveyls_survey_id", "surveyls_language", "surveyls_title",
                                                   "surveyls_description", "surveyls_welcometext", "surveyls_endtext",
                                                   "surveyls_numberformat"])
    floor = framework.scoring.min_completeness
    for lg in langs:
        welcome = [L[lg].t("questionnaire.subtitle"),
                   L[lg].t("questionnaire.print.how", dk=L[lg].t("questionnaire.dont_know"), min=L[lg].percent(floor))]
        settings.add(surveyls_survey_id=sid, surveyls_language=lg,
                     surveyls_title=_plain(f"{L[lg].t('questionnaire.title')} – {framework.title[lg]}"),
                     surveyls_description=_html(framework.description[lg]),
                     surveyls_welcometext="".join(f"<p>{_html(p)}</p>" for p in welcome),
                     surveyls_endtext=f"<p>{_html(L[lg].t('questionnaire.how.result'))}</p>",
                     surveyls_numberformat=0 if lg == "en" else 1)

    root = ET.Element("document")
    ET.SubElement(root, "LimeSurveyDocType").text = "Survey"
    ET.SubElement(root, "DBVersion").text = str(DB_VERSION)
    languages = ET.SubElement(root, "languages")
    for lg in langs:
        ET.SubElement(languages, "language").text = lg
    for table in (answers, answer_l10ns, groups, group_l10ns, questions, question_l10ns, attributes, surveys,
                  settings):
        root.append(table.element())
    tree = ET.ElementTree(root)
    ET.indent(tree, space=" ")
    return tree


def write_lss(framework: Framework, lang: str, path: str | Path) -> None:
    """Write the LimeSurvey survey structure of ``framework`` (base language ``lang``) to ``path``.

    >>> import tempfile, os
    >>> from innexport.files.frameworks import load_framework
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     write_lss(load_framework("iiep"), "fr", os.path.join(folder, "iiep.lss"))
    ...     head = open(os.path.join(folder, "iiep.lss"), encoding="utf-8").read(120)
    >>> "<LimeSurveyDocType>Survey</LimeSurveyDocType>" in head
    True
    """
    tree = lss_document(framework, lang)
    with Path(path).open("wb") as fh:
        tree.write(fh, encoding="UTF-8", xml_declaration=True)
