"""LimeSurvey both ways: the codes of a survey innexport writes, and its response exports read back.

This module decides the one rule of LimeSurvey codes; :mod:`innexport.rendering.limesurvey` writes
the survey structure (``.lss``) with them and :func:`read_responses` reads LimeSurvey's response
export (*Responses → Export → Export results*, CSV) back as answer sheets.

**What LimeSurvey accepts** (LimeSurvey 5/6, ``application/models/Question.php`` and
``application/helpers/admin/import_helper.php`` of github.com/LimeSurvey/LimeSurvey): a question
code is 1 to 20 characters, starts with a letter and has only letters and digits
(``/^[a-z,A-Z][[:alnum:]]*$/``), is unique in the survey and is none of ``LANG``, ``SID``,
``SAVEDID``, ``TOKEN``, ``QID``, ``GID``, ``SGQ``, ``self``, ``that``, ``this``; the importer
*renames* a code that breaks the rule, so every code written here keeps it. An answer option code
is 1 to 5 characters (``answers.code``), letters and digits.

**The codes** (deterministic: the same question id always gets the same code, whatever the
framework's version or the question's place):

* a question: :func:`question_code`, ``Q`` then the id in CamelCase (``net_strong_ties_firms`` →
  ``QNetStrongTiesFirms``) when that fits in 20 characters; otherwise ``Q``, the first 14 characters of
  the CamelCase and 5 characters of the id's SHA-256 digest (base 32). The codes of a framework
  are checked unique (:func:`question_codes`); reading maps each code back through the framework;
* a level of the question's scale: ``A1``, ``A2``… in the scale's order (LimeSurvey's own way of
  numbering answer options), and "don't know" :data:`DONT_KNOW_CODE` (``DK``);
* the firm's fields (a first group): :data:`FIRM_CODES` (``firmId``, ``firmName``…), its size
  :data:`SIZE_CODES`, the respondent's role :data:`ROLE_CODES`;
* the framework the survey asks: three hidden equation questions :data:`FRAMEWORK_CODE`,
  :data:`VERSION_CODE`, :data:`MODULES_CODE` whose values LimeSurvey stores with each response, so
  that an export is read back without the ``.lss``: the named framework (built in, or the one
  given) gives the question codes and the scales.

**The export read back**: a CSV (comma, semicolon or tab; UTF-8 with its byte-order mark, as
LimeSurvey's ``CsvWriter`` writes it) whose headings are the question codes ("Question code", or
"Question code & question text": the code is read before its text) and whose values are the answer
codes (or, with "Full answers", the scale's labels in any language, which the core reads too).
LimeSurvey's own columns (``id``, ``submitdate``, ``lastpage``, ``startlanguage``, ``seed``,
``startdate``, ``datestamp``, ``ipaddr``, ``refurl``, participant attributes, timings) are read
or left alone; a response without ``submitdate`` was never submitted and is left out (a
:class:`~innexport.files.answers.ReadingNote` says how many). Each response is one sheet: its
language is ``startlanguage``, its date the submission's. Several responses with the same
``firmId`` are the firm's respondents (issue 12): each gets a ``respondent`` (id ``response-<id>``,
the role answered, else director) and the firm is dated by its last submission, so that
:mod:`innexport.core.respondents` consolidates them. Percentages (export share, R&D) are asked in
% and read as shares. Every refusal names the file, the row (the heading is row 1) and the column
(its letter and heading).
"""

from __future__ import annotations

import base64
import csv
import datetime as dt
import hashlib
import io
import re
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from innexport.core.assessment import RESPONDENT_ROLES, AnswersError, AnswerSheet, Problem
from innexport.core.framework import DONT_KNOW, LANGUAGES, VERSION_PATTERN, Framework, FrameworkError, Scale
from innexport.files.cells import column_letter
from innexport.files.frameworks import builtin_documents, load_framework
from innexport.files.limits import MAX_TABLE_BYTES, InputRefused, check_table_shape, check_zip, read_text

