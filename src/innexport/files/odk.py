"""Submissions of innexport's XLSForm, as KoBoToolbox and ODK Central export them, read as answer sheets.

``innexport questionnaire --format xlsform`` (:mod:`innexport.rendering.xlsform`) writes a form
whose names this module defines: a first group :data:`FIRM_GROUP` with the firm's fields (the
columns of an answers table, :data:`innexport.files.answers.FIRM_COLUMNS`), the respondent's role,
the interview's date and assessor, and calculated fields that stamp each submission with the
framework it answered (:data:`STAMP_FIELDS`); then one group per dimension (``dim_`` + its id,
:func:`dimension_group`) whose questions are named by the framework's question ids and whose
choices are the scale's level codes and ``dk`` ("don't know").

What this module decides is how a row of the platforms' *submission exports* becomes an
:class:`~innexport.core.assessment.AnswerSheet` (one row per submission, hence per firm or per
respondent of a firm):

* **column names**: the field's name, optionally behind its group path. ODK Central joins the
  path with ``-`` (``dim_networks-net_partners``, ``meta-instanceID``; getodk/central-backend,
  ``lib/data/briefcase.js``, ``streamBriefcaseCsvs``, or the bare name when "group names" are
  switched off); KoBoToolbox with ``/`` by default, or the separator chosen in the export's
  "Group separator" (kobotoolbox/formpack, ``reporting/export.py``, ``group_sep``), or the bare
  name when "Include groups in headers" is off. innexport's names never hold ``/ - . :``, so the
  last part of a column (:func:`field_name`) is the field, whatever the separator.
* **submission metadata** is recognised and set aside: ODK Central's ``SubmissionDate``, ``KEY``,
  ``SubmitterID``, ``SubmitterName``, ``AttachmentsPresent``, ``AttachmentsExpected``,
  ``Status``, ``ReviewState``, ``DeviceID``, ``Edits``, ``FormVersion`` (:data:`CENTRAL_METADATA`,
  the root table's columns in ``briefcase.js``); KoBoToolbox's copied fields, whose names start
  with an underscore (``_id``, ``_uuid``, ``_submission_time``, ``_validation_status``,
  ``_notes``, ``_status``, ``_submitted_by``, ``__version__``, ``_tags``, ``_index``:
  kobotoolbox/kpi, ``COPY_FIELDS`` of its export tasks); and the XLSForm metadata (``start``,
  ``end``, ``today``, ``deviceid``… and ``meta/instanceID``, ``meta/instanceName``,
  ``meta/rootUuid``, ``meta/deprecatedID``; XLSForm specification, "Metadata",
  https://xlsform.org/en/#metadata).
* **answers** are the choices' *names* (the level codes, ``dk``): KoBoToolbox's "XML values and
  headers" export, ODK Central's only one. A label in any of the framework's languages is
  accepted too (:mod:`innexport.core.answers`, the one rule of answers), so an export "in
  French" still reads, but its *headers* must be the names.
* **the firm's shares** (``export_share``, ``rd_intensity``) are asked in the form as
  percentages from 0 to 100 (:data:`PERCENT_FIELDS`) and kept as shares (45 → 0.45).
* **rejected submissions** (ODK Central's review state ``rejected``, KoBoToolbox's validation
  status "Not approved") are left out, with a :class:`~innexport.files.answers.ReadingNote`.
* **respondents**: a row with a ``respondent_role`` is one respondent of its firm; its id is the
  row's ``respondent_id`` if the export has one, else the submission's instance ID (``KEY``,
  ``meta/instanceID`` or ``_uuid``), which links it back to the submission on the platform.
  Rows of the same firm without a role are refused by the one rule of repeated firms
  (:func:`innexport.core.assessment.encode`, :func:`innexport.core.respondents.team_groups`).

Every problem names the file, the row (the header is row 1) and the column (its letter and
name). An unknown question column is refused when the framework is known, with the answers'
other problems (:func:`innexport.core.assessment.encode`); a column that cannot be a field of the
form at all is refused here.

Sources: XLSForm specification (https://xlsform.org/en/); ODK Central's CSV export
(https://docs.getodk.org/central-submissions/#downloading-submissions and
getodk/central-backend ``lib/data/briefcase.js``); KoBoToolbox's exports
(https://support.kobotoolbox.org/export_download.html and kobotoolbox/formpack
``reporting/export.py``: ``;``-separated, every cell quoted, ``/`` as default group separator).
"""

