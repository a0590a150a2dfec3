"""Reading answer files: YAML, JSON, CSV and XLSX, one firm or many.

* YAML / JSON: one firm (``firm:`` and ``answers:`` at the top) or several (``firms:``, a list
  of such entries; ``framework``, ``version``, ``modules``, ``lang``, ``assessed_on`` and
  ``assessor`` at the top apply to all of them).
* CSV / XLSX table: one row per firm; firm columns (``firm_id``, ``firm_name``, ``country``…),
  ``framework``, ``version``, ``modules`` (``;``-separated) and one column per question id;
  ``comment.<question id>`` columns hold comments.
* XLSX questionnaire (as written by ``innexport questionnaire``): a ``firm`` sheet of
  field/value rows and a ``questionnaire`` sheet with ``question_id`` and ``answer`` columns.
* CSV / XLSX exports of the platforms where agencies already collect answers, told apart by their
  column names (:func:`table_kind`, the one place): the submissions of innexport's XLSForm
  exported by KoBoToolbox or ODK Central (:mod:`innexport.files.odk`) and LimeSurvey's response
  exports (:mod:`innexport.files.limesurvey`).

A firm answered by several people has one sheet per respondent: ``respondent: {id, role}`` in YAML
and JSON (per entry of ``firms:``), the ``respondent_id`` and ``respondent_role`` columns of a table
(one row per firm and respondent) or rows of a questionnaire's ``firm`` sheet. The role is one of
:data:`innexport.core.assessment.RESPONDENT_ROLES`; how the sheets are consolidated is
:mod:`innexport.core.respondents`'s rule, not the reader's.

Every problem is reported with the file, the line or row (and column), the firm and the
question; nothing is scored unless the whole file is valid. YAML and JSON are read by
:func:`innexport.files.yamlsource.parse_yaml`, the one line-located YAML reader (PyYAML's safe
loader: a bare ``yes``/``no`` answer is read as true/false and accepted as such); JSON is parsed
by :func:`innexport.files.limits.parse_json` (bounded in size and depth).

Every file is held to the input limits of :mod:`innexport.files.limits` before it is parsed:
size, YAML and JSON nesting and aliases, CSV and XLSX rows and columns, the XLSX archive (a zip
bomb is refused from its directory). Text is UTF-8, or the UTF-16/32 its byte-order mark names;
a CSV that is not UTF-8 is read as Windows-1252 (what Excel writes in French, Spanish and other
Western European locales), with a :class:`ReadingNote` saying so.
A refusal is an :class:`AnswersError` raised while handling the
:class:`~innexport.files.limits.InputRefused`.

Shares (``export_share``, ``rd_intensity``) are in [0, 1]; a percentage written as text (``45 %``)
is read as 0.45, and a number above 1 is refused with that hint.

Notes about how a file was read (an encoding assumed, a renamed sheet found by its columns) are
:class:`ReadingNote` warnings (Python's ``warnings``): the command line prints them as notes.
"""

from __future__ import annotations

import csv
import io
import re
import warnings
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from innexport.core.assessment import RESPONDENT_ROLES, AnswersError, AnswerSheet, Problem
from innexport.files.cells import column_letter
from innexport.files.limits import (
    MAX_DOCUMENT_BYTES,
    MAX_TABLE_BYTES,
    MAX_TABLE_COLUMNS,
    InputRefused,
    check_table_shape,
    check_zip,
    parse_json,
    read_text,
)
from innexport.files.schemas import FORMAT_VERSION_KEY, format_version_problem, without_format_version
from innexport.files.yamlsource import YamlDocument, YamlError, parse_yaml

FIRM_COLUMNS = {
    "firm_id": "id", "firm_name": "name", "country": "country", "region": "region", "sector": "sector",
    "size": "size", "employees": "employees", "founded": "founded", "export_share": "export_share",
    "rd_intensity": "rd_intensity", "contact": "contact",
}
SHEET_COLUMNS = ("framework", "version", "modules", "lang", "assessed_on", "assessor")
RESPONDENT_COLUMNS = {"respondent_id": "id", "respondent_role": "role"}
"""Table columns (and questionnaire firm-sheet rows) of the respondent, when a firm has several."""
SHARED_KEYS = SHEET_COLUMNS
COMMENT_PREFIX = "comment."
SHARE_FIELDS = ("export_share", "rd_intensity")
"""Firm fields that are shares in [0, 1]."""
CSV_FALLBACK_ENCODING = "cp1252"
"""How a CSV that is not UTF-8 is read: Windows-1252, Excel's "CSV" in Western European locales."""
_ENCODING_NAMES = {"cp1252": "Windows-1252"}
MAX_FIRM_FIELDS = 50
"""Rows of a sheet's first column looked at to recognise a renamed firm sheet (it has about 15)."""
_PERCENT = re.compile(r"^\s*(\d+(?:[.,]\d+)?)\s*%\s*$")


