"""The aggregation of many experts' AHP matrices on stacked arrays (issue 14).

:func:`innexport.core.ahp.combine_judgements` checks the judgements of all the experts at once with
numpy when they are numbers already. These tests pin that it is the cell-by-cell aggregation it
replaced: the same combined matrix, and on any broken stack the same refusal, word for word (the
first bad matrix, and in it the first bad cell, row by row). The reference below is the former
implementation: every matrix through :func:`~innexport.core.ahp.as_pairwise`, then the geometric mean.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from innexport.core.ahp import RECIPROCAL_RTOL, AHPError, as_pairwise, combine_judgements

SAATY = [1 / 9, 1 / 7, 1 / 5, 1 / 3, 1.0, 3.0, 5.0, 7.0, 9.0]


def reference(matrices: Sequence[Any]) -> np.ndarray:
    """The cell-by-cell aggregation (before issue 14), refusals included."""
    parsed = []
    for k, matrix in enumerate(matrices, start=1):
        try:
            values = as_pairwise(matrix)
        except AHPError as exc:
            raise AHPError(f"matrix {k}: {exc}") from None
        if parsed and values.shape != parsed[0].shape:
            raise AHPError(f"matrix {k} is {values.shape[0]}x{values.shape[0]} but matrix 1 is "
                           f"{parsed[0].shape[0]}x{parsed[0].shape[0]}; all experts must compare the same items")
        parsed.append(values)
    return np.exp(np.mean(np.log(np.stack(parsed)), axis=0))


def outcome(fn: Any, matrices: Sequence[Any]) -> tuple[str, Any]:
    try:
        return "ok", fn(matrices)
    except AHPError as exc:
        return "refused", str(exc)


@st.composite
def reciprocal_stacks(draw: st.DrawFn) -> list[np.ndarray]:
    """2 to 40 experts' reciprocal matrices of 1 to 7 items on Saaty's scale."""
    n = draw(st.integers(1, 7))
    m = draw(st.integers(2, 40))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    out = []
    for _ in range(m):
        upper = np.triu(rng.choice(SAATY, size=(n, n)), 1)
        lower = np.tril(1 / np.where(upper.T == 0, 1, upper.T), -1)
        out.append(upper + lower + np.eye(n))
    return out


# What a corrupted cell becomes: a broken value for cell (i, j) of a matrix whose value there is v.
BREAKS = {
    "negative": lambda v: -v,
    "zero": lambda v: 0.0,
    "nan": lambda v: float("nan"),
    "inf": lambda v: float("inf"),
    "not reciprocal": lambda v: v * 2,
    "just outside the tolerance": lambda v: v * (1 + RECIPROCAL_RTOL) * (1 + 1e-12),
    "just inside the tolerance": lambda v: v * (1 + RECIPROCAL_RTOL) * (1 - 1e-12),
    "0.333 for 1/3": lambda v: round(v, 3),
}


@settings(max_examples=150, deadline=None)
@given(reciprocal_stacks())
def test_same_combined_matrix_as_cell_by_cell(matrices: list[np.ndarray]) -> None:
    np.testing.assert_allclose(combine_judgements(matrices), reference(matrices), rtol=1e-12)
    stacked = np.stack(matrices)
    np.testing.assert_allclose(combine_judgements(stacked), reference(matrices), rtol=1e-12)
    as_lists = [a.tolist() for a in matrices]
    np.testing.assert_allclose(combine_judgements(as_lists), reference(matrices), rtol=1e-12)


@settings(max_examples=300, deadline=None)
@given(reciprocal_stacks(), st.data())
def test_same_refusal_as_cell_by_cell(matrices: list[np.ndarray], data: st.DataObject) -> None:
    """One or two cells corrupted anywhere: the same outcome, and the same words when refused."""
    for _ in range(data.draw(st.integers(1, 2))):
        k = data.draw(st.integers(0, len(matrices) - 1))
        n = matrices[k].shape[0]
        i, j = data.draw(st.integers(0, n - 1)), data.draw(st.integers(0, n - 1))
        kind = data.draw(st.sampled_from(sorted(BREAKS)))
        matrices[k] = matrices[k].copy()
        matrices[k][i, j] = BREAKS[kind](matrices[k][i, j])
    for form in (matrices, np.stack(matrices), [a.tolist() for a in matrices]):
        expected = outcome(reference, form)  # a cell's words follow its type (np.float64(inf), inf)
        got = outcome(combine_judgements, form)
        assert got[0] == expected[0]
        if got[0] == "refused":
            assert got[1] == expected[1]
        else:
            np.testing.assert_allclose(got[1], expected[1], rtol=1e-12)


def test_the_first_bad_matrix_and_its_first_bad_cell_are_named() -> None:
    good = [[1.0, 3.0, 5.0], [1 / 3, 1.0, 2.0], [1 / 5, 1 / 2, 1.0]]
    second = [[1.0, 3.0, 5.0], [1 / 3, 1.0, 2.0], [1 / 5, 2.0, 1.0]]  # a32 should be 1/2
    third = [[1.0, 3.0, 5.0], [1 / 3, -1.0, 2.0], [1 / 5, 1 / 2, 1.0]]  # diagonal negative
    with pytest.raises(AHPError) as caught:
        combine_judgements([good] * 500 + [second] + [good] * 10 + [third])
    assert str(caught.value) == (
        "matrix 501: row 3, column 2: 2 is not the reciprocal of the judgement 2 at row 2, column 3; "
        "expected 1/2 = 0.5")


def test_tolerance_edges_on_both_sides() -> None:
    # a12 * a21 = 1.01 * 1 - 1 = 0.010000000000000009 > 1 %: refused, as cell by cell
    outside = [[1.0, 1.01], [1.0, 1.0]]
    inside = [[1.0, 1.0099], [1.0, 1.0]]
    with pytest.raises(AHPError, match=r"^matrix 3: row 2, column 1: 1 is not the reciprocal"):
        combine_judgements([inside, inside, outside])
    np.testing.assert_allclose(combine_judgements([inside, inside]), [[1.0, 1.0099], [1.0, 1.0]])
    # the diagonal: 1 + 1e-10 is 1 (rel_tol 1e-9), 1 + 1e-8 is not
    with pytest.raises(AHPError, match=r"^matrix 2: row 1, column 1: diagonal judgement is 1, expected 1$"):
        combine_judgements([[[1 + 1e-10]], [[1 + 1e-8]]])


def test_text_cells_and_numbers_mixed_are_parsed() -> None:
    # 4 and 1 -> geometric mean 2; "1/4" and 1 -> 1/2
    combined = combine_judgements([[[1, "4"], ["1/4", 1]], np.array([[1.0, 1.0], [1.0, 1.0]])])
    np.testing.assert_allclose(combined, [[1.0, 2.0], [0.5, 1.0]])
    with pytest.raises(AHPError, match=r"^matrix 2: row 1, column 2: 'x' is not a positive number$"):
        combine_judgements([[[1, 2], [0.5, 1]], [[1, "x"], [1, 1]]])


def test_booleans_and_sizes_are_refused_as_before() -> None:
    with pytest.raises(AHPError, match=r"^matrix 1: row 1, column 1: True is not a positive number$"):
        combine_judgements([[[True]], [[1.0]]])
    with pytest.raises(AHPError, match=r"^matrix 2 is 1x1 but matrix 1 is 2x2"):
        combine_judgements([np.ones((2, 2)), np.eye(1)])


def test_inputs_are_not_modified() -> None:
    matrices = [np.array([[1.0, 3.0], [1 / 3, 1.0]]), np.array([[1.0, 5.0], [0.2, 1.0]])]
    copies = [a.copy() for a in matrices]
    stacked = np.stack(matrices)
    stacked_copy = stacked.copy()
    lists = [a.tolist() for a in matrices]
    for form in (matrices, stacked, lists):
        combine_judgements(form)
    for a, b in zip(matrices, copies, strict=True):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(stacked, stacked_copy)
    assert lists == [a.tolist() for a in copies]
