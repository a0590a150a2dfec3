"""Action plans: a diagnostic's priorities turned into actions with an owner, a due date and a status.

:func:`build_plan` takes a :class:`~innexport.core.assessment.FirmResult` and makes one
:class:`Action` per weak answer (the framework's *recommendation* for that question, in the plan's
language) of the firm's top priorities, with the activity it develops and the indices it raises as
its targets, a due date staggered by priority, and — given a catalogue — the support programmes the
firm is eligible for, those serving innovation and export together first.

Status life cycle: an action is ``todo``, ``doing``, ``done`` or ``dropped``. :func:`set_status`
allows any change between these four (a ``done`` action may be reopened, a ``dropped`` one
resumed); it refuses only unknown action ids and unknown statuses, and records no history but the
day an action was done (``done_on``: set when it becomes ``done``, kept while it stays done,
cleared when it is reopened or dropped). :func:`update_action` changes what an advisor edits —
owner, due date, status and the programmes picked (``chosen``, always among those proposed) — and
refuses bad input with an :class:`ActionError` naming the field; :func:`extra_action` makes an
action the advisor adds by hand, for any activity of the framework.

The plan's data and rules live here (and its JSON: :func:`to_json` / :func:`from_json`); every
presentation of it — XLSX workbook, iCalendar, HTML and PDF document, the report's action-plan
section — is in :mod:`innexport.rendering.plan` (this module imports nothing from ``rendering``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field

from innexport.core.framework import INDEX_TAGS, TAGS, Framework, Lang

if TYPE_CHECKING:
    from innexport.core.assessment import FirmResult
    from innexport.support.programmes import Catalogue

Status = Literal["todo", "doing", "done", "dropped"]
STATUSES: tuple[str, ...] = get_args(Status)

_INDICES_OF_TAG: dict[str, list[str]] = {
    tag: [index for index in ("iip", "iep") if tag in INDEX_TAGS[index]] for tag in TAGS
}
"""The indices an action on an activity of each tag raises (IIP and/or IEP), from the core's index tags."""
MAX_PROGRAMMES = 3


