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

A *hierarchy* (:func:`hierarchy`) has a goal, criteria compared with respect to the goal, and
alternatives compared with respect to each criterion. Each matrix gives local weights; the global
priority of an alternative is the sum over the criteria of the criterion's weight times the
alternative's weight under it, ``p_a = sum_c w_c * w_(a|c)`` (Saaty 1980: the composition of
priorities down a hierarchy). With several experts, each matrix is first combined cell by cell by the geometric
mean, then its eigenvector is taken (aggregation of individual judgements; Forman & Peniwati 1998).

References:
    Saaty, T. L. (1977). A scaling method for priorities in hierarchical structures.
    Journal of Mathematical Psychology, 15(3), 234-281.
    Saaty, T. L. (1980). The Analytic Hierarchy Process. McGraw-Hill, New York.
    Saaty, R. W. (1987). The analytic hierarchy process: what it is and how it is used.
    Mathematical Modelling, 9(3-5), 161-176.
    Aczél, J., & Saaty, T. L. (1983). Procedures for synthesizing ratio judgements.
    Journal of Mathematical Psychology, 27(1), 93-102.
    Forman, E., & Peniwati, K. (1998). Aggregating individual judgments and priorities with the
    analytic hierarchy process. European Journal of Operational Research, 108(1), 165-169.

