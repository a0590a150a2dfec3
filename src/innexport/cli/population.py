"""``innexport population …``: analyses of a population of firms, or of any table of answers.

Every command reads its table with :func:`read_table` (CSV with ``,`` or ``;``, XLSX, Parquet).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal

import typer
from rich.markup import escape
from rich.table import Table

from innexport.cli import app
from innexport.cli._common import EXIT_BAD_INPUT, console, err, fail

if TYPE_CHECKING:
    import pandas as pd

population_app = typer.Typer(
    name="population",
    help="Analyse a population of firms, or any table with one row per respondent.",
    no_args_is_help=True,
)
app.add_typer(population_app, name="population")

__all__ = ["EXIT_BAD_INPUT", "TableError", "read_population", "read_table"]


class TableError(ValueError):
    """The file cannot be read as a table."""


# --------------------------------------------------------------------------------------------
# Reading tables (shared by the population commands)
# --------------------------------------------------------------------------------------------


def read_table(path: Path) -> pd.DataFrame:
    """Any table the population import reads (CSV, XLSX, SPSS, Stata, R, Parquet), as a DataFrame.

    In a CSV, numbers written with a decimal comma (``3,5``) are read as numbers.
    """
    from innexport.population.io import SurveyError, read_survey

    try:
        frame = read_survey(path).data
    except SurveyError as exc:
        raise TableError(str(exc)) from None
    return frame.apply(_decimal_comma) if path.suffix.lower() in (".csv", ".txt", ".tsv") else frame


def _decimal_comma(column: pd.Series) -> pd.Series:
    """The column as numbers when all its values are numbers with a decimal comma, else unchanged."""
    import pandas as pd

    if not (column.dtype == object or pd.api.types.is_string_dtype(column)):
        return column
    try:
        return pd.to_numeric(column.str.strip().str.replace(",", ".", regex=False))
    except (ValueError, TypeError, AttributeError):
        return column


def _names(values: list[str] | None) -> list[str]:
    """Names given as ``A,B`` and/or as repeated options, in order, without blanks."""
    return [name.strip() for value in values or [] for name in value.split(",") if name.strip()]


EngineChoice = Literal["auto", "pandas", "duckdb"]
ENGINE_HELP = ("auto: DuckDB for a large Parquet file or folder (innexport.population.dataset.DUCKDB_MIN_ROWS rows "
               "or more, when installed), pandas below; pandas: read the whole table; duckdb: always DuckDB (Parquet only).")


def _engine(path: Path, engine: EngineChoice) -> str:
    """The engine for POP (:func:`innexport.population.dataset.engine_for`); refusals as :class:`TableError`."""
    from innexport.population.dataset import DatasetError, engine_for

    if not path.exists():
        raise TableError(f"{path}: no such file or folder")
    try:
        return engine_for(path, engine)
    except DatasetError as exc:
        raise TableError(str(exc)) from None


def _population_frame(path: Path) -> pd.DataFrame:
    """The whole population table: a file as :func:`read_population` reads it, a folder of Parquet files whole."""
    from innexport.population.dataset import DatasetError, read_frame

    if not path.is_dir():
        return read_population(path)
    try:
        return read_frame(path)
    except DatasetError as exc:
        raise TableError(str(exc)) from None


# --------------------------------------------------------------------------------------------
# innexport population reliability
# --------------------------------------------------------------------------------------------


def _f(x: Any, digits: int = 2) -> str:
    return "—" if x is None else f"{x:.{digits}f}"


def _p(p: float | None) -> str:
    if p is None:
        return "—"
    return "< 0.001" if p < 0.001 else f"{p:.3f}"


def _kaiser(kmo: float) -> str:
    """Kaiser's (1974) words for a KMO value."""
    for bound, word in ((0.9, "marvelous"), (0.8, "meritorious"), (0.7, "middling"), (0.6, "mediocre"), (0.5, "miserable")):
        if kmo >= bound:
            return word
    return "unacceptable"


