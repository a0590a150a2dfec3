"""``innexport followup``: what moved between two diagnostics of a firm, the actions done and the
programmes used in between (:mod:`innexport.support.followup`)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.markup import escape

from innexport.cli import app
from innexport.cli._common import console, err, fail, lang_option
from innexport.cli._common import framework_for as _framework_for

if TYPE_CHECKING:  # the library is imported when the command runs, so that `innexport --help` stays fast
    from pydantic import ValidationError
    from rich.console import JustifyMethod

    from innexport.core.assessment import FirmResult
    from innexport.core.framework import Framework
    from innexport.rendering.i18n import Translator
    from innexport.support.followup import FollowUp
    from innexport.support.plans import ActionPlan

MAX_SHOWN = 5
"""Validation problems shown per file."""


def _load_json(path: Path, what: str) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise fail(f"{path}: cannot read the {what} ({exc.strerror or exc})") from None
    except UnicodeDecodeError:
        raise fail(f"{path}: not a text file (the {what} is JSON in UTF-8)") from None
    from innexport.files.limits import JsonError, parse_json

    try:
        return parse_json(text, str(path))  # bounded: size and nesting depth
    except JsonError as exc:
        if exc.syntax and exc.line is not None:
            raise fail(f"{path}: not JSON ({exc.where}: {exc.problem.removeprefix('not JSON: ')})") from None
        raise fail(str(exc)) from None


def _problems(exc: ValidationError, prefix: str) -> str:
    found = exc.errors()
    lines = [f"{prefix}{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in found[:MAX_SHOWN]]
    if len(found) > MAX_SHOWN:
        lines.append(f"… and {len(found) - MAX_SHOWN} more problem(s)")
    return "\n  ".join(lines)


def read_results(path: Path) -> list[FirmResult]:
    """The results of a file written by ``innexport diagnose --out x.json``; exits (2) naming the
    file and the field when it is not one."""
    from pydantic import ValidationError

    from innexport.core.assessment import FirmResult

    doc = _load_json(path, "result file")
    firms = doc.get("firms") if isinstance(doc, dict) else None
    if not isinstance(firms, list) or not firms:
        raise fail(f"{path}: not a result file of `innexport diagnose --out result.json` "
                   "(expected an object with a non-empty \"firms\" list)")
    results = []
    for k, entry in enumerate(firms):
        try:
            results.append(FirmResult.model_validate(entry))
        except ValidationError as exc:
            raise fail(f"{path}: not a diagnostic result:\n  {_problems(exc, f'firms[{k}].')}") from None
    ids = [r.firm.id for r in results]
    dupes = sorted({i for i in ids if ids.count(i) > 1})
    if dupes:
        raise fail(f"{path}: firm id(s) {', '.join(dupes)} appear more than once")
    return results


def read_plan(path: Path) -> ActionPlan:
    """An action plan written by ``innexport plan --out plan.json`` or ``--out plan.xlsx`` (with the
    edits made in the workbook); exits (2) naming the file and field (or cell)."""
    from pydantic import ValidationError

    from innexport.support.plans import ActionPlan

    if path.suffix.lower() == ".xlsx":
        from innexport.rendering.plan import PlanFileError, read_xlsx

        try:
            return read_xlsx(path)
        except PlanFileError as exc:
            raise fail(str(exc)) from None
    doc = _load_json(path, "action plan")
    try:
        return ActionPlan.model_validate(doc)
    except ValidationError as exc:
        raise fail(f"{path}: not an action plan of `innexport plan --out plan.json`:\n  {_problems(exc, '')}") from None


def _framework(result: FirmResult, path: Path, framework_path: str | None, modules: list[str],
               cache: dict[str, Framework]) -> Framework:
    """The framework ``result`` was scored with: the built-in one it names (or --framework/--module),
    checked by content hash."""
    from innexport.core.framework import FrameworkError

    stamp = result.framework
    if stamp.content_hash in cache:
        return cache[stamp.content_hash]
    try:
        fw = _framework_for(stamp.id, tuple(m["id"] for m in stamp.modules), framework_path, modules)
    except FrameworkError as exc:
        raise fail(f"{path}: firm {result.firm.id} was scored with {stamp.label}, which cannot be loaded "
                   f"(give it with --framework/--module):\n{exc}") from None
    if fw.content_hash != stamp.content_hash:
        raise fail(f"{path}: firm {result.firm.id} was scored with {stamp.label} ({stamp.content_hash}), not with "
                   f"the framework at hand, {fw.label} ({fw.content_hash}): give the one it was scored with "
                   "(--framework, --module)")
    cache[stamp.content_hash] = fw
    return fw


# --- output -----------------------------------------------------------------------------------------


def _coloured(before: float | None, after: float | None, L: Translator) -> str:
    """The change as :meth:`Translator.change` writes it, green when up, red when down."""
    colour = {"up": "green", "down": "red"}.get(L.direction(before, after), "dim")
    return f"[{colour}]{escape(L.change(before, after))}[/]"


def _class_label(fw: Framework, cls: str | None, lang: str) -> str:
    return next((c.label[lang] for c in fw.classes if c.id == cls), "–")


def _activity_name(aid: str, fws: tuple[Framework, Framework], lang: str, fallback: str = "") -> str:
    for fw in reversed(fws):
        if aid in fw.activity_by_id:
            return fw.activity_by_id[aid].name[lang]
    return fallback or aid


def _programme_names(ids: list[str], plans: list[ActionPlan], lang: str) -> dict[str, str]:
    """Each id's name in ``lang`` from the built-in catalogue, else the name a plan gives it, else the id."""
    if not ids:
        return {}
    names: dict[str, str] = {}
    for plan in plans:
        names.update(plan.programme_names)
    from innexport.core.framework import FrameworkError

    try:
        from innexport.support.programmes import load_catalogue

        known = load_catalogue("programmes").by_id
    except (FrameworkError, OSError):
        known = {}
    return {pid: known[pid].name.get(lang) if pid in known else names.get(pid, pid) for pid in ids}