from __future__ import annotations

import datetime as dt
import re
import warnings
from collections.abc import Sequence
from typing import Any

from pydantic import ValidationError

from innexport.core.assessment import AnswersError, AnswerSheet, Problem
from innexport.files.answers import (
    FIRM_COLUMNS,
    RESPONDENT_COLUMNS,
    SHARE_FIELDS,
    SHEET_COLUMNS,
    ReadingNote,
    _cell,
    _validation_problems,
)
from innexport.files.cells import column_letter

FIRM_GROUP = "firm"
"""The form's first group: the firm, the respondent, the interview and the framework's stamp."""
DIMENSION_PREFIX = "dim_"
"""A dimension's group is named ``dim_`` + the dimension's id (:func:`dimension_group`)."""
META_GROUP = "meta"
STAMP_FIELDS: tuple[str, ...] = ("framework", "version", "modules", "lang", "framework_hash")
"""Calculated fields of the firm group naming what the submission answered: the framework's id,
version, modules (``;``-separated) and content hash, and the report's language."""
PERCENT_FIELDS: tuple[str, ...] = SHARE_FIELDS
"""Firm fields the form asks as a percentage (0 to 100) and the reader keeps as a share."""
CENTRAL_METADATA: frozenset[str] = frozenset({
    "SubmissionDate", "KEY", "SubmitterID", "SubmitterName", "AttachmentsPresent", "AttachmentsExpected",
    "Status", "ReviewState", "DeviceID", "Edits", "FormVersion", "PARENT_KEY",
})
"""The columns ODK Central adds to a submission export (``briefcase.js``)."""
FORM_METADATA: frozenset[str] = frozenset({
    "start", "end", "today", "deviceid", "phonenumber", "username", "email", "simserial", "subscriberid",
    "audit", "instanceID", "instanceName", "rootUuid", "deprecatedID", "instanceid",
})
"""XLSForm metadata fields (XLSForm specification, "Metadata") and ODK's ``meta`` block."""
INSTANCE_ID_COLUMNS: tuple[str, ...] = ("KEY", "instanceID", "_uuid")
"""Where a submission's instance ID is, first found first: ODK Central, the form's meta, KoBoToolbox."""
REJECTED: dict[str, frozenset[str]] = {
    "ReviewState": frozenset({"rejected"}),
    "_validation_status": frozenset({"validation_status_not_approved", "not approved"}),
}
"""Metadata columns and the values (case-folded) that mark a submission rejected: left out."""
_SEPARATORS = re.compile(r"[/\-.:]")
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_FIELDS = {*FIRM_COLUMNS, *RESPONDENT_COLUMNS, *SHEET_COLUMNS}


def dimension_group(dimension_id: str) -> str:
    """The name of a dimension's group in the form.

    >>> dimension_group("networks")
    'dim_networks'
    """
    return DIMENSION_PREFIX + dimension_id


def field_name(column: str) -> tuple[tuple[str, ...], str]:
    """A column's group path and field name, whatever the group separator.

    >>> field_name("dim_networks/net_partners"), field_name("dim_networks-net_partners")
    ((('dim_networks',), 'net_partners'), (('dim_networks',), 'net_partners'))
    >>> field_name("meta-instanceID"), field_name("firm_id")
    ((('meta',), 'instanceID'), ((), 'firm_id'))
    """
    parts = _SEPARATORS.split(column.strip())
    return tuple(parts[:-1]), parts[-1]


def is_metadata(column: str) -> bool:
    """Whether a column is submission metadata of ODK Central, KoBoToolbox or the XLSForm, not an answer.

    >>> [is_metadata(c) for c in ("KEY", "_uuid", "__version__", "meta/instanceID", "start", "firm-firm_id")]
    [True, True, True, True, True, False]
    """
    column = column.strip()
    if column in CENTRAL_METADATA or column.startswith("_"):
        return True
    path, name = field_name(column)
    return name in FORM_METADATA and (not path or path == (META_GROUP,))


