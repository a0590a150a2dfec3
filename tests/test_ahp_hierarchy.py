"""AHP hierarchies: :func:`innexport.core.ahp.hierarchy`, the hierarchy files of
:mod:`innexport.files.ahp` and ``innexport ahp --hierarchy`` (issue 12).

The published example is Wikipedia's "Analytic hierarchy process – leader example"
(https://en.wikipedia.org/wiki/Analytic_hierarchy_process_–_leader_example; the candidates are
Tom, Dick and Harry in its earlier revisions): its matrices are ``examples/ahp/leader.yaml`` and
its printed results are matched to their printed precision (three decimals).
"""

from __future__ import annotations

import json
import math
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner, Result

from innexport.cli import _register, app
from innexport.core.ahp import ACCEPTABLE_CR, RANDOM_INDEX, AHPError, hierarchy
from innexport.files.ahp import HierarchyFileError, hierarchy_from_files, parse_hierarchy
from innexport.files.limits import MAX_DOCUMENT_BYTES, refusal_in

EXAMPLES = Path(__file__).resolve().parents[1] / "examples" / "ahp"
SUPPLIER = EXAMPLES / "supplier.yaml"
SUPPLIER_2 = EXAMPLES / "supplier-expert2.yaml"
LEADER = EXAMPLES / "leader.yaml"

runner = CliRunner()


def invoke(*args: str) -> Result:
    """Run ``innexport ahp ARGS``."""
    _register()
    return runner.invoke(app, ["ahp", *args])


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


# ------------------------------------------------------------------ the published example


def test_leader_example_matches_the_published_priorities() -> None:
    """Wikipedia, "Analytic hierarchy process – leader example": global priorities Dick .493,
    Tom .358, Harry .149; local priorities under Experience .217/.717/.066, Education
    .188/.081/.731, Charisma .743/.194/.063, Age .265/.672/.063 (Tom/Dick/Harry)."""
    result = hierarchy_from_files([LEADER]).result
    assert {name: round(p, 3) for name, p in result.priorities_dict().items()} == {
        "Tom": 0.358, "Dick": 0.493, "Harry": 0.149}
    assert [name for name, _ in result.ranking()] == ["Dick", "Tom", "Harry"]
    published_local = {
        "Experience": [0.217, 0.717, 0.066],
        "Education": [0.188, 0.081, 0.731],
        "Charisma": [0.743, 0.194, 0.063],
        "Age": [0.265, 0.672, 0.063],
    }
    for criterion, weights in published_local.items():
        assert [round(float(w), 3) for w in result.local(criterion).weights] == weights, criterion


def test_leader_example_criteria_weights_within_the_printed_digit() -> None:
    """The article prints the criteria weights .547, .127, .270, .056. The exact eigenvector is
    .5476, .1266, .2699, .0559: Experience rounds one unit of the third decimal away (the article's
    figures come from an approximate computation, as AHPy's README notes for this example). Each
    weight is within that unit (0.001), and the order of the criteria is the published one."""
    result = hierarchy_from_files([LEADER]).result
    published = [0.547, 0.127, 0.270, 0.056]
    assert np.abs(result.criteria.weights - published).max() <= 0.001
    assert list(result.criteria.items) == ["Experience", "Education", "Charisma", "Age"]
    order = np.argsort(-result.criteria.weights)
    assert [result.criteria.items[k] for k in order] == ["Experience", "Charisma", "Education", "Age"]
    # every matrix of the example is acceptable (the article accepts them all)
    assert result.inconsistent() == []


# ------------------------------------------------------------------ the example by hand


SUPPLIER_CRITERIA: list[list[float]] = [[1, 1 / 3, 5], [3, 1, 7], [1 / 5, 1 / 7, 1]]
SUPPLIER_LOCAL: dict[str, list[list[float]]] = {
    "Price": [[1, 2, 4], [1 / 2, 1, 3], [1 / 4, 1 / 3, 1]],
    "Quality": [[1, 1 / 5, 1 / 2], [5, 1, 3], [2, 1 / 3, 1]],
    "Delivery": [[1, 3, 1], [1 / 3, 1, 1 / 2], [1, 2, 1]],
}