class Action(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str
    """Stable within a plan: the observable's id (or the activity's, for an action without one)."""
    rank: int
    """Rank of the priority (activity) the action belongs to; 1 is the first priority."""
    activity: str
    activity_name: str = ""
    observable: str | None = None
    title: str
    """The framework's recommendation, in the plan's language."""
    targets: list[str]
    """The activity developed, then the indices it raises (``iip`` and/or ``iep``)."""
    owner: str = ""
    due: dt.date | None = None
    status: Status = "todo"
    programmes: list[str] = Field(default_factory=list)
    """Ids of eligible support programmes (at most 3, joint first)."""
    chosen: list[str] = Field(default_factory=list)
    """Ids of the programmes the advisor picked for the action (among ``programmes`` when set
    through :func:`update_action`)."""
    done_on: dt.date | None = None
    """The day the action was marked done (``None`` unless its status is ``done``)."""


class ActionPlan(BaseModel):
    model_config = ConfigDict(extra="forbid")

    firm_id: str
    firm_name: str
    lang: Lang
    framework: str
    """The framework's label (id, version, modules)."""
    content_hash: str
    created_on: dt.date
    actions: list[Action]
    programme_names: dict[str, str] = Field(default_factory=dict)
    """Name (in the plan's language) of each programme an action proposes."""

    def action(self, action_id: str) -> Action:
        for a in self.actions:
            if a.id == action_id:
                return a
        raise KeyError(f"no action '{action_id}' in the plan of {self.firm_id}")

    @property
    def done(self) -> int:
        """How many actions are done."""
        return sum(a.status == "done" for a in self.actions)

    @property
    def total(self) -> int:
        return len(self.actions)


class ActionError(ValueError):
    """An edit of an action that cannot be made; ``field`` names what is wrong, ``value`` is the
    value refused (when one was given)."""

    def __init__(self, field: str, message: str, value: Any = None):
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message
        self.value = value


OWNER_MAX = 200
TITLE_MAX = 1000
EDITABLE: tuple[str, ...] = ("owner", "due", "status", "chosen")
"""The fields :func:`update_action` changes."""


def build_plan(result: FirmResult, framework: Framework, catalogue: Catalogue | None = None, *,
               top: int = 5, start: dt.date, spacing_days: int = 30, owner: str = "",
               lang: Lang | None = None, created_on: dt.date | None = None) -> ActionPlan:
    """The action plan of a diagnosed firm.

    One action per weak answer of each of the first ``top`` priorities that have a positive gap,
    in priority order and, within a priority, the lowest answer first (unanswered first). The
    actions of the k-th priority kept (k = 1, 2, ...) are due ``start + k × spacing_days``.
    With a catalogue, each action lists up to three programmes the firm is eligible for (on
    ``start``) that help with its activity, joint ones first.
    """
    if top < 1:
        raise ValueError("top must be at least 1")
    if spacing_days < 0:
        raise ValueError("spacing_days must not be negative")
    if result.framework.content_hash != framework.content_hash:
        raise ValueError(f"the result was scored with {result.framework.label}, not with {framework.label}")
    lang = lang or result.lang
    chosen = [p for p in result.priorities if p.gap is not None and p.gap > 1e-12][:top]
    offered, names = _offers(result, framework, catalogue, [p.activity for p in chosen], start, lang)
    actions: list[Action] = []
    for k, priority in enumerate(chosen, start=1):
        activity = framework.activity_by_id[priority.activity]
        recs = sorted(priority.recommendations, key=lambda r: -1.0 if r.value is None else r.value)
        observables = [framework.observable_by_id[rec.observable] for rec in recs]
        # (id, observable, title): one action per recommendation, else one for the activity itself
        items: list[tuple[str, str | None, str]] = ([(obs.id, obs.id, obs.recommendation.get(lang)) for obs in observables]
                                                    or [(activity.id, None, activity.name.get(lang))])
        actions.extend([
            Action(id=item_id, observable=observable, title=title, rank=priority.rank, activity=activity.id,
                   activity_name=activity.name.get(lang), targets=[activity.id, *_INDICES_OF_TAG[activity.tag]],
                   owner=owner, due=start + dt.timedelta(days=spacing_days * k),
                   programmes=list(offered.get(activity.id, [])))
            for item_id, observable, title in items
        ])
    return ActionPlan(
        firm_id=result.firm.id, firm_name=result.firm.name, lang=lang, framework=result.framework.label,
        content_hash=result.framework.content_hash, created_on=created_on or dt.date.today(),
        actions=actions, programme_names=names,
    )


def _offers(result: FirmResult, framework: Framework, catalogue: Catalogue | None, activities: list[str],
            day: dt.date, lang: str) -> tuple[dict[str, list[str]], dict[str, str]]:
    """For each activity, the ids of the (at most :data:`MAX_PROGRAMMES`) programmes the firm is
    eligible for on ``day``, joint first; and the names of these programmes in ``lang``."""
    offered: dict[str, list[str]] = {}
    names: dict[str, str] = {}
    if catalogue is not None and activities:
        from innexport.support.programmes import proposals

        firm = result.firm.model_dump(include={"country", "region", "size", "sector", "founded"})
        for activity, progs in proposals(catalogue, firm, activities, day, framework).items():
            offered[activity] = [p.id for p in progs[:MAX_PROGRAMMES]]
            names.update({p.id: p.name.get(lang) for p in progs[:MAX_PROGRAMMES]})
    return offered, names


def _date(field: str, value: Any) -> dt.date | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value).strip())
    except ValueError:
        raise ActionError(field, f"'{value}' is not a date (YYYY-MM-DD)", value) from None


def _owner(value: Any) -> str:
    owner = " ".join(str(value or "").split())
    if len(owner) > OWNER_MAX:
        raise ActionError("owner", f"at most {OWNER_MAX} characters ({len(owner)} given)", owner)
    return owner