def _print_reliability(report: dict[str, Any], source: str) -> None:
    a = report["alpha"]
    say: dict[str, Any] = {"markup": False, "highlight": False}
    console.print(f"Reliability of {', '.join(report['items'])} ({source})", style="bold", **say)
    cases = f"{a['n_cases']} cases ({a['missing']} deletion)"
    if abs(a["n_effective"] - a["n_cases"]) > 1e-9:
        cases += f", weighted: effective n = {a['n_effective']:.1f}"
    console.print(f"{a['n_items']} items, {cases}", **say)
    ci = a["ci"]
    console.print(
        f"Cronbach's alpha = {_f(a['alpha'], 3)}, {ci['confidence']:.0%} CI [{_f(ci['low'], 3)}, {_f(ci['high'], 3)}] "
        f"(Feldt); standardized alpha = {_f(a['std_alpha'], 3)}; average r = {_f(a['average_r'], 3)}", **say)
    console.print(f"Scale score (mean of the items): mean = {_f(a['mean'])}, sd = {_f(a['sd'])}", **say)

    kmo = report["kmo"]
    table = Table(title="Items", caption="r total: with the scale score; r rest: with the other items; "
                  "alpha drop: alpha without the item (raw, standardized); MSA: KMO of the item; - : reversed")
    for name in ("Item", "n", "Mean", "SD", "r total", "r rest", "alpha drop", "std drop", "MSA"):
        table.add_column(name, justify="left" if name == "Item" else "right")
    for item, s in report["item_statistics"].items():
        table.add_row(
            f"{item}-" if s["reversed"] else item, str(s["n"]), _f(s["mean"]), _f(s["sd"]),
            _f(s["r_total"]), _f(s["r_rest"]), _f(s["alpha_if_dropped"], 3), _f(s["std_alpha_if_dropped"], 3),
            _f(kmo["items"][item]) if kmo else "—")
    console.print(table)
    undefined = set(report.get("undefined", ()))
    if kmo:
        if kmo["overall"] is None:
            console.print("KMO (Kaiser-Meyer-Olkin): undefined (see the note)", **say)
        else:
            console.print(f"KMO (Kaiser-Meyer-Olkin) = {kmo['overall']:.2f}: {_kaiser(kmo['overall'])}", **say)
    b = report["bartlett"]
    if b:
        if "bartlett" in undefined or b["p"] is None:
            console.print(f"Bartlett's test of sphericity: undefined (see the note), df = {b['df']}", **say)
        else:
            chi2 = "inf (singular correlation matrix)" if b["chi2"] is None else f"{b['chi2']:.2f}"
            p = _p(b["p"])
            console.print(f"Bartlett's test of sphericity: chi2 = {chi2}, df = {b['df']}, "
                          f"p {p if p.startswith('<') else '= ' + p}", **say)
    if "efa" in undefined:
        console.print("Factor analysis: undefined (see the note)", **say)
    e = report["efa"]
    if e:
        factors = list(e["variance"])
        title = f"Factor loadings ({e['method']}, rotation {e['rotation'] or 'none'})"
        loadings = Table(title=title)
        loadings.add_column("Item")
        for f in factors:
            loadings.add_column(f, justify="right")
        loadings.add_column("h2", justify="right")
        for item, row in e["loadings"].items():
            loadings.add_row(item, *(_f(row[f]) for f in factors), _f(e["communalities"][item]))
        loadings.add_row("SS loadings", *(_f(e["variance"][f]["ss_loadings"]) for f in factors), "")
        loadings.add_row("Cumulative", *(_f(e["variance"][f]["cumulative"]) for f in factors), "")
        console.print(loadings)
        if not e["converged"]:
            console.print("warning: the factor analysis did not fully converge", style="yellow", **say)