def by_hand_3x3(matrix: list[list[float]]) -> tuple[np.ndarray, float, float]:
    """Weights, lambda_max and CR of a 3x3 reciprocal matrix without the code under test.

    For n = 3 the principal eigenvector equals the normalised row geometric means (Crawford &
    Williams 1985), and lambda_max = 1 + t + 1/t with t = (a12 a23 / a13)^(1/3) (the characteristic
    polynomial of a 3x3 reciprocal matrix); RI(3) = 0.58 (Saaty 1980).
    """
    a = np.array(matrix, dtype=float)
    rows = a.prod(axis=1) ** (1 / 3)
    t = (a[0, 1] * a[1, 2] / a[0, 2]) ** (1 / 3)
    lambda_max = 1 + t + 1 / t
    return rows / rows.sum(), lambda_max, (lambda_max - 3) / 2 / 0.58


def by_numpy(matrix: list[list[float]]) -> np.ndarray:
    """The principal eigenvector by numpy's eig, normalised to sum to 1."""
    values, vectors = np.linalg.eig(np.array(matrix, dtype=float))
    v = np.abs(vectors[:, np.argmax(values.real)].real)
    return v / v.sum()


def test_supplier_example_by_hand() -> None:
    result = hierarchy_from_files([SUPPLIER]).result
    assert result.experts == 1
    w_c, lam, cr = by_hand_3x3(SUPPLIER_CRITERIA)
    # row geometric means (5/3)^(1/3), 21^(1/3), (1/35)^(1/3) = 1.185631, 2.758924, 0.305711 (sum 4.250266)
    np.testing.assert_allclose(w_c, [0.278955, 0.649118, 0.071927], atol=1e-6)
    np.testing.assert_allclose(result.criteria.weights, w_c, rtol=1e-9)
    np.testing.assert_allclose(result.criteria.weights, by_numpy(SUPPLIER_CRITERIA), rtol=1e-9)
    assert result.criteria.lambda_max == pytest.approx(lam, rel=1e-12)
    assert result.criteria.consistency_ratio == pytest.approx(cr, rel=1e-9)
    assert result.criteria.consistency_ratio == pytest.approx(0.0559, abs=1e-4)

    local = np.empty((3, 3))
    for k, (criterion, matrix) in enumerate(SUPPLIER_LOCAL.items()):
        w, lam, cr = by_hand_3x3(matrix)
        np.testing.assert_allclose(result.local(criterion).weights, w, rtol=1e-9)
        np.testing.assert_allclose(result.local(criterion).weights, by_numpy(matrix), rtol=1e-9)
        assert result.local(criterion).consistency_ratio == pytest.approx(cr, rel=1e-9, abs=1e-12)
        local[k] = w
    # p_a = sum_c w_c w_(a|c), written out for North
    north = w_c[0] * local[0, 0] + w_c[1] * local[1, 0] + w_c[2] * local[2, 0]
    assert result.priorities[0] == pytest.approx(north, rel=1e-12)
    np.testing.assert_allclose(result.priorities, w_c @ local, rtol=1e-12)
    assert {k: round(v, 3) for k, v in result.priorities_dict().items()} == {
        "North": 0.267, "South": 0.522, "East": 0.211}
    assert result.priorities.sum() == pytest.approx(1.0)


# ------------------------------------------------------------------ several experts


