"""The "what if" page of a completed diagnostic: the advisor moves the dimension weights and sees the
classes (IIP, IEP, IIEP) and the first priorities change. Nothing is saved.

The numbers are :mod:`innexport.web.whatif`'s (the core's pipeline with other weights); this module
words them. The page is a plain GET form (``?w_<dimension>=<percent>``: it works without
JavaScript); ``static/web/whatif.js`` updates it live from the JSON variant
(``assessments/<pk>/whatif.json`` with the same parameters). Bad weights answer 400 naming the
field (the page with the message beside the field, or ``{"error", "field"}`` in JSON); another
organisation's diagnostic 404; a draft 409; any other method than GET 405. Any member may use it,
analysts too: it only reads.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from innexport.core.assessment import FirmResult, WeightRangeOut
from innexport.core.framework import INDICES, Framework
from innexport.rendering import i18n
from innexport.web import services, tenancy
from innexport.web.language import interface_language
from innexport.web.tenancy import member_required
from innexport.web.whatif import BadWeights, WhatIf, field_name, parse_weights, rescore


def _class_label(fw: Framework, cls: str | None, lang: str) -> str:
    by_id = {c.id: c.label[lang] for c in fw.classes}
    return by_id.get(cls or "", _("not classified"))


def _range_text(bounds: tuple[float, float] | None, tr: i18n.Translator) -> str:
    if bounds is None:
        return "—"
    return _("%(low)s to %(high)s") % {"low": tr.percent(bounds[0], 1), "high": tr.percent(bounds[1], 1)}


def _sensitivity(row: WeightRangeOut | None, tr: i18n.Translator) -> list[dict[str, str]]:
    """One dimension's stability intervals as the page prints them: per index, then the first priority."""
    if row is None:
        return []
    out = [{"label": _("%(index)s keeps its class") % {"index": name.upper()}, "range": _range_text(row.classes.get(name), tr)}
           for name in INDICES if name in row.classes]
    out.append({"label": _("the first priority stays first"), "range": _range_text(row.priority, tr)})
    return out


def _dimensions(w: WhatIf, fw: Framework, lang: str) -> list[dict[str, Any]]:
    tr = i18n.translator(lang)
    sensitivity = {r.dimension: r for r in (w.kept.sensitivity or [])}
    return [{"id": d.id, "name": d.name[lang], "field": field_name(d.id),
             "value": round(w.weights[d.id] * 100, 1), "percent": tr.percent(w.weights[d.id], 1),
             "default": tr.percent(w.default[d.id], 1), "moved": abs(w.weights[d.id] - w.default[d.id]) > 1e-9,
             "sensitivity": _sensitivity(sensitivity.get(d.id), tr)}
            for d in fw.dimensions]


def _indices(w: WhatIf, fw: Framework, lang: str) -> list[dict[str, Any]]:
    tr = i18n.translator(lang)
    rows = []
    for name in INDICES:
        now, kept = w.result.indices[name], w.kept.indices[name]
        rows.append({"id": name, "abbr": name.upper(), "name": i18n.t(f"index.{name}", lang),
                     "value": tr.num(now.value), "kept_value": tr.num(kept.value),
                     "class": now.class_ or "none", "class_label": _class_label(fw, now.class_, lang),
                     "kept_class": kept.class_ or "none", "kept_class_label": _class_label(fw, kept.class_, lang),
                     "changed": now.class_ != kept.class_})
    return rows


def _priorities(result: FirmResult, kept: FirmResult, fw: Framework, lang: str) -> list[dict[str, Any]]:
    """The first priorities under the new weights (:meth:`FirmResult.top_priorities`, the one rule),
    each with its rank among the kept result's first priorities (None when it was not among them)."""
    tr = i18n.translator(lang)
    was = {p.activity: k for k, p in enumerate(kept.top_priorities(), start=1)}
    return [{"rank": k, "activity": p.activity, "name": fw.activity_by_id[p.activity].name[lang],
             "dimension": fw.dimension_of[p.activity].name[lang], "gap": tr.num(p.gap),
             "kept_rank": was.get(p.activity), "new": p.activity not in was}
            for k, p in enumerate(result.top_priorities(), start=1)]


def _payload(w: WhatIf, fw: Framework, lang: str) -> dict[str, Any]:
    quadrant = w.result.quadrant
    return {
        "moved": w.moved,
        "weights": {d: round(v, 6) for d, v in w.weights.items()},
        "dimensions": _dimensions(w, fw, lang),
        "indices": _indices(w, fw, lang),
        "priorities": _priorities(w.result, w.kept, fw, lang),
        "quadrant": i18n.t(f"quadrant.{quadrant}", lang) if quadrant else "—",
    }


def _refusal(exc: services.NoResult) -> HttpResponse:
    return HttpResponse(exc.message, status=409, content_type="text/plain; charset=utf-8")


@member_required
@require_GET
def whatif_page(request: HttpRequest, pk: int) -> HttpResponse:
    """The form of the weights and, beside it, the classes and first priorities they give."""
    assessment = get_object_or_404(tenancy.assessments(request.user), pk=pk)
    try:
        kept = services.completed_result(assessment)
    except services.NoResult as exc:
        return _refusal(exc)
    fw = services.framework_of(assessment.framework)
    lang = interface_language(kept.lang)
    context: dict[str, Any] = {"assessment": assessment, "firm": assessment.firm}
    try:
        w = rescore(fw, kept, parse_weights(fw, request.GET))
    except BadWeights as exc:
        w = rescore(fw, kept, None)
        named = {field_name(d.id): d.name[lang] for d in fw.dimensions}
        context.update({"error": exc.message, "error_field": exc.field, "error_label": named.get(exc.field),
                        "raw": request.GET.get(exc.field, "")})
        context.update(_payload(w, fw, lang))
        return render(request, "web/whatif.html", context, status=400)
    context.update(_payload(w, fw, lang))
    context["has_sensitivity"] = bool(kept.sensitivity)
    return render(request, "web/whatif.html", context)


@member_required
@require_GET
def whatif_json(request: HttpRequest, pk: int) -> HttpResponse:
    """The same as JSON: what ``whatif.js`` updates the page with."""
    assessment = get_object_or_404(tenancy.assessments(request.user), pk=pk)
    try:
        kept = services.completed_result(assessment)
    except services.NoResult as exc:
        return JsonResponse({"error": exc.message}, status=409)
    fw = services.framework_of(assessment.framework)
    try:
        w = rescore(fw, kept, parse_weights(fw, request.GET))
    except BadWeights as exc:
        return JsonResponse({"error": exc.message, "field": exc.field}, status=400)
    return JsonResponse(_payload(w, fw, interface_language(kept.lang)), json_dumps_params={"ensure_ascii": False})


urlpatterns = [
    path("assessments/<int:pk>/whatif/", whatif_page, name="assessment-whatif"),
    path("assessments/<int:pk>/whatif.json", whatif_json, name="assessment-whatif-json"),
]
