"""Firms: list with search and filters, create, edit, detail, whole-data export and erasure."""

from __future__ import annotations

from typing import cast

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Count, Max, Q
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.http import require_POST

from innexport.rendering.sectors import sector_code, sector_codes_within
from innexport.web import tenancy
from innexport.web.fields import CountryField, SectorField
from innexport.web.models import AuditEntry, Firm, SizeClass
from innexport.web.tenancy import editor_required, member_required


class FirmForm(forms.ModelForm):
    country = CountryField(label=capfirst(_lazy("country")))
    sector = SectorField(label=capfirst(Firm._meta.get_field("sector").verbose_name), required=False,
                         help_text=_lazy("Type its NACE code (e.g. 11.02) or its name, and pick it in the list."))

    class Meta:
        model = Firm
        fields = ["name", "country", "region", "sector", "size_class", "year_founded", "export_share",
                  "rd_intensity", "contact", "contact_email"]

    def __init__(self, *args, organisation=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.organisation = organisation
        sector = self.instance.sector if self.instance.pk else ""
        if sector and sector_code(sector) != sector:  # saved before sectors were checked: kept while unchanged
            cast(SectorField, self.fields["sector"]).legacy = sector
        self.fields["export_share"].widget.attrs.update(min=0, max=100, step="0.1")
        self.fields["rd_intensity"].widget.attrs.update(min=0, max=100, step="0.1")

    def clean_year_founded(self) -> int | None:
        year = self.cleaned_data.get("year_founded")
        if year is not None and not 1000 <= year <= 2100:
            raise forms.ValidationError(_("Give a year between 1000 and 2100."))
        return year

    def _clean_percentage(self, field: str):
        value = self.cleaned_data.get(field)
        if value is not None and not 0 <= value <= 100:
            raise forms.ValidationError(_("Give a percentage between 0 and 100."))
        return value

    def clean_export_share(self):
        return self._clean_percentage("export_share")

    def clean_rd_intensity(self):
        return self._clean_percentage("rd_intensity")

    def clean_name(self) -> str:
        name = self.cleaned_data["name"].strip()
        clash = Firm.objects.filter(organisation=self.organisation, name__iexact=name)
        if self.instance.pk:
            clash = clash.exclude(pk=self.instance.pk)
        if clash.exists():
            raise forms.ValidationError(_("Your organisation already has a firm of this name."))
        return name


@member_required
def firm_list(request: HttpRequest) -> HttpResponse:
    qs = tenancy.firms(request.user).annotate(n_assessments=Count("assessments"),
                                             last_assessed=Max("assessments__assessed_on"))
    q = request.GET.get("q", "").strip()
    if q:
        qs = qs.filter(Q(name__icontains=q) | Q(region__icontains=q) | Q(contact__icontains=q) | Q(sector__icontains=q))
    filters = {key: request.GET.get(key, "").strip() for key in ("country", "size_class", "sector")}
    for key, value in filters.items():
        if key == "sector" and value:  # a code or a name; a code keeps the positions under it (C11 → 11.02…)
            qs = qs.filter(sector__in=sector_codes_within(sector_code(value) or value))
        elif value:
            qs = qs.filter(**{key: value.upper() if key == "country" else value})
    page = Paginator(qs.order_by("name"), 50).get_page(request.GET.get("page"))
    countries = tenancy.firms(request.user).order_by("country").values_list("country", flat=True).distinct()
    return render(request, "web/firm_list.html", {
        "page": page, "q": q, "filters": filters, "countries": countries, "sizes": SizeClass.choices,
    })


@editor_required
def firm_create(request: HttpRequest) -> HttpResponse:
    org = tenancy.organisation(request.user)
    form = FirmForm(request.POST or None, organisation=org)
    if request.method == "POST" and form.is_valid():
        firm = form.save(commit=False)
        firm.organisation, firm.created_by = org, request.user
        firm.save()
        tenancy.record(request, AuditEntry.Action.CREATE, firm, firm.name)
        messages.success(request, _("Firm “%(name)s” created.") % {"name": firm.name})
        return redirect("firm-detail", pk=firm.pk)
    return render(request, "web/firm_form.html", {"form": form, "creating": True}, status=400 if form.errors else 200)


@editor_required
def firm_edit(request: HttpRequest, pk: int) -> HttpResponse:
    firm = get_object_or_404(tenancy.firms(request.user), pk=pk)
    form = FirmForm(request.POST or None, instance=firm, organisation=firm.organisation)
    if request.method == "POST" and form.is_valid():
        form.save()
        tenancy.record(request, AuditEntry.Action.CHANGE, firm, ", ".join(form.changed_data))
        messages.success(request, _("Changes saved."))
        return redirect("firm-detail", pk=firm.pk)
    return render(request, "web/firm_form.html", {"form": form, "firm": firm}, status=400 if form.errors else 200)


@member_required
def firm_detail(request: HttpRequest, pk: int) -> HttpResponse:
    firm = get_object_or_404(tenancy.firms(request.user), pk=pk)
    assessments = list(firm.assessments.select_related("framework", "plan")
                       .defer("result", "framework__framework_yaml", "framework__modules_yaml")
                       .order_by("-assessed_on", "-created_at"))
    n_completed = sum(1 for a in assessments if a.completed)
    return render(request, "web/firm_detail.html", {"firm": firm, "assessments": assessments,
                                                    "n_completed": n_completed})


def firm_data(firm: Firm) -> dict:
    """Everything held about a firm: its record, its assessments, their answers and results."""
    return {
        "firm": {f.name: _jsonable(getattr(firm, f.name)) for f in Firm._meta.concrete_fields
                 if f.name not in ("organisation", "created_by")},
        "organisation": firm.organisation.name,
        "assessments": [
            {
                "id": a.pk, "framework": a.framework.label, "content_hash": a.framework.content_hash,
                "lang": a.lang, "status": a.status, "assessed_on": a.assessed_on.isoformat(), "assessor": a.assessor,
                "answers": {x.question_id: {"value": x.value, "comment": x.comment} for x in a.answers.all()
                            if x.respondent_id is None},
                "respondents": [{"name": r.name, "role": r.role, "email": r.email, "answers": {
                    x.question_id: {"value": x.value, "comment": x.comment} for x in a.answers.all()
                    if x.respondent_id == r.pk}} for r in a.respondents.all()],
                "result": a.result,
                "plan": _plan_data(a),
            }
            for a in firm.assessments.select_related("framework").prefetch_related("answers", "respondents")
        ],
    }


def _plan_data(assessment) -> list[dict] | None:
    """The assessment's action plan (its actions, as stored), or None."""
    plan = getattr(assessment, "plan", None)  # RelatedObjectDoesNotExist is an AttributeError
    if plan is None:
        return None
    return [{f.name: _jsonable(getattr(action, f.name)) for f in action._meta.concrete_fields
             if f.name not in ("plan", "updated_by")} for action in plan.actions.all()]


def _jsonable(value):
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if value is not None and value.__class__.__name__ == "Decimal":
        return float(value)
    return value


@member_required
def firm_export(request: HttpRequest, pk: int) -> HttpResponse:
    firm = get_object_or_404(tenancy.firms(request.user), pk=pk)
    tenancy.record(request, AuditEntry.Action.EXPORT, firm, "whole data export (JSON)")
    response = JsonResponse(firm_data(firm), json_dumps_params={"ensure_ascii": False, "indent": 2})
    response["Content-Disposition"] = f'attachment; filename="firm-{firm.pk}.json"'
    return response


@require_POST
@editor_required
def firm_erase(request: HttpRequest, pk: int) -> HttpResponse:
    """Erase a firm and its assessments, on request (the confirmation must repeat its name)."""
    firm = get_object_or_404(tenancy.firms(request.user), pk=pk)
    if request.POST.get("confirm_name", "").strip() != firm.name:
        messages.error(request, _("Type the firm's exact name to confirm its erasure."))
        return redirect("firm-detail", pk=firm.pk)
    tenancy.erase_firm(request, firm)  # the audit log keeps "firm #<id>", not the name
    messages.success(request, _("The firm and its assessments were erased."))
    return redirect("firm-list")


@member_required
def audit_log(request: HttpRequest) -> HttpResponse:
    tenancy.require_admin(request.user)
    page = Paginator(tenancy.audit_entries(request.user).select_related("user"), 100).get_page(request.GET.get("page"))
    return render(request, "web/audit.html", {"page": page})


urlpatterns = [
    path("firms/", firm_list, name="firm-list"),
    path("firms/new/", firm_create, name="firm-create"),
    path("firms/<int:pk>/", firm_detail, name="firm-detail"),
    path("firms/<int:pk>/edit/", firm_edit, name="firm-edit"),
    path("firms/<int:pk>/export.json", firm_export, name="firm-export"),
    path("firms/<int:pk>/erase/", firm_erase, name="firm-erase"),
    path("audit/", audit_log, name="audit-log"),
]


