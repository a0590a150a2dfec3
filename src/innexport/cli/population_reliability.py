"""``innexport population reliability``: Cronbach's alpha, item statistics, KMO, Bartlett and EFA of a scale.

Works on any table with one row per respondent, not only on a population scored by innexport.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any, Literal

import typer
from rich.markup import escape
from rich.table import Table

from innexport.cli._common import console, err, fail
from innexport.cli._population import TableError, fmt, fmt_p, names, population_app, read_table


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
        f"Cronbach's alpha = {fmt(a['alpha'], 3)}, {ci['confidence']:.0%} CI [{fmt(ci['low'], 3)}, {fmt(ci['high'], 3)}] "
        f"(Feldt); standardized alpha = {fmt(a['std_alpha'], 3)}; average r = {fmt(a['average_r'], 3)}", **say)
    console.print(f"Scale score (mean of the items): mean = {fmt(a['mean'])}, sd = {fmt(a['sd'])}", **say)

    kmo = report["kmo"]
    table = Table(title="Items", caption="r total: with the scale score; r rest: with the other items; "
                  "alpha drop: alpha without the item (raw, standardized); MSA: KMO of the item; - : reversed")
    for name in ("Item", "n", "Mean", "SD", "r total", "r rest", "alpha drop", "std drop", "MSA"):
        table.add_column(name, justify="left" if name == "Item" else "right")
    for item, s in report["item_statistics"].items():
        table.add_row(
            f"{item}-" if s["reversed"] else item, str(s["n"]), fmt(s["mean"]), fmt(s["sd"]),
            fmt(s["r_total"]), fmt(s["r_rest"]), fmt(s["alpha_if_dropped"], 3), fmt(s["std_alpha_if_dropped"], 3),
            fmt(kmo["items"][item]) if kmo else "—")
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
            p = fmt_p(b["p"])
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
            loadings.add_row(item, *(fmt(row[f]) for f in factors), fmt(e["communalities"][item]))
        loadings.add_row("SS loadings", *(fmt(e["variance"][f]["ss_loadings"]) for f in factors), "")
        loadings.add_row("Cumulative", *(fmt(e["variance"][f]["cumulative"]) for f in factors), "")
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
            frame, names(items), names(reverse), missing=missing, weights=weight, confidence=confidence,
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
