"""Tests of :mod:`innexport.core.flowsort`: FlowSort with central profiles (Nemery & Lamboray 2008)."""

from __future__ import annotations

import math
from dataclasses import fields

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from innexport.core import flowsort as flowsort_module
from innexport.core import parallel
from innexport.core.flowsort import FlowSortResult, PreferenceFunction, flowsort, flowsort_many

PROFILES = np.array([[0.8, 0.8], [0.5, 0.5], [0.2, 0.2]])
EQUAL_WEIGHTS = np.array([1.0, 1.0])
USUAL = PreferenceFunction("usual")
LINEAR = PreferenceFunction("linear", q=0.0, p=0.5)
RESULT_FIELDS = [f.name for f in fields(FlowSortResult)]
CLASS_FIELDS = ["classes", "classes_positive", "classes_negative"]
FLOW_FIELDS = [name for name in RESULT_FIELDS if name not in CLASS_FIELDS]


def assert_same_result(
    actual: FlowSortResult, expected: FlowSortResult, tol: float = 1e-12
) -> None:
    for name in CLASS_FIELDS:
        np.testing.assert_array_equal(getattr(actual, name), getattr(expected, name), err_msg=name)
    for name in FLOW_FIELDS:
        np.testing.assert_allclose(
            getattr(actual, name), getattr(expected, name), rtol=0, atol=tol, err_msg=name
        )


# --- hand-computed cases --------------------------------------------------------------------
# Profiles r1 = (0.8, 0.8), r2 = (0.5, 0.5), r3 = (0.2, 0.2), K = 3, equal weights (1/2 each).


def test_usual_hand_computed_middle_alternative() -> None:
    # a = (0.6, 0.4), usual function P(d) = [d > 0]:
    #   π(r1,r2) = π(r1,r3) = π(r2,r3) = 1 (better on both), reverse pairs 0.
    #   π(a,r1) = 0            π(r1,a) = ½·[0.8>0.6] + ½·[0.8>0.4] = 1
    #   π(a,r2) = ½·[0.6>0.5] + ½·[0.4>0.5] = 0.5
    #   π(r2,a) = ½·[0.5>0.6] + ½·[0.5>0.4] = 0.5
    #   π(a,r3) = 1            π(r3,a) = 0
    # φ+(a)  = (0 + 0.5 + 1)/3 = 0.5       φ-(a)  = (1 + 0.5 + 0)/3 = 0.5   φ(a)  = 0
    # φ+(r1) = (1 + 1 + 1)/3 = 1           φ-(r1) = (0 + 0 + 0)/3 = 0       φ(r1) = 1
    # φ+(r2) = (0 + 1 + 0.5)/3 = 0.5       φ-(r2) = (1 + 0 + 0.5)/3 = 0.5   φ(r2) = 0
    # φ+(r3) = (0 + 0 + 0)/3 = 0           φ-(r3) = (1 + 1 + 1)/3 = 1       φ(r3) = -1
    # φ(a) = 0 is closest to φ(r2) = 0 → class 1; so are φ+ (0.5) and φ- (0.5).
    result = flowsort(np.array([0.6, 0.4]), PROFILES, EQUAL_WEIGHTS, USUAL)
    assert result.positive_flow[0] == pytest.approx(0.5)
    assert result.negative_flow[0] == pytest.approx(0.5)
    assert result.net_flow[0] == pytest.approx(0.0)
    assert result.profile_positive_flows[0] == pytest.approx([1.0, 0.5, 0.0])
    assert result.profile_negative_flows[0] == pytest.approx([0.0, 0.5, 1.0])
    assert result.profile_net_flows[0] == pytest.approx([1.0, 0.0, -1.0])
    assert result.classes.tolist() == [1]
    assert result.classes_positive.tolist() == [1]
    assert result.classes_negative.tolist() == [1]


