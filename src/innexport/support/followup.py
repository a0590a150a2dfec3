"""Follow-up of a firm assessed again later: what moved, which actions were done, which programmes it used.

:func:`follow_up` compares two :class:`~innexport.core.assessment.FirmResult` of the same firm — the
earlier diagnostic (*before*) and the later one (*after*) — and reads the action plans made in
between; :func:`trajectory` puts all of a firm's diagnostics in date order on the innovation ×
export plane. Pure functions of their inputs: the command line (``innexport followup``) and the
web application's follow-up page show the same numbers.

Definitions
-----------

Index change (IIP, IEP, IIEP)
    ``delta = after − before``, rounded to 6 decimals like the results themselves; ``None`` when
    either value is missing. ``movement`` compares the threshold classes (ERPI's) by their position
    in their framework's class list, best first (proactive, preactive, reactive, passive): ``up``
    when the later class is better, ``down`` when it is worse, ``same`` otherwise; ``None`` when
    either class is missing. The FlowSort classes are compared the same way (``flowsort_movement``).
    When the two diagnostics used different framework versions, positions are read in each one's
    own list.

Activity change
    Activities are matched by id. An activity of both diagnostics (``presence = "both"``) has its
    two scores, their ``delta`` (as above) and ``movement``, the sign of the delta: ``up`` (> 0),
    ``down`` (< 0) or ``same`` (= 0); ``None`` when either score is missing (no question of the
    activity answered). An activity only in the later framework is ``added``, one only in the
    earlier framework ``removed``: the firm was assessed with two framework versions, and its
    indices may then move because the framework changed, not only because the firm did.
    Order (:attr:`FollowUp.activities`): the activities of both diagnostics by decreasing
    |delta|, so the ones that moved come first (ties keep the later framework's order), then
    those without a delta, then the added ones, then the removed ones.

Plans counted
    The plans made from the earlier diagnostic and from any diagnostic in between, which the caller
    chooses: the web application takes the plans of the firm's diagnostics from the earlier one up
    to, not including, the later one; ``innexport followup`` the ``--plan`` files given. A plan of
    another firm is refused (:class:`ValueError`).

Actions done
    The actions of the counted plans whose status is ``done``, in plan order then action order,
    each with its activity's movement between the two diagnostics (``activity_movement``) and
    ``moved_up``: whether that activity's score went up (``None`` when the activity is not
    scored in both diagnostics). ``actions_total`` counts every action of the counted plans.

Programmes picked and used
    A programme is *picked* when an action that is not ``dropped`` lists it in ``chosen`` (the
    programmes picked among those proposed), and *used* when a ``done`` action does. Each id once,
    in order of first appearance (:func:`programmes_picked_and_used`, the one home of this rule:
    the web application's plan summary, ``ActionPlan.refresh_summary``, uses it too). The
    programmes an action only proposes (:attr:`~innexport.support.plans.Action.programmes`) are
    neither picked nor used.

Trajectory
    :func:`trajectory` gives one point per diagnostic — date, IIP, IEP, IIEP, their threshold
    classes and the quadrant — ordered by date (diagnostics of the same date keep the order they
    were given in; undated ones come last). A point whose IIP or IEP is missing is kept, with
    ``None``: a chart leaves it out.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Literal

from pydantic import BaseModel, ConfigDict

from innexport.core.assessment import FirmResult
from innexport.core.framework import INDICES, Framework
from innexport.support.plans import ActionPlan

Movement = Literal["up", "same", "down"]
Presence = Literal["both", "added", "removed"]

__all__ = [
    "ActivityChange", "DoneAction", "FollowUp", "IndexChange", "Movement", "TrajectoryPoint", "follow_up",
    "trajectory",
]


# --- the follow-up --------------------------------------------------------------------------------------


class _Out(BaseModel):
    model_config = ConfigDict(frozen=True)


class IndexChange(_Out):
    index: str
    """``iip``, ``iep`` or ``iiep``."""
    before: float | None
    after: float | None
    delta: float | None
    class_before: str | None
    class_after: str | None
    movement: Movement | None
    """Of the threshold class: ``up`` = a better class."""
    flowsort_before: str | None
    flowsort_after: str | None
    flowsort_movement: Movement | None


class ActivityChange(_Out):
    id: str
    dimension: str
    tag: str
    presence: Presence
    before: float | None
    after: float | None
    delta: float | None
    movement: Movement | None


class DoneAction(_Out):
    id: str
    activity: str
    activity_name: str
    title: str
    owner: str
    due: dt.date | None
    done_on: dt.date | None
    programmes: list[str]
    """The programmes picked for this action (used, since it is done)."""
    plan_created_on: dt.date
    activity_movement: Movement | None
    moved_up: bool | None
    """Whether the action's activity scored higher in the later diagnostic (``None``: not scored in both)."""


