"""``innexport ahp``: AHP weights and consistency from one or several experts' CSV matrices."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from innexport.cli import app
from innexport.cli._common import EXIT_BAD_INPUT, EXIT_INVALID, console, fail

if TYPE_CHECKING:
    from innexport.core.ahp import AHPResult

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


@app.command("ahp")
def ahp_command(
    matrices: Annotated[
        list[Path],
        typer.Argument(
            metavar="MATRIX.csv",
            help="Pairwise-comparison CSV files, one per expert (item names as header row "
            "and first column, judgements such as 3 or 1/3); several are combined by the "
            "element-wise geometric mean.",
            show_default=False,
        ),
    ],
    json_output: Annotated[
        bool, typer.Option("--json", help="Print the result as JSON on stdout.")
    ] = False,
    max_cr: Annotated[
        float,
        typer.Option("--max-cr", min=0.0, help="Largest acceptable consistency ratio."),
    ] = 0.10,
) -> None:
    """Compute AHP weights (principal eigenvector) and the consistency ratio (Saaty).

    Exit code: 0 if CR <= --max-cr, 1 if too inconsistent (result still printed), 2 on bad input.
    """
    from innexport.core.ahp import AHPError, InconsistentMatrixError, ahp_from_files, require_consistent

    try:
        result = ahp_from_files(matrices)
    except AHPError as exc:
        raise fail(str(exc), EXIT_BAD_INPUT) from None
    if json_output:
        typer.echo(json.dumps(result.as_dict(), indent=2))
    else:
        _print_table(result, matrices, max_cr)
    try:
        require_consistent(result, max_cr)
    except InconsistentMatrixError as exc:
        raise fail(str(exc), EXIT_INCONSISTENT) from None
