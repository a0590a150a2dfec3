"""``innexport diagnose`` and ``innexport frameworks list|show|validate``."""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Literal

import numpy as np
import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import Progress
from rich.table import Table
from rich.tree import Tree

from innexport.files.answers import read_answers
from innexport.core.assessment import AnswersError, AnswerSheet, FirmResult, Problem, diagnose, result_json
from innexport.cli import app
from innexport.core.framework import Framework, FrameworkError, Issue, Module
from innexport.files.frameworks import builtin_documents, load_framework, parse_document, validate_document

console = Console()
err = Console(stderr=True)

EXIT_BAD_INPUT = 2
FORMATS = (".html", ".pdf", ".json")


def fail(message: str, code: int = EXIT_BAD_INPUT) -> typer.Exit:
    err.print(f"[bold red]error:[/] {escape(message)}", highlight=False, soft_wrap=True)
    return typer.Exit(code)


@app.command("diagnose")
def diagnose_command(
    answers: Annotated[list[Path], typer.Argument(help="Answers files: YAML, JSON, CSV or XLSX (one or many firms each).")],
    out: Annotated[Path, typer.Option("--out", "-o", help="report.html, report.pdf or result.json; or a folder (one report per firm, --format).")],
    lang: Annotated[Literal["fr", "es", "en"] | None, typer.Option(help="Language of the report (default: the answers' own, else en).")] = None,
    framework: Annotated[str | None, typer.Option(help="Framework YAML to use instead of the built-in one the answers name.")] = None,
    module: Annotated[list[str] | None, typer.Option(help="Module YAML to use instead of the built-in module of that id (repeatable).")] = None,
    fmt: Annotated[Literal["html", "pdf", "json"], typer.Option("--format", help="Format of the reports when --out is a folder.")] = "html",
    min_completeness: Annotated[float | None, typer.Option(min=0.0, max=1.0, help="Refuse firms with a smaller share of scored answers (default: the framework's).")] = None,
    leverage: Annotated[Path | None, typer.Option(help="Leverage of the activities for the priorities (JSON from `population leverage`); default: weight in IIP + weight in IEP.")] = None,
    benchmark: Annotated[Path | None, typer.Option(help="A population table (from `population import`): place each firm among its peers.")] = None,
    by: Annotated[str, typer.Option("--by", help="With --benchmark: the peer group's columns, comma-separated.")] = "country,sector,size",
) -> None:
    """Score firms' answers and write their reports (HTML, PDF) or results (JSON).

    Nothing is written unless every firm of every file is valid.
    """
    try:
        sheets = [s for path in answers for s in read_answers(path)]
        results, frameworks = _diagnose_all(sheets, framework, module or [], lang, min_completeness,
                                            _read_leverage(leverage) if leverage else None)
    except (AnswersError, FrameworkError) as exc:
        raise fail(f"no report written:\n{exc}") from None
    if benchmark is not None:
        results = _with_benchmark(results, benchmark, [c.strip() for c in by.split(",") if c.strip()])
    targets = _targets(out, fmt, results, frameworks)
    with Progress(console=err, transient=True, disable=len(results) < 2) as progress:
        task = progress.add_task("Rendering reports", total=len(targets))
        rendered: list[tuple[Path, bytes]] = []
        for path, render in targets:
            rendered.append((path, render()))
            progress.advance(task)
    for path, content in rendered:
        _write_atomic(path, content)
        console.print(f"wrote {path}", highlight=False)


def _with_benchmark(results: list[FirmResult], population: Path, by: list[str]) -> list[FirmResult]:
    """Each result with its place among its peers of ``population`` (refusals kept in the result)."""
    from innexport.population.benchmark import benchmark_firm
    from innexport.population.io import SurveyError, read_survey

    try:
        frame = read_survey(population).data
    except SurveyError as exc:
        raise fail(f"no report written: --benchmark: {exc}") from None
    missing = [c for c in by if c not in frame]
    if missing:
        raise fail(f"no report written: --benchmark: the population has no column {', '.join(missing)}")
    return [r.model_copy(update={"benchmark": benchmark_firm(frame, r, by)}) for r in results]