class ReadingNote(UserWarning):
    """How an answers file was read, when the reader had to assume something (a warning, not an error).

    >>> import warnings
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     warnings.warn(ReadingNote("a.csv: read as Windows-1252"), stacklevel=1)
    >>> str(caught[0].message)
    'a.csv: read as Windows-1252'
    """


def read_answers(path: str | Path) -> list[AnswerSheet]:
    """Answer sheets of every firm in ``path``; raises :class:`AnswersError` naming each problem."""
    path = Path(path)
    if not path.exists():
        raise AnswersError([Problem(str(path), "file not found")])
    suffix = path.suffix.lower()
    readers = {".yaml": _read_yaml, ".yml": _read_yaml, ".json": _read_json, ".csv": _read_csv, ".xlsx": _read_xlsx}
    if suffix not in readers:
        raise AnswersError([Problem(str(path), f"unsupported answers format '{suffix}' (use .yaml, .json, .csv or .xlsx)")])
    sheets = readers[suffix](path)
    if not sheets:
        raise AnswersError([Problem(str(path), "no firm found in this file")])
    return sheets


# --- YAML and JSON ----------------------------------------------------------------------------------


def read_answers_text(text: str, origin: str = "<stdin>") -> list[AnswerSheet]:
    """Answer sheets from YAML or JSON text (e.g. standard input), named ``origin`` in messages.

    >>> [s.firm.id for s in read_answers_text('{"firm": {"id": "f1", "name": "F"}, "answers": {}}')]
    ['f1']
    """
    if len(text.encode("utf-8")) > MAX_DOCUMENT_BYTES:
        raise AnswersError([Problem(origin, f"larger than the {MAX_DOCUMENT_BYTES:,} bytes accepted")])
    sheets = _sheets_from_yaml_text(text, origin)
    if not sheets:
        raise AnswersError([Problem(origin, "no firm found")])
    return sheets


def _read_yaml(path: Path) -> list[AnswerSheet]:
    return _sheets_from_yaml_text(_read_text(path, MAX_DOCUMENT_BYTES), path)


def _sheets_from_yaml_text(text: str, path: Path | str) -> list[AnswerSheet]:
    try:
        doc = parse_yaml(text, str(path))
    except YamlError as exc:
        where = f"{path}, line {exc.line}" if exc.line is not None else str(path)
        what = "refused YAML" if isinstance(exc, InputRefused) else "broken YAML"
        raise AnswersError([Problem(where, f"{what}: {exc.problem}")]) from exc
    return _sheets_from_document(path, doc.data, doc)


def _read_json(path: Path) -> list[AnswerSheet]:
    text = _read_text(path, MAX_DOCUMENT_BYTES)
    try:
        data = parse_json(text, str(path))
    except InputRefused as exc:
        where = f"{path}, {exc.where}" if exc.where else str(path)
        what = f"broken JSON: {exc.problem.removeprefix('not JSON: ')}" if getattr(exc, "syntax", False) \
            else f"refused JSON: {exc.problem}"
        raise AnswersError([Problem(where, what)]) from exc
    try:
        doc: YamlDocument | None = parse_yaml(text, str(path))  # JSON is YAML: line numbers for the messages
    except YamlError:
        doc = None
    return _sheets_from_document(path, data, doc)


def _read_text(path: Path, max_bytes: int, fallback: str | None = None) -> str:
    """The file's text (UTF-8, or as its byte-order mark says, or ``fallback`` with a
    :class:`ReadingNote`), refused beyond ``max_bytes``."""
    try:
        text = read_text(path, max_bytes)
    except InputRefused as exc:
        if fallback is not None and exc.problem.startswith("not UTF-8 text"):
            try:
                text = read_text(path, max_bytes, fallback=fallback)
            except InputRefused:
                pass
            else:
                warnings.warn(ReadingNote(f"{path}: not UTF-8 text, read as {_ENCODING_NAMES[fallback]}; "
                                          "save it as UTF-8 CSV to be sure of its accents"), stacklevel=3)
                return text
        raise AnswersError([Problem(f"{path}, {exc.where}" if exc.where else str(path), exc.problem)]) from exc
    except OSError as exc:
        raise AnswersError([Problem(str(path), f"cannot be read: {exc.strerror or exc}")]) from None
    return text