def test_two_experts_equal_the_hand_combined_file(tmp_path: Path) -> None:
    """Each cell of the combined file is sqrt(a * b), the geometric mean of the two experts' cells
    (Aczél & Saaty 1983), written out here with its own arithmetic."""
    first = parse_hierarchy(SUPPLIER.read_text(encoding="utf-8"), "e1")
    second = parse_hierarchy(SUPPLIER_2.read_text(encoding="utf-8"), "e2")

    def combined(a: np.ndarray, b: np.ndarray) -> str:
        rows = [[repr(math.sqrt(float(a[i, j]) * float(b[i, j]))) for j in range(len(a))] for i in range(len(a))]
        return "[" + ", ".join("[" + ", ".join(row) + "]" for row in rows) + "]"

    text = (
        "goal: Choose a supplier\n"
        f"criteria:\n  names: [Price, Quality, Delivery]\n  matrix: {combined(first.criteria_matrix, second.criteria_matrix)}\n"
        "alternatives:\n  names: [North, South, East]\n  by_criterion:\n"
        + "".join(f"    {c}: {combined(first.by_criterion[k], second.by_criterion[k])}\n"
                  for k, c in enumerate(first.criteria))
    )
    by_hand = hierarchy_from_files([write(tmp_path / "combined.yaml", text)]).result
    both = hierarchy_from_files([SUPPLIER, SUPPLIER_2]).result
    assert both.experts == 2 and by_hand.experts == 1
    # the experts disagree on Price vs Quality (1/3 and 3): combined, the two weigh the same row-wise
    assert math.sqrt(1 / 3 * 3) == 1.0
    np.testing.assert_allclose(both.criteria.weights, by_hand.criteria.weights, rtol=1e-12)
    for one, other in zip(both.by_criterion, by_hand.by_criterion, strict=True):
        np.testing.assert_allclose(one.weights, other.weights, rtol=1e-12)
        assert one.consistency_ratio == pytest.approx(other.consistency_ratio, rel=1e-9, abs=1e-12)
    np.testing.assert_allclose(both.priorities, by_hand.priorities, rtol=1e-12)
    # and the order of the experts does not matter
    swapped = hierarchy_from_files([SUPPLIER_2, SUPPLIER]).result
    np.testing.assert_allclose(swapped.priorities, both.priorities, rtol=1e-12)


def test_one_file_repeated_is_that_expert() -> None:
    """Unanimity: n copies of one expert's judgements give that expert's result."""
    once = hierarchy_from_files([SUPPLIER]).result
    thrice = hierarchy_from_files([SUPPLIER] * 3).result
    assert thrice.experts == 3
    np.testing.assert_allclose(thrice.priorities, once.priorities, rtol=1e-12)


def _weights(n: int) -> st.SearchStrategy[np.ndarray]:
    """n positive weights summing to 1."""
    return st.lists(st.floats(0.05, 1.0), min_size=n, max_size=n).map(lambda w: np.array(w) / sum(w))


@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_consistent_judgements_give_back_their_weights(data: st.DataObject) -> None:
    """With perfectly consistent matrices a_ij = w_i / w_j (Saaty 1977) every local weight is w,
    every CR is 0, and the global priorities are exactly sum_c w_c * w_(a|c)."""
    w_c = data.draw(_weights(data.draw(st.integers(2, 6))))
    m = data.draw(st.integers(2, 6))
    local = np.array([data.draw(_weights(m)) for _ in w_c])
    result = hierarchy(
        [np.outer(w_c, 1 / w_c)], [[np.outer(w, 1 / w)] for w in local],
    )
    np.testing.assert_allclose(result.criteria.weights, w_c, rtol=1e-9)
    np.testing.assert_allclose(result.priorities, w_c @ local, rtol=1e-9)
    assert result.inconsistent(1e-9) == []
    assert result.priorities.sum() == pytest.approx(1.0)
    assert result.alternatives == tuple(str(k) for k in range(1, m + 1))


# ------------------------------------------------------------------ core refusals