class FollowUp(_Out):
    """What moved between two diagnostics of a firm, and what the firm did in between."""

    firm_id: str
    firm_name: str
    before_on: dt.date | None
    after_on: dt.date | None
    framework_before: str
    framework_after: str
    same_framework: bool
    """Both diagnostics scored with the same framework content (same hash)."""
    indices: list[IndexChange]
    quadrant_before: str | None
    quadrant_after: str | None
    activities: list[ActivityChange]
    plans: int
    """How many plans were read."""
    actions_total: int
    actions_done: list[DoneAction]
    programmes_picked: list[str]
    programmes_used: list[str]

    def index(self, name: str) -> IndexChange:
        for change in self.indices:
            if change.index == name:
                return change
        raise KeyError(f"no index '{name}' (use {', '.join(INDICES)})")

    def activity(self, activity_id: str) -> ActivityChange:
        for change in self.activities:
            if change.id == activity_id:
                return change
        raise KeyError(f"no activity '{activity_id}' in either diagnostic")

    @property
    def moved(self) -> list[ActivityChange]:
        """The activities whose score went up or down, the largest moves first."""
        return [a for a in self.activities if a.movement in ("up", "down")]

    @property
    def common(self) -> int:
        """How many activities the two diagnostics have in common."""
        return sum(a.presence == "both" for a in self.activities)


def _delta(before: float | None, after: float | None) -> float | None:
    if before is None or after is None or before != before or after != after:
        return None
    return round(after - before, 6) + 0.0  # + 0.0: no "-0.0"


def _sign(delta: float | None) -> Movement | None:
    if delta is None:
        return None
    return "up" if delta > 0 else "down" if delta < 0 else "same"


def _class_movement(before: str | None, after: str | None, fw_before: Framework, fw_after: Framework) -> Movement | None:
    order_b, order_a = fw_before.class_ids, fw_after.class_ids
    if before not in order_b or after not in order_a:
        return None
    pb, pa = order_b.index(before), order_a.index(after)
    return "up" if pa < pb else "down" if pa > pb else "same"


def _check_framework(result: FirmResult, fw: Framework, which: str) -> None:
    if result.framework.content_hash != fw.content_hash:
        raise ValueError(f"the {which} diagnostic was scored with {result.framework.label} "
                         f"({result.framework.content_hash}), not with {fw.label} ({fw.content_hash})")


def _index_changes(before: FirmResult, after: FirmResult, fw_before: Framework, fw_after: Framework) -> list[IndexChange]:
    out = []
    for name in INDICES:
        ib, ia = before.indices[name], after.indices[name]
        out.append(IndexChange(
            index=name, before=ib.value, after=ia.value, delta=_delta(ib.value, ia.value),
            class_before=ib.class_, class_after=ia.class_,
            movement=_class_movement(ib.class_, ia.class_, fw_before, fw_after),
            flowsort_before=ib.flowsort.class_, flowsort_after=ia.flowsort.class_,
            flowsort_movement=_class_movement(ib.flowsort.class_, ia.flowsort.class_, fw_before, fw_after),
        ))
    return out


def _activity_changes(before: FirmResult, after: FirmResult) -> list[ActivityChange]:
    b = {a.id: a for a in before.activities}
    a_ = {a.id: a for a in after.activities}
    rows: list[tuple[tuple, ActivityChange]] = []
    for k, act in enumerate(after.activities):
        if act.id in b:
            delta = _delta(b[act.id].score, act.score)
            change = ActivityChange(id=act.id, dimension=act.dimension, tag=act.tag, presence="both",
                                    before=b[act.id].score, after=act.score, delta=delta, movement=_sign(delta))
            key = (0, -abs(delta), k) if delta is not None else (1, 0.0, k)
        else:
            change = ActivityChange(id=act.id, dimension=act.dimension, tag=act.tag, presence="added",
                                    before=None, after=act.score, delta=None, movement=None)
            key = (2, 0.0, k)
        rows.append((key, change))
    for k, act in enumerate(before.activities):
        if act.id not in a_:
            rows.append(((3, 0.0, k), ActivityChange(id=act.id, dimension=act.dimension, tag=act.tag,
                                                     presence="removed", before=act.score, after=None,
                                                     delta=None, movement=None)))
    rows.sort(key=lambda r: r[0])
    return [change for _key, change in rows]


