"""An action plan presented: XLSX workbook, iCalendar, and a document to read or print (HTML, PDF).

The plan itself — its actions, statuses and edits — is :mod:`innexport.support.plans`; this module
only shows it, in ``plan.lang``, through the documents' :class:`~innexport.rendering.i18n.Translator`
(messages ``plan.*``, Babel dates and percentages):

* :func:`xlsx_bytes` / :func:`to_xlsx`: one row per action (the programmes proposed in the column
  "Programmes", the ones picked in the next column, then the day it was done); the status in the
  plan's language, chosen from a drop-down; every text cell goes through
  :func:`innexport.files.cells.safe_cell`, so that no title or owner is a formula (OWASP, "CSV
  Injection"); a hidden sheet keeps the plan itself, so that :func:`read_xlsx` reads an edited
  workbook back (owner, due date, status, programmes picked) for the follow-up;
* :func:`to_ics`: iCalendar (RFC 5545), one all-day event per due date; a dropped action's event is
  cancelled;
* :func:`plan_view`, :func:`plan_html`, :func:`plan_pdf`: the actions grouped by priority with their
  programmes, picked ones marked, and the progress, laid out like the diagnostic report
  (:mod:`innexport.rendering.report`, whose Jinja environment, stylesheet and PDF printer it uses);
  :func:`plan_view` is also the report's action-plan section.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from innexport._version import __version__
from innexport.core.languages import LANGUAGES
from innexport.files.cells import safe_cell
from innexport.rendering import charts
from innexport.rendering.documents import environment, html_to_pdf
from innexport.rendering.i18n import translator
from innexport.support.plans import STATUSES, ActionError, ActionPlan, from_json, to_json, update_action

if TYPE_CHECKING:
    from innexport.support.programmes import Catalogue

__all__ = ["HEADER_ROWS", "PlanFileError", "ics_escape", "ics_fold", "plan_html", "plan_pdf", "plan_view",
           "read_xlsx", "to_ics", "to_xlsx", "xlsx_bytes"]

XLSX_COLUMNS: tuple[str, ...] = ("priority", "activity", "action", "owner", "due", "status", "programmes", "picked",
                                 "done_on")
"""Columns of the XLSX sheet (their titles are the messages ``plan.xlsx.<column>``)."""
HEADER_ROWS = 5
"""Rows above the first action in the XLSX sheet (title, framework, date, blank, column names)."""
DATA_SHEET = "innexport"
"""The hidden sheet holding the plan as JSON (in cells of at most :data:`_CHUNK` characters)."""
_CHUNK = 30_000  # an XLSX cell holds at most 32,767 characters


class PlanFileError(ValueError):
    """A plan workbook that cannot be read back; ``str()`` names the file, sheet and cell."""


def _names(plan: ActionPlan, ids: Iterable[str]) -> str:
    return "; ".join(plan.programme_names.get(p, p) for p in ids)





def xlsx_bytes(plan: ActionPlan) -> bytes:
    """The plan as an XLSX workbook: a header (firm, framework, date), then one row per action with
    the programmes proposed (column G), the ones picked (H) and the day it was done (I).

    Text cells are :func:`~innexport.files.cells.safe_cell`: an action titled ``=1+1`` is the text
    ``'=1+1``, never a formula."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font
    from openpyxl.worksheet.datavalidation import DataValidation

    wb = Workbook()
    ws = wb.active
    ws.title = "Plan"
    L = translator(plan.lang)
    title, fw_label, created = (L.t(f"plan.xlsx.{k}") for k in ("title", "framework", "created_on"))

    def append(values: list[Any]) -> None:
        ws.append([safe_cell(v) for v in values])

    append([f"{title}: {plan.firm_name} ({plan.firm_id})"])
    ws["A1"].font = Font(bold=True, size=13)
    append([fw_label, f"{plan.framework} — {plan.content_hash}"])
    append([created, plan.created_on])
    ws["B3"].number_format = "yyyy-mm-dd"
    append([])
    append([L.t(f"plan.xlsx.{c}") for c in XLSX_COLUMNS])
    for cell in ws[HEADER_ROWS]:
        cell.font = Font(bold=True)
    statuses = {s: L.t(f"plan.status.{s}") for s in STATUSES}
    for a in plan.actions:
        append([a.rank, a.activity_name or a.activity, a.title, a.owner, a.due, statuses[a.status],
                _names(plan, a.programmes), _names(plan, a.chosen), a.done_on])
        row = ws.max_row
        ws.cell(row, 5).number_format = ws.cell(row, 9).number_format = "yyyy-mm-dd"
        for col in (2, 3, 7, 8):
            ws.cell(row, col).alignment = Alignment(wrap_text=True, vertical="top")
    for letter, width in zip("ABCDEFGHI", (10, 30, 70, 18, 12, 10, 45, 45, 12), strict=True):
        ws.column_dimensions[letter].width = width
    ws.freeze_panes = f"A{HEADER_ROWS + 1}"
    if plan.actions:  # the status is picked from its translated values
        choice = DataValidation(type="list", formula1='"' + ",".join(statuses.values()) + '"', allow_blank=False)
        choice.add(f"F{HEADER_ROWS + 1}:F{HEADER_ROWS + len(plan.actions)}")
        ws.add_data_validation(choice)
    data = wb.create_sheet(DATA_SHEET)
    data.sheet_state = "hidden"
    text = to_json(plan)
    for i in range(0, len(text), _CHUNK):
        data.append([text[i:i + _CHUNK]])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def read_xlsx(path: str | Path) -> ActionPlan:
    """The plan of a workbook written by :func:`xlsx_bytes`, with the edits made in it: each action's
    owner, due date, status (its label in any language, or its code) and programmes picked (their
    names as written, separated by ``;``), checked by :func:`~innexport.support.plans.update_action`.

    Raises :class:`PlanFileError` naming the file and cell of the first problem; the workbook is
    held to the input limits of :mod:`innexport.files.limits` (zip bomb, rows, columns).
    """
    from openpyxl import load_workbook

    from innexport.files.limits import InputRefused, check_table_shape, check_zip

    path = Path(path)
    try:
        check_zip(path)
        book = load_workbook(path, read_only=True, data_only=True)
    except InputRefused as exc:
        raise PlanFileError(f"{path}: {exc.problem}") from None
    except Exception as exc:  # openpyxl raises many kinds for a broken file
        raise PlanFileError(f"{path}: not an XLSX workbook ({exc})") from None
    try:
        if DATA_SHEET not in book.sheetnames:
            raise PlanFileError(f"{path}: not an action plan of innexport (no `{DATA_SHEET}` sheet; write plans with "
                                "`innexport plan --out plan.xlsx` or the web application)")
        try:
            plan = from_json("".join(str(r[0] or "") for r in book[DATA_SHEET].iter_rows(max_col=1, values_only=True)))
        except ValueError as exc:
            raise PlanFileError(f"{path} [{DATA_SHEET}]: the plan's data was changed and cannot be read ({exc})") \
                from None
        ws = book.worksheets[0]
        rows = []
        for r, row in enumerate(ws.iter_rows(min_row=HEADER_ROWS + 1, max_col=len(XLSX_COLUMNS), values_only=True),
                                start=HEADER_ROWS + 1):
            check_table_shape(str(path), rows=r, columns=len(row))
            rows.append((r, row))
    except InputRefused as exc:
        raise PlanFileError(f"{path}: {exc.problem}") from None
    finally:
        book.close()
    return _with_edits(plan, rows, str(path), ws.title)


