"""Action plans: make an assessment's plan, follow and edit its actions, download it.

``assessments/<pk>/plan/`` shows the plan (or, for a completed diagnostic without one, a button
that makes it); editors change the actions' owners, due dates, statuses and programmes picked in
ONE form for the whole plan with one Save (posted to ``assessments/<pk>/plan/save/``), saved all
or nothing by :func:`innexport.web.plans.save_plan`: a wrong field refuses the save and the page
comes back with every action's input kept and the message next to the field (400); a plan saved
by someone else since the page was shown refuses it too (409, optimistic concurrency on the plan's
version), showing what is saved now next to the user's input, never overwriting it unseen.
``static/web/plan.js`` marks unsaved changes and warns before leaving the page with them. The
one-action route ``plans/actions/<pk>/`` stays for clients that post one action. Editors also add
actions by hand, delete them, or make the plan again. Analysts see it read-only; everyone of the
organisation may download it (PDF, XLSX, iCalendar, JSON).

One language per screen: the plan is the firm's document, shared with its director in the
diagnostic's (questionnaire's) language, in which its actions are written; so its pages are served
in that language throughout — headings, statuses, programme names (from the catalogue in that
language), buttons and messages — whatever the interface's language, like the downloads.

Another organisation's plan is never found (404, whatever the method); an analyst's change is
refused (403). The work is done by the service layer: :mod:`innexport.web.services` for the steps
that need the completed result and lock the assessment (make, make again, add an action),
:mod:`innexport.web.plans` for the actions' changes and the exports (and the core's
:mod:`innexport.support.plans`); these views stay thin.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from innexport.rendering import i18n
from innexport.web import plans, services, tenancy
from innexport.web.models import ActionPlan, ActionStatus, Assessment, AuditEntry, PlanAction, as_lang
from innexport.web.tenancy import member_required

EXPORT_LABELS = {"pdf": "PDF action plan", "xlsx": "XLSX action plan", "ics": "iCalendar action plan",
                 "json": "JSON action plan"}


def _in_plan_language(by: str) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    """Serve the view in its plan's language (the assessment's): ``by="assessment"`` for the routes
    whose ``pk`` is the assessment's, ``by="action"`` for an action's. An object of another
    organisation is not looked up here (the view then answers 404 in the interface's language)."""

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def wrapped(request: HttpRequest, pk: int, *args: Any, **kwargs: Any) -> HttpResponse:
            if by == "assessment":
                found = tenancy.assessments(request.user).filter(pk=pk)
            else:
                found = tenancy.assessments(request.user).filter(plan__actions__pk=pk)
            lang = found.values_list("lang", flat=True).first()
            if lang is None:
                return view(request, pk, *args, **kwargs)
            with translation.override(lang):
                response = view(request, pk, *args, **kwargs)
            response["Content-Language"] = lang
            return response

        return wrapped

    return decorator


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


def _groups(plan: Any, assessment: Assessment, lang: str, edits: dict[int, dict[str, Any]],
            row_errors: dict[int, dict[str, str]], posted: dict[int, dict[str, str]],
            fresh: bool) -> list[dict[str, Any]]:
    """The actions grouped by priority, named in the plan's language, each with the values to show
    in its fields: the user's input (``edits``, from a refused save) or else what is saved, its
    errors, and whether someone else changed it since the user's page was made (``posted``: each
    action's ``seen`` version and ``was`` fingerprint the user's page was made with; ``fresh``: the
    form now carries the current ones, after a conflict)."""
    fw = services.framework_of(assessment.framework)
    known = services.catalogue_for(plan.organisation).by_id
    today = timezone.localdate()
    statuses = dict(ActionStatus.choices)

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
        saved_chosen = list(row.chosen or [])
        edit = edits.get(row.pk, {})
        chosen = [p for p in edit["chosen"] if p] if "chosen" in edit else saved_chosen
        version = plans.row_version(row)
        sent = posted.get(row.pk, {})
        changed_meanwhile = bool(sent) and sent.get("seen") != version
        saved_due = row.due.isoformat() if row.due else ""
        saved_order = [p for p in row.proposed or [] if p in saved_chosen] + \
                      [p for p in saved_chosen if p not in (row.proposed or [])]
        was = plans.fingerprint(row.owner, saved_due, row.status, saved_order) if fresh or not sent \
            else sent.get("was", "")
        group["actions"].append({
            "row": row, "custom": row.key.startswith(plans.CUSTOM_PREFIX),
            "late": row.due is not None and row.due < today and row.status in (ActionStatus.TODO, ActionStatus.DOING),
            "programmes": [programme(p, p in chosen) for p in row.proposed or []]
                          + [programme(p, True) for p in chosen if p not in (row.proposed or [])],
            "owner": edit.get("owner", row.owner) or "",
            "due": edit.get("due", saved_due) or "",
            "status": edit.get("status", row.status),
            "errors": row_errors.get(row.pk, {}),
            "edited": bool(edit) and plans.form_fingerprint(edit) != was,
            "seen": version if fresh or not sent else sent.get("seen", ""),
            "was": was,
            "meanwhile": {  # what someone else saved since the user's page was made
                "owner": row.owner or "—", "due": row.due, "status": statuses.get(row.status, row.status),
                "chosen": [programme(p, True)["name"] for p in saved_chosen],
                "by": plans.owner_name(row.updated_by) if row.updated_by else "",
            } if changed_meanwhile else None,
        })
    return list(groups.values())


def _activities(assessment: Assessment, lang: str) -> list[tuple[str, str]]:
    """The framework's activities for the "add an action" form, in priority order."""
    fw = services.framework_of(assessment.framework)
    order = {p["activity"]: p["rank"] for p in (assessment.result or {}).get("priorities", [])}
    acts = sorted(fw.activities, key=lambda a: (order.get(a.id, len(order) + 1), a.id))
    return [(a.id, f"{order[a.id]}. {a.name[lang]}" if a.id in order else a.name[lang]) for a in acts]


def _page(request: HttpRequest, assessment: Assessment, *, error: str | None = None, status: int = 200,
          form: dict[str, Any] | None = None, edits: dict[int, dict[str, Any]] | None = None,
          row_errors: dict[int, dict[str, str]] | None = None, version: str | None = None,
          posted: dict[int, dict[str, str]] | None = None) -> HttpResponse:
    """The plan page in the plan's language; after a refused save, with the user's input (``edits``),
    the errors by action and field, and the versions the form carries on (``version``: the one the
    user's page was made with, or None for the plan's current one)."""
    plan = plans.plan_of(assessment)
    lang = as_lang(assessment.lang)
    context: dict[str, Any] = {
        "assessment": assessment, "firm": assessment.firm, "plan": plan, "error": error,
        "completed": assessment.completed, "form": form or {}, "unsaved": bool(edits),
        # the interface's language (LocaleMiddleware's) is not the plan's: say why the page is in another
        "other_language": (getattr(request, "LANGUAGE_CODE", "") or "")[:2] != lang,
    }
    if plan is not None:
        context.update({
            "groups": _groups(plan, assessment, lang, edits or {}, row_errors or {}, posted or {}, version is None),
            "statuses": ActionStatus.choices, "version": version or plans.plan_version(plan),
            "activities": _activities(assessment, lang),
            "progress": round(100 * plan.actions_done / plan.actions_total) if plan.actions_total else 0,
            "exports": [(fmt, reverse(f"assessment-plan-{fmt}", args=[assessment.pk])) for fmt in plans.EXPORTS],
        })
    return render(request, "web/plan.html", context, status=status)


@member_required
@_in_plan_language("assessment")
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
@_in_plan_language("assessment")
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
@_in_plan_language("assessment")
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
@_in_plan_language("assessment")
def plan_save(request: HttpRequest, pk: int) -> HttpResponse:
    """POST (editors): save every action of the plan's form at once (all or nothing): 400 with the
    page, the input kept and the errors next to their fields; 409 when someone else saved the plan
    since the form was shown (the input kept, what is saved now shown next to it)."""
    found = _plan_to_change(request, pk)
    if isinstance(found, HttpResponse):
        return found
    assessment, plan = found
    try:
        edits = plans.plan_changes_from_form(request.POST)
    except plans.PlanInputError as exc:
        return _page(request, assessment, error=exc.message, status=400)
    posted = {row: {k: str(request.POST.get(plans.row_field(row, k), "")) for k in ("seen", "was")} for row in edits}
    version = str(request.POST.get("version", ""))
    try:
        changed = plans.save_plan(plan, request.user, edits, version)
    except plans.PlanFormErrors as exc:
        message = ngettext("Nothing was saved: %(n)d action has a field to correct (marked below); "
                           "every other change is kept in the form.",
                           "Nothing was saved: %(n)d actions have a field to correct (marked below); "
                           "every other change is kept in the form.", len(exc.errors)) % {"n": len(exc.errors)}
        return _page(request, assessment, error=message, status=400, edits=edits, row_errors=exc.errors,
                     version=version, posted=posted)
    except plans.PlanConflict as exc:
        # keep the input of the actions the user changed; show the others as they are saved now
        mine = {row: fields for row, fields in edits.items() if plans.form_fingerprint(fields) != posted[row]["was"]}
        return _page(request, assessment, error=exc.message, status=409, edits=mine, posted=posted)
    except plans.PlanInputError as exc:
        return _page(request, assessment, error=exc.message, status=400, edits=edits, version=version, posted=posted)
    if changed:
        messages.success(request, ngettext("Plan saved: %(n)d action changed.", "Plan saved: %(n)d actions changed.",
                                           len(changed)) % {"n": len(changed)})
    else:
        messages.info(request, _("Nothing to save: no action was changed."))
    return redirect(_plan_url(assessment.pk))


@member_required
@_in_plan_language("action")
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
@_in_plan_language("action")
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
    path("assessments/<int:pk>/plan/save/", plan_save, name="assessment-plan-save"),
    *[path(f"assessments/<int:pk>/plan.{fmt}", plan_export, {"fmt": fmt}, name=f"assessment-plan-{fmt}")
      for fmt in plans.EXPORTS],
    path("plans/actions/<int:pk>/", plan_action_edit, name="plan-action"),
    path("plans/actions/<int:pk>/delete/", plan_action_delete, name="plan-action-delete"),
]
