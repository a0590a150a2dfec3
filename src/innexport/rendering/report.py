"""The diagnostic report: one firm's result as a standalone HTML page or a PDF, in the result's language.

:func:`render_html` builds a self-contained page (inline CSS and SVG charts, no external
resource) from a :class:`~innexport.core.assessment.FirmResult` and the
:class:`~innexport.core.framework.Framework` it was scored with; :func:`render_pdf` prints that page
with WeasyPrint (an optional dependency: ``pip install innexport[pdf]``).

Every text comes from the framework (names, questions, recommendations, scale labels) or from the
``report.*`` messages of the documents' gettext catalogues, in ``result.lang``, through one
:class:`~innexport.rendering.i18n.Translator` (which also writes numbers, dates, lists and plurals
with Babel); the layout is the Jinja2 template ``templates/report.html.j2`` (autoescaped) with its
stylesheet ``report.css.j2``. The priorities shown in full are the firm's
:meth:`~innexport.core.assessment.FirmResult.top_priorities` (:data:`innexport.core.priorities.TOP_PRIORITIES`).

Given the firm's action plan (:class:`innexport.support.plans.ActionPlan`, made from this result), the
report gains a section "Action plan" after the path to the next class: each action with its owner,
due date, status and the programmes picked, grouped by priority, and the progress. The documents'
Jinja environment and :func:`~innexport.rendering.documents.html_to_pdf` print the plan on its own
(:func:`innexport.rendering.plan.plan_pdf`).

The evidence a result may carry (issue 12) adds, each only when present:

* **intervals and stability** (:attr:`IndexOut.interval <innexport.core.assessment.IndexOut.interval>`,
  ``class_stability``, :attr:`PriorityOut.top_probability <innexport.core.assessment.PriorityOut.top_probability>`,
  ``uncertainty``): the summary's gauges get whiskers (:func:`innexport.rendering.charts.interval_gauge_svg`)
  and a section "How certain these results are" gives each index's interval, the share of the draws
  that keep its class, "stable" or "borderline" by the one threshold
  :data:`innexport.core.uncertainty.STABLE`, the first priorities' probability of staying among the
  first :data:`~innexport.core.priorities.TOP_PRIORITIES`, and how the draws were made;
* **several respondents** (``respondents``, ``disagreement``): "Where your team disagrees", with the
  respondents' ROLES only and the questions and activities whose answers differ most (lowest
  agreement r_wg, then largest range; James, Demaree & Wolf 1984). The report is shared with the
  firm, so it is rendered from :func:`innexport.core.respondents.without_attribution` of the result
  (each respondent named by role, :func:`_role_namer`): who said what never reaches it;
* **validation** (``validation``): how many answers an advisor validated or corrected and who, in
  the header, and each answer of the annex marked when it is unvalidated or corrected;
* **sensitivity** (``sensitivity``): an annex "Sensitivity to the weights", each dimension's weight
  and the range of that weight within which each index's class and the first priority stay the same.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from typing import Any

from markupsafe import Markup

from innexport._version import __version__
from innexport.core.assessment import FirmResult, IndexOut, PriorityOut, flowsort_divergence
from innexport.core.framework import DONT_KNOW, INDICES, Framework
from innexport.core.priorities import TOP_PRIORITIES
from innexport.core.respondents import least_agreed, without_attribution
from innexport.core.uncertainty import STABLE
from innexport.rendering import charts, i18n
from innexport.rendering.documents import environment, html_to_pdf
from innexport.rendering.i18n import Translator, translator
from innexport.rendering.plan import plan_view
from innexport.support.plans import ActionPlan

SUMMARY_PRIORITIES = 3
"""Priorities named in the summary paragraph."""
DISAGREEMENT_ROWS = 5
"""Questions, and activities, listed in "Where your team disagrees" (those whose answers differ most)."""

__all__ = ["ReportError", "render_html", "render_pdf"]


class ReportError(ValueError):
    """A result that cannot be reported with the given framework."""


def _why_flowsort_differs(fw: Framework, result: FirmResult, name: str, L: Translator) -> Markup:
    """Why FlowSort gives another class on index ``name``, worded: the cause is the core's
    (:func:`innexport.core.assessment.flowsort_divergence`)."""
    out = result.indices[name]
    if flowsort_divergence(fw, result, name) == "boundary":
        pos = [c.id for c in fw.classes]
        limit = fw.classes[min(pos.index(out.class_ or ""), pos.index(out.flowsort.class_ or ""))].threshold
        return L.markup("report.flowsort.boundary", value=L.num(out.value), threshold=L.num(limit))
    scores = [a.score for a in result.activities if a.score is not None and a.weight.get(name, 0.0) > 0]
    low, high = (L.num(min(scores)), L.num(max(scores))) if scores else ("–", "–")
    if fw.flowsort.preference == "usual":
        return L.markup("report.flowsort.spread_usual", low=low, high=high)
    return L.markup("report.flowsort.spread", low=low, high=high, p=L.num(fw.flowsort.p))


def _bold(text: str) -> Markup:
    return Markup("<strong>{}</strong>").format(text)


def _chart(svg: str) -> Markup:
    """A chart of :mod:`innexport.rendering.charts`, to be put in the page as it is."""
    return Markup(svg)  # noqa: S704 - the charts escape every text they draw (labels, titles) themselves


# --- the view model -----------------------------------------------------------------------------------


def _check(result: FirmResult, framework: Framework) -> None:
    if result.framework.id != framework.id or result.framework.content_hash != framework.content_hash:
        raise ReportError(
            f"this result was scored with {result.framework.label} ({result.framework.content_hash[:19]}…), "
            f"not with the framework given, {framework.label} ({framework.content_hash[:19]}…): "
            "load the same framework and modules to report it"
        )


def _check_plan(result: FirmResult, plan: ActionPlan) -> None:
    if plan.content_hash != result.framework.content_hash:
        raise ReportError(
            f"this action plan was made with the framework {plan.framework} ({plan.content_hash[:19]}…), not with "
            f"the one of the result, {result.framework.label} ({result.framework.content_hash[:19]}…)"
        )


def _context(result: FirmResult, framework: Framework, generated_on: dt.date,
             action_plan: ActionPlan | None = None) -> dict[str, Any]:
    _check(result, framework)
    if action_plan is not None:
        _check_plan(result, action_plan)
    L = translator(result.lang)
    result = without_attribution(result, _role_namer(L), L.t("report.colon"))  # the report is shared with the firm
    lang = result.lang
    fw = framework
    firm = result.firm
    classes = fw.classes
    thresholds = [c.threshold for c in classes]
    class_pos = {c.id: k for k, c in enumerate(classes)}

    def cls_at(k: int) -> dict[str, Any]:
        label = classes[k].label[lang]
        return {"id": classes[k].id, "label": label, "word": label.lower(), "color": charts.CLASS_COLORS[k],
                "tint": charts.CLASS_TINTS[k], "pos": k}

    def cls(class_id: str | None) -> dict[str, Any] | None:
        return None if class_id is None or class_id not in class_pos else cls_at(class_pos[class_id])

    def cls_of_value(value: float | None) -> dict[str, Any] | None:
        k = charts.class_of(value, thresholds)
        return None if k is None else cls(classes[k].id)

    def bar(value: float | None, target: float | None) -> dict[str, Any]:
        """A score bar drawn in CSS: fill width and target position in percent."""
        return {"pct": None if value is None else round(100 * min(max(value, 0.0), 1.0), 1),
                "cls": cls_of_value(value),
                "target": None if target is None else round(100 * min(max(target, 0.0), 1.0), 1)}

    class_legend = [
        {**cls_at(k), "low": L.num(c.threshold), "high": L.num(1.0 if k == 0 else classes[k - 1].threshold)}
        for k, c in enumerate(classes)
    ]
    tag = {t: {"id": t, "label": L.t(f"tag.{t}")} for t in ("innovation", "export", "joint")}

    def answer_label(oid: str, code: str | None) -> str:
        if code is None:
            return L.t("report.answer.none")
        if code == DONT_KNOW:
            return L.t("report.answer.dk")
        scale = fw.scale_by_id[fw.observable_by_id[oid].scale]
        return next((lv.label[lang] for lv in scale.levels if lv.code == code), code)

    def act_name(aid: str) -> str:
        return fw.activity_by_id[aid].name[lang]

    def dim_name(aid: str) -> str:
        return fw.dimension_of[aid].name[lang]

    # --- header ---
    meta: list[tuple[str, str]] = []
    if firm.country:
        key = f"report.country.{firm.country.upper()}"
        meta.append((L.t("report.field.country"), L.t(key) if L.has(key) else firm.country))
    if firm.region:
        meta.append((L.t("report.field.region"), firm.region))
    if firm.sector:
        key = f"report.sector.{firm.sector.casefold()}"
        meta.append((L.t("report.field.sector"), L.t(key) if L.has(key) else firm.sector))
    if firm.size:
        meta.append((L.t("report.field.size"), L.t(f"report.size.{firm.size}")))
    if firm.employees is not None:
        meta.append((L.t("report.field.employees"), L.count(firm.employees)))
    if firm.founded is not None:
        meta.append((L.t("report.field.founded"), str(firm.founded)))
    if firm.export_share is not None:
        meta.append((L.t("report.field.export_share"), L.percent(firm.export_share)))
    if firm.rd_intensity is not None:
        meta.append((L.t("report.field.rd_intensity"), L.percent(firm.rd_intensity)))
    if firm.contact:
        meta.append((L.t("report.field.contact"), firm.contact))
    n_dk, n_missing = len(result.dont_know), len(result.missing)
    scored = result.questions - n_dk - n_missing
    completeness = L.t("report.completeness", answered=L.count(scored), total=L.count(result.questions),
                       percent=L.percent(result.completeness))
    extras = []
    if n_dk:
        extras.append(L.t("report.completeness.dont_know", n=L.count(n_dk)))
    if n_missing:
        extras.append(L.t("report.completeness.unanswered", n=L.count(n_missing)))
    assessment_meta = []
    if result.assessed_on:
        assessment_meta.append((L.t("report.field.assessed_on"), L.date(result.assessed_on)))
    assessment_meta.append((L.t("report.field.generated_on"), L.date(generated_on)))
    if result.assessor:
        assessment_meta.append((L.t("report.field.assessor"), result.assessor))
    short_hash = result.framework.content_hash.split(":")[-1][:12]
    assessment_meta.append((L.t("report.field.framework"), f"{fw.title[lang]} · {result.framework.label} · {short_hash}"))
    assessment_meta.append((L.t("report.field.completeness"), " · ".join([completeness, *extras])))
    if result.respondents:
        assessment_meta.append((L.t("report.field.respondents"), " · ".join(r.id for r in result.respondents)))
    validation = _validation_context(result, L)
    if validation is not None:
        assessment_meta.append((L.t("report.field.validation"), validation["sentence"]))

    # --- indices ---
    indices = []
    flowsort_notes: list[Markup] = []
    for name in INDICES:
        out = result.indices[name]
        threshold_cls, flowsort_cls = cls(out.class_), cls(out.flowsort.class_)
        differs = threshold_cls is not None and flowsort_cls is not None and threshold_cls["id"] != flowsort_cls["id"]
        certainty = _index_certainty(out, L)
        gauge_title = f"{name.upper()} {L.num(out.value)}"
        gauge = (charts.gauge_svg(out.value, thresholds, tick_labels=[L.num(v) for v in thresholds], title=gauge_title)
                 if out.interval is None else
                 charts.interval_gauge_svg(out.value, out.interval.low, out.interval.high, thresholds,
                                           tick_labels=[L.num(v) for v in thresholds], title=gauge_title,
                                           description=" · ".join(filter(None, (certainty["interval"],
                                                                                certainty["kept"])))))
        indices.append({
            "id": name, "abbr": name.upper(), "name": L.t(f"index.{name}"), "value": L.num(out.value),
            "raw": out.value, "cls": threshold_cls, "flowsort": flowsort_cls, "differs": differs,
            "gauge": _chart(gauge), "certainty": certainty,
        })
        if differs and threshold_cls is not None and flowsort_cls is not None:
            flowsort_notes.append(
                L.markup("report.flowsort.differs", index=_bold(name.upper()), flowsort=flowsort_cls["word"],
                         threshold=threshold_cls["word"])
                + Markup(" ") + _why_flowsort_differs(fw, result, name, L)
            )
    if flowsort_notes:
        flowsort_notes.append(L.markup("report.flowsort.see_annex"))

    iip, iep, _iiep = (result.indices[n].value for n in INDICES)
    cut = fw.classes[1].threshold
    plan = result.next_class

    # --- priorities ---
    target_value = next((p.target for p in result.priorities if p.target is not None), None)
    target_class = next((p.target_class for p in result.priorities if p.target_class is not None), None)
    top_raw = result.top_priorities()
    top_ids = {p.activity for p in top_raw}
    rest_raw = [p for p in result.priorities if p.activity not in top_ids]

    def priority_row(p: PriorityOut) -> dict[str, Any]:
        return {
            "rank": p.rank, "name": act_name(p.activity), "dimension": dim_name(p.activity), "tag": tag[p.tag],
            "score": L.num(p.score), "target": L.num(p.target), "gap": L.num(p.gap), "leverage": L.num(p.leverage),
            "priority": L.num(p.priority, 3), "reason": i18n.priority_reason(fw, p, lang), "assessed": p.score is not None,
            "reached": p.gap is not None and p.gap <= 1e-9,
            "cls": cls_of_value(p.score),
            "bar": bar(p.score, p.target),
            "recommendations": [
                {"question": fw.observable_by_id[r.observable].question[lang],
                 "answer": answer_label(r.observable, r.answer), "unanswered": r.answer in (None, DONT_KNOW),
                 "recommendation": fw.observable_by_id[r.observable].recommendation[lang], "id": r.observable}
                for r in p.recommendations
            ],
        }

    top = [priority_row(p) for p in top_raw]
    rest = [priority_row(p) for p in rest_raw]
    top_is_proactive = target_value is not None and target_value >= 1.0 - 1e-9
    priorities_intro = (
        L.t("report.priorities.intro_top") if top_is_proactive
        else L.t("report.priorities.intro", target_class=(cls(target_class) or {}).get("word", "–"),
                 target=L.num(target_value))
    )

    # --- next class ---
    next_state, next_steps, next_rows = _plan_view(result, fw, L, cls, cls_of_value, answer_label, act_name, tag)

    # --- summary paragraph ---
    summary = _summary(result, L, cut, cls, top_raw, act_name, next_state)

    # --- charts ---
    dims = result.dimensions
    dim_names = {d.id: d.name[lang] for d in fw.dimensions}
    radar = charts.radar_svg(
        [dim_names.get(d.id, d.id) for d in dims],
        [d.score for d in dims],
        rings=thresholds[:-1],
        ring_colors=list(charts.CLASS_TINTS),
        ring_labels=[L.num(v) for v in thresholds[:-1]],
        value_labels=[L.num(d.score) for d in dims],
        title=L.t("report.radar.title"),
    ) if len(dims) >= 3 else None
    quadrant_target = None
    target_iip, target_iep = plan.target["iip"], plan.target["iep"]
    if next_state in ("plan", "unreachable") and target_iip is not None and target_iep is not None:
        quadrant_target = (fw.classes[class_pos[target_iip]].threshold, fw.classes[class_pos[target_iep]].threshold)
    after = (plan.after["iip"], plan.after["iep"]) if plan.steps and next_state == "plan" else None
    quadrant = charts.quadrant_svg(
        iip, iep, cut, target=quadrant_target, after=after,
        labels={q: L.t(f"quadrant.{q}") for q in ("innovative_exporter", "exporter_not_innovating",
                                                   "innovator_not_exporting", "neither")},
        point_label=_short(firm.name, 28), axis_labels=(L.t("report.quadrant.axis_x"), L.t("report.quadrant.axis_y")),
        thresholds=thresholds, target_label=L.t("report.quadrant.target") if quadrant_target else None,
        title=L.t("report.quadrant.title"), decimal=L.decimal,
    )

    # --- activities by dimension ---
    act_out = {a.id: a for a in result.activities}
    dim_score = {d.id: d.score for d in result.dimensions}
    dimensions = []
    for d in fw.dimensions:
        rows = []
        for a in d.activities:
            act = act_out.get(a.id)
            if act is None:
                continue
            rows.append({"name": a.name[lang], "tag": tag[a.tag], "score": L.num(act.score), "cls": cls_of_value(act.score),
                         "answered": act.answered, "questions": act.questions,
                         "bar": bar(act.score, target_value)})
        dimensions.append({"name": d.name[lang], "score": L.num(dim_score.get(d.id)), "cls": cls_of_value(dim_score.get(d.id)),
                           "activities": rows})

    # --- annex ---
    answer_groups = [
        {"dimension": d.name[lang], "activity": a.name[lang], "tag": tag[a.tag],
         "rows": [{"id": o.id, "question": o.question[lang], "answer": answer_label(o.id, result.answers.get(o.id)),
                   "code": result.answers.get(o.id), "comment": result.comments.get(o.id, ""),
                   "review": _review_mark(validation, o.id, result.answers.get(o.id))}
                  for o in a.observables]}
        for d in fw.dimensions for a in d.activities
    ]

    def question_list(ids: Sequence[str]) -> list[dict[str, str]]:
        return [{"id": o, "question": fw.observable_by_id[o].question[lang], "activity": act_name(fw.activity_of[o].id)}
                for o in ids if o in fw.observable_by_id]

    flows = []
    for name in INDICES:
        fs = result.indices[name].flowsort
        flows.append({
            "abbr": name.upper(), "net": L.num(fs.net_flow, 3), "positive": L.num(fs.positive_flow, 3),
            "negative": L.num(fs.negative_flow, 3), "cls": cls(fs.class_), "by_positive": cls(fs.class_by_positive_flow),
            "by_negative": cls(fs.class_by_negative_flow),
            "profiles": [L.num(fs.profile_net_flows.get(c.id), 3) for c in classes],
        })
    class_ranges = str(L.join([L.t("report.method.class_range", cls=c["label"], low=c["low"], high=c["high"])
                               for c in class_legend]).unescape())

    return {
        "benchmark": _benchmark_context(result, fw, L),
        "certainty": _certainty_context(result, fw, L, cls),
        "disagreement": _disagreement_context(result, fw, L),
        "validation": validation,
        "sensitivity": _sensitivity_context(result, fw, L),
        "action_plan": None if action_plan is None else _action_plan_context(action_plan, L, generated_on),
        "lang": lang, "t": L.t, "num": L.num, "colon": L.t("report.colon"),
        "firm": firm, "meta": meta, "assessment_meta": assessment_meta,
        "bar_ticks": [round(100 * v, 1) for v in thresholds[:-1]],
        "title": L.t("report.title"), "subtitle": L.t("report.subtitle"),
        "indices": indices, "flowsort_notes": flowsort_notes,
        "quadrant_label": L.t(f"quadrant.{result.quadrant}") if result.quadrant else None,
        "summary": summary, "classes": class_legend,
        "radar": _chart(radar) if radar else None, "quadrant": _chart(quadrant),
        "quadrant_caption": L.t("report.quadrant.caption", cut=L.num(cut)),
        "priorities_intro": priorities_intro, "top": top, "rest": rest,
        "next_state": next_state, "next_steps": next_steps, "next_rows": next_rows,
        "next_intro": L.t("report.next.intro",
                          iip_target=(cls(plan.target.get("iip")) or {}).get("word", "–"),
                          iep_target=(cls(plan.target.get("iep")) or {}).get("word", "–")),
        "next_text": _plan_text(result, L, next_state),
        "activities_intro": L.t("report.activities.intro", target=L.num(target_value)),
        "dimensions": dimensions,
        "answer_groups": answer_groups,
        "dont_know": question_list(result.dont_know), "unanswered": question_list(result.missing),
        "flows": flows, "class_ranges": class_ranges,
        "sources": [{"citation": s.citation, "url": s.url} for s in fw.sources],
        "framework": {"title": fw.title[lang], "label": result.framework.label, "hash": result.framework.content_hash,
                      "short_hash": short_hash, "description": fw.description[lang]},
        "generator": L.t("report.generated_by", version=__version__).strip(),
        "generated_on": generated_on.isoformat(),
        "class_colors": [(c.id, charts.CLASS_COLORS[k], charts.CLASS_TINTS[k]) for k, c in enumerate(classes)],
        "accent": charts.ACCENT,
    }


def _index_certainty(out: IndexOut, L: Translator) -> dict[str, Any]:
    """What the index card says of an index's interval and class stability (None parts: not computed)."""
    interval = None if out.interval is None else L.t(
        "report.certainty.card", level=L.percent(out.interval.level), low=L.num(out.interval.low),
        high=L.num(out.interval.high))
    stability, stable = out.class_stability, _stable(out.class_stability)
    kept = None if stability is None else L.t(
        "report.certainty.kept", share=L.percent(stability),
        verdict=L.t("report.certainty.stable" if stable else "report.certainty.borderline"))
    return {"interval": interval, "kept": kept, "stable": stable}