@population_app.command("reliability")
def reliability_command(
    file: Annotated[Path, typer.Argument(metavar="FILE", help="Table with one row per respondent: CSV (, or ;), XLSX or Parquet.",
                                         show_default=False)],
    items: Annotated[list[str], typer.Option("--items", help="The scale's item columns, comma-separated (or repeated).",
                                             show_default=False)],
    reverse: Annotated[list[str] | None, typer.Option("--reverse", help="Negatively keyed items, comma-separated (or repeated).",
                                                      show_default=False)] = None,
    json_output: Annotated[bool, typer.Option("--json", help="Print the result as JSON on stdout.")] = False,
    missing: Annotated[Literal["listwise", "pairwise"], typer.Option(
        help="Rows with a missing item: dropped (listwise) or each covariance from the rows answering both "
             "(pairwise, as R's psych).")] = "listwise",
    weight: Annotated[str | None, typer.Option("--weight", help="Column of survey weights (default: unweighted).")] = None,
    confidence: Annotated[float, typer.Option(min=0.5, max=0.999, help="Level of the confidence interval of alpha.")] = 0.95,
    factors: Annotated[int | None, typer.Option(
        "--factors", min=1, help="Also run an exploratory factor analysis with this many factors.")] = None,
    rotation: Annotated[Literal["oblimin", "varimax", "promax", "none"], typer.Option(
        help="Rotation of the factors.")] = "oblimin",
    method: Annotated[Literal["minres", "ml", "principal"], typer.Option(help="Factoring method.")] = "minres",
) -> None:
    """Cronbach's alpha (Feldt CI), item-total and item-rest correlations, alpha if dropped, KMO and Bartlett.

    Works on any table, not only on a population scored by innexport. Exit code 2 on bad input.
    """
    from innexport.population.reliability import ReliabilityError, reliability_report

    try:
        frame = read_table(file)
        report = reliability_report(
            frame, _names(items), _names(reverse), missing=missing, weights=weight, confidence=confidence,
            n_factors=factors, rotation=None if rotation == "none" else rotation, method=method)
    except TableError as exc:  # its message names the file
        raise fail(str(exc)) from None
    except ReliabilityError as exc:
        raise fail(f"{file}: {exc}") from None
    if json_output:
        typer.echo(json.dumps(report, indent=2, allow_nan=False))
    else:
        _print_reliability(report, file.name)
    for note in report.get("notes", ()):
        err.print(f"[yellow]note:[/] {escape(note)}", highlight=False, soft_wrap=True)


# --------------------------------------------------------------------------------------------
# Import and description of a population
# --------------------------------------------------------------------------------------------


def read_population(path: Path) -> pd.DataFrame:
    """A population table written by ``population import`` (Parquet keeps its types best)."""
    from innexport.population.io import SurveyError, read_survey

    try:
        return read_survey(path).data
    except SurveyError as exc:
        raise TableError(str(exc)) from None


@population_app.command("import")
def import_command(
    survey: Annotated[Path, typer.Argument(
        metavar="SURVEY", help="Survey file: CSV, XLSX, SPSS .sav, Stata .dta, R .rds or Parquet, or a folder "
                               "(a partitioned Parquet dataset).", show_default=False)],
    mapping: Annotated[str, typer.Option("--mapping", help="Built-in mapping name (e.g. endei2) or a mapping YAML file.",
                                         show_default=False)],
    out: Annotated[Path, typer.Option("--out", "-o", help="The population table: .parquet or .csv (written as it goes), "
                                      ".xlsx, .sav or .dta (written whole at the end), or a folder (a partitioned "
                                      "Parquet dataset, one file per batch).", show_default=False)],
    framework: Annotated[str | None, typer.Option(help="Framework id or YAML (default: the one the mapping names).")] = None,
    module: Annotated[list[str] | None, typer.Option(help="Sector module to apply (repeatable).")] = None,
    batch_rows: Annotated[int, typer.Option("--batch-rows", min=1, help="Firms read, scored and written at a time "
                                            "(memory grows with it, not with the survey).")] = 100_000,
    engine: Annotated[Literal["local", "dask"], typer.Option(
        help="local: this process, batch by batch; dask: the partitions of a dataset on a Dask cluster.")] = "local",
    scheduler: Annotated[str | None, typer.Option(
        help="With --engine dask: the address of an existing Dask scheduler (default: a local cluster).")] = None,
) -> None:
    """Read a survey through an instrument mapping: every firm gets its capability scores, IIP, IEP and IIEP.

    The survey is read in batches of rows (an R .rds and an XLSX sheet are read whole first) and
    each batch is scored and written before the next is read. Exit code 2 on bad input.
    """
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    from innexport.core.framework import FrameworkError
    from innexport.files.frameworks import load_framework
    from innexport.population.io import SurveyError
    from innexport.population.mapping import MappingError, load_mapping
    from innexport.population.stream import import_stream

    if scheduler is not None and engine != "dask":
        raise fail("--scheduler goes with --engine dask")
    with Progress(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(), console=err,
                  transient=True) as progress:
        try:
            task = progress.add_task("Loading the mapping", total=None)
            spec = load_mapping(mapping)
            fw = load_framework(framework or spec.framework.id, module or []) if (framework or module) else None
            if engine == "dask":
                try:
                    from innexport.population.engine import import_with_dask
                except ImportError as exc:
                    raise fail(f"--engine dask is not available: {exc} (pip install 'innexport[dask]')") from None
                progress.update(task, description=f"Scoring {survey.name} with Dask")
                import_with_dask(survey, spec, fw, out, scheduler=scheduler)
                console.print(f"wrote {out} (Dask)", highlight=False)
                return
            progress.update(task, description=f"Reading and scoring {survey.name}")

            def advance(firms: int) -> None:
                progress.update(task, description=f"Reading and scoring {survey.name}: {firms:,} firms")

            result = import_stream(survey, spec, out, fw, batch_rows=batch_rows, progress=advance)
        except (SurveyError, MappingError, FrameworkError) as exc:
            raise fail(str(exc)) from None
    console.print(f"wrote {out}: {result.firms:,} firms ({result.weighted:,.0f} weighted), scored with {result.framework}",
                  highlight=False)