def test_usual_hand_computed_good_alternative() -> None:
    # a = (0.9, 0.6), usual function:
    #   π(a,r1) = ½·[0.9>0.8] + ½·[0.6>0.8] = 0.5
    #   π(r1,a) = ½·[0.8>0.9] + ½·[0.8>0.6] = 0.5
    #   π(a,r2) = 1, π(r2,a) = 0;  π(a,r3) = 1, π(r3,a) = 0
    # φ+(a)  = (0.5 + 1 + 1)/3 = 2.5/3     φ-(a)  = 0.5/3                   φ(a)  = 2/3
    # φ+(r1) = (1 + 1 + 0.5)/3 = 2.5/3     φ-(r1) = (0 + 0 + 0.5)/3 = 0.5/3 φ(r1) = 2/3
    # φ+(r2) = (0 + 1 + 0)/3 = 1/3         φ-(r2) = (1 + 0 + 1)/3 = 2/3     φ(r2) = -1/3
    # φ+(r3) = 0                           φ-(r3) = (1 + 1 + 1)/3 = 1       φ(r3) = -1
    # φ(a) = φ(r1) → class 0, and likewise for φ+ and φ-.
    result = flowsort(np.array([[0.9, 0.6]]), PROFILES, EQUAL_WEIGHTS, USUAL)
    assert result.positive_flow[0] == pytest.approx(2.5 / 3)
    assert result.negative_flow[0] == pytest.approx(0.5 / 3)
    assert result.net_flow[0] == pytest.approx(2 / 3)
    assert result.profile_positive_flows[0] == pytest.approx([2.5 / 3, 1 / 3, 0.0])
    assert result.profile_negative_flows[0] == pytest.approx([0.5 / 3, 2 / 3, 1.0])
    assert result.profile_net_flows[0] == pytest.approx([2 / 3, -1 / 3, -1.0])
    assert result.classes.tolist() == [0]
    assert result.classes_positive.tolist() == [0]
    assert result.classes_negative.tolist() == [0]


def test_linear_hand_computed() -> None:
    # Linear function q = 0, p = 0.5: P(d) = min(max(2d, 0), 1).
    # Profiles: P(0.3) = 0.6, P(0.6) = 1, so π(r1,r2) = π(r2,r3) = 0.6, π(r1,r3) = 1, reverse 0.
    #
    # a = (0.6, 0.4):
    #   a - r1 = (-0.2, -0.4) → π(a,r1) = 0;   r1 - a = (0.2, 0.4) → ½·0.4 + ½·0.8 = 0.6
    #   a - r2 = (0.1, -0.1)  → π(a,r2) = ½·0.2 = 0.1;  π(r2,a) = ½·0.2 = 0.1
    #   a - r3 = (0.4, 0.2)   → π(a,r3) = ½·0.8 + ½·0.4 = 0.6;  π(r3,a) = 0
    # φ+(a)  = (0 + 0.1 + 0.6)/3 = 0.7/3   φ-(a)  = (0.6 + 0.1 + 0)/3 = 0.7/3   φ(a) = 0
    # φ+(r1) = (0.6 + 1 + 0.6)/3 = 2.2/3   φ-(r1) = 0                          φ(r1) = 2.2/3
    # φ+(r2) = (0 + 0.6 + 0.1)/3 = 0.7/3   φ-(r2) = (0.6 + 0 + 0.1)/3 = 0.7/3  φ(r2) = 0
    # φ+(r3) = 0                           φ-(r3) = (1 + 0.6 + 0.6)/3 = 2.2/3  φ(r3) = -2.2/3
    # → class 1 by all three flows.
    #
    # b = (0.9, 0.6):
    #   b - r1 = (0.1, -0.2) → π(b,r1) = ½·0.2 = 0.1
    #   r1 - b = (-0.1, 0.2) → π(r1,b) = ½·0.4 = 0.2
    #   b - r2 = (0.4, 0.1)  → π(b,r2) = ½·0.8 + ½·0.2 = 0.5;  π(r2,b) = 0
    #   b - r3 = (0.7, 0.4)  → π(b,r3) = ½·1 + ½·0.8 = 0.9;    π(r3,b) = 0
    # φ+(b)  = (0.1 + 0.5 + 0.9)/3 = 0.5   φ-(b)  = 0.2/3                       φ(b) = 1.3/3
    # φ+(r1) = (0.6 + 1 + 0.2)/3 = 0.6     φ-(r1) = (0 + 0 + 0.1)/3 = 0.1/3     φ(r1) = 1.7/3
    # φ+(r2) = (0 + 0.6 + 0)/3 = 0.2       φ-(r2) = (0.6 + 0 + 0.5)/3 = 1.1/3   φ(r2) = -0.5/3
    # φ+(r3) = 0                           φ-(r3) = (1 + 0.6 + 0.9)/3 = 2.5/3   φ(r3) = -2.5/3
    # Net: |1.3/3 - 1.7/3| = 0.4/3 < |1.3/3 + 0.5/3| = 1.8/3 → class 0.
    # Positive: |0.5 - 0.6| = 0.1 < |0.5 - 0.2| = 0.3 → class 0.
    # Negative: |0.2/3 - 0.1/3| = 0.1/3 < |0.2/3 - 1.1/3| = 0.9/3 → class 0.
    result = flowsort(np.array([[0.6, 0.4], [0.9, 0.6]]), PROFILES, EQUAL_WEIGHTS, LINEAR)
    assert result.positive_flow == pytest.approx([0.7 / 3, 0.5])
    assert result.negative_flow == pytest.approx([0.7 / 3, 0.2 / 3])
    assert result.net_flow == pytest.approx([0.0, 1.3 / 3], abs=1e-12)
    assert result.profile_positive_flows[0] == pytest.approx([2.2 / 3, 0.7 / 3, 0.0], abs=1e-12)
    assert result.profile_negative_flows[0] == pytest.approx([0.0, 0.7 / 3, 2.2 / 3], abs=1e-12)
    assert result.profile_net_flows[0] == pytest.approx([2.2 / 3, 0.0, -2.2 / 3], abs=1e-12)
    assert result.profile_positive_flows[1] == pytest.approx([0.6, 0.2, 0.0], abs=1e-12)
    assert result.profile_negative_flows[1] == pytest.approx([0.1 / 3, 1.1 / 3, 2.5 / 3])
    assert result.profile_net_flows[1] == pytest.approx([1.7 / 3, -0.5 / 3, -2.5 / 3])
    assert result.classes.tolist() == [1, 0]
    assert result.classes_positive.tolist() == [1, 0]
    assert result.classes_negative.tolist() == [1, 0]


