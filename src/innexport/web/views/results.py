"""Results of a diagnostic: the results page, the report (HTML, PDF), the JSON result, and the
comparison of two diagnostics of the same firm.

Everything shown comes from the core: the kept :class:`~innexport.assessment.FirmResult`
(:func:`services.result_of`), the report of :mod:`innexport.report` (:func:`services.report_html`,
:func:`services.report_pdf`), the JSON document of :func:`innexport.assessment.result_json` and the
quadrant chart of :mod:`innexport.charts`. Only completed diagnostics have results: for a draft the
results page says it is in progress (with a link to continue) and the report, PDF and JSON answer
409, since a result that may still change must not leave the application as if it were final.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.urls import path
from django.utils import translation
from django.utils.formats import date_format, number_format
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from innexport import charts, i18n
from innexport.assessment import FirmResult, result_json
from innexport.classes import quadrant_cut
from innexport.framework import INDICES, LANGUAGES, Framework
from innexport.web import services, tenancy
from innexport.web.models import Assessment, AssessmentStatus, AuditEntry, Firm
from innexport.web.tenancy import member_required

# --- helpers -----------------------------------------------------------------------------------------


def _lang(fallback: str = "en") -> str:
    """The interface language, when the frameworks speak it (they speak fr, es and en)."""
    lang = (translation.get_language() or "")[:2]
    return lang if lang in LANGUAGES else fallback


def _chronological(a: Assessment) -> tuple:
    return (a.assessed_on, a.created_at, a.pk)


def _get_assessment(request: HttpRequest, pk: int) -> Assessment:
    return get_object_or_404(tenancy.assessments(request.user), pk=pk)


class _NoResult(Exception):
    """The assessment has no result to give (a draft, or answers that cannot be scored)."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def _completed_result(assessment: Assessment) -> FirmResult:
    if assessment.status != AssessmentStatus.COMPLETED:
        raise _NoResult(_("This diagnostic is still in progress: its results are available once it is completed."))
    result = services.result_of(assessment)
    if result is None:
        raise _NoResult(_("The answers of this diagnostic cannot be scored (too few questions answered)."))
    return result


def _conflict(exc: _NoResult) -> HttpResponse:
    return HttpResponse(exc.message, status=409, content_type="text/plain; charset=utf-8")


def _short_hash(content_hash: str) -> str:
    return content_hash.split(":")[-1][:12]


def _signed(delta: float | None) -> str:
    """A change as people read it: +0.25, -0.10, 0.00 (decimal separator of the interface)."""
    if delta is None:
        return "–"
    rounded = round(delta, 2)
    text = number_format(abs(rounded), 2)
    if rounded > 0:
        return "+" + text
    if rounded < 0:
        return "-" + text
    return text


def _direction(delta: float | None) -> str:
    if delta is None:
        return "none"
    rounded = round(delta, 2)
    return "up" if rounded > 0 else "down" if rounded < 0 else "same"


@dataclass(frozen=True)
class _Cls:
    id: str
    label: str
    pos: int  # 0 = best


def _classes(fw: Framework, lang: str) -> dict[str, _Cls]:
    return {c.id: _Cls(c.id, c.label[lang], k) for k, c in enumerate(fw.classes)}


def _quadrant_label(quadrant: str | None, lang: str) -> str | None:
    return i18n.t(f"quadrant.{quadrant}", lang) if quadrant else None


def _index_cards(result: FirmResult, fw: Framework, lang: str) -> list[dict[str, Any]]:
    classes = _classes(fw, lang)
    return [
        {"id": name, "abbr": name.upper(), "name": i18n.t(f"index.{name}", lang),
         "value": result.indices[name].value, "cls": classes.get(result.indices[name].class_ or ""),
         "flowsort": classes.get(result.indices[name].flowsort.class_ or "")}
        for name in INDICES
    ]


def _history_rows(request: HttpRequest, firm: Firm, current: Assessment | None = None) -> list[dict[str, Any]]:
    """Every diagnostic of the firm, newest first, with its indices as kept."""
    rows = []
    for a in tenancy.assessments(request.user).filter(firm=firm).order_by("-assessed_on", "-created_at", "-pk"):
        indices = (a.result or {}).get("indices", {}) if a.status == AssessmentStatus.COMPLETED else {}
        rows.append({
            "assessment": a, "current": current is not None and a.pk == current.pk,
            "completed": a.status == AssessmentStatus.COMPLETED,
            "values": [(indices.get(name) or {}).get("value") for name in INDICES],
            "short_hash": _short_hash(a.framework.content_hash),
        })
    return rows