def update_action(action: Action, changes: Mapping[str, Any], *, today: dt.date | None = None) -> Action:
    """A copy of ``action`` with ``changes`` applied: any of ``owner``, ``due`` (a date, an ISO date
    string, or ``None`` / ``""`` to clear), ``status`` (one of :data:`STATUSES`) and ``chosen`` (ids
    of programmes, each among the ones the action proposes; kept in the proposal's order).

    ``done_on`` follows the status: ``today`` (default: the current date) when the action becomes
    done, unchanged while it stays done, cleared otherwise. Raises :class:`ActionError` naming the
    first field that is wrong (an unknown field is refused too); nothing is changed then.
    """
    unknown = sorted(set(changes) - set(EDITABLE))
    if unknown:
        raise ActionError(unknown[0], f"not an editable field (use {', '.join(EDITABLE)})", changes[unknown[0]])
    update: dict[str, Any] = {}
    if "owner" in changes:
        update["owner"] = _owner(changes["owner"])
    if "due" in changes:
        update["due"] = _date("due", changes["due"])
    if "status" in changes:
        status = str(changes["status"] or "").strip()
        if status not in STATUSES:
            raise ActionError("status", f"unknown status '{status}' (use {', '.join(STATUSES)})", status)
        update["status"] = status
        if status != "done":
            update["done_on"] = None
        elif action.status != "done" or action.done_on is None:
            update["done_on"] = today or dt.date.today()
    if "chosen" in changes:
        raw = changes["chosen"]
        picked = [raw] if isinstance(raw, str) else list(raw or [])
        picked = [str(p).strip() for p in picked if str(p).strip()]
        outside = [p for p in picked if p not in action.programmes]
        if outside:
            offered = ", ".join(action.programmes) or "none"
            raise ActionError("chosen", f"programme '{outside[0]}' is not among the ones proposed for this "
                                        f"action ({offered})", outside[0])
        update["chosen"] = [p for p in action.programmes if p in picked]
    return action.model_copy(update=update)


def set_status(plan: ActionPlan, action_id: str, status: str, *, today: dt.date | None = None) -> ActionPlan:
    """A copy of ``plan`` with the action's status changed (any change among :data:`STATUSES`),
    ``done_on`` following it (see :func:`update_action`).

    Raises :class:`KeyError` for an unknown action id, :class:`ValueError` for an unknown status.
    """
    action = plan.action(action_id)  # raises KeyError
    changed = update_action(action, {"status": status}, today=today)
    actions = [changed if a.id == action_id else a for a in plan.actions]
    return plan.model_copy(update={"actions": actions})


def extra_action(result: FirmResult, framework: Framework, catalogue: Catalogue | None = None, *,
                 action_id: str, title: str, activity: str, owner: str = "", due: Any = None,
                 lang: Lang | None = None, today: dt.date | None = None) -> tuple[Action, dict[str, str]]:
    """An action the advisor adds by hand: ``title`` for ``activity`` (any activity of the
    framework), ranked with that activity's priority, proposing the programmes the firm is eligible
    for (on ``today``) like :func:`build_plan`. Returns the action and the names of its programmes.

    Raises :class:`ActionError` naming the field (``title``, ``activity``, ``owner``, ``due``).
    """
    if result.framework.content_hash != framework.content_hash:
        raise ValueError(f"the result was scored with {result.framework.label}, not with {framework.label}")
    lang = lang or result.lang
    title = " ".join(str(title or "").split())
    if not title:
        raise ActionError("title", "give the action's title")
    if len(title) > TITLE_MAX:
        raise ActionError("title", f"at most {TITLE_MAX} characters ({len(title)} given)", title)
    act = framework.activity_by_id.get(str(activity or "").strip())
    if act is None:
        raise ActionError("activity", f"unknown activity '{activity}' (not in {framework.label})", activity)
    owner, due_on = _owner(owner), _date("due", due)
    rank = next((p.rank for p in result.priorities if p.activity == act.id), len(result.priorities) + 1)
    offered, names = _offers(result, framework, catalogue, [act.id], today or dt.date.today(), lang)
    action = Action(id=action_id, rank=rank, activity=act.id, activity_name=act.name.get(lang), observable=None,
                    title=title, targets=[act.id, *_INDICES_OF_TAG[act.tag]], owner=owner, due=due_on,
                    programmes=list(offered.get(act.id, [])))
    return action, names


# --- JSON ----------------------------------------------------------------------------------------


def to_json(plan: ActionPlan) -> str:
    """The plan as JSON (read back by :func:`from_json`)."""
    return plan.model_dump_json(indent=2)


def from_json(text: str | bytes) -> ActionPlan:
    """The plan written by :func:`to_json`; raises :class:`pydantic.ValidationError` naming the field."""
    return ActionPlan.model_validate_json(text)
