"""Tests of :mod:`innexport.core.ahp` and of the ``innexport ahp`` command."""

from __future__ import annotations

import json
import math
import random
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner, Result

from innexport.cli import _register, app
from innexport.core.ahp import (
    RANDOM_INDEX,
    AHPError,
    AHPResult,
    InconsistentMatrixError,
    ahp,
    as_pairwise,
    combine_judgements,
    parse_judgement,
    require_consistent,
)
from innexport.files.ahp import ahp_from_files, read_pairwise_csv

# The cyclic matrix a > b (9), b > c (9), c > a (9): maximally contradictory judgements.
# It is circulant, so by symmetry w = (1/3, 1/3, 1/3); then A w = (1 + 9 + 1/9) w, hence
# lambda_max = 91/9, CI = (91/9 - 3) / 2 = 32/9, CR = (32/9) / 0.58 (computed by hand).
CYCLIC = [[1, 9, 1 / 9], [1 / 9, 1, 9], [9, 1 / 9, 1]]

SAATY_SCALE = [float(k) for k in range(1, 10)] + [1.0 / k for k in range(2, 10)]


def consistent_matrix(weights: np.ndarray) -> np.ndarray:
    """a_ij = w_i / w_j: perfectly consistent (Saaty 1977)."""
    return np.outer(weights, 1.0 / weights)


def write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_text(text, encoding=encoding)
    return path


# --------------------------------------------------------------------------- core results


def test_random_index_is_saatys_table() -> None:
    assert RANDOM_INDEX == {
        1: 0.0, 2: 0.0, 3: 0.58, 4: 0.90, 5: 1.12, 6: 1.24, 7: 1.32, 8: 1.41,
        9: 1.45, 10: 1.49, 11: 1.51, 12: 1.48, 13: 1.56, 14: 1.57, 15: 1.59,
    }  # fmt: skip


def test_consistent_matrix_gives_back_its_weights() -> None:
    w = np.array([0.5, 0.25, 0.15, 0.1])
    result = ahp(consistent_matrix(w), ["a", "b", "c", "d"])
    np.testing.assert_allclose(result.weights, w, rtol=1e-12)
    assert result.lambda_max == pytest.approx(4.0, abs=1e-12)
    assert result.consistency_index == pytest.approx(0.0, abs=1e-12)
    assert result.consistency_ratio == pytest.approx(0.0, abs=1e-12)
    assert result.items == ("a", "b", "c", "d")


def test_two_by_two_by_hand() -> None:
    # w = (3, 1) / 4 solves A w = 2 w exactly; CI and CR are 0 by definition for n = 2.
    result = ahp([["1", "3"], ["1/3", "1"]])
    np.testing.assert_allclose(result.weights, [0.75, 0.25], rtol=1e-12)
    assert result.lambda_max == pytest.approx(2.0)
    assert result.consistency_index == 0.0
    assert result.consistency_ratio == 0.0
    assert result.items == ("1", "2")


def test_single_item_has_weight_one() -> None:
    result = ahp([[1]], ["only"])
    assert result.weights_dict() == {"only": 1.0}
    assert result.lambda_max == 1.0
    assert result.consistency_ratio == 0.0


def test_saaty_2008_drinks_example() -> None:
    # Saaty, T. L. (2008). Decision making with the analytic hierarchy process.
    # Int. J. Services Sciences 1(1), 83-98, "Which drink is consumed more in the U.S.?":
    # published derived priorities (eigenvector, 3 decimals) coffee .177, wine .019,
    # tea .042, beer .116, sodas .190, milk .129, water .327.
    items = ["coffee", "wine", "tea", "beer", "sodas", "milk", "water"]
    matrix = [
        ["1", "9", "5", "2", "1", "1", "1/2"],
        ["1/9", "1", "1/3", "1/9", "1/9", "1/9", "1/9"],
        ["1/5", "3", "1", "1/3", "1/4", "1/3", "1/9"],
        ["1/2", "9", "3", "1", "1/2", "1", "1/3"],
        ["1", "9", "4", "2", "1", "2", "1/2"],
        ["1", "9", "3", "1", "1/2", "1", "1/3"],
        ["2", "9", "9", "3", "2", "3", "1"],
    ]
    result = ahp(matrix, items)
    published = [0.177, 0.019, 0.042, 0.116, 0.190, 0.129, 0.327]
    np.testing.assert_allclose(np.round(result.weights, 3), published, atol=1e-12)
    # The eigen-equation A w = lambda_max w holds row by row.
    a = as_pairwise(matrix)
    np.testing.assert_allclose(a @ result.weights, result.lambda_max * result.weights, rtol=1e-9)
    assert result.consistency_ratio < 0.10
    assert result.consistency_ratio == pytest.approx(
        (result.lambda_max - 7) / 6 / RANDOM_INDEX[7], rel=1e-12
    )