def _sheets_from_document(path: Path | str, data: Any, doc: YamlDocument | None) -> list[AnswerSheet]:
    if not isinstance(data, dict):
        raise AnswersError([Problem(str(path), "expected a mapping with `firm:` and `answers:` (or a `firms:` list)")])
    problem = format_version_problem(data)
    if problem is not None:
        at = doc.key_line([FORMAT_VERSION_KEY]) if doc is not None else None
        raise AnswersError([Problem(f"{path}, line {'?' if at is None else at}, field {FORMAT_VERSION_KEY}", problem)])
    data = without_format_version(data)
    if "firms" in data:
        shared = {k: data[k] for k in SHARED_KEYS if k in data}
        extra = sorted(set(data) - set(SHARED_KEYS) - {"firms"})
        if extra:
            raise AnswersError([Problem(f"{path}, line {_line(doc, [extra[0]])}",
                                        f"unknown top-level field(s): {', '.join(extra)}")])
        if not isinstance(data["firms"], list):
            raise AnswersError([Problem(f"{path}, line {_line(doc, ['firms'])}", "`firms` must be a list")])
        entries = [({**shared, **e} if isinstance(e, dict) else e, ["firms", i]) for i, e in enumerate(data["firms"])]
    else:
        entries = [(data, [])]
    sheets, problems = [], []
    for entry, loc in entries:
        where = f"{path}, line {_line(doc, loc)}"
        if not isinstance(entry, dict):
            problems.append(Problem(where, "each firm must be a mapping with `firm:` and `answers:`"))
            continue
        if isinstance(entry.get("firm"), dict):
            entry = {**entry, "firm": _read_shares(entry["firm"])}
        try:
            sheet = AnswerSheet.model_validate(entry)
        except ValidationError as exc:
            problems.extend(_validation_problems(exc, lambda where, base=loc: f"{path}, line {_line(doc, base + list(where))}"))
            continue
        lines = {q: f"line {_line(doc, [*loc, 'answers', q])}" for q in sheet.answers}
        located = doc is not None and doc.root is not None
        sheets.append(sheet.located(str(path), lines, f"line {_line(doc, [*loc, 'firm'])}" if located else ""))
    if problems:
        raise AnswersError(problems)
    return sheets


def _line(doc: YamlDocument | None, loc: Iterable[Any]) -> int | str:
    """The line of ``loc`` in the document (of its deepest part that exists), or ``?``."""
    line = doc.line(list(loc)) if doc is not None else None
    return "?" if line is None else line


def _validation_problems(exc: ValidationError, where_of: Any) -> list[Problem]:
    out = []
    for err in exc.errors():
        loc = [p for p in err["loc"] if not (isinstance(p, str) and ("[" in p or p in {"str", "int", "float", "bool"}))]
        field = ".".join(str(p) for p in loc)
        msg = err["msg"]
        if err["type"] == "missing":
            msg = "required field is missing"
        elif err["type"] == "extra_forbidden":
            msg = "unknown field"
        elif loc and loc[-1] in SHARE_FIELDS:
            msg = f"{err['input']} is not a share: write a number between 0 and 1 (0.45) or a percentage (45 %)"
        elif loc[-2:] == ["respondent", "role"]:
            msg = f"unknown role {err['input']!r} (use {', '.join(RESPONDENT_ROLES)})"
        out.append(Problem(f"{where_of(loc)}, field {field}", msg))
    return out


# --- tables (CSV, XLSX) ----------------------------------------------------------------------------


def _read_csv(path: Path) -> list[AnswerSheet]:
    text = _read_text(path, MAX_TABLE_BYTES, fallback=CSV_FALLBACK_ENCODING)
    header = text.split("\n", 1)[0]
    delimiter = max(";,\t", key=header.count)  # the header's most frequent separator
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    try:
        check_table_shape(str(path), rows=text.count("\n"), columns=header.count(delimiter) + 1, where="line 1")
        rows: list[list[str]] = []
        for row in reader:
            check_table_shape(str(path), rows=len(rows) + 1, columns=len(row), where=f"line {reader.line_num}")
            rows.append(row)
    except InputRefused as exc:
        raise AnswersError([Problem(f"{path}, {exc.where}", exc.problem)]) from exc
    except csv.Error as exc:
        raise AnswersError([Problem(f"{path}, line {reader.line_num}", f"broken CSV: {exc}")]) from None
    other = _other_export(path, str(path), rows)
    return _sheets_from_table(str(path), rows) if other is None else other