@population_app.command("describe")
def describe_command(
    population: Annotated[Path, typer.Argument(metavar="POP", help="A population table (from population import).",
                                               show_default=False)],
    by: Annotated[str | None, typer.Option("--by", help="Group column, e.g. size or sector.")] = None,
    json_output: Annotated[bool, typer.Option("--json", help="Print the result as JSON on stdout.")] = False,
    engine: Annotated[EngineChoice, typer.Option(help=ENGINE_HELP)] = "auto",
) -> None:
    """Weighted and unweighted counts, means and shares of every mapped observable, activity and index.

    POP may be a Parquet dataset (a folder): large ones are computed by DuckDB without loading them.
    """
    from innexport.population import dataset
    from innexport.population.describe import counts, describe

    try:
        if _engine(population, engine) == "duckdb":
            with dataset.ParquetDataset(population) as ds:
                table, sizes = dataset.describe(ds, by=by), dataset.counts(ds, by=by)
        else:
            frame = _population_frame(population)
            table = describe(frame, by=by)
            sizes = counts(frame, by=by)
    except (TableError, KeyError, ValueError) as exc:
        raise fail(str(exc).strip("'\"")) from None
    if json_output:
        typer.echo(json.dumps({"counts": json.loads(sizes.reset_index(names="group").to_json(orient="records")),
                               "variables": json.loads(table.to_json(orient="records"))}, indent=2))
        return
    t = Table(title=f"Firms in {population.name}" + (f" by {by}" if by else ""))
    for col in ("group", *sizes.columns):
        t.add_column(str(col), justify="left" if col == "group" else "right")
    for group, row in sizes.iterrows():
        t.add_row(escape(str(group)), *[f"{v:,.0f}" if "firms" in c else f"{v:.1%}" for c, v in row.items()])
    console.print(t)
    for group, part in table.groupby("group", sort=False):
        t = Table(title=f"{group}: means (weighted) of the observed values")
        for col in ("variable", "n", "weighted n", "mean", "weighted mean"):
            t.add_column(col, justify="left" if col == "variable" else "right")
        for _, r in part.iterrows():
            if r["n"] == 0:
                continue
            t.add_row(r["variable"], f"{r['n']:,}", f"{r['weighted_n']:,.0f}", _f(r["mean"]), _f(r["weighted_mean"]))
        console.print(t)


# --------------------------------------------------------------------------------------------
# Benchmark, map, impact
# --------------------------------------------------------------------------------------------


