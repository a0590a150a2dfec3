"""``innexport questionnaire``: the blank questionnaire to fill in (XLSX) or to print (PDF, HTML)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from innexport.cli import app
from innexport.cli._common import fail
from innexport.core.languages import LANGUAGES

WRITERS: dict[str, str] = {".xlsx": "write_xlsx", ".pdf": "write_pdf", ".html": "write_html", ".htm": "write_html"}
"""The writer of :mod:`innexport.rendering.questionnaire` for each file type of ``--out``."""


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
        raise fail(f"unknown language '{lang}' (use {', '.join(LANGUAGES)})")
    from innexport.core.framework import FrameworkError
    from innexport.files.frameworks import load_framework
    from innexport.rendering import questionnaire as q

    writer_name = WRITERS.get(out.suffix.lower())
    if writer_name is None:
        raise fail(f"cannot write '{out}': unknown file type '{out.suffix or '(none)'}' (use .xlsx, .pdf or .html)")
    try:
        fw = load_framework(framework, module or [])
    except FrameworkError as exc:
        lines = "\n".join(f"  - {issue}" for issue in exc.issues)
        raise fail(f"cannot load the framework '{framework}'" + (f" with module(s) {', '.join(module)}" if module else "")
                   + f":\n{lines}") from None
    try:
        getattr(q, writer_name)(fw, lang, out)
    except (OSError, RuntimeError) as exc:
        raise fail(f"cannot write '{out}': {exc}") from None
    n = len(fw.observables)
    typer.echo(f"Questionnaire written to {out} ({fw.label}, {n} questions, {lang})")
