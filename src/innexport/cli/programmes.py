"""``innexport programmes validate|list``: the catalogue of support programmes
(:mod:`innexport.support.programmes` reads and checks it; this module parses the options and prints).

A programme's activity ids are checked against the framework the catalogue rule names
(:func:`~innexport.support.programmes.catalogue_framework`: iiep with every shipped sector module);
``validate`` says which.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Annotated, get_args

import typer
from rich.markup import escape
from rich.table import Table

from innexport.cli import app
from innexport.cli._common import choice_option, console, err, exit_code_of, lang_option
from innexport.support.programmes import CatalogueError, Scope, catalogue_framework_label, load_catalogue

SCOPES: tuple[str, ...] = get_args(Scope)

programmes_app = typer.Typer(help="List and validate the catalogue of support programmes.", no_args_is_help=True)
app.add_typer(programmes_app, name="programmes")


def _print_issues(path: object, exc: CatalogueError) -> None:
    err.print(f"[bold red]{escape(str(path))}: {len(exc.issues)} problem(s)[/]", highlight=False, soft_wrap=True)
    for issue in exc.issues:
        err.print(f"  - {escape(str(issue))}", highlight=False, soft_wrap=True)


@programmes_app.command("validate")
def programmes_validate(
    path: Annotated[Path, typer.Argument(help="Catalogue YAML file.")],
) -> None:
    """Check a catalogue file and say precisely what is wrong (file, line, entry, field).

    Activity ids must be those of iiep or of one of its shipped sector modules (wine, agri-food,
    machinery...): a programme may help with an activity only one sector's firms have.
    """
    try:
        catalogue = load_catalogue(path)
    except CatalogueError as exc:
        _print_issues(path, exc)
        raise typer.Exit(exit_code_of(exc)) from None
    counts = Counter(p.country for p in catalogue.programmes)
    per_country = ", ".join(f"{c} {n}" for c, n in sorted(counts.items()))
    console.print(f"[green]valid[/] catalogue {catalogue.id} {catalogue.version} (as of {catalogue.as_of}): "
                  f"{len(catalogue.programmes)} programmes ({per_country}); activities checked against "
                  f"{catalogue_framework_label()}", highlight=False)


@programmes_app.command("list")
def programmes_list(
    country: Annotated[str | None, typer.Option(help="Only this country (ISO code: FR, CL, AR...).")] = None,
    scope: Annotated[str | None, choice_option(SCOPES, "Only this scope.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
    lang: Annotated[str, lang_option("Language of names and descriptions.")] = "en",
    catalogue_path: Annotated[str, typer.Option("--catalogue", help="Built-in catalogue name or YAML path.")] = "programmes",
) -> None:
    """List the programmes of the catalogue, joint ones (innovation and export together) first."""
    try:
        catalogue = load_catalogue(catalogue_path)
    except CatalogueError as exc:
        _print_issues(catalogue_path, exc)
        raise typer.Exit(exit_code_of(exc)) from None
    chosen = [p for p in catalogue.programmes
              if (country is None or p.country == country.strip().upper()) and (scope is None or p.scope == scope)]
    chosen.sort(key=lambda p: (p.country, p.scope != "joint", p.name.get(lang).casefold()))
    if as_json:
        out = {"catalogue": catalogue.id, "version": catalogue.version, "as_of": catalogue.as_of.isoformat(),
               "note": catalogue.note.get(lang) if catalogue.note else None,
               "programmes": [p.model_dump(mode="json") for p in chosen]}
        typer.echo(json.dumps(out, ensure_ascii=False, indent=2))
        return
    table = Table(title=f"{catalogue.id} {catalogue.version} — as of {catalogue.as_of}", show_lines=False)
    for column in ("id", "country", "kind", "scope", "name", "operator", "activities"):
        table.add_column(column)
    for p in chosen:
        table.add_row(p.id, p.country + (f" ({p.region})" if p.region else ""), p.kind, p.scope,
                      escape(p.name.get(lang)), escape(p.operator), ", ".join(p.activities))
    console.print(table)
    if catalogue.note:
        console.print(escape(catalogue.note.get(lang)), highlight=False)
