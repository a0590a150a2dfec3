"""Action plans: make an assessment's plan, follow and edit its actions, download it.

``assessments/<pk>/plan/`` shows the plan (or, for a completed diagnostic without one, a button
that makes it); editors change each action's owner, due date, status and programmes picked (one
small form per action, posted to ``plans/actions/<pk>/``), add actions by hand, delete them, or
make the plan again. Analysts see it read-only; everyone of the organisation may download it (PDF,
XLSX, iCalendar, JSON, in the assessment's language). Another organisation's plan is never found
(404, whatever the method); an analyst's change is refused (403). The work is done by the
service layer: :mod:`innexport.web.services` for the steps that need the completed result and
lock the assessment (make, make again, add an action), :mod:`innexport.web.plans` for an
action's changes and the exports (and the core's :mod:`innexport.support.plans`); these views
stay thin.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from innexport.rendering import i18n
from innexport.web import plans, services, tenancy
from innexport.web.language import interface_language
from innexport.web.models import ActionPlan, ActionStatus, Assessment, AuditEntry, PlanAction
from innexport.web.tenancy import member_required

EXPORT_LABELS = {"pdf": "PDF action plan", "xlsx": "XLSX action plan", "ics": "iCalendar action plan",
                 "json": "JSON action plan"}




def _assessment(request: HttpRequest, pk: int) -> Assessment:
    return get_object_or_404(tenancy.assessments(request.user), pk=pk)


def _action_row(request: HttpRequest, pk: int) -> PlanAction:
    org = tenancy.organisation(request.user)
    rows = PlanAction.objects.filter(plan__organisation=org, plan__assessment__organisation=org)
    return get_object_or_404(rows.select_related("plan"), pk=pk)


def _no_plan() -> HttpResponse:
    return HttpResponse(_("This diagnostic has no action plan yet."), status=404,
                        content_type="text/plain; charset=utf-8")


def _plan_to_change(request: HttpRequest, pk: int) -> tuple[Assessment, ActionPlan] | HttpResponse:
    """The assessment and its plan for an editor's POST, or the response refusing it (no plan: 404;
    another method: 405; an analyst: 403 raised)."""
    assessment = _assessment(request, pk)
    plan = plans.plan_of(assessment)
    if plan is None:
        return _no_plan()
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    tenancy.require_editor(request.user)
    return assessment, plan


def _plan_url(assessment_pk: int, row_pk: int | None = None) -> str:
    url = reverse("assessment-plan", args=[assessment_pk])
    return f"{url}#action-{row_pk}" if row_pk else url


# --- the page -----------------------------------------------------------------------------------------------


def _groups(plan: Any, assessment: Assessment, lang: str) -> list[dict[str, Any]]:
    """The actions grouped by priority, with the names in the interface's language."""
    fw = services.framework_of(assessment.framework)
    known = services.catalogue_for(plan.organisation).by_id
    today = timezone.localdate()

    def programme(pid: str, picked: bool) -> dict[str, Any]:
        p = known.get(pid)
        if p is None:  # no longer in the catalogue (a local programme deleted since)
            return {"id": pid, "name": pid, "picked": picked, "known": False, "operator": "", "kind": "", "url": "",
                    "joint": False}
        return {"id": pid, "name": p.name.get(lang), "picked": picked, "known": True, "operator": p.operator,
                "kind": i18n.t(f"plan.kind.{p.kind}", lang), "url": p.url, "joint": p.scope == "joint"}

    groups: dict[tuple[int, str], dict[str, Any]] = {}
    for row in sorted(plan.actions.all(), key=lambda r: (r.rank, r.position, r.pk)):
        group = groups.get((row.rank, row.activity))
        if group is None:
            activity = fw.activity_by_id.get(row.activity)
            group = groups[(row.rank, row.activity)] = {
                "rank": row.rank, "name": activity.name[lang] if activity else (row.activity_name or row.activity),
                "tag": activity.tag if activity else "",
                "tag_label": i18n.t(f"tag.{activity.tag}", lang) if activity else "",
                "actions": [],
            }
        chosen = list(row.chosen or [])
        group["actions"].append({
            "row": row, "custom": row.key.startswith(plans.CUSTOM_PREFIX),
            "late": row.due is not None and row.due < today and row.status in (ActionStatus.TODO, ActionStatus.DOING),
            "programmes": [programme(p, p in chosen) for p in row.proposed or []]
                          + [programme(p, True) for p in chosen if p not in (row.proposed or [])],
        })
    return list(groups.values())


def _activities(assessment: Assessment, lang: str) -> list[tuple[str, str]]:
    """The framework's activities for the "add an action" form, in priority order."""
    fw = services.framework_of(assessment.framework)
    order = {p["activity"]: p["rank"] for p in (assessment.result or {}).get("priorities", [])}
    acts = sorted(fw.activities, key=lambda a: (order.get(a.id, len(order) + 1), a.id))
    return [(a.id, f"{order[a.id]}. {a.name[lang]}" if a.id in order else a.name[lang]) for a in acts]


