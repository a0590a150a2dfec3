"""A diagnostic among the organisation's own firms and against the shared reference; the organisation's
settings (the opt-in to the shared reference).

``assessments/<pk>/benchmark/`` shows, to the members of the assessment's organisation only (404 for
anyone else), where the diagnostic stands among the latest diagnostics of the organisation's other
firms of the same sector, size class and country — or of the broader group used when that one is
too small, saying which and why — with the percentile of IIP, IEP, IIEP and each dimension, its
90 % interval and the group's median (:mod:`innexport.portfolio.peers`, through
:mod:`innexport.web.benchmarking`); and, when the organisation contributes to the shared reference,
its approximate place among the firms of the other contributing organisations.

``organisation/settings/``: an organisation admin opts in to (or out of) the shared reference; each
change is written to the audit log. Other members see the setting but cannot change it (403 on POST).
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils.translation import gettext as _

from innexport.core.framework import Framework
from innexport.portfolio import peers
from innexport.rendering import i18n
from innexport.rendering.countries import country_name
from innexport.rendering.sectors import sector_label
from innexport.web import benchmarking, services, tenancy
from innexport.web.language import interface_language
from innexport.web.models import AuditEntry, Role, SizeClass
from innexport.web.tenancy import member_required


def level_label(level_id: str) -> str:
    """The words of a peer group (:data:`innexport.portfolio.peers.LEVELS`) in the active language."""
    labels = {
        "sector_size_country": _("same sector, size class and country"),
        "sector_country": _("same sector and country, any size"),
        "division_country": _("same NACE division and country"),
        "section_country": _("same NACE section and country"),
        "section": _("same NACE section, any country"),
    }
    return labels[level_id]


def _group_text(group: dict[str, str], lang: str) -> str:
    """``11.02 — Manufacture of wine from grape · Small (10–49) · France``."""
    sizes = dict(SizeClass.choices)
    parts = []
    for key in ("sector", "division", "section", "size", "country"):
        if key not in group:
            continue
        value = group[key]
        if key == "size":
            parts.append(str(sizes.get(value, value)) if value else _("size not given"))
        elif key == "country":
            parts.append(country_name(value, lang) if value else _("country not given"))
        else:
            parts.append(sector_label(value, lang) if value else _("sector not given"))
    return " · ".join(parts)


def _column_label(column: str, fw: Framework, lang: str) -> str:
    names = {"iip": _("Innovation (IIP)"), "iep": _("Export (IEP)"), "iiep": _("Innovation and export (IIEP)")}
    if column in names:
        return names[column]
    dim_id = column.removeprefix("dim:")
    dim = next((d for d in fw.dimensions if d.id == dim_id), None)
    return dim.name[lang] if dim is not None else dim_id


def _context(result: benchmarking.Benchmark, fw: Framework, lang: str) -> dict[str, Any]:
    tr = i18n.translator(lang)
    context: dict[str, Any] = {"result": result, "min_group": peers.MIN_GROUP,
                               "confidence": tr.percent(peers.CONFIDENCE)}
    p = result.placement
    if p is not None:
        context["level"] = level_label(p.level.id)
        context["group"] = _group_text(p.group, lang)
        context["tried"] = [{"level": level_label(t.level.id), "group": _group_text(t.group, lang), "n": t.n}
                            for t in p.tried]
        context["rows"] = [{
            "label": _column_label(r.column, fw, lang), "index": not r.column.startswith("dim:"),
            "value": tr.num(r.value), "n": r.n, "median": tr.num(r.median),
            "percentile": None if r.percentile is None else tr.num(r.percentile, 0),
            "low": None if r.low is None else tr.num(r.low, 0), "high": None if r.high is None else tr.num(r.high, 0),
            # SVG coordinates: written with a dot whatever the language
            "bar": None if r.percentile is None else {"low": f"{r.low or 0:.1f}",
                                                      "width": f"{(r.high or 0) - (r.low or 0):.1f}",
                                                      "point": f"{r.percentile:.1f}"},
        } for r in p.rows]
    if result.refused is not None:
        context["tried"] = [{"level": level_label(t.level.id), "group": _group_text(t.group, lang), "n": t.n}
                            for t in result.refused.tried]
    g = result.reference_group
    if g is not None:
        context["reference_group"] = _group_text({"section": g.section, "size": g.size, "country": g.country}, lang)
        context["reference_rows"] = [{
            "label": _column_label(r.column, fw, lang), "value": tr.num(r.value),
            "percentile": tr.num(r.percentile, 0), "low": tr.num(r.low, 0), "high": tr.num(r.high, 0),
        } for r in result.reference]
    return context


@member_required
def benchmark_page(request: HttpRequest, pk: int) -> HttpResponse:
    """The benchmark page of assessment ``pk`` (404 outside its organisation, 409 while in progress)."""
    assessment = get_object_or_404(tenancy.assessments(request.user), pk=pk)
    lang = interface_language()
    context: dict[str, Any] = {"assessment": assessment, "firm": assessment.firm,
                               "is_admin": tenancy.membership(request.user).role == Role.ADMIN}
    try:
        result = benchmarking.benchmark(assessment)
    except benchmarking.NotCompleted:
        context["not_completed"] = True
        return render(request, "web/benchmark.html", context, status=409)
    context.update(_context(result, services.framework_of(assessment.framework), lang))
    return render(request, "web/benchmark.html", context)


@member_required
def organisation_settings(request: HttpRequest) -> HttpResponse:
    """The organisation's settings: every member sees them, an admin changes them (audited), others get 403."""
    membership = tenancy.membership(request.user)
    organisation = membership.organisation
    if request.method == "POST":
        tenancy.require_admin(request.user)
        share = request.POST.get("share_reference") == "on"
        if share != organisation.share_reference:
            organisation.share_reference = share
            organisation.save(update_fields=["share_reference"])
            tenancy.record(request, AuditEntry.Action.CHANGE, organisation,
                           "shared reference: opted in" if share else "shared reference: opted out")
        return redirect("organisation-settings")
    return render(request, "web/organisation_settings.html",
                  {"is_admin": membership.role == Role.ADMIN,
                   "min_group": peers.MIN_GROUP})


urlpatterns = [
    path("assessments/<int:pk>/benchmark/", benchmark_page, name="assessment-benchmark"),
    path("organisation/settings/", organisation_settings, name="organisation-settings"),
]