LIMESURVEY_COLUMNS: frozenset[str] = frozenset({"submitdate", "lastpage", "startlanguage"})
"""Metadata columns of a LimeSurvey response export ("Export results", question codes as headings)."""


def table_kind(header: Iterable[Any]) -> str:
    """What a table is, by its header's column names (the one place that tells): ``odk`` (a
    KoBoToolbox or ODK Central submission export of innexport's XLSForm, :mod:`innexport.files.odk`),
    ``limesurvey`` (a LimeSurvey response export, :mod:`innexport.files.limesurvey`) or ``table``
    (innexport's own table of firms).

    >>> table_kind(["SubmissionDate", "firm-firm_id", "KEY"]), table_kind(["firm/firm_id", "_uuid"])
    ('odk', 'odk')
    >>> table_kind(["id", "submitdate", "lastpage", "startlanguage", "seed"]), table_kind(["firm_id", "q1"])
    ('limesurvey', 'table')
    >>> table_kind(["id. Response ID", "submitdate. Date submitted", "lastpage. Last page"])
    'limesurvey'
    """
    from innexport.files.odk import is_submission_export  # here: files.odk imports this module

    names = [str(h).strip() for h in header if h is not None]
    if is_submission_export(names):
        return "odk"
    if len(LIMESURVEY_COLUMNS & {re.split(r"[.\s]", n, maxsplit=1)[0] for n in names}) >= 2:
        return "limesurvey"  # headings as codes (``submitdate``) or as "code. text" (``submitdate. Date submitted``)
    return "table"


def _other_export(path: Path, origin: str, rows: list[list[Any]]) -> list[AnswerSheet] | None:
    """The sheets of a platform's export (KoBoToolbox, ODK Central, LimeSurvey), or None for a table of firms."""
    header = next((r for r in rows if any(_cell(c) is not None for c in r)), [])
    kind = table_kind(_cell(h) for h in header)
    if kind == "odk":
        from innexport.files.odk import sheets_from_rows

        return sheets_from_rows(origin, rows)
    if kind == "limesurvey":
        try:
            from innexport.files.limesurvey import read_responses
        except ImportError:
            raise AnswersError([Problem(origin, "this is a LimeSurvey response export, but this version of "
                                                "innexport cannot read them (innexport.files.limesurvey is missing)")]) from None
        return read_responses(path)
    return None


def _sheets_from_table(origin: str, rows: list[list[Any]]) -> list[AnswerSheet]:
    rows = [r for r in rows if any(_cell(c) for c in r)]
    if not rows:
        return []
    header = [str(_cell(h)) for h in rows[0]]
    problems = []
    dupes = sorted({h for h in header if h and header.count(h) > 1})
    if dupes:
        problems.append(Problem(f"{origin}, row 1", f"duplicated column(s): {', '.join(dupes)}"))
    if "firm_id" not in header:
        problems.append(Problem(f"{origin}, row 1", "a `firm_id` column is needed (one row per firm)"))
    if problems:
        raise AnswersError(problems)
    sheets = []
    for r, row in enumerate(rows[1:], start=2):
        if len(row) > len(header) and any(_cell(c) for c in row[len(header):]):
            problems.append(Problem(f"{origin}, row {r}", f"{len(row)} cells but only {len(header)} columns in the header"))
            continue
        firm: dict[str, Any] = {}
        respondent: dict[str, Any] = {}
        entry: dict[str, Any] = {"answers": {}, "comments": {}}
        where: dict[str, str] = {}
        for j, name in enumerate(header):
            value = _cell(row[j]) if j < len(row) else None
            if not name:
                continue
            if name in FIRM_COLUMNS:
                if value is not None:
                    firm[FIRM_COLUMNS[name]] = value
            elif name in RESPONDENT_COLUMNS:
                if value is not None:
                    respondent[RESPONDENT_COLUMNS[name]] = str(value)
            elif name == FORMAT_VERSION_KEY:
                if value is not None and (problem := _cell_version_problem(value)):
                    problems.append(Problem(f"{origin}, row {r}, column {column_letter(j)} ({name})", problem))
            elif name in SHEET_COLUMNS:
                if value is not None:
                    entry[name] = [m.strip() for m in str(value).split(";") if m.strip()] if name == "modules" else value
            elif name.startswith(COMMENT_PREFIX):
                if value is not None:
                    entry["comments"][name[len(COMMENT_PREFIX):]] = str(value)
            else:
                entry["answers"][name] = value
                where[name] = f"row {r}, column {column_letter(j)}"
        entry["firm"] = _read_shares({"name": firm.get("id", ""), **firm})
        if respondent:
            entry["respondent"] = respondent
        if "version" in entry:
            entry["version"] = str(entry["version"])
        for key in ("id", "sector"):
            if key in entry["firm"]:
                entry["firm"][key] = str(entry["firm"][key])
        try:
            sheet = AnswerSheet.model_validate(entry)
        except ValidationError as exc:
            problems.extend(_validation_problems(exc, lambda loc, r=r: f"{origin}, row {r}"))
            continue
        sheets.append(sheet.located(origin, where, f"row {r}"))
    if problems:
        raise AnswersError(problems)
    return sheets


