"""``innexport questionnaire``: the blank questionnaire to fill in (XLSX) or to print (PDF, HTML)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, NoReturn

import typer

from innexport.rendering import questionnaire as q
from innexport.cli import app
from innexport.core.framework import LANGUAGES, FrameworkError
from innexport.files.frameworks import load_framework

#: Exit code for unusable input (unknown framework, language or output format, unwritable file).
EXIT_BAD_INPUT = 2

WRITERS = {".xlsx": q.write_xlsx, ".pdf": q.write_pdf, ".html": q.write_html, ".htm": q.write_html}


def _fail(message: str) -> NoReturn:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(EXIT_BAD_INPUT)


@app.command("questionnaire")
def questionnaire_command(
    out: Annotated[
        Path,
        typer.Option("--out", "-o", help="File to write: .xlsx (to fill in, then give to `innexport diagnose`), "
                     ".pdf or .html (to print).", show_default=False),
    ],
    framework: Annotated[
        str, typer.Option("--framework", "-f", help="Built-in framework id or path to a framework YAML file.")
    ] = "iiep",
    module: Annotated[
        list[str] | None,
        typer.Option("--module", "-m", help="Sector module (built-in id or YAML path); repeat it for several, "
                     "applied in order.", show_default=False),
    ] = None,
    lang: Annotated[str, typer.Option("--lang", "-l", help=f"Language: {', '.join(LANGUAGES)}.")] = "en",
) -> None:
    """Write the blank questionnaire of a framework (and its sector modules) in one language.

    Fill in the .xlsx and run `innexport diagnose q.xlsx --out report.pdf`; print the .pdf to answer on paper.
    Exit code: 0 when written, 2 on bad input.
    """
    if lang not in LANGUAGES:
        _fail(f"unknown language '{lang}' (use {', '.join(LANGUAGES)})")
    writer = WRITERS.get(out.suffix.lower())
    if writer is None:
        _fail(f"cannot write '{out}': unknown file type '{out.suffix or '(none)'}' (use .xlsx, .pdf or .html)")
    try:
        fw = load_framework(framework, module or [])
    except FrameworkError as exc:
        lines = "\n".join(f"  - {issue}" for issue in exc.issues)
        _fail(f"cannot load the framework '{framework}'" + (f" with module(s) {', '.join(module)}" if module else "")
              + f":\n{lines}")
    try:
        writer(fw, lang, out)  # type: ignore[misc]
    except (OSError, RuntimeError) as exc:
        _fail(f"cannot write '{out}': {exc}")
    n = len(fw.observables)
    typer.echo(f"Questionnaire written to {out} ({fw.label}, {n} questions, {lang})")