def _stable(stability: float | None) -> bool | None:
    """Whether a class kept in ``stability`` of the draws is stable (at least
    :data:`innexport.core.uncertainty.STABLE`); None when not computed.

    >>> _stable(STABLE), _stable(STABLE - 0.001), _stable(None)
    (True, False, None)
    """
    return None if stability is None else stability >= STABLE


def _review_mark(validation: dict[str, Any] | None, question: str, code: str | None) -> dict[str, str] | None:
    """The annex's mark of an answer once an advisor has reviewed the result: ``corrected``, or
    ``self`` (not validated); a validated answer, or an unanswered question, is not marked."""
    if validation is None or code is None:
        return None
    state = validation["states"].get(question)
    if state == "validated":
        return None
    kind = "corrected" if state == "corrected" else "self"
    return {"kind": kind, "text": validation["marks"][kind]}


def _count(L: Translator, key: str, n: int) -> str:
    """The plural message ``key`` for ``n`` (gettext plural forms, see :meth:`Translator.plural`)."""
    return L.plural(key, n)


def _short(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1].rstrip() + "…"


def _plan_view(result: FirmResult, fw: Framework, L: Translator, cls: Callable, cls_of_value: Callable,
               answer_label: Callable, act_name: Callable, tag: dict) -> tuple[str, list[dict], list[dict]]:
    """State of the next-class plan, its steps grouped by activity, and the before → after rows."""
    plan = result.next_class
    top_id = fw.classes[0].id
    if plan.current.get("iip") is None or plan.current.get("iep") is None:
        state = "missing"
    elif plan.current["iip"] == top_id and plan.current["iep"] == top_id:
        state = "top"
    elif not plan.reachable:
        state = "unreachable"
    else:
        state = "plan"
    groups: list[dict] = []
    if state in ("plan", "unreachable"):
        by_act: dict[str, list] = {a: [] for a in plan.by_activity}
        for st in plan.steps:
            by_act.setdefault(st.activity, []).append(st)
        for aid, steps in by_act.items():
            merged: dict[str, dict] = {}
            for st in steps:
                m = merged.get(st.observable)
                if m is None:
                    merged[st.observable] = {"id": st.observable, "from": st.from_code, "to": st.to_code,
                                             "gain_iip": st.gain_iip, "gain_iep": st.gain_iep, "levels": 1}
                else:
                    m["to"] = st.to_code
                    m["gain_iip"] += st.gain_iip
                    m["gain_iep"] += st.gain_iep
                    m["levels"] += 1
            rows = [{
                "question": fw.observable_by_id[m["id"]].question[L.code],
                "from": answer_label(m["id"], m["from"]), "to": answer_label(m["id"], m["to"]),
                "gain": f"+{L.num(m['gain_iip'])} / +{L.num(m['gain_iep'])}", "levels": m["levels"],
            } for m in merged.values()]
            a = fw.activity_by_id[aid]
            groups.append({"activity": act_name(aid), "tag": tag[a.tag], "rows": rows,
                           "count": _count(L, "report.next.count", sum(r["levels"] for r in rows))})
    rows = []
    if state != "missing":
        for name in ("iip", "iep"):
            before = result.indices[name].value
            after = plan.after.get(name)
            needed = plan.needed.get(name) or 0.0
            rows.append({
                "abbr": name.upper(), "before": L.num(before), "before_cls": cls(plan.current.get(name)),
                "target_cls": cls(plan.target.get(name)),
                "after": L.num(after if state in ("plan", "unreachable") and after is not None else before),
                "after_cls": cls_of_value(after if after is not None else before),
                "reached": needed <= 1e-9,
            })
    return state, groups, rows


