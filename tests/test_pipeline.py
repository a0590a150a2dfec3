"""The block pipeline (core.pipeline.diagnose_population) against the four-pass path (core.assessment.assess).

Classes, quadrants, FlowSort classes and the first k priorities must be exactly assess's, whatever
the block size, the blank answers and the leverage; values equal up to rounding (float64) or to
float32's precision (the default stored dtype); the population table's scores bit for bit.
"""

from __future__ import annotations

import dataclasses
import importlib.util
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from innexport.core import scoring
from innexport.core.assessment import PopulationResult, assess
from innexport.core.flowsort import PreferenceFunction, Ties, flowsort_many, net_flow_sort
from innexport.core.framework import Framework
from innexport.core.pipeline import PopulationDiagnosis, diagnose_population
from innexport.core.priorities import TOP_PRIORITIES, index_dtype, prioritise, tie_order, top_priorities
from innexport.core.scoring import ScoringModel, activity_scores, score
from innexport.files.frameworks import load_framework

ROOT = Path(__file__).resolve().parents[1]
MODEL = ScoringModel.from_framework(load_framework("iiep", ["wine"]))
QUESTIONS, A = len(MODEL.observable_ids), len(MODEL.activity_ids)
LEVELS = [np.asarray(MODEL.framework.scale_by_id[MODEL.framework.observable_by_id[o].scale].values)
          for o in MODEL.observable_ids]


def bench_core() -> ModuleType:
    """bench/bench_core.py, for its synthetic population (the one the benchmark times)."""
    spec = importlib.util.spec_from_file_location("bench_core", ROOT / "bench" / "bench_core.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def answers(seed: int, n: int, blank: float, blank_rows: int = 0) -> np.ndarray:
    """Answers on each question's own scale (so that equal scores and tied priorities are common),
    a share ``blank`` left unanswered, and ``blank_rows`` firms with nothing answered."""
    rng = np.random.default_rng(seed)
    values = np.empty((n, QUESTIONS))
    for j, levels in enumerate(LEVELS):
        values[:, j] = levels[rng.integers(0, len(levels), size=n)]
    values[rng.random(values.shape) < blank] = np.nan
    values[rng.permutation(n)[:blank_rows]] = np.nan
    return values


def assert_same(new: PopulationDiagnosis, old: PopulationResult, k: int, atol: float) -> None:
    """Everything the pipeline keeps equals assess's: decisions exactly, values within ``atol``."""
    np.testing.assert_array_equal(new.classes, old.classes)
    np.testing.assert_array_equal(new.quadrant, old.quadrant)
    np.testing.assert_array_equal(new.target_class, old.priorities.target_class)
    np.testing.assert_array_equal(new.top_priorities, old.priorities.order[:, :k])
    np.testing.assert_allclose(new.indices, old.scores.indices, rtol=0, atol=atol)
    if new.flow_classes is not None and new.net_flow is not None:
        np.testing.assert_array_equal(new.flow_classes, np.stack([f.classes for f in old.flowsort], axis=1))
        np.testing.assert_allclose(new.net_flow, np.stack([f.net_flow for f in old.flowsort], axis=1),
                                   rtol=0, atol=atol)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(1, 60), block=st.integers(1, 70),
       blank=st.sampled_from([0.0, 0.05, 0.3, 0.7, 0.95]), blank_rows=st.integers(0, 3),
       k=st.integers(0, A + 3), custom_leverage=st.booleans())