def programmes_picked_and_used(actions: Iterable[tuple[str, Iterable[str]]]) -> tuple[list[str], list[str]]:
    """The programmes picked and used in ``actions``, given as ``(status, chosen)`` pairs: picked
    when an action that is not ``dropped`` chose it, used when a ``done`` action did; each id once,
    in order of first appearance.

    >>> programmes_picked_and_used([("todo", ["a"]), ("dropped", ["b"]), ("done", ["c", "a"])])
    (['a', 'c'], ['c', 'a'])
    """
    picked: dict[str, None] = {}
    used: dict[str, None] = {}
    for status, chosen in actions:
        if status != "dropped":
            picked.update(dict.fromkeys(chosen))
        if status == "done":
            used.update(dict.fromkeys(chosen))
    return list(picked), list(used)


def follow_up(before: FirmResult, after: FirmResult, plans: Sequence[ActionPlan] = (), *,
              frameworks: tuple[Framework, Framework]) -> FollowUp:
    """The follow-up of a firm from its ``before`` diagnostic to its ``after`` one (see the module's
    definitions), with the actions done and programmes used in the ``plans`` made in between.

    ``frameworks`` are the frameworks the two results were scored with (checked by content hash).
    Raises :class:`ValueError` when the results are of two firms, when ``before`` is dated after
    ``after``, when a framework does not match its result, or when a plan is of another firm.
    """
    fw_before, fw_after = frameworks
    if before.firm.id != after.firm.id:
        raise ValueError(f"the two diagnostics are of different firms ('{before.firm.id}' and '{after.firm.id}')")
    if before.assessed_on is not None and after.assessed_on is not None and before.assessed_on > after.assessed_on:
        raise ValueError(f"the earlier diagnostic ({before.assessed_on}) is dated after the later one "
                         f"({after.assessed_on})")
    _check_framework(before, fw_before, "earlier")
    _check_framework(after, fw_after, "later")
    for plan in plans:
        if plan.firm_id != after.firm.id:
            raise ValueError(f"the plan of {plan.created_on} is for firm '{plan.firm_id}', "
                             f"not for '{after.firm.id}'")
    activities = _activity_changes(before, after)
    movement = {a.id: a.movement for a in activities}
    done: list[DoneAction] = []
    every = [action for plan in plans for action in plan.actions]
    picked, used = programmes_picked_and_used((action.status, action.chosen) for action in every)
    total = len(every)
    for plan in plans:
        for action in plan.actions:
            chosen = list(action.chosen)
            if action.status != "done":
                continue
            moved = movement.get(action.activity)
            done.append(DoneAction(
                id=action.id, activity=action.activity, activity_name=action.activity_name, title=action.title,
                owner=action.owner, due=action.due, done_on=action.done_on, programmes=chosen,
                plan_created_on=plan.created_on, activity_movement=moved,
                moved_up=None if moved is None else moved == "up",
            ))
    return FollowUp(
        firm_id=after.firm.id, firm_name=after.firm.name, before_on=before.assessed_on, after_on=after.assessed_on,
        framework_before=before.framework.label, framework_after=after.framework.label,
        same_framework=before.framework.content_hash == after.framework.content_hash,
        indices=_index_changes(before, after, fw_before, fw_after),
        quadrant_before=before.quadrant, quadrant_after=after.quadrant, activities=activities,
        plans=len(plans), actions_total=total, actions_done=done,
        programmes_picked=picked, programmes_used=used,
    )


# --- trajectory ---------------------------------------------------------------------------------------


class TrajectoryPoint(_Out):
    position: int
    """Index of the diagnostic in the list given to :func:`trajectory`."""
    assessed_on: dt.date | None
    iip: float | None
    iep: float | None
    iiep: float | None
    classes: dict[str, str | None]
    """Threshold class of each index."""
    quadrant: str | None


def trajectory(results: Sequence[FirmResult]) -> list[TrajectoryPoint]:
    """The diagnostics as points on the innovation × export plane, by date (see the module's definitions)."""
    order = sorted(range(len(results)),
                   key=lambda i: (results[i].assessed_on is None, results[i].assessed_on or dt.date.min, i))
    return [
        TrajectoryPoint(
            position=i, assessed_on=results[i].assessed_on,
            iip=results[i].indices["iip"].value, iep=results[i].indices["iep"].value,
            iiep=results[i].indices["iiep"].value,
            classes={name: results[i].indices[name].class_ for name in INDICES},
            quadrant=results[i].quadrant,
        )
        for i in order
    ]
