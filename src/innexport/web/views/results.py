"""Results of a diagnostic: the results page, the report (HTML, PDF), the JSON result, and the
follow-up of a firm between two of its diagnostics (:mod:`innexport.support.followup`).

Everything shown comes from the core: the kept :class:`~innexport.core.assessment.FirmResult`
(:func:`services.completed_result`, the one rule of "the completed result or a refusal"), the
report of :mod:`innexport.rendering.report` (:func:`services.report_html`,
:func:`services.report_pdf`), the JSON document of :func:`innexport.core.assessment.result_json` and the
quadrant chart of :mod:`innexport.rendering.charts`. Only completed diagnostics have results: for a draft the
results page says it is in progress (with a link to continue) and the report, PDF and JSON answer
409, since a result that may still change must not leave the application as if it were final.

The results card says which class to tell the director: the class by thresholds (Godet's
attitudes as ERPI uses them, docs/method.md §3), the method's own; FlowSort (Nemery & Lamboray
2008) is shown as a second opinion, with one sentence saying what each is and, when they differ,
why: the boundary (FlowSort's limits lie between the classes' central profiles, not at the
thresholds) or the spread of the activities (the index is their weighted mean; FlowSort compares
activity by activity, a gap counting only up to ``p``), told apart by running the core's FlowSort
on a firm that scored the index on every activity (:func:`_why_they_differ`).

The evidence of a result (issue 12; ``web/results_evidence.html``), each part only when the kept
result has it: each index's interval (a bar with whiskers, its sentence beside it) and class
stability, "stable" from :data:`innexport.core.uncertainty.STABLE` on and "borderline" below; the
first priorities' probability of staying among the first :data:`~innexport.core.priorities.TOP_PRIORITIES`;
where the respondents disagree (the report's order: lowest agreement r_wg first, James, Demaree &
Wolf 1984), with who said what, which this page shows because only the organisation's members see
it (shared documents go through :func:`innexport.core.respondents.without_attribution`); and the
advisor's validation, the unchecked answers listed. The "what if" page of the weights is
:mod:`innexport.web.views.whatif`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.urls import path
from django.utils.formats import date_format, number_format
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from markupsafe import Markup, escape

from innexport.core.assessment import FirmResult, flowsort_divergence, result_json
from innexport.core.classes import quadrant_cut
from innexport.core.framework import DONT_KNOW, INDICES, Activity, Framework
from innexport.core.priorities import TOP_PRIORITIES
from innexport.core.respondents import least_agreed
from innexport.core.uncertainty import STABLE
from innexport.rendering import charts, i18n
from innexport.support import followup
from innexport.support.followup import FollowUp
from innexport.support.plans import ActionPlan as CorePlan
from innexport.web import plans, services, tenancy
from innexport.web.language import interface_language
from innexport.web.models import ActionPlan as SavedPlan
from innexport.web.models import Assessment, AssessmentStatus, AuditEntry, Firm, as_lang
from innexport.web.respondents import role_label
from innexport.web.tenancy import member_required

# --- helpers -----------------------------------------------------------------------------------------


def _chronological(a: Assessment) -> tuple:
    return (a.assessed_on, a.created_at, a.pk)


def _get_assessment(request: HttpRequest, pk: int) -> Assessment:
    return get_object_or_404(tenancy.assessments(request.user), pk=pk)


def _conflict(exc: services.NoResult) -> HttpResponse:
    return HttpResponse(exc.message, status=409, content_type="text/plain; charset=utf-8")


def _short_hash(content_hash: str) -> str:
    return content_hash.split(":")[-1][:12]


def _change(before: float | None, after: float | None, lang: str) -> dict[str, str]:
    """A change as the page prints it (the difference of the two printed values, +0,10 for 0,54 →
    0,64: :meth:`innexport.rendering.i18n.Translator.change`) and its direction (up, down, same, none)."""
    return {"delta_text": i18n.translator(lang).change(before, after),
            "direction": i18n.Translator.direction(before, after)}


@dataclass(frozen=True)
class _Cls:
    id: str
    label: str
    pos: int  # 0 = best


def _classes(fw: Framework, lang: str) -> dict[str, _Cls]:
    return {c.id: _Cls(c.id, c.label[lang], k) for k, c in enumerate(fw.classes)}


def _quadrant_label(quadrant: str | None, lang: str) -> str | None:
    return i18n.t(f"quadrant.{quadrant}", lang) if quadrant else None


def _why_they_differ(result: FirmResult, name: str, fw: Framework, classes: dict[str, _Cls]) -> str:
    """Why FlowSort gives another class than the thresholds on index ``name``, in one sentence.

    The cause is the core's (:func:`innexport.core.assessment.flowsort_divergence`: near a threshold,
    or uneven activities); this words it for the screen."""
    index = result.indices[name]
    threshold_cls, flowsort_cls = classes[index.class_ or ""], classes[index.flowsort.class_ or ""]
    value = index.value
    cause = flowsort_divergence(fw, result, name)
    if value is None or cause is None:  # not scored, hence not classified: cannot happen with two classes
        return ""
    if cause == "boundary":
        limit = fw.classes[min(threshold_cls.pos, flowsort_cls.pos)].threshold
        return _("The index, %(value)s, is close to the %(threshold)s threshold: FlowSort draws its limits "
                 "half-way between the typical profiles of the classes (the middles of their ranges), not at "
                 "the thresholds, so near a threshold it can give the neighbouring class even when the "
                 "activities are even.") % {"value": number_format(value, 2), "threshold": number_format(limit, 2)}
    scores = [a.score for a in result.activities if a.score is not None and a.weight.get(name, 0.0) > 0]
    low, high = (number_format(min(scores), 2), number_format(max(scores), 2)) if scores else ("–", "–")
    if fw.flowsort.preference == "usual":
        return _("The activities are uneven (from %(low)s to %(high)s): the index is their weighted mean, "
                 "whereas FlowSort only counts whether each activity is above or below each class's typical "
                 "profile, not by how much.") % {"low": low, "high": high}
    return _("The activities are uneven (from %(low)s to %(high)s): the index is their weighted mean, "
             "whereas FlowSort counts the gap between an activity and a class's typical profile only up to "
             "%(p)s, so a few activities far above or below the others weigh less in it than in the mean.") % {
        "low": low, "high": high, "p": number_format(fw.flowsort.p, 2)}


def _index_cards(result: FirmResult, fw: Framework, lang: str) -> list[dict[str, Any]]:
    """The three indices with their class (the one to tell the director) and FlowSort's (a second
    opinion), and, when the two differ, why (:func:`_why_they_differ`)."""
    classes = _classes(fw, lang)
    cards = []
    for name in INDICES:
        index = result.indices[name]
        cls, fs = classes.get(index.class_ or ""), classes.get(index.flowsort.class_ or "")
        differs = cls is not None and fs is not None and cls.id != fs.id
        cards.append({"id": name, "abbr": name.upper(), "name": i18n.t(f"index.{name}", lang), "value": index.value,
                      "cls": cls, "flowsort": fs, "differs": differs,
                      "why": _why_they_differ(result, name, fw, classes) if differs else ""})
    return cards


def _classes_explained(fw: Framework, lang: str) -> str:
    """What the class is, with the framework's thresholds: "Proactive from 0.61, …, Passive below"."""
    steps = [_("%(cls)s from %(threshold)s") % {"cls": c.label[lang], "threshold": number_format(c.threshold, 2)}
             for c in fw.classes[:-1]]
    steps.append(_("%(cls)s below") % {"cls": fw.classes[-1].label[lang]})
    return ", ".join(steps)