def test_saaty_1977_light_intensity_example() -> None:
    # Saaty (1977), J. Math. Psychology 15, 234-281, and Saaty (1980), section 2-3:
    # relative brightness of four chairs judged by an observer; published
    # lambda_max = 4.39 and C.I. = 0.13.
    matrix = [
        ["1", "5", "6", "7"],
        ["1/5", "1", "4", "6"],
        ["1/6", "1/4", "1", "4"],
        ["1/7", "1/6", "1/4", "1"],
    ]
    result = ahp(matrix)
    assert round(result.lambda_max, 2) == 4.39
    assert round(result.consistency_index, 2) == 0.13
    assert result.consistency_ratio == pytest.approx(result.consistency_index / 0.90)
    # Cross-check with the row geometric-mean approximation (Crawford & Williams 1985).
    rows = np.prod(as_pairwise(matrix), axis=1) ** (1 / 4)
    np.testing.assert_allclose(result.weights, rows / rows.sum(), atol=0.01)
    assert list(np.argsort(-result.weights)) == [0, 1, 2, 3]


def test_three_by_three_closed_form() -> None:
    # For n = 3, lambda_max = 1 + c + 1/c with c = (a12 a23 / a13)^(1/3), and the
    # eigenvector is the normalised vector of row geometric means.
    a12, a13, a23 = 3.0, 5.0, 2.0
    result = ahp([[1, a12, a13], [1 / a12, 1, a23], [1 / a13, 1 / a23, 1]])
    c = (a12 * a23 / a13) ** (1 / 3)
    assert result.lambda_max == pytest.approx(1 + c + 1 / c, rel=1e-12)
    rows = np.array([(a12 * a13), a23 / a12, 1 / (a13 * a23)]) ** (1 / 3)
    np.testing.assert_allclose(result.weights, rows / rows.sum(), rtol=1e-12)


def test_cyclic_matrix_is_inconsistent() -> None:
    result = ahp(CYCLIC, ["a", "b", "c"])
    np.testing.assert_allclose(result.weights, [1 / 3, 1 / 3, 1 / 3], rtol=1e-12)
    assert result.lambda_max == pytest.approx(91 / 9, rel=1e-12)
    assert result.consistency_index == pytest.approx(32 / 9, rel=1e-12)
    assert result.consistency_ratio == pytest.approx(32 / 9 / 0.58, rel=1e-12)
    with pytest.raises(InconsistentMatrixError) as caught:
        require_consistent(result)
    assert caught.value.consistency_ratio == result.consistency_ratio
    assert caught.value.result is result
    assert "6.130" in str(caught.value)
    assert "0.1" in str(caught.value)
    assert isinstance(caught.value, AHPError)


def test_require_consistent_returns_the_result() -> None:
    result = ahp(consistent_matrix(np.array([2.0, 1.0, 1.0])))
    assert require_consistent(result) is result
    cyclic = ahp(CYCLIC)
    assert require_consistent(cyclic, max_cr=10.0) is cyclic
    with pytest.raises(AHPError, match="limit"):
        require_consistent(result, max_cr=-0.1)


def test_result_as_dict_and_read_only_weights() -> None:
    result = ahp([["1", "4"], ["1/4", "1"]], ["x", "y"])
    assert result.as_dict() == {
        "weights": {"x": pytest.approx(0.8), "y": pytest.approx(0.2)},
        "lambda_max": pytest.approx(2.0),
        "consistency_index": 0.0,
        "consistency_ratio": 0.0,
    }
    assert list(result.weights_dict()) == ["x", "y"]
    with pytest.raises(ValueError):
        result.weights[0] = 0.5
    with pytest.raises(AHPError):
        AHPResult(("x",), np.array([0.5, 0.5]), 2.0, 0.0, 0.0)


def test_more_than_fifteen_items_has_no_random_index() -> None:
    with pytest.raises(AHPError, match="15"):
        ahp(np.ones((16, 16)))


