"""Importing answer files and platform exports into the web application: preview, then confirm.

What this module decides (the reading rules are not here: every file is read by
:func:`innexport.files.answers.read_answers`, the one reader of innexport's YAML/JSON/CSV/XLSX
answer files, of KoBoToolbox/ODK Central submission exports (:mod:`innexport.files.odk`) and of
LimeSurvey response exports (:mod:`innexport.files.limesurvey`)):

* **the upload**: a file whose suffix the reader knows (``.yaml``, ``.yml``, ``.json``, ``.csv``,
  ``.xlsx``), at most :data:`~innexport.files.limits.MAX_DOCUMENT_BYTES` (YAML, JSON) or
  :data:`~innexport.files.limits.MAX_TABLE_BYTES` (CSV, XLSX) — the readers' own limits, checked
  before the file is written (413 otherwise) — saved to a private file (0600) under
  ``$INNEXPORT_DATA_DIR/imports`` with the upload's suffix, and read there;
* **the firms** (:func:`plan_import`): the sheets become firms as the command line groups them
  (:func:`innexport.core.respondents.team_groups`: a team's sheets, each with its ``respondent``,
  are one firm). Each is matched in the user's organisation only (another organisation's firm is
  never found, whatever id the file gives): by id (the sheet's ``firm.id`` equal to a firm's
  number, or ``firm-<number>``), else by exact name (case aside), else it is a *new firm*, whose
  fields (country, sector, size, founding year, shares, contact) are checked by the firm form's
  rules (:class:`innexport.web.views.firms.FirmForm`, with :mod:`innexport.web.fields`'s country
  and sector rules) before anything is saved;
* **the framework**: the published :class:`~innexport.web.models.FrameworkVersion` of the sheet's
  framework id and modules, and of its version when the file names one (exactly that version); a
  file naming none is matched only when one version is published. Then the answers are held to it
  as ``innexport diagnose`` holds them (:func:`innexport.core.assessment.check_framework`, the
  teams consolidated by :func:`innexport.core.respondents.firm_sheets` and every answer checked by
  :func:`innexport.core.assessment.encode`);
* **the refusals**: every problem of the file (the reader's, naming file, row, column and question,
  and this module's, naming the firm) in one :class:`ImportRefused` (400 in the web page and the
  API); nothing is saved unless the whole file is valid;
* **the import** (:func:`run_import`): in ONE transaction, the new firms created, one draft
  assessment per firm (:func:`innexport.web.services.create_assessment`), its answers and comments
  saved (:func:`innexport.web.services.save_answers`); of a team, the first respondent's answers are
  the assessment's own (its role the assessment's ``respondent_role``), the others are added as
  respondents (:func:`innexport.web.respondents.add_respondent`, named by their id in the file)
  with their answers (``respondent=``); and one audit entry "imported N diagnostic(s) from FILE".
  Any failure rolls everything back;
* **preview → confirm** (:func:`stage_upload`, :func:`staged_file`, :func:`claim`): the client is
  not trusted between the two steps. The preview keeps the uploaded file server-side and gives the
  page a token signed with the site's key (:mod:`django.core.signing`) naming that file and the
  user, valid :data:`STAGED_MAX_AGE` seconds; the confirmation reads the kept file again and
  plans it again against the database as it is then (a firm created meanwhile is matched). The
  file is claimed by an atomic rename, so a token confirmed twice (two clicks, two tabs) imports
  once; kept files older than :data:`STAGED_MAX_AGE` are deleted at the next upload. The API has
  no token: ``?dry_run=true`` previews, the same upload without it imports.

Sources: ODK Central and KoBoToolbox exports and LimeSurvey response exports as described in
:mod:`innexport.files.odk` and :mod:`innexport.files.limesurvey`; Django's signing
(https://docs.djangoproject.com/en/5.2/topics/signing/).
"""

from __future__ import annotations

import datetime as dt
import os
import re
import secrets
import time
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core import signing
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from innexport.core.assessment import (
    AnswersError,
    AnswerSheet,
    Problem,
    answer_codes,
    check_framework,
    encode,
)
from innexport.core.framework import Framework
from innexport.core.respondents import firm_sheets, team_groups
from innexport.files.answers import ReadingNote, read_answers
from innexport.files.limits import MAX_DOCUMENT_BYTES, MAX_TABLE_BYTES
from innexport.web import respondents as team
from innexport.web import security, services, tenancy
from innexport.web.models import Assessment, AuditEntry, Firm, FrameworkVersion, Membership, as_lang

