"""``innexport population …``: import a survey, describe, compare, benchmark, map, impact, report, leverage.

What the population command modules share (the group, reading tables, formatting) is
:mod:`innexport.cli._population`. ``describe``, ``compare`` and ``impact`` take a survey design
(``--weight``, ``--strata``, ``--psu``, ``--fpc``, ``--lonely-psu``), read by
:meth:`innexport.population.design.SurveyDesign.from_frame`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal

import typer
from rich.markup import escape
from rich.table import Table

from innexport.cli._common import console, err, fail
from innexport.cli._population import (
    ENGINE_HELP,
    EngineChoice,
    FpcOption,
    LonelyOption,
    PsuOption,
    StrataOption,
    TableError,
    WeightOption,
    design_of,
    engine_of,
    fmt,
    fmt_p,
    group_spellings,
    names,
    population_app,
    population_frame,
    read_population,
)

if TYPE_CHECKING:
    import pandas as pd

def _match_groups(frame: pd.DataFrame, by: str, wanted: list[str], option: str) -> list[Any]:
    """The values of column ``by`` named by ``wanted`` (as written on the command line), in that order."""
    return _pick(list(frame[by].dropna().unique()), by, wanted, option)


def _pick(present: list[Any], by: str, wanted: list[str], option: str) -> list[Any]:
    """The values among ``present`` that ``wanted`` names, in that order; an unknown name is refused (exit 2)."""
    from innexport.population.items import value_label

    spelled = group_spellings(present)
    unknown = [g for g in wanted if g not in spelled]
    if unknown:
        shown_ = sorted({value_label(v) for v in present})
        shown = ", ".join(shown_[:20]) + (" …" if len(shown_) > 20 else "")
        raise fail(f"{option}: no group {', '.join(map(repr, unknown))} in column '{by}' (groups: {shown})")
    return [spelled[g] for g in wanted]

# --------------------------------------------------------------------------------------------
# Import and description of a population
# --------------------------------------------------------------------------------------------


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
    groups: Annotated[list[str] | None, typer.Option(
        "--groups", help="With --by: only these groups, in this order (A,B,… or repeated).", show_default=False)] = None,
    json_output: Annotated[bool, typer.Option("--json", help="Print the result as JSON on stdout.")] = False,
    engine: Annotated[EngineChoice, typer.Option(help=ENGINE_HELP)] = "auto",
    weight: WeightOption = None,
    strata: StrataOption = None,
    psu: PsuOption = None,
    fpc: FpcOption = None,
    lonely_psu: LonelyOption = "fail",
) -> None:
    """Weighted and unweighted counts, means and shares of every mapped observable, activity and index.

    With a survey design (--strata, --psu, --fpc) each weighted mean and total has its design-based
    standard error and the mean its 95 % interval (Taylor linearisation, as R's survey package; groups
    are domains of the whole design). POP may be a Parquet dataset (a folder): large ones are computed
    by DuckDB without loading them (without a design or --weight).
    """
    from innexport.population import dataset
    from innexport.population.describe import counts, describe

    wanted = names(groups)
    if wanted and by is None:
        raise fail("--groups goes with --by")
    designed = any(v is not None for v in (weight, strata, psu, fpc))
    try:
        chosen = engine_of(population, engine)
        if chosen == "duckdb" and designed:
            if engine == "duckdb":
                raise fail("--weight, --strata, --psu and --fpc need the pandas engine (--engine pandas)")
            chosen = "pandas"
        design = None
        if chosen == "duckdb":
            with dataset.ParquetDataset(population) as ds:
                table, sizes = dataset.describe(ds, by=by), dataset.counts(ds, by=by)
            if wanted and by is not None:
                chosen_sizes = _pick(list(sizes.index), by, wanted, "--groups")
                keep = ["all", *(str(g) for g in chosen_sizes)]
                rank = {g: i for i, g in enumerate(keep)}
                table = table[table["group"].isin(keep)].sort_values("group", key=lambda s: s.map(rank), kind="stable")
                sizes = sizes.loc[chosen_sizes]
        else:
            frame = population_frame(population)
            chosen_groups = _match_groups(frame, by, wanted, "--groups") if wanted and by is not None else None
            design = design_of(frame, weight, strata, psu, fpc, lonely_psu)
            weights: bool | str = weight if weight is not None and design is None else True
            table = describe(frame, by=by, groups=chosen_groups, weights=weights, design=design)
            sizes = counts(frame, by=by, groups=chosen_groups, weights=weights, design=design)
    except (TableError, KeyError, ValueError) as exc:
        raise fail(str(exc).strip("'\"")) from None
    if json_output:
        doc: dict[str, object] = {
            "counts": json.loads(sizes.reset_index(names="group").to_json(orient="records")),
            "variables": json.loads(table.to_json(orient="records"))}
        if design is not None:
            doc["design"] = design.to_dict()
        typer.echo(json.dumps(doc, indent=2))
        return
    t = Table(title=f"Firms in {population.name}" + (f" by {by}" if by else ""))
    for col in ("group", *sizes.columns):
        t.add_column(str(col), justify="left" if col == "group" else "right")
    for group, row in sizes.iterrows():
        t.add_row(escape(str(group)), *[f"{v:,.0f}" if "firms" in c else f"{v:.1%}" for c, v in row.items()])
    console.print(t)
    if design is not None:
        console.print(f"Survey design: {escape(design.describe())}", highlight=False)
    for group, part in table.groupby("group", sort=False):
        t = Table(title=f"{escape(str(group))}: means (weighted) of the observed values")
        heads = ["variable", "n", "weighted n", "mean", "weighted mean"]
        if design is not None:
            heads += ["SE", "95% CI", "weighted total (SE)"]
        for col in heads:
            t.add_column(col, justify="left" if col == "variable" else "right")
        for _, r in part.iterrows():
            if r["n"] == 0:
                continue
            cells = [r["variable"], f"{r['n']:,}", f"{r['weighted_n']:,.0f}", fmt(r["mean"]), fmt(r["weighted_mean"])]
            if design is not None:
                cells += [fmt(r["se"], 3), f"[{fmt(r['ci_low'])}, {fmt(r['ci_high'])}]",
                          f"{r['total']:,.1f} ({r['total_se']:,.1f})"]
            t.add_row(*cells)
        console.print(t)


# --------------------------------------------------------------------------------------------
# Comparison of groups
# --------------------------------------------------------------------------------------------


@population_app.command("compare")
def compare_command(
    population: Annotated[Path, typer.Argument(metavar="POP", help="A population table (from population import), "
                                               "or any table with one row per respondent.", show_default=False)],
    by: Annotated[str, typer.Option("--by", help="Group column, e.g. country, sector or size.", show_default=False)],
    groups: Annotated[list[str] | None, typer.Option(
        "--groups", help="Only these groups, in this order (A,B,… or repeated).", show_default=False)] = None,
    columns: Annotated[list[str] | None, typer.Option(
        "--columns", help="Columns compared (A,B,… or repeated; default: the indices iip, iep, iiep).",
        show_default=False)] = None,
    reference: Annotated[str | None, typer.Option(
        "--reference", help="The group every other group is compared with (default: each group against the rest).",
        show_default=False)] = None,
    confidence: Annotated[float, typer.Option(min=0.5, max=0.999, help="Level of the intervals.")] = 0.95,
    json_output: Annotated[bool, typer.Option("--json", help="Print the result as JSON on stdout.")] = False,
    weight: WeightOption = None,
    strata: StrataOption = None,
    psu: PsuOption = None,
    fpc: FpcOption = None,
    lonely_psu: LonelyOption = "fail",
) -> None:
    """Group means with confidence intervals, differences to a reference group, effect sizes and tests.

    Per group and column: the weighted mean and its interval, the difference to the reference (or to
    the rest of the table) with its interval and p-value, Hedges' g and Welch's test. With a survey
    design (--strata, --psu, --fpc) means and differences are design-based: groups are domains of the
    whole design and a difference's variance counts the covariance of the two groups (R's svyby and
    svycontrast). Exit code 2 on bad input (unknown column or group, lonely PSU, fpc smaller than the
    sample, weights not positive…).
    """
    from innexport.core.framework import INDICES
    from innexport.population.compare import compare_groups

    try:
        frame = read_population(population)
    except TableError as exc:
        raise fail(str(exc)) from None
    cols = names(columns) or [i for i in INDICES if i in frame.columns]
    if not cols:
        raise fail("no column to compare: give --columns (the table has no iip, iep nor iiep)")
    unknown = [c for c in [by, *cols] if c not in frame.columns]
    if unknown:
        option = "--by" if unknown[0] == by else "--columns"
        raise fail(f"{option}: no column {', '.join(map(repr, unknown))} in {population.name}")
    not_numeric = [c for c in cols if not _numeric_column(frame[c])]
    if not_numeric:
        raise fail(f"--columns: {', '.join(map(repr, not_numeric))} not numeric in {population.name}")
    chosen = _match_groups(frame, by, names(groups), "--groups") if groups else None
    ref = _match_groups(frame, by, [reference], "--reference")[0] if reference is not None else None
    design = design_of(frame, weight, strata, psu, fpc, lonely_psu)
    try:
        out = compare_groups(frame, by, cols, weights=weight if weight is not None and design is None else True,
                             confidence=confidence, reference=ref, groups=chosen, design=design)
    except (KeyError, ValueError) as exc:
        raise fail(str(exc).strip("'\"")) from None
    level = f"{confidence:.0%}"
    if json_output:
        doc: dict[str, object] = {"by": by, "reference": str(out.attrs["reference"]), "confidence": confidence,
                                  "rows": json.loads(out.astype({"group": str, "reference": str})
                                                     .to_json(orient="records"))}
        if design is not None:
            doc["design"] = design.to_dict()
        typer.echo(json.dumps(doc, indent=2))
        return
    if design is not None:
        console.print(f"Survey design: {escape(design.describe())}", highlight=False)
    for col, part in out.groupby("column", sort=False):
        t = Table(title=f"{escape(str(col))} by {escape(by)}: means and differences to "
                        f"{escape(str(out.attrs['reference']))} ({level} intervals)")
        for head in ("group", "n", "mean", f"{level} CI", "difference", f"{level} CI ", "p", "Hedges' g"):
            t.add_column(head, justify="left" if head == "group" else "right")
        for _, r in part.iterrows():
            compared = r["diff"] == r["diff"]
            t.add_row(escape(str(r["group"])), f"{int(r['n']):,}", fmt(r["mean"], 3),
                      f"[{fmt(r['ci_low'], 3)}, {fmt(r['ci_high'], 3)}]",
                      f"{r['diff']:+.3f}" if compared else "reference",
                      f"[{fmt(r['diff_low'], 3)}, {fmt(r['diff_high'], 3)}]" if compared else "",
                      fmt_p(r["p_diff"]) if compared and r["p_diff"] == r["p_diff"] else "",
                      fmt(r["g"]) if compared and r["g"] == r["g"] else "")
        console.print(t)


def _numeric_column(column: pd.Series) -> bool:
    import pandas as pd

    return bool(pd.api.types.is_numeric_dtype(column))


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
        if engine_of(population, engine) == "duckdb":
            result = dataset.benchmark(population, firm, by=names([by]), min_group=min_group)
        else:
            frame = population_frame(population)
            result = benchmark(frame, firm, by=names([by]), min_group=min_group)
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
    weight: WeightOption = None,
    strata: StrataOption = None,
    psu: PsuOption = None,
    fpc: FpcOption = None,
    lonely_psu: LonelyOption = "fail",
) -> None:
    """The effect of each capability on an outcome: weighted (ordered) logit with robust standard errors.

    With a survey design (--strata, --psu, --fpc) the standard errors are design-based, as R's svyglm:
    the weighted scores' total linearised over strata and PSUs, with the fpc.
    """
    from innexport.population.impact import ImpactError, impact

    try:
        frame = read_population(population)
    except TableError as exc:
        raise fail(str(exc)) from None
    design = design_of(frame, weight, strata, psu, fpc, lonely_psu)
    try:
        result = impact(frame, outcome, mode=mode, weights=weight if weight is not None and design is None else True,
                        design=design)
    except ImpactError as exc:
        raise fail(str(exc)) from None
    table = result.table
    if json_output:
        doc: dict[str, object] = {
            "outcome": outcome, "kind": result.kind, "mode": result.mode, "cov_type": result.cov_type,
            "capabilities": json.loads(table.reset_index(names="capability").to_json(orient="records"))}
        if design is not None:
            doc["design"] = design.to_dict()
        typer.echo(json.dumps(doc, indent=2))
        return
    se_kind = f"design-based SE: {escape(result.design or '')}" if result.cov_type == "design" else "robust SE"
    t = Table(title=f"Impact on {outcome} ({result.kind}, {result.mode}; {se_kind})")
    for col in ("capability", "coef", "95% CI", "odds ratio", "p", "+0.1 → Δ prob.", "n"):
        t.add_column(col, justify="left" if col == "capability" else "right")
    for name, r in table.sort_values("coef", ascending=False).iterrows():
        t.add_row(str(name), fmt(r["coef"]), f"[{fmt(r['ci_low'])}, {fmt(r['ci_high'])}]", fmt(r["odds_ratio"]),
                  fmt_p(r["p"]), f"{r['ame']:+.3f}", f"{int(r['n']):,}")
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
        if engine_of(population, engine) == "duckdb":
            frame = dataset.read_frame(population, exclude_prefixes=(OBS,))
        else:
            frame = population_frame(population)
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
