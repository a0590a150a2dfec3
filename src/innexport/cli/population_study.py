"""``innexport population study``: the comparative study report of countries, sectors or sizes.

One or more population tables (one per country's survey, say: they get a ``source`` column) are
compared group by group (:func:`innexport.population.study.study`) and written as an HTML or PDF
report (:mod:`innexport.rendering.study_report`) in the chosen language, or printed as JSON.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from innexport.cli._common import console, err, fail, lang_option, write_atomic
from innexport.cli._population import (
    FpcOption,
    LonelyOption,
    PsuOption,
    StrataOption,
    TableError,
    design_of,
    group_spellings,
    names,
    population_app,
    population_frame,
    read_table,
)


@population_app.command("study")
def study_command(
    populations: Annotated[list[Path], typer.Argument(
        metavar="POP...", help="Population tables (from population import); several are compared as one, "
                               "with a 'source' column naming each file.", show_default=False)],
    by: Annotated[str | None, typer.Option(
        "--by", help="The column whose groups are compared, e.g. country, sector or size (default with several "
                     "tables: source).")] = None,
    groups: Annotated[list[str] | None, typer.Option(
        "--groups", help="The groups to compare, in this order, comma-separated (default: every group of "
                         "innexport.population.study.MIN_STUDY_GROUP firms or more, the largest first).")] = None,
    reference: Annotated[str | None, typer.Option(help="The group the others are compared with (default: the "
                                                       "first).")] = None,
    innovation: Annotated[str | None, typer.Option(help="Binary innovation outcome column, for the synergy model.")] = None,
    export: Annotated[str | None, typer.Option(help="Binary export outcome column, for the synergy model.")] = None,
    capabilities: Annotated[list[str] | None, typer.Option(
        "--capabilities", help="The synergy model's capabilities: dim (the dimensions, default), act (the "
                               "activities) or column names (A,B or repeated).")] = None,
    out: Annotated[Path | None, typer.Option("--out", "-o", help="study.html or study.pdf (omit with --json).")] = None,
    title: Annotated[str | None, typer.Option(help="Title of the report.")] = None,
    lang: Annotated[str, lang_option("Language of the report.")] = "en",
    json_output: Annotated[bool, typer.Option("--json", help="Print the study as JSON on stdout.")] = False,
    strata: StrataOption = None,
    psu: PsuOption = None,
    fpc: FpcOption = None,
    lonely_psu: LonelyOption = "fail",
) -> None:
    """Compare groups: samples, reliability, invariance, means with intervals, maps, synergy, classes.

    The report is stamped with the framework, the mappings and the data files' hashes. Exit code 2
    on bad input.
    """
    from innexport.population.study import SOURCE, StudyError, combine, study

    if out is None and not json_output:
        raise fail("give --out study.html (or .pdf), or --json")
    if out is not None and out.suffix.lower() not in (".html", ".pdf"):
        raise fail(f"--out {out}: the study report is an .html or .pdf file")
    if len(set(populations)) != len(populations):
        raise fail("a population table is given twice")
    try:
        with err.status("Reading the population tables"):
            frames = [population_frame(p) for p in populations]
        if len(frames) > 1:
            stems = [p.stem for p in populations]
            if len(set(stems)) != len(stems):
                raise fail("the tables' file names must differ: they name the 'source' groups")
            frame = combine(frames, stems)
        else:
            frame = frames[0]
        column = by or (SOURCE if len(frames) > 1 else None)
        if column is None:
            raise fail("give --by COLUMN (the groups to compare, e.g. country or size)")
        chosen = names(groups) or None
        design = design_of(frame, None, strata, psu, fpc, lonely_psu)
        with err.status("Comparing the groups"):
            result = study(frame, column, _typed(frame, column, chosen), reference=_one(frame, column, reference),
                           innovation=innovation, export=export, paths=populations, frames=frames, design=design,
                           capabilities=_capabilities(names(capabilities)))
    except TableError as exc:
        raise fail(str(exc)) from None
    except StudyError as exc:
        raise fail(str(exc)) from None
    if json_output:
        typer.echo(json.dumps(result.to_dict(), indent=2, ensure_ascii=False, default=str))
    if out is None:
        return
    from innexport.population.frame import stamped_framework
    from innexport.rendering.study_report import render_html, render_pdf

    framework = stamped_framework(frame)
    with err.status("Writing the report"):
        if out.suffix.lower() == ".pdf":
            write_atomic(out, render_pdf(result, lang=lang, title=title, framework=framework))
        else:
            write_atomic(out, render_html(result, lang=lang, title=title, framework=framework).encode("utf-8"))
    (err if json_output else console).print(f"wrote {out}", highlight=False)


def _capabilities(given: list[str]) -> list[str] | str:
    """``dim`` or ``act`` (a kind of column) alone, else the columns named."""
    return given[0] if given in (["dim"], ["act"]) else (given or "dim")


def _typed(frame: object, column: str, values: list[str] | None) -> list[object] | None:
    """Groups given on the command line (text) as the column's values (numbers stay numbers)."""
    if values is None:
        return None
    return [_one(frame, column, v) for v in values]