def _plan_text(result: FirmResult, L: Translator, state: str) -> str | None:
    if state == "top":
        return L.t("report.next.both_top", firm=result.firm.name)
    if state == "missing":
        return L.t("report.next.missing")
    if state == "unreachable":
        n = len(result.missing) + len(result.dont_know)
        return L.t("report.next.unreachable", n=n) if n else L.t("report.next.unreachable_none")
    return None


def _summary(result: FirmResult, L: Translator, cut: float, cls: Callable, top: Sequence[PriorityOut],
             act_name: Callable, next_state: str) -> list[Markup]:
    """The plain-language summary, one Markup sentence per item."""
    firm = _bold(result.firm.name)
    iip, iep, iiep = (result.indices[n] for n in INDICES)
    sentences: list[Markup] = []
    quad = result.quadrant or "unknown"
    sentences.append(L.markup(f"report.summary.quadrant.{quad}", firm=firm, iip=L.num(iip.value), iep=L.num(iep.value),
                              cut=L.num(cut)))
    current = cls(iiep.class_)
    target = next((p.target_class for p in result.priorities if p.target_class is not None), None)
    if current is not None:
        if current["pos"] == 0:
            sentences.append(L.markup("report.summary.class_top", iiep=L.num(iiep.value), cls=current["word"]))
        else:
            sentences.append(L.markup("report.summary.class", iiep=L.num(iiep.value), cls=current["word"],
                                      target=(cls(target) or {}).get("word", "–")))
    named = list(top[:SUMMARY_PRIORITIES])
    if named:
        names = [_bold(act_name(p.activity)) for p in named]
        key = "report.summary.priorities" if len(named) > 1 else "report.summary.priority"
        sentence = L.markup(key, list=L.join(names))
        joint = sum(p.tag == "joint" for p in named)
        if len(named) == 1:
            ending = "report.summary.joint_single" if joint else "report.summary.joint_none"
            sentence += L.markup(ending)
        elif joint == len(named):
            sentence += L.markup("report.summary.joint_all")
        elif joint == 1:
            sentence += L.markup("report.summary.joint_one")
        elif joint > 1:
            sentence += L.markup("report.summary.joint_some", n=L.number_word(joint))
        else:
            sentence += L.markup("report.summary.joint_none")
        sentences.append(sentence)
    else:
        sentences.append(L.markup("report.summary.no_priorities"))
    plan = result.next_class
    if next_state == "plan" and plan.steps:
        n_steps, n_acts = len(plan.steps), len(plan.by_activity)
        values = {"steps": n_steps, "activities": n_acts, "iip": L.num(iip.value), "iep": L.num(iep.value),
                  "iip_after": L.num(plan.after["iip"]), "iep_after": L.num(plan.after["iep"])}
        key = ("report.summary.plan_one" if n_steps == 1 else
               "report.summary.plan_one_activity" if n_acts == 1 else "report.summary.plan")
        sentences.append(L.markup(key, **values))
    elif next_state == "unreachable":
        sentences.append(L.markup("report.summary.plan_unreachable"))
    unscored = len(result.missing) + len(result.dont_know)
    if unscored:
        sentences.append(L.markup("report.summary.incomplete", answered=result.questions - unscored,
                                  total=result.questions, n=unscored))
    return sentences