def _history_rows(request: HttpRequest, firm: Firm, current: Assessment | None = None) -> list[dict[str, Any]]:
    """Every diagnostic of the firm, newest first, with its indices as kept."""
    rows = []
    for a in tenancy.assessments(request.user).filter(firm=firm).order_by("-assessed_on", "-created_at", "-pk"):
        indices = (a.result or {}).get("indices", {}) if a.completed else {}
        rows.append({
            "assessment": a, "current": current is not None and a.pk == current.pk,
            "completed": a.completed,
            "values": [(indices.get(name) or {}).get("value") for name in INDICES],
            "short_hash": _short_hash(a.framework.content_hash),
        })
    return rows


# --- the evidence of a result: intervals, stability, disagreement, validation -------------------------

DISAGREEMENTS_SHOWN = 8
"""Questions (and activities) listed under "where your team disagrees": those with the lowest agreement."""

def _stable(stability: float | None) -> bool | None:
    """Whether a class is stable: at least :data:`innexport.core.uncertainty.STABLE` of the draws keep it."""
    return None if stability is None else stability >= STABLE


def _interval_rows(result: FirmResult, fw: Framework, lang: str) -> list[dict[str, Any]]:
    """The indices that have an interval or a class stability, with what their bar draws (positions
    in percent of the 0–1 scale) and its text equivalent."""
    tr = i18n.translator(lang)
    classes = _classes(fw, lang)
    rows = []
    for name in INDICES:
        index = result.indices[name]
        if index.interval is None and index.class_stability is None:
            continue
        cls = classes.get(index.class_ or "")
        row: dict[str, Any] = {
            "id": name, "abbr": name.upper(), "name": i18n.t(f"index.{name}", lang), "cls": cls,
            "value": tr.num(index.value), "at": _pct(index.value),
            "thresholds": [_pct(c.threshold) for c in fw.classes[:-1]],
            "stability": tr.percent(index.class_stability) if index.class_stability is not None else None,
            "stable": _stable(index.class_stability),
        }
        if index.interval is not None and tr.num(index.interval.low) != tr.num(index.interval.high):
            row.update({"low": tr.num(index.interval.low), "high": tr.num(index.interval.high),
                        "level": tr.percent(index.interval.level),
                        "from": _pct(index.interval.low), "to": _pct(index.interval.high)})
        rows.append(row)
    return rows


