"""``innexport ahp``: AHP weights and consistency from one or several experts' CSV matrices, or, with
``--hierarchy``, the global priorities of a goal → criteria → alternatives hierarchy from one YAML file
per expert (:mod:`innexport.files.ahp`; the format is in ``docs/ahp.md``)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape
from rich.table import Table

from innexport.cli import app
from innexport.cli._common import EXIT_BAD_INPUT, EXIT_INVALID, console, err, fail
from innexport.core.ahp import ACCEPTABLE_CR

if TYPE_CHECKING:
    from innexport.core.ahp import AHPResult
    from innexport.files.ahp import HierarchyReading

EXIT_INCONSISTENT = EXIT_INVALID
"""Exit code when the judgements are too inconsistent (the result is still printed)."""


def _ranks(weights: list[float]) -> list[int]:
    """Competition ranks (1 = heaviest) of the weights as displayed (3 decimals)."""
    shown = [round(w, 3) for w in weights]
    return [1 + sum(other > w for other in shown) for w in shown]


def _print_table(result: AHPResult, paths: list[Path], max_cr: float) -> None:
    weights = [float(w) for w in result.weights]
    source = paths[0].name if len(paths) == 1 else f"{len(paths)} experts, geometric mean"
    table = Table(title=f"AHP weights ({source})")
    table.add_column("Item")
    table.add_column("Weight", justify="right")
    table.add_column("Rank", justify="right")
    for item, weight, rank in zip(result.items, weights, _ranks(weights), strict=True):
        table.add_row(item, f"{weight:.3f}", str(rank))
    console.print(table)
    verdict = "acceptable" if result.consistency_ratio <= max_cr else "NOT acceptable"
    sign = "<=" if result.consistency_ratio <= max_cr else ">"
    console.print(f"lambda_max = {result.lambda_max:.3f}", markup=False, highlight=False)
    console.print(f"CI = {result.consistency_index:.3f}", markup=False, highlight=False)
    console.print(
        f"CR = {result.consistency_ratio:.3f}: {verdict} (CR {sign} {max_cr:g})",
        markup=False,
        highlight=False,
    )


def _print_hierarchy(reading: HierarchyReading, paths: list[Path]) -> None:
    """Criteria weights and CR, the alternatives' weights and CR under each criterion, and the
    global priorities, highest first."""
    result = reading.result
    source = paths[0].name if len(paths) == 1 else f"{len(paths)} experts, geometric mean"
    criteria = [float(w) for w in result.criteria.weights]
    console.print(escape(f"Goal: {reading.goal} ({source})"), highlight=False)
    table = Table(title="Criteria")
    table.add_column("Criterion")
    table.add_column("Weight", justify="right")
    table.add_column("Rank", justify="right")
    for item, weight, rank in zip(result.criteria.items, criteria, _ranks(criteria), strict=True):
        table.add_row(escape(item), f"{weight:.3f}", str(rank))
    table.caption = f"CR = {result.criteria.consistency_ratio:.3f}"
    console.print(table)

    table = Table(title="Alternatives under each criterion (local weights)")
    table.add_column("Alternative")
    for item, weight in zip(result.criteria.items, criteria, strict=True):
        table.add_column(escape(f"{item} ({weight:.3f})"), justify="right")
    for k, alternative in enumerate(result.alternatives):
        table.add_row(escape(alternative), *(f"{local.weights[k]:.3f}" for local in result.by_criterion))
    table.add_section()
    table.add_row("CR", *(f"{local.consistency_ratio:.3f}" for local in result.by_criterion))
    console.print(table)

    ranking = result.ranking()
    table = Table(title="Global priorities")
    table.add_column("Rank", justify="right")
    table.add_column("Alternative")
    table.add_column("Priority", justify="right")
    for (alternative, priority), rank in zip(ranking, _ranks([p for _, p in ranking]), strict=True):
        table.add_row(str(rank), escape(alternative), f"{priority:.3f}")
    console.print(table)


def _hierarchy(paths: list[Path], json_output: bool, max_cr: float) -> None:
    from innexport.core.ahp import AHPError
    from innexport.files.ahp import hierarchy_from_files

    try:
        reading = hierarchy_from_files(paths)
    except AHPError as exc:
        raise fail(str(exc), EXIT_BAD_INPUT) from None
    if json_output:
        typer.echo(json.dumps({"goal": reading.goal, **reading.result.as_dict()}, indent=2))
    else:
        _print_hierarchy(reading, paths)
    inconsistent = reading.result.inconsistent(max_cr)
    for criterion, ratio in inconsistent:
        what = "the criteria" if criterion is None else f"the alternatives under {escape(criterion)}"
        err.print(f"[yellow]warning:[/] CR = {ratio:.3f} > {max_cr:g} for {what}: the judgements "
                  "contradict each other too much, revise them", markup=True, highlight=False,
                  soft_wrap=True)
    if inconsistent:
        raise typer.Exit(EXIT_INCONSISTENT)


@app.command("ahp")
def ahp_command(
    matrices: Annotated[
        list[Path],
        typer.Argument(
            metavar="MATRIX.csv|FILE.yaml",
            help="Pairwise-comparison CSV files, one per expert (item names as header row "
            "and first column, judgements such as 3 or 1/3); several are combined by the "
            "element-wise geometric mean. With --hierarchy: hierarchy YAML files, one per expert.",
            show_default=False,
        ),
    ],
    hierarchy: Annotated[
        bool,
        typer.Option(
            "--hierarchy",
            help="Read the files as AHP hierarchies (goal, criteria matrix, the alternatives' "
            "matrix under each criterion; see docs/ahp.md) and print the global priorities.",
        ),
    ] = False,
    json_output: Annotated[
        bool, typer.Option("--json", help="Print the result as JSON on stdout.")
    ] = False,
    max_cr: Annotated[
        float,
        typer.Option("--max-cr", min=0.0, help="Largest acceptable consistency ratio."),
    ] = ACCEPTABLE_CR,
) -> None:
    """Compute AHP weights (principal eigenvector) and the consistency ratio (Saaty).

    With --hierarchy, combine a criteria matrix with each criterion's alternatives matrices into
    global priorities (several files = several experts, combined by the geometric mean).

    Exit code: 0 if every CR <= --max-cr, 1 if too inconsistent (result still printed), 2 on bad input.
    """
    if hierarchy:
        _hierarchy(matrices, json_output, max_cr)
        return
    from innexport.core.ahp import AHPError, InconsistentMatrixError, ahp, require_consistent
    from innexport.files.ahp import ahp_from_files, read_pairwise_csv

    try:
        result = ahp_from_files(matrices)
        # each expert's own consistency, so that the one to revise is found (read again: small files)
        experts = []
        for path in matrices if len(matrices) > 1 else []:
            items, matrix = read_pairwise_csv(path)
            experts.append((path, ahp(matrix, items)))
    except AHPError as exc:
        raise fail(str(exc), EXIT_BAD_INPUT) from None
    if json_output:
        document = result.as_dict()
        if experts:
            document["experts"] = [{"file": str(path), "consistency_ratio": own.consistency_ratio}
                                   for path, own in experts]
        typer.echo(json.dumps(document, indent=2))
    else:
        _print_table(result, matrices, max_cr)
        if experts:
            table = Table(title="Each expert's own judgements")
            table.add_column("File")
            table.add_column("CR", justify="right")
            table.add_column("")
            for path, own in experts:
                table.add_row(escape(path.name), f"{own.consistency_ratio:.3f}",
                              "acceptable" if own.consistency_ratio <= max_cr else "NOT acceptable: revise")
            console.print(table)
    try:
        require_consistent(result, max_cr)
    except InconsistentMatrixError as exc:
        raise fail(str(exc), EXIT_INCONSISTENT) from None