def _print(fu: FollowUp, fws: tuple[Framework, Framework], names: dict[str, str], n_plans: int, lang: str,
           every_activity: bool = False) -> None:
    from rich.table import Table

    from innexport.rendering.i18n import translator

    L = translator(lang)
    t = L.t
    title = t("followup.title", firm=f"{fu.firm_name} ({fu.firm_id})",
              before=L.date(fu.before_on) or t("followup.undated_before"),
              after=L.date(fu.after_on) or t("followup.undated_after"))
    console.print(f"[bold]{escape(title)}[/]", highlight=False)
    if not fu.same_framework:
        differ = t("followup.frameworks_differ", before=fu.framework_before, after=fu.framework_after,
                   n=L.count(fu.common))
        console.print(f"[yellow]{escape(differ)}[/]", highlight=False)
    before_col, after_col = t("followup.col.before"), t("followup.col.after")
    table = Table(title=t("followup.indices"), title_justify="left")
    columns: list[tuple[str, JustifyMethod]] = [
        (t("followup.col.index"), "left"), (before_col, "right"), (after_col, "right"),
        (t("followup.col.change"), "right"), (t("followup.col.class"), "left"), (t("followup.col.movement"), "left")]
    for name, justify in columns:
        table.add_column(name, justify=justify)
    for ch in fu.indices:
        table.add_row(
            ch.index.upper(), L.num(ch.before), L.num(ch.after), _coloured(ch.before, ch.after, L),
            escape(f"{_class_label(fws[0], ch.class_before, lang)} → {_class_label(fws[1], ch.class_after, lang)}"),
            escape(t(f"followup.movement.{ch.movement}")) if ch.movement else "–",
        )
    console.print(table)
    q_before = t(f"quadrant.{fu.quadrant_before}") if fu.quadrant_before else "–"
    q_after = t(f"quadrant.{fu.quadrant_after}") if fu.quadrant_after else "–"
    console.print(escape(t("followup.quadrant", before=q_before, after=q_after) if q_before != q_after
                         else t("followup.quadrant_same", after=q_after)), highlight=False)

    table = Table(title=t("followup.activities", moved=L.count(len(fu.moved)), total=L.count(len(fu.activities))),
                  title_justify="left")
    table.add_column(t("followup.col.activity"))
    table.add_column(before_col, justify="right")
    table.add_column(after_col, justify="right")
    table.add_column(t("followup.col.change"), justify="right")
    shown = fu.activities if every_activity else [a for a in fu.activities if a.presence != "both" or a in fu.moved]
    for ac in shown:
        change = (_coloured(ac.before, ac.after, L) if ac.presence == "both"
                  else f"[dim]{escape(t(f'followup.presence.{ac.presence}'))}[/]")
        table.add_row(escape(_activity_name(ac.id, fws, lang)),
                      L.num(ac.before) if ac.presence != "added" else "",
                      L.num(ac.after) if ac.presence != "removed" else "", change)
    console.print(table)
    if len(shown) < len(fu.activities):
        hidden = t("followup.unmoved_hidden", n=L.count(len(fu.activities) - len(shown)))
        console.print(f"[dim]{escape(hidden)}[/]", highlight=False)

    if not n_plans:
        console.print(f"[dim]{escape(t('followup.no_plan'))}[/]", highlight=False)
        return
    table = Table(title=t("followup.actions_done", done=L.count(len(fu.actions_done)), total=L.count(fu.actions_total),
                          plans=L.count(fu.plans)), title_justify="left")
    for key in ("action", "activity", "done_on", "owner", "activity_moved", "programmes"):
        table.add_column(t(f"followup.col.{key}"))
    for done in fu.actions_done:
        moved = t(f"followup.moved.{done.activity_movement}") if done.activity_movement else "–"
        table.add_row(escape(done.title), escape(_activity_name(done.activity, fws, lang, done.activity_name)),
                      _date(done.done_on, L), escape(done.owner or "–"), escape(moved),
                      escape("; ".join(names[p] for p in done.programmes)))
    console.print(table)
    used = "; ".join(names[p] for p in fu.programmes_used) or t("followup.none")
    console.print(escape(t("followup.programmes_used", names=used)), highlight=False)
    waiting = [names[p] for p in fu.programmes_picked if p not in fu.programmes_used]
    if waiting:
        console.print(escape(t("followup.programmes_picked", names="; ".join(waiting))), highlight=False)