__all__ = [
    "MAX_BYTES",
    "STAGED_MAX_AGE",
    "FirmPlan",
    "ImportPlan",
    "ImportRefused",
    "RespondentPlan",
    "claim",
    "firm_pk_of",
    "plan_import",
    "plan_upload",
    "read_file",
    "run_import",
    "stage_upload",
    "staged_file",
]

MAX_BYTES: dict[str, int] = {".yaml": MAX_DOCUMENT_BYTES, ".yml": MAX_DOCUMENT_BYTES, ".json": MAX_DOCUMENT_BYTES,
                             ".csv": MAX_TABLE_BYTES, ".xlsx": MAX_TABLE_BYTES}
"""The suffixes the reader knows, each with the largest file it reads (:mod:`innexport.files.limits`)."""

STAGED_MAX_AGE = 3600
"""Seconds a previewed file is kept for its confirmation (an hour: time to check the preview, not to forget it)."""

_SALT = "innexport.web.imports"
_STAGED_NAME = re.compile(r"^[0-9a-f]{32}\.(?:yaml|yml|json|csv|xlsx)$")
_FIRM_PK = re.compile(r"^(?:firm-)?([0-9]{1,18})$", re.IGNORECASE)


class ImportRefused(Exception):
    """A file that cannot be imported: ``problems`` (:class:`~innexport.core.assessment.Problem`,
    each naming its place), ``status`` the HTTP status (400, or 413 for a file over the limit).

    >>> str(ImportRefused([Problem("a.csv, row 3", "bad")]))
    'a.csv, row 3: bad'
    """

    def __init__(self, problems: Sequence[Problem], status: int = 400):
        self.problems, self.status = list(problems), status
        super().__init__("\n".join(str(p) for p in self.problems))


@dataclass
class RespondentPlan:
    """One respondent of a team in the file: its id there, its role and how many questions it answered."""

    id: str
    role: str
    answers: int


@dataclass
class FirmPlan:
    """One firm of the file and what the import will do with it."""

    key: str
    """The firm's id in the file."""
    name: str
    match: str
    """``id`` or ``name`` (an existing firm of the organisation: :attr:`firm`), or ``new``."""
    firm: Firm | None
    framework: FrameworkVersion
    lang: str
    assessed_on: dt.date | None
    answers: int
    """Questions answered (a team: by its first respondent)."""
    respondents: list[RespondentPlan] = field(default_factory=list)
    """A team's respondents in the file's order (empty for a firm answered by one person)."""
    sheets: list[AnswerSheet] = field(default_factory=list, repr=False)
    new_fields: dict[str, Any] = field(default_factory=dict, repr=False)


@dataclass
class ImportPlan:
    """What a file holds, firm by firm, and the reader's notes (an encoding assumed…)."""

    filename: str
    firms: list[FirmPlan]
    notes: list[str] = field(default_factory=list)

    @property
    def diagnostics(self) -> int:
        return len(self.firms)


# --- the file ----------------------------------------------------------------------------------------


def _suffix(filename: str) -> str:
    suffix = Path(filename).suffix.lower()
    if suffix not in MAX_BYTES:
        raise ImportRefused([Problem(filename, _("a file of type “%(suffix)s” cannot be imported: give a .yaml, "
                                                 ".json, .csv or .xlsx file") % {"suffix": suffix or "?"})])
    return suffix


def _shown_name(filename: str) -> str:
    """The upload's own name, without any folder a browser may send, at most 120 characters."""
    return (Path(str(filename).replace("\\", "/")).name or "upload")[:120]


def _check_size(upload: Any, filename: str, suffix: str) -> None:
    if upload.size > MAX_BYTES[suffix]:
        raise ImportRefused([Problem(filename, _("%(size)s bytes: larger than the %(max)s bytes accepted")
                                     % {"size": f"{upload.size:,}", "max": f"{MAX_BYTES[suffix]:,}"})], status=413)


def _folder() -> Path:
    return security.private_dir(Path(settings.DATA_DIR) / "imports")


def _write(upload: Any, path: Path) -> None:
    fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    with os.fdopen(fd, "wb") as fh:
        for chunk in upload.chunks():
            fh.write(chunk)