# ---------------------------------------------------------------------- parsing and checks


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("3", 3.0),
        ("1/3", 1 / 3),
        (" 1 / 5 ", 0.2),
        (0.5, 0.5),
        ("0.25", 0.25),
        ("0,5", 0.5),
        (7, 7.0),
        (np.float64(2.0), 2.0),
        ("2/4", 0.5),
        ("1e-1", 0.1),
    ],
)
def test_parse_judgement(value: str | float, expected: float) -> None:
    assert parse_judgement(value) == pytest.approx(expected, rel=1e-15)


@pytest.mark.parametrize(
    "value",
    ["0", "-3", "nan", "inf", "1/0", "0/4", "-1/3", "", "   ", "abc", "1/2/3", "/3", "3/",
     0, -1, 0.0, float("nan"), float("inf"), True, None],
)  # fmt: skip
def test_parse_judgement_rejects(value: object) -> None:
    with pytest.raises(AHPError):
        parse_judgement(value)  # type: ignore[arg-type]


def test_parse_judgement_message_quotes_the_value() -> None:
    with pytest.raises(AHPError, match=r"^'1/0' is not a positive number$"):
        parse_judgement("1/0")


def test_as_pairwise_reciprocal_tolerance() -> None:
    a = as_pairwise([["1", "3", "9"], ["0.333", "1", "3"], ["0.111", "1/3", "1"]])
    assert a.dtype == float
    assert a[1, 0] == 0.333
    with pytest.raises(AHPError, match=r"0.14 is not the reciprocal of the judgement 7"):
        as_pairwise([["1", "7"], ["0.14", "1"]])  # 2 % off 1/7


ITEMS = ["networks", "culture", "skills"]


@pytest.mark.parametrize(
    ("matrix", "message"),
    [
        ([["1", "3", "x"], ["1/3", "1", "1"], ["1", "1", "1"]], r"networks vs skills: 'x' is not"),
        ([["1", "3", "2"], ["1/3", "1", "-1"], ["1/2", "1", "1"]], r"culture vs skills: '-1' is"),
        ([["1", "3", "2"], ["1/2", "1", "1"], ["1/2", "1", "1"]],
         (r"culture vs networks: 0\.5 is not the reciprocal of the judgement 3 "
          r"at networks vs culture; expected 1/3 = 0\.3333")),
        ([["1", "3", "2"], ["1/3", "2", "1"], ["1/2", "1", "1"]], r"culture vs culture: diagonal"),
        ([["1", "3"], ["1/3", "1"], ["1", "1"]], r"row 1 has 2 judgements, expected 3"),
        ([], r"empty matrix"),
    ],
)  # fmt: skip
def test_as_pairwise_errors_name_the_cell(matrix: list[list[str]], message: str) -> None:
    with pytest.raises(AHPError, match=message):
        as_pairwise(matrix, ITEMS if len(matrix) == 3 and len(matrix[0]) == 3 else None)


def test_as_pairwise_without_items_names_row_and_column() -> None:
    with pytest.raises(AHPError, match=r"^row 2, column 3: 'oops' is not a positive number$"):
        as_pairwise([["1", "1", "1"], ["1", "1", "oops"], ["1", "1", "1"]])


def test_as_pairwise_checks_item_names() -> None:
    with pytest.raises(AHPError, match="2 item names for a 3x3 matrix"):
        as_pairwise(np.ones((3, 3)), ["a", "b"])
    with pytest.raises(AHPError, match="'a' appears twice"):
        as_pairwise(np.ones((3, 3)), ["a", "b", "a"])
    with pytest.raises(AHPError, match="square matrix"):
        as_pairwise([1, 2, 3])


# --------------------------------------------------------------------------- several experts


def test_combine_two_experts_is_the_geometric_mean() -> None:
    a = as_pairwise([["1", "3", "5"], ["1/3", "1", "2"], ["1/5", "1/2", "1"]])
    b = as_pairwise([["1", "1/3", "9"], ["3", "1", "4"], ["1/9", "1/4", "1"]])
    combined = combine_judgements([a, b])
    np.testing.assert_allclose(combined, np.sqrt(a * b), rtol=1e-12)
    # Hand-checked cells: sqrt(3 * 1/3) = 1, sqrt(5 * 9) = sqrt(45), sqrt(2 * 4) = sqrt(8).
    assert combined[0, 1] == pytest.approx(1.0)
    assert combined[0, 2] == pytest.approx(math.sqrt(45))
    assert combined[1, 2] == pytest.approx(math.sqrt(8))
    np.testing.assert_allclose(combined * combined.T, np.ones((3, 3)), rtol=1e-12)


