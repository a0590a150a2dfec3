"""Data-driven (test-value) and expert (AHP) activity weights, and class changes between weightings."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from innexport.core.ahp import InconsistentMatrixError
from innexport.population import weights as pw  # test_value* by name would be collected by pytest
from innexport.population.weights import (
    DEFAULT_THRESHOLDS,
    ahp_weights,
    class_labels,
    classes_by_weighting,
    compare_weightings,
    index_values,
    weights_from_test_values,
)

# Six firms × three practices. With equal weights the index is the row mean:
#   f1 0.8 proactive (>= 0.61) | f2 0.6, f3 0.5 preactive (>= 0.41) | f4 0.3 reactive (>= 0.29)
#   f5 0.2, f6 0.2 passive.
HAND = np.array([
    [0.9, 0.8, 0.7],
    [0.7, 0.6, 0.5],
    [0.5, 0.4, 0.6],
    [0.3, 0.4, 0.2],
    [0.1, 0.3, 0.2],
    [0.2, 0.1, 0.3],
])
# Test values, n = 6, s^2 with divisor n; s_k^2 = ((n - n_k)/(n - 1)) s^2 / n_k, so
#   n_k = 1: s_k = s;   n_k = 2: s_k = s * sqrt(4/5 / 2) = s * sqrt(0.4).
# X1 = (.9 .7 .5 .3 .1 .2): mean 2.7/6 = 0.45; squared deviations .2025 .0625 .0025 .0225 .1225 .0625
#   sum 0.475, s^2 = 0.475/6, s = 0.281366.  Class means .9 | .6 | .3 | .15
#   t = .45/s = 1.599342 | .15/(s*sqrt(.4)) = 0.842927 | -.15/s = -0.533114 | -.30/(s*sqrt(.4)) = -1.685854
# X2 = (.8 .6 .4 .4 .3 .1): mean 2.6/6 = 0.43333; sum of squared deviations 0.293333, s^2 = 0.293333/6
#   class means .8 | .5 | .4 | .2  →  t = 1.658312 | 0.476731 | -0.150756 | -1.668560
# X3 = (.7 .5 .6 .2 .2 .3): mean 2.5/6 = 0.41667; sum of squared deviations 0.228333, s^2 = 0.228333/6
#   class means .7 | .55 | .2 | .25  →  t = 1.452408 | 1.080686 | -1.110665 | -1.350858
HAND_T = np.array([
    [1.599342, 1.658312, 1.452408],
    [0.842927, 0.476731, 1.080686],
    [-0.533114, -0.150756, -1.110665],
    [-1.685854, -1.668560, -1.350858],
])
# Sums of |t| per practice: 4.661238, 3.954359, 4.994617; total 13.610214
#   weights 0.342481, 0.290543, 0.366976.
# New index (e.g. f4: .3 × .342481 + .4 × .290543 + .2 × .366976 = .292357 >= .29, still reactive):
#   f1 .797551 f2 .597551 f3 .507643 f4 .292357 f5 .194806 f6 .207643 → the same classes: stable after one update.
HAND_W = np.array([4.661238, 3.954359, 4.994617]) / 13.610214


def hand_frame() -> pd.DataFrame:
    return pd.DataFrame(HAND, columns=["act.x1", "act.x2", "act.x3"]).assign(weight=1.0)


def test_hand_computed_iteration() -> None:
    s = np.sqrt(0.475 / 6)
    assert HAND_T[0, 0] == pytest.approx(0.45 / s, abs=1e-6)
    assert HAND_T[1, 0] == pytest.approx(0.15 / (s * np.sqrt(0.4)), abs=1e-6)
    classes0 = np.array([0, 1, 1, 2, 3, 3])
    np.testing.assert_allclose(pw.test_values(HAND, classes0, 4), HAND_T, atol=1e-6)
    np.testing.assert_allclose(weights_from_test_values(HAND_T), HAND_W, atol=1e-6)

    res = pw.test_value_weights(hand_frame())
    np.testing.assert_allclose(res.weights_history.loc[0], [1 / 3] * 3)
    np.testing.assert_allclose(res.weights_history.loc[1], HAND_W, atol=1e-6)
    np.testing.assert_allclose(res.test_values_history[0].to_numpy(), HAND_T, atol=1e-6)
    assert list(res.classes_history[0]) == ["proactive", "preactive", "preactive", "reactive", "passive", "passive"]
    assert list(res.classes_history[1]) == list(res.classes_history[0])
    np.testing.assert_allclose(index_values(HAND, res.weights.to_numpy()),
                               [0.797551, 0.597551, 0.507643, 0.292357, 0.194806, 0.207643], atol=1e-6)
    assert res.converged and res.iterations == 1 and res.cycle == 0
    assert list(res.weights.index) == ["act.x1", "act.x2", "act.x3"]


def test_other_aggregates_by_hand() -> None:
    # positive parts: X1 1.599342 + 0.842927, X2 1.658312 + 0.476731, X3 1.452408 + 1.080686
    pos = np.array([2.442269, 2.135043, 2.533094])
    np.testing.assert_allclose(weights_from_test_values(HAND_T, "positive"), pos / pos.sum(), atol=1e-6)
    # shifted: every t minus the smallest (-1.685854), summed over the 4 classes
    shifted = HAND_T.sum(axis=0) + 4 * 1.685854
    np.testing.assert_allclose(weights_from_test_values(HAND_T, "shifted"), shifted / shifted.sum(), atol=1e-6)
    with pytest.raises(ValueError, match="aggregate"):
        weights_from_test_values(HAND_T, "max")


def simulated(n: int, seed: int) -> pd.DataFrame:
    """Three practices driven by one latent capacity, with increasing noise."""
    rng = np.random.default_rng(seed)
    base = rng.uniform(size=(n, 1))
    x = np.clip(base + rng.normal(scale=[0.05, 0.3, 0.6], size=(n, 3)), 0, 1)
    return pd.DataFrame(x, columns=["act.a", "act.b", "act.c"]).assign(weight=rng.uniform(0.5, 2, n))


@pytest.mark.parametrize("seed", range(12))
def test_convergence_property(seed: int) -> None:
    frame = simulated(300, seed)
    res = pw.test_value_weights(frame)
    hist = res.weights_history.to_numpy()
    assert np.all(hist >= 0) and np.allclose(hist.sum(axis=1), 1)
    assert res.iterations == len(hist) - 1 == res.classes_history.shape[1] - 1
    if res.converged:
        # stable classification: one more update gives the same weights (a fixed point)
        codes = res.classes.cat.codes.to_numpy()
        again = weights_from_test_values(pw.test_values(frame[list(res.activities)].to_numpy(), codes, 4))
        np.testing.assert_allclose(again, res.weights, atol=1e-12)
        assert (res.classes_history.iloc[:, -1] == res.classes_history.iloc[:, -2]).all()
    else:
        # the only way to stop early without converging is a cycle of classifications
        assert res.cycle >= 2 or res.iterations == 50
        if res.cycle:
            assert (res.classes_history.iloc[:, -1] == res.classes_history.iloc[:, -1 - res.cycle]).all()


def test_several_iterations_and_a_cycle() -> None:
    res = pw.test_value_weights(simulated(300, 0))
    assert res.converged and res.iterations == 5  # classes change four times, then stay
    changed = [(res.classes_history[i] != res.classes_history[i - 1]).sum() for i in range(1, 6)]
    assert all(c > 0 for c in changed[:-1]) and changed[-1] == 0
    # a firm at a threshold flips back and forth: classifications 3 and 5 are the same
    res = pw.test_value_weights(simulated(300, 4))
    assert not res.converged and res.cycle == 2 and res.iterations == 5
    assert (res.classes_history[5] == res.classes_history[3]).all()
    # so the next weights would be iteration 4's again
    x = simulated(300, 4)[list(res.activities)].to_numpy()
    again = weights_from_test_values(pw.test_values(x, res.classes.cat.codes.to_numpy(), 4))
    np.testing.assert_allclose(again, res.weights_history.loc[4], atol=1e-12)
    assert pw.test_value_weights(simulated(300, 4), max_iter=2).iterations == 2


def test_equal_data_gives_equal_weights() -> None:
    rng = np.random.default_rng(1)
    col = rng.uniform(size=50)
    frame = pd.DataFrame({"act.a": col, "act.b": col, "act.c": col})
    res = pw.test_value_weights(frame)
    np.testing.assert_allclose(res.weights_history.to_numpy(), 1 / 3)
    assert res.converged and res.iterations == 1
    # a practice that does not vary separates nothing: weight 0
    res = pw.test_value_weights(frame.assign(**{"act.flat": 0.5}))
    assert res.weights["act.flat"] == 0 and np.allclose(res.weights.iloc[:3], 1 / 3)
    # a constant population: no test value, equal weights
    flat = pd.DataFrame({"act.a": [0.5] * 10, "act.b": [0.2] * 10})
    np.testing.assert_allclose(pw.test_value_weights(flat).weights, [0.5, 0.5])


def test_missing_scores_and_survey_weights() -> None:
    frame = simulated(200, 3)
    frame.loc[:9, "act.b"] = np.nan  # assessed by 190 firms; the index renormalises over the others
    frame.loc[10, ["act.a", "act.b", "act.c"]] = np.nan  # unscored firm: no class
    res = pw.test_value_weights(frame)
    assert pd.isna(res.classes.loc[10]) and res.classes.drop(10).notna().all()
    assert np.isfinite(res.weights).all() and res.weights.sum() == pytest.approx(1)
    # survey weights: only their shape matters; all equal = unweighted
    ones = pw.test_value_weights(frame.assign(weight=3.0), weighted=True)
    np.testing.assert_allclose(ones.weights, res.weights, atol=1e-12)
    a = pw.test_value_weights(frame, weighted=True)
    b = pw.test_value_weights(frame.assign(weight=2 * frame["weight"]), weighted=True)
    np.testing.assert_allclose(a.weights_history, b.weights_history, atol=1e-12)
    assert not np.allclose(a.weights_history.loc[1], res.weights_history.loc[1])


def test_activity_selection_and_errors() -> None:
    frame = hand_frame()
    res = pw.test_value_weights(frame, ["x1", "act.x2"])
    assert res.activities == ("act.x1", "act.x2")
    with pytest.raises(ValueError, match="unknown activity: 'x9'"):
        pw.test_value_weights(frame, ["x1", "x9"])
    with pytest.raises(ValueError, match="thresholds"):
        pw.test_value_weights(frame, thresholds=(0.4, 0.6, 0))


# --- AHP ----------------------------------------------------------------------------------------
def test_ahp_weights_of_several_experts() -> None:
    # 2 items: a12 = 2 and a12 = 8 combine to sqrt(16) = 4 → weights 4/5, 1/5
    w = ahp_weights([[[1, 2], [1 / 2, 1]], [[1, 8], [1 / 8, 1]]], ["x1", "x2"])
    np.testing.assert_allclose(w, [0.8, 0.2])
    assert list(w.index) == ["x1", "x2"] and w.attrs["consistency_ratio"] == 0
    # consistent experts u and v: the geometric mean is consistent with weights ∝ sqrt(u v)
    u, v = np.array([0.5, 0.3, 0.2]), np.array([0.2, 0.3, 0.5])
    w = ahp_weights([np.outer(u, 1 / u), np.outer(v, 1 / v)], ["x1", "x2", "x3"])
    expected = np.sqrt(u * v) / np.sqrt(u * v).sum()
    np.testing.assert_allclose(w, expected, atol=1e-12)
    assert w.attrs["consistency_ratio"] == pytest.approx(0, abs=1e-9)
    bad = [[1, 9, 1 / 9], [1 / 9, 1, 9], [9, 1 / 9, 1]]
    with pytest.raises(InconsistentMatrixError):
        ahp_weights([bad], ["x1", "x2", "x3"], max_cr=0.1)


# --- comparing weightings -------------------------------------------------------------------------
def compare_frame() -> pd.DataFrame:
    # firm   x1   x2   equal weights      x1 only
    # f1    0.9  0.5   0.70  proactive    0.9 proactive
    # f2    0.7  0.3   0.50  preactive    0.7 proactive   (changes)
    # f3    0.2  0.6   0.40  reactive     0.2 passive     (changes)
    # f4    0.5  0.5   0.50  preactive    0.5 preactive
    # f5    0.1  0.1   0.10  passive      0.1 passive
    # f6    0.3  0.8   0.55  preactive    0.3 reactive    (changes)
    # f7    NaN  NaN   unscored           unscored        (left out)
    return pd.DataFrame({
        "act.x1": [0.9, 0.7, 0.2, 0.5, 0.1, 0.3, np.nan],
        "act.x2": [0.5, 0.3, 0.6, 0.5, 0.1, 0.8, np.nan],
        "weight": [1, 2, 1, 1, 1, 1, 1.0],
    })


def test_compare_weightings_by_hand() -> None:
    frame = compare_frame()
    weightings = {"equal": [0.5, 0.5], "x1 only": {"x1": 1.0}}
    classes = classes_by_weighting(frame, weightings)
    assert list(classes["equal"].iloc[:6]) == ["proactive", "preactive", "reactive", "preactive", "passive",
                                               "preactive"]
    assert list(classes["x1 only"].iloc[:6]) == ["proactive", "proactive", "passive", "preactive", "passive",
                                                 "reactive"]
    assert classes.iloc[6].isna().all()

    tab = compare_weightings(frame, weightings)
    block = tab["x1 only"]
    counts = block[["proactive", "preactive", "reactive", "passive"]]
    assert list(tab.index) == ["proactive", "preactive", "reactive", "passive", "all"]
    # rows: equal-weight class; columns: x1-only class
    assert counts.loc["proactive"].tolist() == [1, 0, 0, 0]
    assert counts.loc["preactive"].tolist() == [1, 1, 1, 0]  # f2 up, f4 stays, f6 down
    assert counts.loc["reactive"].tolist() == [0, 0, 0, 1]  # f3
    assert counts.loc["passive"].tolist() == [0, 0, 0, 1]  # f5
    assert counts.loc["all"].tolist() == [2, 1, 1, 2]
    np.testing.assert_allclose(block["changed"], [0, 2 / 3, 1, 0, 3 / 6])

    weighted = compare_weightings(frame, weightings, weighted=True)["x1 only"]
    assert weighted.loc["preactive", "proactive"] == 2.0  # f2 weighs 2
    np.testing.assert_allclose(weighted["changed"], [0, 3 / 4, 1, 0, 4 / 7])


def test_compare_with_test_value_weights_and_reference() -> None:
    frame = hand_frame()
    tv = pw.test_value_weights(frame)
    tab = compare_weightings(frame, {"tv": tv, "equal": np.ones(3), "expert": ahp_weights(
        [[[1, 3, 5], [1 / 3, 1, 2], [1 / 5, 1 / 2, 1]]], ["x1", "x2", "x3"])}, reference="equal")
    assert list(tab.columns.get_level_values(0).unique()) == ["tv", "expert"]
    assert tab.loc["all", ("tv", "changed")] == 0  # the test-value classes are the equal-weight ones here
    with pytest.raises(ValueError, match="unknown activities"):
        compare_weightings(frame, {"a": np.ones(3), "b": {"x9": 1.0}})
    with pytest.raises(ValueError, match="non-negative"):
        compare_weightings(frame, {"a": np.ones(3), "b": [1, -1, 1]})
    with pytest.raises(ValueError, match="two weightings"):
        compare_weightings(frame, {"a": np.ones(3)})


def test_default_thresholds_are_the_core_classes() -> None:
    # one home for the class thresholds: the framework's class definitions, here those of the shipped iiep
    from innexport.core.classes import thresholds
    from innexport.files.frameworks import load_framework

    assert DEFAULT_THRESHOLDS == (0.61, 0.41, 0.29, 0.0)
    assert tuple(thresholds(load_framework("iiep"))) == DEFAULT_THRESHOLDS
    assert class_labels(DEFAULT_THRESHOLDS) == ("proactive", "preactive", "reactive", "passive")


def test_survey_weights_follow_the_population_rule() -> None:
    # one rule for survey weights (population.frame.survey_weights): a named column must exist and be positive
    frame = hand_frame()
    with pytest.raises(ValueError, match="unknown weight column 'nope'"):
        pw.test_value_weights(frame, weighted="nope")
    with pytest.raises(ValueError, match="positive and finite"):
        pw.test_value_weights(frame.assign(w=-1.0), weighted="w")