def test_core_refusals_name_the_criterion_and_the_expert() -> None:
    ok = [[1, 2], [1 / 2, 1]]
    with pytest.raises(AHPError, match="no criteria matrix"):
        hierarchy([], [])
    with pytest.raises(AHPError, match=r"criterion b: 1 alternatives' matrices for 2 experts"):
        hierarchy([ok, ok], {"a": [ok, ok], "b": [ok]}, criteria=["a", "b"])
    with pytest.raises(AHPError, match=r"unknown criterion: c \(criteria: a, b\)"):
        hierarchy([ok], {"a": [ok], "b": [ok], "c": [ok]}, criteria=["a", "b"])
    with pytest.raises(AHPError, match="no alternatives' matrix under the criterion b"):
        hierarchy([ok], {"a": [ok]}, criteria=["a", "b"])
    with pytest.raises(AHPError, match=r"criterion 2: the alternatives' matrix is 3x3 but 2x2"):
        hierarchy([ok], [[ok], [np.ones((3, 3))]])
    with pytest.raises(AHPError, match=r"criterion 1: matrix 2: row 2, column 1: 1 is not the reciprocal"):
        hierarchy([ok, ok], [[ok, [[1, 2], [1, 1]]], [ok, ok]])
    with pytest.raises(AHPError, match="criteria: matrix 1: "):
        hierarchy([[[1, 0], [1, 1]]], [[ok], [ok]])


def test_core_refusals_of_the_shape() -> None:
    ok = [[1, 2], [1 / 2, 1]]
    with pytest.raises(AHPError, match="the criteria's names are needed"):
        hierarchy([ok], {"a": [ok], "b": [ok]})
    with pytest.raises(AHPError, match="1 sets of alternatives' matrices for 2 criteria"):
        hierarchy([ok], [[ok]])
    with pytest.raises(AHPError, match="3 item names for a 2x2 matrix"):
        hierarchy([ok], [[ok], [ok]], alternatives=["x", "y", "z"])
    result = hierarchy([ok], [[ok], [ok]])
    assert result.criteria.items == ("1", "2") and result.alternatives == ("1", "2")
    with pytest.raises(AHPError, match=r"2 alternatives but \(3,\) priorities"):
        replace(result, priorities=np.ones(3))
    with pytest.raises(AHPError, match="2 criteria but 1 local results"):
        replace(result, by_criterion=result.by_criterion[:1])
    with pytest.raises(ValueError, match="read-only"):
        result.priorities[0] = 1.0


def test_inconsistent_lists_each_matrix_beyond_the_threshold() -> None:
    """Strictly beyond: a CR equal to the threshold is acceptable (Saaty's CR <= 0.10)."""
    assert ACCEPTABLE_CR == 0.10
    result = hierarchy_from_files([SUPPLIER]).result
    ratios: dict[str | None, float] = {c: result.local(c).consistency_ratio for c in result.criteria.items}
    ratios[None] = result.criteria.consistency_ratio
    assert ratios[None] == pytest.approx(0.0559, abs=1e-4)
    assert result.inconsistent() == []
    assert result.inconsistent(ratios[None]) == []
    assert result.inconsistent(ratios["Price"] - 1e-9) == [(None, ratios[None]), ("Price", ratios["Price"]),
                                                           ("Delivery", ratios["Delivery"])]
    assert result.inconsistent(0.0) == [(None, ratios[None]), ("Price", ratios["Price"]),
                                        ("Quality", ratios["Quality"]), ("Delivery", ratios["Delivery"])]
    assert result.inconsistent(0.03) == [(None, ratios[None])]


# ------------------------------------------------------------------ hostile files


BASE = SUPPLIER.read_text(encoding="utf-8")


def variant(tmp_path: Path, name: str, old: str, new: str, base: str = BASE) -> Path:
    assert old in base, old
    return write(tmp_path / name, base.replace(old, new, 1))


def line_of(path: Path, fragment: str) -> int:
    """The last line holding ``fragment``."""
    return max(k for k, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if fragment in line)