def test_combine_judgements_errors() -> None:
    with pytest.raises(AHPError, match="no matrices"):
        combine_judgements([])
    with pytest.raises(AHPError, match="matrix 2 is 2x2 but matrix 1 is 3x3"):
        combine_judgements([np.ones((3, 3)), np.ones((2, 2))])
    with pytest.raises(AHPError, match=r"^matrix 2: row 1, column 2: "):
        combine_judgements([np.ones((2, 2)), [[1, 0], [1, 1]]])


# ------------------------------------------------------------------------------ CSV files


def test_read_csv_semicolons_bom_and_decimal_comma(tmp_path: Path) -> None:
    path = write(
        tmp_path / "w.csv",
        "criteria;networks;culture;skills\r\n"
        "networks;1;3;5\r\n"
        "culture;1/3;1;2\r\n"
        "skills;0,2;1/2;1\r\n",
        encoding="utf-8-sig",
    )
    items, matrix = read_pairwise_csv(path)
    assert items == ITEMS
    np.testing.assert_allclose(matrix, [[1, 3, 5], [1 / 3, 1, 2], [0.2, 0.5, 1]])


def test_read_csv_commas_blank_lines_and_trailing_cells(tmp_path: Path) -> None:
    path = write(tmp_path / "w.csv", ",a,b,,\n\na,1,4,,\nb,1/4,1\n\n")
    items, matrix = read_pairwise_csv(str(path))
    assert items == ["a", "b"]
    np.testing.assert_allclose(matrix, [[1, 4], [0.25, 1]])


def test_read_csv_bad_fraction_names_file_line_column_items(tmp_path: Path) -> None:
    path = write(
        tmp_path / "weights.csv",
        ",networks,skills,culture\n"
        "networks,1,2,3\n"
        "skills,1/2,1,1/0\n"
        "culture,1/3,1,1\n",
    )
    with pytest.raises(AHPError) as caught:
        read_pairwise_csv(path)
    assert str(caught.value) == (
        f"{path}, line 3, column 4 (skills vs culture): '1/0' is not a positive number"
    )


def test_read_csv_line_numbers_count_blank_lines(tmp_path: Path) -> None:
    path = write(tmp_path / "w.csv", "x,a,b\n\n\na,1,2\nb,1/3,1\n")
    with pytest.raises(AHPError) as caught:
        read_pairwise_csv(path)
    message = str(caught.value)
    assert message.startswith(f"{path}, line 5, column 2 (b vs a): 0.333333 is not the reciprocal")
    assert "at line 4, column 3 (a vs b)" in message


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "empty file"),
        ("\n;;;\n", "empty file"),
        ("x\n", "line 1: the header row names no items"),
        ("x,a,,b\n", "line 1, column 3: empty item name"),
        ("x,a,a\na,1,1\na,1,1\n", "line 1, column 3: item 'a' appears twice"),
        ("x,a,b\na,1,2\n", r"the header names 2 items \(a, b\) but 1 rows"),
        ("x,a,b\nb,1,2\na,1/2,1\n", "line 2, column 1: row name 'b' should be 'a'"),
        ("x,a,b\na,1,2,3\nb,1/2,1\n", r"line 2 \(a\): 3 judgements, expected 2"),
    ],
)
def test_read_csv_structure_errors(tmp_path: Path, text: str, message: str) -> None:
    path = write(tmp_path / "w.csv", text)
    with pytest.raises(AHPError, match=message) as caught:
        read_pairwise_csv(path)
    assert str(caught.value).startswith(str(path))


def test_read_csv_missing_and_binary_files(tmp_path: Path) -> None:
    with pytest.raises(AHPError, match=r"missing\.csv: cannot read the file"):
        read_pairwise_csv(tmp_path / "missing.csv")
    binary = tmp_path / "binary.csv"
    binary.write_bytes(b"x,a\na,\xff\n")
    with pytest.raises(AHPError, match=r"binary\.csv: not UTF-8 text"):
        read_pairwise_csv(binary)


