"""``innexport frameworks list|show|validate``: the capability frameworks and sector modules.

Reading and checking them is :mod:`innexport.files.frameworks`; the weights are
:class:`innexport.core.scoring.ScoringModel`'s. This module parses the options and prints.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, cast

import typer
from rich.markup import escape

from innexport.cli import app
from innexport.cli._common import console, err, exit_code_of, fail, lang_option

if TYPE_CHECKING:
    from innexport.core.framework import Framework, Module

frameworks_app = typer.Typer(help="List, show and validate capability frameworks and sector modules.", no_args_is_help=True)
app.add_typer(frameworks_app, name="frameworks")


@frameworks_app.command("list")
def frameworks_list(
    lang: Annotated[str, lang_option()] = "en",
    as_json: Annotated[bool, typer.Option("--json", help="The list as JSON: one object per document, in file-name "
                                                         "order (fields: docs/sectors.md).")] = False,
) -> None:
    """The frameworks and modules shipped with innexport, with the NACE sectors each module is meant for."""
    from rich.table import Table

    from innexport.core.framework import FrameworkError
    from innexport.files.frameworks import builtin_documents, parse_document

    rows: list[dict[str, object]] = []
    for name, path in builtin_documents().items():
        try:
            rows.append(_document_row(parse_document(path), lang))
        except FrameworkError as exc:
            rows.append({"id": name, "invalid": str(exc.issues[0])})
    if as_json:
        typer.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    table = Table(title="Built-in frameworks and modules")
    for col in ("id", "kind", "version", "title", "extends", "sectors", "content"):
        table.add_column(col)
    for row in rows:
        if "invalid" in row:
            table.add_row(str(row["id"]), "?", "?", f"[red]invalid: {escape(str(row['invalid']))}[/]", "", "", "")
        elif row["kind"] == "framework":
            content = f"{row['dimensions']} dimensions, {row['activities']} activities, {row['questions']} questions"
            table.add_row(*(escape(str(row[k])) for k in ("id", "kind", "version", "title")), "", "", content)
        else:
            sectors = ", ".join(cast("list[str]", row["sectors"])) or "—"
            table.add_row(*(escape(str(row[k])) for k in ("id", "kind", "version", "title", "extends")), sectors,
                          escape(str(row["content"])))
    console.print(table)


def _document_row(doc: Framework | Module, lang: str) -> dict[str, object]:
    """One document of ``frameworks list --json``: id, kind, version, title (in ``lang``) and titles (every
    language), content hash; for a framework its size, for a module what it extends, its sectors (NACE Rev. 2),
    a summary of its content and the framework it gives once applied (label, content hash, questions)."""
    from innexport.core.framework import Framework, apply_module
    from innexport.files.frameworks import load_framework

    row: dict[str, object] = {"id": doc.id, "kind": doc.kind, "version": doc.version, "title": doc.title[lang],
                              "titles": dict(doc.title.root), "content_hash": doc.content_hash}
    if isinstance(doc, Framework):
        return row | {"dimensions": len(doc.dimensions), "activities": len(doc.activities),
                      "questions": len(doc.observables)}
    applied = apply_module(load_framework(doc.extends.id), doc)
    return row | {"extends": f"{doc.extends.id} {doc.extends.version}", "sectors": list(doc.sectors),
                  "content": _module_summary(doc),
                  "applied": {"label": applied.label, "content_hash": applied.content_hash,
                              "questions": len(applied.observables)}}


def _module_summary(module: Module) -> str:
    added = len(module.add_observables) + sum(len(a.observables) for a in module.add_activities)
    return (f"+{len(module.add_activities)} activities, +{added} questions, "
            f"{len(module.adapt_observables)} adapted, -{len(module.remove_observables)} removed")


@frameworks_app.command("show")
def frameworks_show(
    name: Annotated[str, typer.Argument(help="Built-in framework id or YAML path.")] = "iiep",
    module: Annotated[list[str] | None, typer.Option(help="Module to apply (repeatable).")] = None,
    lang: Annotated[str, lang_option()] = "en",
    questions: Annotated[bool, typer.Option("--questions", help="Also list every question.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="The whole framework as JSON.")] = False,
) -> None:
    """A framework's dimensions, activities (with tags and weights) and questions."""
    from rich.tree import Tree

    from innexport.core.framework import FrameworkError
    from innexport.core.scoring import ScoringModel
    from innexport.files.frameworks import load_framework

    try:
        fw = load_framework(name, module or [])
    except FrameworkError as exc:
        raise fail(str(exc)) from None
    if as_json:
        doc = fw.model_dump(mode="json", exclude_none=True)
        doc["content_hash"] = fw.content_hash
        console.print_json(json.dumps(doc, ensure_ascii=False))
        return
    weights = ScoringModel.from_framework(fw).index_activity_weights
    tree = Tree(f"[bold]{escape(fw.title[lang])}[/] — {fw.label} — {fw.content_hash[:19]}…")
    j = 0
    for dim, dw in zip(fw.dimensions, fw.dimension_weights(), strict=True):
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
    from innexport.core.framework import Framework, FrameworkError
    from innexport.files.frameworks import validate_document

    try:
        doc = validate_document(path, framework)
    except FrameworkError as exc:
        err.print(f"[bold red]{path}: {len(exc.issues)} problem(s)[/]", highlight=False)
        for issue in exc.issues:
            err.print(f"  - {escape(str(issue))}", highlight=False, soft_wrap=True)
        raise typer.Exit(exit_code_of(exc)) from None
    if isinstance(doc, Framework):
        what = (f"{len(doc.dimensions)} dimensions, {len(doc.activities)} activities, {len(doc.observables)} questions, "
                f"content hash {doc.content_hash}")
    else:
        what = f"module extending {doc.extends.id} {doc.extends.version}: {_module_summary(doc)}"
    console.print(f"[green]valid[/] {doc.kind} {doc.id} {doc.version}: {what}", highlight=False)