# --- the results page, the report and the downloads -----------------------------------------------


@member_required
def assessment_results(request: HttpRequest, pk: int) -> HttpResponse:
    assessment = _get_assessment(request, pk)
    history = _history_rows(request, assessment.firm, assessment)
    context: dict[str, Any] = {
        "assessment": assessment, "firm": assessment.firm, "history": history,
        "short_hash": _short_hash(assessment.framework.content_hash),
        "n_completed": sum(r["completed"] for r in history),
    }
    try:
        result = _completed_result(assessment)
    except _NoResult as exc:
        context["unavailable"] = exc.message
        return render(request, "web/results.html", context)
    lang = _lang(result.lang)
    fw = services.framework_of(assessment.framework)
    context.update({
        "result": result, "indices": _index_cards(result, fw, lang),
        "quadrant_label": _quadrant_label(result.quadrant, lang),
        "answered": result.questions - len(result.missing) - len(result.dont_know),
    })
    earlier = [r["assessment"] for r in history if r["completed"] and not r["current"]
               and _chronological(r["assessment"]) < _chronological(assessment)]
    context["compare_with"] = earlier[0] if earlier else None
    return render(request, "web/results.html", context)


@member_required
def assessment_report_html(request: HttpRequest, pk: int) -> HttpResponse:
    """The standalone report page (shown in the results page's frame, or opened on its own)."""
    assessment = _get_assessment(request, pk)
    try:
        result = _completed_result(assessment)
    except _NoResult as exc:
        return _conflict(exc)
    return HttpResponse(services.report_html(assessment, result), content_type="text/html; charset=utf-8")


@member_required
def assessment_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    assessment = _get_assessment(request, pk)
    try:
        result = _completed_result(assessment)
    except _NoResult as exc:
        return _conflict(exc)
    try:
        pdf = services.report_pdf(assessment, result)
    except RuntimeError as exc:  # WeasyPrint (or its system libraries) missing on this server
        return HttpResponse(_("PDF reports are not available on this server: %(cause)s") % {"cause": exc},
                            status=503, content_type="text/plain; charset=utf-8")
    tenancy.record(request, AuditEntry.Action.EXPORT, assessment, "PDF report")
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{services.report_filename(assessment, "pdf")}"'
    return response


@member_required
def assessment_json(request: HttpRequest, pk: int) -> HttpResponse:
    assessment = _get_assessment(request, pk)
    try:
        result = _completed_result(assessment)
    except _NoResult as exc:
        return _conflict(exc)
    tenancy.record(request, AuditEntry.Action.EXPORT, assessment, "JSON result")
    response = JsonResponse(result_json([result]), json_dumps_params={"ensure_ascii": False, "indent": 2})
    response["Content-Disposition"] = f'attachment; filename="{services.report_filename(assessment, "json")}"'
    return response


# --- comparison ---------------------------------------------------------------------------------------


def _pick_pair(request: HttpRequest, completed: list[Assessment]) -> tuple[Assessment, Assessment] | None:
    """The two diagnostics to compare, oldest first: ``?a=`` and ``?b=`` (ids of the firm's completed
    diagnostics), the missing ones taken from the latest; None when there are fewer than two."""
    by_pk = {a.pk: a for a in completed}
    chosen: list[Assessment] = []
    for key in ("a", "b"):
        raw = request.GET.get(key, "").strip()
        if not raw:
            continue
        try:
            chosen.append(by_pk[int(raw)])
        except (ValueError, KeyError):
            raise Http404("no completed diagnostic of this firm has this id") from None
    if len(chosen) == 2 and chosen[0].pk == chosen[1].pk:
        chosen.pop()
    for a in sorted(completed, key=_chronological, reverse=True):
        if len(chosen) >= 2:
            break
        if all(a.pk != c.pk for c in chosen):
            chosen.append(a)
    if len(chosen) < 2:
        return None
    older, newer = sorted(chosen, key=_chronological)
    return older, newer


