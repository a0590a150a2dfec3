"""Frameworks: list the stored versions, upload a framework (with its modules), publish, unpublish.

Who may do what:

* framework versions are **shared by every organisation** (an assessment of any organisation can
  use any published version), so uploading, publishing and unpublishing is a platform action kept
  for *staff* users (Django ``is_staff``), not for organisation admins: an organisation admin must
  not change what other organisations score with;
* every member (and staff) can see the list and the content of each version, so advisors know
  which framework their diagnostics use.

An upload is validated by the core (:func:`innexport.files.frameworks.parse_text` and
:func:`innexport.core.framework.apply_module`): when a file has problems, every issue is shown (file,
line, location, message) and nothing is stored. A valid upload becomes an *unpublished* version
(or the identical version already stored: versions are keyed by their content hash). A version's
content is never edited and a version used by assessments cannot be deleted, so an assessment is
always scored with the exact texts it was made with.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from functools import wraps
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count, IntegerField, Q, Value
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.http import require_POST

from innexport.core.framework import Framework, FrameworkError, Issue, Module, apply_module
from innexport.files.frameworks import parse_text
from innexport.web import services, tenancy
from innexport.web.language import interface_language
from innexport.web.models import AuditEntry, FrameworkVersion, Membership
from innexport.web.uploads import ACCEPT_YAML, uploaded_text

MAX_FILE_BYTES = 2 * 1024 * 1024
"""Largest framework or module file accepted (the shipped iiep.yaml is about a tenth of it)."""
MODULE_SLOTS = 4
"""Module files an upload can carry; they are applied in this order."""


# --- access ---------------------------------------------------------------------------------------


def _viewer_required(view: Callable[..., Any]) -> Callable[..., Any]:
    """Login required; staff, or a member of an organisation (anyone else gets 403)."""

    @login_required
    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        if not request.user.is_staff:
            tenancy.membership(request.user)
        return view(request, *args, **kwargs)

    return wrapped


def staff_required(view: Callable[..., Any]) -> Callable[..., Any]:
    """Login required and ``is_staff``: frameworks are shared by all organisations."""

    @login_required
    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        if not request.user.is_staff:
            raise PermissionDenied("only staff can upload, publish or unpublish frameworks (they are shared "
                                   "by all organisations)")
        return view(request, *args, **kwargs)

    return wrapped


def _organisation_of(user: Any):
    try:
        return user.membership.organisation
    except (Membership.DoesNotExist, AttributeError):
        return None


def _audit(request: HttpRequest, action: str, version: FrameworkVersion, description: str) -> None:
    # A framework version belongs to no organisation: the entry is platform-wide (organisation
    # left empty), visible in the Django admin's audit log.
    AuditEntry.objects.create(organisation=None, user=tenancy.signed_in(request), action=action, object_type="frameworkversion",
                              object_id=str(version.pk), description=description[:300])


# --- upload ---------------------------------------------------------------------------------------


class UploadForm(forms.Form):
    framework = forms.FileField(label=_lazy("Framework file (YAML)"),
                                help_text=_lazy("A `kind: framework` document, at most 2 MB, UTF-8."))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for k in range(1, MODULE_SLOTS + 1):
            self.fields[f"module_{k}"] = forms.FileField(
                label=_lazy("Module %(n)d (YAML, optional)") % {"n": k}, required=False,
                help_text=_lazy("Modules are applied in this order.") if k == 1 else "",
            )
        for field in self.fields.values():
            field.widget.attrs["accept"] = ACCEPT_YAML

    def _read(self, name: str) -> tuple[str, str] | None:
        upload = self.cleaned_data.get(name)
        if not upload:
            return None
        return uploaded_text(upload, MAX_FILE_BYTES)

    def clean_framework(self) -> tuple[str, str] | None:
        return self._read("framework")

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        for k in range(1, MODULE_SLOTS + 1):
            name = f"module_{k}"
            if name in self.errors:
                continue
            try:
                data[name] = self._read(name)
            except forms.ValidationError as exc:
                self.add_error(name, exc)
        return data

    @property
    def files_in_order(self) -> tuple[tuple[str, str], list[tuple[str, str]]]:
        """(name, text) of the framework file and of each module file, in order."""
        modules = [self.cleaned_data[f"module_{k}"] for k in range(1, MODULE_SLOTS + 1)]
        return self.cleaned_data["framework"], [m for m in modules if m]


def validate_files(framework_file: tuple[str, str],
                   module_files: list[tuple[str, str]]) -> tuple[Framework | None, list[Issue]]:
    """The merged framework and no issue, or None and every issue found in the files (each issue names its file).

    Every file is parsed and checked on its own first, so the problems of all files are reported
    together; the modules are then applied in order (stopping at the first that does not fit).
    """
    issues: list[Issue] = []
    framework: Framework | None = None
    modules: list[Module] = []
    for k, (name, text) in enumerate([framework_file, *module_files]):
        try:
            doc = parse_text(text, name)
        except FrameworkError as exc:
            issues += [dataclasses.replace(i, file=i.file or name) for i in exc.issues]
            continue
        if k == 0:
            if isinstance(doc, Framework):
                framework = doc
            else:
                issues.append(Issue("kind", _("this is a module: upload its framework as the framework file and "
                                              "the module as a module file"), 1, name))
        elif isinstance(doc, Module):
            modules.append(doc)
        else:
            issues.append(Issue("kind", _("this is a framework, not a module"), 1, name))
    if issues or framework is None:
        return None, issues
    for (name, _text), module in zip(module_files, modules, strict=True):  # no issue: every file is a module
        try:
            framework = apply_module(framework, module)
        except FrameworkError as exc:
            return None, [dataclasses.replace(i, file=i.file or name) for i in exc.issues]
    return framework, []


def counts(fw: Framework) -> dict[str, int]:
    return {"dimensions": len(fw.dimensions), "activities": len(fw.activities), "questions": len(fw.observables)}


# --- views ----------------------------------------------------------------------------------------


@_viewer_required
def framework_list(request: HttpRequest) -> HttpResponse:
    qs = FrameworkVersion.objects.select_related("uploaded_by").order_by("-published", "framework_id", "-created_at")
    org = _organisation_of(request.user)
    # Members see how many of *their* organisation's assessments use each version; staff see all.
    qs = qs.annotate(n_all=Count("assessments"),
                     n_org=Count("assessments", filter=Q(assessments__organisation=org)) if org
                     else Value(0, output_field=IntegerField()))
    return render(request, "web/frameworks.html", {"versions": qs, "is_staff": request.user.is_staff, "org": org})


@staff_required
def framework_upload(request: HttpRequest) -> HttpResponse:
    form = UploadForm(request.POST or None, request.FILES or None)
    issues: list[Issue] = []
    if request.method == "POST" and form.is_valid():
        framework_file, module_files = form.files_in_order
        fw, issues = validate_files(framework_file, module_files)
        if fw is not None:
            existing = FrameworkVersion.objects.filter(content_hash=fw.content_hash).first()
            summary = _("%(dimensions)d dimensions, %(activities)d activities, %(questions)d questions") % counts(fw)
            if existing is not None:
                messages.info(request, _("This content is already stored as %(label)s (%(state)s): %(summary)s. "
                                         "Nothing new was saved.") % {
                    "label": existing.label, "summary": summary,
                    "state": _("published") if existing.published else _("not published")})
                return redirect("framework-detail", pk=existing.pk)
            try:
                version = services.framework_version_from_texts(
                    framework_file[1], [text for _name, text in module_files], published=False, user=request.user)
            except FrameworkError as exc:  # the same validation as above; kept as a safety net
                issues = exc.issues
            else:
                _audit(request, AuditEntry.Action.CREATE, version, f"uploaded {version.label} {version.content_hash}")
                messages.success(request, _("Uploaded %(label)s: %(summary)s. It is not published yet: check it, "
                                            "then publish it.") % {"label": version.label, "summary": summary})
                return redirect("framework-detail", pk=version.pk)
    status = 400 if (form.errors or issues) else 200
    return render(request, "web/frameworks_upload.html", {
        "form": form, "issues": issues, "max_mb": MAX_FILE_BYTES // 1024 // 1024,
    }, status=status)


@_viewer_required
def framework_detail(request: HttpRequest, pk: int) -> HttpResponse:
    version = get_object_or_404(FrameworkVersion.objects.select_related("uploaded_by"), pk=pk)
    lang = interface_language()
    problem = None
    tree: list[dict[str, Any]] = []
    summary: dict[str, int] = {}
    title = version.label
    try:
        fw = services.framework_of(version)
    except FrameworkError as exc:  # stored texts that no longer validate (e.g. after a core upgrade)
        problem = exc
    else:
        title, summary = fw.title.get(lang), counts(fw)
        weights = fw.dimension_weights()
        for dim, dw in zip(fw.dimensions, weights, strict=True):
            tree.append({
                "id": dim.id, "name": dim.name.get(lang), "weight": dw,
                "activities": [{"id": a.id, "name": a.name.get(lang), "tag": a.tag, "questions": len(a.observables),
                                "weight": w}
                               for a, w in zip(dim.activities, fw.activity_weights(dim), strict=True)],
            })
    org = _organisation_of(request.user)
    used_by_org = version.assessments.filter(organisation=org).count() if org else 0
    return render(request, "web/frameworks_detail.html", {
        "version": version, "title": title, "tree": tree, "summary": summary, "problem": problem,
        "used_all": version.assessments.count(), "used_by_org": used_by_org, "org": org,
        "is_staff": request.user.is_staff, "modules_yaml": [(k, mid, text) for k, (mid, text) in
                         enumerate(zip(version.modules, version.modules_yaml, strict=True), start=1)],
    })


def _set_published(request: HttpRequest, pk: int, published: bool) -> HttpResponse:
    version = get_object_or_404(FrameworkVersion, pk=pk)
    if version.published != published:
        version.published = published
        version.save(update_fields=["published"])  # only the flag: the content is never edited
        _audit(request, AuditEntry.Action.CHANGE, version,
               f"{'published' if published else 'unpublished'} {version.label}")
    if published:
        messages.success(request, _("%(label)s is published: new diagnostics can use it.") % {"label": version.label})
    else:
        messages.success(request, _("%(label)s is no longer offered for new diagnostics; the diagnostics made with "
                                    "it keep it.") % {"label": version.label})
        if not FrameworkVersion.objects.filter(published=True).exists():
            messages.warning(request, _("No framework is published now: no new diagnostic can be started."))
    return redirect("framework-detail", pk=version.pk)


@require_POST
@staff_required
def framework_publish(request: HttpRequest, pk: int) -> HttpResponse:
    return _set_published(request, pk, True)


@require_POST
@staff_required
def framework_unpublish(request: HttpRequest, pk: int) -> HttpResponse:
    return _set_published(request, pk, False)


urlpatterns = [
    path("frameworks/", framework_list, name="framework-list"),
    path("frameworks/upload/", framework_upload, name="framework-upload"),
    path("frameworks/<int:pk>/", framework_detail, name="framework-detail"),
    path("frameworks/<int:pk>/publish/", framework_publish, name="framework-publish"),
    path("frameworks/<int:pk>/unpublish/", framework_unpublish, name="framework-unpublish"),
]