def _with_edits(plan: ActionPlan, rows: list[tuple[int, tuple[Any, ...]]], origin: str, sheet: str) -> ActionPlan:
    """``plan`` with the visible cells of its sheet applied, action by action in the sheet's order."""
    status_of = {s: s for s in STATUSES}  # the code, or its label in any language
    for lang in LANGUAGES:
        status_of |= {translator(lang).t(f"plan.status.{s}").casefold(): s for s in STATUSES}
    col = {name: j for j, name in enumerate(XLSX_COLUMNS)}
    actions = []
    for a, (r, row) in zip(plan.actions, rows, strict=False):
        def cell(name: str, r: int = r, row: tuple[Any, ...] = row) -> tuple[str, Any]:
            j = col[name]
            return f"{origin} [{sheet}], cell {'ABCDEFGHI'[j]}{r}", row[j] if j < len(row) else None

        where, title = cell("action")
        if str(title or "") != str(safe_cell(a.title)):
            raise PlanFileError(f"{where}: expected the action “{a.title}” here; rows were moved or deleted "
                                "(edit the cells in place)")
        changes: dict[str, Any] = {"owner": cell("owner")[1], "due": _as_date(cell("due")[1])}
        where, status = cell("status")
        code = status_of.get(str(status or "").strip().casefold())
        if code is None:
            raise PlanFileError(f"{where}: unknown status “{status}” (pick one in the list)")
        changes["status"] = code
        where, picked = cell("picked")
        by_name = {plan.programme_names.get(p, p).casefold(): p for p in a.programmes} | {p: p for p in a.programmes}
        names = [n.strip() for n in str(picked or "").split(";") if n.strip()]
        unknown = [n for n in names if n.casefold() not in by_name]
        if unknown:
            raise PlanFileError(f"{where}: “{unknown[0]}” is not among the programmes proposed for this action")
        changes["chosen"] = [by_name[n.casefold()] for n in names]
        try:
            edited = update_action(a, changes, today=_as_date(cell("done_on")[1]) or a.done_on)
        except ActionError as exc:
            column = {"chosen": "picked"}.get(exc.field, exc.field)
            raise PlanFileError(f"{cell(column if column in col else 'action')[0]}: {exc.message}") from None
        actions.append(edited)
    if len(rows) < len(plan.actions):
        raise PlanFileError(f"{origin} [{sheet}]: {len(plan.actions) - len(rows)} action row(s) missing")
    return plan.model_copy(update={"actions": actions})


