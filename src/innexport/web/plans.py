"""Action plans in the web application: the core's plan kept as rows, edited by advisors.

The logic is the core's (:mod:`innexport.support.plans`): :func:`~innexport.support.plans.build_plan` makes the
actions from a completed assessment's result, :func:`~innexport.support.plans.update_action` checks an
advisor's change (owner, due date, status, programmes picked among those proposed; ``done_on``
follows the status), :func:`~innexport.support.plans.extra_action` makes an action added by hand, and the
exports (PDF, XLSX, iCalendar, JSON) are the core's, from :func:`core_plan`. This module moves
plans between the core and the database (:class:`~innexport.web.models.ActionPlan`,
:class:`~innexport.web.models.PlanAction`), each change in one transaction that also refreshes the
plan's summary columns and writes an audit entry.

The plan's page edits every action in one form (:func:`save_plan`): all or nothing (every wrong
field of every action reported at once, :class:`PlanFormErrors`), and with optimistic concurrency —
the form carries the plan's version (:func:`plan_version`, its ``updated_at``, which every change
of an action moves), and a plan saved by someone else since the form was shown is refused
(:class:`PlanConflict`) rather than overwritten unseen (the "lost update" of concurrent editing;
e.g. Kung & Robinson 1981, "On optimistic methods for concurrency control", ACM TODS 6(2)). Each
action's own version (:func:`row_version`) and a fingerprint of its fields as shown
(:func:`fingerprint`) let the page say which actions someone else changed and keep only the
user's own changes after a refusal.

The assessment's life-cycle steps that make a plan (make it, make it again, add an action: they
need the completed result and lock the assessment's row) are :mod:`innexport.web.services`'s
(:func:`~innexport.web.services.make_plan`…), which call the functions here to store what the core
built; this module never calls the service layer back (no import cycle).

Callers look objects up through :mod:`innexport.web.tenancy` first (another organisation's plan is
never found) and check the user's role; errors here are :class:`PlanRefused` (the assessment cannot
have a plan now: 409) and :class:`PlanInputError` (bad input, naming the field: 400), with messages
in the user's language.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Mapping
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from innexport.core.assessment import FirmResult
from innexport.core.framework import Framework
from innexport.rendering.plan import plan_pdf, to_ics, xlsx_bytes
from innexport.support import plans as actions
from innexport.web import tenancy
from innexport.web.catalogues import catalogue_for
from innexport.web.models import ActionPlan, Assessment, AuditEntry, PlanAction, as_lang, as_status

CUSTOM_PREFIX = "custom-"
"""Key of the actions an advisor adds by hand: ``custom-1``, ``custom-2``…"""

EXPORTS: dict[str, str] = {
    "pdf": "application/pdf",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "ics": "text/calendar; charset=utf-8",
    "json": "application/json; charset=utf-8",
}


class PlanRefused(Exception):
    """The assessment cannot have (another) plan now."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class PlanInputError(ValueError):
    """Bad input for an action; ``field`` names the form field."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field
        self.message = message


class PlanFormErrors(ValueError):
    """Some rows of a whole-plan save are wrong (nothing was saved): ``errors`` maps each wrong row's
    primary key to its fields' messages, e.g. ``{12: {"due": "Due date: …"}}``."""

    def __init__(self, errors: dict[int, dict[str, str]]):
        super().__init__(f"{len(errors)} actions with bad input")
        self.errors = errors