def test_same_as_assess_on_the_shipped_framework(seed: int, n: int, block: int, blank: float, blank_rows: int,
                                                 k: int, custom_leverage: bool) -> None:
    values = answers(seed, n, blank, min(blank_rows, n))
    rng = np.random.default_rng(seed + 1)
    # a leverage with ties (few distinct values) exercises the tie chain's second key
    leverage = rng.choice([0.0, 0.02, 0.05, 0.05], size=A) if custom_leverage else None
    old = assess(MODEL, values, leverage)
    new = diagnose_population(MODEL, values, leverage=leverage, top_k=k, dtype=np.float64, block_rows=block)
    assert new.top_priorities.shape == (n, min(k, A))
    assert_same(new, old, min(k, A), atol=1e-12)
    # the float32 default: every decision the same, the values float64's rounded to float32
    narrow = diagnose_population(MODEL, values, leverage=leverage, top_k=k, block_rows=block)
    for field in ("classes", "quadrant", "target_class", "flow_classes", "top_priorities"):
        np.testing.assert_array_equal(getattr(narrow, field), getattr(new, field))
    np.testing.assert_array_equal(narrow.indices, new.indices.astype(np.float32))


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(1, 40), block=st.integers(1, 50),
       blank=st.sampled_from([0.0, 0.1, 0.6]))
def test_scores_all_and_flows_all_are_bit_for_bit_the_old_ones(seed: int, n: int, block: int, blank: float) -> None:
    """With ``scores="all"`` the activities, dimensions, indices and completeness are score()'s to the
    last bit when the blocks are score()'s (the pipeline's default block is scoring.CHUNK_ROWS: the
    population table is built from them), and ``flows="all"`` is flowsort_many's (its classes exactly;
    its flows up to BLAS's rounding in other blocks)."""
    values = answers(seed, n, blank, 1 if n > 3 else 0)
    old = assess(MODEL, values)
    with pytest.MonkeyPatch.context() as patch:  # the same blocks as score(): the same BLAS calls
        patch.setattr(scoring, "CHUNK_ROWS", block)
        s = score(MODEL, values)
    new = diagnose_population(MODEL, values, scores="all", flows="all", dtype=np.float64, block_rows=block)
    other = diagnose_population(MODEL, values, scores="all", flows="none", dtype=np.float64, block_rows=block + 7)
    assert other.activities is not None  # other blocks: other BLAS calls, the same values up to rounding
    np.testing.assert_allclose(other.activities, s.activities, rtol=0, atol=1e-15)
    for got, want in ((new.activities, s.activities), (new.dimensions, s.dimensions), (new.indices, s.indices),
                      (new.completeness, s.completeness)):
        np.testing.assert_array_equal(got, want)
    for j, f in enumerate(old.flowsort):
        assert new.positive_flow is not None and new.negative_flow is not None
        assert new.profile_net_flows is not None and new.flow_classes_positive is not None
        assert new.flow_classes_negative is not None
        np.testing.assert_allclose(new.positive_flow[:, j], f.positive_flow, rtol=0, atol=1e-15)
        np.testing.assert_allclose(new.negative_flow[:, j], f.negative_flow, rtol=0, atol=1e-15)
        np.testing.assert_allclose(new.profile_net_flows[:, j], f.profile_net_flows, rtol=0, atol=1e-15)
        np.testing.assert_array_equal(new.flow_classes_positive[:, j], f.classes_positive)
        np.testing.assert_array_equal(new.flow_classes_negative[:, j], f.classes_negative)
    assert_same(new, old, TOP_PRIORITIES, atol=1e-15)


def test_float32_storage_keeps_every_decision_on_the_bench_population() -> None:
    """On the benchmark's synthetic population (5% "don't know", firms of every level), the float32
    default decides every class and priority exactly as float64 and as assess (the decisions are
    taken on float64 values); the stored values are float64's rounded to float32."""
    values = bench_core().synthetic_answers(MODEL, 30_000)
    values[:20, :30] = np.nan  # some firms with whole activities unassessed
    old = assess(MODEL, values)
    wide = diagnose_population(MODEL, values, dtype=np.float64)
    narrow = diagnose_population(MODEL, values)
    assert narrow.indices.dtype == np.float32 and narrow.net_flow is not None and narrow.net_flow.dtype == np.float32
    assert wide.net_flow is not None
    assert_same(wide, old, TOP_PRIORITIES, atol=1e-12)
    for field in ("classes", "quadrant", "target_class", "flow_classes", "top_priorities"):
        np.testing.assert_array_equal(getattr(narrow, field), getattr(wide, field))
    np.testing.assert_array_equal(narrow.indices, wide.indices.astype(np.float32))
    np.testing.assert_array_equal(narrow.net_flow, wide.net_flow.astype(np.float32))
    assert np.nanmax(np.abs(narrow.indices - old.scores.indices)) < 1e-7
    # the trimmed result is a small fraction of the full one
    full = sum(a.nbytes for a in (old.scores.activities, old.scores.dimensions, old.priorities.order,
                                  old.priorities.gap, old.priorities.priority))
    assert narrow.nbytes < full / 20


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), b=st.integers(1, 30), k=st.integers(0, 12),
       scale=st.sampled_from([1.0, 1e3, 1e9]))