def _as_date(value: Any) -> Any:
    return value.date() if isinstance(value, dt.datetime) else value


def to_xlsx(plan: ActionPlan, path: str | Path) -> None:
    """Write :func:`xlsx_bytes` of the plan to ``path``."""
    Path(path).write_bytes(xlsx_bytes(plan))


def ics_escape(text: str) -> str:
    """A TEXT value escaped per RFC 5545 §3.3.11 (backslash, semicolon, comma, newline).

    >>> print(ics_escape("Vendre, exporter; innover"))
    Vendre\\, exporter\\; innover
    """
    return (text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
            .replace("\r\n", "\\n").replace("\r", "\\n").replace("\n", "\\n"))


def ics_fold(line: str, limit: int = 75) -> list[str]:
    """A content line folded into lines of at most ``limit`` octets (UTF-8, never inside a
    character); continuation lines start with a space (RFC 5545 §3.1).

    >>> ics_fold("SUMMARY:" + "é" * 40, limit=30)
    ['SUMMARY:ééééééééééé', ' éééééééééééééé', ' éééééééééééééé', ' é']
    """
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
    description (in ``plan.lang``) gives the action's status, owner and the programmes proposed and
    picked; a dropped action's event is cancelled.
    """
    L = translator(plan.lang)

    def field(key: str, value: str) -> str:
        return f"{L.t(key)}{L.t('report.colon')} {value}"

    stamp = f"{plan.created_on:%Y%m%d}T000000Z"
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//innexport//action plan//EN", "CALSCALE:GREGORIAN",
             "METHOD:PUBLISH", f"X-WR-CALNAME:{ics_escape(plan.firm_name)}"]
    for a in plan.actions:
        if a.due is None:
            continue
        status = L.t(f"plan.status.{a.status}")
        if a.status == "done" and a.done_on:
            status += " " + L.t("plan.done_on", date=L.date(a.done_on))
        desc = [f"{a.activity_name or a.activity} ({a.activity})", field("plan.col.status", status)]
        if a.owner:
            desc.append(field("plan.col.owner", a.owner))
        if a.programmes:
            desc.append(field("plan.col.programmes", _names(plan, a.programmes)))
        if a.chosen:
            desc.append(field("plan.col.picked", _names(plan, a.chosen)))
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
    L = translator(plan.lang)
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
    L = translator(plan.lang)
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
        "generator": L.t("plan.generated_by", version=__version__).strip(),
        "generated_on": generated_on.isoformat(),
        "class_colors": [], "accent": charts.ACCENT,
    }
    return environment().get_template("plan.html.j2").render(context)


def plan_pdf(plan: ActionPlan, catalogue: Catalogue | None = None, *, generated_on: dt.date | None = None) -> bytes:
    """The plan as an A4 PDF (WeasyPrint, as the report: :func:`innexport.rendering.documents.html_to_pdf`)."""
    return html_to_pdf(plan_html(plan, catalogue, generated_on=generated_on))
