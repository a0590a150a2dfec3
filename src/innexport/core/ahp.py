"""Analytic Hierarchy Process (AHP): weights from pairwise-comparison matrices.

An expert compares items two by two on Saaty's 1-9 scale: ``a_ij = 3`` means "item *i*
matters moderately more than item *j*", and the matrix is reciprocal (``a_ji = 1 / a_ij``,
``a_ii = 1``). The weights are the principal right eigenvector of the matrix, normalised
to sum to 1, and the consistency of the judgements is measured by the consistency index
``CI = (lambda_max - n) / (n - 1)`` and the consistency ratio ``CR = CI / RI(n)``, where
``RI(n)`` is the mean CI of random reciprocal matrices of order *n*. Judgements are
conventionally accepted when ``CR <= 0.10`` (Saaty 1980, 1987).

Several experts are combined by the element-wise geometric mean of their matrices, the
only aggregation that keeps the combined matrix reciprocal (Aczél & Saaty 1983).

References:
    Saaty, T. L. (1977). A scaling method for priorities in hierarchical structures.
    Journal of Mathematical Psychology, 15(3), 234-281.
    Saaty, T. L. (1980). The Analytic Hierarchy Process. McGraw-Hill, New York.
    Saaty, R. W. (1987). The analytic hierarchy process: what it is and how it is used.
    Mathematical Modelling, 9(3-5), 161-176.
    Aczél, J., & Saaty, T. L. (1983). Procedures for synthesizing ratio judgements.
    Journal of Mathematical Psychology, 27(1), 93-102.

Everything here is pure except :func:`read_pairwise_csv` and :func:`ahp_from_files`,
which read the CSV files experts fill in.
"""

from __future__ import annotations

import csv
import math
import numbers
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = [
    "RANDOM_INDEX",
    "RECIPROCAL_RTOL",
    "AHPError",
    "AHPResult",
    "InconsistentMatrixError",
    "ahp",
    "ahp_from_files",
    "as_pairwise",
    "combine_judgements",
    "parse_judgement",
    "read_pairwise_csv",
    "require_consistent",
]

#: Saaty's random consistency index RI(n): the mean consistency index of random reciprocal
#: matrices of order n filled from the 1-9 scale, as published by Saaty (1980) for
#: n = 1..15 (the n <= 10 part is the table repeated in Saaty 1987).
RANDOM_INDEX: dict[int, float] = {
    1: 0.0,
    2: 0.0,
    3: 0.58,
    4: 0.90,
    5: 1.12,
    6: 1.24,
    7: 1.32,
    8: 1.41,
    9: 1.45,
    10: 1.49,
    11: 1.51,
    12: 1.48,
    13: 1.56,
    14: 1.57,
    15: 1.59,
}

#: Relative tolerance on reciprocity: ``a_ij * a_ji`` must be within 1 % of 1, so that a
#: judgement written ``0.333`` opposite ``3`` is accepted (write ``1/7`` rather than ``0.14``).
RECIPROCAL_RTOL = 1e-2

#: The diagonal must be 1 up to floating-point rounding.
_DIAGONAL_RTOL = 1e-9

# A function naming cell (i, j) (0-based) of a matrix in error messages.
_Locator = Callable[[int, int], str]


class AHPError(ValueError):
    """Invalid AHP input; the message names the location (file, line, column, items)."""


class InconsistentMatrixError(AHPError):
    """The consistency ratio of a pairwise-comparison matrix exceeds the accepted limit.

    Attributes:
        consistency_ratio: the CR of the matrix.
        max_cr: the limit it exceeds.
        result: the full :class:`AHPResult`, so callers can still show the weights.
    """

    def __init__(self, result: AHPResult, max_cr: float) -> None:
        self.result = result
        self.consistency_ratio = result.consistency_ratio
        self.max_cr = max_cr
        super().__init__(
            f"consistency ratio CR = {result.consistency_ratio:.3f} exceeds the limit {max_cr:g} "
            f"(items: {', '.join(result.items)}); the judgements contradict each other too much, "
            "revise them"
        )


