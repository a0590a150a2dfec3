"""``innexport population reliability``: Cronbach's alpha, item statistics, KMO, Bartlett and EFA of a scale.

Works on any table with one row per respondent, not only on a population scored by innexport, or on a
long table with one row per answer (``--long ID,ITEM,VALUE``: :func:`innexport.population.items.long_to_wide`).
With ``--by`` the groups are side by side (:func:`innexport.population.groups.grouped_reliability`): one
column per group in the scale table, two (r rest, alpha if dropped) in the item table, a ``groups`` list
in ``--json``. Refusals exit with code 2 and name the file and the place.
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
        loadings = _loadings(e, f"Factor loadings ({e['method']}, rotation {e['rotation'] or 'none'})")
        factors = list(e["variance"])
        loadings.add_row("SS loadings", *(fmt(e["variance"][f]["ss_loadings"]) for f in factors), "")
        loadings.add_row("Cumulative", *(fmt(e["variance"][f]["cumulative"]) for f in factors), "")
        console.print(loadings)
        if not e["converged"]:
            console.print("warning: the factor analysis did not fully converge", style="yellow", **say)


def _loadings(efa: dict[str, Any], title: str, caption: str | None = None) -> Table:
    """The factor loadings and communalities of an EFA report as a table."""
    factors = list(efa["variance"])
    table = Table(title=title, caption=caption)
    table.add_column("Item")
    for f in factors:
        table.add_column(f, justify="right")
    table.add_column("h2", justify="right")
    for item, row in efa["loadings"].items():
        table.add_row(item, *(fmt(row[f]) for f in factors), fmt(efa["communalities"][item]))
    return table


def _print_grouped(result: dict[str, Any], source: str) -> None:
    """The groups side by side: one column per group for the scale, two per group for the items."""
    say: dict[str, Any] = {"markup": False, "highlight": False}
    groups = result["groups"]
    console.print(f"Reliability of {', '.join(result['items'])} by {result['by']} ({source})", style="bold", **say)
    left_out = []
    unit = result["unit"]

    def count(n: int) -> str:
        return f"{n} {unit}" if n == 1 else f"{n} {unit}s"

    if result["missing_group"]:
        left_out.append(f"{count(result['missing_group'])} without a value of {result['by']}")
    if result["not_selected"]:
        left_out.append(f"{count(result['not_selected'])} in other groups")
    if left_out:
        console.print("Left out: " + "; ".join(left_out), **say)
    scale = Table(title="Scale", caption="n analysed: (effective n if weighted); alpha: Cronbach's (raw) with its "
                  "Feldt interval; — : no figure (see below)")
    scale.add_column(result["by"])
    for g in groups:
        scale.add_column(g["group"], justify="right")

    def row(label: str, value: Any) -> None:
        scale.add_row(label, *(value(g) if g["error"] is None else "—" for g in groups))

    def alpha_ci(g: dict[str, Any]) -> str:
        a = g["alpha"]
        return f"{fmt(a['alpha'], 3)} [{fmt(a['ci']['low'], 3)}, {fmt(a['ci']['high'], 3)}]"

    def bartlett_p(g: dict[str, Any]) -> str:
        return "—" if g["bartlett"] is None else fmt_p(g["bartlett"]["p"])

    def n_cases(g: dict[str, Any]) -> str:
        a = g["alpha"]
        return str(a["n_cases"]) if abs(a["n_effective"] - a["n_cases"]) <= 1e-9 else f"{a['n_cases']} ({a['n_effective']:.1f})"

    scale.add_row(f"{unit}s", *(str(g["n_rows"]) for g in groups))
    row("n analysed", n_cases)
    confidence = next(g["alpha"]["ci"]["confidence"] for g in groups if g["error"] is None)
    row(f"alpha [{confidence:.0%} CI]", alpha_ci)
    row("std alpha", lambda g: fmt(g["alpha"]["std_alpha"], 3))
    row("average r", lambda g: fmt(g["alpha"]["average_r"], 3))
    row("score mean", lambda g: fmt(g["alpha"]["mean"]))
    row("score SD", lambda g: fmt(g["alpha"]["sd"]))
    row("KMO", lambda g: "—" if g["kmo"] is None else fmt(g["kmo"]["overall"]))
    row("Bartlett p", bartlett_p)
    console.print(scale)

    analysed = [g for g in groups if g["error"] is None]
    items = Table(title="Items", caption="r rest: with the other items; α drop: alpha without the item; - : reversed")
    items.add_column("Item")
    for g in analysed:
        items.add_column(f"{g['group']} r rest", justify="right")
        items.add_column(f"{g['group']} α drop", justify="right")
    reversed_ = set(result["reversed"])
    for item in result["items"]:
        cells = [(fmt(g["item_statistics"][item]["r_rest"]), fmt(g["item_statistics"][item]["alpha_if_dropped"], 3))
                 for g in analysed]
        items.add_row(f"{item}-" if item in reversed_ else item, *(c for pair in cells for c in pair))
    console.print(items)
    for g in groups:
        if g["error"] is not None:
            console.print(f"{result['by']} {g['group']}: no figure ({g['error']})", **say)
    for g in analysed:
        e = g["efa"]
        if e:
            console.print(_loadings(e, f"{result['by']} {g['group']}: factor loadings",
                                    f"{e['method']}, rotation {e['rotation'] or 'none'}"))


def _long_columns(value: str) -> tuple[str, str, str]:
    """``ID,ITEM,VALUE`` of --long."""
    parts = names([value])
    if len(parts) != 3:
        raise typer.BadParameter(f"expected three column names ID,ITEM,VALUE, got {value!r}", param_hint="--long")
    return parts[0], parts[1], parts[2]


@population_app.command("reliability")
def reliability_command(
    file: Annotated[Path, typer.Argument(metavar="FILE", help="Table with one row per respondent (or per answer, with "
                                         "--long): CSV (, or ;), XLSX or Parquet.", show_default=False)],
    items: Annotated[list[str] | None, typer.Option(
        "--items", help="The scale's item columns, comma-separated (or repeated); with --long, item names "
                        "(default: every item of the long table).", show_default=False)] = None,
    reverse: Annotated[list[str] | None, typer.Option("--reverse", help="Negatively keyed items, comma-separated (or repeated).",
                                                      show_default=False)] = None,
    by: Annotated[str | None, typer.Option("--by", help="Group column: the analysis of each group side by side.",
                                           show_default=False)] = None,
    groups: Annotated[list[str] | None, typer.Option(
        "--groups", help="With --by: the groups to report, in this order, comma-separated (default: all, sorted).",
        show_default=False)] = None,
    long: Annotated[str | None, typer.Option(
        "--long", metavar="ID,ITEM,VALUE", help="The table is long (one row per answer): its respondent id, item "
        "name and value columns; pivoted to one row per respondent.", show_default=False)] = None,
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

    Any table: one row per respondent, or per answer (--long); each group side by side (--by).

    Exit code 2 on bad input.
    """
    from innexport.population.groups import grouped_reliability
    from innexport.population.items import ReliabilityError, long_to_wide
    from innexport.population.reliability import reliability_report

    long_columns = _long_columns(long) if long is not None else None
    if groups and by is None:
        raise fail("--groups needs --by (the column whose groups they are)")
    if long_columns is None and not names(items):
        raise fail("--items is needed: the scale's item columns, comma-separated")
    try:
        frame = read_table(file)
        long_info: dict[str, Any] | None = None
        if long_columns is not None:
            keep = [c for c in (by, weight) if c is not None]
            wide = long_to_wide(frame, *long_columns, keep=keep)
            frame = wide.frame
            id_column, item_column, value_column = long_columns
            long_info = {"id": id_column, "item": item_column, "value": value_column, "rows": wide.n_rows,
                         "respondents": wide.n_respondents, "items": list(wide.items)}
        chosen = names(items) or list(long_info["items"] if long_info else [])
        settings: dict[str, Any] = {
            "missing": missing, "weights": weight, "confidence": confidence, "n_factors": factors,
            "rotation": None if rotation == "none" else rotation, "method": method}
        if by is not None:
            report = grouped_reliability(frame, chosen, by, names(groups) or None, names(reverse),
                                         unit="row" if long_info is None else "respondent", **settings)
        else:
            report = reliability_report(frame, chosen, names(reverse), **settings)
    except TableError as exc:  # its message names the file
        raise fail(str(exc)) from None
    except ReliabilityError as exc:
        raise fail(f"{file}: {exc}") from None
    if long_info is not None:
        report["long"] = long_info
    if json_output:
        typer.echo(json.dumps(report, indent=2, allow_nan=False))
    elif by is not None:
        _print_grouped(report, file.name)
    else:
        _print_reliability(report, file.name)
    for note in report.get("notes", ()):
        err.print(f"[yellow]note:[/] {escape(note)}", highlight=False, soft_wrap=True)
    for g in report.get("groups", ()):
        for note in g.get("notes") or ():
            err.print(f"[yellow]note:[/] {escape(by or '')} {escape(g['group'])}: {escape(note)}", highlight=False,
                      soft_wrap=True)