QUESTION_CODE_MAX = 20
"""The longest question code LimeSurvey accepts (``questions.title``)."""
ANSWER_CODE_MAX = 5
"""The longest answer option code LimeSurvey accepts (``answers.code``)."""
QUESTION_CODE_RULE = re.compile(r"^[A-Za-z][A-Za-z0-9]*$")
"""A question code: a letter, then letters and digits."""
RESERVED_CODES = frozenset({"LANG", "SID", "SAVEDID", "TOKEN", "QID", "GID", "SGQ", "self", "that", "this"})
"""Words LimeSurvey's expression manager keeps for itself (not a question code)."""
_DIGEST = 5
_PREFIX = 14

DONT_KNOW_CODE = "DK"
"""The answer option code of "don't know"."""
FRAMEWORK_CODE, VERSION_CODE, MODULES_CODE = "IXframework", "IXversion", "IXmodules"
"""The hidden questions holding the framework's id, version and modules (``wine@1.1.0;…``)."""
HIDDEN_CODES: tuple[str, ...] = (FRAMEWORK_CODE, VERSION_CODE, MODULES_CODE)
FIRM_CODES: dict[str, str] = {
    "id": "firmId", "name": "firmName", "country": "country", "region": "region", "sector": "sector",
    "size": "size", "employees": "employees", "founded": "founded", "export_share": "exportShare",
    "rd_intensity": "rdIntensity", "contact": "contact",
}
"""The firm's fields (:class:`~innexport.core.assessment.Firm`) and their question codes, in survey order."""
ROLE_CODE = "respondentRole"
"""The question of the respondent's role."""
SIZE_CODES: dict[str, str] = {"micro": "MICRO", "small": "SMALL", "medium": "MED", "large": "LARGE"}
"""The firm sizes and their answer option codes."""
ROLE_CODES: dict[str, str] = {"director": "DIR", "export_manager": "EXP", "rd_lead": "RD", "advisor": "ADV",
                              "other": "OTH"}
"""The respondent's roles (:data:`~innexport.core.assessment.RESPONDENT_ROLES`) and their answer option codes."""
PERCENT_FIELDS: tuple[str, ...] = ("export_share", "rd_intensity")
"""Firm fields asked in % (0 to 100) and read as shares."""
WHOLE_FIELDS: tuple[str, ...] = ("employees", "founded")
"""Firm fields that are whole numbers (LimeSurvey exports a number as ``12.0000000000``)."""

METADATA_COLUMNS = frozenset({
    "id", "token", "submitdate", "lastpage", "startlanguage", "seed", "startdate", "datestamp", "ipaddr",
    "refurl", "firstname", "lastname", "email", "emailstatus", "language", "sent", "remindersent",
    "remindercount", "completed", "usesleft", "validfrom", "validuntil", "tid", "participant_id", "blacklisted",
    "interviewtime",
})
"""LimeSurvey's own columns (response metadata, participant attributes): read or left alone."""
_SIGNATURE = frozenset({"id", "submitdate", "lastpage", "startlanguage"})
"""The metadata columns every LimeSurvey response export has."""
_OTHER_OWN = re.compile(r"^(attribute_\d+|.*Time)$")
_HEADING_CODE = re.compile(r"^([A-Za-z][A-Za-z0-9_]*)(?:$|[^A-Za-z0-9_])")
_NO_DATE = "1980-01-01"
"""The ``submitdate`` LimeSurvey writes when the survey keeps no dates (``datestamp`` off)."""
_PEEK_BYTES = 64 * 1024
MAX_PROBLEMS = 1000
"""Rows are read until this many problems are found (the refusal names the first ones)."""


def question_code(question_id: str) -> str:
    """The LimeSurvey code of a question id (see the module's rule).

    >>> question_code("ip_registered"), question_code("net_weak_ties_support_bodies")
    ('QIpRegistered', 'QNetWeakTiesSupFHPEL')
    >>> all(len(question_code(q)) <= 20 for q in ("a", "self", "x" * 64))
    True
    """
    camel = "".join(part[:1].upper() + part[1:] for part in question_id.split("_"))
    code = "Q" + camel
    if len(code) > QUESTION_CODE_MAX or "__" in question_id or question_id.endswith("_") \
            or re.search(r"_\d", question_id):
        digest = base64.b32encode(hashlib.sha256(question_id.encode("utf-8")).digest()).decode("ascii")
        code = "Q" + camel[:_PREFIX] + digest[:_DIGEST]
    return code