def _read_leverage(path: Path) -> dict[str, float]:
    """``{activity id: leverage}`` from a JSON file (as `innexport population leverage` writes)."""
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
        values = doc["leverage"] if isinstance(doc, dict) and "leverage" in doc else doc
        return {str(k): float(v) for k, v in values.items()}
    except (OSError, ValueError, AttributeError, TypeError, KeyError) as exc:
        raise AnswersError([Problem(str(path), f"not a leverage file ({{activity id: number}}): {exc}")]) from None


def _leverage_vector(fw: Framework, leverage: dict[str, float], origin: str = "--leverage") -> np.ndarray:
    missing = [a.id for a in fw.activities if a.id not in leverage]
    if missing:
        raise AnswersError([Problem(origin, f"no leverage for the activities {', '.join(missing)} of {fw.label}")])
    return np.array([leverage[a.id] for a in fw.activities])


def _diagnose_all(sheets: list[AnswerSheet], framework_path: str | None, modules: list[str],
                  lang: str | None, min_completeness: float | None,
                  leverage: dict[str, float] | None = None) -> tuple[list[FirmResult], dict[str, Framework]]:
    """Group the sheets by framework and modules, load each framework once, diagnose every group.

    Returns the results in the sheets' order and the frameworks used, by content hash.
    """
    groups: dict[tuple[str, tuple[str, ...]], list[int]] = {}
    for i, sheet in enumerate(sheets):
        groups.setdefault((sheet.framework, tuple(sheet.modules)), []).append(i)
    results: dict[int, FirmResult] = {}
    frameworks: dict[str, Framework] = {}
    for (fw_id, mods), rows in groups.items():
        fw = _framework_for(fw_id, mods, framework_path, modules)
        frameworks[fw.content_hash] = fw
        group = [sheets[i] for i in rows]
        lev = _leverage_vector(fw, leverage) if leverage is not None else None
        for i, result in zip(rows, diagnose(fw, group, lang, min_completeness, lev)):  # type: ignore[arg-type]
            results[i] = result
    return [results[i] for i in range(len(sheets))], frameworks


def _framework_for(fw_id: str, mods: tuple[str, ...], framework_path: str | None, module_paths: list[str]) -> Framework:
    overrides: dict[str, str] = {}
    for path in module_paths:
        doc = parse_document(path)
        if not isinstance(doc, Module):
            raise FrameworkError([Issue("kind", "--module needs a module file, not a framework", file=path)])
        overrides[doc.id] = path
    names = [overrides.get(m.split("@")[0], m.split("@")[0]) for m in mods]
    return load_framework(framework_path or fw_id, names)


def _targets(out: Path, fmt: str, results: list[FirmResult],
             frameworks: dict[str, Framework]) -> list[tuple[Path, Callable[[], bytes]]]:
    if out.suffix.lower() == ".json":
        return [(out, lambda: json.dumps(result_json(results), ensure_ascii=False, indent=2).encode("utf-8"))]
    if out.suffix and out.suffix.lower() not in FORMATS:
        raise fail(f"--out {out}: unknown format '{out.suffix}' (use {', '.join(FORMATS)} or a folder)")
    if not out.suffix:
        suffix, paths = f".{fmt}", [out / f"{r.firm.id}.{fmt}" for r in results]
    else:
        suffix = out.suffix.lower()
        paths = [out] if len(results) == 1 else [out.with_name(f"{out.stem}-{r.firm.id}{suffix}") for r in results]
    if suffix == ".json":
        return [(p, (lambda r=r: json.dumps(result_json([r]), ensure_ascii=False, indent=2).encode("utf-8")))
                for p, r in zip(paths, results)]
    from innexport.rendering import report  # the report adapter: imported only when rendering

    if suffix == ".pdf":
        return [(p, (lambda r=r: report.render_pdf(r, frameworks[r.framework.content_hash])))
                for p, r in zip(paths, results)]
    return [(p, (lambda r=r: report.render_html(r, frameworks[r.framework.content_hash]).encode("utf-8")))
            for p, r in zip(paths, results)]