@population_app.command("benchmark")
def benchmark_command(
    population: Annotated[Path, typer.Argument(metavar="POP", help="A population table (from population import).",
                                               show_default=False)],
    firm: Annotated[str, typer.Option("--firm", help="The firm's id (firm_id column).", show_default=False)],
    by: Annotated[str, typer.Option("--by", help="Peer group columns, comma-separated.")] = "country,sector,size",
    min_group: Annotated[int, typer.Option(min=2, help="Refuse peer groups smaller than this.")] = 30,
    json_output: Annotated[bool, typer.Option("--json", help="Print the result as JSON on stdout.")] = False,
    engine: Annotated[EngineChoice, typer.Option(help=ENGINE_HELP)] = "auto",
) -> None:
    """A firm's weighted percentile on each activity, dimension and index among its peers.

    POP may be a Parquet dataset (a folder): large ones are computed by DuckDB without loading them.
    """
    from innexport.population import dataset
    from innexport.population.benchmark import PeerGroupTooSmall, benchmark

    try:
        if _engine(population, engine) == "duckdb":
            result = dataset.benchmark(population, firm, by=_names([by]), min_group=min_group)
        else:
            frame = _population_frame(population)
            result = benchmark(frame, firm, by=_names([by]), min_group=min_group)
    except (TableError, PeerGroupTooSmall, KeyError, ValueError) as exc:
        raise fail(str(exc).strip("'\"")) from None
    if json_output:
        typer.echo(json.dumps(result.to_dict(), indent=2, default=str))
    else:
        console.print(escape(result.to_text()), highlight=False)


@population_app.command("map")
def map_command(
    population: Annotated[Path, typer.Argument(metavar="POP", help="A population table (from population import).",
                                               show_default=False)],
    out: Annotated[Path, typer.Option("--out", "-o", help="map.svg or map.html", show_default=False)],
    firm: Annotated[str | None, typer.Option("--firm", help="Highlight this firm among the others.")] = None,
    color_by: Annotated[str | None, typer.Option("--color-by", help="Colour the firms by this column (e.g. class.iiep, size) "
                                                                    "or 'typology' for clusters.")] = None,
) -> None:
    """A 2-D map (PCA) of the firms' capability profiles, with the activities as arrows."""
    from innexport.population.ordination import pca_map
    from innexport.population.typology import typology
    from innexport.rendering.maps import map_html, map_svg

    if out.suffix.lower() not in (".svg", ".html"):
        raise fail(f"--out {out}: use a .svg or .html file")
    try:
        frame = read_population(population)
        result = pca_map(frame)
        colour: object = color_by
        if color_by == "typology":
            colour = typology(frame)
        elif color_by is not None and color_by not in frame:
            raise KeyError(f"no column '{color_by}' in the population")
        content = (map_svg if out.suffix.lower() == ".svg" else map_html)(result, highlight_firm=firm, color_by=colour)
    except (TableError, KeyError, ValueError) as exc:
        raise fail(str(exc).strip("'\"")) from None
    out.write_text(content, encoding="utf-8")
    console.print(f"wrote {out}", highlight=False)


@population_app.command("impact")
def impact_command(
    population: Annotated[Path, typer.Argument(metavar="POP", help="A population table (from population import).",
                                               show_default=False)],
    outcome: Annotated[str, typer.Option("--outcome", help="Outcome column: binary (logit) or ordered bands (ordered logit).",
                                         show_default=False)],
    mode: Annotated[Literal["joint", "each"], typer.Option(help="All capabilities in one model, or one at a time.")] = "joint",
    json_output: Annotated[bool, typer.Option("--json", help="Print the result as JSON on stdout.")] = False,
) -> None:
    """The effect of each capability on an outcome: weighted (ordered) logit with robust standard errors."""
    from innexport.population.impact import ImpactError, impact

    try:
        frame = read_population(population)
        result = impact(frame, outcome, mode=mode)
    except (TableError, ImpactError) as exc:
        raise fail(str(exc)) from None
    table = result.table
    if json_output:
        typer.echo(json.dumps({"outcome": outcome, "kind": result.kind, "mode": result.mode,
                               "capabilities": json.loads(table.reset_index(names="capability").to_json(orient="records"))},
                              indent=2))
        return
    t = Table(title=f"Impact on {outcome} ({result.kind}, {result.mode}; robust SE)")
    for col in ("capability", "coef", "95% CI", "odds ratio", "p", "+0.1 → Δ prob.", "n"):
        t.add_column(col, justify="left" if col == "capability" else "right")
    for name, r in table.sort_values("coef", ascending=False).iterrows():
        t.add_row(str(name), _f(r["coef"]), f"[{_f(r['ci_low'])}, {_f(r['ci_high'])}]", _f(r["odds_ratio"]),
                  _p(r["p"]), f"{r['ame']:+.3f}", f"{int(r['n']):,}")
    console.print(t)