def _draws_note(result: FirmResult, lang: str) -> Markup | str | None:
    """How the intervals were drawn, in one sentence (from :attr:`FirmResult.uncertainty`)."""
    u = result.uncertainty
    if u is None:
        return None
    tr = i18n.translator(lang)
    if not u.sources:
        return _("Nothing varies here: every question has a scored answer from one respondent and the weights are "
                 "fixed, so each interval is the value itself.")
    words = {"unanswered": (_("the unanswered and “don't know” questions, drawn from the organisation's other "
                              "diagnostics") if u.unanswered_from == "peers" else
                            _("the unanswered and “don't know” questions, drawn uniformly over their levels")),
             "respondents": _("the respondents (resampled)"),
             "weights": _("the weights (the experts' judgements resampled)")}
    # the sentence escaped, then the joined sources (Markup, their items escaped by join) put in it
    return escape(_("%(draws)s draws, varying %(sources)s.")) % {
        "draws": tr.count(u.draws), "sources": tr.join([words[s] for s in u.sources])}


def _pct(value: float | None) -> float:
    """A value of the 0–1 scale as a position in percent (0 when missing), for the SVG bars."""
    return 0.0 if value is None else round(min(max(value, 0.0), 1.0) * 100, 2)


def _priority_rows(result: FirmResult, fw: Framework, lang: str) -> list[dict[str, Any]]:
    """The first priorities (:meth:`FirmResult.top_priorities`) with how often they stay among the
    first ones across the draws; empty when no probability was computed."""
    top = result.top_priorities()
    if not any(p.top_probability is not None for p in top):
        return []
    tr = i18n.translator(lang)
    return [{"rank": k, "name": fw.activity_by_id[p.activity].name[lang] if p.activity in fw.activity_by_id else p.activity,
             "probability": tr.percent(p.top_probability) if p.top_probability is not None else None,
             "share": _pct(p.top_probability)}
            for k, p in enumerate(top, start=1)]


def _answer_label(fw: Framework, question: str, code: str, lang: str) -> str:
    """An answer's code as the questionnaire words it (the level's label, or "don't know")."""
    if code == DONT_KNOW:
        return i18n.t("questionnaire.dont_know", lang)
    observable = fw.observable_by_id.get(question)
    if observable is None:
        return code
    level = next((lv for lv in fw.scale_by_id[observable.scale].levels if lv.code == code), None)
    return level.label[lang] if level is not None else code