def test_top_k_is_the_first_k_of_prioritise(seed: int, b: int, k: int, scale: float) -> None:
    """Ties everywhere (scores on a grid, leverages repeated), and leverages large enough for the
    integer keys to give way to the stable sort (1e9): always prioritise's order cut to k."""
    rng = np.random.default_rng(seed)
    values = answers(seed, b, 0.2, 1 if b > 2 else 0)
    leverage = rng.choice([0.0, 0.1, 0.1, 0.3], size=A) * scale
    scores = score(MODEL, values)
    full = prioritise(MODEL, scores, leverage)
    got = top_priorities(scores.activities, full.target, leverage, k)
    assert got.dtype == np.uint8
    np.testing.assert_array_equal(got, full.order[:, :k])


def test_positions_use_the_smallest_unsigned_type() -> None:
    assert [index_dtype(n) for n in (1, 256, 257, 65_536, 65_537)] == [np.uint8, np.uint8, np.uint16, np.uint16,
                                                                         np.uint32]
    rng = np.random.default_rng(3)
    activities = rng.choice([0.0, 0.25, 0.5, np.nan], size=(4, 300))
    got = top_priorities(activities, np.full(4, 0.51), np.ones(300), 300)
    assert got.dtype == np.uint16
    # equal priorities keep the framework's order; unassessed activities come last, in order
    for row, order in zip(activities, got, strict=True):
        gaps = np.where(np.isnan(row), np.inf, -np.maximum(0.51 - row, 0.0))
        np.testing.assert_array_equal(order, np.argsort(gaps, kind="stable"))


def test_outputs_are_trimmed_to_what_is_asked() -> None:
    values = answers(1, 10, 0.1)
    net = diagnose_population(MODEL, values)
    assert net.activities is None and net.positive_flow is None and net.profile_net_flows is None
    assert net.top_priorities.shape == (10, TOP_PRIORITIES) and net.top_priorities.dtype == np.uint8
    assert net.classes.dtype == np.int8 and net.flow_classes is not None and net.flow_classes.dtype == np.int8
    bare = diagnose_population(MODEL, values, flows="none", top_k=0)
    assert bare.net_flow is None and bare.flow_classes is None and bare.top_priorities.shape == (10, 0)
    np.testing.assert_array_equal(bare.classes, net.classes)
    empty = diagnose_population(MODEL, np.empty((0, QUESTIONS)))
    assert empty.indices.shape == (0, 3) and empty.top_priorities.shape == (0, TOP_PRIORITIES)


def test_bad_input_is_refused_naming_the_place() -> None:
    values = answers(2, 12, 0.0)
    values[9, 4] = 1.5
    with pytest.raises(ValueError, match=rf"assessment 9, observable {MODEL.observable_ids[4]} is 1.5"):
        diagnose_population(MODEL, values, block_rows=4)  # in the third block: counted from the first row
    with pytest.raises(ValueError, match=r"expected an \(n, 93\) array of answer values .*got shape \(2, 5\)"):
        diagnose_population(MODEL, np.zeros((2, 5)))
    with pytest.raises(ValueError, match=r"got shape \(2, 3, 93\)"):
        diagnose_population(MODEL, np.zeros((2, 3, 93)))
    with pytest.raises(ValueError, match="flows must be one of none, net, all"):
        diagnose_population(MODEL, values[:2], flows="some")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="dtype must be float32 or float64"):
        diagnose_population(MODEL, values[:2], dtype=np.float16)
    with pytest.raises(ValueError, match="top_k must be a whole number"):
        diagnose_population(MODEL, values[:2], top_k=-1)
    with pytest.raises(ValueError, match="leverage must be 25 non-negative numbers"):
        diagnose_population(MODEL, values[:2], leverage=np.full(A, np.nan))