@dataclass(frozen=True)
class AHPResult:
    """Weights and consistency of one (possibly combined) pairwise-comparison matrix.

    Attributes:
        items: item names, in matrix order.
        weights: principal right eigenvector, positive, summing to 1 (read-only array).
        lambda_max: principal eigenvalue (``>= n`` for a reciprocal matrix, ``== n`` iff
            the judgements are perfectly consistent; Saaty 1977).
        consistency_index: ``(lambda_max - n) / (n - 1)``; 0 for ``n <= 2``.
        consistency_ratio: ``CI / RI(n)`` with :data:`RANDOM_INDEX`; 0 for ``n <= 2``.
    """

    items: tuple[str, ...]
    weights: np.ndarray
    lambda_max: float
    consistency_index: float
    consistency_ratio: float

    def __post_init__(self) -> None:
        weights = np.array(self.weights, dtype=float)
        if weights.shape != (len(self.items),):
            raise AHPError(f"{len(self.items)} items but {weights.shape} weights")
        weights.setflags(write=False)
        object.__setattr__(self, "weights", weights)

    def weights_dict(self) -> dict[str, float]:
        """Item name -> weight, in matrix order."""
        return {item: float(w) for item, w in zip(self.items, self.weights, strict=True)}

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready summary: weights, lambda_max, consistency index and ratio."""
        return {
            "weights": self.weights_dict(),
            "lambda_max": float(self.lambda_max),
            "consistency_index": float(self.consistency_index),
            "consistency_ratio": float(self.consistency_ratio),
        }


def parse_judgement(value: str | float | int) -> float:
    """Parse one pairwise judgement into a positive finite float.

    Accepts numbers (``3``, ``0.5``), numeric strings (``"0.25"``, or ``"0,25"`` with a
    decimal comma) and fractions (``"1/3"``, ``" 1 / 5 "``).

    Raises:
        AHPError: for zero, negative, infinite or NaN values, empty strings and anything
            that is not a number; the message quotes the value.
    """
    if isinstance(value, bool) or not isinstance(value, (str, numbers.Real)):
        raise AHPError(f"{value!r} is not a positive number")
    if isinstance(value, str):
        text = value.strip()
        if not text:
            raise AHPError("empty judgement; expected a positive number such as 3 or 1/3")
        parts = [part.strip().replace(",", ".") for part in text.split("/")]
        try:
            terms = [float(part) for part in parts]
        except ValueError:
            raise AHPError(f"{value!r} is not a positive number") from None
        if len(terms) == 1:
            number = terms[0]
        elif len(terms) == 2 and terms[1] != 0:
            number = terms[0] / terms[1]
        else:
            raise AHPError(f"{value!r} is not a positive number")
    else:
        number = float(value)
    if not (math.isfinite(number) and number > 0):
        raise AHPError(f"{value!r} is not a positive number")
    return number


def _cell_name(items: Sequence[str] | None) -> _Locator:
    """Locator naming a cell by its items (``"a vs b"``) or by 1-based row and column."""
    if items is None:
        return lambda i, j: f"row {i + 1}, column {j + 1}"
    return lambda i, j: f"{items[i]} vs {items[j]}"


def _check_items(items: Sequence[str], n: int) -> tuple[str, ...]:
    """Item names as a tuple of strings; there must be ``n`` of them, all different."""
    names = tuple(str(item) for item in items)
    if len(names) != n:
        raise AHPError(f"{len(names)} item names for a {n}x{n} matrix")
    for k, name in enumerate(names):
        if names.index(name) != k:
            raise AHPError(f"item name {name!r} appears twice")
    return names


def _rows(matrix: Any) -> list[list[Any]]:
    """The rows of a square matrix (list of lists or 2-D array) as lists."""
    try:
        rows = [list(row) for row in matrix]
    except TypeError:
        raise AHPError("expected a square matrix (a list of rows)") from None
    if not rows:
        raise AHPError("empty matrix; expected at least one item")
    for i, row in enumerate(rows):
        if len(row) != len(rows):
            raise AHPError(
                f"row {i + 1} has {len(row)} judgements, expected {len(rows)} (square matrix)"
            )
    return rows


def _parse_cells(rows: list[list[Any]], where: _Locator) -> np.ndarray:
    """Parse the judgements of a square matrix; errors name the cell with ``where``."""
    n = len(rows)
    values = np.empty((n, n), dtype=float)
    for i, row in enumerate(rows):
        for j, cell in enumerate(row):
            try:
                values[i, j] = parse_judgement(cell)
            except AHPError as exc:
                raise AHPError(f"{where(i, j)}: {exc}") from None
    return values


def _check_pairwise(values: np.ndarray, where: _Locator) -> None:
    """Check that the diagonal is 1 and that ``a_ji = 1 / a_ij`` (relative tolerance)."""
    n = values.shape[0]
    for i in range(n):
        if not math.isclose(values[i, i], 1.0, rel_tol=_DIAGONAL_RTOL):
            raise AHPError(f"{where(i, i)}: diagonal judgement is {values[i, i]:g}, expected 1")
    for i in range(n):
        for j in range(i + 1, n):
            a_ij, a_ji = values[i, j], values[j, i]
            if abs(a_ij * a_ji - 1.0) > RECIPROCAL_RTOL:
                raise AHPError(
                    f"{where(j, i)}: {a_ji:g} is not the reciprocal of the judgement {a_ij:g} "
                    f"at {where(i, j)}; expected 1/{a_ij:g} = {1.0 / a_ij:.4g}"
                )


def _pairwise(matrix: Any, items: Sequence[str] | None) -> tuple[tuple[str, ...], np.ndarray]:
    """Validated item names (default ``"1"`` .. ``"n"``) and float matrix."""
    rows = _rows(matrix)
    names = None if items is None else _check_items(items, len(rows))
    where = _cell_name(names)
    values = _parse_cells(rows, where)
    _check_pairwise(values, where)
    if names is None:
        names = tuple(str(k) for k in range(1, len(rows) + 1))
    return names, values


def as_pairwise(matrix: Any, items: Sequence[str] | None = None) -> np.ndarray:
    """Validate a pairwise-comparison matrix and return it as a float array.

    Args:
        matrix: square matrix (list of lists or array) of judgements, each accepted by
            :func:`parse_judgement`.
        items: item names, used in error messages; without them cells are named by their
            1-based row and column.

    Raises:
        AHPError: if the matrix is not square, a judgement is not a positive finite
            number, the diagonal is not 1, or ``a_ji`` differs from ``1 / a_ij`` by more
            than :data:`RECIPROCAL_RTOL` (relative). The message names the cell.
    """
    return _pairwise(matrix, items)[1]


def ahp(matrix: Any, items: Sequence[str] | None = None) -> AHPResult:
    """Weights and consistency of a pairwise-comparison matrix (Saaty's eigenvector method).

    Args:
        matrix: square reciprocal matrix of judgements (see :func:`as_pairwise`).
        items: item names; ``"1"`` .. ``"n"`` by default.

    Returns:
        The principal right eigenvector normalised to sum to 1, ``lambda_max``, and the
        consistency index and ratio, with the random index of Saaty (1980, 1987).

    Raises:
        AHPError: for an invalid matrix, or more than 15 items (no published random index).
    """
    names, values = _pairwise(matrix, items)
    n = len(names)
    if n not in RANDOM_INDEX:
        raise AHPError(
            f"{n} items: the random consistency index is published only up to "
            f"{max(RANDOM_INDEX)} items; split the comparison into a hierarchy"
        )
    eigenvalues, eigenvectors = np.linalg.eig(values)
    k = int(np.argmax(eigenvalues.real))
    lambda_max = float(eigenvalues[k].real)
    # The Perron vector of a positive matrix has entries of one sign; abs() removes the
    # arbitrary sign chosen by LAPACK.
    principal = np.abs(eigenvectors[:, k].real)
    weights = principal / principal.sum()
    if n <= 2:
        consistency_index = consistency_ratio = 0.0
    else:
        # lambda_max >= n for an exactly reciprocal matrix (Saaty 1977); a slightly smaller
        # value comes from rounding or from tolerated judgements such as 0.333 for 1/3.
        consistency_index = max(0.0, (lambda_max - n) / (n - 1))
        consistency_ratio = consistency_index / RANDOM_INDEX[n]
    return AHPResult(names, weights, lambda_max, consistency_index, consistency_ratio)


def combine_judgements(matrices: Sequence[Any]) -> np.ndarray:
    """Combine several experts' matrices by the element-wise geometric mean.

    The geometric mean is the aggregation of ratio judgements that preserves reciprocity
    (``combined_ji = 1 / combined_ij``) and unanimity (Aczél & Saaty 1983).

    Raises:
        AHPError: if no matrix is given, a matrix is invalid (the message names it by its
            1-based position), or the matrices differ in size.
    """
    if len(matrices) == 0:
        raise AHPError("no matrices to combine")
    parsed: list[np.ndarray] = []
    for k, matrix in enumerate(matrices, start=1):
        try:
            values = as_pairwise(matrix)
        except AHPError as exc:
            raise AHPError(f"matrix {k}: {exc}") from None
        if parsed and values.shape != parsed[0].shape:
            raise AHPError(
                f"matrix {k} is {values.shape[0]}x{values.shape[0]} but matrix 1 is "
                f"{parsed[0].shape[0]}x{parsed[0].shape[0]}; "
                "all experts must compare the same items"
            )
        parsed.append(values)
    geometric_mean: np.ndarray = np.exp(np.mean(np.log(np.stack(parsed)), axis=0))
    return geometric_mean


def require_consistent(result: AHPResult, max_cr: float = 0.10) -> AHPResult:
    """Return ``result`` unchanged if its consistency ratio is at most ``max_cr``.

    The conventional limit 0.10 is Saaty's (1980): judgements whose inconsistency exceeds
    10 % of that of random judgements should be revised.

    Raises:
        InconsistentMatrixError: when ``result.consistency_ratio > max_cr``.
        AHPError: when ``max_cr`` is negative or NaN.
    """
    if not max_cr >= 0:
        raise AHPError(f"the consistency-ratio limit must be >= 0, got {max_cr!r}")
    if result.consistency_ratio > max_cr:
        raise InconsistentMatrixError(result, max_cr)
    return result


def read_pairwise_csv(path: str | os.PathLike[str]) -> tuple[list[str], np.ndarray]:
    """Read one expert's pairwise-comparison matrix from a CSV file.

    Format: the header row holds the item names (its first cell, the corner, is ignored);
    each following row starts with an item name, in the same order as the header, and then
    holds the judgements, as numbers or fractions such as ``1/3``. The separator is ``;``
    if the header line contains one, else ``,``. UTF-8, with or without a byte-order mark.
    Blank lines and trailing empty cells (as spreadsheets export them) are ignored.

    Returns:
        The item names and the validated matrix (see :func:`as_pairwise`).

    Raises:
        AHPError: naming the file and, for a bad cell, its 1-based line and column and the
            two items, e.g. ``weights.csv, line 3, column 4 (networks vs culture): '1/0' is
            not a positive number``.
    """
    source = os.fspath(path)
    try:
        with open(source, encoding="utf-8-sig", newline="") as handle:
            lines = handle.read().splitlines(keepends=True)
    except UnicodeDecodeError as exc:
        raise AHPError(f"{source}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    except OSError as exc:
        raise AHPError(f"{source}: cannot read the file ({exc.strerror or exc})") from None

    header_line = next((line for line in lines if line.strip()), "")
    reader = csv.reader(lines, delimiter=";" if ";" in header_line else ",")
    rows: list[tuple[int, list[str]]] = []  # (1-based line number, cells)
    for cells in reader:
        while cells and not cells[-1].strip():
            cells.pop()
        if cells:
            rows.append((reader.line_num, cells))
    if not rows:
        raise AHPError(f"{source}: empty file; expected a header row of item names")

    (header_at, header), body = rows[0], rows[1:]
    items = [name.strip() for name in header[1:]]
    n = len(items)
    if n == 0:
        raise AHPError(f"{source}, line {header_at}: the header row names no items")
    for column, name in enumerate(items, start=2):
        if not name:
            raise AHPError(f"{source}, line {header_at}, column {column}: empty item name")
        if items.index(name) != column - 2:
            raise AHPError(
                f"{source}, line {header_at}, column {column}: item {name!r} appears twice"
            )
    if len(body) != n:
        raise AHPError(
            f"{source}: the header names {n} items ({', '.join(items)}) but {len(body)} "
            f"rows of judgements follow; expected {n}"
        )
    for i, (line, cells) in enumerate(body):
        if cells[0].strip() != items[i]:
            raise AHPError(
                f"{source}, line {line}, column 1: row name {cells[0].strip()!r} should be "
                f"{items[i]!r}; rows must list the items in the same order as the header"
            )
        if len(cells) - 1 != n:
            raise AHPError(
                f"{source}, line {line} ({items[i]}): {len(cells) - 1} judgements, expected {n}"
            )

    def where(i: int, j: int) -> str:
        return f"line {body[i][0]}, column {j + 2} ({items[i]} vs {items[j]})"

    try:
        values = _parse_cells([cells[1:] for _, cells in body], where)
        _check_pairwise(values, where)
    except AHPError as exc:
        raise AHPError(f"{source}, {exc}") from None
    return items, values


def ahp_from_files(paths: Sequence[str | os.PathLike[str]]) -> AHPResult:
    """AHP weights from one CSV file per expert, combined by the geometric mean.

    Every file must compare the same items; a file listing them in another order is
    reordered to the order of the first file (Aczél & Saaty 1983 for the combination).

    Raises:
        AHPError: for no file, an unreadable or invalid file, or a file whose items differ
            from the first file's (the message names the file and the differing items).
    """
    if len(paths) == 0:
        raise AHPError("no pairwise-comparison file given")
    first = os.fspath(paths[0])
    items, matrix = read_pairwise_csv(first)
    matrices = [matrix]
    for path in paths[1:]:
        other_items, other = read_pairwise_csv(path)
        if set(other_items) != set(items):
            missing = [name for name in items if name not in other_items]
            extra = [name for name in other_items if name not in items]
            raise AHPError(
                f"{os.fspath(path)}: compares other items than {first}"
                + (f"; missing: {', '.join(missing)}" if missing else "")
                + (f"; not in {first}: {', '.join(extra)}" if extra else "")
            )
        order = [other_items.index(name) for name in items]
        matrices.append(other[np.ix_(order, order)])
    return ahp(combine_judgements(matrices), items)