def test_ahp_from_files_reorders_and_combines(tmp_path: Path) -> None:
    first = write(tmp_path / "e1.csv", "x,a,b,c\na,1,3,5\nb,1/3,1,2\nc,1/5,1/2,1\n")
    # The second expert lists the items in another order.
    second = write(tmp_path / "e2.csv", "x,c,a,b\nc,1,1/9,1/4\na,9,1,1/3\nb,4,3,1\n")
    result = ahp_from_files([first, second])
    assert result.items == ("a", "b", "c")
    expected = np.sqrt(
        np.array([[1, 3, 5], [1 / 3, 1, 2], [1 / 5, 1 / 2, 1]])
        * np.array([[1, 1 / 3, 9], [3, 1, 4], [1 / 9, 1 / 4, 1]])
    )
    reference = ahp(expected, ["a", "b", "c"])
    np.testing.assert_allclose(result.weights, reference.weights, rtol=1e-12)
    assert result.consistency_ratio == pytest.approx(reference.consistency_ratio, rel=1e-9)


def test_ahp_from_files_rejects_other_items(tmp_path: Path) -> None:
    first = write(tmp_path / "e1.csv", "x,a,b\na,1,3\nb,1/3,1\n")
    second = write(tmp_path / "e2.csv", "x,a,z\na,1,3\nz,1/3,1\n")
    with pytest.raises(AHPError, match=r"e2.csv: compares other items than .*e1.csv; missing: b; "):
        ahp_from_files([first, second])
    with pytest.raises(AHPError, match="no pairwise-comparison file"):
        ahp_from_files([])


# ------------------------------------------------------------------------------ properties


@st.composite
def reciprocal_matrices(draw: st.DrawFn, n: int | None = None) -> np.ndarray:
    """Random reciprocal matrices with judgements on Saaty's 1-9 scale."""
    size = draw(st.integers(1, 9)) if n is None else n
    a = np.ones((size, size))
    for i in range(size):
        for j in range(i + 1, size):
            a[i, j] = draw(st.sampled_from(SAATY_SCALE))
            a[j, i] = 1.0 / a[i, j]
    return a


@given(reciprocal_matrices())
def test_weights_are_positive_and_sum_to_one(a: np.ndarray) -> None:
    result = ahp(a)
    n = a.shape[0]
    assert np.all(result.weights > 0)
    assert result.weights.sum() == pytest.approx(1.0, rel=1e-12)
    assert result.lambda_max >= n - 1e-9  # Saaty (1977): lambda_max >= n
    assert result.consistency_ratio >= 0.0


@given(reciprocal_matrices(), st.randoms(use_true_random=False))
def test_permuting_items_permutes_weights(a: np.ndarray, rnd: random.Random) -> None:
    n = a.shape[0]
    perm = list(range(n))
    rnd.shuffle(perm)
    original = ahp(a)
    permuted = ahp(a[np.ix_(perm, perm)])
    np.testing.assert_allclose(permuted.weights, original.weights[perm], rtol=1e-7, atol=1e-12)
    assert permuted.lambda_max == pytest.approx(original.lambda_max, rel=1e-9)


@given(
    st.lists(
        st.floats(0.01, 100.0, allow_nan=False, allow_infinity=False), min_size=1, max_size=15
    )
)
def test_consistent_matrix_recovers_random_weights(raw: list[float]) -> None:
    w = np.array(raw) / sum(raw)
    result = ahp(consistent_matrix(w))
    np.testing.assert_allclose(result.weights, w, rtol=1e-8)
    assert result.lambda_max == pytest.approx(len(raw), rel=1e-9)
    assert result.consistency_ratio == pytest.approx(0.0, abs=1e-8)


@given(
    st.integers(1, 8).flatmap(
        lambda n: st.lists(reciprocal_matrices(n), min_size=1, max_size=5)
    )
)
def test_combined_reciprocal_matrices_are_reciprocal(matrices: list[np.ndarray]) -> None:
    combined = combine_judgements(matrices)
    n = matrices[0].shape[0]
    np.testing.assert_allclose(combined * combined.T, np.ones((n, n)), rtol=1e-12)
    np.testing.assert_allclose(np.diag(combined), np.ones(n), rtol=1e-12)
    ahp(combined)  # a valid pairwise matrix


