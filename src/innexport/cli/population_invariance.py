"""``innexport population invariance``: whether a scale measures the same thing in each group.

Fits the configural, metric and scalar multi-group factor models of
:func:`innexport.population.invariance.measurement_invariance` (lavaan's defaults, maximum
likelihood), prints each model's chi-square, CFI, TLI, RMSEA and SRMR, the changes between levels
judged by Chen's (2007) and Cheung & Rensvold's (2002) cut-offs and the chi-square difference test,
and the items whose loading or intercept breaks invariance (partial invariance). Works on any table
with one row per respondent; on a population table written by ``population import``, the factors
default to the framework's dimensions over their activity scores.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal

import typer
from rich import box
from rich.markup import escape
from rich.table import Table

from innexport.cli._common import console, err, fail
from innexport.cli._population import TableError, fmt, fmt_p, names, population_app, population_frame, read_table

if TYPE_CHECKING:
    import pandas as pd

_LABELS = {"configural": "Configural", "metric": "Metric", "scalar": "Scalar",
           "partial_metric": "Partial metric", "partial_scalar": "Partial scalar"}


def parse_factors(values: list[str] | None) -> dict[str, list[str]]:
    """``--factor NAME=ITEM,ITEM,…`` options as a dict; ValueError naming the option that is not one.

    >>> parse_factors(["visual=x1,x2, x3", "speed=x7,x8"])
    {'visual': ['x1', 'x2', 'x3'], 'speed': ['x7', 'x8']}
    """
    out: dict[str, list[str]] = {}
    for value in values or []:
        name, sep, items = value.partition("=")
        members = [item.strip() for item in items.split(",") if item.strip()]
        if not sep or not name.strip() or not members:
            raise ValueError(f"--factor {value}: write NAME=ITEM,ITEM,…")
        if name.strip() in out:
            raise ValueError(f"--factor {name.strip()}: given twice")
        out[name.strip()] = members
    return out


def _frame(file: Path) -> pd.DataFrame:
    return population_frame(file) if file.is_dir() else read_table(file)


def _print(report: dict[str, Any], source: str) -> None:
    say: dict[str, Any] = {"markup": False, "highlight": False}
    groups = ", ".join(f"{g} ({n})" for g, n in report["groups"].items())
    console.print(f"Measurement invariance across {report['by']} ({source})", style="bold", **say)
    console.print(f"Groups: {groups}; the first is the reference", **say)
    for factor, items in report["factors"].items():
        console.print(f"  {factor} =~ {' + '.join(items)}", **say)

    table = Table(title="Models (maximum likelihood)", caption="p: of the chi-square test; SRMR with the means",
                  box=box.SIMPLE_HEAD, pad_edge=False, padding=(0, 1), collapse_padding=True)
    for column in ("Model", "Chi2", "df", "p", "CFI", "TLI", "RMSEA", "90% CI", "SRMR"):
        table.add_column(column, justify="left" if column == "Model" else "right", no_wrap=column != "Model")
    for name, fit in report["fits"].items():
        ci = fit["rmsea_ci"]
        interval = f"{fmt(ci['low'], 3)}-{fmt(ci['high'], 3)}" if ci["low"] is not None else "—"
        table.add_row(_LABELS.get(name, name), fmt(fit["chi2"], 3), str(fit["df"]), fmt_p(fit["p"]), fmt(fit["cfi"], 3),
                      fmt(fit["tli"], 3), fmt(fit["rmsea"], 3), interval, fmt(fit["srmr"], 3))
    console.print(table)

    cut = report["cutoffs"]
    console.print("Changes between levels", style="bold", **say)
    for c in report["comparisons"]:
        p = fmt_p(c["p"])
        verdicts = ", ".join(f"{'holds' if c['holds'][k] else 'fails'} by {label}"
                             for k, label in (("chen", "Chen"), ("cfi", "ΔCFI"), ("chi2", "chi2 test")))
        console.print(
            f"  {_LABELS.get(c['model'], c['model'])} vs {_LABELS.get(c['against'], c['against']).lower()}: "
            f"Δchi2 = {fmt(c['d_chi2'], 3)}, Δdf = {c['d_df']}, p {p if p.startswith('<') else '= ' + p}; "
            f"ΔCFI = {fmt(c['d_cfi'], 3)}, ΔRMSEA = {fmt(c['d_rmsea'], 3)}, ΔSRMR = {fmt(c['d_srmr'], 3)}: {verdicts}",
            **say)
    console.print(f"  Chen (2007): not invariant when ΔCFI ≤ {cut['cfi_drop']} with ΔRMSEA ≥ {cut['rmsea_rise']} or "
                  f"ΔSRMR ≥ {cut['srmr_rise']['metric']} (loadings), {cut['srmr_rise']['scalar']} (intercepts); "
                  f"Cheung & Rensvold (2002): ΔCFI ≤ {cut['cfi_drop']}; chi-square difference test at {cut['alpha']}.",
                  style="dim", **say)
    for level, freed in report["partial"].items():
        if freed:
            listed = ", ".join(f"{f['item']} ({f['parameter']}, Δchi2 {f['chi2_drop']:.2f})" for f in freed)
            console.print(f"Partial {level} invariance: freed {listed}", **say)
        else:
            console.print(f"Partial {level} invariance: no constraint needed freeing", **say)
    console.print(f"Conclusion ({report['criterion']} criterion): {report['conclusion']} invariance", style="bold", **say)


@population_app.command("invariance")
def invariance_command(
    file: Annotated[Path, typer.Argument(metavar="FILE", help="Table with one row per respondent: CSV (, or ;), XLSX, "
                                         "SPSS, Stata, R or Parquet (a file or a folder of Parquet files).",
                                         show_default=False)],
    by: Annotated[str, typer.Option("--by", help="The column whose values are the groups (country, language, sector…).",
                                    show_default=False)],
    items: Annotated[list[str] | None, typer.Option(
        "--items", help="The scale's item columns, comma-separated (or repeated). Default: the items of --factor, or "
                        "a population table's activity scores.", show_default=False)] = None,
    groups: Annotated[list[str] | None, typer.Option(
        "--groups", help="The groups to compare, comma-separated (or repeated), the first being the reference "
                         "(default: every value of --by, sorted).", show_default=False)] = None,
    factor: Annotated[list[str] | None, typer.Option(
        "--factor", help="A factor as NAME=ITEM,ITEM,… (repeatable; its first item is its marker). Default: one factor "
                         "over --items, or the framework's dimensions for a table written by `population import`.",
        show_default=False)] = None,
    criterion: Annotated[Literal["chen", "cfi", "chi2"], typer.Option(
        "--criterion", help="When a level holds (and the partial-invariance search stops): chen (Chen 2007), cfi "
                            "(ΔCFI > -0.01, Cheung & Rensvold 2002) or chi2 (the difference test at 0.05).")] = "chen",
    json_output: Annotated[bool, typer.Option("--json", help="Print the result as JSON on stdout.")] = False,
) -> None:
    """Configural, metric and scalar invariance of a scale across groups, and the items that break it.

    Multi-group confirmatory factor analysis by maximum likelihood, as lavaan.
    Exit code 2 on bad input: unknown items or groups, a constant item in a group, too few cases, no convergence.
    """
    from innexport.population.invariance import InvarianceError, dimension_factors, measurement_invariance

    try:
        factors = parse_factors(factor)
    except ValueError as exc:
        raise fail(str(exc)) from None
    item_names = names(items)
    try:
        frame = _frame(file)
    except TableError as exc:  # its message names the file
        raise fail(str(exc)) from None
    notes: list[str] = []
    if not factors:
        dimensions = dimension_factors(frame, item_names or None)
        covered = {item for members in (dimensions or {}).values() for item in members}
        if dimensions and (not item_names or covered == set(item_names)):
            factors = dimensions
            notes.append("factors: the framework's dimensions over their activity scores ("
                         + "; ".join(f"{d}: {len(m)}" for d, m in dimensions.items()) + ")")
        elif not item_names:
            raise fail("give the scale's items (--items) or its factors (--factor)")
    try:
        result = measurement_invariance(frame, item_names, by, names(groups) or None, factors or None, criterion)
    except InvarianceError as exc:
        raise fail(f"{file}: {exc}") from None
    report = result.to_dict()
    report["notes"] = notes + report["notes"]
    if json_output:
        typer.echo(json.dumps(report, indent=2, allow_nan=False, ensure_ascii=False))
    else:
        _print(report, file.name)
    for note in report["notes"]:
        err.print(f"[yellow]note:[/] {escape(note)}", highlight=False, soft_wrap=True)