def question_codes(framework: Framework) -> dict[str, str]:
    """Each question id of ``framework`` → its LimeSurvey code, in framework order; a ValueError
    when two questions would share a code (LimeSurvey compares them without case on some databases).

    >>> from innexport.files.frameworks import load_framework
    >>> codes = question_codes(load_framework("iiep"))
    >>> len(codes), codes["net_strong_ties_firms"]
    (78, 'QNetStrongTiesFirms')
    """
    codes: dict[str, str] = {}
    seen: dict[str, str] = {}
    for obs in framework.observables:
        code = question_code(obs.id)
        other = seen.get(code.casefold())
        if other is not None or code.casefold() in {c.casefold() for c in (*FIRM_CODES.values(), *HIDDEN_CODES)}:
            raise ValueError(f"questions {other or code} and {obs.id} would share the LimeSurvey code {code}")
        seen[code.casefold()] = obs.id
        codes[obs.id] = code
    return codes


def level_codes(scale: Scale) -> dict[str, str]:
    """The answer option codes of a scale: each level's code → ``A1``, ``A2``…, and "don't know" → ``DK``.

    >>> from innexport.files.frameworks import load_framework
    >>> level_codes(load_framework("iiep").scale_by_id["yes_no"])
    {'no': 'A1', 'yes': 'A2', 'dk': 'DK'}
    """
    codes = {level.code: f"A{i}" for i, level in enumerate(scale.levels, start=1)}
    codes[DONT_KNOW] = DONT_KNOW_CODE
    return codes


# --- reading a response export ------------------------------------------------------------------------


@dataclass(frozen=True)
class _Column:
    index: int
    heading: str
    code: str

    @property
    def place(self) -> str:
        return f"column {column_letter(self.index)} ({self.heading})"


def _code_of(heading: str) -> str:
    """The code a heading starts with (``firmId`` of ``firmId. Identifiant``), or the heading.

    >>> _code_of("firmId. Identifiant"), _code_of("QIpRegistered"), _code_of("submitdate")
    ('firmId', 'QIpRegistered', 'submitdate')
    """
    heading = heading.strip()
    match = _HEADING_CODE.match(heading)
    return match.group(1) if match else heading


def _delimiter(line: str) -> str:
    return max(",;\t", key=line.count)


def _is_export(heading: Sequence[str]) -> bool:
    """Whether a heading row is a LimeSurvey response export's: it has innexport's hidden
    :data:`FRAMEWORK_CODE` column, or it is one by :func:`innexport.files.answers.table_kind` (the
    one place that tells what a table is)."""
    from innexport.files.answers import table_kind  # here: files.answers dispatches to this module

    return FRAMEWORK_CODE in {_code_of(h) for h in heading} or table_kind(heading) == "limesurvey"