@settings(max_examples=50)
@given(reciprocal_matrices(3))
def test_three_by_three_eigenvector_equals_geometric_means(a: np.ndarray) -> None:
    result = ahp(a)
    rows = np.prod(a, axis=1) ** (1 / 3)
    np.testing.assert_allclose(result.weights, rows / rows.sum(), rtol=1e-9)
    c = (a[0, 1] * a[1, 2] / a[0, 2]) ** (1 / 3)
    assert result.lambda_max == pytest.approx(1 + c + 1 / c, rel=1e-9)


# ------------------------------------------------------------------------------ command line

runner = CliRunner()


def invoke(*args: str) -> Result:
    """Run ``innexport ahp ARGS``."""
    _register()
    return runner.invoke(app, ["ahp", *args])


CONSISTENT_CSV = (
    "criteria;networks;culture;skills\n"
    "networks;1;3;5\n"
    "culture;1/3;1;2\n"
    "skills;1/5;1/2;1\n"
)


def test_cli_one_file_prints_table(tmp_path: Path) -> None:
    path = write(tmp_path / "expert.csv", CONSISTENT_CSV)
    result = invoke(str(path))
    assert result.exit_code == 0, result.output
    out = result.stdout
    for item in ITEMS:
        assert item in out
    reference = ahp([[1, 3, 5], [1 / 3, 1, 2], [1 / 5, 1 / 2, 1]])
    assert f"{reference.weights[0]:.3f}" in out
    assert out.index("networks") < out.index("culture") < out.index("skills")
    assert f"lambda_max = {reference.lambda_max:.3f}" in out
    assert f"CR = {reference.consistency_ratio:.3f}: acceptable" in out
    assert result.stderr == ""


def test_cli_two_experts_json(tmp_path: Path) -> None:
    first = write(tmp_path / "e1.csv", CONSISTENT_CSV)
    second = write(
        tmp_path / "e2.csv",
        "x,skills,networks,culture\nskills,1,1/3,1\nnetworks,3,1,2\nculture,1,1/2,1\n",
    )
    result = invoke(str(first), str(second), "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert set(data) == {"weights", "lambda_max", "consistency_index", "consistency_ratio", "experts"}
    assert list(data["weights"]) == ITEMS
    # each expert's own consistency ratio, to find the one to revise
    own = [ahp(*read_pairwise_csv(p)[::-1]).consistency_ratio for p in (first, second)]
    assert [e["file"] for e in data["experts"]] == [str(first), str(second)]
    assert [e["consistency_ratio"] for e in data["experts"]] == pytest.approx(own)
    assert own[1] > 0 and own[0] != pytest.approx(own[1])
    table = invoke(str(first), str(second))
    assert "Each expert's own judgements" in table.stdout
    assert f"{own[1]:.3f}" in table.stdout
    expected = ahp_from_files([first, second])
    assert data["weights"] == pytest.approx(expected.weights_dict())
    assert data["lambda_max"] == pytest.approx(expected.lambda_max)
    assert data["consistency_ratio"] == pytest.approx(expected.consistency_ratio)
    assert sum(data["weights"].values()) == pytest.approx(1.0)


def test_cli_inconsistent_file_exits_1(tmp_path: Path) -> None:
    path = write(tmp_path / "cyclic.csv", "x,a,b,c\na,1,9,1/9\nb,1/9,1,9\nc,9,1/9,1\n")
    result = invoke(str(path))
    assert result.exit_code == 1
    assert "NOT acceptable" in result.stdout
    assert "6.130" in result.stderr
    as_json = invoke(str(path), "--json")
    assert as_json.exit_code == 1
    assert json.loads(as_json.stdout)["consistency_ratio"] == pytest.approx(32 / 9 / 0.58)
    assert "exceeds the limit 0.1" in as_json.stderr
    assert invoke(str(path), "--max-cr", "7").exit_code == 0


def test_cli_bad_fraction_exits_2(tmp_path: Path) -> None:
    path = write(tmp_path / "bad.csv", "x,a,b\na,1,1/0\nb,1,1\n")
    result = invoke(str(path))
    assert result.exit_code == 2
    assert f"{path}, line 2, column 3 (a vs b): '1/0' is not a positive number" in result.stderr
    assert result.stdout == ""
    assert "Traceback" not in result.output


def test_cli_missing_file_exits_2(tmp_path: Path) -> None:
    result = invoke(str(tmp_path / "nope.csv"))
    assert result.exit_code == 2
    assert "nope.csv: cannot read the file" in result.stderr
    assert result.exception is None or isinstance(result.exception, SystemExit)