def test_a_firm_with_nothing_answered_has_no_class_and_unassessed_priorities() -> None:
    values = answers(4, 3, 0.0)
    values[1] = np.nan
    new = diagnose_population(MODEL, values)
    assert new.classes[1].tolist() == [-1, -1, -1] and new.quadrant[1] == -1 and new.target_class[1] == -1
    assert new.flow_classes is not None and new.flow_classes[1].tolist() == [-1, -1, -1]
    assert np.isnan(new.indices[1]).all()
    # every activity unassessed: the tie order (leverage, then the framework's order)
    np.testing.assert_array_equal(new.top_priorities[1], tie_order(MODEL.leverage)[:TOP_PRIORITIES])


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), b=st.integers(1, 40), m=st.integers(1, 6), k=st.integers(2, 5),
       kind=st.sampled_from(["usual", "linear0", "linear", "per_criterion"]),
       ties=st.sampled_from(["better", "worse"]), grid=st.booleans())
def test_net_flow_sort_is_flowsort_by_net_flow(seed: int, b: int, m: int, k: int, kind: str, ties: Ties,
                                               grid: bool) -> None:
    """The net-flow kernel against flowsort_many for every preference function, tie rule and per-row
    weights (some rows with missing criteria, some with none answered in a set)."""
    rng = np.random.default_rng(seed)
    pref = {"usual": PreferenceFunction("usual"), "linear0": PreferenceFunction("linear", 0.0, 0.25),
            "linear": PreferenceFunction("linear", 0.05, 0.3),
            "per_criterion": PreferenceFunction("linear", rng.uniform(0, 0.1, m), rng.uniform(0.15, 0.4, m))}[kind]
    profiles = np.sort(rng.uniform(0, 1, (k, m)), axis=0)[::-1] + np.arange(k, 0, -1)[:, None] * 1e-3
    scores = rng.choice([0.0, 0.25, 0.5, 0.75, 1.0], size=(b, m)) if grid else rng.uniform(0, 1.2, (b, m))
    scores[rng.random((b, m)) < 0.2] = np.nan
    sets = rng.uniform(0, 1, (3, m))
    sets[:, 0] += 0.1  # every set weighs something
    given_weights = rng.uniform(0, 1, (b, 3, m)) * (rng.random((b, 3, m)) < 0.8)

    def weights_for(answered: np.ndarray) -> np.ndarray:  # one block: all the rows at once
        return (given_weights * answered[:, None, :]).transpose(1, 0, 2)

    old = flowsort_many(scores, profiles, sets, pref, weights_for=weights_for, ties=ties)
    answered = ~np.isnan(scores)
    partial = np.ones(b, dtype=bool)
    net, cls = net_flow_sort(np.where(answered, scores, 0.0), sets / sets.sum(axis=1, keepdims=True), profiles,
                             pref, ties, partial, given_weights * answered[:, None, :])
    for s, result in enumerate(old):
        np.testing.assert_array_equal(cls[:, s], result.classes)
        np.testing.assert_allclose(net[:, s], result.net_flow, rtol=0, atol=1e-12)
    # and with one weight set for every row (no per-row weights), only rows answering everything
    full = answered.all(axis=1)
    if full.any():
        plain = flowsort_many(scores[full], profiles, sets, pref, ties=ties)
        net, cls = net_flow_sort(scores[full], sets / sets.sum(axis=1, keepdims=True), profiles, pref, ties)
        for s, result in enumerate(plain):
            np.testing.assert_array_equal(cls[:, s], result.classes)
            np.testing.assert_allclose(net[:, s], result.net_flow, rtol=0, atol=1e-12)


