"""Intervals, class and priority stability, and the dimension weights' stability intervals
(:mod:`innexport.core.uncertainty`, through :func:`innexport.core.assessment.diagnose` and ``innexport diagnose``).

Hand-worked cases: a fully answered firm with one respondent and fixed weights has nothing to vary
(zero-width intervals, stability 1); a team of two respondents answering everything "no" and
everything "yes" gives draws whose resampled team is {no, no}, {no, yes}, {yes, no} or {yes, yes},
whose lower median is "yes" only for the last: the firm is at its point (passive) in 3/4 of the draws.
Properties (hypothesis): the intervals contain the point value, and the drawn spread never widens as
answers are added. The stability intervals are checked by moving a weight just inside and just
outside each bound and asking the core (score, classify, prioritise) for the class and first priority.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner, Result

from innexport.cli import _register, app
from innexport.core import uncertainty
from innexport.core.assessment import AnswerSheet, Firm, diagnose, encode, result_json
from innexport.core.classes import classify, thresholds
from innexport.core.framework import Framework
from innexport.core.priorities import TOP_PRIORITIES, prioritise
from innexport.core.scoring import ScoringModel, score
from innexport.core.uncertainty import firm_seed, simulate, weight_ranges
from innexport.files.answers import read_answers
from innexport.files.frameworks import load_framework

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "cl-vina-cerro-alto.yaml"


@pytest.fixture(scope="module")
def iiep() -> Framework:
    return load_framework("iiep")


@pytest.fixture(scope="module")
def model(iiep: Framework) -> ScoringModel:
    return ScoringModel.from_framework(iiep)


def _levels(fw: Framework, model: ScoringModel) -> list[np.ndarray]:
    return [fw.scale_by_id[fw.observable_by_id[o].scale].values for o in model.observable_ids]


def _middle_level_answers(fw: Framework, model: ScoringModel) -> np.ndarray:
    """Every question at its second level from the top (a firm well inside the classes)."""
    return np.array([[v[-2] for v in _levels(fw, model)]])


def _sheet(fw: Framework, answers: dict[str, str], firm: str = "f1") -> AnswerSheet:
    return AnswerSheet(framework=fw.id, firm=Firm(id=firm, name=firm), answers=answers)


def _codes(fw: Framework, values: np.ndarray) -> dict[str, str]:
    out = {}
    for o, v in zip(fw.observables, values, strict=True):
        if not np.isnan(v):
            scale = fw.scale_by_id[o.scale]
            out[o.id] = scale.levels[int(np.argmin(np.abs(scale.values - v)))].code
    return out


# --- nothing to vary; far from and on a threshold ----------------------------------------------------------


def test_a_fully_answered_single_firm_with_fixed_weights_has_zero_width_and_stability_one(iiep: Framework,
                                                                                        model: ScoringModel) -> None:
    values = _middle_level_answers(iiep, model)[0]
    [result] = diagnose(iiep, [_sheet(iiep, _codes(iiep, values))], draws=300)
    for name, index in result.indices.items():
        assert index.interval is not None and index.class_stability == 1.0, name
        assert index.interval.low == index.interval.high == index.value, name
        assert index.interval.level == 0.9
    assert result.uncertainty is not None
    assert result.uncertainty.sources == [] and result.uncertainty.draws == 300
    # nothing moves, so the first priorities are the top ones in every draw
    tops = {p.activity for p in result.top_priorities()}
    assert all(p.top_probability == (1.0 if p.activity in tops else 0.0) for p in result.priorities[:TOP_PRIORITIES])
    assert all(p.top_probability is None for p in result.priorities[TOP_PRIORITIES:])


def test_a_firm_far_from_every_threshold_keeps_its_class(iiep: Framework, model: ScoringModel) -> None:
    values = np.ones((1, len(model.observable_ids)))
    values[0, :6] = np.nan  # six unanswered questions weigh far less than the 0.39 above the proactive threshold
    u = simulate(model, values, ["top"], draws=2000, seed=3)
    assert u.stability.tolist() == [[1.0, 1.0, 1.0]]
    assert np.all(u.high == 1.0) and np.all(u.low > 0.61)


def test_a_firm_exactly_on_a_threshold_with_many_unanswered_questions_is_stable_half_the_time(iiep: Framework) -> None:
    # thresholds 0.75 / 0.5 / 0.25; the firm answers one "extent" question per activity at 0.5 (the point IIEP is
    # 0.5, on the preactive threshold) and leaves the rest unanswered: the draws fill them with levels whose mean
    # is 0.5 (every scale is symmetric), so the drawn IIEP is symmetric around 0.5
    data = iiep.model_dump(mode="json")
    data["classes"] = [dict(c, threshold=t, profile=p) for c, t, p in
                       zip(data["classes"], (0.75, 0.5, 0.25, 0.0), (0.875, 0.625, 0.375, 0.125), strict=True)]
    fw = Framework.model_validate(data)
    model = ScoringModel.from_framework(fw)
    values = np.full((1, len(model.observable_ids)), np.nan)
    pos = {o: j for j, o in enumerate(model.observable_ids)}
    answered = 0
    for a in fw.activities:
        extent = [o for o in a.observables if o.scale == "extent5"]
        if extent:
            values[0, pos[extent[0].id]] = 0.5
            answered += 1
    assert answered >= 10 and np.isnan(values).sum() > 50
    assert classify(score(model, values).indices, thresholds(fw))[0, 2] == 1  # preactive: on its threshold
    u = simulate(model, values, ["edge"], draws=4000, seed=11)
    assert 0.35 <= u.stability[0, 2] <= 0.65
    assert u.low[0, 2] < 0.5 < u.high[0, 2]


# --- properties ----------------------------------------------------------------------------------------------


@settings(max_examples=25, deadline=None)
@given(data=st.data())
def test_intervals_contain_the_point_and_the_spread_never_widens_as_answers_are_added(
        iiep: Framework, model: ScoringModel, data: st.DataObject) -> None:
    levels = _levels(iiep, model)
    o = len(levels)
    full = np.array([v[data.draw(st.integers(0, len(v) - 1))] for v in levels])
    order = data.draw(st.permutations(range(o)))
    fewer_count = data.draw(st.integers(30, o - 1))
    more_count = data.draw(st.integers(fewer_count + 1, o))
    fewer, more = np.full(o, np.nan), np.full(o, np.nan)
    fewer[order[:fewer_count]] = full[order[:fewer_count]]
    more[order[:more_count]] = full[order[:more_count]]
    u = simulate(model, np.vstack([fewer, more]), ["fewer", "more"], draws=3000, seed=5)
    point = score(model, np.vstack([fewer, more])).indices
    assert np.all(u.low <= np.round(point, 9)) and np.all(np.round(point, 9) <= u.high)
    spread = u.drawn_high - u.drawn_low
    assert np.all(spread[1] <= spread[0] + 0.01), (spread, fewer_count, more_count)
    if more_count == o:
        assert np.all(spread[1] == 0.0)


# --- respondents, advisors' reviews, peers, AHP experts ---------------------------------------------------------


def test_two_respondents_who_agree_give_the_same_as_one(iiep: Framework, model: ScoringModel) -> None:
    values = _middle_level_answers(iiep, model)
    values[0, ::3] = np.nan
    one = simulate(model, values, ["f"], draws=500)
    two = simulate(model, values, ["f"], draws=500, respondent_values=[np.vstack([values, values])])
    for field in ("low", "high", "stability", "top_probability"):
        assert np.array_equal(getattr(one, field), getattr(two, field), equal_nan=True), field
    assert one.sources == [["unanswered"]] and two.sources == [["unanswered", "respondents"]]


def test_a_team_of_all_no_and_all_yes_is_at_its_point_three_draws_in_four(iiep: Framework, model: ScoringModel) -> None:
    o = len(model.observable_ids)
    team = np.vstack([np.zeros(o), np.ones(o)])
    consolidated = np.zeros((1, o))  # the lower median of {0, 1}
    u = simulate(model, consolidated, ["team"], draws=4000, seed=2, respondent_values=[team])
    assert u.stability[0] == pytest.approx([0.75, 0.75, 0.75], abs=0.03)  # passive unless both picks are "yes"
    assert u.low.tolist() == [[0.0, 0.0, 0.0]] and u.high.tolist() == [[1.0, 1.0, 1.0]]
    # the advisor reviewed every answer: nothing is resampled any more
    fixed = simulate(model, consolidated, ["team"], draws=500, respondent_values=[team], fixed=np.ones((1, o), bool))
    assert fixed.stability.tolist() == [[1.0, 1.0, 1.0]] and np.all(fixed.low == fixed.high)


def test_unanswered_questions_are_drawn_from_enough_peers_else_uniformly(iiep: Framework, model: ScoringModel) -> None:
    o = len(model.observable_ids)
    values = np.ones((1, o))
    values[0, :10] = np.nan
    peers = np.ones((5, o))  # five peers answered the top level everywhere: the gaps are filled with it
    u = simulate(model, values, ["f"], draws=200, peers=peers)
    assert np.all(u.low == 1.0) and np.all(u.high == 1.0) and u.unanswered_from == ["peers"]
    u = simulate(model, values, ["f"], draws=200, peers=peers[:4])  # fewer than MIN_PEERS: uniform
    assert np.all(u.low < 1.0) and u.unanswered_from == ["uniform"]


def _with_experts(fw: Framework, experts: list[list[list[float]]]) -> Framework:
    data = fw.model_dump(mode="json")
    for d in data["dimensions"]:
        d.pop("weight", None)
    data["scoring"]["dimension_weights"] = "given"
    data["ahp"] = {"items": [d.id for d in fw.dimensions], "experts": experts}
    return Framework.model_validate(data)


def _consistent(weights: np.ndarray) -> list[list[float]]:
    return (weights[:, None] / weights[None, :]).tolist()


def test_the_experts_of_an_ahp_level_are_resampled(iiep: Framework) -> None:
    nd = len(iiep.dimensions)
    first = np.linspace(1.0, 3.0, nd)
    second = first[::-1].copy()
    values = _middle_level_answers(iiep, ScoringModel.from_framework(iiep))
    same = ScoringModel.from_framework(_with_experts(iiep, [_consistent(first), _consistent(first)]))
    u = simulate(same, values, ["f"], draws=200)  # two experts who agree: the weights do not move
    assert u.sources == [["weights"]] and np.all(u.low == u.high)
    differ = ScoringModel.from_framework(_with_experts(iiep, [_consistent(first), _consistent(second)]))
    u = simulate(differ, values, ["f"], draws=400)
    assert u.sources == [["weights"]] and np.all(u.low < u.high)
    # a resample is {first, first}, {first, second} (the framework's own weights: their geometric mean) or
    # {second, second}, with probabilities 1/4, 1/2, 1/4: the 5th and 95th percentiles are the extreme two
    by_one = [score(ScoringModel.from_framework(_with_experts(iiep, [_consistent(w)])), values).indices[0]
              for w in (first, second)]
    extremes = np.vstack([*by_one, score(differ, values).indices[0]])
    assert np.allclose(u.drawn_low[0], extremes.min(axis=0), atol=1e-9)
    assert np.allclose(u.drawn_high[0], extremes.max(axis=0), atol=1e-9)


# --- the rules taken from the core ----------------------------------------------------------------------------------


def test_the_top_rule_and_the_first_priority_are_prioritise_s(iiep: Framework, model: ScoringModel) -> None:
    rng = np.random.default_rng(4)
    a = len(model.activity_ids)
    acts = np.round(rng.integers(0, 4, size=(400, a)) / 3, 4)  # many ties
    acts[rng.random(acts.shape) < 0.05] = np.nan
    iiep_values = rng.random(400)
    scores = dataclasses.replace(score(model, np.zeros((400, len(model.observable_ids)))), activities=acts,
                                 indices=np.repeat(iiep_values[:, None], 3, axis=1))
    pr = prioritise(model, scores)
    targets = uncertainty._targets_by_class(model, None)[classify(iiep_values, thresholds(iiep))]
    assert np.array_equal(uncertainty._first_priority(acts, targets, np.tile(model.leverage, (400, 1))), pr.order[:, 0])
    filled = np.nan_to_num(acts)  # the draws are fully answered
    pr = prioritise(model, dataclasses.replace(scores, activities=filled))
    top = uncertainty._in_top(filled, targets, model.leverage, uncertainty._tie_rank(model, None))
    for i in range(400):
        expected = [j for j in pr.order[i] if pr.gap[i, j] > 1e-9][:TOP_PRIORITIES]
        assert set(np.flatnonzero(top[i])) == set(expected)


def test_the_leverage_along_a_weight_s_path_is_the_core_s(model: ScoringModel) -> None:
    t = np.array([0.0, 0.03, 0.5, 0.97, 1.0])
    for d in range(len(model.dimension_ids)):
        moved = uncertainty._path(model.dimension_weights, d, t)
        expected = [dataclasses.replace(model, dimension_weights=w).leverage for w in moved]
        assert np.allclose(uncertainty._leverage_path(model, d, t, None), expected, atol=1e-12)


# --- the stability intervals of the weights ----------------------------------------------------------------------


def _class_at(model: ScoringModel, values: np.ndarray, d: int, t: float) -> np.ndarray:
    w = uncertainty._path(model.dimension_weights, d, np.array([t]))[0]
    moved = dataclasses.replace(model, dimension_weights=w)
    return classify(score(moved, values).indices, thresholds(model.framework))[0]


def _first_at(model: ScoringModel, values: np.ndarray, d: int, t: float) -> int:
    w = uncertainty._path(model.dimension_weights, d, np.array([t]))[0]
    moved = dataclasses.replace(model, dimension_weights=w)
    return int(prioritise(moved, score(moved, values)).order[0, 0])


def test_moving_a_weight_just_inside_a_bound_keeps_the_class_and_just_outside_changes_it(
        iiep: Framework, model: ScoringModel) -> None:
    rng = np.random.default_rng(9)
    levels = _levels(iiep, model)
    eps = 1e-6
    interior = {"classes": 0, "priority": 0}
    for _ in range(6):
        values = np.array([[v[rng.integers(0, len(v))] for v in levels]])
        values[0, rng.random(len(levels)) < 0.15] = np.nan
        ranges = weight_ranges(model, values)
        point_class = classify(score(model, values).indices, thresholds(iiep))[0]
        first = int(prioritise(model, score(model, values)).order[0, 0])
        for d in range(len(model.dimension_ids)):
            w_d = model.dimension_weights[d]
            for k in range(3):
                low, high = ranges.classes[0, d, k]
                assert low <= w_d <= high
                for bound, inside, outside in ((low, low + eps, low - eps), (high, high - eps, high + eps)):
                    assert _class_at(model, values, d, min(max(inside, 0.0), 1.0))[k] == point_class[k]
                    if eps < bound < 1.0 - eps:
                        interior["classes"] += 1
                        assert _class_at(model, values, d, outside)[k] != point_class[k], (d, k, bound)
            low, high = ranges.priority[0, d]
            assert low <= w_d <= high
            for bound, inside, outside in ((low, low + eps, low - eps), (high, high - eps, high + eps)):
                assert _first_at(model, values, d, min(max(inside, 0.0), 1.0)) == first
                if eps < bound < 1.0 - eps:
                    interior["priority"] += 1
                    assert _first_at(model, values, d, outside) != first, (d, bound)
    assert interior["classes"] > 5 and interior["priority"] > 5  # the bounds checked are not all the ends


def test_the_result_carries_the_stability_intervals(iiep: Framework) -> None:
    fw = load_framework("iiep", ["wine"])
    [result] = diagnose(fw, read_answers(EXAMPLE), draws=0)
    assert result.uncertainty is None and all(i.interval is None for i in result.indices.values())
    assert result.sensitivity is not None
    assert [r.dimension for r in result.sensitivity] == [d.id for d in fw.dimensions]
    for r in result.sensitivity:
        assert r.priority is not None and r.priority[0] <= r.weight <= r.priority[1]
        assert all(c is not None and c[0] <= r.weight <= c[1] for c in r.classes.values())
    [plain] = diagnose(fw, read_answers(EXAMPLE), draws=0, sensitivity=False)
    assert plain.sensitivity is None


# --- reproducibility and refusals ----------------------------------------------------------------------------------


def test_the_same_run_twice_gives_the_same_json_and_the_seed_is_the_firm_s() -> None:
    fw = load_framework("iiep", ["wine"])
    sheets = read_answers(EXAMPLE)
    first = json.dumps(result_json(diagnose(fw, sheets)), sort_keys=True)
    assert first == json.dumps(result_json(diagnose(fw, sheets)), sort_keys=True)
    [result] = json.loads(first)["firms"]
    assert result["uncertainty"]["seed"] == firm_seed(sheets[0].firm.id, fw.content_hash)
    assert result["indices"]["iiep"]["interval"]["low"] <= result["indices"]["iiep"]["value"]
    # the firm's draws do not depend on the other firms diagnosed with it
    other = sheets[0].model_copy(update={"firm": sheets[0].firm.model_copy(update={"id": "other"})})
    both = diagnose(fw, [other, *sheets])
    assert both[1].indices == diagnose(fw, sheets)[0].indices
    [seeded] = diagnose(fw, sheets, seed=42)
    assert seeded.uncertainty is not None and seeded.uncertainty.seed == 42


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"draws": -1}, "draws must be a whole number from 1"),
    ({"level": 1.5}, "level must be a share strictly between 0 and 1"),
    ({"peers": np.zeros((3, 2))}, r"peers must be an \(m, 78\) array"),
    ({"respondent_values": [np.zeros((2, 5))]}, r"firm f: its respondents' values must be an \(R, 78\) array"),
    ({"fixed": np.zeros((2, 2), bool)}, r"fixed must be an \(1, 78\) boolean array"),
])
def test_bad_settings_are_refused_naming_them(model: ScoringModel, kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        simulate(model, np.zeros((1, len(model.observable_ids))), ["f"], **kwargs)


# --- the command line ------------------------------------------------------------------------------------------------


def _cli(*args: str) -> Result:
    _register()
    return CliRunner().invoke(app, list(args))


def test_the_cli_draws_reads_peers_and_can_leave_out_the_sensitivity(tmp_path: Path) -> None:
    out = tmp_path / "r.json"
    peers = ROOT / "examples" / "fr-domaine-des-trois-collines.yaml"
    done = _cli("diagnose", str(EXAMPLE), "--out", str(out), "--draws", "200", "--peers", str(peers),
                "--no-sensitivity")
    assert done.exit_code == 0, done.output
    [firm] = json.loads(out.read_text())["firms"]
    assert firm["uncertainty"]["draws"] == 200 and firm["sensitivity"] is None
    assert firm["uncertainty"]["unanswered_from"] == "uniform"  # one peer file: fewer than MIN_PEERS answers
    done = _cli("diagnose", str(EXAMPLE), "--out", str(out), "--draws", "0")
    assert done.exit_code == 0, done.output
    [firm] = json.loads(out.read_text())["firms"]
    assert firm["uncertainty"] is None and firm["indices"]["iip"]["interval"] is None and firm["sensitivity"]


@pytest.mark.parametrize(("args", "shown"), [
    (["--draws", "-3"], "--draws"),
    (["--draws", "100001"], "--draws"),
    (["--peers", "missing-peers.yaml"], "missing-peers.yaml"),
])
def test_the_cli_refuses_bad_uncertainty_options_with_exit_2(tmp_path: Path, args: list[str], shown: str) -> None:
    done = _cli("diagnose", str(EXAMPLE), "--out", str(tmp_path / "r.json"), *args)
    assert done.exit_code == 2, done.output
    assert shown in done.output
    assert not (tmp_path / "r.json").exists()


def test_peers_of_another_framework_are_refused_naming_the_file(tmp_path: Path) -> None:
    peers = tmp_path / "peers.yaml"
    peers.write_text("framework: other\nfirm: {id: p, name: P}\nanswers: {}\n", encoding="utf-8")
    done = _cli("diagnose", str(EXAMPLE), "--out", str(tmp_path / "r.json"), "--peers", str(peers))
    assert done.exit_code == 2, done.output
    assert "peers.yaml" in done.output


def test_encoded_peers_are_answer_values(iiep: Framework) -> None:
    sheets = read_answers(ROOT / "examples" / "fr-domaine-des-trois-collines.yaml")
    fw = load_framework("iiep", ["wine"])
    values = encode(fw, sheets)
    assert values.shape == (1, len(fw.observables)) and np.nanmax(values) <= 1.0


def test_a_peer_firm_answered_by_a_team_counts_once_consolidated(tmp_path: Path) -> None:
    """Peers given as a team's answer files (one firm, three respondents) are consolidated into one
    peer firm, not refused as a firm id given three times."""
    team = sorted((ROOT / "examples" / "team").glob("*.yaml"))
    out = tmp_path / "r.json"
    done = _cli("diagnose", str(EXAMPLE), "--out", str(out), "--draws", "50", "--no-sensitivity",
                "--peers", *(str(p) for p in team))
    assert done.exit_code == 0, done.output
    from innexport.core.respondents import firm_sheets

    fw = load_framework("iiep", ["wine"])
    sheets = [s for p in team for s in read_answers(p)]
    peer_firms, teams = firm_sheets(fw, sheets)
    assert len(peer_firms) == 1 and teams[0] is not None
    assert encode(fw, peer_firms).shape == (1, len(fw.observables))