@population_app.command("report")
def report_command(
    population: Annotated[Path, typer.Argument(metavar="POP", help="A population table (from population import).",
                                               show_default=False)],
    out: Annotated[Path, typer.Option("--out", "-o", help="analysis.html", show_default=False)],
    title: Annotated[str | None, typer.Option(help="Title of the report (default: the file's name).")] = None,
    engine: Annotated[EngineChoice, typer.Option(help=ENGINE_HELP)] = "auto",
) -> None:
    """An HTML analysis report: classes, index means by group with CIs, map, typology, impact of each capability.

    POP may be a Parquet dataset (a folder); from a large one only the columns the report uses are
    read (every column but the obs.* answers).
    """
    from innexport.population import dataset
    from innexport.population.frame import OBS
    from innexport.rendering.population_report import render_html

    if out.suffix.lower() != ".html":
        raise fail(f"--out {out}: the analysis report is an .html file")
    try:
        if _engine(population, engine) == "duckdb":
            frame = dataset.read_frame(population, exclude_prefixes=(OBS,))
        else:
            frame = _population_frame(population)
        with err.status("Analysing the population"):
            html = render_html(frame, title or population.stem)
    except (TableError, ValueError) as exc:
        raise fail(str(exc)) from None
    out.write_text(html, encoding="utf-8")
    console.print(f"wrote {out}", highlight=False)


@population_app.command("leverage")
def leverage_command(
    population: Annotated[Path, typer.Argument(metavar="POP", help="A population table (from population import).",
                                               show_default=False)],
    innovation: Annotated[str, typer.Option("--innovation", help="Innovation outcome column (e.g. innovates).",
                                            show_default=False)],
    export: Annotated[str, typer.Option("--export", help="Export outcome column (e.g. exports or an export band).",
                                        show_default=False)],
    out: Annotated[Path, typer.Option("--out", "-o", help="leverage.json, for `innexport diagnose --leverage`.",
                                      show_default=False)],
    framework: Annotated[str, typer.Option(help="Framework whose activities the leverage is for.")] = "iiep",
    module: Annotated[list[str] | None, typer.Option(help="Sector module (repeatable).")] = None,
) -> None:
    """An impact-based leverage for the priorities: each activity's estimated effect on innovation and on export.

    An option: by default the priorities' leverage is an activity's weight in IIP plus its weight in
    IEP. Activities that the population does not inform, or whose effect is not positive and
    significant, get no leverage.
    """
    from innexport.core.framework import FrameworkError
    from innexport.core.scoring import ScoringModel
    from innexport.files.frameworks import load_framework
    from innexport.population.impact import ImpactError, impact, impact_leverage

    try:
        fw = load_framework(framework, module or [])
        frame = read_population(population)
        with err.status("Fitting the impact models"):
            inn, exp = impact(frame, innovation), impact(frame, export)
        ids = ScoringModel.from_framework(fw).activity_ids
        lev = impact_leverage(inn, exp, ids, missing="zero")
    except (TableError, ImpactError, FrameworkError) as exc:
        raise fail(str(exc)) from None
    doc = {"framework": fw.label, "content_hash": fw.content_hash, "population": population.name,
           "innovation_outcome": innovation, "export_outcome": export,
           "leverage": {a: round(float(v), 6) for a, v in zip(ids, lev, strict=True)}}
    out.write_text(json.dumps(doc, indent=2), encoding="utf-8")
    console.print(f"wrote {out}: leverage of {sum(v > 0 for v in lev)} of {len(ids)} activities from "
                  f"{innovation} and {export}", highlight=False)
