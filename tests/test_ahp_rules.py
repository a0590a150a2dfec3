"""The rules of :mod:`innexport.core.ahp`, exactly: limits, tolerances, defaults and the words of every refusal.

tests/test_ahp.py checks the method on published examples and properties; this file pins what those
leave loose: each documented limit on both of its sides (the 1 % reciprocity tolerance, the diagonal,
the 15 items of Saaty's random index, ``CR <= max_cr`` with the default 0.10), the consistency index
of a hand-solved 3x3 matrix and of Saaty's (1977) chairs example against that default, the exact
messages that name the file, line, column and items, and the combination of one or several experts.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from innexport.core.ahp import (
    RECIPROCAL_RTOL,
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

# a12 = 2, a13 = 1, a23 = 4. For n = 3 the weights are the normalised row geometric means:
# (1*2*1)^(1/3) = 2^(1/3), (1/2*1*4)^(1/3) = 2^(1/3), (1*1/4*1)^(1/3) = 2^(-2/3), i.e. proportional to
# (2, 2, 1): w = (0.4, 0.4, 0.2). Check A w: row 1 = 0.4 + 0.8 + 0.2 = 1.4 = 3.5 * 0.4,
# row 2 = 0.2 + 0.4 + 0.8 = 1.4 = 3.5 * 0.4, row 3 = 0.4 + 0.1 + 0.2 = 0.7 = 3.5 * 0.2, so
# lambda_max = 3.5, CI = (3.5 - 3) / 2 = 0.25 and CR = 0.25 / RI(3) = 0.25 / 0.58 = 0.4310...
HAND_3X3 = [["1", "2", "1"], ["1/2", "1", "4"], ["1", "1/4", "1"]]

# Saaty (1977), J. Math. Psychology 15, 234-281 (and Saaty 1980, section 2-3): the four chairs;
# published lambda_max = 4.39 and C.I. = 0.13, so CR = 0.13 / RI(4) = 0.13 / 0.90 = 0.14 > 0.10.
CHAIRS = [["1", "5", "6", "7"], ["1/5", "1", "4", "6"], ["1/6", "1/4", "1", "4"], ["1/7", "1/6", "1/4", "1"]]


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def refusal(call: object, *args: object) -> str:
    """The message of the AHPError ``call(*args)`` raises."""
    with pytest.raises(AHPError) as caught:
        call(*args)  # type: ignore[operator]
    return str(caught.value)


# ------------------------------------------------------------------------------ consistency


def test_hand_solved_three_by_three() -> None:
    result = ahp(HAND_3X3, ["a", "b", "c"])
    np.testing.assert_allclose(result.weights, [0.4, 0.4, 0.2], rtol=1e-12)
    assert result.lambda_max == pytest.approx(3.5, rel=1e-12)
    assert result.consistency_index == pytest.approx(0.25, rel=1e-12)
    assert result.consistency_ratio == pytest.approx(0.25 / 0.58, rel=1e-12)
    assert result.items == ("a", "b", "c")


def test_default_items_are_one_to_n() -> None:
    assert ahp(HAND_3X3).items == ("1", "2", "3")


def test_default_limit_is_ten_percent() -> None:
    # CR = 0.431 (HAND_3X3) and 0.14 (the chairs) both exceed Saaty's 0.10.
    for matrix in (HAND_3X3, CHAIRS):
        result = ahp(matrix)
        with pytest.raises(InconsistentMatrixError) as caught:
            require_consistent(result)
        assert caught.value.max_cr == 0.10
        assert caught.value.consistency_ratio == result.consistency_ratio
    assert ahp(CHAIRS).consistency_ratio == pytest.approx(0.13 / 0.90, abs=0.005)
    # Judgements with CR just above the limit pass a wider one.
    chairs = ahp(CHAIRS)
    assert require_consistent(chairs, max_cr=0.15) is chairs


def test_inconsistency_message() -> None:
    result = ahp(HAND_3X3, ["networks", "culture", "skills"])
    with pytest.raises(InconsistentMatrixError) as caught:
        require_consistent(result, max_cr=0.25)
    assert str(caught.value) == (
        "consistency ratio CR = 0.431 exceeds the limit 0.25 (items: networks, culture, skills); "
        "the judgements contradict each other too much, revise them"
    )
    assert caught.value.max_cr == 0.25
    assert caught.value.result is result


def test_limit_is_inclusive() -> None:
    # "CR <= 0.10" is accepted: a result exactly at the limit passes.
    result = ahp(HAND_3X3)
    assert require_consistent(result, max_cr=result.consistency_ratio) is result
    two = ahp([["1", "5"], ["1/5", "1"]])  # CR = 0 exactly for n = 2
    assert require_consistent(two, max_cr=0.0) is two


@pytest.mark.parametrize(("limit", "shown"), [(-0.1, "-0.1"), (float("nan"), "nan"), (-1e-9, "-1e-09")])
def test_negative_or_nan_limit_is_refused(limit: float, shown: str) -> None:
    assert refusal(require_consistent, ahp(HAND_3X3), limit) == f"the consistency-ratio limit must be >= 0, got {shown}"


def test_tolerated_rounding_never_gives_a_negative_index() -> None:
    # 0.333 and 0.111 are accepted for 1/3 and 1/9, and make lambda_max a little below n = 3
    # (3 - 0.0010, numpy); the consistency index is never negative: it is 0.
    a = [["1", "3", "9"], ["0.333", "1", "3"], ["0.111", "0.333", "1"]]
    result = ahp(a)
    assert result.lambda_max < 3.0
    assert result.consistency_index == 0.0
    assert result.consistency_ratio == 0.0


def test_fifteen_items_is_the_limit() -> None:
    result = ahp(np.ones((15, 15)))
    np.testing.assert_allclose(result.weights, np.full(15, 1 / 15), rtol=1e-12)
    assert result.consistency_ratio == pytest.approx(0.0, abs=1e-12)
    assert refusal(ahp, np.ones((16, 16))) == (
        "16 items: the random consistency index is published only up to 15 items; "
        "split the comparison into a hierarchy"
    )


def test_result_refuses_weights_of_another_length() -> None:
    assert refusal(AHPResult, ("x",), np.array([0.5, 0.5]), 2.0, 0.0, 0.0) == "1 items but (2,) weights"


def test_result_weights_are_a_read_only_copy() -> None:
    given_weights = np.array([0.75, 0.25])
    result = AHPResult(("x", "y"), given_weights, 2.0, 0.0, 0.0)
    given_weights[0] = 0.0
    assert result.weights_dict() == {"x": 0.75, "y": 0.25}
    assert not result.weights.flags.writeable


# --------------------------------------------------------------------------------- judgements


@pytest.mark.parametrize(
    ("value", "expected"),
    [("3/1", 3.0), ("1,5/3", 0.5), ("9 ", 9.0), ("1/9", 1 / 9), ("0.001", 0.001), (1e-300, 1e-300), ("1,5", 1.5)],
)
def test_more_judgements(value: str | float, expected: float) -> None:
    assert parse_judgement(value) == expected


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (None, "None is not a positive number"),
        (True, "True is not a positive number"),
        (False, "False is not a positive number"),
        ([3], "[3] is not a positive number"),
        ("", "empty judgement; expected a positive number such as 3 or 1/3"),
        (" \t", "empty judgement; expected a positive number such as 3 or 1/3"),
        ("abc", "'abc' is not a positive number"),
        ("1/2/3", "'1/2/3' is not a positive number"),
        ("1/0", "'1/0' is not a positive number"),
        ("0", "'0' is not a positive number"),
        ("-3", "'-3' is not a positive number"),
        ("inf", "'inf' is not a positive number"),
        (0, "0 is not a positive number"),
        (-0.5, "-0.5 is not a positive number"),
        (float("nan"), "nan is not a positive number"),
    ],
)
def test_judgement_refusals_quote_the_value(value: object, message: str) -> None:
    assert refusal(parse_judgement, value) == message


def test_reciprocity_tolerance_is_one_percent() -> None:
    assert RECIPROCAL_RTOL == 0.01
    # 7 * 0.1429 = 1.0003 and 3 * 0.3344 = 1.0032: within 1 %, kept as written.
    assert as_pairwise([["1", "7"], ["0.1429", "1"]])[1, 0] == 0.1429
    assert as_pairwise([["1", "3"], ["0.3344", "1"]])[1, 0] == 0.3344
    # 3 * 0.3367 = 1.0101 and 3 * 0.3 = 0.9: beyond 1 %.
    assert refusal(as_pairwise, [["1", "3"], ["0.3367", "1"]]) == (
        "row 2, column 1: 0.3367 is not the reciprocal of the judgement 3 at row 1, column 2; expected 1/3 = 0.3333"
    )
    assert refusal(as_pairwise, [["1", "3"], ["0.3", "1"]]).startswith("row 2, column 1: 0.3 is not the reciprocal")


def test_reciprocity_of_the_corner_pair_names_both_cells() -> None:
    # The pair (1, 3) of a 3x3 matrix: 2 opposite 1.
    assert refusal(as_pairwise, [[1, 1, 2], [1, 1, 1], [1, 1, 1]]) == (
        "row 3, column 1: 1 is not the reciprocal of the judgement 2 at row 1, column 3; expected 1/2 = 0.5"
    )
    assert refusal(as_pairwise, [[1, 1, 2], [1, 1, 1], [1, 1, 1]], ["a", "b", "c"]) == (
        "c vs a: 1 is not the reciprocal of the judgement 2 at a vs c; expected 1/2 = 0.5"
    )


def test_diagonal_is_one_up_to_rounding() -> None:
    assert as_pairwise([[1 + 1e-12, 1], [1, 1]])[0, 0] == 1 + 1e-12
    assert refusal(as_pairwise, [[1, 1], [1, 1.5]]) == "row 2, column 2: diagonal judgement is 1.5, expected 1"
    assert refusal(as_pairwise, [[1.00001, 1], [1, 1]]) == "row 1, column 1: diagonal judgement is 1.00001, expected 1"
    assert refusal(as_pairwise, [[1 - 1e-8, 1], [1, 1]]).startswith("row 1, column 1: diagonal judgement is")


def test_matrix_shape_messages() -> None:
    assert refusal(as_pairwise, 3) == "expected a square matrix (a list of rows)"
    assert refusal(as_pairwise, []) == "empty matrix; expected at least one item"
    assert refusal(as_pairwise, [[1, 1], [1]]) == "row 2 has 1 judgements, expected 2 (square matrix)"
    assert refusal(as_pairwise, [[1, "x"], [1, 1]]) == "row 1, column 2: 'x' is not a positive number"
    assert refusal(as_pairwise, np.ones((3, 3)), ["a", "b"]) == "2 item names for a 3x3 matrix"
    assert refusal(as_pairwise, np.ones((3, 3)), ["a", "b", "b"]) == "item name 'b' appears twice"
    assert refusal(as_pairwise, [[1, 1], [1, "0"]], ["a", "b"]) == "b vs b: '0' is not a positive number"


def test_item_names_are_kept_as_text() -> None:
    assert ahp([[1, 2], [0.5, 1]], [10, 20]).items == ("10", "20")


# ---------------------------------------------------------------------------- several experts


def test_one_expert_combines_to_his_own_matrix() -> None:
    a = as_pairwise(HAND_3X3)
    np.testing.assert_allclose(combine_judgements([HAND_3X3]), a, rtol=1e-12)


def test_unanimous_experts_keep_their_judgements() -> None:
    a = as_pairwise(HAND_3X3)
    np.testing.assert_allclose(combine_judgements([a, a, a]), a, rtol=1e-12)


def test_three_experts_geometric_mean_by_hand() -> None:
    # Cell (1, 2): (2 * 4 * 8)^(1/3) = 64^(1/3) = 4; cell (2, 1): its reciprocal 1/4.
    combined = combine_judgements([[[1, 2], [1 / 2, 1]], [[1, 4], [1 / 4, 1]], [[1, 8], [1 / 8, 1]]])
    np.testing.assert_allclose(combined, [[1, 4], [0.25, 1]], rtol=1e-12)


def test_combine_messages() -> None:
    assert refusal(combine_judgements, []) == "no matrices to combine"
    assert refusal(combine_judgements, [np.ones((2, 2)), np.ones((2, 2)), np.ones((3, 3))]) == (
        "matrix 3 is 3x3 but matrix 1 is 2x2; all experts must compare the same items"
    )
    assert refusal(combine_judgements, [[[1, "a"], [1, 1]]]) == "matrix 1: row 1, column 2: 'a' is not a positive number"


# ------------------------------------------------------------------------------------ CSV files


def test_csv_messages_name_the_file_and_line(tmp_path: Path) -> None:
    cases = {
        "": "{p}: empty file; expected a header row of item names",
        "\n\nx\n": "{p}, line 3: the header row names no items",
        "x,a, ,b\n": "{p}, line 1, column 3: empty item name",
        "x,a,b,a\n": "{p}, line 1, column 4: item 'a' appears twice",
        "x,a,b\na,1,2\n": "{p}: the header names 2 items (a, b) but 1 rows of judgements follow; expected 2",
        "x,a,b\na,1,2\nc,1/2,1\n": (
            "{p}, line 3, column 1: row name 'c' should be 'b'; rows must list the items in the same order as the header"
        ),
        "x,a,b\na,1,2\nb,1/2\n": "{p}, line 3 (b): 1 judgements, expected 2",
        "x,a,b\na,2,2\nb,1/2,1\n": "{p}, line 2, column 2 (a vs a): diagonal judgement is 2, expected 1",
    }
    for k, (text, message) in enumerate(cases.items()):
        path = write(tmp_path / f"w{k}.csv", text)
        assert refusal(read_pairwise_csv, path) == message.format(p=path)


def test_csv_separator_is_read_on_the_first_filled_line(tmp_path: Path) -> None:
    path = write(tmp_path / "w.csv", "\n\n x;a;b\na;1;0,5\nb;2;1\n")
    items, matrix = read_pairwise_csv(path)
    assert items == ["a", "b"]
    np.testing.assert_allclose(matrix, [[1, 0.5], [2, 1]])


def test_csv_byte_order_mark_is_not_a_cell(tmp_path: Path) -> None:
    # UTF-8 with a byte-order mark, then a blank line: the header is line 2, and the mark is no cell.
    path = tmp_path / "w.csv"
    path.write_bytes("\n x;réseaux;b\nréseaux;1;2\nb;1/2;1\n".encode("utf-8-sig"))
    items, matrix = read_pairwise_csv(path)
    assert items == ["réseaux", "b"]
    np.testing.assert_allclose(matrix, [[1, 2], [0.5, 1]])


def test_csv_quoted_names_are_kept_as_written(tmp_path: Path) -> None:
    # A quoted cell may hold the separator and line breaks (Python's csv module reads the file opened
    # with newline=""): the names are the cells' text, only their surrounding blanks removed.
    path = tmp_path / "w.csv"
    path.write_bytes(b'x,"net, works","in\nfo","ex\r\nport"\r\n"net, works",1,1,1\r\n"in\nfo",1,1,1\r\n'
                     b'"ex\r\nport",1,1,1\r\n')
    items, _ = read_pairwise_csv(path)
    assert items == ["net, works", "in\nfo", "ex\r\nport"]


def test_csv_blank_trailing_cells_are_dropped(tmp_path: Path) -> None:
    path = write(tmp_path / "w.csv", "x,a,b, , \na,1,3,\t\n  \nb,1/3,1, \n")
    items, matrix = read_pairwise_csv(path)
    assert items == ["a", "b"]
    np.testing.assert_allclose(matrix, [[1, 3], [1 / 3, 1]])


def test_csv_unreadable_files(tmp_path: Path) -> None:
    missing = tmp_path / "missing.csv"
    assert refusal(read_pairwise_csv, missing) == f"{missing}: cannot read the file (No such file or directory)"
    assert refusal(read_pairwise_csv, tmp_path) == f"{tmp_path}: cannot read the file (Is a directory)"
    binary = tmp_path / "binary.csv"
    binary.write_bytes(b"x,a\na,\xff\n")
    assert refusal(read_pairwise_csv, binary) == f"{binary}: not UTF-8 text (invalid start byte at byte 6)"


def test_files_one_expert(tmp_path: Path) -> None:
    path = write(tmp_path / "e.csv", "x,a,b,c\na,1,2,1\nb,1/2,1,4\nc,1,1/4,1\n")
    result = ahp_from_files([path])
    assert result.items == ("a", "b", "c")
    np.testing.assert_allclose(result.weights, [0.4, 0.4, 0.2], rtol=1e-12)  # HAND_3X3
    assert result.consistency_index == pytest.approx(0.25, rel=1e-12)


def test_files_other_items_messages(tmp_path: Path) -> None:
    first = write(tmp_path / "e1.csv", "x,a,b,c\na,1,1,1\nb,1,1,1\nc,1,1,1\n")
    fewer = write(tmp_path / "e2.csv", "x,a,b\na,1,1\nb,1,1\n")
    more = write(tmp_path / "e3.csv", "x,a,b,c,d\na,1,1,1,1\nb,1,1,1,1\nc,1,1,1,1\nd,1,1,1,1\n")
    other = write(tmp_path / "e4.csv", "x,a,z,c\na,1,1,1\nz,1,1,1\nc,1,1,1\n")
    assert refusal(ahp_from_files, [first, fewer]) == f"{fewer}: compares other items than {first}; missing: c"
    assert refusal(ahp_from_files, [first, more]) == f"{more}: compares other items than {first}; not in {first}: d"
    assert refusal(ahp_from_files, [first, other]) == (
        f"{other}: compares other items than {first}; missing: b; not in {first}: z"
    )
    assert refusal(ahp_from_files, []) == "no pairwise-comparison file given"
    two_other = write(tmp_path / "e5.csv", "x,a,y,z\na,1,1,1\ny,1,1,1\nz,1,1,1\n")
    assert refusal(ahp_from_files, [first, two_other]) == (
        f"{two_other}: compares other items than {first}; missing: b, c; not in {first}: y, z"
    )


def test_files_three_experts_geometric_mean(tmp_path: Path) -> None:
    # a over b: 2, 4 and 8 (the last file lists b first) -> (2 * 4 * 8)^(1/3) = 4: w = (0.8, 0.2).
    paths = [
        write(tmp_path / "e1.csv", "x,a,b\na,1,2\nb,1/2,1\n"),
        write(tmp_path / "e2.csv", "x,a,b\na,1,4\nb,1/4,1\n"),
        write(tmp_path / "e3.csv", "x,b,a\nb,1,1/8\na,8,1\n"),
    ]
    result = ahp_from_files(paths)
    assert result.items == ("a", "b")
    np.testing.assert_allclose(result.weights, [0.8, 0.2], rtol=1e-12)
    assert math.isclose(result.lambda_max, 2.0, rel_tol=1e-12)
