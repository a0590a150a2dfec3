"""``innexport questionnaire``: the blank questionnaire to fill in (XLSX), to print (PDF, HTML), or to
deploy on a survey platform: an XLSForm for KoBoToolbox and ODK (``--format xlsform``,
:mod:`innexport.rendering.xlsform`) or a LimeSurvey survey structure (``--format lss``,
:mod:`innexport.rendering.limesurvey`)."""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Annotated

import typer

from innexport.cli import app
from innexport.cli._common import fail
from innexport.core.languages import LANGUAGES

WRITERS: dict[str, str] = {".xlsx": "write_xlsx", ".pdf": "write_pdf", ".html": "write_html", ".htm": "write_html"}
"""The writer of :mod:`innexport.rendering.questionnaire` for each file type of ``--out`` (``--format auto``)."""
FORMATS: dict[str, tuple[str, str, str]] = {
    "xlsform": ("innexport.rendering.xlsform", "write_xlsform", ".xlsx"),
    "lss": ("innexport.rendering.limesurvey", "write_lss", ".lss"),
}
"""``--format`` → (module, writer, usual suffix) of the platforms' forms; ``auto`` uses :data:`WRITERS`."""


@app.command("questionnaire")
def questionnaire_command(
    out: Annotated[
        Path,
        typer.Option("--out", "-o", help="File to write: .xlsx (to fill in, then give to `innexport diagnose`), "
                     ".pdf or .html (to print); .xlsx with --format xlsform, .lss with --format lss.",
                     show_default=False),
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
    form_format: Annotated[
        str, typer.Option("--format", help="auto (by the suffix of --out), xlsform (KoBoToolbox, ODK: an .xlsx "
                          "XLSForm) or lss (a LimeSurvey survey structure).")
    ] = "auto",
) -> None:
    """Write the blank questionnaire of a framework (and its sector modules) in one language.

    Fill in the .xlsx and run `innexport diagnose q.xlsx --out report.pdf`; print the .pdf to answer on paper.
    With --format xlsform, deploy the .xlsx on KoBoToolbox or ODK Central, then run `innexport diagnose export.csv`.
    With --format lss, import the .lss into LimeSurvey, then diagnose its response export.
    Exit code: 0 when written, 2 on bad input.
    """
    if lang not in LANGUAGES:
        raise fail(f"unknown language '{lang}' (use {', '.join(LANGUAGES)})")
    from innexport.core.framework import FrameworkError
    from innexport.files.frameworks import load_framework
    from innexport.rendering import questionnaire as q

    if form_format != "auto" and form_format not in FORMATS:
        raise fail(f"unknown format '{form_format}' (use auto, {', '.join(FORMATS)})")
    if form_format == "auto":
        writer_name = WRITERS.get(out.suffix.lower())
        if writer_name is None:
            raise fail(f"cannot write '{out}': unknown file type '{out.suffix or '(none)'}' (use .xlsx, .pdf or .html, "
                       "or --format xlsform|lss)")
        writer = getattr(q, writer_name)
    else:
        module_name, writer_name, suffix = FORMATS[form_format]
        if out.suffix.lower() != suffix:
            raise fail(f"cannot write '{out}': --format {form_format} writes a {suffix} file")
        try:
            writer = getattr(importlib.import_module(module_name), writer_name)
        except (ModuleNotFoundError, AttributeError) as exc:
            if isinstance(exc, ModuleNotFoundError) and exc.name != module_name:
                raise
            raise fail(f"the {form_format} format is not available in this version of innexport "
                       f"({module_name}.{writer_name} is missing)") from None
    try:
        fw = load_framework(framework, module or [])
    except FrameworkError as exc:
        lines = "\n".join(f"  - {issue}" for issue in exc.issues)
        raise fail(f"cannot load the framework '{framework}'" + (f" with module(s) {', '.join(module)}" if module else "")
                   + f":\n{lines}") from None
    try:
        writer(fw, lang, out)
    except (OSError, RuntimeError) as exc:
        raise fail(f"cannot write '{out}': {exc}") from None
    n = len(fw.observables)
    what = {"xlsform": "XLSForm", "lss": "LimeSurvey survey"}.get(form_format, "Questionnaire")
    typer.echo(f"{what} written to {out} ({fw.label}, {n} questions, {lang})")