def test_unequal_weights_hand_computed() -> None:
    # Weights (3, 1) → (0.75, 0.25); usual function; a = (0.6, 0.4):
    #   π(a,r1) = 0, π(r1,a) = 1; π(a,r2) = 0.75, π(r2,a) = 0.25; π(a,r3) = 1, π(r3,a) = 0
    # φ(a)  = (0 + 0.75 + 1)/3 - (1 + 0.25 + 0)/3 = 0.5/3
    # φ(r1) = (1 + 1 + 1)/3 - 0 = 1
    # φ(r2) = (0 + 1 + 0.25)/3 - (1 + 0 + 0.75)/3 = -0.5/3
    # φ(r3) = 0 - (1 + 1 + 1)/3 = -1
    # |0.5/3 - 1| = 2.5/3 > |0.5/3 + 0.5/3| = 1/3 → class 1.
    result = flowsort(np.array([0.6, 0.4]), PROFILES, np.array([3.0, 1.0]), USUAL)
    assert result.net_flow[0] == pytest.approx(0.5 / 3)
    assert result.profile_net_flows[0] == pytest.approx([1.0, -0.5 / 3, -1.0])
    assert result.classes.tolist() == [1]


# --- the preference function ----------------------------------------------------------------


def test_usual_preference_function() -> None:
    d = np.array([-0.3, 0.0, 1e-9, 0.7, np.nan])
    np.testing.assert_array_equal(USUAL(d), [0.0, 0.0, 1.0, 1.0, np.nan])


def test_usual_preference_function_ignores_thresholds() -> None:
    # A framework may keep its linear settings while switching to the usual function.
    ignoring = PreferenceFunction("usual", q=0.4, p=0.25)
    d = np.array([-0.3, 0.0, 0.1, 0.7])
    np.testing.assert_array_equal(ignoring(d), USUAL(d))
    result = flowsort(np.array([0.6, 0.4]), PROFILES, EQUAL_WEIGHTS, ignoring)
    assert_same_result(result, flowsort(np.array([0.6, 0.4]), PROFILES, EQUAL_WEIGHTS, USUAL))