class PlanConflict(Exception):
    """The plan was saved by someone else since the form was shown (nothing was saved)."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def owner_name(user: Any) -> str:
    """How an advisor is named as the owner of the actions: full name, else user name."""
    return (user.get_full_name() or user.get_username()).strip()


def _plan_input_error(exc: actions.ActionError) -> PlanInputError:
    """The core's refusal in the user's language, naming the field."""
    value = "" if exc.value is None else str(exc.value)
    messages = {
        "status": _("Status: “%(value)s” is not a status (use to do, in progress, done or dropped).")
        % {"value": value},
        "due": _("Due date: “%(value)s” is not a date (use YYYY-MM-DD).") % {"value": value},
        "chosen": _("Programmes: “%(value)s” is not among the programmes proposed for this action.") % {"value": value},
        "owner": _("Owner: at most %(n)d characters.") % {"n": actions.OWNER_MAX},
        "title": (_("Title: give the action's title.") if not value else
                  _("Title: at most %(n)d characters.") % {"n": actions.TITLE_MAX}),
        "activity": _("Activity: “%(value)s” is not an activity of this diagnostic's framework.") % {"value": value},
    }
    return PlanInputError(exc.field, messages.get(exc.field, f"{exc.field}: {exc.message}"))


# --- from the core to the database and back ---------------------------------------------------------


def refusal(reason: str) -> PlanRefused:
    """Why a plan cannot be made from the assessment: ``draft`` (still in progress), ``unscorable``
    (its answers cannot be scored) or ``exists`` (it already has one)."""
    messages = {
        "draft": _("This diagnostic is still in progress: its action plan can be made once it is completed."),
        "unscorable": _("The answers of this diagnostic cannot be scored (too few questions answered)."),
        "exists": _("This diagnostic already has an action plan."),
    }
    return PlanRefused(messages[reason])


def _row(plan: ActionPlan, action: actions.Action, position: int, user: Any) -> PlanAction:
    return PlanAction(
        plan=plan, key=action.id, position=position, rank=action.rank, activity=action.activity,
        activity_name=action.activity_name, observable=action.observable or "", title=action.title,
        targets=list(action.targets), owner=action.owner, due=action.due, status=action.status,
        proposed=list(action.programmes), chosen=list(action.chosen), done_on=action.done_on, updated_by=user,
    )


def core_action(row: PlanAction) -> actions.Action:
    """A stored action as the core's :class:`innexport.support.plans.Action` (the one conversion: the
    plan's pages, its exports and the follow-up use it); e.g. a row with ``status="done"`` and
    ``proposed=["fr_cir"]`` gives an action with ``status == "done"`` and ``programmes == ["fr_cir"]``."""
    return actions.Action(
        id=row.key, rank=row.rank, activity=row.activity, activity_name=row.activity_name,
        observable=row.observable or None, title=row.title, targets=list(row.targets or []), owner=row.owner,
        due=row.due, status=as_status(row.status), programmes=list(row.proposed or []), chosen=list(row.chosen or []),
        done_on=row.done_on,
    )


def store_plan(assessment: Assessment, core: actions.ActionPlan, user: Any) -> ActionPlan:
    """Store the core's plan of ``assessment`` (with its actions) and audit it; the caller
    (:func:`innexport.web.services.make_plan`) holds the assessment's row lock and has checked that
    it may have a plan. Raises :class:`PlanRefused` when another one was stored meanwhile."""
    try:
        with transaction.atomic():
            plan = ActionPlan.objects.create(organisation=assessment.organisation, assessment=assessment,
                                             lang=assessment.lang, created_by=user)
            PlanAction.objects.bulk_create([_row(plan, a, k, user) for k, a in enumerate(core.actions)])
            plan.refresh_summary()
            tenancy.record(user, AuditEntry.Action.CREATE, plan,
                           f"action plan of assessment {assessment.pk}: {len(core.actions)} actions")
    except IntegrityError:  # made at the same moment by someone else
        raise refusal("exists") from None
    return plan


def drop_plan(plan: ActionPlan, user: Any) -> None:
    """Delete the plan (to make a new one), audited; inside the caller's transaction."""
    n = plan.actions.count()
    ActionPlan.objects.filter(pk=plan.pk).delete()
    tenancy.record(user, AuditEntry.Action.DELETE, plan,
                   f"action plan of assessment {plan.assessment_id} ({n} actions) replaced by a new one")


def plan_of(assessment: Assessment) -> ActionPlan | None:
    return ActionPlan.objects.filter(assessment=assessment).first()


