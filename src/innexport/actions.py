"""Action plans: a diagnostic's priorities turned into actions with an owner, a due date and a status.

:func:`build_plan` takes a :class:`~innexport.assessment.FirmResult` and makes one
:class:`Action` per weak answer (the framework's *recommendation* for that question, in the plan's
language) of the firm's top priorities, with the activity it develops and the indices it raises as
its targets, a due date staggered by priority, and — given a catalogue — the support programmes the
firm is eligible for, those serving innovation and export together first.

Status life cycle: an action is ``todo``, ``doing``, ``done`` or ``dropped``. :func:`set_status`
allows any change between these four (a ``done`` action may be reopened, a ``dropped`` one
resumed); it refuses only unknown action ids and unknown statuses, and records no history.

Exports: :func:`to_json` / :func:`from_json`, :func:`to_xlsx` (one row per action) and
:func:`to_ics` (iCalendar, RFC 5545, one all-day event per due date).
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field

from innexport.framework import Framework

if TYPE_CHECKING:
    from innexport.assessment import FirmResult
    from innexport.programmes import Catalogue

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
    offered: dict[str, list[str]] = {}
    names: dict[str, str] = {}
    if catalogue is not None and chosen:
        from innexport.programmes import proposals

        firm = result.firm.model_dump(include={"country", "region", "size", "sector", "founded"})
        for activity, progs in proposals(catalogue, firm, [p.activity for p in chosen], start, framework).items():
            offered[activity] = [p.id for p in progs[:MAX_PROGRAMMES]]
            names.update({p.id: p.name.get(lang) for p in progs[:MAX_PROGRAMMES]})
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


def set_status(plan: ActionPlan, action_id: str, status: str) -> ActionPlan:
    """A copy of ``plan`` with the action's status changed (any change among :data:`STATUSES`).

    Raises :class:`KeyError` for an unknown action id, :class:`ValueError` for an unknown status.
    """
    if status not in STATUSES:
        raise ValueError(f"unknown status '{status}' (use {', '.join(STATUSES)})")
    plan.action(action_id)  # raises KeyError
    actions = [a.model_copy(update={"status": status}) if a.id == action_id else a for a in plan.actions]
    return plan.model_copy(update={"actions": actions})


# --- exports -------------------------------------------------------------------------------------


def to_json(plan: ActionPlan) -> str:
    return plan.model_dump_json(indent=2)


def from_json(text: str | bytes) -> ActionPlan:
    return ActionPlan.model_validate_json(text)


_COLUMNS: Mapping[str, tuple[str, ...]] = {
    "en": ("Priority", "Activity", "Action", "Owner", "Due", "Status", "Programmes"),
    "fr": ("Priorité", "Activité", "Action", "Responsable", "Échéance", "Statut", "Programmes"),
    "es": ("Prioridad", "Actividad", "Acción", "Responsable", "Fecha límite", "Estado", "Programas"),
}
_HEADER: Mapping[str, tuple[str, str, str]] = {
    "en": ("Action plan", "Framework", "Created on"),
    "fr": ("Plan d'action", "Référentiel", "Créé le"),
    "es": ("Plan de acción", "Marco", "Creado el"),
}
HEADER_ROWS = 5
"""Rows above the first action in the XLSX sheet (title, framework, date, blank, column names)."""


def xlsx_bytes(plan: ActionPlan) -> bytes:
    """The plan as an XLSX workbook: a header (firm, framework, date), then one row per action."""
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
                   "; ".join(plan.programme_names.get(p, p) for p in a.programmes)])
        row = ws.max_row
        ws.cell(row, 5).number_format = "yyyy-mm-dd"
        for col in (2, 3, 7):
            ws.cell(row, col).alignment = Alignment(wrap_text=True, vertical="top")
    for col, width in zip("ABCDEFG", (10, 30, 70, 18, 12, 10, 45)):
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
    always gives the same file, and re-importing it updates rather than duplicates events.
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
            desc.append("programmes: " + "; ".join(plan.programme_names.get(p, p) for p in a.programmes))
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
            "END:VEVENT",
        ]
    lines.append("END:VCALENDAR")
    return "".join(folded + "\r\n" for line in lines for folded in ics_fold(line))