HOSTILE = [
    ("unknown.yaml", "    Delivery: [[1, 3, 1]", "    Cost: [[1, 3, 1]", "Cost:",
     "(by_criterion): 'Cost' is not a criterion; the criteria are Price, Quality, Delivery"),
    ("missing.yaml", "    Delivery: [[1, 3, 1], [1/3, 1, 1/2], [1, 2, 1]]\n", "", "by_criterion:",
     "(by_criterion): no matrix for the criteria Delivery"),
    ("twice.yaml", "    Delivery: [[1, 3, 1]", ("    Price: [[1, 2, 4], [1/2, 1, 3], [1/4, 1/3, 1]]\n"
     "    Delivery: [[1, 3, 1]"), "    Price: [[1, 2, 4], [1/2, 1, 3], [1/4, 1/3, 1]]",
     "(by_criterion): 'Price' is written twice (first at line 15)"),
    ("short-row.yaml", "    - [3, 1, 7]", "    - [3, 1]", "- [3, 1]",
     "(criteria: row Quality): 2 judgements; expected 3, one per column Price, Quality, Delivery"),
    ("rows.yaml", "    Quality: [[1, 1/5, 1/2], [5, 1, 3], [2, 1/3, 1]]", "    Quality: [[1, 1/5, 1/2], [5, 1, 3]]",
     "Quality:", "(by_criterion → Quality): 2 rows; expected 3 rows of 3 judgements, in the order North, South, East"),
    ("reciprocal.yaml", "[1/2, 1, 3], [1/4", "[2, 1, 3], [1/4", "Price:",
     "(by_criterion → Price: row South, column North): 2 is not the reciprocal of the judgement 2 at line"),
    ("zero.yaml", "    - [1, 1/3, 5]", "    - [1, 0, 5]", "[1, 0, 5]",
     "(criteria: row Price, column Quality): '0' is not a positive number"),
    ("negative.yaml", "    - [1/5, 1/7, 1]", "    - [1/5, -7, 1]", "-7",
     "(criteria: row Delivery, column Quality): '-7' is not a positive number"),
    ("colon.yaml", "    - [1, 1/3, 5]", "    - [1, 1:3, 5]", "1:3",
     "(criteria: row Price, column Quality): '1:3' is not a positive number"),
    ("names.yaml", "names: [North, South, East]", "names: [North, South, North]", "[North, South, North]",
     "(alternatives → names): 'North' is named twice"),
    ("key.yaml", "goal: Choose a supplier", "goal: Choose a supplier\ncriterias: 3", "criterias",
     ": unknown key 'criterias'; expected goal, criteria, alternatives"),
    ("goal.yaml", "goal: Choose a supplier", "goal: [1, 2]", "goal:",
     "(goal): expected the decision's goal as a text"),
]


@pytest.mark.parametrize(("name", "old", "new", "at", "message"), HOSTILE, ids=[h[0] for h in HOSTILE])
def test_hostile_files_are_refused_at_their_place(
    tmp_path: Path, name: str, old: str, new: str, at: str, message: str
) -> None:
    path = variant(tmp_path, name, old, new)
    result = invoke("--hierarchy", str(path))
    assert result.exit_code == 2, result.output
    assert f"error: {path}, line {line_of(path, at)}" in result.stderr.replace("\n", "")
    assert message in result.stderr.replace("\n", "")
    assert result.stdout == ""
    assert "Traceback" not in result.output
    with pytest.raises(HierarchyFileError, match=str(path)):
        hierarchy_from_files([path])


def test_too_many_alternatives(tmp_path: Path) -> None:
    names = [f"a{k}" for k in range(16)]
    ones = "[" + ", ".join("[" + ", ".join(["1"] * 16) + "]" for _ in names) + "]"
    text = (f"goal: g\ncriteria: {{names: [x, y], matrix: [[1, 1], [1, 1]]}}\n"
            f"alternatives:\n  names: [{', '.join(names)}]\n  by_criterion: {{x: {ones}, y: {ones}}}\n")
    with pytest.raises(HierarchyFileError, match=r"line 4 \(alternatives → names\): 16 alternatives; .* 2 to 15"):
        parse_hierarchy(text, "big.yaml")
    assert max(RANDOM_INDEX) == 15