def is_submission_export(header: Sequence[Any]) -> bool:
    """Whether a table's header row is a KoBoToolbox or ODK Central export of innexport's form:
    ODK Central's ``SubmissionDate`` and ``KEY``, KoBoToolbox's ``_uuid`` or ``_submission_time``,
    or a column inside the form's firm group.

    >>> is_submission_export(["SubmissionDate", "firm-firm_id", "KEY"])
    True
    >>> is_submission_export(["firm_id", "q1", "_uuid"]), is_submission_export(["firm_id", "q1"])
    (True, False)
    >>> is_submission_export(["firm/firm_id", "dim_networks/net_partners"])
    True
    """
    names = {str(h).strip() for h in header if h is not None}
    if {"SubmissionDate", "KEY"} <= names or names & {"_uuid", "_submission_time"}:
        return True
    return any(field_name(n)[0] == (FIRM_GROUP,) for n in names)


def sheets_from_rows(origin: str, rows: list[list[Any]]) -> list[AnswerSheet]:
    """The answer sheets of a submission export's rows (the header first), one per submission.

    Raises :class:`~innexport.core.assessment.AnswersError` naming the row and column of each problem.

    >>> rows = [["SubmissionDate", "firm-firm_id", "firm-export_share", "dim_networks-net_partners", "KEY"],
    ...         ["2026-03-01T10:00:00.000Z", "f1", "45", "often", "uuid:1"]]
    >>> sheet, = sheets_from_rows("export.csv", rows)
    >>> sheet.firm.id, sheet.firm.export_share, sheet.answers
    ('f1', 0.45, {'net_partners': 'often'})
    >>> sheets_from_rows("export.csv", [["KEY", "firm-firm_id", "Notes libres"], ["k", "f1", "x"]])
    Traceback (most recent call last):
    ...
    innexport.core.assessment.AnswersError: export.csv, row 1, column C (Notes libres): not a field of innexport's form ...
    """
    rows = [r for r in rows if any(_cell(c) is not None for c in r)]
    if not rows:
        return []
    header = [str(_cell(h) or "") for h in rows[0]]
    columns, problems = _columns(origin, header)
    if problems:
        raise AnswersError(problems)
    if not any(kind == "field" and key == "firm_id" for kind, key in columns.values()):
        raise AnswersError([Problem(f"{origin}, row 1", f"no `{FIRM_GROUP}/firm_id` column: is this an export of "
                                                        "innexport's form (with its XML names as headers)?")])
    sheets: list[AnswerSheet] = []
    skipped: list[int] = []
    for r, row in enumerate(rows[1:], start=2):
        cells = {j: _cell(row[j]) if j < len(row) else None for j in range(len(header))}
        if any(str(cells[j] or "").strip().casefold() in REJECTED.get(header[j].strip(), ()) for j in cells):
            skipped.append(r)
            continue
        sheet = _sheet(origin, r, header, columns, cells, problems)
        if sheet is not None:
            sheets.append(sheet)
    if skipped:
        warnings.warn(ReadingNote(f"{origin}: row(s) {', '.join(map(str, skipped))} left out: rejected on the "
                                  "platform (review state or validation status)"), stacklevel=3)
    if problems:
        raise AnswersError(problems)
    return sheets


def _model_path(key: str) -> tuple[str, ...]:
    """Where a field of the firm group is in :class:`~innexport.core.assessment.AnswerSheet`.

    >>> _model_path("firm_id"), _model_path("respondent_role"), _model_path("lang")
    (('firm', 'id'), ('respondent', 'role'), ('lang',))
    """
    if key in FIRM_COLUMNS:
        return ("firm", FIRM_COLUMNS[key])
    if key in RESPONDENT_COLUMNS:
        return ("respondent", RESPONDENT_COLUMNS[key])
    return (key,)


def _place(origin: str, r: int, j: int, name: str) -> str:
    return f"{origin}, row {r}, column {column_letter(j)} ({name})"