def _disagreement(result: FirmResult, fw: Framework, lang: str) -> dict[str, Any] | None:
    """The respondents and where they disagree most, with who said what (for the organisation's
    members only: this page; the shared documents leave it out)."""
    if not result.respondents and result.disagreement is None:
        return None
    tr = i18n.translator(lang)
    respondents = [{"id": r.id, "role": role_label(r.role), "answered": r.answered, "dont_know": r.dont_know}
                   for r in result.respondents]
    questions, activities = [], []
    # who said what in the respondents' order (PostgreSQL's jsonb keeps an object's keys in its own order)
    order = {r.id: k for k, r in enumerate(result.respondents)}
    if result.disagreement is not None:
        for q in least_agreed(result.disagreement.questions, DISAGREEMENTS_SHOWN):
            observable = fw.observable_by_id.get(q.question)
            activity = fw.activity_by_id.get(q.activity)
            questions.append({
                "id": q.question, "text": observable.question[lang] if observable else q.question,
                "activity": activity.name[lang] if activity else q.activity,
                "range": tr.num(q.range), "agreement": tr.num(q.agreement), "respondents": q.respondents,
                "answers": [{"who": who, "answer": _answer_label(fw, q.question, q.answers[who], lang)}
                            for who in sorted(q.answers, key=lambda who: order.get(who, len(order)))],
            })
        for a in least_agreed(result.disagreement.activities, DISAGREEMENTS_SHOWN):
            activity = fw.activity_by_id.get(a.activity)
            activities.append({"id": a.activity, "name": activity.name[lang] if activity else a.activity,
                               "range": tr.num(a.range), "agreement": tr.num(a.agreement)})
    return {"respondents": respondents, "questions": questions, "activities": activities}