# --- public API ----------------------------------------------------------------------------------------


def _benchmark_context(result: FirmResult, fw: Framework, L: Translator) -> dict[str, Any] | None:
    """The firm among its peers (indices and dimensions), when the result carries a benchmark."""
    bench = result.benchmark
    if not bench:
        return None
    group = ", ".join(f"{k} = {v}" for k, v in (bench.get("group") or {}).items())
    if bench.get("refused"):
        return {"refused": L.t("report.benchmark.refused", group=group)}
    names = {**{i: L.t(f"index.{i}") for i in ("iip", "iep", "iiep")},
             **{f"dim.{d.id}": d.name[L.code] for d in fw.dimensions}}
    rows = []
    for col, label in names.items():
        row = (bench.get("columns") or {}).get(col)
        if not row or row.get("value") is None:
            continue
        interval = row.get("percentile_interval")
        percentile = L.num(row["percentile"], 0)
        if interval:  # the percentiles of the ends of the index's interval
            percentile = L.t("report.benchmark.percentile_interval", percentile=percentile,
                             low=L.num(interval[0], 0), high=L.num(interval[1], 0))
        rows.append({"label": label, "value": L.num(row["value"]), "percentile": percentile,
                     "median": L.num(row["median"]), "iqr": f"{L.num(row['p25'])} – {L.num(row['p75'])}",
                     "index": not col.startswith("dim.")})
    return {"intro": L.t("report.benchmark.intro", n=bench["n"], group=group), "rows": rows}