def core_plan(plan: ActionPlan, catalogue: Any = None) -> actions.ActionPlan:
    """The stored plan as the core's :class:`innexport.support.plans.ActionPlan` (actions in priority
    order), the programmes named in the plan's language from ``catalogue`` (default: the
    organisation's, see :func:`~innexport.web.catalogues.catalogue_for`)."""
    assessment = plan.assessment
    catalogue = catalogue_for(plan.organisation) if catalogue is None else catalogue
    rows = sorted(plan.actions.all(), key=lambda r: (r.rank, r.position, r.pk))
    known = catalogue.by_id
    ids = dict.fromkeys(p for r in rows for p in [*(r.proposed or []), *(r.chosen or [])])
    return actions.ActionPlan(
        firm_id=f"firm-{assessment.firm_id}", firm_name=assessment.firm.name, lang=as_lang(plan.lang),
        framework=assessment.framework.label, content_hash=assessment.framework.content_hash,
        created_on=timezone.localdate(plan.created_at), actions=[core_action(r) for r in rows],
        programme_names={p: known[p].name.get(plan.lang) for p in ids if p in known},
    )


def core_plan_of(assessment: Assessment) -> actions.ActionPlan | None:
    """The assessment's plan for its report (:func:`innexport.web.services.report_html`), or None."""
    plan = plan_of(assessment)
    return None if plan is None else core_plan(plan)


# --- advisors' changes -----------------------------------------------------------------------------------


def changes_from_form(data: Any) -> dict[str, Any]:
    """The fields of an action's form that were sent (a ``QueryDict`` or a mapping): ``owner``,
    ``due``, ``status``, and ``chosen`` (all its values; the form sends an empty one so that
    unticking every programme still says "none")."""
    changes: dict[str, Any] = {k: data.get(k) for k in ("owner", "due", "status") if k in data}
    if "chosen" in data:
        values = data.getlist("chosen") if hasattr(data, "getlist") else data["chosen"]
        changes["chosen"] = [values] if isinstance(values, str) else list(values or [])
    return changes


def _changed_fields(before: actions.Action, new: actions.Action) -> list[str]:
    return [f for f in (*actions.EDITABLE, "done_on") if getattr(new, f) != getattr(before, f)]


def _write(row: PlanAction, new: actions.Action, changed: list[str], plan: ActionPlan, user: Any) -> None:
    """Store the checked action ``new`` in ``row`` and audit it (inside the caller's transaction,
    which holds ``plan``'s row lock and refreshes its summary)."""
    row.owner, row.due, row.status = new.owner, new.due, new.status
    row.chosen, row.done_on = new.chosen, new.done_on
    row.updated_by = user
    row.save(update_fields=["owner", "due", "status", "chosen", "done_on", "updated_by", "updated_at"])
    described = ", ".join(f"{f}={_describe(getattr(new, f))}" for f in changed)
    tenancy.record(user, AuditEntry.Action.CHANGE, row, f"action {row.key} of plan {plan.pk}: {described}")


def update_action(row: PlanAction, user: Any, changes: Mapping[str, Any], *,
                  today: dt.date | None = None) -> list[str]:
    """Apply an advisor's changes to an action (checked by the core), refresh the plan's summary
    and audit; returns the names of the fields that changed (none: nothing written)."""
    try:
        new = actions.update_action(core_action(row), changes, today=today or timezone.localdate())
    except actions.ActionError as exc:
        raise _plan_input_error(exc) from None
    changed = _changed_fields(core_action(row), new)
    if not changed:
        return []
    with transaction.atomic():
        plan = ActionPlan.objects.select_for_update().get(pk=row.plan_id)
        _write(row, new, changed, plan, user)
        plan.refresh_summary()
    return changed


# --- the whole plan in one form ------------------------------------------------------------------------
#
# The plan page sends every action's fields in one form, named ``a-<pk>-<field>`` (``<pk>`` the
# action's primary key), with ``rows`` listing the actions shown and ``version`` the plan's version
# when the page was made (:func:`plan_version`); ``a-<pk>-seen`` is the action's own version
# (:func:`row_version`), so that the page can say which actions someone else changed.


def _stamp(moment: dt.datetime) -> str:
    return str(round(moment.timestamp() * 1_000_000))


def plan_version(plan: ActionPlan) -> str:
    """The plan's version, which changes whenever an action is changed, added or deleted (every
    change refreshes the plan's summary, which sets ``updated_at``): ``"<pk>.<microseconds>"``.
    A plan made again is another plan, hence another version."""
    return f"{plan.pk}.{_stamp(plan.updated_at)}"