def _write_atomic(path: Path, content: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(content)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


# --- frameworks -----------------------------------------------------------------------------

frameworks_app = typer.Typer(help="List, show and validate capability frameworks and sector modules.", no_args_is_help=True)
app.add_typer(frameworks_app, name="frameworks")


@frameworks_app.command("list")
def frameworks_list(lang: Annotated[Literal["fr", "es", "en"], typer.Option()] = "en") -> None:
    """The frameworks and modules shipped with innexport."""
    table = Table(title="Built-in frameworks and modules")
    for col in ("id", "kind", "version", "title", "extends", "content"):
        table.add_column(col)
    for name, path in builtin_documents().items():
        try:
            doc = parse_document(path)
        except FrameworkError as exc:
            table.add_row(name, "?", "?", f"[red]invalid: {escape(str(exc.issues[0]))}[/]", "", "")
            continue
        if isinstance(doc, Framework):
            content = f"{len(doc.dimensions)} dimensions, {len(doc.activities)} activities, {len(doc.observables)} questions"
            table.add_row(doc.id, doc.kind, doc.version, doc.title[lang], "", content)
        else:
            content = _module_summary(doc)
            table.add_row(doc.id, doc.kind, doc.version, doc.title[lang], f"{doc.extends.id} {doc.extends.version}", content)
    console.print(table)


def _module_summary(module: Module) -> str:
    added = len(module.add_observables) + sum(len(a.observables) for a in module.add_activities)
    return (f"+{len(module.add_activities)} activities, +{added} questions, "
            f"{len(module.adapt_observables)} adapted, -{len(module.remove_observables)} removed")


@frameworks_app.command("show")
def frameworks_show(
    name: Annotated[str, typer.Argument(help="Built-in framework id or YAML path.")] = "iiep",
    module: Annotated[list[str] | None, typer.Option(help="Module to apply (repeatable).")] = None,
    lang: Annotated[Literal["fr", "es", "en"], typer.Option()] = "en",
    questions: Annotated[bool, typer.Option("--questions", help="Also list every question.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="The whole framework as JSON.")] = False,
) -> None:
    """A framework's dimensions, activities (with tags and weights) and questions."""
    try:
        fw = load_framework(name, module or [])
    except FrameworkError as exc:
        raise fail(str(exc)) from None
    if as_json:
        doc = fw.model_dump(mode="json", exclude_none=True)
        doc["content_hash"] = fw.content_hash
        console.print_json(json.dumps(doc, ensure_ascii=False))
        return
    from innexport.core.scoring import ScoringModel

    weights = ScoringModel.from_framework(fw).index_activity_weights
    tree = Tree(f"[bold]{escape(fw.title[lang])}[/] — {fw.label} — {fw.content_hash[:19]}…")
    j = 0
    for dim, dw in zip(fw.dimensions, fw.dimension_weights()):
        branch = tree.add(f"[bold]{escape(dim.name[lang])}[/] ({dim.id}, weight {dw:.3f})")
        for act in dim.activities:
            leaf = branch.add(f"{escape(act.name[lang])} [dim]({act.id}, {act.tag}; weight in IIP {weights[0, j]:.3f}, "
                              f"IEP {weights[1, j]:.3f}, IIEP {weights[2, j]:.3f})[/]")
            j += 1
            if questions:
                for obs in act.observables:
                    leaf.add(escape(f"{obs.id} [{obs.scale}]: {obs.question[lang]}"))
    console.print(tree)


@frameworks_app.command("validate")
def frameworks_validate(
    path: Annotated[Path, typer.Argument(help="Framework or module YAML file.")],
    framework: Annotated[str | None, typer.Option(help="For a module: the framework (id or YAML path) it extends, "
                                                      "if not the built-in one of its `extends` id.")] = None,
) -> None:
    """Check a framework or module file and say precisely what is wrong (file, line, location)."""
    try:
        doc = validate_document(path, framework)
    except FrameworkError as exc:
        err.print(f"[bold red]{path}: {len(exc.issues)} problem(s)[/]", highlight=False)
        for issue in exc.issues:
            err.print(f"  - {escape(str(issue))}", highlight=False, soft_wrap=True)
        raise typer.Exit(1) from None
    if isinstance(doc, Framework):
        what = f"{len(doc.dimensions)} dimensions, {len(doc.activities)} activities, {len(doc.observables)} questions, " \
               f"content hash {doc.content_hash}"
    else:
        what = f"module extending {doc.extends.id} {doc.extends.version}: {_module_summary(doc)}"
    console.print(f"[green]valid[/] {doc.kind} {doc.id} {doc.version}: {what}", highlight=False)