# --- the evidence: respondents, disagreement, validation, intervals, sensitivity --------------------------


def _role_namer(L: Translator) -> Callable[[str, int, int], str]:
    """How the report names a respondent instead of their id or name (the ``name_of`` of
    :func:`innexport.core.respondents.without_attribution`): their role in words, numbered when
    the role occurs more than once ("Other 1", "Other 2").

    >>> name_of = _role_namer(translator("fr"))
    >>> name_of("director", 1, 1), name_of("other", 2, 2), name_of("unheard_of", 1, 1)
    ('Dirigeant', 'Autre 2', 'Autre')
    """
    def name_of(role: str, n: int, of: int) -> str:
        key = f"report.role.{role}"
        label = L.t(key) if L.has(key) else L.t("report.role.other")
        return f"{label} {n}" if of > 1 else label

    return name_of


def _disagreement_context(result: FirmResult, fw: Framework, L: Translator) -> dict[str, Any] | None:
    """"Where your team disagrees": the respondents by role, and the questions and activities whose
    answers differ most (lowest agreement first, then largest range; only those that differ). None
    for one respondent without a measured disagreement: there is no team to disagree."""
    if len(result.respondents) < 2 and result.disagreement is None:
        return None
    lang = L.code
    respondents = [{"role": r.id, "answered": L.count(r.answered), "dont_know": L.count(r.dont_know)}
                   for r in result.respondents]  # ids are role names here (without_attribution)

    d = result.disagreement
    questions = [] if d is None else [
        {"id": q.question, "question": fw.observable_by_id[q.question].question[lang],
         "activity": fw.activity_of[q.question].name[lang], "respondents": L.count(q.respondents),
         "range": L.num(q.range), "agreement": L.num(q.agreement)}
        for q in least_agreed(d.questions, DISAGREEMENT_ROWS) if q.question in fw.observable_by_id]
    activities = [] if d is None else [
        {"name": fw.activity_by_id[a.activity].name[lang], "dimension": fw.dimension_of[a.activity].name[lang],
         "range": L.num(a.range), "agreement": L.num(a.agreement)}
        for a in least_agreed(d.activities, DISAGREEMENT_ROWS) if a.activity in fw.activity_by_id]
    n = len(result.respondents)
    return {"intro": L.plural("report.disagreement.intro", n) if n else None, "respondents": respondents,
            "questions": questions, "activities": activities, "measured": d is not None}


