"""What the ``innexport population …`` command modules share: the group, reading tables, formatting.

The population commands are spread over several modules (``population``: import, describe,
benchmark, map, impact, report, leverage; ``population_reliability``; ``population_invariance``;
``population_synergy``; ``population_study``), each registering its commands on
:data:`population_app`. Every command reads its table with :func:`read_table` (CSV with ``,`` or
``;``, XLSX, SPSS, Stata, R, Parquet) or :func:`read_population`; refusals are :class:`TableError`,
whose message names the file.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal

import typer

from innexport.cli import app

if TYPE_CHECKING:
    import pandas as pd

    from innexport.population.design import SurveyDesign

population_app = typer.Typer(
    name="population",
    help="Analyse a population of firms, or any table with one row per respondent.",
    no_args_is_help=True,
)
app.add_typer(population_app, name="population")

__all__ = [
    "ENGINE_HELP",
    "EngineChoice",
    "FpcOption",
    "LonelyChoice",
    "LonelyOption",
    "PsuOption",
    "StrataOption",
    "TableError",
    "WeightOption",
    "design_of",
    "engine_of",
    "fmt",
    "fmt_p",
    "group_spellings",
    "names",
    "population_app",
    "population_frame",
    "read_population",
    "read_table",
]


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


def names(values: list[str] | None) -> list[str]:
    """Names given as ``A,B`` and/or as repeated options, in order, without blanks."""
    return [name.strip() for value in values or [] for name in value.split(",") if name.strip()]


EngineChoice = Literal["auto", "pandas", "duckdb"]
ENGINE_HELP = ("auto: DuckDB for a large Parquet file or folder (innexport.population.dataset.DUCKDB_MIN_ROWS rows "
               "or more, when installed), pandas below; pandas: read the whole table; duckdb: always DuckDB (Parquet only).")


def engine_of(path: Path, engine: EngineChoice) -> str:
    """The engine for POP (:func:`innexport.population.dataset.engine_for`); refusals as :class:`TableError`."""
    from innexport.population.dataset import DatasetError, engine_for

    if not path.exists():
        raise TableError(f"{path}: no such file or folder")
    try:
        return engine_for(path, engine)
    except DatasetError as exc:
        raise TableError(str(exc)) from None


def population_frame(path: Path) -> pd.DataFrame:
    """The whole population table: a file as :func:`read_population` reads it, a folder of Parquet files whole."""
    from innexport.population.dataset import DatasetError, read_frame

    if not path.is_dir():
        return read_population(path)
    try:
        return read_frame(path)
    except DatasetError as exc:
        raise TableError(str(exc)) from None


def group_spellings(present: Any) -> dict[str, Any]:
    """How each of a column's values (``present``) may be written on the command line → the value: as shown,
    and a code read as a float (``1.0``) as ``1`` (:func:`innexport.population.items.value_label`)."""
    from innexport.population.items import value_label

    return {name: v for v in present for name in (value_label(v), str(v))}


def read_population(path: Path) -> pd.DataFrame:
    """A population table written by ``population import`` (Parquet keeps its types best)."""
    from innexport.population.io import SurveyError, read_survey

    try:
        return read_survey(path).data
    except SurveyError as exc:
        raise TableError(str(exc)) from None


def fmt(x: Any, digits: int = 2) -> str:
    return "—" if x is None else f"{x:.{digits}f}"


def fmt_p(p: float | None) -> str:
    if p is None:
        return "—"
    return "< 0.001" if p < 0.001 else f"{p:.3f}"


# --------------------------------------------------------------------------------------------
# Survey design options (describe, compare, impact, study)
# --------------------------------------------------------------------------------------------

LonelyChoice = Literal["fail", "remove", "certainty", "adjust", "average"]  # the tests check: design.LONELY_PSU
WeightOption = Annotated[str | None, typer.Option(
    "--weight", help="Weight column (default: the table's weight column, 1 when absent).", show_default=False)]
StrataOption = Annotated[str | None, typer.Option(
    "--strata", help="Survey design: the stratum of each row.", show_default=False)]
PsuOption = Annotated[str | None, typer.Option(
    "--psu", help="Survey design: the primary sampling unit (cluster) of each row, read within its stratum.",
    show_default=False)]
FpcOption = Annotated[str | None, typer.Option(
    "--fpc", help="Survey design: finite-population correction, per stratum the number of PSUs in the "
                  "population (all values >= 1) or the sampling fraction (all <= 1).", show_default=False)]
LonelyOption = Annotated[LonelyChoice, typer.Option(
    "--lonely-psu", help="A stratum with one PSU: fail (refuse, R's default), remove or certainty (no variance), "
                         "adjust (centred on the grand mean) or average (as R's survey.lonely.psu).")]


def design_of(frame: pd.DataFrame, weight: str | None, strata: str | None, psu: str | None, fpc: str | None,
            lonely_psu: str) -> SurveyDesign | None:
    """The survey design the options describe, or None when only a weight column (or nothing) is given."""
    from innexport.cli._common import fail
    from innexport.population.design import DesignError, SurveyDesign

    if strata is None and psu is None and fpc is None:
        if lonely_psu != "fail":
            raise fail("--lonely-psu goes with a design (--strata, --psu or --fpc)")
        if weight is not None:  # the weights alone: checked here so that a refusal names the column and row
            try:
                SurveyDesign.from_frame(frame, weights=weight)
            except DesignError as exc:
                raise fail(str(exc)) from None
        return None
    try:
        return SurveyDesign.from_frame(frame, weights=weight if weight is not None else True, strata=strata,
                                       psu=psu, fpc=fpc, lonely_psu=lonely_psu)
    except DesignError as exc:
        raise fail(str(exc)) from None
