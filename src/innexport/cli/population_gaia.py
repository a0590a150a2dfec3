"""``innexport population gaia``: PROMETHEE II ranking and GAIA plane of a population's firms.

The criteria are the framework's dimensions the population informs, with the framework's weights
(:func:`innexport.population.gaia.population_gaia`); the preference function and its thresholds
are the ones of :mod:`innexport.core.promethee`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from innexport.cli._common import choice_option, console, err, fail, write_atomic
from innexport.cli._population import TableError, fmt, names, population_app, population_frame

PREFERENCES = ("usual", "vshape", "linear")  # checked against core.promethee.PREFERENCE_FUNCTIONS by the tests


@population_app.command("gaia")
def gaia_command(
    population: Annotated[Path, typer.Argument(metavar="POP", help="A population table (from population import).",
                                               show_default=False)],
    by: Annotated[list[str] | None, typer.Option("--by", help="Rank the firms within each group of these columns "
                                                              "(comma-separated).")] = None,
    preference: Annotated[str, choice_option(PREFERENCES, "Preference function of every dimension "
                                             "(usual: any difference counts; vshape: up to p; linear: between q and "
                                             "p).")] = "usual",
    q: Annotated[float, typer.Option("--q", help="Indifference threshold (linear), on the 0-1 score scale.")] = 0.0,
    p: Annotated[float, typer.Option("--p", help="Preference threshold (vshape, linear), on the 0-1 score "
                                                 "scale.")] = 0.0,
    top: Annotated[int, typer.Option(min=1, help="Firms listed per group in the table (--json lists all).")] = 10,
    out: Annotated[Path | None, typer.Option("--out", "-o", help="Draw the GAIA plane: gaia.svg (one group) or "
                                             "gaia.html (one plane per group).")] = None,
    json_output: Annotated[bool, typer.Option("--json", help="Print the result as JSON on stdout.")] = False,
) -> None:
    """PROMETHEE II net flows and ranks of the firms on the dimensions, and their GAIA plane with the decision stick.

    Exit code 2 on bad input (unknown column, thresholds the function does not take, fewer than two
    informed dimensions or two complete firms).
    """
    from innexport.core.promethee import Preference
    from innexport.population.frame import stamped_framework
    from innexport.population.gaia import population_gaia

    if out is not None and out.suffix.lower() not in (".svg", ".html"):
        raise fail(f"--out {out}: the GAIA plane is an .svg or .html file")
    try:
        frame = population_frame(population)
        framework = stamped_framework(frame)
        if framework is None:
            raise fail(f"{population}: the table has no framework stamp (import it with `population import`)")
        results = population_gaia(frame, framework, by=names(by),
                                  functions=Preference(preference, q=q, p=p))  # type: ignore[arg-type]
    except (TableError, ValueError) as exc:
        raise fail(str(exc)) from None
    if out is not None:
        _draw(out, results, names(by), population.name)
    if json_output:
        doc = [{"group": dict(zip(names(by), map(str, r.group), strict=True)), "delta": r.delta,
                "stick": list(r.stick), "uninformed": list(r.uninformed), "left_out": [str(x) for x in r.left_out],
                "criteria": json.loads(r.criteria.reset_index().to_json(orient="records")),
                "firms": json.loads(r.firms.reset_index().astype({"firm_id": str}).to_json(orient="records"))}
               for r in results]
        typer.echo(json.dumps({"framework": framework.label, "preference": {"kind": preference, "q": q, "p": p},
                               "groups": doc}, indent=2))
        return
    for r in results:
        where = ", ".join(f"{b} = {v}" for b, v in zip(names(by), r.group, strict=True)) or population.name
        t = Table(title=f"PROMETHEE II: {escape(where)} ({len(r.firms):,} firms; GAIA keeps {r.delta:.0%})")
        for col in ("rank", "firm", "net flow", "GAIA x", "GAIA y"):
            t.add_column(col, justify="left" if col == "firm" else "right")
        for firm, row in r.firms.sort_values("rank").head(top).iterrows():
            t.add_row(str(int(row["rank"])), escape(str(firm)), fmt(row["net_flow"], 3), fmt(row["x"]), fmt(row["y"]))
        console.print(t)
        axes = ", ".join(f"{d} ({w:.2f}: {x:+.2f}, {y:+.2f})" for d, (w, x, y) in r.criteria.iterrows())
        console.print(f"criteria (weight: GAIA x, y): {axes}; decision stick ({r.stick[0]:+.2f}, {r.stick[1]:+.2f})",
                      highlight=False, markup=False)
        if r.uninformed:
            console.print(f"not informed, left out: {', '.join(r.uninformed)}", highlight=False, markup=False)
        if r.left_out:
            console.print(f"{len(r.left_out):,} firm(s) without every score left out", highlight=False, markup=False)


def _draw(out: Path, results: list, by: list[str], source: str) -> None:
    """The GAIA plane of each group (:func:`innexport.rendering.charts.gaia_svg`) as an SVG or an HTML page."""
    from html import escape as html_escape

    from innexport.rendering.charts import gaia_svg

    if out.suffix.lower() == ".svg" and len(results) > 1:
        raise fail(f"--out {out}: {len(results)} groups give {len(results)} planes; write them to an .html file")
    figures = []
    for r in results:
        where = ", ".join(f"{b} = {v}" for b, v in zip(by, r.group, strict=True)) or source
        title = f"GAIA: {where} (δ = {r.delta:.0%})"
        figures.append((where, gaia_svg(r.firms[["x", "y"]].to_numpy(), r.criteria[["x", "y"]].to_numpy(),
                                        list(r.criteria.index), r.stick, titles=[str(f) for f in r.firms.index],
                                        title=title)))
    if out.suffix.lower() == ".svg":
        write_atomic(out, figures[0][1].encode("utf-8"))
    else:
        body = "\n".join(f"<figure><figcaption>{html_escape(w)}</figcaption>{svg}</figure>" for w, svg in figures)
        page = (f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>GAIA: {html_escape(source)}</title>'
                f'</head><body style="font-family: sans-serif">{body}</body></html>')
        write_atomic(out, page.encode("utf-8"))
    err.print(f"wrote {out}", highlight=False)