def _validation(result: FirmResult, fw: Framework, lang: str) -> dict[str, Any] | None:
    """How many answers an advisor checked, by whom, and the answers nobody checked (marked)."""
    v = result.validation
    if v is None:
        return None
    tr = i18n.translator(lang)
    total = v.validated + v.corrected + v.self_assessed
    unchecked = [{"id": q, "text": fw.observable_by_id[q].question[lang] if q in fw.observable_by_id else q}
                 for q in result.answers if q not in v.states]
    corrected = [{"id": q, "text": fw.observable_by_id[q].question[lang] if q in fw.observable_by_id else q}
                 for q, state in v.states.items() if state == "corrected"]
    return {"validated": v.validated, "corrected": v.corrected, "self_assessed": v.self_assessed, "total": total,
            "by": tr.join(v.by) if v.by else "", "unchecked": unchecked, "corrected_questions": corrected}



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
        result = services.completed_result(assessment)
    except services.NoResult as exc:
        context["unavailable"] = exc.message
        return render(request, "web/results.html", context)
    lang = interface_language(result.lang)
    fw = services.framework_of(assessment.framework)
    cards = _index_cards(result, fw, lang)
    context.update({
        "indices": cards, "classes_differ": any(c["differs"] for c in cards),
        "result": result, "thresholds": _classes_explained(fw, lang),
        "quadrant_label": _quadrant_label(result.quadrant, lang),
        "answered": result.questions - len(result.missing) - len(result.dont_know),
        "intervals": _interval_rows(result, fw, lang), "draws_note": _draws_note(result, lang),
        "stable_share": i18n.translator(lang).percent(STABLE),
        "top_probabilities": _priority_rows(result, fw, lang), "top_n": TOP_PRIORITIES,
        "disagreement": _disagreement(result, fw, lang), "validation": _validation(result, fw, lang),
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
        result = services.completed_result(assessment)
    except services.NoResult as exc:
        return _conflict(exc)
    return HttpResponse(services.report_html(assessment, result), content_type="text/html; charset=utf-8")


@member_required
def assessment_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    assessment = _get_assessment(request, pk)
    try:
        result = services.completed_result(assessment)
    except services.NoResult as exc:
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
        result = services.completed_result(assessment)
    except services.NoResult as exc:
        return _conflict(exc)
    tenancy.record(request, AuditEntry.Action.EXPORT, assessment, "JSON result")
    response = JsonResponse(result_json([result]), json_dumps_params={"ensure_ascii": False, "indent": 2})
    response["Content-Disposition"] = f'attachment; filename="{services.report_filename(assessment, "json")}"'
    return response


# --- follow-up (comparison of two diagnostics) ------------------------------------------------------


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


def _activity_of(aid: str, fw_before: Framework, fw_after: Framework) -> tuple[Framework, Activity | None]:
    fw = fw_after if aid in fw_after.activity_by_id else fw_before
    return fw, fw.activity_by_id.get(aid)


def _activity_rows(fu: FollowUp, fw_before: Framework, fw_after: Framework, lang: str) -> list[dict[str, Any]]:
    """Every activity of either diagnostic, in the follow-up's order (the largest changes first)."""
    rows = []
    for change in fu.activities:
        fw, activity = _activity_of(change.id, fw_before, fw_after)
        rows.append({
            "id": change.id, "name": activity.name[lang] if activity else change.id,
            "dimension": fw.dimension_of[change.id].name[lang] if activity else "",
            "tag": change.tag, "tag_label": i18n.t(f"tag.{change.tag}", lang) if change.tag else "",
            "in_before": change.presence != "added", "in_after": change.presence != "removed",
            "before": change.before, "after": change.after, "delta": change.delta,
            **_change(change.before, change.after, lang),
        })
    return rows


def _index_rows(fu: FollowUp, fw_before: Framework, fw_after: Framework, lang: str) -> list[dict[str, Any]]:
    cb, ca = _classes(fw_before, lang), _classes(fw_after, lang)
    return [
        {"abbr": ch.index.upper(), "name": i18n.t(f"index.{ch.index}", lang), "before": ch.before, "after": ch.after,
         "delta": ch.delta, **_change(ch.before, ch.after, lang),
         "cls_before": cb.get(ch.class_before or ""), "cls_after": ca.get(ch.class_after or ""),
         "cls_moved": ch.movement or "none", "fs_before": cb.get(ch.flowsort_before or ""),
         "fs_after": ca.get(ch.flowsort_after or ""), "fs_moved": ch.flowsort_movement or "none"}
        for ch in fu.indices
    ]


def _plans_between(request: HttpRequest, completed: list[Assessment], older: Assessment, newer: Assessment,
                   firm_id: str) -> list[CorePlan]:
    """The plans of the firm's diagnostics from ``older`` up to, not including, ``newer``, as the
    core's plans (oldest first)."""
    window = {a.pk: a for a in completed if _chronological(older) <= _chronological(a) < _chronological(newer)}
    saved = (SavedPlan.objects.filter(organisation=tenancy.organisation(request.user), assessment_id__in=list(window))
             .prefetch_related("actions"))
    between: list[CorePlan] = []
    for plan in sorted(saved, key=lambda p: _chronological(window[p.assessment_id])):
        a = window[plan.assessment_id]
        between.append(CorePlan(
            firm_id=firm_id, firm_name=a.firm.name, lang=as_lang(plan.lang), framework=a.framework.label,
            content_hash=a.framework.content_hash, created_on=plan.created_at.date(),
            actions=[plans.core_action(x) for x in plan.actions.all()],  # in the plan's order (position)
        ))
    return between


def _programmes(request: HttpRequest, ids: list[str], lang: str) -> dict[str, dict[str, Any]]:
    """Name and link of each programme id in the organisation's catalogue (the id itself when unknown)."""
    if not ids:
        return {}
    known = services.catalogue_for(tenancy.organisation(request.user)).by_id
    return {pid: ({"id": pid, "name": known[pid].name.get(lang), "url": known[pid].url, "known": True}
                  if pid in known else {"id": pid, "name": pid, "url": None, "known": False}) for pid in ids}


def _done_rows(fu: FollowUp, programmes: dict[str, dict[str, Any]], fw_before: Framework, fw_after: Framework,
               lang: str) -> list[dict[str, Any]]:
    rows = []
    for done in fu.actions_done:
        _fw, activity = _activity_of(done.activity, fw_before, fw_after)
        rows.append({
            "title": done.title, "activity": activity.name[lang] if activity else (done.activity_name or done.activity),
            "done_on": done.done_on, "owner": done.owner, "moved": done.activity_movement or "none",
            "programmes": [programmes[p] for p in done.programmes],
        })
    return rows


def _trajectory_svg(points: list[tuple[Assessment, FirmResult]], older: Assessment, newer: Assessment,
                    fw: Framework, lang: str) -> str | None:
    """All the firm's diagnostics (``points``, oldest first) on the innovation × export plane, the
    compared ones highlighted: the core's trajectory drawn by :func:`charts.trajectory_svg`."""
    path = followup.trajectory([r for _a, r in points])
    assessments = [points[p.position][0] for p in path]
    xy = [(p.iip, p.iep) for p in path]
    if not any(x is not None and y is not None for x, y in xy):
        return None
    position = {a.pk: k for k, a in enumerate(assessments)}
    return charts.trajectory_svg(
        xy, quadrant_cut(fw),
        labels={q: i18n.t(f"quadrant.{q}", lang) for q in ("innovative_exporter", "exporter_not_innovating",
                                                          "innovator_not_exporting", "neither")},
        current=position.get(newer.pk), compared=[position[older.pk]] if older.pk in position else [],
        point_labels=[date_format(a.assessed_on) for a in assessments],
        axis_labels=(i18n.t("report.quadrant.axis_x", lang), i18n.t("report.quadrant.axis_y", lang)),
        thresholds=[c.threshold for c in fw.classes], title=_("Trajectory of the firm"),
        decimal=i18n.translator(lang).decimal,
    )


@member_required
def firm_compare(request: HttpRequest, pk: int) -> HttpResponse:
    """The follow-up of a firm between two of its completed diagnostics (``?a=``, ``?b=``; by
    default the latest two): what moved (indices, classes, activities), the actions done and the
    programmes used in between (from the plans of the diagnostics from the earlier one up to the
    later one), and the trajectory of all its diagnostics. The numbers come from
    :func:`innexport.support.followup.follow_up`."""
    firm = get_object_or_404(tenancy.firms(request.user), pk=pk)
    completed = list(tenancy.assessments(request.user).filter(firm=firm, status=AssessmentStatus.COMPLETED))
    context: dict[str, Any] = {"firm": firm, "choices": sorted(completed, key=_chronological, reverse=True)}
    pair = _pick_pair(request, completed)
    if pair is None:
        return render(request, "web/compare.html", context)
    older, newer = pair
    # dated as the page orders them (the kept result has the date the diagnostic had when scored)
    results = {a.pk: r.model_copy(update={"assessed_on": a.assessed_on})
               for a in completed if (r := services.result_of(a)) is not None}
    if older.pk not in results or newer.pk not in results:
        context["unavailable"] = _("One of these diagnostics cannot be scored any more.")
        return render(request, "web/compare.html", context)
    before, after = results[older.pk], results[newer.pk]
    fw_before, fw_after = services.framework_of(older.framework), services.framework_of(newer.framework)
    lang = interface_language(after.lang)
    between = _plans_between(request, completed, older, newer, after.firm.id)
    fu = followup.follow_up(before, after, between, frameworks=(fw_before, fw_after))
    programmes = _programmes(request, fu.programmes_picked, lang)
    rows = _activity_rows(fu, fw_before, fw_after, lang)
    path_points = [(a, results[a.pk]) for a in sorted(completed, key=_chronological) if a.pk in results]
    context.update({
        "older": older, "newer": newer, "before": before, "after": after, "followup": fu,
        "indices": _index_rows(fu, fw_before, fw_after, lang),
        "quadrant_before": _quadrant_label(fu.quadrant_before, lang),
        "quadrant_after": _quadrant_label(fu.quadrant_after, lang),
        "quadrant_moved": fu.quadrant_before != fu.quadrant_after,
        "activities": rows, "same_framework": fu.same_framework, "n_common": fu.common,
        "n_moved": len(fu.moved),
        "only_before": [r for r in rows if not r["in_after"]], "only_after": [r for r in rows if not r["in_before"]],
        "short_hash_before": _short_hash(older.framework.content_hash),
        "short_hash_after": _short_hash(newer.framework.content_hash),
        "n_plans": fu.plans, "actions_total": fu.actions_total, "n_done": len(fu.actions_done),
        "done": _done_rows(fu, programmes, fw_before, fw_after, lang),
        "used": [programmes[p] for p in fu.programmes_used],
        "picked_only": [programmes[p] for p in fu.programmes_picked if p not in fu.programmes_used],
        "n_points": len(path_points),
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
