"""``innexport diagnose``: score firms' answers and write their reports (HTML, PDF) or results (JSON).

Reading the answers, choosing each sheet's framework and diagnosing are the library's
(:mod:`innexport.api`, :mod:`innexport.files.answers`); the report is
:mod:`innexport.rendering.report`. This module parses the options, calls them and writes the files.
A batch of reports is rendered in a pool of processes (``--jobs``, :func:`_render_all`), with the
same bytes as one process gives.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
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
    jobs: Annotated[int | None, typer.Option(
        "--jobs", "-j", min=1, help="Reports rendered at once, each in a process of its own (default: every CPU "
                                    "core for PDF, 1 for HTML; 1: one after the other). The files are the same "
                                    "whatever the number.")] = None,
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
    rendered = _render_all(targets, frameworks, dt.date.today(), jobs, show=len(results) >= 2)
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


def _json_bytes(results: Sequence[FirmResult]) -> bytes:
    from innexport.core.assessment import result_json

    return json.dumps(result_json(list(results)), ensure_ascii=False, indent=2).encode("utf-8")


@dataclass(frozen=True)
class _Render:
    """One file's content to make: the JSON of ``results``, or the HTML or PDF report of its one firm."""

    kind: str  # "json", "html" or "pdf"
    results: tuple[FirmResult, ...]


def _targets(out: Path, fmt: str, results: list[FirmResult],
             frameworks: dict[str, Framework]) -> list[tuple[Path, _Render]]:
    """The files to write and what each holds: one JSON of every firm, or one report per firm."""
    suffixes = tuple(f".{f}" for f in FORMATS)
    if out == STDIO:
        if fmt == "json":
            return [(out, _Render("json", tuple(results)))]
        if len(results) > 1:
            raise fail(f"--out -: one {fmt.upper()} report at a time on standard output, and there are "
                       f"{len(results)} firms (write them to a folder, or use --format json)")
        return [(STDIO, render) for _path, render in _targets(Path(f"report.{fmt}"), fmt, results, frameworks)]
    if out.suffix.lower() == ".json":
        return [(out, _Render("json", tuple(results)))]
    if out.suffix and out.suffix.lower() not in suffixes:
        raise fail(f"--out {out}: unknown format '{out.suffix}' (use {', '.join(suffixes)} or a folder)")
    if not out.suffix:
        suffix, paths = f".{fmt}", [out / f"{r.firm.id}.{fmt}" for r in results]
    else:
        suffix = out.suffix.lower()
        paths = [out] if len(results) == 1 else [out.with_name(f"{out.stem}-{r.firm.id}{suffix}") for r in results]
    return [(p, _Render(suffix[1:], (r,))) for p, r in zip(paths, results, strict=True)]


def _render(job: _Render, frameworks: dict[str, Framework], generated_on: dt.date) -> bytes:
    """The bytes of one file (see :class:`_Render`); a report is dated ``generated_on``."""
    if job.kind == "json":
        return _json_bytes(job.results)
    from innexport.rendering import report  # the report adapter: imported only when rendering

    (result,) = job.results
    framework = frameworks[result.framework.content_hash]
    if job.kind == "pdf":
        return report.render_pdf(result, framework, generated_on=generated_on)
    return report.render_html(result, framework, generated_on=generated_on).encode("utf-8")


def _report_errors() -> tuple[type[Exception], ...]:
    """The refusals of one firm's report: a result its framework cannot report (``ReportError``), a
    PDF without WeasyPrint or Pango (``RuntimeError``). Anything else is a defect and stops the command."""
    from innexport.rendering.report import ReportError

    return ReportError, RuntimeError

# A worker process's frameworks, by content hash: received once, when the worker starts.
_worker_frameworks: dict[str, Framework] = {}


def _start_worker(frameworks: dict[str, Framework]) -> None:
    """A report process's initialiser: keep the frameworks, load the report's templates."""
    _worker_frameworks.update(frameworks)
    from innexport.rendering import report  # noqa: F401 - imported once per worker, not per report


def _render_in_worker(job: _Render, generated_on: dt.date) -> bytes:
    return _render(job, _worker_frameworks, generated_on)


def _render_all(targets: list[tuple[Path, _Render]], frameworks: dict[str, Framework], generated_on: dt.date,
                jobs: int | None, *, show: bool) -> list[tuple[Path, bytes]]:
    """Every target's bytes, in the targets' order: one after the other with ``jobs == 1`` (or one
    report), else in a pool of ``jobs`` processes (default: :func:`~innexport.core.parallel.available_cpus`
    for PDF reports, 1 for HTML),
    each started once with the frameworks. The files are the same either way: the report's date is
    ``generated_on``, chosen once. A firm whose report cannot be made is named, all such firms at the
    end, and nothing is written (exit 2)."""
    from innexport.core.parallel import available_cpus

    if jobs is None:  # a pool's start (about a second) pays for PDF reports (seconds each), not for HTML
        jobs = available_cpus() if any(job.kind == "pdf" for _path, job in targets) else 1
    workers = min(jobs, sum(job.kind != "json" for _path, job in targets))
    contents: list[bytes | None] = [None] * len(targets)
    errors: list[tuple[int, Exception]] = []
    with progress("Rendering reports", len(targets), show=show) as step:
        if workers <= 1:
            for i, (_path, job) in enumerate(targets):
                try:
                    contents[i] = _render(job, frameworks, generated_on)
                except _report_errors() as exc:
                    errors.append((i, exc))
                step()
        else:
            for i, outcome in _pooled(targets, frameworks, generated_on, workers):
                if isinstance(outcome, bytes):
                    contents[i] = outcome
                else:
                    errors.append((i, outcome))
                step()
    if errors:
        lines = [f"{_firms(targets[i][1])}: {exc}" for i, exc in sorted(errors, key=lambda e: e[0])]
        raise fail("no report written:\n" + "\n".join(lines))
    return [(path, content) for (path, _job), content in zip(targets, contents, strict=True) if content is not None]


def _pooled(targets: list[tuple[Path, _Render]], frameworks: dict[str, Framework], generated_on: dt.date,
            workers: int) -> Iterator[tuple[int, bytes | Exception]]:
    """``(index, bytes or refusal)`` of every target as the pool finishes them (forkserver processes
    where the platform has them, else spawned: never a fork of this process and its threads)."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor, as_completed
    from multiprocessing.context import BaseContext

    context: BaseContext
    if "forkserver" in multiprocessing.get_all_start_methods():
        server = multiprocessing.get_context("forkserver")
        # the server imports the renderer (and WeasyPrint) once; each worker is a fork of it
        server.set_forkserver_preload(["__main__", "innexport.cli.diagnose", "innexport.rendering.report",
                                       "weasyprint"])
        context = server
    else:
        context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=workers, mp_context=context, initializer=_start_worker,
                             initargs=(frameworks,)) as pool:
        futures = {pool.submit(_render_in_worker, job, generated_on): i for i, (_path, job) in enumerate(targets)}
        for future in as_completed(futures):
            try:
                yield futures[future], future.result()
            except _report_errors() as exc:
                yield futures[future], exc


def _firms(job: _Render) -> str:
    """The firm a refused file was for (its id), or ``every firm`` for the JSON of several."""
    return f"firm {job.results[0].firm.id}" if len(job.results) == 1 else "every firm"
