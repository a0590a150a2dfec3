"""``innexport diagnose``: score firms' answers and write their reports (HTML, PDF) or results (JSON).

Reading the answers, choosing each sheet's framework and diagnosing are the library's
(:mod:`innexport.api`, :mod:`innexport.files.answers`); the report is
:mod:`innexport.rendering.report`. This module parses the options, calls them and writes the files.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from innexport.cli import app
from innexport.cli._common import (
    STDIO,
    choice_option,
    console,
    diagnose_all,
    err,
    fail,
    lang_option,
    progress,
    read_stdin,
    write_atomic,
)

if TYPE_CHECKING:
    from innexport.core.assessment import AnswerSheet, FirmResult
    from innexport.core.framework import Framework

FORMATS: tuple[str, ...] = ("html", "pdf", "json")
"""What ``--out`` can be (by its suffix), and ``--format`` when ``--out`` is a folder."""


@app.command("diagnose")
def diagnose_command(
    answers: Annotated[list[Path], typer.Argument(
        help="Answers files: YAML, JSON, CSV or XLSX (one or many firms each); - reads YAML or JSON from standard input. "
             "The files of a firm's several respondents (same firm id and date, each with `respondent: {id, role}`) "
             "give one consolidated result.")],
    out: Annotated[Path, typer.Option(
        "--out", "-o", help="report.html, report.pdf or result.json; or a folder (one report per firm, --format); "
                            "- writes to standard output (--format: the JSON of every firm, or one firm's report).")],
    lang: Annotated[str | None, lang_option("Language of the report (default: the answers' own, else en).")] = None,
    framework: Annotated[str | None, typer.Option(
        help="Framework YAML to use instead of the built-in one the answers name.")] = None,
    module: Annotated[list[str] | None, typer.Option(
        help="Module YAML to use instead of the built-in module of that id (repeatable).")] = None,
    fmt: Annotated[str, choice_option(FORMATS, "Format of the reports when --out is a folder.", "--format")] = "html",
    min_completeness: Annotated[float | None, typer.Option(
        min=0.0, max=1.0, help="Refuse firms with a smaller share of scored answers (default: the framework's).")] = None,
    leverage: Annotated[Path | None, typer.Option(
        help="Leverage of the activities for the priorities (JSON from `population leverage`); "
             "default: weight in IIP + weight in IEP.")] = None,
    benchmark: Annotated[Path | None, typer.Option(
        help="A population table (from `population import`): place each firm among its peers.")] = None,
    by: Annotated[str, typer.Option(
        "--by", help="With --benchmark: the peer group's columns, comma-separated.")] = "country,sector,size",
    draws: Annotated[int | None, typer.Option(
        help="Monte Carlo draws per firm for the indices' intervals and stability (default 1,000, "
             "innexport.core.uncertainty.DRAWS; 0: none).")] = None,
    peers: Annotated[list[Path] | None, typer.Option(
        "--peers", help="Answers files of other firms: the draws fill each unanswered question from their "
                        "answers to it (uniformly when fewer than 5 answered it). Repeatable.")] = None,
    no_sensitivity: Annotated[bool, typer.Option(
        "--no-sensitivity", help="Leave out the stability intervals of the dimension weights.")] = False,
) -> None:
    """Score firms' answers and write their reports (HTML, PDF) or results (JSON).

    Nothing is written unless every firm of every file is valid. The answers of a firm's several
    respondents are consolidated into one result: one report, and in the JSON the firm's
    respondents and where they disagree.
    """
    from innexport.core.assessment import AnswersError
    from innexport.core.framework import FrameworkError
    from innexport.core.uncertainty import DRAWS, MAX_DRAWS
    from innexport.files.answers import read_answers, read_answers_text
    from innexport.files.limits import MAX_DOCUMENT_BYTES

    if answers.count(STDIO) > 1:
        raise fail("- (standard input) can be given only once")
    if draws is not None and not 0 <= draws <= MAX_DRAWS:
        raise fail(f"--draws must be from 0 (no intervals) to {MAX_DRAWS:,}, not {draws}")
    try:
        sheets = [s for path in answers
                  for s in (read_answers_text(read_stdin(MAX_DOCUMENT_BYTES)) if path == STDIO else read_answers(path))]
        results, frameworks = diagnose_all(sheets, framework, module or [], lang, min_completeness,
                                           _read_leverage(leverage) if leverage else None,
                                           peers=_read_peers(peers or []), draws=DRAWS if draws is None else draws,
                                           sensitivity=not no_sensitivity)
    except (AnswersError, FrameworkError) as exc:
        raise fail(f"no report written:\n{exc}") from None
    if benchmark is not None:
        results = _with_benchmark(results, benchmark, [c.strip() for c in by.split(",") if c.strip()])
    targets = _targets(out, fmt, results, frameworks)
    rendered: list[tuple[Path, bytes]] = []
    with progress("Rendering reports", len(targets), show=len(results) >= 2) as step:
        for path, render in targets:
            rendered.append((path, render()))
            step()
    for path, content in rendered:
        write_atomic(path, content)
        if path != STDIO:  # standard output carries the document itself
            console.print(f"wrote {path}", highlight=False)
        else:
            err.print(f"wrote {len(results)} firm(s) to standard output", highlight=False)


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


def _read_peers(paths: list[Path]) -> list[AnswerSheet]:
    """The answer sheets of ``--peers`` (each file named in its refusal)."""
    from innexport.core.assessment import AnswersError
    from innexport.files.answers import read_answers

    sheets: list[AnswerSheet] = []
    for path in paths:
        try:
            sheets.extend(read_answers(path))
        except (AnswersError, OSError, ValueError) as exc:
            raise fail(f"no report written: --peers {path}: {exc}") from None
    return sheets


def _read_leverage(path: Path) -> dict[str, float]:
    """``{activity id: leverage}`` from a JSON file (as `innexport population leverage` writes)."""
    from innexport.core.assessment import AnswersError, Problem
    from innexport.files.limits import parse_json, read_text

    try:
        doc = parse_json(read_text(path), str(path))  # bounded: size and depth (a refusal is a ValueError)
        values = doc["leverage"] if isinstance(doc, dict) and "leverage" in doc else doc
        return {str(k): float(v) for k, v in values.items()}
    except (OSError, ValueError, AttributeError, TypeError, KeyError) as exc:
        raise AnswersError([Problem(str(path), f"not a leverage file ({{activity id: number}}): {exc}")]) from None


def _json_bytes(results: list[FirmResult]) -> bytes:
    from innexport.core.assessment import result_json

    return json.dumps(result_json(results), ensure_ascii=False, indent=2).encode("utf-8")


def _targets(out: Path, fmt: str, results: list[FirmResult],
             frameworks: dict[str, Framework]) -> list[tuple[Path, Callable[[], bytes]]]:
    """The files to write and how to render each: one JSON of every firm, or one report per firm."""
    suffixes = tuple(f".{f}" for f in FORMATS)
    if out == STDIO:
        if fmt == "json":
            return [(out, partial(_json_bytes, results))]
        if len(results) > 1:
            raise fail(f"--out -: one {fmt.upper()} report at a time on standard output, and there are "
                       f"{len(results)} firms (write them to a folder, or use --format json)")
        return [(STDIO, render) for _path, render in _targets(Path(f"report.{fmt}"), fmt, results, frameworks)]
    if out.suffix.lower() == ".json":
        return [(out, partial(_json_bytes, results))]
    if out.suffix and out.suffix.lower() not in suffixes:
        raise fail(f"--out {out}: unknown format '{out.suffix}' (use {', '.join(suffixes)} or a folder)")
    if not out.suffix:
        suffix, paths = f".{fmt}", [out / f"{r.firm.id}.{fmt}" for r in results]
    else:
        suffix = out.suffix.lower()
        paths = [out] if len(results) == 1 else [out.with_name(f"{out.stem}-{r.firm.id}{suffix}") for r in results]
    if suffix == ".json":
        return [(p, partial(_json_bytes, [r])) for p, r in zip(paths, results, strict=True)]
    from innexport.rendering import report  # the report adapter: imported only when rendering

    def pdf(r: FirmResult) -> bytes:
        return report.render_pdf(r, frameworks[r.framework.content_hash])

    def html(r: FirmResult) -> bytes:
        return report.render_html(r, frameworks[r.framework.content_hash]).encode("utf-8")

    render = pdf if suffix == ".pdf" else html
    return [(p, partial(render, r)) for p, r in zip(paths, results, strict=True)]