def read_responses(path: str | Path, framework: Framework | None = None) -> list[AnswerSheet] | None:
    """The answer sheets of a LimeSurvey response export (CSV, or the Excel export's first sheet),
    or None when ``path`` is not one.

    ``framework`` is the framework the survey asks when it is not a built-in one (the hidden
    :data:`FRAMEWORK_CODE` column names it); raises
    :class:`~innexport.core.assessment.AnswersError` naming the row and column of each problem.

    >>> import tempfile, os
    >>> with tempfile.NamedTemporaryFile("w", suffix=".csv", delete=False) as fh:
    ...     _ = fh.write("firm_id,ip_registered\\nf1,yes\\n")
    >>> read_responses(fh.name) is None
    True
    >>> os.unlink(fh.name)
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in (".csv", ".xlsx") or not path.is_file():
        return None
    reader = _Reader(path, framework)
    if suffix == ".xlsx":
        rows = reader.xlsx_rows()
        if not rows or not _is_export([str(h) for h in rows[0]]):
            return None
        return reader.read(rows)
    try:
        with path.open("rb") as fh:
            head = fh.read(_PEEK_BYTES).decode("utf-8-sig", errors="replace")
    except OSError:
        return None
    first = head.splitlines()[0] if head.strip() else ""
    delimiter = _delimiter(first)
    try:
        heading = next(csv.reader(io.StringIO(first), delimiter=delimiter), [])
    except csv.Error:
        return None
    if not _is_export(heading):
        return None
    return reader.read(reader.csv_rows(delimiter))


class _Reader:
    def __init__(self, path: Path, framework: Framework | None) -> None:
        self.path, self.framework = path, framework
        self.origin = str(path)
        self.problems: list[Problem] = []
        self.tables: dict[tuple[str, tuple[str, ...]], tuple[Framework, dict[str, str]] | None] = {}
        self.strangers: set[str] = set()

    def fail(self, where: str, message: str) -> AnswersError:
        return AnswersError([Problem(f"{self.origin}, {where}" if where else self.origin, message)])

    # --- the table ---
    def csv_rows(self, delimiter: str) -> list[list[str]]:
        try:
            text = read_text(self.path, MAX_TABLE_BYTES)
        except InputRefused as exc:
            raise self.fail(exc.where, exc.problem) from exc
        except OSError as exc:
            raise self.fail("", f"cannot be read: {exc.strerror or exc}") from None
        reader = csv.reader(io.StringIO(text), delimiter=delimiter)
        rows: list[list[str]] = []
        try:
            for row in reader:
                check_table_shape(self.origin, rows=len(rows) + 1, columns=len(row), where=f"row {len(rows) + 1}")
                rows.append(row)
        except InputRefused as exc:
            raise self.fail(exc.where, exc.problem) from exc
        except csv.Error as exc:
            raise self.fail(f"row {len(rows) + 1}", f"broken CSV: {exc}") from None
        return rows

    def xlsx_rows(self) -> list[list[str]]:
        """The first worksheet's rows as text (LimeSurvey's Excel export has one), within the table limits."""
        import openpyxl  # here: only Excel exports need it

        try:
            check_zip(self.path)  # before openpyxl inflates anything
        except InputRefused as exc:
            raise self.fail("", f"broken XLSX file: {exc.problem}") from exc
        try:
            book = openpyxl.load_workbook(self.path, read_only=True, data_only=True)
        except Exception as exc:  # openpyxl raises many kinds for a broken file
            raise self.fail("", f"broken XLSX file: {exc}") from None
        rows: list[list[str]] = []
        try:
            sheet = book.worksheets[0]
            self.origin = f"{self.path} [{sheet.title}]"
            for row in sheet.iter_rows(values_only=True):
                check_table_shape(self.origin, rows=len(rows) + 1, columns=len(row), where=f"row {len(rows) + 1}")
                rows.append([_text(cell) for cell in row])
        except InputRefused as exc:
            raise self.fail(exc.where, exc.problem) from exc
        finally:
            book.close()
        return rows

    def read(self, rows: list[list[str]]) -> list[AnswerSheet]:
        header = [h.strip() for h in rows[0]]
        columns = [_Column(j, h, _code_of(h)) for j, h in enumerate(header)]
        codes = [c.code for c in columns]
        dupes = sorted({c for c in codes if c and codes.count(c) > 1})
        if dupes:
            raise self.fail("row 1", f"duplicated column(s): {', '.join(dupes)}")
        by_code = {c.code: c for c in columns if c.code}
        if FRAMEWORK_CODE not in by_code:
            raise self.fail("row 1", f"a LimeSurvey response export without the column {FRAMEWORK_CODE}: export the "
                                     "responses of a survey made by `innexport questionnaire --format lss`, with "
                                     "\"Question code\" headings and every question selected")
        if "firmId" not in by_code:
            raise self.fail("row 1", "no column firmId: select every question in LimeSurvey's \"Export results\"")
        entries: list[tuple[int, dict[str, Any], dict[str, str]]] = []
        unsubmitted = 0
        ignored: set[str] = set()
        for r, row in enumerate(rows[1:], start=2):
            if len(self.problems) >= MAX_PROBLEMS:
                break
            if not any(cell.strip() for cell in row):
                continue
            if len(row) > len(header) and any(cell.strip() for cell in row[len(header):]):
                self.problems.append(Problem(f"{self.origin}, row {r}",
                                             f"{len(row)} cells but only {len(header)} columns in the heading"))
                continue
            cells = {c.code: (row[c.index].strip() if c.index < len(row) else "") for c in columns}
            if "submitdate" in cells and not cells["submitdate"]:
                unsubmitted += 1
                continue
            parsed = self.entry(r, cells, by_code, ignored)
            if parsed is not None:
                entries.append((r, *parsed))
        if ignored:
            _note(f"{self.origin}: column(s) {', '.join(sorted(ignored))} are not questions of the survey innexport "
                  "wrote and were left out")
        if unsubmitted:
            _note(f"{self.origin}: {unsubmitted} response(s) without a submission date (never submitted) left out")
        sheets = self.sheets(entries, by_code)
        if self.problems:
            raise AnswersError(self.problems)
        if not sheets:
            raise self.fail("", "no submitted response in this export")
        return sheets

    # --- one row ---
    def table(self, r: int, column: _Column, fw_id: str,
              modules: tuple[str, ...]) -> tuple[Framework, dict[str, str]] | None:
        key = (fw_id, modules)
        if key not in self.tables:
            self.tables[key] = self.load(r, column, fw_id, modules)
        return self.tables[key]

    def load(self, r: int, column: _Column, fw_id: str,
             modules: tuple[str, ...]) -> tuple[Framework, dict[str, str]] | None:
        where = f"{self.origin}, row {r}, {column.place}"
        ids = [m.split("@")[0] for m in modules]
        if self.framework is not None and self.framework.id == fw_id:
            fw = self.framework
            if [m.id for m in fw.modules] != ids:
                self.problems.append(Problem(where, f"the survey uses modules {ids or 'none'}; the framework given "
                                                    f"has {[m.id for m in fw.modules] or 'none'}"))
                return None
        elif fw_id in builtin_documents() and all(m in builtin_documents() for m in ids):
            try:
                fw = load_framework(fw_id, ids)
            except FrameworkError as exc:
                self.problems.append(Problem(where, f"framework {fw_id} with modules {ids} cannot be loaded: {exc}"))
                return None
        else:
            unknown = [n for n in (fw_id, *ids) if n not in builtin_documents()]
            self.problems.append(Problem(where, f"the survey asks framework {', '.join(unknown)}, which is not built "
                                                "in: read the export with that framework "
                                                "(innexport.files.limesurvey.read_responses(path, framework))"))
            return None
        return fw, {code: qid for qid, code in question_codes(fw).items()}

    def entry(self, r: int, cells: dict[str, str], by_code: dict[str, _Column],
              ignored: set[str]) -> tuple[dict[str, Any], dict[str, str]] | None:
        at = f"{self.origin}, row {r}"
        before = len(self.problems)
        fw_id = cells[FRAMEWORK_CODE]
        if not re.fullmatch(r"[a-z][a-z0-9_]{0,63}", fw_id):
            self.problems.append(Problem(f"{at}, {by_code[FRAMEWORK_CODE].place}",
                                         f"{fw_id[:80]!r} is not a framework id"))
            return None
        version = cells.get(VERSION_CODE, "")
        if version and not re.fullmatch(VERSION_PATTERN, version):
            self.problems.append(Problem(f"{at}, {by_code[VERSION_CODE].place}", f"{version[:80]!r} is not a version"))
        modules = tuple(m.strip() for m in cells.get(MODULES_CODE, "").split(";") if m.strip())
        bad = [m for m in modules if not re.fullmatch(r"[a-z][a-z0-9_]{0,63}(@\d+\.\d+\.\d+)?", m)]
        if bad:
            self.problems.append(Problem(f"{at}, {by_code[MODULES_CODE].place}", f"{bad[0][:80]!r} is not a module"))
            return None
        found = self.table(r, by_code[FRAMEWORK_CODE], fw_id, modules)
        if found is None:
            return None
        fw, questions = found
        entry: dict[str, Any] = {"framework": fw_id, "modules": list(modules), "answers": {}}
        if version:
            entry["version"] = version
        lang = cells.get("startlanguage", "")
        if lang:
            if lang not in LANGUAGES:
                self.problems.append(Problem(f"{at}, {by_code['startlanguage'].place}",
                                             f"language {lang[:20]!r} is not one of {', '.join(LANGUAGES)}"))
            else:
                entry["lang"] = lang
        firm: dict[str, Any] = {}
        where: dict[str, str] = {}
        for field, code in FIRM_CODES.items():
            if code in by_code and cells[code]:
                value = self.firm_value(f"{at}, {by_code[code].place}", field, _unmask(cells[code]))
                if value is not None:
                    firm[field] = value
                where[f"firm.{field}"] = by_code[code].place
        entry["firm"] = firm
        if ROLE_CODE in by_code and cells[ROLE_CODE]:
            role = _choice(cells[ROLE_CODE], ROLE_CODES)
            if role is None:
                self.problems.append(Problem(f"{at}, {by_code[ROLE_CODE].place}",
                                             f"{cells[ROLE_CODE][:80]!r} is not a role: expected one of "
                                             f"{', '.join(ROLE_CODES.values())} (export the answer codes)"))
            else:
                entry["_role"] = role
        for code, column in by_code.items():
            qid = questions.get(code)
            if qid is None:
                if code in METADATA_COLUMNS or _OTHER_OWN.match(code) or code in HIDDEN_CODES \
                        or code in FIRM_CODES.values() or code == ROLE_CODE:
                    continue
                if code.startswith("Q") and code[1:2].isupper():
                    if code not in self.strangers:  # named once, at its first row
                        self.strangers.add(code)
                        self.problems.append(Problem(f"{at}, {column.place}",
                                                     f"{code} is not a question of {fw.label}"))
                else:
                    ignored.add(code)
                continue
            raw = cells[code]
            if raw:
                entry["answers"][qid] = _answer(raw, fw.scale_by_id[fw.observable_by_id[qid].scale])
                where[qid] = column.place
        entry["_date"] = self.submitted(f"{at}, {by_code['submitdate'].place}" if "submitdate" in by_code else at,
                                        cells.get("submitdate", ""))
        entry["_response"] = cells.get("id", "") or f"row{r}"
        if "id" in by_code:
            where["respondent.id"] = by_code["id"].place
        if len(self.problems) > before:
            return None
        return entry, where

    def firm_value(self, where: str, field: str, text: str) -> Any:
        if field == "size":
            size = _choice(text, SIZE_CODES)
            if size is None:
                self.problems.append(Problem(where, f"{text[:80]!r} is not a size: expected one of "
                                                    f"{', '.join(SIZE_CODES.values())} (export the answer codes)"))
            return size
        if field in WHOLE_FIELDS or field in PERCENT_FIELDS:
            try:
                number = float(text.replace(",", "."))
            except ValueError:
                number = float("nan")
            if number != number or number in (float("inf"), float("-inf")):
                self.problems.append(Problem(where, f"{text[:80]!r} is not a number"))
                return None
            if field in PERCENT_FIELDS:
                if not 0 <= number <= 100:
                    self.problems.append(Problem(where, f"{text[:80]} is not a percentage between 0 and 100"))
                    return None
                return number / 100
            if not number.is_integer():
                self.problems.append(Problem(where, f"{text[:80]} is not a whole number"))
                return None
            return int(number)
        return text

    def submitted(self, where: str, text: str) -> dt.date | None:
        """The date of a submission (``2024-05-02 10:31:22``); None when the survey keeps no dates."""
        if not text or text.startswith(_NO_DATE):
            return None
        try:
            return dt.date.fromisoformat(text[:10])
        except ValueError:
            self.problems.append(Problem(where, f"{text[:40]!r} is not a date (YYYY-MM-DD hh:mm:ss)"))
            return None

    # --- the sheets ---
    def sheets(self, entries: Sequence[tuple[int, dict[str, Any], dict[str, str]]],
               by_code: dict[str, _Column]) -> list[AnswerSheet]:
        per_firm: dict[str, list[int]] = {}
        for k, (_r, entry, _where) in enumerate(entries):
            per_firm.setdefault(str(entry["firm"].get("id", "")), []).append(k)
        dated = {firm: max((d for i in team if (d := entries[i][1]["_date"]) is not None), default=None)
                 for firm, team in per_firm.items()}
        sheets: list[AnswerSheet] = []
        for r, entry, where in entries:
            firm_id = str(entry["firm"].get("id", ""))
            role, response = entry.pop("_role", None), entry.pop("_response")
            del entry["_date"]
            if dated[firm_id] is not None:
                entry["assessed_on"] = dated[firm_id]
            if "name" not in entry["firm"] and firm_id:  # a team member's name, else the id
                entry["firm"]["name"] = next((entries[i][1]["firm"]["name"] for i in per_firm[firm_id]
                                              if "name" in entries[i][1]["firm"]), firm_id)
            if len(per_firm[firm_id]) > 1:
                entry["respondent"] = {"id": f"response-{response}", "role": role or RESPONDENT_ROLES[0]}
            try:
                sheet = AnswerSheet.model_validate(entry)
            except ValidationError as exc:
                errors = exc.errors()
                no_id = any(e["loc"] == ("firm", "id") for e in errors)
                for err in errors:
                    loc = ".".join(str(p) for p in err["loc"])
                    if no_id and loc == "firm.name":
                        continue  # named after the id: one problem
                    place = where.get(loc, "")
                    message = "required field is missing" if err["type"] == "missing" else err["msg"]
                    if loc == "firm.id" and err["type"] == "missing":
                        place, message = by_code["firmId"].place, "the firm's identifier (firmId) is empty"
                    self.problems.append(Problem(", ".join(p for p in (f"{self.origin}, row {r}", place) if p),
                                                 f"field {loc}: {message}"))
                continue
            located = {q: f"row {r}, {place}" for q, place in where.items() if "." not in q}
            sheets.append(sheet.located(self.origin, located, f"row {r}"))
        return sheets


def _text(cell: Any) -> str:
    """A spreadsheet cell as the CSV export writes it: blank, a whole number without ``.0``, a date and time.

    >>> _text(None), _text(12.0), _text(0.5), _text(dt.datetime(2025, 3, 4, 10, 11, 12))
    ('', '12', '0.5', '2025-03-04 10:11:12')
    """
    if cell is None:
        return ""
    if isinstance(cell, float) and cell.is_integer():
        return str(int(cell))
    if isinstance(cell, dt.datetime):
        return cell.isoformat(sep=" ")
    return str(cell)


def _unmask(text: str) -> str:
    """A value without the quote LimeSurvey's export put before ``=`` (its ``csvMaskEquations``)."""
    return text[1:] if text.startswith("'=") else text


def _choice(text: str, codes: dict[str, str]) -> str | None:
    """The key whose answer option code (or the key itself) is ``text``, without case.

    >>> _choice("MED", SIZE_CODES), _choice("medium", SIZE_CODES), _choice("huge", SIZE_CODES)
    ('medium', 'medium', None)
    """
    folded = text.strip().casefold()
    return next((key for key, code in codes.items() if folded in (key.casefold(), code.casefold())), None)


def _answer(raw: str, scale: Scale) -> str:
    """An exported answer as the answer files write it: an answer option code → the level's code;
    anything else (a label, with "Full answers") is left for the core's rule of answers.

    >>> from innexport.files.frameworks import load_framework
    >>> scale = load_framework("iiep").scale_by_id["frequency4"]
    >>> _answer("A3", scale), _answer("DK", scale), _answer("Souvent", scale)
    ('often', 'dk', 'Souvent')
    """
    back = {code.casefold(): level for level, code in level_codes(scale).items()}
    return back.get(raw.strip().casefold(), raw)


def _note(message: str) -> None:
    from innexport.files.answers import ReadingNote  # here: files.answers dispatches to this module

    warnings.warn(ReadingNote(message), stacklevel=4)