def _activity_rows(before: FirmResult, after: FirmResult, fw_before: Framework, fw_after: Framework,
                   lang: str) -> list[dict[str, Any]]:
    """Every activity of either diagnostic, the largest changes first."""
    b = {a.id: a for a in before.activities}
    a_ = {a.id: a for a in after.activities}
    order = [x.id for x in after.activities] + [x.id for x in before.activities if x.id not in a_]
    rows = []
    for k, aid in enumerate(order):
        fw = fw_after if aid in fw_after.activity_by_id else fw_before
        activity = fw.activity_by_id.get(aid)
        s_before = b[aid].score if aid in b else None
        s_after = a_[aid].score if aid in a_ else None
        delta = s_after - s_before if s_before is not None and s_after is not None else None
        rows.append({
            "id": aid, "name": activity.name[lang] if activity else aid,
            "dimension": fw.dimension_of[aid].name[lang] if activity else "",
            "tag": activity.tag if activity else "", "tag_label": i18n.t(f"tag.{activity.tag}", lang) if activity else "",
            "in_before": aid in b, "in_after": aid in a_, "before": s_before, "after": s_after,
            "delta": delta, "delta_text": _signed(delta), "direction": _direction(delta), "order": k,
        })
    rows.sort(key=lambda r: (r["delta"] is None, not (r["in_before"] and r["in_after"]),
                             -abs(r["delta"] or 0.0), r["order"]))
    return rows


def _index_rows(before: FirmResult, after: FirmResult, fw_before: Framework, fw_after: Framework,
                lang: str) -> list[dict[str, Any]]:
    cb, ca = _classes(fw_before, lang), _classes(fw_after, lang)
    rows = []
    for name in INDICES:
        ib, ia = before.indices[name], after.indices[name]
        delta = ia.value - ib.value if ia.value is not None and ib.value is not None else None
        cls_b, cls_a = cb.get(ib.class_ or ""), ca.get(ia.class_ or "")
        fs_b, fs_a = cb.get(ib.flowsort.class_ or ""), ca.get(ia.flowsort.class_ or "")
        moved = "none" if cls_a is None or cls_b is None else (
            "up" if cls_a.pos < cls_b.pos else "down" if cls_a.pos > cls_b.pos else "same")
        rows.append({
            "abbr": name.upper(), "name": i18n.t(f"index.{name}", lang), "before": ib.value, "after": ia.value,
            "delta": delta, "delta_text": _signed(delta), "direction": _direction(delta),
            "cls_before": cls_b, "cls_after": cls_a, "cls_moved": moved, "fs_before": fs_b, "fs_after": fs_a,
        })
    return rows


