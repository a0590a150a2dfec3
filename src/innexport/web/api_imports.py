"""The API of importing answers (``POST /api/answers/import``, tag *imports*).

A ninja router mounted on :data:`innexport.web.api.api` (its authentication, error shapes and
handlers apply). The body is a multipart form with the ``file`` (innexport answers in YAML, JSON,
CSV or XLSX, a KoBoToolbox or ODK Central submission export, a LimeSurvey response export);
``?dry_run=true`` answers the preview (200) and saves nothing, without it the file is imported
(201) in one transaction. Every rule is :mod:`innexport.web.imports`'s (the reading, the firms
matched by id, then name, else created; the framework version; all or nothing). The API keeps no
file between the two calls: the client sends the same file again to import it.

Refusals: 400 with ``problems`` (each ``where``, naming file, row, column, firm and question, and
``message``) and nothing saved; 413 for a file over the reader's limit; 403 for a read-only analyst.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Field, File, Router, Schema, Status
from ninja.files import UploadedFile

from innexport.web import imports, tenancy
from innexport.web.models import Assessment

router = Router(tags=["imports"])
"""Mounted by :mod:`innexport.web.api` (which this module does not import: the API imports it)."""


class ImportFailure(Schema):
    detail: str = Field(..., description="what went wrong, in words")


class ProblemOut(Schema):
    where: str = Field(..., description="file, row or line, column, firm and question",
                       examples=["kobo.csv, row 3, column F (dim_networks/net_partners), firm fr-1, question net_partners"])
    message: str


class ImportProblems(ImportFailure):
    problems: list[ProblemOut] = Field(default_factory=list, description="every problem of the file")


class RespondentPlanOut(Schema):
    id: str = Field(..., description="the respondent's id in the file")
    role: str
    answers: int


class FirmPlanOut(Schema):
    key: str = Field(..., description="the firm's id in the file")
    name: str
    match: str = Field(..., description="`id` or `name` (an existing firm of your organisation), or `new`",
                       examples=["id"])
    firm_id: int | None = Field(..., description="the firm (null in a dry run of a new firm)")
    framework_version_id: int
    framework: str = Field(..., description="the framework version's label", examples=["iiep 1.1.0 + wine 1.1.0"])
    lang: str
    assessed_on: str | None
    answers: int = Field(..., description="questions answered (a team: by its first respondent)")
    respondents: list[RespondentPlanOut]
    assessment_id: int | None = Field(..., description="the draft assessment created (null in a dry run)")


class ImportOut(Schema):
    file: str
    dry_run: bool
    diagnostics: int
    firms: list[FirmPlanOut]
    notes: list[str] = Field(..., description="how the file was read, when the reader had to assume something")


ERRORS = {400: ImportProblems, 401: ImportFailure, 403: ImportFailure, 413: ImportProblems, 422: ImportFailure,
          503: ImportFailure}


def _out(plan: imports.ImportPlan, created: list[Assessment] | None) -> dict[str, Any]:
    firms = []
    for i, p in enumerate(plan.firms):
        made = created[i] if created is not None else None
        firm_id = made.firm_id if made is not None else (p.firm.pk if p.firm is not None else None)
        firms.append({
            "key": p.key, "name": made.firm.name if made is not None else p.name, "match": p.match,
            "firm_id": firm_id, "framework_version_id": p.framework.pk, "framework": p.framework.label,
            "lang": p.lang, "assessed_on": p.assessed_on.isoformat() if p.assessed_on else None,
            "answers": p.answers, "respondents": [{"id": r.id, "role": r.role, "answers": r.answers}
                                                  for r in p.respondents],
            "assessment_id": made.pk if made is not None else None,
        })
    return {"file": plan.filename, "dry_run": created is None, "diagnostics": plan.diagnostics, "firms": firms,
            "notes": plan.notes}


@router.post("/answers/import", response={200: ImportOut, 201: ImportOut, **ERRORS},
             summary="Import an answers file or a KoBoToolbox, ODK Central or LimeSurvey export (dry_run: preview)")
def import_answers(request: HttpRequest, file: File[UploadedFile], dry_run: bool = False) -> Status:
    tenancy.require_editor(request.user)
    try:
        plan = imports.plan_upload(file, request.user)
        if dry_run:
            return Status(200, _out(plan, None))
        created = imports.run_import(plan, request)
    except imports.ImportRefused as exc:
        shown = "; ".join(str(p) for p in exc.problems[:5]) + ("…" if len(exc.problems) > 5 else "")
        return Status(exc.status, {"detail": f"{len(exc.problems)} problem(s), nothing was saved: {shown}",
                                   "problems": [{"where": p.where, "message": p.message} for p in exc.problems]})
    return Status(201, _out(plan, created))