def read_file(path: Path, filename: str) -> tuple[list[AnswerSheet], list[str]]:
    """The sheets of the file at ``path`` and the reader's notes, every place named by ``filename``
    (the upload's name, not the private file's). :class:`ImportRefused` with the reader's problems."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ReadingNote)
        try:
            sheets = read_answers(path)
        except AnswersError as exc:
            raise ImportRefused([_renamed(p, str(path), filename) for p in exc.problems]) from None
        except (ValueError, OSError, KeyError, IndexError, TypeError) as exc:  # a reader's slip is still a 400
            raise ImportRefused([Problem(filename, _("cannot be read: %(error)s")
                                         % {"error": str(exc).replace(str(path), filename)[:300]})]) from None
    notes = [str(w.message).replace(str(path), filename) for w in caught if issubclass(w.category, ReadingNote)]
    for sheet in sheets:  # places named by the upload's name in the later problems too
        sheet.located(sheet._origin.replace(str(path), filename),
                      {q: at.replace(str(path), filename) for q, at in sheet._where.items()},
                      sheet._firm_at.replace(str(path), filename))
    return sheets, notes


def _renamed(problem: Problem, path: str, filename: str) -> Problem:
    return Problem(problem.where.replace(path, filename), problem.message.replace(path, filename))


def stage_upload(upload: Any, user: Any) -> tuple[str, Path, str]:
    """Keep an uploaded file for its confirmation: ``(token, path, filename)``; the token, signed,
    names the kept file and ``user``. :class:`ImportRefused` for a suffix the reader does not know
    (400) or a file over its limit (413). Kept files older than :data:`STAGED_MAX_AGE` are deleted."""
    filename = _shown_name(upload.name)
    suffix = _suffix(filename)
    _check_size(upload, filename, suffix)
    folder = _folder()
    _purge(folder)
    stored = f"{secrets.token_hex(16)}{suffix}"
    path = folder / stored
    _write(upload, path)
    token = signing.dumps({"f": stored, "n": filename, "u": user.pk}, salt=_SALT, compress=True)
    return token, path, filename


def _purge(folder: Path) -> None:
    limit = time.time() - STAGED_MAX_AGE
    for old in folder.iterdir():
        try:
            if old.stat().st_mtime < limit:
                old.unlink()
        except OSError:  # removed by another worker meanwhile
            continue


def staged_file(token: str, user: Any) -> tuple[Path, str]:
    """The kept file of a preview and the upload's name, for the user who previewed it.

    :class:`ImportRefused` (400) when the token is forged, for another user, older than
    :data:`STAGED_MAX_AGE`, or its file already imported (or deleted).
    """
    expired = _expired()
    try:
        data = signing.loads(token, salt=_SALT, max_age=STAGED_MAX_AGE)
    except signing.BadSignature:
        raise expired from None
    if not isinstance(data, dict) or data.get("u") != user.pk or not _STAGED_NAME.match(str(data.get("f", ""))):
        raise expired
    path = _folder() / str(data["f"])
    if not path.is_file():
        raise expired
    return path, _shown_name(str(data.get("n", "upload")))


def claim(path: Path) -> Path:
    """Take the kept file for one confirmation (an atomic rename): a second confirmation of the same
    preview finds nothing (:class:`ImportRefused`)."""
    claimed = path.with_name(f"{path.stem}-claimed-{secrets.token_hex(4)}{path.suffix}")
    try:
        path.rename(claimed)
    except OSError:
        raise _expired() from None
    return claimed


def _expired() -> ImportRefused:
    return ImportRefused([Problem(pgettext("the place of a problem: the import itself", "import"),
                                  _("this preview has expired or was already imported: upload the file again"))])


def plan_upload(upload: Any, user: Any) -> ImportPlan:
    """Read and plan an uploaded file without keeping it (the API's way): :func:`plan_import` of it."""
    filename = _shown_name(upload.name)
    suffix = _suffix(filename)
    _check_size(upload, filename, suffix)
    path = _folder() / f"{secrets.token_hex(16)}{suffix}"
    try:
        _write(upload, path)
        sheets, notes = read_file(path, filename)
    finally:
        path.unlink(missing_ok=True)
    return plan_import(sheets, user, filename, notes)


# --- the plan ------------------------------------------------------------------------------------------


def firm_pk_of(firm_id: str) -> int | None:
    """The number a sheet's firm id gives a web firm (``42`` or ``firm-42``), or None.

    >>> firm_pk_of("42"), firm_pk_of("FIRM-7"), firm_pk_of("fr-maison-lacoste"), firm_pk_of("firm-")
    (42, 7, None, None)
    """
    m = _FIRM_PK.match(firm_id.strip())
    return int(m.group(1)) if m else None


def _framework_version(sheet: AnswerSheet) -> FrameworkVersion | str:
    """The published version the sheet was answered with, or why none (a sentence)."""
    modules = [m.split("@")[0] for m in sheet.modules]
    candidates = [v for v in published_versions(sheet.framework) if list(v.modules) == modules]
    named = f"{sheet.framework}" + "".join(f" + {m}" for m in modules)
    if sheet.version is not None:
        exact = [v for v in candidates if v.version == sheet.version]
        if len(exact) == 1:
            return exact[0]
        if not exact:
            shown = ", ".join(sorted({v.version for v in candidates})) or pgettext("no published version", "none")
            return _("answered with %(framework)s %(version)s, which is not published here (published versions: "
                     "%(published)s): an administrator publishes it on the Frameworks page") % {
                "framework": named, "version": sheet.version, "published": shown}
        candidates = exact
    if len(candidates) == 1:
        return candidates[0]
    if not candidates:
        return _("answered with %(framework)s, which is not published here: an administrator publishes it on the "
                 "Frameworks page") % {"framework": named}
    return _("several versions of %(framework)s are published (%(versions)s): the file must name its version") % {
        "framework": named, "versions": ", ".join(v.label for v in candidates)}


def published_versions(framework_id: str) -> list[FrameworkVersion]:
    """The published versions of a framework id (any modules), without their YAML texts."""
    return list(services.published_frameworks().filter(framework_id=framework_id)
                .defer("framework_yaml", "modules_yaml"))


def _new_firm_data(sheet: AnswerSheet) -> dict[str, Any]:
    """The firm form's fields of a new firm, from the sheet's (shares in [0, 1] become percentages)."""
    f = sheet.firm

    def percent(share: float | None) -> Any:
        return "" if share is None else round(share * 100, 2)

    return {"name": f.name, "country": f.country or "", "region": f.region or "", "sector": f.sector or "",
            "size_class": f.size or "", "year_founded": "" if f.founded is None else f.founded,
            "export_share": percent(f.export_share), "rd_intensity": percent(f.rd_intensity),
            "contact": f.contact or "", "contact_email": ""}


def _firm_form(data: dict[str, Any], organisation: Any) -> Any:
    from innexport.web.views.firms import FirmForm  # the one set of firm rules (the API's create uses it too)

    return FirmForm(data, organisation=organisation)


def plan_import(sheets: Sequence[AnswerSheet], user: Any, filename: str, notes: Sequence[str] = ()) -> ImportPlan:
    """What importing ``sheets`` into ``user``'s organisation will do, firm by firm: the firm matched
    (by id, by name, or new), the framework version, the answers; :class:`ImportRefused` listing
    every problem (nothing is saved by this function)."""
    membership: Membership = tenancy.membership(user)
    org = membership.organisation
    try:
        units = team_groups(sheets)
    except AnswersError as exc:
        raise ImportRefused(exc.problems) from None
    problems: list[Problem] = []
    plans: list[FirmPlan] = []
    by_version: dict[int, tuple[FrameworkVersion, list[AnswerSheet]]] = {}
    new_by_key: dict[tuple[str, str], FirmPlan] = {}
    firms = tenancy.firms(user)
    for unit in units:
        group = [sheets[i] for i in unit]
        first = group[0]
        version = _framework_version(first)
        if isinstance(version, str):
            problems.append(Problem(first.where(), version))
            continue
        by_version.setdefault(version.pk, (version, []))[1].extend(group)
        pk = firm_pk_of(first.firm.id)
        firm = firms.filter(pk=pk).first() if pk is not None else None
        match = "id"
        if firm is None:
            firm, match = firms.filter(name__iexact=first.firm.name.strip()).first(), "name"
        plan = FirmPlan(key=first.firm.id, name=firm.name if firm else first.firm.name, match=match, firm=firm,
                        framework=version, lang=as_lang(first.lang or membership.language),
                        assessed_on=first.assessed_on, answers=0, sheets=group)
        if firm is None:
            plan.match = "new"
            keys = [("id", first.firm.id), ("name", first.firm.name.strip().lower())]
            same = next((new_by_key[k] for k in keys if k in new_by_key), None)
            if same is not None:  # the same new firm twice in the file (same id or same name): created once
                plan.new_fields = same.new_fields
            else:
                plan.new_fields = _new_firm_data(first)
                form = _firm_form(plan.new_fields, org)
                if not form.is_valid():
                    problems.extend(Problem(first.where(), f"{name}: {' '.join(str(m) for m in messages)}")
                                    for name, messages in form.errors.items())
                new_by_key.update(dict.fromkeys(keys, plan))
        plans.append(plan)
    for version, group in by_version.values():
        problems.extend(_answer_problems(services.framework_of(version), group))
    if problems:
        raise ImportRefused(problems)
    for plan in plans:
        fw = services.framework_of(plan.framework)
        counts = [len(answer_codes(fw, s)) for s in plan.sheets]
        plan.answers = counts[0]
        if plan.sheets[0].respondent is not None:
            plan.respondents = [RespondentPlan(s.respondent.id, s.respondent.role, n)
                                for s, n in zip(plan.sheets, counts, strict=True) if s.respondent is not None]
    return ImportPlan(filename, plans, list(notes))


def _answer_problems(fw: Framework, group: list[AnswerSheet]) -> list[Problem]:
    """What ``innexport diagnose`` would refuse in the sheets answered with ``fw`` (its rules, not new ones)."""
    try:
        check_framework(fw, group)
        prepared, _teams = firm_sheets(fw, group)
        encode(fw, prepared)
    except AnswersError as exc:
        return exc.problems
    return []


# --- the import ----------------------------------------------------------------------------------------


def _changes(fw: Framework, sheet: AnswerSheet) -> dict[str, tuple[str | None, str | None]]:
    codes = answer_codes(fw, sheet)
    known = {o.id for o in fw.observables}
    changes: dict[str, tuple[str | None, str | None]] = {qid: (code, None) for qid, code in codes.items()}
    for qid, text in sheet.comments.items():
        if qid in known and text.strip():
            changes[qid] = (changes.get(qid, (None, None))[0], text)
    return changes


def run_import(plan: ImportPlan, actor: Any) -> list[Assessment]:
    """Import a planned file (``actor``: the request or the user), all in ONE transaction: the new
    firms, one draft assessment per firm with its answers, a team's further respondents with theirs,
    and the audit entry. The assessments in the plan's order."""
    user = getattr(actor, "user", actor)
    org = tenancy.organisation(user)
    try:
        return _import(plan, actor, user, org)
    except IntegrityError:  # a firm of the same name created by someone else at the same moment
        raise ImportRefused([Problem(plan.filename, _("a firm of the file was created by someone else meanwhile: "
                                                      "check the file again"))]) from None


def _import(plan: ImportPlan, actor: Any, user: Any, org: Any) -> list[Assessment]:
    created: dict[int, Firm] = {}
    out: list[Assessment] = []
    with transaction.atomic():
        for firm_plan in plan.firms:
            firm = firm_plan.firm
            if firm is None:
                firm = created.get(id(firm_plan.new_fields))
            if firm is None:
                form = _firm_form(firm_plan.new_fields, org)
                if not form.is_valid():  # a firm of this name created meanwhile: the file must be previewed again
                    raise ImportRefused([Problem(firm_plan.sheets[0].where(), f"{name}: {' '.join(map(str, msgs))}")
                                         for name, msgs in form.errors.items()])
                firm = form.save(commit=False)
                firm.organisation, firm.created_by = org, user if getattr(user, "is_authenticated", False) else None
                firm.save()
                tenancy.record(actor, AuditEntry.Action.CREATE, firm, f"{firm.name} (import of {plan.filename})")
                created[id(firm_plan.new_fields)] = firm
            first = firm_plan.sheets[0]
            assessment = services.create_assessment(
                firm, firm_plan.framework, lang=firm_plan.lang, actor=actor, assessed_on=first.assessed_on,
                assessor=(first.assessor or "")[:200], note=f"(import of {plan.filename})")
            fw = services.framework_of(firm_plan.framework)
            if first.respondent is not None:
                assessment.respondent_role = first.respondent.role
                assessment.save(update_fields=["respondent_role"])
            services.save_answers(assessment, _changes(fw, first), user=user)
            for sheet in firm_plan.sheets[1:]:
                if sheet.respondent is None:  # pragma: no cover - team_groups gives every sheet of a team one
                    continue
                person = team.add_respondent(assessment, name=sheet.respondent.id[:team.NAME_MAX],
                                             role=sheet.respondent.role, actor=actor)
                services.save_answers(assessment, _changes(fw, sheet), user=user, respondent=person)
            out.append(assessment)
        tenancy.record(actor, AuditEntry.Action.CREATE, org,
                       f"imported {len(out)} diagnostic(s) from {plan.filename}")
    return out