def _trajectory_svg(points: list[tuple[Assessment, FirmResult]], older: Assessment, newer: Assessment,
                    fw: Framework, lang: str) -> str | None:
    """The firm's diagnostics on the innovation × export plane: the core's quadrant chart with the
    newest compared diagnostic as the firm's point, and the earlier ones joined by arrows."""
    placed = [(a, r.indices["iip"].value, r.indices["iep"].value) for a, r in points]
    placed = [(a, x, y) for a, x, y in placed if x is not None and y is not None]
    last = next(((a, x, y) for a, x, y in placed if a.pk == newer.pk), None)
    if last is None:
        return None
    geometry = charts.QuadrantGeometry()
    svg = charts.quadrant_svg(
        last[1], last[2], quadrant_cut(fw),
        labels={q: i18n.t(f"quadrant.{q}", lang) for q in ("innovative_exporter", "exporter_not_innovating",
                                                          "innovator_not_exporting", "neither")},
        point_label=date_format(newer.assessed_on),
        axis_labels=(i18n.t("report.quadrant.axis_x", lang), i18n.t("report.quadrant.axis_y", lang)),
        thresholds=[c.threshold for c in fw.classes], title=_("Trajectory of the firm"),
        geometry=geometry, decimal="," if lang in ("fr", "es") else ".",
    )
    # the path through the earlier diagnostics, drawn under the firm's point
    marks = ['<defs><marker id="trajectory-head" viewBox="0 0 8 8" refX="7" refY="4" markerWidth="7" '
             f'markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L8,4 L0,8 z" fill="{charts.ACCENT}"/>'
             '</marker></defs>']
    xy = [(a, *geometry.xy(x, y)) for a, x, y in placed]
    for (_a0, x0, y0), (_a1, x1, y1) in zip(xy, xy[1:]):
        length = math.hypot(x1 - x0, y1 - y0)
        if length < 12:
            continue
        ux, uy = (x1 - x0) / length, (y1 - y0) / length
        marks.append(f'<line class="step" x1="{x0 + 5 * ux:.1f}" y1="{y0 + 5 * uy:.1f}" x2="{x1 - 8 * ux:.1f}" '
                     f'y2="{y1 - 8 * uy:.1f}" stroke="{charts.ACCENT}" stroke-width="1.6" stroke-opacity="0.75" '
                     'marker-end="url(#trajectory-head)"/>')
    for a, x, y in xy:
        if a.pk == newer.pk:
            continue
        strong = a.pk == older.pk
        marks.append(f'<circle class="earlier" cx="{x:.1f}" cy="{y:.1f}" r="{4.5 if strong else 3.5}" fill="#ffffff" '
                     f'stroke="{charts.ACCENT}" stroke-width="{1.8 if strong else 1.2}"><title>'
                     f'{escape(date_format(a.assessed_on))}</title></circle>')
    anchor = '<circle class="firm"'
    at = svg.find(anchor)
    at = at if at >= 0 else svg.rfind("</svg>")
    return svg[:at] + "".join(marks) + svg[at:]


@member_required
def firm_compare(request: HttpRequest, pk: int) -> HttpResponse:
    firm = get_object_or_404(tenancy.firms(request.user), pk=pk)
    completed = list(tenancy.assessments(request.user).filter(firm=firm, status=AssessmentStatus.COMPLETED))
    context: dict[str, Any] = {"firm": firm, "choices": sorted(completed, key=_chronological, reverse=True)}
    pair = _pick_pair(request, completed)
    if pair is None:
        return render(request, "web/compare.html", context)
    older, newer = pair
    results = {a.pk: r for a in completed if (r := services.result_of(a)) is not None}
    if older.pk not in results or newer.pk not in results:
        context["unavailable"] = _("One of these diagnostics cannot be scored any more.")
        return render(request, "web/compare.html", context)
    before, after = results[older.pk], results[newer.pk]
    fw_before, fw_after = services.framework_of(older.framework), services.framework_of(newer.framework)
    lang = _lang(after.lang)
    rows = _activity_rows(before, after, fw_before, fw_after, lang)
    same_framework = older.framework.content_hash == newer.framework.content_hash
    path_points = [(a, results[a.pk]) for a in sorted(completed, key=_chronological)
                   if a.pk in results and _chronological(a) <= _chronological(newer)]
    context.update({
        "older": older, "newer": newer, "before": before, "after": after,
        "indices": _index_rows(before, after, fw_before, fw_after, lang),
        "quadrant_before": _quadrant_label(before.quadrant, lang),
        "quadrant_after": _quadrant_label(after.quadrant, lang),
        "quadrant_moved": before.quadrant != after.quadrant,
        "activities": rows, "same_framework": same_framework,
        "n_common": sum(r["in_before"] and r["in_after"] for r in rows),
        "only_before": [r for r in rows if not r["in_after"]], "only_after": [r for r in rows if not r["in_before"]],
        "short_hash_before": _short_hash(older.framework.content_hash),
        "short_hash_after": _short_hash(newer.framework.content_hash),
        "trajectory": mark_safe(_trajectory_svg(path_points, older, newer, fw_after, lang) or ""),  # noqa: S308 - built from escaped parts
    })
    return render(request, "web/compare.html", context)


urlpatterns = [
    path("assessments/<int:pk>/results/", assessment_results, name="assessment-results"),
    path("assessments/<int:pk>/report.html", assessment_report_html, name="assessment-report-html"),
    path("assessments/<int:pk>/report.pdf", assessment_pdf, name="assessment-pdf"),
    path("assessments/<int:pk>/result.json", assessment_json, name="assessment-json"),
    path("firms/<int:pk>/compare/", firm_compare, name="firm-compare"),
]