def _validation_context(result: FirmResult, L: Translator) -> dict[str, Any] | None:
    """The validation sentence ("12 answers validated and 2 corrected by A and B; 26 answers
    self-assessed") and the marks of the annex's answers, when an advisor reviewed answers."""
    v = result.validation
    if v is None:
        return None
    by = L.join(v.by).unescape() if v.by else L.t("report.validation.by_unknown")
    self_assessed = L.plural("report.validation.self", v.self_assessed)
    if v.validated and v.corrected:
        sentence = L.t("report.validation.summary", validated=L.plural("report.validation.validated", v.validated),
                       corrected=L.plural("report.validation.corrected", v.corrected), by=by,
                       self_assessed=self_assessed)
    else:
        reviewed = (L.plural("report.validation.corrected_only", v.corrected) if v.corrected and not v.validated
                    else L.plural("report.validation.validated", v.validated))
        sentence = L.t("report.validation.summary_one", reviewed=reviewed, by=by, self_assessed=self_assessed)
    marks = {"self": L.t("report.validation.mark.self"), "corrected": L.t("report.validation.mark.corrected")}
    note = L.t("report.validation.annex_note", unvalidated=L.t("report.quoted", text=marks["self"]),
               corrected=L.t("report.quoted", text=marks["corrected"]))
    return {"sentence": sentence, "states": dict(v.states), "marks": marks, "note": note}


