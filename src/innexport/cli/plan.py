"""``innexport plan``: a firm's action plan (XLSX, iCalendar, JSON, or a document: PDF, HTML) from its answers."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from innexport.cli import app
from innexport.cli._common import console, diagnose_all, fail, lang_option, write_atomic

if TYPE_CHECKING:  # the library is imported when the command runs, so that `innexport --help` stays fast
    from innexport.support.plans import ActionPlan
    from innexport.support.programmes import Catalogue

FORMATS: tuple[str, ...] = (".xlsx", ".ics", ".json", ".pdf", ".html")
"""What ``--out`` can be, by its suffix."""


def _renderers() -> dict[str, Callable[[ActionPlan, Catalogue | None], bytes]]:
    from innexport.rendering.plan import plan_html, plan_pdf, to_ics, xlsx_bytes
    from innexport.support.plans import to_json

    return {
        ".xlsx": lambda plan, _cat: xlsx_bytes(plan),
        ".ics": lambda plan, _cat: to_ics(plan).encode("utf-8"),
        ".json": lambda plan, _cat: to_json(plan).encode("utf-8"),
        ".pdf": plan_pdf,
        ".html": lambda plan, cat: plan_html(plan, cat).encode("utf-8"),
    }


@app.command("plan")
def plan_command(
    answers: Annotated[list[Path], typer.Argument(help="Answers files: YAML, JSON, CSV or XLSX (one or many firms each).")],
    out: Annotated[Path, typer.Option(
        "--out", "-o", help="plan.xlsx, plan.ics, plan.json, plan.pdf or plan.html; several firms: plan-<firm id>.<ext>.")],
    lang: Annotated[str | None, lang_option("Language of the plan (default: the answers' own, else en).")] = None,
    top: Annotated[int, typer.Option(min=1, help="How many priorities become actions.")] = 5,
    start: Annotated[str | None, typer.Option(help="Start date YYYY-MM-DD (default: today).")] = None,
    spacing: Annotated[int, typer.Option(min=0, help="Days between the due dates of successive priorities.")] = 30,
    owner: Annotated[str, typer.Option(help="Owner of every action (editable afterwards).")] = "",
    catalogue: Annotated[str | None, typer.Option(
        help="Programme catalogue (built-in name or YAML path) to propose programmes from; 'none' for none.")] = "programmes",
) -> None:
    """Turn each firm's priorities into an action plan: owner, due date, status, programmes.

    Nothing is written unless every firm is valid.
    """
    suffix = out.suffix.lower()
    if suffix not in FORMATS:
        raise fail(f"--out {out}: unknown format '{out.suffix}' (use {', '.join(FORMATS)})")
    from innexport.core.assessment import AnswersError
    from innexport.core.framework import FrameworkError
    from innexport.files.answers import read_answers
    from innexport.support.plans import build_plan

    try:
        start_on = dt.date.fromisoformat(start) if start else dt.date.today()
    except ValueError:
        raise fail(f"--start {start}: not a date (YYYY-MM-DD)") from None
    try:
        sheets = [s for path in answers for s in read_answers(path)]
        results, frameworks = diagnose_all(sheets, None, [], lang, None)
        cat = None
        if catalogue and catalogue.strip().lower() != "none":
            from innexport.support.programmes import load_catalogue

            cat = load_catalogue(catalogue)
        plans = [build_plan(r, frameworks[r.framework.content_hash], cat, top=top, start=start_on,
                            spacing_days=spacing, owner=owner) for r in results]
    except (AnswersError, FrameworkError) as exc:
        raise fail(f"no plan written:\n{exc}") from None
    paths = [out] if len(plans) == 1 else [out.with_name(f"{out.stem}-{p.firm_id}{suffix}") for p in plans]
    try:
        render = _renderers()[suffix]
        rendered = [(path, render(plan, cat), len(plan.actions)) for path, plan in zip(paths, plans, strict=True)]
    except RuntimeError as exc:  # PDF without WeasyPrint (or Pango)
        raise fail(f"no plan written: {exc}") from None
    for path, content, n in rendered:
        write_atomic(path, content)
        console.print(f"wrote {path} ({n} actions)", highlight=False)