def test_counting_answered_questions_scores_as_the_weighted_sum() -> None:
    """activity_scores(exact=False) counts the answered questions (float32, exact) when an activity
    weighs its questions alike, and falls back to the weighted product when it does not."""
    values = answers(5, 500, 0.3, 5)
    exact, done = activity_scores(MODEL, values)
    exact, done = exact.copy(), done.copy()
    counted, counted_done = activity_scores(MODEL, values, exact=False)
    assert MODEL._question_counts is not None
    np.testing.assert_allclose(counted, exact, rtol=0, atol=1e-15)
    np.testing.assert_array_equal(np.isnan(counted), np.isnan(exact))
    np.testing.assert_allclose(counted_done, done, rtol=0, atol=1e-15)
    weights = MODEL.observable_weights.copy()
    first = np.flatnonzero(weights[:, 0])
    weights[first, 0] = np.arange(1, len(first) + 1) / np.arange(1, len(first) + 1).sum()  # unequal in activity 0
    unequal = dataclasses.replace(MODEL, observable_weights=weights)
    assert unequal._question_counts is None
    got, _ = activity_scores(unequal, values, exact=False)
    want, _ = activity_scores(unequal, values)
    np.testing.assert_array_equal(got, want)
    assert not np.allclose(got[:, 0], exact[:, 0], equal_nan=True)  # the weights did change the scores


def with_flowsort(**settings: object) -> ScoringModel:
    """The shipped framework validated again with other FlowSort settings (preference, q, p, ties)."""
    data = MODEL.framework.model_dump(mode="python", exclude_none=True)
    data["flowsort"] = data.get("flowsort", {}) | settings
    return ScoringModel.from_framework(Framework.model_validate(data))


@pytest.mark.parametrize("settings", [{"preference": "usual"}, {"preference": "usual", "ties": "worse"},
                                      {"q": 0.05, "p": 0.3}, {"p": 0.6}])
def test_the_frameworks_flowsort_settings_are_the_ones_used(settings: dict[str, object]) -> None:
    """Every FlowSort setting of the framework reaches the pipeline (net flows and all flows): a
    preference function other than the default linear one, q and p other than 0 and 0.25, and the
    "worse" tie rule (the usual function on answers on a grid leaves firms exactly between two
    profiles' flows: 7 of these 300 go one class down under "worse")."""
    model = with_flowsort(**settings)
    values = answers(6, 300, 0.1, 2)
    old = assess(model, values)
    for flows in ("net", "all"):
        new = diagnose_population(model, values, flows=flows, dtype=np.float64, block_rows=64)  # type: ignore[arg-type]
        assert_same(new, old, TOP_PRIORITIES, atol=1e-12)
    default = diagnose_population(MODEL, values, dtype=np.float64, block_rows=64)
    assert default.net_flow is not None and new.net_flow is not None and new.flow_classes is not None
    if settings.get("ties") == "worse":  # the same flows: the tie rule alone moves the firms
        better = diagnose_population(with_flowsort(preference="usual"), values, block_rows=64)
        assert better.flow_classes is not None
        moved = new.flow_classes != better.flow_classes
        assert moved.sum() == 7 and (new.flow_classes[moved] == better.flow_classes[moved] + 1).all()
    else:  # the settings do change the flows, so the comparison above can tell them apart
        assert not np.allclose(new.net_flow, default.net_flow)


def test_scores_all_with_net_flows_weighs_partly_assessed_firms_as_assess() -> None:
    """``scores="all"`` with the default net flows: the firms that left whole activities unassessed
    are sorted on their own effective weights, as assess sorts them."""
    values = answers(8, 120, 0.6, 3)  # many firms with whole activities blank
    old = assess(MODEL, values)
    new = diagnose_population(MODEL, values, scores="all", dtype=np.float64, block_rows=32)
    assert new.activities is not None
    partial = np.isnan(new.activities).any(axis=1) & ~np.isnan(new.activities).all(axis=1)
    assert partial.sum() > 10 and (~partial).sum() > 3
    assert_same(new, old, TOP_PRIORITIES, atol=1e-12)