def _page(request: HttpRequest, assessment: Assessment, *, error: str | None = None, status: int = 200,
          form: dict[str, Any] | None = None) -> HttpResponse:
    plan = plans.plan_of(assessment)
    lang = interface_language(assessment.lang)
    context: dict[str, Any] = {
        "assessment": assessment, "firm": assessment.firm, "plan": plan, "error": error,
        "completed": assessment.completed, "form": form or {},
    }
    if plan is not None:
        context.update({
            "groups": _groups(plan, assessment, lang), "statuses": ActionStatus.choices,
            "activities": _activities(assessment, lang),
            "progress": round(100 * plan.actions_done / plan.actions_total) if plan.actions_total else 0,
            "exports": [(fmt, reverse(f"assessment-plan-{fmt}", args=[assessment.pk])) for fmt in plans.EXPORTS],
        })
    return render(request, "web/plan.html", context, status=status)


@member_required
def plan_page(request: HttpRequest, pk: int) -> HttpResponse:
    """GET: the plan. POST (editors): make it from the completed diagnostic."""
    assessment = _assessment(request, pk)
    if request.method in ("GET", "HEAD"):
        return _page(request, assessment)
    if request.method != "POST":
        return HttpResponseNotAllowed(["GET", "POST"])
    tenancy.require_editor(request.user)
    try:
        plan = services.make_plan(assessment, request.user)
    except plans.PlanRefused as exc:
        return _page(request, assessment, error=exc.message, status=409)
    messages.success(request, ngettext("Action plan made: %(n)d action.", "Action plan made: %(n)d actions.",
                                       plan.actions_total) % {"n": plan.actions_total})
    return redirect(_plan_url(assessment.pk))


@member_required
def plan_remake(request: HttpRequest, pk: int) -> HttpResponse:
    """POST (editors, with ``confirm=yes``): replace the plan by a new one (edits are lost)."""
    found = _plan_to_change(request, pk)
    if isinstance(found, HttpResponse):
        return found
    assessment, plan = found
    if request.POST.get("confirm") != "yes":
        return _page(request, assessment, status=400,
                     error=_("Confirm: tick the box to replace every action of the plan by a new plan."))
    try:
        plan = services.remake_plan(plan, request.user)
    except plans.PlanRefused as exc:
        return _page(request, assessment, error=exc.message, status=409)
    messages.success(request, ngettext("Action plan made again: %(n)d action.",
                                       "Action plan made again: %(n)d actions.", plan.actions_total)
                     % {"n": plan.actions_total})
    return redirect(_plan_url(assessment.pk))


@member_required
def plan_action_add(request: HttpRequest, pk: int) -> HttpResponse:
    """POST (editors): add an action by hand (title, activity, owner, due date)."""
    found = _plan_to_change(request, pk)
    if isinstance(found, HttpResponse):
        return found
    assessment, plan = found
    try:
        row = services.add_action(plan, request.user, request.POST)
    except plans.PlanInputError as exc:
        return _page(request, assessment, error=exc.message, status=400, form=request.POST.dict())
    except plans.PlanRefused as exc:
        return _page(request, assessment, error=exc.message, status=409)
    messages.success(request, _("Action added."))
    return redirect(_plan_url(assessment.pk, row.pk))


@member_required
def plan_action_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """POST (editors): change an action's owner, due date, status and programmes picked."""
    row = _action_row(request, pk)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    tenancy.require_editor(request.user)
    assessment = _assessment(request, row.plan.assessment_id)
    try:
        changed = plans.update_action(row, request.user, plans.changes_from_form(request.POST))
    except plans.PlanInputError as exc:
        return _page(request, assessment, error=exc.message, status=400)
    if changed:
        messages.success(request, _("Action saved."))
    return redirect(_plan_url(assessment.pk, row.pk))


@member_required
def plan_action_delete(request: HttpRequest, pk: int) -> HttpResponse:
    """POST (editors): delete an action."""
    row = _action_row(request, pk)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    tenancy.require_editor(request.user)
    assessment_pk = row.plan.assessment_id
    plans.delete_action(row, request.user)
    messages.success(request, _("Action deleted."))
    return redirect(_plan_url(assessment_pk))


@member_required
def plan_export(request: HttpRequest, pk: int, fmt: str) -> HttpResponse:
    """The plan as PDF, XLSX, iCalendar or JSON, in the assessment's language (audited)."""
    assessment = _assessment(request, pk)
    plan = plans.plan_of(assessment)
    if plan is None:
        return _no_plan()
    if request.method not in ("GET", "HEAD"):
        return HttpResponseNotAllowed(["GET"])
    try:
        content = plans.export(plan, fmt)
    except RuntimeError as exc:  # WeasyPrint (or its system libraries) missing on this server
        return HttpResponse(_("PDF documents are not available on this server: %(cause)s") % {"cause": exc},
                            status=503, content_type="text/plain; charset=utf-8")
    tenancy.record(request, AuditEntry.Action.EXPORT, plan, EXPORT_LABELS[fmt])
    response = HttpResponse(content, content_type=plans.EXPORTS[fmt])
    response["Content-Disposition"] = f'attachment; filename="{services.plan_filename(assessment, fmt)}"'
    return response


urlpatterns = [
    path("assessments/<int:pk>/plan/", plan_page, name="assessment-plan"),
    path("assessments/<int:pk>/plan/actions/", plan_action_add, name="plan-action-add"),
    path("assessments/<int:pk>/plan/remake/", plan_remake, name="assessment-plan-remake"),
    *[path(f"assessments/<int:pk>/plan.{fmt}", plan_export, {"fmt": fmt}, name=f"assessment-plan-{fmt}")
      for fmt in plans.EXPORTS],
    path("plans/actions/<int:pk>/", plan_action_edit, name="plan-action"),
    path("plans/actions/<int:pk>/delete/", plan_action_delete, name="plan-action-delete"),
]
