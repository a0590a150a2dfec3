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

Exports: :func:`to_json` / :func:`from_json`, :func:`to_xlsx` (one row per action: the programmes
proposed in the column "Programmes", the ones picked in the next column, "Picked programmes", then
the day it was done), :func:`to_ics` (iCalendar, RFC 5545, one all-day event per due date; a
dropped action's event is cancelled) and a document to read or print, :func:`plan_html` /
:func:`plan_pdf` (the actions grouped by priority with their programmes, picked ones marked, and
the progress), laid out like the diagnostic report (:mod:`innexport.rendering.report`).
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field

from innexport.core.framework import Framework

if TYPE_CHECKING:
    from innexport.core.assessment import FirmResult
    from innexport.support.programmes import Catalogue

Status = Literal["todo", "doing", "done", "dropped"]
STATUSES: tuple[str, ...] = get_args(Status)
Lang = Literal["fr", "es", "en"]

_INDICES_OF_TAG: dict[str, list[str]] = {"innovation": ["iip"], "export": ["iep"], "joint": ["iip", "iep"]}
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
        common = dict(
            rank=priority.rank, activity=activity.id, activity_name=activity.name.get(lang),
            targets=[activity.id, *_INDICES_OF_TAG[activity.tag]], owner=owner,
            due=start + dt.timedelta(days=spacing_days * k), programmes=list(offered.get(activity.id, [])),
        )
        recs = sorted(priority.recommendations, key=lambda r: -1.0 if r.value is None else r.value)
        if not recs:
            actions.append(Action(id=activity.id, observable=None, title=activity.name.get(lang), **common))
        for rec in recs:
            obs = framework.observable_by_id[rec.observable]
            actions.append(Action(id=obs.id, observable=obs.id, title=obs.recommendation.get(lang), **common))
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


# --- exports -------------------------------------------------------------------------------------


def to_json(plan: ActionPlan) -> str:
    return plan.model_dump_json(indent=2)


def from_json(text: str | bytes) -> ActionPlan:
    return ActionPlan.model_validate_json(text)


_COLUMNS: Mapping[str, tuple[str, ...]] = {
    "en": ("Priority", "Activity", "Action", "Owner", "Due", "Status", "Programmes", "Picked programmes", "Done on"),
    "fr": ("Priorité", "Activité", "Action", "Responsable", "Échéance", "Statut", "Programmes", "Programmes retenus",
           "Réalisée le"),
    "es": ("Prioridad", "Actividad", "Acción", "Responsable", "Fecha límite", "Estado", "Programas",
           "Programas elegidos", "Realizada el"),
}
_HEADER: Mapping[str, tuple[str, str, str]] = {
    "en": ("Action plan", "Framework", "Created on"),
    "fr": ("Plan d'action", "Référentiel", "Créé le"),
    "es": ("Plan de acción", "Marco", "Creado el"),
}
HEADER_ROWS = 5
"""Rows above the first action in the XLSX sheet (title, framework, date, blank, column names)."""


def _names(plan: ActionPlan, ids: Iterable[str]) -> str:
    return "; ".join(plan.programme_names.get(p, p) for p in ids)


def xlsx_bytes(plan: ActionPlan) -> bytes:
    """The plan as an XLSX workbook: a header (firm, framework, date), then one row per action with
    the programmes proposed (column G), the ones picked (H) and the day it was done (I)."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    wb = Workbook()
    ws = wb.active
    ws.title = "Plan"
    title, fw_label, created = _HEADER[plan.lang]
    ws.append([f"{title}: {plan.firm_name} ({plan.firm_id})"])
    ws["A1"].font = Font(bold=True, size=13)
    ws.append([fw_label, f"{plan.framework} — {plan.content_hash}"])
    ws.append([created, plan.created_on])
    ws["B3"].number_format = "yyyy-mm-dd"
    ws.append([])
    ws.append(list(_COLUMNS[plan.lang]))
    for cell in ws[HEADER_ROWS]:
        cell.font = Font(bold=True)
    for a in plan.actions:
        ws.append([a.rank, a.activity_name or a.activity, a.title, a.owner, a.due, a.status,
                   _names(plan, a.programmes), _names(plan, a.chosen), a.done_on])
        row = ws.max_row
        ws.cell(row, 5).number_format = ws.cell(row, 9).number_format = "yyyy-mm-dd"
        for col in (2, 3, 7, 8):
            ws.cell(row, col).alignment = Alignment(wrap_text=True, vertical="top")
    for col, width in zip("ABCDEFGHI", (10, 30, 70, 18, 12, 10, 45, 45, 12)):
        ws.column_dimensions[col].width = width
    ws.freeze_panes = f"A{HEADER_ROWS + 1}"
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def to_xlsx(plan: ActionPlan, path: str | Path) -> None:
    Path(path).write_bytes(xlsx_bytes(plan))


def ics_escape(text: str) -> str:
    """A TEXT value escaped per RFC 5545 §3.3.11 (backslash, semicolon, comma, newline)."""
    return (text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
            .replace("\r\n", "\\n").replace("\r", "\\n").replace("\n", "\\n"))


def ics_fold(line: str, limit: int = 75) -> list[str]:
    """A content line folded into lines of at most ``limit`` octets (UTF-8, never inside a
    character); continuation lines start with a space (RFC 5545 §3.1)."""
    out: list[str] = []
    current, size = "", 0
    for ch in line:
        n = len(ch.encode("utf-8"))
        if size + n > limit:
            out.append(current)
            current, size = " ", 1
        current += ch
        size += n
    out.append(current)
    return out


def to_ics(plan: ActionPlan) -> str:
    """The plan's due dates as an iCalendar document (one all-day VEVENT per dated action).

    UIDs are stable (firm id + action id), DTSTAMP is the plan's creation date: the same plan
    always gives the same file, and re-importing it updates rather than duplicates events. The
    description names the programmes proposed and picked; a dropped action's event is cancelled.
    """
    stamp = f"{plan.created_on:%Y%m%d}T000000Z"
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//innexport//action plan//EN", "CALSCALE:GREGORIAN",
             "METHOD:PUBLISH", f"X-WR-CALNAME:{ics_escape(plan.firm_name)}"]
    for a in plan.actions:
        if a.due is None:
            continue
        desc = [f"{a.activity_name or a.activity} ({a.activity})", f"status: {a.status}"]
        if a.owner:
            desc.append(f"owner: {a.owner}")
        if a.programmes:
            desc.append("programmes: " + _names(plan, a.programmes))
        if a.chosen:
            desc.append("picked: " + _names(plan, a.chosen))
        if a.done_on:
            desc.append(f"done on: {a.done_on.isoformat()}")
        lines += [
            "BEGIN:VEVENT",
            f"UID:{plan.firm_id}.{a.id}@innexport",
            f"DTSTAMP:{stamp}",
            f"DTSTART;VALUE=DATE:{a.due:%Y%m%d}",
            f"DTEND;VALUE=DATE:{a.due + dt.timedelta(days=1):%Y%m%d}",
            f"SUMMARY:{ics_escape(a.title)}",
            f"DESCRIPTION:{ics_escape(chr(10).join(desc))}",
            f"CATEGORIES:{ics_escape(a.activity)}",
            "TRANSP:TRANSPARENT",
            *(["STATUS:CANCELLED"] if a.status == "dropped" else []),
            "END:VEVENT",
        ]
    lines.append("END:VCALENDAR")
    return "".join(folded + "\r\n" for line in lines for folded in ics_fold(line))


# --- the plan as a document (HTML, PDF) ----------------------------------------------------------


def plan_view(plan: ActionPlan, catalogue: Catalogue | None = None, *, today: dt.date | None = None) -> dict[str, Any]:
    """What the plan document and the report's action-plan section show, in ``plan.lang``.

    The actions grouped by priority (rank order; within a priority, the plan's order), each with
    its status, due date (``late`` when past ``today`` and not done or dropped), and its programmes:
    the proposed ones in the proposal's order, then any other picked one, each with its name,
    operator, kind, scope and link when ``catalogue`` knows it (else the plan's name for it), and
    whether it was picked. Also the progress (done of total) and the programmes picked.
    """
    from innexport.rendering.report import Wording

    L = Wording(plan.lang)
    today = today or dt.date.today()
    known = catalogue.by_id if catalogue is not None else {}

    def programme(pid: str, picked: bool) -> dict[str, Any]:
        p = known.get(pid)
        if p is None:
            return {"id": pid, "name": plan.programme_names.get(pid, pid), "operator": None, "kind": None,
                    "scope": None, "url": None, "picked": picked}
        return {"id": pid, "name": p.name.get(plan.lang), "operator": p.operator, "kind": L.t(f"plan.kind.{p.kind}"),
                "scope": {"id": p.scope, "label": L.t(f"plan.scope.{p.scope}")}, "url": p.url, "picked": picked}

    groups: dict[tuple[int, str], dict[str, Any]] = {}
    for a in sorted(plan.actions, key=lambda a: a.rank):  # stable: the plan's order within a priority
        group = groups.get((a.rank, a.activity))
        if group is None:
            indices = [x.upper() for x in a.targets if x in ("iip", "iep")]
            tag = {("IIP",): "innovation", ("IEP",): "export", ("IIP", "IEP"): "joint"}.get(tuple(indices))
            group = groups[(a.rank, a.activity)] = {
                "rank": a.rank, "label": L.t("plan.priority", rank=a.rank), "activity": a.activity_name or a.activity,
                "tag": {"id": tag, "label": L.t(f"tag.{tag}")} if tag else None,
                "raises": L.t("plan.raises", indices=L.join(indices).unescape()) if indices else None,
                "actions": [],
            }
        progs = [programme(pid, pid in a.chosen) for pid in a.programmes]
        progs += [programme(pid, True) for pid in a.chosen if pid not in a.programmes]
        late = a.due is not None and a.due < today and a.status in ("todo", "doing")
        group["actions"].append({
            "id": a.id, "title": a.title, "custom": a.observable is None and a.id != a.activity,
            "owner": a.owner, "due": L.date(a.due), "late": late, "status": a.status,
            "status_label": L.t(f"plan.status.{a.status}"),
            "done_on": L.t("plan.done_on", date=L.date(a.done_on)) if a.status == "done" and a.done_on else None,
            "programmes": progs, "picked": [p["name"] for p in progs if p["picked"]],
        })
    proposed = list(dict.fromkeys(p for a in plan.actions for p in a.programmes))
    picked = list(dict.fromkeys(p for a in plan.actions if a.status != "dropped" for p in a.chosen))
    done, total = plan.done, plan.total
    progress = L.t("plan.progress", done=done, total=total, percent=L.percent(done / total if total else 0.0))
    note = None
    if catalogue is not None and proposed:
        name = catalogue.title.get(plan.lang) if catalogue.title is not None else catalogue.id
        note = L.t("plan.catalogue_note", catalogue=name, date=L.date(catalogue.as_of))
    return {
        "groups": [groups[k] for k in sorted(groups, key=lambda k: k[0])],
        "done": done, "total": total, "share": done / total if total else 0.0, "progress": progress,
        "picked": L.t("plan.picked_count", picked=len(picked), proposed=len(proposed)),
        "catalogue_note": note,
    }


def plan_html(plan: ActionPlan, catalogue: Catalogue | None = None, *, generated_on: dt.date | None = None) -> str:
    """The plan as a standalone HTML page in ``plan.lang`` (template ``templates/plan.html.j2``,
    with the report's stylesheet): firm, framework, dates, progress, then the actions grouped by
    priority with their owner, due date, status and programmes (``catalogue`` gives their
    operator, kind and link; without it, only their names)."""
    from innexport.rendering import charts
    from innexport.rendering import report

    L = report.Wording(plan.lang)
    generated_on = generated_on or dt.date.today()
    context = {
        "lang": plan.lang, "t": L.t, "colon": L.t("report.colon"),
        "title": L.t("plan.title"), "subtitle": L.t("plan.subtitle"), "firm": {"name": plan.firm_name, "id": plan.firm_id},
        "meta": [
            (L.t("plan.field.framework"), f"{plan.framework} · {plan.content_hash.split(':')[-1][:12]}"),
            (L.t("plan.field.created_on"), L.date(plan.created_on)),
            (L.t("plan.field.generated_on"), L.date(generated_on)),
        ],
        "plan": plan_view(plan, catalogue, today=generated_on),
        "generator": L.t("plan.generated_by", version=report._package_version()).strip(),
        "generated_on": generated_on.isoformat(),
        "class_colors": [], "accent": charts.ACCENT,
    }
    return report.environment().get_template("plan.html.j2").render(context)


def plan_pdf(plan: ActionPlan, catalogue: Catalogue | None = None, *, generated_on: dt.date | None = None) -> bytes:
    """The plan as an A4 PDF (WeasyPrint, as the report: :func:`innexport.rendering.report.html_to_pdf`)."""
    from innexport.rendering.report import html_to_pdf

    return html_to_pdf(plan_html(plan, catalogue, generated_on=generated_on))