def _certainty_context(result: FirmResult, fw: Framework, L: Translator, cls: Callable) -> dict[str, Any] | None:
    """"How certain these results are": each index's interval and class stability (stable or
    borderline by :data:`~innexport.core.uncertainty.STABLE`), the first priorities' probability of
    staying among the first :data:`~innexport.core.priorities.TOP_PRIORITIES`, and how the draws were made."""
    u = result.uncertainty
    outs = [(name, result.indices[name]) for name in INDICES]
    priorities = [p for p in result.priorities if p.top_probability is not None]
    if u is None and not priorities and all(o.interval is None and o.class_stability is None for _n, o in outs):
        return None
    level = next((o.interval.level for _n, o in outs if o.interval is not None), u.level if u else None)
    rows = []
    for name, out in outs:
        stability = out.class_stability
        rows.append({
            "abbr": name.upper(), "value": L.num(out.value), "cls": cls(out.class_),
            "interval": (L.t("report.legend.range", low=L.num(out.interval.low), high=L.num(out.interval.high))
                         if out.interval is not None else None),
            "stability": L.percent(stability) if stability is not None else None,
            "stable": _stable(stability),
        })
    first_n = L.number_word(TOP_PRIORITIES)
    values = {"level": L.percent(level) if level is not None else "–", "stable": L.percent(STABLE)}
    intro = (L.t("report.certainty.intro", draws=L.count(u.draws), **values) if u is not None
             else L.t("report.certainty.intro_plain", **values))
    method = None
    if u is not None:
        sources = [L.t(f"report.certainty.source.unanswered_{u.unanswered_from}") if s == "unanswered"
                   else L.t(f"report.certainty.source.{s}") for s in u.sources]
        method = (L.t("report.certainty.method", draws=L.count(u.draws), seed=str(u.seed),
                      sources=L.join(sources).unescape(),
                      level=L.percent(u.level)) if sources
                  else L.t("report.certainty.method_none", draws=L.count(u.draws), seed=str(u.seed)))
    return {
        "intro": intro, "rows": rows, "level": values["level"], "method": method,
        "priorities": [{"rank": p.rank, "name": fw.activity_by_id[p.activity].name[L.code],
                        "probability": L.percent(p.top_probability)} for p in priorities],
        "priorities_intro": L.t("report.certainty.priorities_intro", n=first_n),
        "priorities_col": L.t("report.col.top_probability", n=first_n),
    }


