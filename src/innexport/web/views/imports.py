"""Importing answers (``/answers/import/``): upload a file, check the preview, confirm, open the diagnostics.

An answer file of innexport (YAML, JSON, CSV, XLSX) or a platform's export (KoBoToolbox, ODK
Central, LimeSurvey) is uploaded by an editor (organisation admin or advisor; an analyst gets 403).
The page then lists each firm of the file with the firm it matches in the organisation (by id, by
name, or a new firm), the framework version, the answers and a team's respondents; confirming
imports it all or nothing and lists links to the draft diagnostics. A file that cannot be imported
answers 400 (413 over the size limit) with every problem named (file, row, column, question), and
nothing is saved. Every rule is :mod:`innexport.web.imports`'s: the preview keeps the file on the
server and the page only carries a signed token (see there).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django import forms
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import render
from django.urls import path
from django.utils.translation import gettext_lazy as _lazy

from innexport.web import imports, tenancy
from innexport.web.respondents import role_label
from innexport.web.tenancy import editor_required

ACCEPT = ".yaml,.yml,.json,.csv,.xlsx"
"""The ``accept`` attribute of the file input: the suffixes :data:`innexport.web.imports.MAX_BYTES` knows."""


class ImportForm(forms.Form):
    file = forms.FileField(
        label=_lazy("Answers file"),
        help_text=_lazy("innexport answers (YAML, JSON, CSV or XLSX), a KoBoToolbox or ODK Central export of the "
                        "submissions (CSV or XLSX), or a LimeSurvey response export (CSV)."),
        widget=forms.ClearableFileInput(attrs={"accept": ACCEPT}))


def _rows(plan: imports.ImportPlan) -> list[dict[str, Any]]:
    return [{"plan": p, "respondents": [{"id": r.id, "role": role_label(r.role), "answers": r.answers}
                                        for r in p.respondents]} for p in plan.firms]


def _refused(request: HttpRequest, form: ImportForm, exc: imports.ImportRefused) -> HttpResponse:
    return render(request, "web/answers_import.html", {"form": form, "problems": exc.problems}, status=exc.status)


@editor_required
def answers_import(request: HttpRequest) -> HttpResponse:
    if request.method not in ("GET", "HEAD", "POST"):
        return HttpResponseNotAllowed(["GET", "HEAD", "POST"])
    if request.method == "POST" and "token" in request.POST:
        return _confirm(request)
    form = ImportForm(request.POST or None, request.FILES or None)
    if request.method != "POST":
        return render(request, "web/answers_import.html", {"form": form})
    if not form.is_valid():
        return render(request, "web/answers_import.html", {"form": form}, status=400)
    kept: Path | None = None
    try:
        token, kept, filename = imports.stage_upload(form.cleaned_data["file"], tenancy.signed_in(request))
        sheets, notes = imports.read_file(kept, filename)
        plan = imports.plan_import(sheets, request.user, filename, notes)
    except imports.ImportRefused as exc:
        if kept is not None:
            kept.unlink(missing_ok=True)  # nothing to confirm
        return _refused(request, ImportForm(), exc)
    return render(request, "web/answers_import.html", {"plan": plan, "rows": _rows(plan), "token": token})


def _confirm(request: HttpRequest) -> HttpResponse:
    user = tenancy.signed_in(request)
    try:
        staged, filename = imports.staged_file(request.POST["token"], user)
        claimed = imports.claim(staged)
    except imports.ImportRefused as exc:
        return _refused(request, ImportForm(), exc)
    try:
        sheets, notes = imports.read_file(claimed, filename)
        plan = imports.plan_import(sheets, user, filename, notes)  # again: the database may have changed
        created = imports.run_import(plan, request)
    except imports.ImportRefused as exc:
        return _refused(request, ImportForm(), exc)
    finally:
        claimed.unlink(missing_ok=True)
    done = [{"plan": p, "assessment": a} for p, a in zip(plan.firms, created, strict=True)]
    return render(request, "web/answers_import.html", {"done": done, "filename": filename})


__all__ = ["ImportForm", "answers_import", "urlpatterns"]

urlpatterns = [
    path("answers/import/", answers_import, name="answers-import"),
]