Everything here is pure: the CSV files experts fill in are read by
:func:`innexport.files.ahp.read_pairwise_csv` and :func:`innexport.files.ahp.ahp_from_files`.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = [
    "ACCEPTABLE_CR",
    "RANDOM_INDEX",
    "RECIPROCAL_RTOL",
    "AHPError",
    "AHPResult",
    "HierarchyResult",
    "InconsistentMatrixError",
    "ahp",
    "as_pairwise",
    "combine_judgements",
    "hierarchy",
    "parse_judgement",
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

#: The largest acceptable consistency ratio: judgements whose inconsistency exceeds 10 % of that
#: of random judgements should be revised (Saaty 1980; Saaty 1987).
ACCEPTABLE_CR = 0.10

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


def _pairwise(
    matrix: Any, items: Sequence[str] | None, where: _Locator | None = None
) -> tuple[tuple[str, ...], np.ndarray]:
    """Validated item names (default ``"1"`` .. ``"n"``) and float matrix."""
    rows = _rows(matrix)
    names = None if items is None else _check_items(items, len(rows))
    where = where or _cell_name(names)
    values = _parse_cells(rows, where)
    _check_pairwise(values, where)
    if names is None:
        names = tuple(str(k) for k in range(1, len(rows) + 1))
    return names, values


def as_pairwise(
    matrix: Any, items: Sequence[str] | None = None, where: _Locator | None = None
) -> np.ndarray:
    """Validate a pairwise-comparison matrix and return it as a float array.

    Args:
        matrix: square matrix (list of lists or array) of judgements, each accepted by
            :func:`parse_judgement`.
        items: item names, used in error messages; without them cells are named by their
            1-based row and column.
        where: names cell ``(i, j)`` (0-based) in error messages instead, e.g. with the line
            of a file (:mod:`innexport.files.ahp`).

    Raises:
        AHPError: if the matrix is not square, a judgement is not a positive finite
            number, the diagonal is not 1, or ``a_ji`` differs from ``1 / a_ij`` by more
            than :data:`RECIPROCAL_RTOL` (relative). The message names the cell.

    >>> as_pairwise([[1, "1/3"], [3, 1]]).round(4).tolist()
    [[1.0, 0.3333], [3.0, 1.0]]
    >>> as_pairwise([[1, 2], [2, 1]], ["price", "quality"])  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    innexport.core.ahp.AHPError: quality vs price: 2 is not the reciprocal of the judgement 2 at ...
    """
    return _pairwise(matrix, items, where)[1]


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
    return _eigen_results(values[np.newaxis], names)[0]


def _eigen_results(stack: np.ndarray, names: tuple[str, ...]) -> list[AHPResult]:
    """Saaty's eigenvector weights and consistency of a stack of validated ``(k, n, n)`` matrices.

    One batched eigen-decomposition for the whole stack (the criteria's alternatives matrices of
    a hierarchy are decomposed at once); :func:`ahp` is the stack of one.
    """
    n = len(names)
    if n not in RANDOM_INDEX:
        raise AHPError(
            f"{n} items: the random consistency index is published only up to "
            f"{max(RANDOM_INDEX)} items; split the comparison into a hierarchy"
        )
    eigenvalues, eigenvectors = np.linalg.eig(stack)
    k = np.argmax(eigenvalues.real, axis=-1)
    rows = np.arange(stack.shape[0])
    lambda_max = eigenvalues.real[rows, k]
    # The Perron vector of a positive matrix has entries of one sign; abs() removes the
    # arbitrary sign chosen by LAPACK.
    principal = np.abs(eigenvectors.real[rows, :, k])
    weights = principal / principal.sum(axis=-1, keepdims=True)
    # lambda_max >= n for an exactly reciprocal matrix (Saaty 1977); a slightly smaller value
    # comes from rounding or from tolerated judgements such as 0.333 for 1/3. CI = CR = 0 for n <= 2.
    consistency_index = np.maximum(0.0, (lambda_max - n) / (n - 1)) if n > 2 else np.zeros(len(rows))
    consistency_ratio = consistency_index / RANDOM_INDEX[n] if n > 2 else consistency_index
    return [
        AHPResult(names, weights[b], float(lambda_max[b]), float(consistency_index[b]),
                  float(consistency_ratio[b]))
        for b in range(stack.shape[0])
    ]


def combine_judgements(matrices: Sequence[Any]) -> np.ndarray:
    """Combine several experts' matrices by the element-wise geometric mean.

    The geometric mean is the aggregation of ratio judgements that preserves reciprocity
    (``combined_ji = 1 / combined_ij``) and unanimity (Aczél & Saaty 1983).

    Raises:
        AHPError: if no matrix is given, a matrix is invalid (the message names it by its
            1-based position), or the matrices differ in size.

    >>> combine_judgements([[[1, 4], [1 / 4, 1]], [[1, 1], [1, 1]]]).round(3).tolist()
    [[1.0, 2.0], [0.5, 1.0]]
    >>> combine_judgements([[[1, 2], [0.5, 1]], [[1, "1/3"], [3, -1]]])
    Traceback (most recent call last):
    ...
    innexport.core.ahp.AHPError: matrix 2: row 2, column 2: -1 is not a positive number
    """
    if len(matrices) == 0:
        raise AHPError("no matrices to combine")
    # Numbers already: every rule checked on the stacked array at once; only a matrix that breaks
    # one (or matrices with text to parse) goes through the cell-by-cell path that names the cell.
    stack = _numeric_stack(matrices)
    first_bad: int | None = 0
    if stack is not None:
        # the stack of a list is a new array: its logs may overwrite it (one array less to allocate)
        logs, first_bad = _logs_checked(matrices, stack, in_place=isinstance(matrices, (list, tuple)))
        if first_bad is None:
            combined: np.ndarray = np.exp(logs.mean(axis=0))
            return combined
    geometric_mean: np.ndarray = np.exp(np.mean(np.log(_checked_stack(matrices, first_bad or 0)), axis=0))
    return geometric_mean


def _numeric_stack(matrices: Any) -> np.ndarray | None:
    """The matrices as one float ``(m, n, n)`` array when every cell is already a number (no text to
    parse, no booleans) and they are square and of one size; else ``None`` (the cell-by-cell path).

    Numeric arrays are taken as they are; a matrix given as lists has its cells' types looked at
    (numpy would turn ``True`` into 1.0, which :func:`parse_judgement` refuses)."""
    if not isinstance(matrices, np.ndarray) and not all(
            isinstance(matrix, np.ndarray) or _plain_numbers(matrix) for matrix in matrices):
        return None
    try:
        stack = np.asarray(matrices)
    except (ValueError, TypeError):  # ragged, or cells numpy cannot hold side by side
        return None
    if stack.dtype.kind not in "iuf" or stack.ndim != 3 or stack.shape[1] != stack.shape[2] or stack.shape[1] == 0:
        return None
    return stack.astype(float, copy=False)


def _plain_numbers(matrix: Any) -> bool:
    """Whether every cell of a matrix given as rows is an int or a float (numpy's too), not a bool."""
    try:
        return all(isinstance(cell, _NUMBER_TYPES) and not isinstance(cell, bool) for row in matrix for cell in row)
    except TypeError:  # not rows of cells
        return False


_NUMBER_TYPES = (int, float, np.integer, np.floating)

# |log(a_ij * a_ji)| below this is inside RECIPROCAL_RTOL whatever the rounding (log1p(0.01) less a
# margin far above the error of a sum of two logs); a pair beyond it is checked exactly.
_SURELY_RECIPROCAL = math.log1p(RECIPROCAL_RTOL) - 1e-9


def _logs_checked(matrices: Sequence[Any], stack: np.ndarray, *, in_place: bool = False
                  ) -> tuple[np.ndarray, int | None]:
    """``log`` of the float ``(m, n, n)`` stack of ``matrices``, and the 0-based index of its first
    matrix that breaks a rule of :func:`as_pairwise` (a cell not a positive finite number, a diagonal
    cell not 1, a pair not reciprocal within :data:`RECIPROCAL_RTOL`), or ``None`` when all pass.

    The rules run on the whole stack at once: positivity as finite logs, reciprocity first as
    ``|log a_ij + log a_ji|`` well inside the tolerance, and only the matrices outside that margin
    get the exact rules of :func:`as_pairwise` (their one home). With ``in_place`` the logs
    overwrite ``stack``.

    >>> two = np.array([[[1.0, 3.0], [1 / 3, 1.0]], [[1.0, 2.0], [2.0, 1.0]]])
    >>> _logs_checked(two, two)[1]
    1
    """
    m = stack.shape[0]
    # |a_ii - 1| <= _DIAGONAL_RTOL is enough for math.isclose(a_ii, 1, rel_tol=_DIAGONAL_RTOL)
    suspect = ~(np.abs(np.diagonal(stack, axis1=1, axis2=2) - 1.0).max(axis=1) <= _DIAGONAL_RTOL)
    with np.errstate(invalid="ignore", divide="ignore"):
        logs = np.log(stack, out=stack if in_place else None)
    # |log a_ij + log a_ji|, NaN or inf where a cell is not a positive finite number; one temporary,
    # reused, and one reduction per matrix (max propagates NaN, which fails the comparison)
    sums = np.add(logs, logs.transpose(0, 2, 1))
    np.abs(sums, out=sums)
    suspect |= ~(sums.reshape(m, -1).max(axis=1) <= _SURELY_RECIPROCAL)
    for k in np.flatnonzero(suspect).tolist():  # near a tolerance or broken: the exact rules, cell by cell
        try:
            as_pairwise(matrices[k])
        except AHPError:
            return logs, k
    return logs, None


def _checked_stack(matrices: Sequence[Any], start: int) -> np.ndarray:
    """The matrices validated one by one with :func:`as_pairwise` from ``start`` on (the earlier ones
    are known to pass), so that a refusal names the matrix and its first bad cell."""
    parsed: list[np.ndarray] = []
    for k, matrix in enumerate(matrices, start=1):
        try:
            values = as_pairwise(matrix) if k > start else np.asarray(matrix, dtype=float)
        except AHPError as exc:
            raise AHPError(f"matrix {k}: {exc}") from None
        if parsed and values.shape != parsed[0].shape:
            raise AHPError(
                f"matrix {k} is {values.shape[0]}x{values.shape[0]} but matrix 1 is "
                f"{parsed[0].shape[0]}x{parsed[0].shape[0]}; "
                "all experts must compare the same items"
            )
        parsed.append(values)
    return np.stack(parsed)


def require_consistent(result: AHPResult, max_cr: float = ACCEPTABLE_CR) -> AHPResult:
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


@dataclass(frozen=True)
class HierarchyResult:
    """Local weights, consistency and global priorities of a goal → criteria → alternatives hierarchy.

    Attributes:
        criteria: the criteria's weights with respect to the goal and their consistency
            (:class:`AHPResult`; ``criteria.items`` are the criteria's names).
        alternatives: the alternatives' names.
        by_criterion: for each criterion, in the order of ``criteria.items``, the alternatives'
            local weights and consistency with respect to it.
        priorities: each alternative's global priority ``sum_c w_c * w_(a|c)`` (read-only array
            summing to 1, in the order of ``alternatives``).
        experts: how many experts' judgements were combined.
    """

    criteria: AHPResult
    alternatives: tuple[str, ...]
    by_criterion: tuple[AHPResult, ...]
    priorities: np.ndarray
    experts: int = 1

    def __post_init__(self) -> None:
        priorities = np.array(self.priorities, dtype=float)
        if priorities.shape != (len(self.alternatives),):
            raise AHPError(f"{len(self.alternatives)} alternatives but {priorities.shape} priorities")
        if len(self.by_criterion) != len(self.criteria.items):
            raise AHPError(f"{len(self.criteria.items)} criteria but {len(self.by_criterion)} local results")
        priorities.setflags(write=False)
        object.__setattr__(self, "priorities", priorities)

    def local(self, criterion: str) -> AHPResult:
        """The alternatives' weights and consistency with respect to ``criterion``."""
        return self.by_criterion[self.criteria.items.index(criterion)]

    def priorities_dict(self) -> dict[str, float]:
        """Alternative → global priority, in the order of ``alternatives``."""
        return {name: float(p) for name, p in zip(self.alternatives, self.priorities, strict=True)}

    def ranking(self) -> list[tuple[str, float]]:
        """(alternative, global priority), highest first; equal priorities keep the file's order."""
        order = sorted(range(len(self.alternatives)), key=lambda k: -self.priorities[k])
        return [(self.alternatives[k], float(self.priorities[k])) for k in order]

    def inconsistent(self, max_cr: float = ACCEPTABLE_CR) -> list[tuple[str | None, float]]:
        """The matrices whose consistency ratio exceeds ``max_cr``: ``(None, CR)`` for the criteria's
        matrix, ``(criterion, CR)`` for the alternatives' matrix under a criterion."""
        found: list[tuple[str | None, float]] = []
        if self.criteria.consistency_ratio > max_cr:
            found.append((None, self.criteria.consistency_ratio))
        for name, local in zip(self.criteria.items, self.by_criterion, strict=True):
            if local.consistency_ratio > max_cr:
                found.append((name, local.consistency_ratio))
        return found

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready: ``experts``, ``criteria`` (names, weights, consistency ratio), ``alternatives``
        (names; per criterion: weights, consistency ratio) and ``priorities`` (alternative → priority).
        Weights are lists in the order of the names."""
        return {
            "experts": self.experts,
            "criteria": {
                "names": list(self.criteria.items),
                "weights": [float(w) for w in self.criteria.weights],
                "consistency_ratio": float(self.criteria.consistency_ratio),
            },
            "alternatives": {
                "names": list(self.alternatives),
                "by_criterion": {
                    name: {
                        "weights": [float(w) for w in local.weights],
                        "consistency_ratio": float(local.consistency_ratio),
                    }
                    for name, local in zip(self.criteria.items, self.by_criterion, strict=True)
                },
            },
            "priorities": self.priorities_dict(),
        }


def hierarchy(
    criteria_matrices: Sequence[Any],
    alternatives_by_criterion: Sequence[Sequence[Any]] | Mapping[str, Sequence[Any]],
    criteria: Sequence[str] | None = None,
    alternatives: Sequence[str] | None = None,
) -> HierarchyResult:
    """Global priorities of the alternatives of a goal → criteria → alternatives hierarchy.

    Args:
        criteria_matrices: the criteria's pairwise-comparison matrix, one per expert.
        alternatives_by_criterion: for each criterion, the alternatives' matrices, one per expert
            in the same order as ``criteria_matrices``: a sequence in the order of the criteria, or
            a mapping from each criterion's name (then ``criteria`` is required).
        criteria: the criteria's names (``"1"`` .. ``"n"`` by default).
        alternatives: the alternatives' names (``"1"`` .. ``"m"`` by default).

    Each matrix is combined over the experts by the geometric mean (:func:`combine_judgements`;
    Aczél & Saaty 1983), then weighted by its principal eigenvector (:func:`ahp`; Saaty 1980);
    the alternatives' matrices of all the criteria are decomposed in one batched call. The global
    priority of an alternative is ``sum_c w_c * w_(a|c)``.

    Raises:
        AHPError: no expert, a missing or unknown criterion, a matrix that is invalid or of
            another size than its items, or an expert count that differs between matrices; the
            message names the criterion and the expert.

    The leader example of Wikipedia's "Analytic hierarchy process – leader example":

    >>> result = hierarchy(
    ...     [[[1, 4, 3, 7], ["1/4", 1, "1/3", 3], ["1/3", 3, 1, 5], ["1/7", "1/3", "1/5", 1]]],
    ...     {"experience": [[[1, "1/4", 4], [4, 1, 9], ["1/4", "1/9", 1]]],
    ...      "education": [[[1, 3, "1/5"], ["1/3", 1, "1/7"], [5, 7, 1]]],
    ...      "charisma": [[[1, 5, 9], ["1/5", 1, 4], ["1/9", "1/4", 1]]],
    ...      "age": [[[1, "1/3", 5], [3, 1, 9], ["1/5", "1/9", 1]]]},
    ...     criteria=["experience", "education", "charisma", "age"],
    ...     alternatives=["Tom", "Dick", "Harry"])
    >>> {name: round(p, 3) for name, p in result.ranking()}
    {'Dick': 0.493, 'Tom': 0.358, 'Harry': 0.149}
    >>> round(result.criteria.consistency_ratio, 3), round(result.local("charisma").consistency_ratio, 3)
    (0.044, 0.061)
    """
    experts = len(criteria_matrices)
    if experts == 0:
        raise AHPError("no criteria matrix: expected one per expert")
    try:
        combined_criteria = combine_judgements(criteria_matrices)
    except AHPError as exc:
        raise AHPError(f"criteria: {exc}") from None
    n = combined_criteria.shape[0]
    criterion_names = (
        _check_items(criteria, n) if criteria is not None else tuple(str(k) for k in range(1, n + 1))
    )
    if isinstance(alternatives_by_criterion, Mapping):
        if criteria is None:
            raise AHPError("alternatives given by criterion name: the criteria's names are needed")
        unknown = [str(key) for key in alternatives_by_criterion if key not in criterion_names]
        if unknown:
            raise AHPError(f"alternatives under an unknown criterion: {', '.join(unknown)} "
                           f"(criteria: {', '.join(criterion_names)})")
        missing = [name for name in criterion_names if name not in alternatives_by_criterion]
        if missing:
            raise AHPError(f"no alternatives' matrix under the criterion {', '.join(missing)}")
        per_criterion = [alternatives_by_criterion[name] for name in criterion_names]
    else:
        per_criterion = list(alternatives_by_criterion)
        if len(per_criterion) != n:
            raise AHPError(f"{len(per_criterion)} sets of alternatives' matrices for {n} criteria")

    combined: list[np.ndarray] = []
    for name, matrices in zip(criterion_names, per_criterion, strict=True):
        if len(matrices) != experts:
            raise AHPError(f"criterion {name}: {len(matrices)} alternatives' matrices for {experts} "
                           "experts; each expert compares the alternatives under every criterion")
        try:
            values = combine_judgements(matrices)
        except AHPError as exc:
            raise AHPError(f"criterion {name}: {exc}") from None
        if combined and values.shape != combined[0].shape:
            raise AHPError(f"criterion {name}: the alternatives' matrix is {values.shape[0]}x"
                           f"{values.shape[0]} but {combined[0].shape[0]}x{combined[0].shape[0]} "
                           f"under the criterion {criterion_names[0]}")
        combined.append(values)
    m = combined[0].shape[0]
    alternative_names = (
        _check_items(alternatives, m) if alternatives is not None
        else tuple(str(k) for k in range(1, m + 1))
    )
    criteria_result = ahp(combined_criteria, criterion_names)
    local = _eigen_results(np.stack(combined), alternative_names)
    local_weights = np.stack([result.weights for result in local])  # (criteria, alternatives)
    priorities = criteria_result.weights @ local_weights
    return HierarchyResult(criteria_result, alternative_names, tuple(local), priorities, experts)