def _one(frame: object, column: str, value: str | None) -> object:
    """A group written on the command line as the column's value (unknown: as written, for the study to refuse)."""
    import pandas as pd

    if value is None or not isinstance(frame, pd.DataFrame) or column not in frame:
        return value
    return group_spellings(frame[column].dropna().unique()).get(value, value)


@population_app.command("collect")
def collect_command(
    answers: Annotated[list[Path], typer.Argument(
        metavar="ANSWERS...", help="Answer files of the study's firms: YAML, JSON, CSV or XLSX (the questionnaire, "
                                   "the web app's, KoBoToolbox/ODK or LimeSurvey exports).", show_default=False)],
    out: Annotated[Path, typer.Option("--out", "-o", help="The population table: .parquet, .csv, .xlsx, .sav or .dta.",
                                      show_default=False)],
    join: Annotated[Path | None, typer.Option(
        "--join", help="A table with a firm_id column whose other columns (weight, stratum, psu, fpc, an innovation "
                       "outcome…) are added to every firm.")] = None,
    assessments: Annotated[Path | None, typer.Option(
        "--assessments", help="With the web app's answers export: its assessments export (the firms' country, "
                              "sector, size, export share and frameworks).")] = None,
    framework: Annotated[str | None, typer.Option(help="Framework id or YAML (default: the answers').")] = None,
    module: Annotated[list[str] | None, typer.Option(help="Sector module (repeatable; default: the answers').")] = None,
) -> None:
    """Gather a study's answer files into a population table, for describe, compare, study and the rest.

    ANSWERS are answer files as `innexport diagnose` reads them, or the web app's answers export
    (/exports/, CSV, XLSX or Parquet) with --assessments.

    A firm answered by several respondents is one row (their answers consolidated); its fields
    (country, sector, size, export share…) become columns, ``exports`` is 1 when its export share is
    above 0. Every sheet must be of the same framework and modules. Exit code 2 on bad input.
    """
    from innexport.api import framework_for
    from innexport.core.assessment import AnswersError
    from innexport.core.framework import FrameworkError
    from innexport.files.answers import read_answers
    from innexport.population.collect import (
        CollectError,
        is_web_export,
        join_by_firm,
        population_from_sheets,
        sheets_from_web_export,
        source_name,
    )
    from innexport.population.io import SurveyError, write_table

    if out.suffix.lower() not in (".parquet", ".csv", ".xlsx", ".sav", ".dta"):
        raise fail(f"--out {out}: write a .parquet, .csv, .xlsx, .sav or .dta table")
    try:
        firms = read_table(assessments) if assessments is not None else None
        sheets = []
        for path in answers:
            table = read_table(path) if path.suffix.lower() in (".csv", ".xlsx", ".parquet") else None
            if table is not None and is_web_export(table):
                sheets += sheets_from_web_export(table, firms, str(path))
            else:
                sheets += read_answers(path)
        kinds = {(s.framework, tuple(s.modules)) for s in sheets}
        if len(kinds) > 1 and framework is None and not module:
            listed = "; ".join(f"{fw} + {', '.join(m) or 'no module'}" for fw, m in sorted(kinds))
            raise fail(f"the answers are of several frameworks ({listed}): a population has one; give --framework "
                       "and --module")
        fw_id, mods = next(iter(sorted(kinds)))
        fw = framework_for(fw_id if framework is None else framework, list(mods) if module is None else module)
        frame = population_from_sheets(fw, sheets, source_name(answers))
        if join is not None:
            frame = join_by_firm(frame, read_table(join), str(join))
    except (AnswersError, FrameworkError) as exc:
        raise fail(f"no table written:\n{exc}") from None
    except (CollectError, TableError) as exc:
        raise fail(f"no table written: {exc}") from None
    try:
        write_table(frame, out)
    except (SurveyError, OSError, ValueError) as exc:
        raise fail(f"{out}: {exc}") from None
    console.print(f"wrote {out}: {len(frame):,} firms scored with {fw.label}", highlight=False)