def _read_shares(firm: dict[str, Any]) -> dict[str, Any]:
    """The firm's fields with a share written as a percentage (``"45 %"``) read as a number (0.45).

    >>> _read_shares({"id": "a", "export_share": "45 %", "rd_intensity": "2,5%"})
    {'id': 'a', 'export_share': 0.45, 'rd_intensity': 0.025}
    """
    out = dict(firm)
    for key in SHARE_FIELDS:
        if isinstance(out.get(key), str) and (m := _PERCENT.match(out[key])):
            out[key] = float(m.group(1).replace(",", ".")) / 100
    return out


def _cell_version_problem(value: Any) -> str | None:
    """Why a table's or a questionnaire's ``format_version`` cell cannot be read (None: supported). A
    cell holding a whole number as text (CSV) is that number.

    >>> _cell_version_problem("1") is None, _cell_version_problem(1) is None
    (True, True)
    >>> print(_cell_version_problem("7"))
    unknown format version 7 (this innexport reads version 1; a newer innexport may read it)
    """
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    return format_version_problem({FORMAT_VERSION_KEY: value})


def _cell(value: Any) -> Any:
    """A cell's value, with blanks as None and numbers that are integers as int."""
    if value is None:
        return None
    if isinstance(value, str):
        value = value.strip()
        return value or None
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _read_xlsx(path: Path) -> list[AnswerSheet]:
    import openpyxl  # imported here: only XLSX files need it

    try:
        check_zip(path)  # before openpyxl inflates anything: a zip bomb is refused from the archive's directory
    except InputRefused as exc:
        raise AnswersError([Problem(str(path), f"broken XLSX file: {exc.problem}")]) from exc
    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a broken file
        raise AnswersError([Problem(str(path), f"broken XLSX file: {exc}")]) from None
    try:
        if "questionnaire" in book.sheetnames:
            return [_sheet_from_questionnaire(path, book, "questionnaire")]
        # a renamed sheet (`cuestionario`, `Feuil1`) is recognised by its columns
        for ws in book.worksheets:
            origin = f"{path} [{ws.title}]"
            rows = _sheet_rows(origin, ws)
            if _questionnaire_header(rows) is not None:
                return [_sheet_from_questionnaire(path, book, ws.title, rows)]
            other = _other_export(path, origin, rows)
            if other is not None:
                return other
            if rows and "firm_id" in [_cell(c) for c in rows[0]]:
                return _sheets_from_table(origin, rows)
        raise AnswersError([Problem(str(path), "no sheet is a table of firms (a `firm_id` column in its first row) "
                                               "or a questionnaire (`question_id` and `answer` columns); sheets "
                                               f"found: {', '.join(book.sheetnames)}")])
    finally:
        book.close()


def _questionnaire_header(rows: list[list[Any]]) -> int | None:
    """The position of the questionnaire's header row (``question_id`` and ``answer``), if any."""
    return next((i for i, r in enumerate(rows) if "question_id" in r and "answer" in r), None)