def _sensitivity_context(result: FirmResult, fw: Framework, L: Translator) -> dict[str, Any] | None:
    """The annex "Sensitivity to the weights": per dimension its weight and the range of that weight
    keeping each index's class and the first priority ("any weight" when it is all of [0, 1]; "–"
    when there is none: the index has no class)."""
    if not result.sensitivity:
        return None

    def span(bounds: tuple[float, float] | None) -> str:
        if bounds is None:
            return "–"
        if bounds[0] <= 1e-9 and bounds[1] >= 1.0 - 1e-9:
            return L.t("report.sensitivity.any")
        return L.t("report.legend.range", low=L.percent(bounds[0], 1), high=L.percent(bounds[1], 1))

    names = {d.id: d.name[L.code] for d in fw.dimensions}
    first = result.priorities[0] if result.priorities else None
    return {
        "intro": L.t("report.sensitivity.intro", total=L.percent(1.0),
                     priority=fw.activity_by_id[first.activity].name[L.code] if first else "–"),
        "indices": [name.upper() for name in INDICES],
        "rows": [{"dimension": names.get(w.dimension, w.dimension), "weight": L.percent(w.weight, 1),
                  "classes": [span(w.classes.get(name)) for name in INDICES], "priority": span(w.priority)}
                 for w in result.sensitivity],
    }


def _action_plan_context(plan: ActionPlan, L: Translator, generated_on: dt.date) -> dict[str, Any]:
    """The report's action-plan section: the plan's view (see :func:`innexport.rendering.plan.plan_view`),
    its texts in the report's language."""
    view = plan_view(plan, today=generated_on)
    return {**view, "intro": L.t("plan.report_intro", progress=view["progress"])}


def render_html(result: FirmResult, framework: Framework, *, generated_on: dt.date | None = None,
                plan: ActionPlan | None = None) -> str:
    """The report of one firm as a standalone HTML page (inline CSS and SVG), in ``result.lang``.

    ``framework`` must be the one the result was scored with (same content hash), since the
    report's texts (activity names, questions, recommendations) come from it. ``generated_on`` is
    the report date (today by default). ``plan``, the firm's action plan made from this result
    (same framework), adds the section "Action plan".
    """
    context = _context(result, framework, generated_on or dt.date.today(), plan)
    return environment().get_template("report.html.j2").render(context)


def render_pdf(result: FirmResult, framework: Framework, *, generated_on: dt.date | None = None,
               plan: ActionPlan | None = None) -> bytes:
    """The report of one firm as an A4 PDF (WeasyPrint), in ``result.lang`` (with ``plan``: see
    :func:`render_html`)."""
    return html_to_pdf(render_html(result, framework, generated_on=generated_on, plan=plan))