def row_version(row: PlanAction) -> str:
    """An action's version: its ``updated_at`` in microseconds."""
    return _stamp(row.updated_at)


def fingerprint(owner: str, due: str, status: str, chosen: list[str]) -> str:
    """A short digest of an action's fields as the form shows them (the chosen programmes without
    the form's empty value), so that a save can tell the actions the user changed from those left
    as shown: ``fingerprint("Ana", "", "todo", []) != fingerprint("Ana", "", "done", [])``."""
    text = "\x1f".join([owner, due, status, *[c for c in chosen if c]])
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def form_fingerprint(fields: Mapping[str, Any]) -> str:
    """:func:`fingerprint` of an action's fields as sent (:func:`plan_changes_from_form`)."""
    return fingerprint(str(fields.get("owner") or ""), str(fields.get("due") or ""), str(fields.get("status") or ""),
                       [str(c) for c in fields.get("chosen") or []])


def row_field(pk: int, field: str) -> str:
    """The name of an action's field in the plan's form: ``row_field(12, "due") == "a-12-due"``."""
    return f"a-{pk}-{field}"


def plan_changes_from_form(data: Any) -> dict[int, dict[str, Any]]:
    """The changes the plan's form sends, by action: ``rows`` lists the actions' primary keys, and
    each action's fields are read like :func:`changes_from_form` reads one action's form.

    >>> plan_changes_from_form({"rows": ["3"], "a-3-owner": "Ana", "a-3-chosen": ["", "fr_cir"], "a-4-owner": "x"})
    {3: {'owner': 'Ana', 'chosen': ['', 'fr_cir']}}

    Raises :class:`PlanInputError` (field ``rows``) when ``rows`` holds something else than numbers.
    """
    def getlist(key: str) -> list[Any]:
        if hasattr(data, "getlist"):
            return list(data.getlist(key))
        value = data.get(key)
        return [value] if isinstance(value, (str, int)) else list(value or [])

    changes: dict[int, dict[str, Any]] = {}
    for raw in getlist("rows"):
        try:
            pk = int(raw)
        except (TypeError, ValueError):
            raise PlanInputError("rows", _("Rows: “%(value)s” is not an action of this plan.")
                                 % {"value": str(raw)[:40]}) from None
        fields: dict[str, Any] = {f: data.get(row_field(pk, f)) for f in ("owner", "due", "status")
                                  if row_field(pk, f) in data}
        if row_field(pk, "chosen") in data:
            fields["chosen"] = list(getlist(row_field(pk, "chosen")))
        changes[pk] = fields
    return changes


def _row_errors(row: PlanAction, changes: Mapping[str, Any], today: dt.date, first: actions.ActionError) -> dict[str, str]:
    """Every wrong field of one action (the core stops at the first): each field checked alone."""
    errors: dict[str, str] = {}
    for field in actions.EDITABLE:
        if field in changes:
            try:
                actions.update_action(core_action(row), {field: changes[field]}, today=today)
            except actions.ActionError as exc:
                errors[exc.field] = _plan_input_error(exc).message
    if not errors:  # wrong only together
        errors[first.field] = _plan_input_error(first).message
    return errors