def test_experts_must_name_the_same_things_in_the_same_order(tmp_path: Path) -> None:
    order = variant(tmp_path, "order.yaml", "names: [North, South, East]", "names: [South, North, East]",
                    SUPPLIER_2.read_text(encoding="utf-8"))
    result = invoke("--hierarchy", str(SUPPLIER), str(order))
    assert result.exit_code == 2
    err = result.stderr.replace("\n", "")
    assert (f"{order}, line {line_of(order, '[South, North, East]')} (alternatives): [South, North, East] "
            f"differs from [North, South, East] in {SUPPLIER}") in err

    base2 = SUPPLIER_2.read_text(encoding="utf-8")
    other = variant(tmp_path, "other.yaml", "names: [Price, Quality, Delivery]", "names: [Price, Delivery, Quality]",
                    base2.replace("Quality: [[", "Q: [[").replace("Delivery: [[", "Quality: [[").replace("Q: [[", "Delivery: [["))
    result = invoke("--hierarchy", str(SUPPLIER), str(SUPPLIER_2), str(other))
    assert result.exit_code == 2
    assert f"{other}, line {line_of(other, '[Price, Delivery, Quality]')} (criteria): [Price, Delivery, Quality] " \
        in result.stderr.replace("\n", "")

    goal = variant(tmp_path, "goal.yaml", "goal: Choose a supplier", "goal: Choose a bank", base2)
    result = invoke("--hierarchy", str(SUPPLIER), str(goal))
    assert result.exit_code == 2
    assert f"{goal}, line {line_of(goal, 'goal:')} (goal): 'Choose a bank' differs from 'Choose a supplier'" \
        in result.stderr.replace("\n", "")


def test_unreadable_and_oversized_files_exit_2(tmp_path: Path) -> None:
    result = invoke("--hierarchy", str(tmp_path / "nope.yaml"))
    assert result.exit_code == 2
    assert "nope.yaml: cannot read the file" in result.stderr

    broken = write(tmp_path / "broken.yaml", "goal: x\ncriteria: [1\n")
    result = invoke("--hierarchy", str(broken))
    assert result.exit_code == 2
    assert f"{broken}:3: YAML:" in result.stderr.replace("\n", "")

    big = write(tmp_path / "big.yaml", BASE + "#" * MAX_DOCUMENT_BYTES)
    with pytest.raises(HierarchyFileError, match="larger than") as caught:
        hierarchy_from_files([big])
    assert refusal_in(caught.value) is not None
    assert invoke("--hierarchy", str(big)).exit_code == 2

    bomb = write(tmp_path / "bomb.yaml", "goal: &g x\ncriteria: [" + ", ".join(["*g"] * 150) + "]\n")
    with pytest.raises(HierarchyFileError, match="more than 100 aliases") as caught:
        hierarchy_from_files([bomb])
    assert refusal_in(caught.value) is not None


# ------------------------------------------------------------------ the command


