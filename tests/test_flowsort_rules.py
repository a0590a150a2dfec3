"""FlowSort's rules one at a time (:mod:`innexport.core.flowsort`), worked out by hand on tiny inputs.

What tests/test_flowsort.py leaves implicit, each pinned by a case where getting the rule wrong changes
a flow or a class:

* the default preference function is the method's: linear with ``q = 0`` and ``p = 0.25``
  (docs/method.md, section 3);
* the linear function with an indifference threshold ``q > 0`` inside the flows (not only alone);
* the tie rule: distances within ``1e-9`` tie, and ``ties="worse"`` sends a tie to the worse class for the
  net, positive and negative flows alike; distances ``3e-9`` apart are not a tie;
* the thresholds are kept as given: read-only float copies, and the usual function ignores them entirely;
* profiles that are equal on some criteria but better on another do strictly dominate;
* per-alternative weights (``weights_for``) across several blocks of rows, and the exact refusal that
  names the weight set, the alternative and the criterion of the first bad weight;
* no floating-point warning escapes: alternatives with nothing to compare on and overflowing weights give
  their documented result (NaN flows, class -1; a ``ValueError``) and nothing else.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from innexport.core import flowsort as flowsort_module
from innexport.core import parallel
from innexport.core.flowsort import PreferenceFunction, flowsort, flowsort_many

ONE_CRITERION = np.array([[0.8], [0.5], [0.2]])
THREE_PROFILES = np.array([[0.8, 0.8], [0.5, 0.5], [0.2, 0.2]])
USUAL = PreferenceFunction("usual")


# --- the default preference function ------------------------------------------------------------


def test_the_default_preference_is_the_methods_linear_p_quarter() -> None:
    assert (PreferenceFunction().kind, PreferenceFunction().q, PreferenceFunction().p) == ("linear", 0.0, 0.25)
    # One criterion, profiles 0.8, 0.5, 0.2, a = 0.6, P(d) = clip(d / 0.25, 0, 1) = clip(4d, 0, 1):
    #   between profiles: P(0.3) = P(0.6) = 1, so π(r1,r2) = π(r1,r3) = π(r2,r3) = 1, reverse 0
    #   π(a,r1) = P(-0.2) = 0   π(r1,a) = P(0.2) = 0.8
    #   π(a,r2) = P(0.1) = 0.4  π(r2,a) = 0
    #   π(a,r3) = P(0.4) = 1    π(r3,a) = 0
    # φ+(a) = 1.4/3, φ-(a) = 0.8/3, φ(a) = 0.2
    # φ(r1) = (1 + 1 + 0.8)/3 - 0 = 2.8/3;  φ(r2) = 1/3 - (1 + 0.4)/3 = -0.4/3;  φ(r3) = 0 - 3/3 = -1
    # |0.2 - 2.8/3| = 2.2/3 > |0.2 + 0.4/3| = 1/3 → class 1
    result = flowsort(np.array([0.6]), ONE_CRITERION, np.array([1.0]))
    assert result.positive_flow[0] == pytest.approx(1.4 / 3)
    assert result.negative_flow[0] == pytest.approx(0.8 / 3)
    assert result.net_flow[0] == pytest.approx(0.2)
    np.testing.assert_allclose(result.profile_net_flows[0], [2.8 / 3, -0.4 / 3, -1.0], atol=1e-12)
    np.testing.assert_allclose(result.profile_positive_flows[0], [2.8 / 3, 1 / 3, 0.0], atol=1e-12)
    np.testing.assert_allclose(result.profile_negative_flows[0], [0.0, 1.4 / 3, 1.0], atol=1e-12)
    assert result.classes.tolist() == [1]
    # the same through flowsort_many's default
    many = flowsort_many(np.array([[0.6]]), ONE_CRITERION, np.ones((1, 1)))[0]
    assert many.net_flow[0] == pytest.approx(0.2)


# --- the linear function with an indifference threshold, inside the flows -----------------------

Q_LINEAR = PreferenceFunction("linear", q=0.1, p=0.3)


def test_linear_with_indifference_threshold_hand_computed() -> None:
    # One criterion, profiles 0.8, 0.5, 0.2; P(d) = clip((d - 0.1) / 0.2, 0, 1).
    #   between profiles: P(0.3) = P(0.6) = 1: π(r1,r2) = π(r1,r3) = π(r2,r3) = 1, reverse 0
    # a = 0.65:
    #   π(a,r1) = P(-0.15) = 0     π(r1,a) = P(0.15) = 0.25
    #   π(a,r2) = P(0.15) = 0.25   π(r2,a) = P(-0.15) = 0
    #   π(a,r3) = P(0.45) = 1      π(r3,a) = 0
    # φ+(a)  = 1.25/3                      φ-(a)  = 0.25/3                       φ(a)  = 1/3
    # φ+(r1) = (1 + 1 + 0.25)/3 = 0.75     φ-(r1) = 0                            φ(r1) = 0.75
    # φ+(r2) = (0 + 1 + 0)/3 = 1/3         φ-(r2) = (1 + 0 + 0.25)/3 = 1.25/3    φ(r2) = -1/12
    # φ+(r3) = 0                           φ-(r3) = 1                            φ(r3) = -1
    # Net: |1/3 - 3/4| = 5/12 = |1/3 + 1/12|: an exact tie between classes 0 and 1.
    # Positive: 1.25/3 is 1/3 from 0.75 and 1/12 from 1/3 → class 1.
    # Negative: 0.25/3 is 1/12 from 0 and 1/3 from 1.25/3 → class 0.
    # a = 0.55 (inside the indifference band of r2 on both sides):
    #   π(a,r1) = 0, π(r1,a) = P(0.25) = 0.75; π(a,r2) = P(0.05) = 0 = π(r2,a); π(a,r3) = 1, π(r3,a) = 0
    # φ(a) = 1/3 - 0.75/3 = 0.25/3; φ(r1) = 2.75/3; φ(r2) = 1/3 - 1/3 = 0; φ(r3) = -1 → class 1
    scores = np.array([[0.65], [0.55]])
    for ties, net_class in (("better", 0), ("worse", 1)):
        result = flowsort(scores, ONE_CRITERION, np.array([1.0]), Q_LINEAR, ties=ties)
        np.testing.assert_allclose(result.positive_flow, [1.25 / 3, 1 / 3], atol=1e-12)
        np.testing.assert_allclose(result.negative_flow, [0.25 / 3, 0.75 / 3], atol=1e-12)
        np.testing.assert_allclose(result.net_flow, [1 / 3, 0.25 / 3], atol=1e-12)
        np.testing.assert_allclose(result.profile_net_flows, [[0.75, -1 / 12, -1.0], [2.75 / 3, 0.0, -1.0]],
                                   atol=1e-12)
        np.testing.assert_allclose(result.profile_positive_flows[0], [0.75, 1 / 3, 0.0], atol=1e-12)
        np.testing.assert_allclose(result.profile_negative_flows[0], [0.0, 1.25 / 3, 1.0], atol=1e-12)
        assert result.classes.tolist() == [net_class, 1], ties
        assert result.classes_positive.tolist() == [1, 1], ties
        assert result.classes_negative[0] == 0, ties


# --- the tie rule ---------------------------------------------------------------------------------


def test_worse_tie_rule_applies_to_every_flow() -> None:
    # tests/test_flowsort.py's tie: weights (1, 0), usual function, a = (0.6, ·):
    # φ(a) = 1/3 between φ(r1) = 1 and φ(r2) = -1/3; φ+(a) = 2/3 between 1 and 1/3;
    # φ-(a) = 1/3 between 0 and 2/3: three exact ties, each sent to the worse class, 1.
    result = flowsort(np.array([0.6, 0.4]), THREE_PROFILES, np.array([1.0, 0.0]), USUAL, ties="worse")
    assert result.net_flow[0] == pytest.approx(1 / 3)
    assert (result.classes.tolist(), result.classes_positive.tolist(), result.classes_negative.tolist()) == (
        [1], [1], [1])
    with pytest.raises(ValueError, match="unknown tie rule 'random'; use 'better' or 'worse'"):
        flowsort(np.array([0.6, 0.4]), THREE_PROFILES, np.ones(2), ties="random")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("offset", "better", "worse"),
    [
        (0.0, 0, 1),  # distances 0.75 and 0.75: a tie
        (2e-10, 0, 1),  # distances 3e-10 + 3e-10 = 6e-10 apart: within 1e-9, still a tie
        (-2e-10, 0, 1),
        (1e-9, 0, 0),  # 3e-9 apart: r1 is closer, whatever the tie rule
        (-1e-9, 1, 1),  # 3e-9 apart the other way: r2 is closer
    ],
)
def test_ties_are_distances_within_1e_9(offset: float, better: int, worse: int) -> None:
    # One criterion, K = 2 profiles 1 and 0, P(d) = clip(d, 0, 1) (q = 0, p = 1), a = t:
    #   π(r1,r2) = 1; π(a,r1) = 0, π(r1,a) = 1 - t; π(a,r2) = t, π(r2,a) = 0
    #   φ(a) = (t - (1 - t))/2 = t - 1/2; φ(r1) = (1 + 1 - t)/2 = 1 - t/2; φ(r2) = -(1 + t)/2
    #   distance to r1: 3/2 - 3t/2, to r2: 3t/2; at t = 1/2 + ε they differ by 3ε.
    t = 0.5 + offset
    result = flowsort_many(np.array([[t]]), np.array([[1.0], [0.0]]), np.ones((1, 1)),
                           PreferenceFunction("linear", q=0.0, p=1.0), ties="better")[0]
    assert result.net_flow[0] == pytest.approx(t - 0.5, abs=1e-15)
    np.testing.assert_allclose(result.profile_net_flows[0], [1 - t / 2, -(1 + t) / 2], atol=1e-15)
    assert result.classes[0] == better
    result = flowsort_many(np.array([[t]]), np.array([[1.0], [0.0]]), np.ones((1, 1)),
                           PreferenceFunction("linear", q=0.0, p=1.0), ties="worse")[0]
    assert result.classes[0] == worse


# --- the preference function's parameters ------------------------------------------------------


def test_thresholds_are_read_only_float_copies() -> None:
    q, p = np.array([0, 0, 1]), np.array([1, 2, 3])  # integers
    preference = PreferenceFunction("linear", q=q, p=p)
    assert preference.q.dtype == np.float64 and preference.p.dtype == np.float64
    assert not preference.q.flags.writeable and not preference.p.flags.writeable
    with pytest.raises(ValueError, match="read-only"):
        preference.p[0] = 5.0
    # the caller's arrays are left alone: still writable, and changing them changes nothing
    assert q.flags.writeable and p.flags.writeable
    q[0], p[0] = 5, 9
    np.testing.assert_array_equal(preference.q, [0.0, 0.0, 1.0])
    np.testing.assert_array_equal(preference.p, [1.0, 2.0, 3.0])
    # d = (0.5, 0.5, 2): 0.5/1, 0.5/2, (2 - 1)/(3 - 1)
    np.testing.assert_allclose(preference(np.array([0.5, 0.5, 2.0])), [0.5, 0.25, 0.5])
    scalar = PreferenceFunction("linear", q=0, p=1)
    assert type(scalar.q) is float and type(scalar.p) is float


def test_usual_function_ignores_thresholds_of_any_length() -> None:
    # The usual function takes no thresholds: per-criterion ones of the wrong length are not an error.
    ignoring = PreferenceFunction("usual", q=np.zeros(3), p=np.ones(3))
    got = flowsort(np.array([0.6, 0.4]), THREE_PROFILES, np.ones(2), ignoring)
    expected = flowsort(np.array([0.6, 0.4]), THREE_PROFILES, np.ones(2), USUAL)
    assert got.net_flow[0] == pytest.approx(expected.net_flow[0]) == pytest.approx(0.0)


def test_linear_function_checks_p_per_criterion_too() -> None:
    with pytest.raises(ValueError, match=r"^p has 3 values but there are 2 criteria$"):
        flowsort(np.array([0.6, 0.4]), THREE_PROFILES, np.ones(2), PreferenceFunction("linear", q=0.0, p=np.ones(3)))
    with pytest.raises(ValueError, match=r"^q has 3 values but there are 2 criteria$"):
        flowsort(np.array([0.6, 0.4]), THREE_PROFILES, np.ones(2), PreferenceFunction("linear", q=np.zeros(3), p=1.0))


# --- profiles and weight sets ----------------------------------------------------------------------


def test_profiles_equal_on_some_criteria_still_dominate() -> None:
    # r1 = (0.8, 0.5) >= r2 = (0.5, 0.5) >= r3 = (0.2, 0.5): better on criterion 0 only.
    profiles = np.array([[0.8, 0.5], [0.5, 0.5], [0.2, 0.5]])
    result = flowsort(profiles, profiles, np.array([1.0, 1.0]), PreferenceFunction("linear", q=0.0, p=0.5))
    assert result.classes.tolist() == [0, 1, 2]
    # usual function, a = r2: only criterion 0 (weight 1/2) separates the profiles:
    #   π(r1,r2) = π(r1,r3) = π(r2,r3) = 1/2; a = r2: π(r1,a) = π(a,r3) = 1/2, the rest 0
    # φ(r1) = (1/2 + 1/2 + 1/2)/3 = 1/2, φ(r2) = φ(a) = (1/2 + 1/2)/3 - (1/2 + 1/2)/3 = 0, φ(r3) = -1/2
    result = flowsort(profiles[1], profiles, np.array([1.0, 1.0]), USUAL)
    np.testing.assert_allclose(result.profile_net_flows[0], [0.5, 0.0, -0.5], atol=1e-12)
    assert result.net_flow[0] == pytest.approx(0.0, abs=1e-12)


def test_an_empty_list_of_weight_sets_is_refused() -> None:
    with pytest.raises(ValueError, match=r"weights must be a \(2,\) array for 2 criteria"):
        flowsort_many(np.array([[0.6, 0.4]]), THREE_PROFILES, np.empty((0, 2)))


def test_the_profiles_must_be_at_least_two_and_two_is_enough() -> None:
    # K = 2, one criterion, usual function, a = 0.5 between r1 = 0.8 and r2 = 0.2:
    #   φ(a) = (1 - 1)/2 = 0, φ(r1) = 2/2 = 1, φ(r2) = -1: a tie, the better class
    result = flowsort(np.array([0.5]), np.array([[0.8], [0.2]]), np.ones(1), USUAL)
    assert result.net_flow[0] == 0.0 and result.classes.tolist() == [0]
    with pytest.raises(ValueError, match=r"^FlowSort needs at least two classes, got 1 profile\(s\)$"):
        flowsort(np.array([0.5, 0.5]), np.array([[0.8, 0.8]]), np.ones(2), USUAL)


def test_classes_are_integers() -> None:
    # class indices, -1 included: an integer array, not floats that happen to be whole
    result = flowsort(np.array([[0.6, 0.4], [np.nan, np.nan]]), THREE_PROFILES, np.ones(2), USUAL)
    for name in ("classes", "classes_positive", "classes_negative"):
        assert getattr(result, name).dtype == np.int64, name
        assert getattr(result, name).tolist() == [1, -1], name


def test_integer_weight_sets_of_any_size() -> None:
    # only the weights' ratios matter: integer weights whose sum exceeds the int64 range are read as floats
    # and give the equal-weights result (a = (0.6, 0.4), usual function: φ(a) = 0, class 1)
    huge = np.array([[2**62, 2**62]], dtype=np.int64)
    result = flowsort_many(np.array([[0.6, 0.4]]), THREE_PROFILES, huge, USUAL)[0]
    assert result.net_flow[0] == pytest.approx(0.0, abs=1e-12) and result.classes.tolist() == [1]


# --- the refusals, word for word --------------------------------------------------------------------

REFUSALS = [
    # (scores, profiles, weights, message)
    ([0.5, 0.5], THREE_PROFILES, [1.0, 1.0, 1.0],
     r"weights must be a \(2,\) array for 2 criteria, got shape \(3,\)"),
    ([0.5, np.inf], THREE_PROFILES, [1.0, 1.0], r"scores must be finite or NaN \(missing\), found an infinite value"),
    ([0.5, 0.5], [[0.8, 0.8], [0.5, np.nan], [0.2, 0.2]], [1.0, 1.0],
     r"profiles must be finite \(no NaN or infinite value\)"),
    ([0.5, 0.5], THREE_PROFILES, [0.0, 0.0], "at least one weight must be positive"),
    # the last two profiles equal (the first two are fine): found at the pair (1, 2)
    ([0.5, 0.5], [[0.8, 0.8], [0.5, 0.5], [0.5, 0.5]], [1.0, 1.0],
     (r"profiles must strictly dominate each other, best class first: the profile of class 1 does not strictly "
      r"dominate the profile of class 2 \(equal on every criterion\)")),
]


@pytest.mark.parametrize(("scores", "profiles", "weights", "message"), REFUSALS)
def test_refusals_word_for_word(scores: list[float], profiles: list[list[float]], weights: list[float],
                                message: str) -> None:
    with pytest.raises(ValueError, match=f"^{message}$"):
        flowsort(np.array(scores), np.array(profiles), np.array(weights))


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"q": np.zeros(2), "p": np.ones(3)}, r"q and p have different lengths \(2 and 3\)"),
        ({"q": 0.0, "p": np.ones((2, 2))}, r"p must be a scalar or a 1-D array \(one value per criterion\)"),
        ({"q": np.ones((1, 2)), "p": 2.0}, r"q must be a scalar or a 1-D array \(one value per criterion\)"),
    ],
)
def test_preference_refusals_word_for_word(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=f"^{message}$"):
        PreferenceFunction("linear", **kwargs)  # type: ignore[arg-type]


def test_a_tie_includes_distances_exactly_1e_9_apart() -> None:
    # "distances within 1e-9 are a tie" (docs/method.md, section 3), bounds included: centres 0.5 and
    # -(0.5 + 1e-9) are at distances 0.5 and 0.5 + 1e-9 (as rounded in floating point) from 0.
    centres = np.array([[0.5], [-(0.5 + 1e-9)]])
    assert abs(centres[1, 0]) == 0.5 + 1e-9
    assert flowsort_module._closest(np.array([0.0]), centres, "worse").tolist() == [1]
    assert flowsort_module._closest(np.array([0.0]), centres, "better").tolist() == [0]
    # a little further is no tie
    further = np.array([[0.5], [-(0.5 + 2e-9)]])
    assert flowsort_module._closest(np.array([0.0]), further, "worse").tolist() == [0]


# --- per-alternative weights over several blocks -------------------------------------------------


def _per_row_weights(answered: np.ndarray) -> np.ndarray:
    """Two weight sets: (1, 1) and, for the set 1, (row number within the block + 1, 1)."""
    rows = answered.shape[0]
    first = np.ones((rows, 2))
    second = np.column_stack([np.arange(1.0, rows + 1), np.ones(rows)])
    return np.stack([first, second])


def test_per_alternative_weights_over_several_blocks(monkeypatch: pytest.MonkeyPatch) -> None:
    # 7 alternatives in blocks of 3 rows (3 + 3 + 1) on two threads; the callable sees one block at a
    # time, so in set 1 the alternatives weigh criterion 0 by 1, 2, 3, 1, 2, 3, 1 (criterion 1 by 1).
    monkeypatch.setattr(flowsort_module, "_BLOCK_ROWS", 3)
    monkeypatch.setattr(parallel, "available_cpus", lambda: 2)
    scores = np.tile([0.6, 0.4], (7, 1))
    seen: list[int] = []

    def weights_for(answered: np.ndarray) -> np.ndarray:
        seen.append(answered.shape[0])
        return _per_row_weights(answered)

    equal, uneven = flowsort_many(scores, THREE_PROFILES, np.ones((2, 2)), USUAL, weights_for=weights_for)
    assert sorted(seen) == [1, 3, 3]
    # Usual function, a = (0.6, 0.4), weights (w, 1)/(w + 1), c = w/(w + 1):
    #   π(a,r1) = 0, π(r1,a) = 1; π(a,r2) = c, π(r2,a) = 1 - c; π(a,r3) = 1, π(r3,a) = 0
    #   φ(a) = (c + 1)/3 - (2 - c)/3 = (2c - 1)/3
    # w = 1: c = 1/2, φ = 0; w = 2: c = 2/3, φ = 1/9; w = 3: c = 3/4, φ = 1/6
    np.testing.assert_allclose(equal.net_flow, np.zeros(7), atol=1e-12)
    np.testing.assert_allclose(uneven.net_flow, [0, 1 / 9, 1 / 6, 0, 1 / 9, 1 / 6, 0], atol=1e-12)


def test_the_first_bad_per_alternative_weight_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    # Blocks of 3 rows, one after the other: alternative 4 is the second row of the second block. Its
    # weights in set 1 are (0, 1, bad): a zero weight is fine, the bad entry is criterion 2.
    monkeypatch.setattr(flowsort_module, "_BLOCK_ROWS", 3)
    monkeypatch.setattr(parallel, "available_cpus", lambda: 1)
    scores = np.full((6, 3), 0.5)
    profiles = np.array([[0.8] * 3, [0.2] * 3])
    for bad, shown in ((-0.5, "-0.5"), (np.nan, "nan"), (np.inf, "inf")):
        blocks: list[int] = []

        def weights_for(answered: np.ndarray, bad: float = bad, blocks: list[int] = blocks) -> np.ndarray:
            w = np.ones((2, answered.shape[0], 3))
            w[:, :, 0] = 0.0
            if blocks:  # the second block
                w[1, 1, 2] = bad
            blocks.append(answered.shape[0])
            return w

        message = f"weights must be finite and >= 0: weight set 1, alternative 4, criterion 2 is {shown}"
        with pytest.raises(ValueError, match=f"^{message}$"):
            flowsort_many(scores, profiles, np.ones((2, 3)), weights_for=weights_for)
        assert blocks == [3, 3]


def test_per_alternative_weights_are_read_as_floats() -> None:
    # integer weights are weights like any other; a bad one is shown as the float it was read as
    scores = np.array([[0.6, 0.4], [0.6, 0.4]])
    equal = flowsort_many(scores, THREE_PROFILES, np.ones((1, 2)), USUAL,
                          weights_for=lambda answered: np.ones((1, 2, 2), dtype=np.int64))[0]
    assert equal.net_flow.tolist() == [0.0, 0.0]  # tests/test_flowsort.py: a = (0.6, 0.4), equal weights
    with pytest.raises(ValueError, match=r"^weights must be finite and >= 0: weight set 0, alternative 1, "
                                         r"criterion 0 is -1\.0$"):
        flowsort_many(scores, THREE_PROFILES, np.ones((1, 2)),
                      weights_for=lambda answered: np.array([[[1, 1], [-1, 1]]]))


def test_per_alternative_weights_of_the_wrong_shape_are_refused() -> None:
    scores = np.full((6, 2), 0.5)
    with pytest.raises(ValueError, match=r"^per-alternative weights must have shape \(1, 6, 2\), got \(1, 5, 2\)$"):
        flowsort_many(scores, THREE_PROFILES, np.ones((1, 2)), weights_for=lambda answered: np.ones((1, 5, 2)))


# --- no floating-point warning escapes -------------------------------------------------------------


def test_nothing_to_compare_on_raises_no_warning() -> None:
    scores = np.array([[np.nan, np.nan], [0.6, 0.4], [np.nan, 0.3]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        result = flowsort(scores, THREE_PROFILES, np.array([1.0, 0.0]))
        per_row = flowsort_many(scores, THREE_PROFILES, np.ones((1, 2)),
                                weights_for=lambda answered: np.zeros((1, answered.shape[0], 2)))[0]
    # row 1 is the default-preference case above (criterion 0 at 0.6, the only one that weighs): class 1
    assert result.classes.tolist() == [-1, 1, -1]
    assert np.isnan(result.net_flow[[0, 2]]).all() and np.isnan(result.profile_net_flows[[0, 2]]).all()
    assert per_row.classes.tolist() == [-1, -1, -1] and np.isnan(per_row.net_flow).all()


def test_overflowing_weights_are_refused_without_a_warning() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(ValueError, match=r"^weights are too large: their sum overflows"):
            flowsort(np.array([0.6, 0.4]), THREE_PROFILES, np.array([1e308, 1e308]))


def test_single_precision_inputs_are_computed_in_double_precision() -> None:
    # float32 scores, profiles and weights (e.g. read from a compact file) give exactly the result of the same
    # values in float64: differences such as 0.9f - 0.2f are taken in double precision (in single precision
    # they would be 1.5e-8 off, and so would the preferences and the flows)
    scores = np.array([[0.5, 0.4], [0.95, np.nan]], dtype=np.float32)
    profiles = np.array([[0.9, 0.7], [0.2, 0.1]], dtype=np.float32)
    weights = np.array([1.0, 3.0], dtype=np.float32)
    preference = PreferenceFunction("linear", q=0.0, p=1.0)
    single = flowsort(scores, profiles, weights, preference)
    double = flowsort(scores.astype(np.float64), profiles.astype(np.float64), weights.astype(np.float64), preference)
    for name in ("net_flow", "positive_flow", "negative_flow", "profile_net_flows", "profile_positive_flows",
                 "profile_negative_flows", "classes", "classes_positive", "classes_negative"):
        np.testing.assert_array_equal(getattr(single, name), getattr(double, name), err_msg=name)