def test_results_have_the_documented_types_and_shapes() -> None:
    values = answers(9, 7, 0.1)
    k_prof = len(MODEL.framework.classes)
    for dtype in (np.float32, np.float64):
        d = diagnose_population(MODEL, values, flows="all", scores="all", dtype=dtype, block_rows=3)
        assert d.model is MODEL
        for name, shape, kind in (("indices", (7, 3), dtype), ("net_flow", (7, 3), dtype),
                                  ("positive_flow", (7, 3), dtype), ("negative_flow", (7, 3), dtype),
                                  ("profile_net_flows", (7, 3, k_prof), dtype), ("classes", (7, 3), np.int8),
                                  ("quadrant", (7,), np.int8), ("target_class", (7,), np.int8),
                                  ("flow_classes", (7, 3), np.int8), ("flow_classes_positive", (7, 3), np.int8),
                                  ("flow_classes_negative", (7, 3), np.int8),
                                  ("activities", (7, A), np.float64), ("completeness", (7,), np.float64)):
            array = getattr(d, name)
            assert (name, array.shape, array.dtype) == (name, shape, np.dtype(kind))
    net = diagnose_population(MODEL, values)
    assert net.flow_classes_positive is None and net.flow_classes_negative is None and net.negative_flow is None


@pytest.mark.parametrize(("options", "message"), [
    ({"flows": "some"}, "flows must be one of none, net, all, got 'some'"),
    ({"scores": "some"}, "scores must be 'indices' or 'all', got 'some'"),
    ({"dtype": np.float16}, "dtype must be float32 or float64, got float16"),
    ({"top_k": 1.5}, "top_k must be a whole number >= 0, got 1.5"),
    ({"top_k": -1}, "top_k must be a whole number >= 0, got -1"),
    ({"block_rows": 0}, "block_rows must be a whole number >= 1, got 0"),
    ({"block_rows": 2.5}, "block_rows must be a whole number >= 1, got 2.5"),
])
def test_bad_options_are_refused_with_their_value(options: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError) as refused:
        diagnose_population(MODEL, answers(2, 3, 0.0), **options)  # type: ignore[arg-type]
    assert str(refused.value) == message


def test_a_bad_value_is_named_from_the_first_row_with_every_score() -> None:
    """With ``scores="all"`` too, the assessment is counted from the table's first row, not the block's."""
    values = answers(2, 12, 0.0)
    values[9, 4] = -0.5
    with pytest.raises(ValueError) as refused:
        diagnose_population(MODEL, values, scores="all", block_rows=4)
    assert str(refused.value) == (f"answer values must lie in [0, 1] (NaN for unanswered): assessment 9, "
                                  f"observable {MODEL.observable_ids[4]} is -0.5")


@pytest.mark.parametrize("workers", [None, 1, 3])
def test_workers_reach_the_block_scheduler(workers: int | None, monkeypatch: pytest.MonkeyPatch) -> None:
    """``workers`` is handed to over_row_blocks as given (None: its default, every core); the results
    do not depend on it."""
    from innexport.core import parallel, pipeline

    seen: list[int | None] = []

    def spy(n: int, block_rows: int, work: object, workers: int | None = None) -> None:
        seen.append(workers)
        parallel.over_row_blocks(n, block_rows, work, workers)  # type: ignore[arg-type]

    monkeypatch.setattr(pipeline, "over_row_blocks", spy)
    values = answers(10, 20, 0.1)
    got = diagnose_population(MODEL, values, workers=workers, block_rows=6)
    assert seen == [workers]
    np.testing.assert_array_equal(got.top_priorities, diagnose_population(MODEL, values, block_rows=6).top_priorities)