def test_cli_json_shape() -> None:
    result = invoke("--hierarchy", str(SUPPLIER), str(SUPPLIER_2), "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert list(data) == ["goal", "experts", "criteria", "alternatives", "priorities"]
    assert data["goal"] == "Choose a supplier"
    assert data["experts"] == 2
    assert set(data["criteria"]) == {"names", "weights", "consistency_ratio"}
    assert data["criteria"]["names"] == ["Price", "Quality", "Delivery"]
    assert set(data["alternatives"]) == {"names", "by_criterion"}
    assert data["alternatives"]["names"] == ["North", "South", "East"]
    assert list(data["alternatives"]["by_criterion"]) == ["Price", "Quality", "Delivery"]
    for local in data["alternatives"]["by_criterion"].values():
        assert set(local) == {"weights", "consistency_ratio"}
        assert len(local["weights"]) == 3 and sum(local["weights"]) == pytest.approx(1.0)
    assert list(data["priorities"]) == ["North", "South", "East"]
    expected = hierarchy_from_files([SUPPLIER, SUPPLIER_2]).result
    assert data["priorities"] == pytest.approx(expected.priorities_dict())
    assert data["criteria"]["weights"] == pytest.approx(list(expected.criteria.weights))
    assert sum(data["priorities"].values()) == pytest.approx(1.0)
    assert result.stderr == ""


def test_cli_table_lists_every_level() -> None:
    result = invoke("--hierarchy", str(LEADER))
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "Goal: Choose the most suitable leader (leader.yaml)" in out
    assert "CR = 0.044" in out  # the criteria matrix: CI 0.0395 / RI(4) 0.90
    assert "0.548" in out  # the exact eigenvector (the article prints .547)
    for value in ("0.717", "0.731", "0.743", "0.672"):
        assert value in out
    # the global priorities, highest first
    tail = out[out.index("Global priorities"):]
    assert tail.index("Dick") < tail.index("Tom") < tail.index("Harry")
    assert "0.493" in tail and "0.358" in tail and "0.149" in tail


def test_cli_warns_and_exits_1_on_inconsistent_judgements(tmp_path: Path) -> None:
    # North > South 9, South > East 9, but East > North 9: a cycle, CR = (32/9) / 0.58
    path = variant(tmp_path, "cycle.yaml", "Price: [[1, 2, 4], [1/2, 1, 3], [1/4, 1/3, 1]]",
                   "Price: [[1, 9, 1/9], [1/9, 1, 9], [9, 1/9, 1]]")
    result = invoke("--hierarchy", str(path))
    assert result.exit_code == 1
    assert "Global priorities" in result.stdout
    ratio = 32 / 9 / 0.58
    assert f"warning: CR = {ratio:.3f} > {ACCEPTABLE_CR:g} for the alternatives under Price" in \
        result.stderr.replace("\n", " ")
    assert "Quality" not in result.stderr
    as_json = invoke("--hierarchy", str(path), "--json")
    assert as_json.exit_code == 1
    assert json.loads(as_json.stdout)["alternatives"]["by_criterion"]["Price"]["consistency_ratio"] == \
        pytest.approx(ratio)
    assert invoke("--hierarchy", str(path), "--max-cr", "7").exit_code == 0


def test_cli_markup_in_names_is_printed_as_written(tmp_path: Path) -> None:
    path = variant(tmp_path, "[b]markup.yaml", "names: [North, South, East]", 'names: ["[red]North", South, East]')
    path = variant(tmp_path, "[b]markup.yaml", "goal: Choose a supplier", "goal: Choose a [bold]supplier",
                   path.read_text(encoding="utf-8"))
    result = invoke("--hierarchy", str(path))
    assert result.exit_code == 0, result.output
    assert "[red]North" in result.stdout
    assert "Goal: Choose a [bold]supplier ([b]markup.yaml)" in result.stdout


def test_single_matrix_mode_is_unchanged(tmp_path: Path) -> None:
    path = write(tmp_path / "e.csv", "x,a,b\na,1,3\nb,1/3,1\n")
    result = invoke(str(path), "--json")
    assert result.exit_code == 0
    assert set(json.loads(result.stdout)) == {"weights", "lambda_max", "consistency_index", "consistency_ratio"}
    # a hierarchy file without --hierarchy is read as CSV and refused, exit 2
    assert invoke(str(SUPPLIER)).exit_code == 2


def test_examples_are_valid_and_consistent() -> None:
    for path in sorted(EXAMPLES.glob("*.yaml")):
        result = hierarchy_from_files([path]).result
        assert result.inconsistent() == [], path.name
    assert sorted(path.name for path in EXAMPLES.glob("*.yaml")) == [
        "leader.yaml", "supplier-expert2.yaml", "supplier.yaml"]