def _columns(origin: str, header: list[str]) -> tuple[dict[int, tuple[str, str]], list[Problem]]:
    """Each column's kind (``meta``, ``field`` of the firm group, ``answer``) and key; the problems."""
    columns: dict[int, tuple[str, str]] = {}
    problems: list[Problem] = []
    first: dict[str, int] = {}
    for j, name in enumerate(header):
        if not name:
            continue
        if is_metadata(name):
            columns[j] = ("meta", name.strip())
            continue
        path, field = field_name(name)
        ok_path = not path or path in ((FIRM_GROUP,), (META_GROUP,)) or (
            len(path) == 1 and path[0].startswith(DIMENSION_PREFIX))
        if not ok_path or not _NAME.match(field):
            problems.append(Problem(f"{origin}, row 1, column {column_letter(j)} ({name})",
                                    "not a field of innexport's form nor submission metadata "
                                    "(export the data with its XML names as headers)"))
            continue
        if field in first:
            problems.append(Problem(f"{origin}, row 1, column {column_letter(j)} ({name})",
                                    f"field {field} is also column {column_letter(first[field])} "
                                    f"({header[first[field]]})"))
            continue
        first[field] = j
        in_firm = field in _FIELDS or field in STAMP_FIELDS
        columns[j] = ("field" if in_firm else "answer", field)
    return columns, problems


def _sheet(origin: str, r: int, header: list[str], columns: dict[int, tuple[str, str]],
           cells: dict[int, Any], problems: list[Problem]) -> AnswerSheet | None:
    """One row's answer sheet, or None with its problems added to ``problems``."""
    firm: dict[str, Any] = {}
    entry: dict[str, Any] = {"answers": {}}
    respondent: dict[str, Any] = {}
    where: dict[str, str] = {}
    meta: dict[str, Any] = {}
    firm_at = f"row {r}"
    before = len(problems)
    for j, (kind, key) in columns.items():
        value = cells[j]
        if kind == "meta":
            meta[field_name(key)[1]] = value
            continue
        if kind == "answer":
            entry["answers"][key] = value
            where[key] = f"row {r}, column {column_letter(j)} ({header[j]})"
            continue
        if key == "firm_id":
            firm_at = f"row {r}, column {column_letter(j)} ({header[j]})"
        if value is None or key == "framework_hash":
            continue
        if isinstance(value, dt.datetime):
            value = value.date()
        if key in PERCENT_FIELDS:
            try:
                value = float(str(value).replace(",", ".")) / 100
            except ValueError:
                problems.append(Problem(_place(origin, r, j, header[j]),
                                        f"{value!r} is not a percentage (a number from 0 to 100)"))
                continue
        if key in FIRM_COLUMNS:
            firm[FIRM_COLUMNS[key]] = str(value) if key in ("firm_id", "sector", "firm_name") else value
        elif key in RESPONDENT_COLUMNS:
            respondent[RESPONDENT_COLUMNS[key]] = str(value)
        elif key == "modules":
            entry["modules"] = [m for m in re.split(r"[;\s]+", str(value)) if m]
        else:
            entry[key] = str(value) if key in ("version", "lang", "framework", "assessor") else value
    if not firm.get("id"):
        status = meta.get("Status")
        problems.append(Problem(f"{origin}, {firm_at}", f"the submission cannot be read: {status}" if status else
                                "the firm's id (firm_id) is empty"))
    if len(problems) > before:
        return None
    if respondent:
        respondent.setdefault("id", next((str(meta[c]) for c in INSTANCE_ID_COLUMNS if meta.get(c)), f"row {r}"))
        entry["respondent"] = respondent
    entry["firm"] = {"name": firm["id"], **firm}
    try:
        sheet = AnswerSheet.model_validate(entry)
    except ValidationError as exc:
        column_of = {_model_path(k): j for j, (kind, k) in columns.items() if kind == "field"}

        def locate(loc: Sequence[Any]) -> str:
            j = column_of.get(tuple(str(p) for p in loc[:2]))
            return _place(origin, r, j, header[j]) if j is not None else f"{origin}, {firm_at}"

        problems.extend(_validation_problems(exc, locate))
        return None
    return sheet.located(origin, where, firm_at)