def _sheet_rows(origin: str, ws: Any) -> list[list[Any]]:
    """The rows of a worksheet as lists, refused beyond the table limits (checked as they are read)."""
    rows: list[list[Any]] = []
    try:
        for row in ws.iter_rows(values_only=True):
            width = len(row)
            if width > MAX_TABLE_COLUMNS:  # rows may be padded to the sheet's declared width: count filled cells
                width = next((j + 1 for j in range(width - 1, -1, -1) if row[j] is not None), 0)
            check_table_shape(origin, rows=len(rows) + 1, columns=width, where=f"row {len(rows) + 1}")
            rows.append(list(row))
    except InputRefused as exc:
        raise AnswersError([Problem(f"{origin}, {exc.where}", exc.problem)]) from exc
    return rows


def _sheet_from_questionnaire(path: Path, book: Any, name: str, rows: list[list[Any]] | None = None) -> AnswerSheet:
    """One firm's filled-in questionnaire workbook (see :mod:`innexport.rendering.questionnaire`):
    the questionnaire is sheet ``name`` (its ``rows`` if already read); the firm's fields are on
    the ``firm`` sheet, or on the other sheet whose first column has ``firm_id``."""
    origin = f"{path} [{name}]"
    entry: dict[str, Any] = {"answers": {}, "comments": {}}
    firm: dict[str, Any] = {}
    firm_sheet = "firm" if "firm" in book.sheetnames else next(
        (ws.title for ws in book.worksheets if ws.title != name
         and "firm_id" in [_cell(r[0]) for r in ws.iter_rows(max_row=MAX_FIRM_FIELDS, max_col=1, values_only=True)]),
        "firm")
    if name != "questionnaire":
        warnings.warn(ReadingNote(f"{path}: no `questionnaire` sheet; sheet `{name}` read as the questionnaire"
                                  + (f" and `{firm_sheet}` as the firm's fields" if firm_sheet != "firm" else "")),
                      stacklevel=4)
    if firm_sheet in book.sheetnames:
        for row in book[firm_sheet].iter_rows(min_row=2, values_only=True):
            key, value = (_cell(row[0]) if row else None), (_cell(row[1]) if len(row) > 1 else None)
            if key is None or value is None:
                continue
            if key in FIRM_COLUMNS:
                firm[FIRM_COLUMNS[key]] = str(value) if key in ("firm_id", "sector") else value
            elif key == FORMAT_VERSION_KEY:
                if problem := _cell_version_problem(value):
                    raise AnswersError([Problem(f"{path} [{firm_sheet}], row {FORMAT_VERSION_KEY}", problem)])
            elif key in RESPONDENT_COLUMNS:
                entry.setdefault("respondent", {})[RESPONDENT_COLUMNS[key]] = str(value)
            elif key == "modules":
                entry["modules"] = [m.strip() for m in str(value).split(";") if m.strip()]
            elif key in SHEET_COLUMNS:
                entry[key] = str(value) if key == "version" else value
    rows = _sheet_rows(origin, book[name]) if rows is None else rows
    head = _questionnaire_header(rows)
    if head is None:
        raise AnswersError([Problem(origin, "no header row with `question_id` and `answer` columns")])
    cols = {name: j for j, name in enumerate(rows[head]) if name}
    where: dict[str, str] = {}
    for r, row in enumerate(rows[head + 1:], start=head + 2):
        qid = _cell(row[cols["question_id"]]) if cols["question_id"] < len(row) else None
        if qid is None:
            continue
        qid = str(qid)
        answer = _cell(row[cols["answer"]]) if cols["answer"] < len(row) else None
        if qid in entry["answers"]:
            raise AnswersError([Problem(f"{origin}, row {r}", f"question {qid} appears twice")])
        entry["answers"][qid] = answer
        where[qid] = f"row {r}, column {column_letter(cols['answer'])}"
        if "comment" in cols and cols["comment"] < len(row) and _cell(row[cols["comment"]]) is not None:
            entry["comments"][qid] = str(_cell(row[cols["comment"]]))
    if not firm.get("id"):
        raise AnswersError([Problem(f"{path} [{firm_sheet}]", "the firm_id field is empty: fill in the firm sheet")])
    entry["firm"] = _read_shares({"name": firm["id"], **firm})
    try:
        sheet = AnswerSheet.model_validate(entry)
    except ValidationError as exc:
        raise AnswersError(_validation_problems(exc, lambda loc: f"{path} [{firm_sheet}]")) from None
    return sheet.located(origin, where)