def test_linear_preference_function_with_indifference_threshold() -> None:
    # q = 0.1, p = 0.3: 0 up to 0.1, then (d - 0.1)/0.2, 1 from 0.3 on.
    preference = PreferenceFunction("linear", q=0.1, p=0.3)
    d = np.array([-1.0, 0.0, 0.1, 0.15, 0.2, 0.3, 0.9])
    np.testing.assert_allclose(preference(d), [0.0, 0.0, 0.0, 0.25, 0.5, 1.0, 1.0], atol=1e-12)


def test_per_criterion_thresholds_broadcast_over_the_last_axis() -> None:
    preference = PreferenceFunction("linear", q=np.array([0.0, 0.1]), p=np.array([0.5, 0.2]))
    d = np.array([[0.25, 0.15], [0.5, 0.05]])
    np.testing.assert_allclose(preference(d), [[0.5, 0.5], [1.0, 0.0]])


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"kind": "gaussian"}, "unknown preference function kind"),
        ({"q": 0.3, "p": 0.3}, "p must be > q"),
        ({"q": 0.3, "p": 0.2}, "p must be > q"),
        ({"q": -0.1}, "q must be >= 0"),
        ({"p": np.inf}, "p must be finite"),
        ({"q": np.array([0.0, 0.1]), "p": np.array([0.2, 0.2, 0.2])}, "different lengths"),
        ({"p": np.ones((2, 2))}, "scalar or a 1-D array"),
    ],
)
def test_invalid_preference_function(kwargs: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        PreferenceFunction(**kwargs)


# --- assignments at and beyond the profiles -------------------------------------------------

PREFERENCES = [USUAL, LINEAR, PreferenceFunction("linear", q=0.05, p=0.2)]


@pytest.mark.parametrize("preference", PREFERENCES)
def test_alternative_equal_to_a_profile_gets_its_class(preference: PreferenceFunction) -> None:
    profiles = np.array([[0.9, 0.8, 0.95], [0.6, 0.5, 0.7], [0.4, 0.3, 0.3], [0.1, 0.2, 0.05]])
    result = flowsort(profiles, profiles, np.array([2.0, 1.0, 1.0]), preference)
    for name in CLASS_FIELDS:
        assert getattr(result, name).tolist() == [0, 1, 2, 3], name


@pytest.mark.parametrize("preference", PREFERENCES)
def test_alternatives_beyond_the_extreme_profiles(preference: PreferenceFunction) -> None:
    scores = np.array([[0.8, 0.9], [1.0, 1.0], [0.2, 0.1], [0.0, 0.0]])
    result = flowsort(scores, PROFILES, EQUAL_WEIGHTS, preference)
    for name in CLASS_FIELDS:
        assert getattr(result, name).tolist() == [0, 0, 2, 2], name


# --- missing values ---------------------------------------------------------------------------


PER_CRITERION = PreferenceFunction(
    "linear", q=np.array([0.0, 0.05, 0.1]), p=np.array([0.3, 0.2, 0.4])
)


@pytest.mark.parametrize("preference", [USUAL, LINEAR, PER_CRITERION])
def test_missing_value_equals_removing_the_criterion(preference: PreferenceFunction) -> None:
    profiles = np.array([[0.9, 0.8, 0.7], [0.6, 0.5, 0.45], [0.3, 0.2, 0.1]])
    weights = np.array([1.0, 2.0, 3.0])
    alternative = np.array([0.7, 0.35, 0.2])
    for missing in range(3):
        kept = [j for j in range(3) if j != missing]
        with_nan = alternative.copy()
        with_nan[missing] = np.nan
        reduced_preference = preference
        if np.ndim(preference.q):
            reduced_preference = PreferenceFunction(
                "linear", q=preference.q[kept], p=preference.p[kept]
            )
        expected = flowsort(alternative[kept], profiles[:, kept], weights[kept], reduced_preference)
        actual = flowsort(with_nan, profiles, weights, preference)
        assert_same_result(actual, expected)


def test_missing_values_do_not_affect_other_rows() -> None:
    scores = np.array([[0.6, 0.4], [np.nan, 0.4], [0.9, 0.6]])
    batch = flowsort(scores, PROFILES, EQUAL_WEIGHTS, LINEAR)
    complete = flowsort(scores[[0, 2]], PROFILES, EQUAL_WEIGHTS, LINEAR)
    for name in RESULT_FIELDS:
        np.testing.assert_allclose(
            getattr(batch, name)[[0, 2]], getattr(complete, name), atol=1e-12
        )


def test_exact_tie_goes_to_the_better_class() -> None:
    # Weights (1, 0): only the first criterion counts; usual function; a = (0.6, ·).
    # φ+(a)  = ([0.6>0.8] + [0.6>0.5] + [0.6>0.2])/3 = 2/3    φ-(a)  = (1 + 0 + 0)/3 = 1/3
    # φ+(r1) = (1 + 1 + 1)/3 = 1                              φ-(r1) = 0
    # φ+(r2) = (0 + 1 + 0)/3 = 1/3                            φ-(r2) = (1 + 0 + 1)/3 = 2/3
    # φ+(r3) = 0                                              φ-(r3) = (1 + 1 + 1)/3 = 1
    # Net: φ(a) = 1/3, φ(r1) = 1, φ(r2) = -1/3: both at distance 2/3 → the better class, 0.
    # Positive: 2/3 is 1/3 from both 1 and 1/3 → 0. Negative: 1/3 is 1/3 from 0 and 2/3 → 0.
    result = flowsort(np.array([0.6, 0.4]), PROFILES, np.array([1.0, 0.0]), USUAL)
    assert result.net_flow[0] == pytest.approx(1 / 3)
    assert result.profile_net_flows[0] == pytest.approx([1.0, -1 / 3, -1.0])
    for name in CLASS_FIELDS:
        assert getattr(result, name).tolist() == [0], name


def test_nothing_answered_gives_class_minus_one_and_nan_flows() -> None:
    scores = np.array([[np.nan, np.nan], [0.6, 0.4], [np.nan, 0.9]])
    # The third row answered only a criterion of weight 0: nothing to compare on either.
    result = flowsort(scores, PROFILES, np.array([1.0, 0.0]), USUAL)
    for name in CLASS_FIELDS:
        assert getattr(result, name).tolist() == [-1, 0, -1], name
    for name in FLOW_FIELDS:
        values = getattr(result, name)
        assert np.isnan(values[[0, 2]]).all(), name
        assert not np.isnan(values[1]).any(), name


# --- invariances, shapes, validation -------------------------------------------------------


@pytest.mark.parametrize("factor", [1e-3, 3.0, 1e4])
def test_weights_are_scale_invariant(factor: float) -> None:
    rng = np.random.default_rng(7)
    scores = rng.random((50, 2))
    scores[rng.random((50, 2)) < 0.2] = np.nan
    weights = np.array([0.3, 0.7])
    for preference in PREFERENCES:
        assert_same_result(
            flowsort(scores, PROFILES, weights * factor, preference),
            flowsort(scores, PROFILES, weights, preference),
        )


def test_one_dimensional_scores_are_one_alternative() -> None:
    single = flowsort(np.array([0.6, 0.4]), PROFILES, EQUAL_WEIGHTS, LINEAR)
    batch = flowsort(np.array([[0.6, 0.4]]), PROFILES, EQUAL_WEIGHTS, LINEAR)
    assert single.classes.shape == (1,)
    assert single.profile_net_flows.shape == (1, 3)
    assert_same_result(single, batch, tol=0.0)


def test_no_alternative() -> None:
    result = flowsort(np.empty((0, 2)), PROFILES, EQUAL_WEIGHTS)
    assert result.classes.shape == (0,)
    assert result.profile_net_flows.shape == (0, 3)


@pytest.mark.parametrize(
    ("scores", "profiles", "weights", "preference", "message"),
    [
        # Non-dominating profiles: class 1 is worse than class 2 on criterion 1.
        ([0.5, 0.5], [[0.8, 0.8], [0.5, 0.3], [0.2, 0.4]], [1, 1], LINEAR,
         "class 1 does not strictly dominate the profile of class 2"),
        ([0.5, 0.5], [[0.8, 0.8], [0.8, 0.8]], [1, 1], LINEAR, "equal on every criterion"),
        ([0.5, 0.5], [[0.2, 0.2], [0.8, 0.8]], [1, 1], LINEAR,
         "class 0 does not strictly dominate the profile of class 1"),
        ([0.5, 0.5], [[0.8, 0.8]], [1, 1], LINEAR, "at least two classes"),
        ([0.5, 0.5], [[0.8, np.nan], [0.2, 0.2]], [1, 1], LINEAR, "profiles must be finite"),
        # Shape mismatches.
        ([0.5, 0.5, 0.5], PROFILES, [1, 1], LINEAR, r"profiles must be a \(K, 3\) array"),
        ([0.5, 0.5], PROFILES, [1, 1, 1], LINEAR, r"weights must be a \(2,\) array"),
        ([[[0.5, 0.5]]], PROFILES, [1, 1], LINEAR, r"scores must be a \(n, m\) or \(m,\) array, got shape \(1, 1, 2\)"),
        ([0.5, 0.5], PROFILES[0], [1, 1], LINEAR, "profiles must be a"),
        ([0.5, 0.5], PROFILES, [1, 1],
         PreferenceFunction("linear", q=np.zeros(3), p=np.ones(3)),
         "q has 3 values but there are 2"),
        # Weights.
        ([0.5, 0.5], PROFILES, [1, -1], LINEAR, "weights must be finite and >= 0"),
        ([0.5, 0.5], PROFILES, [1, np.nan], LINEAR, "weights must be finite and >= 0"),
        ([0.5, 0.5], PROFILES, [0, 0], LINEAR, "at least one weight must be positive"),
        ([0.5, 0.5], PROFILES, [1e308, 1e308], LINEAR, "their sum overflows"),
        # Scores.
        ([0.5, np.inf], PROFILES, [1, 1], LINEAR, "scores must be finite or NaN"),
    ],
)
def test_invalid_inputs(scores, profiles, weights, preference, message) -> None:
    with pytest.raises(ValueError, match=message):
        flowsort(np.array(scores, dtype=float), np.array(profiles, dtype=float),
                 np.array(weights, dtype=float), preference)


def test_tiles_blocks_and_threads_do_not_change_the_result(monkeypatch: pytest.MonkeyPatch) -> None:
    rng = np.random.default_rng(3)
    scores = rng.random((40, 3))
    scores[rng.random((40, 3)) < 0.25] = np.nan
    profiles = np.array([[0.9, 0.8, 0.7], [0.6, 0.5, 0.45], [0.3, 0.2, 0.1]])
    weights = np.array([1.0, 0.0, 2.0])
    preference = PreferenceFunction("linear", q=0.05, p=0.3)
    rows = [flowsort(row, profiles, weights, preference) for row in scores]
    # Tiles of 3 rows (a shorter last one), blocks of 7 rows, processed by two threads.
    monkeypatch.setattr(flowsort_module, "_TILE_ROWS", 3)
    monkeypatch.setattr(flowsort_module, "_BLOCK_ROWS", 7)
    monkeypatch.setattr(parallel, "available_cpus", lambda: 2)
    batch = flowsort(scores, profiles, weights, preference)
    for name in RESULT_FIELDS:
        np.testing.assert_allclose(
            getattr(batch, name), np.concatenate([getattr(r, name) for r in rows]), atol=1e-12
        )


# --- properties -------------------------------------------------------------------------------


def reference_flowsort(
    scores: np.ndarray, profiles: np.ndarray, weights: np.ndarray, preference: PreferenceFunction
) -> FlowSortResult:
    """The definitions transcribed literally, one alternative and one pair at a time."""
    k = len(profiles)
    columns: dict[str, list] = {name: [] for name in RESULT_FIELDS}
    for a in np.atleast_2d(scores):
        answered = ~np.isnan(a)
        total = weights[answered].sum()
        if total == 0:
            for name in CLASS_FIELDS:
                columns[name].append(-1)
            for name in FLOW_FIELDS:
                columns[name].append(np.full(k, np.nan) if name.startswith("profile") else np.nan)
            continue
        reference_set = [*profiles, a]  # index k is the alternative

        renormalised = weights[answered] / total

        def pi(x: np.ndarray, y: np.ndarray, w: np.ndarray = renormalised, mask: np.ndarray = answered) -> float:
            return float((w * preference(x - y)[mask]).sum())

        plus = [sum(pi(x, y) for f, y in enumerate(reference_set) if f != e) / k
                for e, x in enumerate(reference_set)]
        minus = [sum(pi(y, x) for f, y in enumerate(reference_set) if f != e) / k
                 for e, x in enumerate(reference_set)]
        net = [p - m for p, m in zip(plus, minus, strict=True)]
        for flows, flow_name, classes_name in (
            (net, "net_flow", "classes"),
            (plus, "positive_flow", "classes_positive"),
            (minus, "negative_flow", "classes_negative"),
        ):
            distances = [abs(flows[k] - flows[h]) for h in range(k)]
            closest = min(distances)
            # "Exact" tie up to rounding → the better (lower) class.
            columns[classes_name].append(
                next(h for h in range(k) if distances[h] <= closest + 1e-9)
            )
            columns[flow_name].append(flows[k])
        columns["profile_net_flows"].append(net[:k])
        columns["profile_positive_flows"].append(plus[:k])
        columns["profile_negative_flows"].append(minus[:k])
    return FlowSortResult(**{name: np.array(values) for name, values in columns.items()})


@st.composite
def preferences(draw: st.DrawFn, m: int) -> PreferenceFunction:
    if draw(st.booleans()):
        return USUAL
    per_criterion = draw(st.booleans())
    size = m if per_criterion else 1
    q = np.array(draw(st.lists(st.floats(0.0, 0.2), min_size=size, max_size=size)))
    p = q + np.array(draw(st.lists(st.floats(0.01, 0.6), min_size=size, max_size=size)))
    return PreferenceFunction("linear", q=q if per_criterion else float(q[0]),
                              p=p if per_criterion else float(p[0]))


@st.composite
def problems(draw: st.DrawFn, min_gap_above_q: bool = False):
    """(scores, profiles, weights, preference). With ``min_gap_above_q`` consecutive profiles
    differ by more than the indifference threshold on every criterion."""
    n = draw(st.integers(1, 8))
    m = draw(st.integers(1, 5))
    k = draw(st.integers(2, 5))
    preference = draw(preferences(m))
    q = np.broadcast_to(0.0 if preference.kind == "usual" else preference.q, (m,))
    unit = st.floats(0.0, 1.0)
    scores = np.array(
        draw(st.lists(st.lists(st.one_of(unit, unit, unit, st.just(math.nan)),
                               min_size=m, max_size=m), min_size=n, max_size=n))
    )
    weights = np.array(draw(st.lists(st.floats(0.0, 5.0), min_size=m, max_size=m)))
    weights[draw(st.integers(0, m - 1))] += draw(st.floats(0.1, 5.0))
    if min_gap_above_q:
        gaps = q + np.array(draw(st.lists(st.lists(st.floats(0.01, 0.3), min_size=m, max_size=m),
                                          min_size=k - 1, max_size=k - 1)))
    else:
        gaps = np.array(draw(st.lists(st.lists(st.floats(0.0, 0.3), min_size=m, max_size=m),
                                      min_size=k - 1, max_size=k - 1)))
        for step in range(k - 1):  # strictly better on at least one criterion
            gaps[step, draw(st.integers(0, m - 1))] += draw(st.floats(0.01, 0.3))
    lowest = np.array(draw(st.lists(st.floats(0.0, 0.3), min_size=m, max_size=m)))
    profiles = lowest + np.concatenate([np.zeros((1, m)), np.cumsum(gaps, axis=0)])[::-1]
    return scores, profiles, weights, preference


@settings(max_examples=200, deadline=None)
@given(problems())
def test_flows_are_bounded_and_net_flows_sum_to_zero(problem) -> None:
    scores, profiles, weights, preference = problem
    result = flowsort(scores, profiles, weights, preference)
    usable = result.classes >= 0
    eps = 1e-12
    for values in (result.net_flow[usable], result.profile_net_flows[usable]):
        assert np.all((values >= -1 - eps) & (values <= 1 + eps))
    for values in (result.positive_flow[usable], result.negative_flow[usable],
                   result.profile_positive_flows[usable], result.profile_negative_flows[usable]):
        assert np.all((values >= -eps) & (values <= 1 + eps))
    # In each R_i the net flows sum to 0: φ(a_i) + Σ_h φ(r_h) = 0.
    totals = result.net_flow[usable] + result.profile_net_flows[usable].sum(axis=1)
    np.testing.assert_allclose(totals, 0.0, atol=1e-12)
    # Profiles' flows keep the order of the classes.
    assert np.all(np.diff(result.profile_net_flows[usable], axis=1) <= eps)


@settings(max_examples=200, deadline=None)
@given(problems())
def test_matches_the_literal_definition_and_the_row_by_row_result(problem) -> None:
    scores, profiles, weights, preference = problem
    batch = flowsort(scores, profiles, weights, preference)
    assert_same_result(batch, reference_flowsort(scores, profiles, weights, preference))
    rows = [flowsort(row, profiles, weights, preference) for row in scores]
    for name in RESULT_FIELDS:
        np.testing.assert_allclose(
            getattr(batch, name), np.concatenate([getattr(r, name) for r in rows]),
            rtol=0, atol=1e-12, err_msg=name,
        )
    for name in CLASS_FIELDS:
        np.testing.assert_array_equal(
            getattr(batch, name), np.concatenate([getattr(r, name) for r in rows]), err_msg=name
        )


@settings(max_examples=300, deadline=None)
@given(problems(min_gap_above_q=True), st.data())
def test_raising_a_criterion_never_moves_to_a_worse_class(problem, data) -> None:
    # The profiles are strictly ordered with gaps above q on every criterion. Profiles closer
    # than q are indifferent: their net flows tie and the tie goes to the better class, but
    # raising the alternative can separate them (it may then be strictly preferred to the worse
    # profile only) and move it to the worse of the two; the property needs distinguishable
    # profiles.
    scores, profiles, weights, preference = problem
    m = scores.shape[1]
    criterion = data.draw(st.integers(0, m - 1))
    raised = scores.copy()
    raised[:, criterion] += data.draw(st.floats(1e-6, 1.0))
    before = flowsort(scores, profiles, weights, preference)
    after = flowsort(raised, profiles, weights, preference)
    for name in CLASS_FIELDS:
        old, new = getattr(before, name), getattr(after, name)
        assert np.all(new[old >= 0] <= old[old >= 0]), name
    usable = before.classes >= 0
    assert np.all(after.net_flow[usable] >= before.net_flow[usable] - 1e-12)


@settings(max_examples=100, deadline=None)
@given(problems(min_gap_above_q=True), st.data())
def test_dominating_the_best_or_dominated_by_the_worst_profile(problem, data) -> None:
    # (Profiles closer than q are indifferent: their flows tie and the tie goes to the better
    # class, so "the worst class" is only well defined with gaps above q.)
    _, profiles, weights, preference = problem
    m = profiles.shape[1]
    offset = np.array(data.draw(st.lists(st.floats(0.0, 0.5), min_size=m, max_size=m)))
    result = flowsort(np.array([profiles[0] + offset, profiles[-1] - offset]), profiles, weights,
                      preference)
    k = len(profiles)
    for name in CLASS_FIELDS:
        assert getattr(result, name).tolist() == [0, k - 1], name


def test_several_weight_sets_equal_separate_runs() -> None:
    rng = np.random.default_rng(11)
    scores = rng.random((50, 4))
    scores[rng.random(scores.shape) < 0.2] = np.nan
    profiles = np.array([[0.8] * 4, [0.5] * 4, [0.2] * 4])
    sets = np.array([[1.0, 1.0, 0.0, 0.0], [0.0, 2.0, 1.0, 1.0], [1.0, 1.0, 1.0, 1.0]])
    preference = PreferenceFunction("linear", q=0.0, p=0.3)
    together = flowsort_many(scores, profiles, sets, preference)
    for weights, result in zip(sets, together, strict=True):
        alone = flowsort(scores, profiles, weights, preference)
        for name in RESULT_FIELDS:
            np.testing.assert_allclose(getattr(result, name), getattr(alone, name), atol=1e-12)
    # a row whose answered criteria all weigh 0 in a set has no class in that set only
    row = np.array([[np.nan, np.nan, 0.5, 0.5]])
    first, second, _ = flowsort_many(row, profiles, sets, preference)
    assert first.classes[0] == -1 and second.classes[0] >= 0
