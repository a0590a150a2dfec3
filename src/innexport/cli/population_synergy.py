"""``innexport population synergy``: the joint model of an innovation and an export outcome (issue 15).

The model is :func:`innexport.population.synergy.synergy` (a weighted bivariate probit on the
capabilities, ordered when an outcome has more than two levels); this module reads the table,
prints the capabilities' effects and the rho line, or the whole result as JSON. Bad input (unknown
column, an unordered or constant outcome, too few firms, separation, no convergence) exits with
code 2 and a message naming it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from innexport.cli._common import console, fail
from innexport.cli._population import TableError, fmt, fmt_p, names, population_app, population_frame


@population_app.command("synergy")
def synergy_command(
    population: Annotated[Path, typer.Argument(metavar="POP", help="A population table (from population import).",
                                               show_default=False)],
    innovation: Annotated[str, typer.Option("--innovation", help="Innovation outcome column: binary, or ordered levels.",
                                            show_default=False)],
    export: Annotated[str, typer.Option("--export", help="Export outcome column: binary (exports) or ordered bands "
                                        "(export_share_band).",
                                        show_default=False)],
    by: Annotated[str | None, typer.Option(
        "--by", help="Group column (country, sector, size): each group gets its own effect of each capability, "
                     "with a test that they are equal.")] = None,
    capabilities: Annotated[list[str] | None, typer.Option(
        "--capabilities", help="act (default: every act.* column with data), dim (the dimensions), or column "
                               "names (A,B or repeated).")] = None,
    controls: Annotated[list[str] | None, typer.Option(
        "--controls", help="Control columns (A,B or repeated); non-numeric ones become dummies.")] = None,
    weight: Annotated[str | None, typer.Option("--weight", help="Survey weight column (default: weight).")] = None,
    no_weights: Annotated[bool, typer.Option("--no-weights", help="Every firm counts the same.")] = False,
    innovation_threshold: Annotated[str | None, typer.Option(
        "--innovation-threshold", help="Code an ordered innovation outcome 'level >= T' as 1.")] = None,
    export_threshold: Annotated[str | None, typer.Option(
        "--export-threshold", help="Code an ordered export outcome (e.g. export share bands) 'level >= T' as 1.")] = None,
    confidence: Annotated[float, typer.Option(min=0.5, max=0.999, help="Level of the intervals.")] = 0.95,
    json_output: Annotated[bool, typer.Option("--json", help="Print the result as JSON on stdout.")] = False,
) -> None:
    """Synergy of innovation and export: a bivariate (ordered) probit of the two outcomes on the capabilities.

    Prints each capability's effect on each outcome and on P(innovate AND export) (average change for
    a rise of 0.1), whether it raises both, and rho, the correlation of what the capabilities leave
    unexplained, with its interval and the test of rho = 0. Exit code 2 on bad input.
    """
    from innexport.population.impact import ImpactError
    from innexport.population.synergy import synergy

    if weight is not None and no_weights:
        raise fail("--weight and --no-weights exclude each other")
    caps = names(capabilities)
    cap_arg: list[str] | str | None = caps[0] if len(caps) == 1 and caps[0].rstrip(".") in ("act", "dim") else caps or None
    try:
        frame = population_frame(population)
        result = synergy(frame, innovation, export, cap_arg, by=by, controls=names(controls),
                         weights=False if no_weights else (weight or True), confidence=confidence,
                         innovation_threshold=innovation_threshold, export_threshold=export_threshold)
    except (TableError, ImpactError) as exc:
        raise fail(str(exc)) from None
    if json_output:
        typer.echo(json.dumps(result.to_dict(), indent=2, ensure_ascii=False))
        return
    level = f"{round(confidence * 100, 1):g}%"
    model = "bivariate ordered probit" if result.kind == "ordered" else "bivariate probit"
    t = Table(title=f"Synergy of {escape(innovation)} and {escape(export)} ({model}, robust SE"
                    + (f"; effects in {escape(by)} = {escape(result.groups[0])}" if by else "") + ")")
    for col in ("capability", f"{innovation} coef [{level}]", "p", f"{export} coef [{level}]", "p ",
                "+0.1 → Δ P(both)", "raises both"):
        t.add_column(escape(col), justify="left" if col == "capability" else "right", no_wrap=col == "capability")
    for name, r in result.table.sort_values("ame_both", ascending=False).iterrows():
        t.add_row(escape(str(name)),
                  f"{fmt(r['coef_innovation'])} [{fmt(r['ci_low_innovation'])}, {fmt(r['ci_high_innovation'])}]",
                  fmt_p(r["p_innovation"]),
                  f"{fmt(r['coef_export'])} [{fmt(r['ci_low_export'])}, {fmt(r['ci_high_export'])}]",
                  fmt_p(r["p_export"]), f"{r['ame_both']:+.3f}", "yes" if r["raises_both"] else "")
    console.print(t)
    if result.equality is not None:
        e = Table(title=f"Is each capability's effect the same in every {escape(str(by))}? (Wald tests; "
                        f"groups: {escape(', '.join(result.groups))})")
        for col in ("capability", f"{innovation}: chi2 (df)", "p", f"{export}: chi2 (df)", "p ", "both: chi2 (df)", "p  "):
            e.add_column(escape(col), justify="left" if col == "capability" else "right", no_wrap=col == "capability")
        for name, r in result.equality.iterrows():
            e.add_row(escape(str(name)), f"{r['chi2_innovation']:.2f} ({int(r['df_innovation'])})", fmt_p(r["p_innovation"]),
                      f"{r['chi2_export']:.2f} ({int(r['df_export'])})", fmt_p(r["p_export"]),
                      f"{r['chi2_both']:.2f} ({int(r['df_both'])})", fmt_p(r["p_both"]))
        console.print(e)
    if result.kind == "ordered":
        console.print(f"P(both): {escape(innovation)} above {escape(str(result.levels['innovation'][0]))} and "
                      f"{escape(export)} above {escape(str(result.levels['export'][0]))} (the lowest levels)",
                      highlight=False)
    test = "likelihood-ratio" if result.test == "LR" else "Wald"
    console.print(f"rho = {result.rho:.3f} [{result.rho_low:.3f}, {result.rho_high:.3f}]; {test} test of rho = 0: "
                  f"chi2(1) = {result.chi2:.2f}, p {_p_text(result.p)}; n = {result.n:,}"
                  + (" (survey-weighted)" if result.weighted else ""), highlight=False)


def _p_text(p: float) -> str:
    shown = fmt_p(p)
    return shown if shown.startswith("<") else f"= {shown}"