# --- the command ------------------------------------------------------------------------------------


@app.command("followup")
def followup_command(
    before: Annotated[Path, typer.Argument(
        help="The earlier diagnostic: a result JSON written by `innexport diagnose --out x.json`.")],
    after: Annotated[Path, typer.Argument(help="The later diagnostic of the same firm(s): a result JSON.")],
    plan: Annotated[list[Path] | None, typer.Option(
        "--plan", help="An action plan made from the earlier diagnostic or from one in between "
                       "(`innexport plan --out plan.json` or `plan.xlsx`, edited or not); repeatable.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of tables.")] = False,
    every_activity: Annotated[bool, typer.Option(
        "--all", help="List every activity, not only the ones that moved (and the ones only one diagnostic has).")] = False,
    lang: Annotated[str | None, lang_option("Language of the tables (default: the later result's).")] = None,
    framework: Annotated[str | None, typer.Option(
        help="Framework YAML the results were scored with, when it is not a built-in one.")] = None,
    module: Annotated[list[str] | None, typer.Option(
        help="Module YAML the results were scored with, instead of the built-in module of that id (repeatable).")] = None,
) -> None:
    """What moved between two diagnostics of a firm (indices, classes, activities), which actions of
    its plans were done and which programmes it used.

    Firms are matched by id: every firm of both files is followed up, each with its own plans.
    """
    earlier, later = read_results(before), read_results(after)
    plans = [(path, read_plan(path)) for path in plan or []]
    by_id = {r.firm.id: r for r in earlier}
    pairs = [(by_id[r.firm.id], r) for r in later if r.firm.id in by_id]
    if not pairs:
        raise fail(f"{before} and {after} have no firm in common (firms {', '.join(by_id)}; "
                   f"{', '.join(r.firm.id for r in later)})")
    followed = {a.firm.id for _b, a in pairs}
    for path, p in plans:
        if p.firm_id not in followed:
            raise fail(f"{path}: a plan of firm '{p.firm_id}', which is not in both {before} and {after} "
                       f"({', '.join(sorted(followed))})")
    for r in earlier + later:
        if r.firm.id not in followed:
            err.print(f"[yellow]note:[/] {escape(r.firm.id)} is in only one of the two files: not followed up",
                      highlight=False)
    from innexport.support.followup import follow_up

    frameworks: dict[str, Framework] = {}
    out: list[tuple[FollowUp, tuple[Framework, Framework], list[ActionPlan]]] = []
    for b, a in pairs:
        fws = (_framework(b, before, framework, module or [], frameworks),
               _framework(a, after, framework, module or [], frameworks))
        mine = [p for _path, p in plans if p.firm_id == a.firm.id]
        try:
            out.append((follow_up(b, a, mine, frameworks=fws), fws, mine))
        except ValueError as exc:
            raise fail(f"{before} → {after}: firm {a.firm.id}: {exc}") from None
    if as_json:
        doc = {"firms": [fu.model_dump(mode="json")
                         | {"programme_names": _programme_names(fu.programmes_picked, mine, lang or a.lang)}
                         for (fu, _fws, mine), (_b, a) in zip(out, pairs, strict=True)]}
        typer.echo(json.dumps(doc, ensure_ascii=False, indent=2))
        return
    for k, ((fu, fws, mine), (_b, a)) in enumerate(zip(out, pairs, strict=True)):
        if k:
            console.print()
        shown = lang or a.lang
        _print(fu, fws, _programme_names(fu.programmes_picked, mine, shown), len(mine), shown, every_activity)


def _date(day: dt.date | None, L: Translator) -> str:
    """A date as the documents write it (15 octobre 2026, 15 de octubre de 2026, 15 October 2026)."""
    return L.date(day) or "–"