def save_plan(plan: ActionPlan, user: Any, changes: Mapping[int, Mapping[str, Any]], version: str, *,
              today: dt.date | None = None) -> dict[int, list[str]]:
    """Save the changes of several actions at once (the plan's form), all or nothing.

    ``changes`` maps actions' primary keys to their fields (:func:`plan_changes_from_form`);
    ``version`` is :func:`plan_version` when the form was shown. Every action is checked by the
    core first; any wrong field refuses the whole save with :class:`PlanFormErrors` (every wrong
    field of every action); a plan changed since ``version`` (an action saved, added or deleted by
    someone else) refuses it with :class:`PlanConflict`, so that nobody's work is overwritten
    unseen. Otherwise the changed actions are written and audited in one transaction, with one
    refresh of the plan's summary. Returns the fields changed by action (actions without a change
    are left out; an empty dict: nothing written, the version unchanged).
    """
    today = today or timezone.localdate()
    with transaction.atomic():
        locked = ActionPlan.objects.select_for_update().get(pk=plan.pk)
        if plan_version(locked) != version:
            raise PlanConflict(_("Someone else saved this plan after you opened it, so nothing was saved: "
                                 "your changes are kept below, next to what is saved now. Check them, "
                                 "then save again."))
        rows = {r.pk: r for r in locked.actions.all()}
        unknown = [pk for pk in changes if pk not in rows]
        if unknown:
            raise PlanInputError("rows", _("Rows: “%(value)s” is not an action of this plan.")
                                 % {"value": unknown[0]})
        errors: dict[int, dict[str, str]] = {}
        checked: dict[int, tuple[actions.Action, list[str]]] = {}
        for pk, fields in changes.items():
            before = core_action(rows[pk])
            try:
                new = actions.update_action(before, fields, today=today)
            except actions.ActionError as exc:
                errors[pk] = _row_errors(rows[pk], fields, today, exc)
                continue
            changed = _changed_fields(before, new)
            if changed:
                checked[pk] = (new, changed)
        if errors:
            raise PlanFormErrors(errors)
        for pk, (new, changed) in checked.items():
            _write(rows[pk], new, changed, locked, user)
        if checked:
            locked.refresh_summary()
    return {pk: changed for pk, (_new, changed) in checked.items()}


def _describe(value: Any) -> str:
    if value is None:
        return "–"
    if isinstance(value, list):
        return "[" + ", ".join(value) + "]"
    return str(value)


def add_action(plan: ActionPlan, user: Any, data: Mapping[str, Any], *, result: FirmResult, framework: Framework,
               today: dt.date | None = None) -> PlanAction:
    """Add an action by hand: ``title``, ``activity`` (any of the framework's), ``owner``, ``due``;
    it proposes the programmes the firm is eligible for, like the plan's own actions. ``result`` is
    the assessment's completed result (see :func:`innexport.web.services.add_action`)."""
    fw = framework
    with transaction.atomic():
        plan = ActionPlan.objects.select_for_update().get(pk=plan.pk)
        keys = set(plan.actions.values_list("key", flat=True))
        n = 1
        while f"{CUSTOM_PREFIX}{n}" in keys:
            n += 1
        try:
            action, _names = actions.extra_action(
                result, fw, catalogue_for(plan.organisation), action_id=f"{CUSTOM_PREFIX}{n}",
                title=data.get("title", ""), activity=data.get("activity", ""), owner=data.get("owner", ""),
                due=data.get("due"), lang=as_lang(plan.lang), today=today or timezone.localdate(),
            )
        except actions.ActionError as exc:
            raise _plan_input_error(exc) from None
        position = (plan.actions.aggregate(m=Max("position"))["m"] or 0) + 1
        row = _row(plan, action, position, user)
        row.save()
        plan.refresh_summary()
        tenancy.record(user, AuditEntry.Action.CREATE, row, f"action {row.key} added to plan {plan.pk}: {row.title}")
    return row


def delete_action(row: PlanAction, user: Any) -> None:
    with transaction.atomic():
        plan = ActionPlan.objects.select_for_update().get(pk=row.plan_id)
        tenancy.record(user, AuditEntry.Action.DELETE, row, f"action {row.key} of plan {plan.pk} deleted: {row.title}")
        row.delete()
        plan.refresh_summary()


# --- exports -----------------------------------------------------------------------------------------------


def export(plan: ActionPlan, fmt: str) -> bytes:
    """The plan as a document in the plan's language: ``pdf``, ``xlsx``, ``ics`` or ``json``.

    Raises :class:`RuntimeError` for a PDF when WeasyPrint is missing on the server.
    """
    catalogue = catalogue_for(plan.organisation)
    core = core_plan(plan, catalogue)
    if fmt == "pdf":
        return plan_pdf(core, catalogue)
    if fmt == "xlsx":
        return xlsx_bytes(core)
    if fmt == "ics":
        return to_ics(core).encode("utf-8")
    if fmt == "json":
        return actions.to_json(core).encode("utf-8")
    raise ValueError(f"unknown export format '{fmt}' (use {', '.join(EXPORTS)})")
