"""Boundaries and refusals of the core: values exactly at a cut, and inputs one entry wrong.

* :func:`innexport.core.classes.quadrant` and :func:`~innexport.core.classes.classify`: a value
  exactly at a cut belongs to the class above it ("a firm at or above it ... has an active
  attitude", the module's docstring), after rounding to :data:`~innexport.core.classes.ROUNDING`
  decimals, so that 0.1 + 0.31 (0.41000000000000003) and 0.41 are the same value.
* :func:`innexport.core.scoring.score` refuses an answer value outside [0, 1] (answers are values
  in [0, 1], NaN for unanswered: issue 16 found it accepting negative answers).
* :func:`innexport.core.flowsort.flowsort` checks every criterion: ONE bad entry among good ones
  is refused (issue 16: swapping ``all``/``any`` in the checks survived the tests, because every
  test made all entries bad at once).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from innexport.core import classes
from innexport.core.classes import QUADRANTS, ROUNDING, classify, quadrant
from innexport.core.flowsort import PreferenceFunction, flowsort
from innexport.core.scoring import ScoringModel, score
from innexport.files.frameworks import load_framework

MINI = Path(__file__).parent / "fixtures" / "mini.yaml"
CUT = 0.41
BELOW = CUT - 10.0 ** -(ROUNDING - 1)  # 0.40999999: below the cut even after rounding
NOISE = 10.0 ** -(ROUNDING + 3)  # floating-point noise, gone after rounding

BOTH, EXPORTER, INNOVATOR, NEITHER = range(4)


def test_quadrant_names_are_in_index_order() -> None:
    assert QUADRANTS == ("innovative_exporter", "exporter_not_innovating", "innovator_not_exporting", "neither")


@pytest.mark.parametrize(
    ("iip", "iep", "expected"),
    [
        (CUT, CUT, BOTH),  # exactly at the cut on both sides: active on both
        (CUT, BELOW, INNOVATOR),
        (BELOW, CUT, EXPORTER),
        (BELOW, BELOW, NEITHER),
        (0.1 + 0.31, 0.41, BOTH),  # 0.41000000000000003
        (CUT - NOISE, CUT - NOISE, BOTH),  # noise below the cut rounds to the cut
        (1.0, 0.0, INNOVATOR),
        (0.0, 1.0, EXPORTER),
    ],
)
def test_quadrant_at_the_cut(iip: float, iep: float, expected: int) -> None:
    assert int(quadrant(np.array(iip), np.array(iep), CUT)) == expected
    # the same firm among others gives the same quadrant (element-wise, any shape)
    many = quadrant(np.array([[iip, 0.9], [0.0, iip]]), np.array([[iep, 0.9], [0.0, iep]]), CUT)
    assert many.tolist() == [[expected, BOTH], [NEITHER, expected]]


def test_quadrant_of_a_missing_index_is_minus_one() -> None:
    got = quadrant(np.array([np.nan, CUT, np.nan]), np.array([CUT, np.nan, np.nan]), CUT)
    assert got.tolist() == [-1, -1, -1]


def test_classify_at_each_threshold() -> None:
    bounds = np.array([0.61, 0.41, 0.29, 0.0])
    values = np.array([0.61, 0.61 - 1e-8, 0.41, 0.3 + 0.11, 0.41 - 1e-8, 0.29, 0.29 - 1e-8, 0.0, 1.0, np.nan])
    assert classify(values, bounds).tolist() == [0, 1, 1, 1, 2, 2, 3, 3, 0, -1]


# --- score() refuses values outside [0, 1] --------------------------------------------------------------


@pytest.fixture(scope="module")
def mini() -> ScoringModel:
    return ScoringModel.from_framework(load_framework(MINI))


@pytest.mark.parametrize("bad", [-1e-9, -1.0, 1.0 + 1e-9, 2.0, np.inf, -np.inf])
def test_score_refuses_an_answer_outside_zero_one(mini: ScoringModel, bad: float) -> None:
    o = len(mini.observable_ids)
    values = np.full((3, o), 0.5)
    values[1, o - 1] = bad  # one bad answer, in the second assessment's last observable
    with pytest.raises(ValueError, match=rf"\[0, 1\].*assessment 1\b.*{mini.observable_ids[-1]}"):
        score(mini, values)


def test_score_accepts_the_bounds_and_nan(mini: ScoringModel) -> None:
    o = len(mini.observable_ids)
    values = np.array([[0.0] * o, [1.0] * o, [np.nan] * o])
    got = score(mini, values)
    np.testing.assert_allclose(got.indices[0], 0.0)
    np.testing.assert_allclose(got.indices[1], 1.0)
    assert np.isnan(got.indices[2]).all() and got.completeness.tolist() == [1.0, 1.0, 0.0]


# --- FlowSort: every criterion is checked ------------------------------------------------------------------

PROFILES = np.array([[0.8, 0.8, 0.8], [0.5, 0.5, 0.5], [0.2, 0.2, 0.2]])
SCORES = np.array([[0.7, 0.6, 0.9], [0.1, 0.3, 0.2]])
WEIGHTS = np.array([0.5, 0.3, 0.2])


def test_flowsort_runs_on_the_good_inputs() -> None:
    # the inputs below differ from these by ONE entry; these are accepted and sort as by hand
    result = flowsort(SCORES, PROFILES, WEIGHTS)
    assert result.classes.tolist() == [0, 2]  # above the top profile on two criteria; below class 1 on all


@pytest.mark.parametrize(
    ("weights", "message"),
    [
        ([0.5, -0.1, 0.6], "weights must be finite and >= 0"),
        ([0.5, np.nan, 0.6], "weights must be finite and >= 0"),
        ([0.5, 0.3, np.inf], "weights must be finite and >= 0"),
    ],
)
def test_flowsort_refuses_one_bad_weight(weights: list[float], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        flowsort(SCORES, PROFILES, np.array(weights))


def test_flowsort_refuses_one_non_finite_profile_entry() -> None:
    for bad in (np.nan, np.inf):
        profiles = PROFILES.copy()
        profiles[1, 2] = bad
        with pytest.raises(ValueError, match="profiles must be finite"):
            flowsort(SCORES, profiles, WEIGHTS)


def test_flowsort_refuses_one_infinite_score() -> None:
    scores = SCORES.copy()
    scores[1, 0] = np.inf
    with pytest.raises(ValueError, match="scores must be finite or NaN"):
        flowsort(scores, PROFILES, WEIGHTS)


def test_flowsort_refuses_a_profile_worse_on_one_criterion() -> None:
    profiles = PROFILES.copy()
    profiles[1, 1] = 0.85  # class 1 better than class 0 on criterion 1 only
    with pytest.raises(ValueError, match=r"class 0 does not strictly dominate .*class 1 \(worse on criteria \[1\]\)"):
        flowsort(SCORES, profiles, WEIGHTS)


@pytest.mark.parametrize(
    ("q", "p", "message"),
    [
        ([0.0, -0.05, 0.0], 0.25, "q must be >= 0"),
        (0.0, [0.25, 0.0, 0.25], "p must be > q"),
        ([0.0, 0.1, 0.0], [0.25, 0.1, 0.25], "p must be > q"),
        ([0.0, np.nan, 0.0], 0.25, "q must be finite"),
        (0.0, [0.25, np.inf, 0.25], "p must be finite"),
    ],
)
def test_preference_refuses_one_bad_threshold(q: float | list[float], p: float | list[float], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        PreferenceFunction("linear", q=np.array(q), p=np.array(p))


def test_preference_per_criterion_thresholds_are_used_per_criterion() -> None:
    pref = PreferenceFunction("linear", q=np.array([0.0, 0.1, 0.0]), p=np.array([0.2, 0.3, 0.4]))
    # d = 0.1 on each criterion: (0.1 - 0) / 0.2, (0.1 - 0.1) / 0.2 = 0, (0.1 - 0) / 0.4
    np.testing.assert_allclose(pref(np.array([0.1, 0.1, 0.1])), [0.5, 0.0, 0.25])
    with pytest.raises(ValueError, match="q has 3 values but there are 2 criteria"):
        flowsort(SCORES[:, :2], PROFILES[:, :2], WEIGHTS[:2], pref)


# --- the rounding is to 9 decimals, the shipped classes ---------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (0.61 - 4e-10, 0),  # 0.6099999996 rounds to 0.610000000 (9 decimals): proactive
        (0.61 - 6e-10, 1),  # 0.6099999994 rounds to 0.609999999: preactive
        (0.29 - 4e-10, 2),
        (0.29 - 6e-10, 3),
    ],
)
def test_values_are_rounded_to_nine_decimals(value: float, expected: int) -> None:
    # docs/method.md, section 4: the indices are rounded to 9 decimals before the class thresholds
    assert ROUNDING == 9
    assert int(classify(np.array(value), np.array([0.61, 0.41, 0.29, 0.0]))) == expected
    cut = 0.61 if expected < 2 else 0.29
    assert int(quadrant(np.array(value), np.array(value), cut)) == (BOTH if expected % 2 == 0 else NEITHER)


def test_the_shipped_classes_thresholds_profiles_and_cut() -> None:
    # docs/method.md, section 3: proactive >= 0.61, preactive >= 0.41, reactive >= 0.29, passive; central
    # profiles at the mid-points 0.805, 0.51, 0.35, 0.145; the quadrant cut at the preactive threshold
    framework = load_framework("iiep")
    np.testing.assert_array_equal(classes.thresholds(framework), [0.61, 0.41, 0.29, 0.0])
    np.testing.assert_array_equal(classes.profiles(framework), [0.805, 0.51, 0.35, 0.145])
    assert classes.quadrant_cut(framework) == 0.41
