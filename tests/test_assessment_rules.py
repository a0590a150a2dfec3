"""The diagnostic pipeline's rules, exactly: answer sheets → one FirmResult per firm.

* a firm's result worked out by hand on tests/fixtures/mini.yaml (indices, classes, FlowSort flows,
  activities, priorities and their reasons, the next-class plan), and each result row is the
  vectorised core's (:func:`assess`, :func:`next_class_plan`) row for that firm, rounded to 6 decimals;
* what a result says of unanswered and "don't know" questions, of an index that cannot be computed;
* the reason codes and the percentage of a refusal for incompleteness at their boundaries;
* which sheets :func:`check_framework` refuses (framework, MAJOR version, modules) and how problems
  name their place (file, row, firm, question), at most 50 of them in the message.
"""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from innexport.core.assessment import (
    AnswersError,
    AnswerSheet,
    Firm,
    FirmResult,
    IncompleteError,
    Problem,
    assess,
    check_framework,
    diagnose,
    encode,
    reason_code,
    result_json,
    share_below,
)
from innexport.core.classes import QUADRANTS
from innexport.core.framework import INDICES, Framework, Module, apply_module
from innexport.core.priorities import next_class_plan
from innexport.core.scoring import ScoringModel
from innexport.files.frameworks import load_framework

MINI = Path(__file__).parent / "fixtures" / "mini.yaml"
CLASSES = ["proactive", "preactive", "reactive", "passive"]

# q1, q3, q4: yes/no (0, 1); q2, q5: never, sometimes, often, always (0, 1/3, 2/3, 1); q5 weighs 3.
# a_joint = (q1, q2), a_inn = (q3) in d1; a_exp = (q4, q5) in d2.
GOOD = {"q1": "yes", "q2": "often", "q3": "no", "q4": "yes", "q5": "sometimes"}
TOP = {"q1": "yes", "q2": "always", "q3": "yes", "q4": "yes", "q5": "always"}
BOTTOM = {"q1": "no", "q2": "never", "q3": "no", "q4": "no", "q5": "never"}
HOLES = {"q1": "no", "q2": "dk", "q4": "yes", "q5": "often"}  # q3 unanswered, q2 "don't know"
EXPORT_ONLY = {"q4": "yes", "q5": "often"}  # nothing feeds the IIP


def mini() -> Framework:
    return load_framework(MINI)


def sheet(answers: dict[str, str], firm: str = "f1", **fields: object) -> AnswerSheet:
    return AnswerSheet(framework="mini", firm=Firm(id=firm, name=firm.upper()), answers=answers, **fields)


def r6(v: float) -> float | None:
    """How a result shows a number: rounded to 6 decimals, None when it cannot be computed."""
    return round(float(v), 6) if np.isfinite(v) else None


def cls(k: int) -> str | None:
    return CLASSES[k] if k >= 0 else None


# --- one firm by hand -------------------------------------------------------------------------------


def test_a_firm_worked_out_by_hand() -> None:
    fw = mini()
    s = sheet(GOOD, comments={"q2": "with our importer"}, assessor="A. N. Other", assessed_on=dt.date(2026, 10, 1))
    [result] = diagnose(fw, [s], lang="es")
    doc = result_json([result])["firms"][0]
    # a_joint = (1 + 2/3)/2 = 5/6, a_inn = 0, a_exp = (1 + 3·1/3)/4 = 1/2; d1 = (5/6 + 0)/2 = 5/12, d2 = 1/2
    assert [(a["id"], a["dimension"], a["tag"], a["score"], a["answered"], a["questions"]) for a in doc["activities"]] == [
        ("a_joint", "d1", "joint", 0.833333, 2, 2), ("a_inn", "d1", "innovation", 0.0, 1, 1),
        ("a_exp", "d2", "export", 0.5, 2, 2)]
    assert doc["dimensions"] == [{"id": "d1", "score": 0.416667}, {"id": "d2", "score": 0.5}]
    # weights: IIP = d1 only (d2 has no innovation activity) → ½, ½, 0; IEP: a_joint stands for d1 → ½, 0, ½;
    # IIEP: ½·½, ½·½, ½
    assert [a["weight"] for a in doc["activities"]] == [
        {"iip": 0.5, "iep": 0.5, "iiep": 0.25}, {"iip": 0.5, "iep": 0.0, "iiep": 0.25},
        {"iip": 0.0, "iep": 0.5, "iiep": 0.5}]
    # IIP = 5/12 (preactive ≥ 0.41), IEP = ½·5/6 + ½·½ = 2/3 (proactive ≥ 0.61), IIEP = ½·5/12 + ½·½ = 11/24
    assert {k: (v["value"], v["class"]) for k, v in doc["indices"].items()} == {
        "iip": (0.416667, "preactive"), "iep": (0.666667, "proactive"), "iiep": (0.458333, "preactive")}
    # FlowSort on the IIP's activities (5/6, 0; weights ½, ½), profiles 0.805, 0.51, 0.35, 0.145, linear p = 0.25:
    # φ+(a) = ¼·½·(0.028333/0.25 + 1 + 1 + 1) = 0.389167; φ-(a) = ¼·½·(1 + 1 + 1 + 0.145/0.25) = 0.4475;
    # φ(0.805) = ¼·(½ + 3) - ¼·½·0.113333 = 0.860833, and so on: φ(a) = -0.058333 is nearest φ(0.35) = -0.205
    assert doc["indices"]["iip"]["flowsort"] == {
        "class": "reactive", "net_flow": -0.058333, "positive_flow": 0.389167, "negative_flow": 0.4475,
        "profile_net_flows": {"proactive": 0.860833, "preactive": 0.16, "reactive": -0.205, "passive": -0.7575},
        "class_by_positive_flow": "reactive", "class_by_negative_flow": "preactive"}
    assert doc["quadrant"] == "innovative_exporter"  # IIP and IEP both ≥ 0.41
    # IIEP preactive → target: the proactive profile 0.805; leverage = weight in IIP + weight in IEP
    assert [(p["rank"], p["activity"], p["dimension"], p["tag"], p["score"], p["target"], p["target_class"], p["gap"],
             p["leverage"], p["priority"], p["reason"], p["top_leverage"]) for p in doc["priorities"]] == [
        (1, "a_inn", "d1", "innovation", 0.0, 0.805, "proactive", 0.805, 0.5, 0.4025, "gap", False),
        (2, "a_exp", "d2", "export", 0.5, 0.805, "proactive", 0.305, 0.5, 0.1525, "gap", False),
        (3, "a_joint", "d1", "joint", 0.833333, 0.805, "proactive", 0.0, 1.0, 0.0, "reached", True)]
    # recommendations: the answers below the target (q1 = 1 and q4 = 1 are not)
    assert [p["recommendations"] for p in doc["priorities"]] == [
        [{"observable": "q3", "answer": "no", "value": 0.0}],
        [{"observable": "q5", "answer": "sometimes", "value": 0.333333}],
        [{"observable": "q2", "answer": "often", "value": 0.666667}]]
    # IIP needs 0.61 - 5/12 = 0.193333: q3 no → yes raises a_inn by 1, the IIP by ½ → 11/12
    assert doc["next_class"] == {
        "current": {"iip": "preactive", "iep": "proactive"}, "target": {"iip": "proactive", "iep": "proactive"},
        "needed": {"iip": 0.193333, "iep": 0.0}, "reachable": True,
        "steps": [{"observable": "q3", "activity": "a_inn", "from_code": "no", "to_code": "yes", "gain_iip": 0.5,
                   "gain_iep": 0.0}],
        "by_activity": {"a_inn": 1}, "after": {"iip": 0.916667, "iep": 0.666667}, "method": "exact"}
    assert doc["answers"] == {"q1": "yes", "q2": "often", "q3": "no", "q4": "yes", "q5": "sometimes"}
    assert doc["comments"] == {"q2": "with our importer"} and doc["assessor"] == "A. N. Other"
    assert doc["assessed_on"] == "2026-10-01"  # JSON: the date as text
    assert (doc["lang"], doc["completeness"], doc["questions"], doc["missing"], doc["dont_know"]) == ("es", 1.0, 5, [], [])
    assert doc["framework"] == {"id": "mini", "version": "0.1.0", "modules": [], "label": "mini 0.1.0",
                                "content_hash": fw.content_hash}
    assert doc["firm"]["id"] == "f1" and doc["firm"]["name"] == "F1" and doc["benchmark"] is None


def test_a_top_firm_has_reached_the_top_class_everywhere() -> None:
    [result] = diagnose(mini(), [sheet(TOP)])
    assert {k: (v.value, v.class_, v.flowsort.class_) for k, v in result.indices.items()} == {
        k: (1.0, "proactive", "proactive") for k in INDICES}
    assert result.quadrant == "innovative_exporter" and result.lang == "en"
    # a proactive firm aims at the top (1.0): every activity (score 1) has reached it, no answer is below it
    assert {(p.target, p.target_class, p.gap, p.reason) for p in result.priorities} == {(1.0, "proactive", 0.0, "reached")}
    assert all(p.recommendations == [] for p in result.priorities)
    assert result.top_priorities() == []
    assert result.next_class.current == result.next_class.target == {"iip": "proactive", "iep": "proactive"}
    assert result.next_class.steps == [] and result.next_class.reachable


def test_a_bottom_firm_is_passive_and_neither() -> None:
    [result] = diagnose(mini(), [sheet(BOTTOM)])
    assert {k: (v.value, v.class_) for k, v in result.indices.items()} == {k: (0.0, "passive") for k in INDICES}
    assert result.quadrant == "neither"
    # passive → target: the reactive profile 0.35; a_joint (leverage 1) first, then a_inn and a_exp (½ each)
    assert [(p.activity, p.gap, p.priority, p.reason) for p in result.priorities] == [
        ("a_joint", 0.35, 0.35, "gap"), ("a_inn", 0.35, 0.175, "gap"), ("a_exp", 0.35, 0.175, "gap")]
    assert [p.activity for p in result.top_priorities(2)] == ["a_joint", "a_inn"]


# --- every row of a result is the vectorised core's row -----------------------------------------------


def test_each_result_is_its_row_of_the_population_arrays() -> None:
    fw = mini()
    answers = [GOOD, TOP, BOTTOM, HOLES, EXPORT_ONLY]
    sheets = [sheet(a, f"f{i}") for i, a in enumerate(answers)]
    results = diagnose(fw, sheets, min_completeness=0.0)
    model = ScoringModel.from_framework(fw)
    pop = assess(model, encode(fw, sheets, model))
    s, pr = pop.scores, pop.priorities
    assert [r.firm.id for r in results] == ["f0", "f1", "f2", "f3", "f4"]
    for i, r in enumerate(results):
        assert r.completeness == r6(s.completeness[i]) and r.questions == 5
        for k, name in enumerate(INDICES):
            fs, out = pop.flowsort[k], r.indices[name]
            assert (out.value, out.class_) == (r6(s.indices[i, k]), cls(int(pop.classes[i, k])))
            assert out.flowsort.model_dump(by_alias=True) == {
                "class": cls(int(fs.classes[i])), "net_flow": r6(fs.net_flow[i]),
                "positive_flow": r6(fs.positive_flow[i]), "negative_flow": r6(fs.negative_flow[i]),
                "profile_net_flows": {c: r6(v) for c, v in zip(CLASSES, fs.profile_net_flows[i], strict=True)},
                "class_by_positive_flow": cls(int(fs.classes_positive[i])),
                "class_by_negative_flow": cls(int(fs.classes_negative[i]))}
        q = int(pop.quadrant[i])
        assert r.quadrant == (QUADRANTS[q] if q >= 0 else None)
        assert [(d.id, d.score) for d in r.dimensions] == [("d1", r6(s.dimensions[i, 0])), ("d2", r6(s.dimensions[i, 1]))]
        assert [a.score for a in r.activities] == [r6(v) for v in s.activities[i]]
        order = [model.activity_ids[j] for j in pr.order[i]]
        assert [p.activity for p in r.priorities] == order and [p.rank for p in r.priorities] == [1, 2, 3]
        for p, j in zip(r.priorities, pr.order[i], strict=True):
            assert (p.score, p.target, p.gap, p.priority, p.leverage) == (
                r6(s.activities[i, j]), r6(pr.target[i]), r6(pr.gap[i, j]), r6(pr.priority[i, j]), r6(pr.leverage[j]))
            assert p.target_class == cls(int(pr.target_class[i]))
        plan = next_class_plan(model, s, i)
        assert r.next_class.current == {"iip": cls(plan.current[0]), "iep": cls(plan.current[1])}
        assert r.next_class.target == {"iip": cls(plan.target[0]), "iep": cls(plan.target[1])}
        assert r.next_class.needed == {"iip": r6(plan.needed[0]), "iep": r6(plan.needed[1])}
        assert r.next_class.after == {"iip": r6(plan.after[0]), "iep": r6(plan.after[1])}
        assert (r.next_class.reachable, r.next_class.method, r.next_class.by_activity) == (
            plan.reachable, plan.method, plan.by_activity)
        assert [(st.observable, st.activity, st.gain_iip, st.gain_iep) for st in r.next_class.steps] == [
            (st.observable, st.activity, round(st.gain[0], 6), round(st.gain[1], 6)) for st in plan.steps]


def test_a_plan_names_the_levels_of_each_step() -> None:
    # BOTTOM: IIP = IEP = 0, passive; the next class (reactive, 0.29) on both: the exact plan's steps
    # raise answers one level each, named by their codes on their own scale
    [result] = diagnose(mini(), [sheet(BOTTOM)])
    plan = result.next_class
    assert plan.current == {"iip": "passive", "iep": "passive"} and plan.target == {"iip": "reactive", "iep": "reactive"}
    assert plan.needed == {"iip": 0.29, "iep": 0.29}
    codes = {"q1": ["no", "yes"], "q3": ["no", "yes"], "q4": ["no", "yes"],
             "q2": ["never", "sometimes", "often", "always"], "q5": ["never", "sometimes", "often", "always"]}
    for step in plan.steps:
        levels = codes[step.observable]
        assert levels.index(step.to_code) == levels.index(step.from_code) + 1
    assert plan.after["iip"] >= 0.29 and plan.after["iep"] >= 0.29 and plan.reachable
    assert sum(plan.by_activity.values()) == len(plan.steps) > 0


# --- unanswered, "don't know", an index that cannot be computed -------------------------------------------


def test_unanswered_and_dont_know_questions() -> None:
    [result] = diagnose(mini(), [sheet(HOLES)], min_completeness=0.6)
    # q2 "don't know" and q3 unanswered: 3 scored answers of 5
    assert result.completeness == 0.6 and result.missing == ["q3"] and result.dont_know == ["q2"]
    assert result.answers == {"q1": "no", "q2": "dk", "q4": "yes", "q5": "often"}
    assert [(a.id, a.answered, a.questions, a.score) for a in result.activities] == [
        ("a_joint", 1, 2, 0.0), ("a_inn", 0, 1, None), ("a_exp", 2, 2, 0.75)]
    by_id = {p.activity: p for p in result.priorities}
    # a_inn is not assessed: last, no gap, and its unanswered question is a recommendation
    assert result.priorities[-1].activity == "a_inn"
    assert (by_id["a_inn"].score, by_id["a_inn"].gap, by_id["a_inn"].priority, by_id["a_inn"].reason) == (
        None, None, None, "unassessed")
    assert [(r.observable, r.answer, r.value) for r in by_id["a_inn"].recommendations] == [("q3", None, None)]
    # the "don't know" answer (no value) comes before the scored one, whatever the framework's order
    assert [(r.observable, r.answer, r.value) for r in by_id["a_joint"].recommendations] == [
        ("q2", "dk", None), ("q1", "no", 0.0)]


def test_an_index_without_answers_has_no_value_class_or_quadrant() -> None:
    [result] = diagnose(mini(), [sheet(EXPORT_ONLY)], min_completeness=0.0)
    iip = result.indices["iip"]
    assert (iip.value, iip.class_, iip.flowsort.class_, iip.flowsort.net_flow) == (None, None, None, None)
    assert result.indices["iep"].value == 0.75 and result.quadrant is None  # IEP = a_exp = (1 + 3·2/3)/4
    assert result.next_class.current["iip"] is None and result.next_class.needed["iip"] is None


# --- refusals -------------------------------------------------------------------------------------------


def test_incompleteness_is_judged_against_the_framework_floor_or_the_one_given() -> None:
    fw = mini()
    three = sheet({"q1": "yes", "q2": "often", "q3": "no"})  # 3 of 5 scored: 60 %
    with pytest.raises(IncompleteError) as info:
        diagnose(fw, [three])  # the framework's floor: 70 %
    assert [str(p) for p in info.value.problems] == [
        "firm f1: only 60% of the questions have a scored answer (at least 70% needed); missing: q4, q5"]
    assert diagnose(fw, [three], min_completeness=0.6)[0].completeness == 0.6  # exactly at the floor: accepted
    with pytest.raises(IncompleteError, match="at least 61% needed"):
        diagnose(fw, [three], min_completeness=0.61)
    # a floor that is not a whole percent is written with its decimal: 60 % never reads as enough
    with pytest.raises(IncompleteError) as info:
        diagnose(fw, [three], min_completeness=0.605)
    assert "only 60.0% of the questions have a scored answer (at least 60.5% needed)" in str(info.value.problems[0])


def test_the_language_is_the_one_asked_then_the_sheets_then_english() -> None:
    fw = mini()
    assert diagnose(fw, [sheet(GOOD, lang="fr")], lang="es")[0].lang == "es"
    assert diagnose(fw, [sheet(GOOD, lang="fr")])[0].lang == "fr"
    assert diagnose(fw, [sheet(GOOD)])[0].lang == "en"


def test_custom_leverage_reaches_the_priorities() -> None:
    # GOOD with leverage 0, 1, 3: a_inn 0.805·1 = 0.805, a_exp 0.305·3 = 0.915 first, a_joint 0
    [result] = diagnose(mini(), [sheet(GOOD)], leverage=np.array([0.0, 1.0, 3.0]))
    assert [(p.activity, p.leverage, p.priority, p.top_leverage) for p in result.priorities] == [
        ("a_exp", 3.0, 0.915, True), ("a_inn", 1.0, 0.805, False), ("a_joint", 0.0, 0.0, False)]


def _with_module() -> Framework:
    text = {"fr": "t", "es": "t", "en": "t"}
    module = Module.model_validate({
        "kind": "module", "id": "sector", "version": "1.2.0", "extends": {"id": "mini", "version": "0"},
        "title": text, "description": text, "remove_observables": ["q4"]})
    return apply_module(mini(), module)


def test_check_framework_accepts_the_same_modules_with_or_without_versions() -> None:
    fw = _with_module()
    for modules in (["sector"], ["sector@1.2.0"], ["sector@9.9.9"]):
        check_framework(fw, [sheet(GOOD, modules=modules, version=None)])
    check_framework(fw, [sheet(GOOD, modules=["sector"], version="0.1.3")])  # same MAJOR.MINOR before 1.0.0
    with pytest.raises(AnswersError) as info:
        check_framework(fw, [sheet(GOOD, "a"), sheet(GOOD, "b", modules=["other@1.0.0"], version="0.2.0")])
    assert [str(p) for p in info.value.problems] == [
        "firm a: answers use modules none; the framework has ['sector']",
        "firm b: answers were made with mini 0.2.0; this framework is mini 0.1.0",
        "firm b: answers use modules ['other@1.0.0']; the framework has ['sector']"]


def test_check_framework_names_every_sheet_for_another_framework() -> None:
    fw = mini()
    other = AnswerSheet(framework="iiep", firm=Firm(id="x", name="X"))
    with pytest.raises(AnswersError) as info:
        check_framework(fw, [sheet(GOOD), other.located("a.yaml", {}, "line 3")])
    assert [str(p) for p in info.value.problems] == ["a.yaml, line 3, firm x: answers are for framework 'iiep', not 'mini'"]


def test_encode_names_every_bad_answer_and_keeps_going() -> None:
    fw = mini()
    first = sheet({"q1": "maybe", "q9": "yes", "q7": "no", "q2": "often"}, "a", comments={"q8": "?"}).located(
        "a.csv", {"q1": "row 2, column C", "q9": "row 2, column D", "q7": "row 2, column E"}, "row 2")
    second = sheet({"q3": "yes", "q1": "2"}, "a").located("a.csv", {"q1": "row 3, column C"}, "row 3")
    with pytest.raises(AnswersError) as info:
        encode(fw, [first, second])
    found = [str(p) for p in info.value.problems]
    assert found[1:4] == ["a.csv, row 2, column D, firm a, question q9: unknown question id (not in mini 0.1.0)",
                          "a.csv, row 2, column E, firm a, question q7: unknown question id (not in mini 0.1.0)",
                          "a.csv, firm a, question q8: comment on an unknown question id"]
    assert found[0].startswith("a.csv, row 2, column C, firm a, question q1: 'maybe' is not on the scale yes_no")
    assert found[4] == "a.csv, row 3, firm a: firm id 'a' already used by a.csv, row 2, firm a"
    assert found[5].startswith("a.csv, row 3, column C, firm a, question q1: '2' is not on the scale yes_no")
    assert len(found) == 6


def test_a_misspelt_column_is_one_problem_however_many_firms() -> None:
    """A table's misspelt question column: one problem naming the column and the firms (five, then a
    count), in the place of its first firm; another file's, or a lone firm's, stays its own."""
    fw = mini()
    sheets = [sheet({"q1": "yes", "q11": "no"}, f"f{i}").located("t.csv", {"q11": f"row {i + 2}, column F"},
                                                                    f"row {i + 2}") for i in range(7)]
    other = sheet({"q11": "no", "q1": "zz"}, "g").located("u.yaml", {"q11": "line 9", "q1": "line 8"}, "line 3")
    with pytest.raises(AnswersError) as info:
        encode(fw, [*sheets, other])
    found = [str(p) for p in info.value.problems]
    assert found[0] == ("t.csv, column F, question q11: unknown question id (not in mini 0.1.0); did you mean q1? "
                        "(7 firms: f0, f1, f2, f3, f4 and 2 more)")
    assert found[1] == "u.yaml, line 9, firm g, question q11: unknown question id (not in mini 0.1.0); did you mean q1?"
    assert found[2].startswith("u.yaml, line 8, firm g, question q1: 'zz' is not on the scale")
    assert len(found) == 3
    two = [sheet({"q11": "no"}, "a").located("t.csv", {"q11": "row 2, column F"}, "row 2"),
           sheet({"q11": "no"}, "b").located("t.csv", {"q11": "row 3, column G"}, "row 3")]
    with pytest.raises(AnswersError) as info:
        encode(fw, two)
    # nothing but the file is shared: the firms are listed, every one
    assert [str(p) for p in info.value.problems] == [
        "t.csv, question q11: unknown question id (not in mini 0.1.0); did you mean q1? (2 firms: a, b)"]


def test_encode_places_each_answer_in_its_column() -> None:
    fw = mini()
    # the lowest level (index 0) is an answer like any other; "dk" and unanswered leave NaN
    values = encode(fw, [sheet({"q5": "never", "q1": "no", "q2": "dk"}, "a"), sheet({"q4": "yes"}, "b")])
    np.testing.assert_array_equal(values, [[0.0, np.nan, np.nan, np.nan, 0.0], [np.nan, np.nan, np.nan, 1.0, np.nan]])


def test_where_a_sheet_and_its_answers_come_from() -> None:
    s = sheet(GOOD)
    assert s.where() == "firm f1" and s.where("q1") == "firm f1, question q1"
    s.located("answers.csv", {"q1": "row 4, column G"}, "row 4")
    assert s.where() == "answers.csv, row 4, firm f1"
    assert s.where("q1") == "answers.csv, row 4, column G, firm f1, question q1"
    assert s.where("q2") == "answers.csv, firm f1, question q2"  # an answer of unknown place: the file only
    assert sheet(GOOD).located("answers.yaml", {}).where() == "answers.yaml, firm f1"  # the firm's place unknown


def test_an_error_shows_fifty_problems_and_counts_the_rest() -> None:
    problems = [Problem(f"firm f{i}", "bad") for i in range(53)]
    error = AnswersError(problems)
    assert error.problems == problems
    assert str(error) == "\n".join(f"firm f{i}: bad" for i in range(50)) + "\n… and 3 more problem(s)"
    assert str(AnswersError(problems[:50])) == "\n".join(f"firm f{i}: bad" for i in range(50))
    assert str(AnswersError(problems[:51])).endswith("firm f49: bad\n… and 1 more problem(s)")


# --- reason codes and the refusal's percentage -------------------------------------------------------------


@pytest.mark.parametrize(("score", "target", "reason"), [
    (0.2, 0.45, "gap"), (0.0, 0.45, "gap"), (0.45, 0.45, "reached"), (0.5, 0.45, "reached"),
    (0.45 - 1e-10, 0.45, "reached"),  # short of the target by a rounding error only
    (0.45 - 1e-6, 0.45, "gap"),
    (0.8, 1.0, "consolidate"), (0.0, 1.0, "consolidate"), (1.0, 1.0, "reached"),
    (math.nan, 0.45, "unassessed"), (0.3, math.nan, "unassessed"), (math.nan, math.nan, "unassessed"),
])
def test_reason_codes(score: float, target: float, reason: str) -> None:
    assert reason_code(score, target) == reason


@pytest.mark.parametrize(("share", "floor", "text"), [
    (0.9677, 0.7, "97%"), (0.7, 0.7, "70%"), (0.6, 0.7, "60%"), (0.69, 0.7, "69%"),
    (0.699, 0.7, "69.9%"), (0.6999, 0.7, "69.9%"), (0.6951, 0.7, "69.5%"), (0.4949, 0.495, "49%"),
])
def test_share_below_never_reads_as_the_floor(share: float, floor: float, text: str) -> None:
    assert share_below(share, floor) == text


def test_top_priorities_are_those_with_a_gap() -> None:
    [result] = diagnose(mini(), [sheet(GOOD)])
    assert isinstance(result, FirmResult)
    assert [p.activity for p in result.top_priorities()] == ["a_inn", "a_exp"]  # a_joint has reached the target
    assert [p.activity for p in result.top_priorities(1)] == ["a_inn"]


# --- the framework's settings reach the result ---------------------------------------------------------


def _mini_with(**changes: object) -> Framework:
    d = mini().model_dump(mode="python", exclude_none=True)
    d.update(changes)
    return Framework.model_validate(d)


def test_flowsort_thresholds_and_preference_are_the_frameworks() -> None:
    # TOP: every activity at 1; on the IIP (a_joint, a_inn, ½ each) a beats the profiles by 0.195, 0.49,
    # 0.65, 0.855 and never loses: φ-(a) = 0
    flows = {}
    for settings, positive in (({"q": 0.1, "p": 0.3}, (0.095 / 0.2 + 3) / 4),  # linear: (d - q)/(p - q), at most 1
                               ({"q": 0.0, "p": 0.25}, (0.195 / 0.25 + 3) / 4),  # the default thresholds
                               ({"preference": "usual"}, 1.0)):  # usual: any advantage counts fully
        [result] = diagnose(_mini_with(flowsort=settings), [sheet(TOP)])
        flows[str(settings)] = result.indices["iip"].flowsort
        assert (result.indices["iip"].flowsort.positive_flow, result.indices["iip"].flowsort.negative_flow) == (
            pytest.approx(positive), 0.0)
    assert len({f.positive_flow for f in flows.values()}) == 3


def test_flowsort_on_an_index_with_an_unassessed_activity_uses_the_assessed_ones() -> None:
    # HOLES: a_inn unassessed, a_joint = 0 (q1 no, q2 "don't know"): a_joint carries the whole IIP (weight 1);
    # a (0) beats no profile, each profile beats it: φ-(a) = ¼·(1 + 1 + 1 + 0.145/0.25) = 0.895
    [result] = diagnose(mini(), [sheet(HOLES)], min_completeness=0.0)
    iip = result.indices["iip"].flowsort
    assert (iip.positive_flow, iip.negative_flow, iip.net_flow, iip.class_) == (0.0, 0.895, -0.895, "passive")
    # IIEP: a_inn's weight (¼) passes to its sibling a_joint in d1, not to every activity: a_joint ½
    # (score 0), a_exp ½ (score (1 + 3·2/3)/4 = 0.75). a_exp beats the profiles by -0.055, 0.24, 0.4, 0.605:
    # φ+(a) = ¼·½·(0 + 0.96 + 1 + 1) = 0.37; φ-(a) = ¼·½·((1 + 1 + 1 + 0.58) + 0.055/0.25) = 0.475
    iiep = result.indices["iiep"].flowsort
    assert (iiep.positive_flow, iiep.negative_flow, iiep.net_flow) == (0.37, 0.475, -0.105)


def test_a_greedy_plan_says_so(monkeypatch: pytest.MonkeyPatch) -> None:
    import innexport.core.assessment as assessment

    # the integer program out of time: the greedy fallback's plan, reported as such
    monkeypatch.setattr(assessment, "next_class_plan", lambda model, s, i: next_class_plan(model, s, i, exact=False))
    [result] = diagnose(mini(), [sheet(GOOD)])
    assert result.next_class.method == "greedy"
    assert [(st.observable, st.from_code, st.to_code) for st in result.next_class.steps] == [("q3", "no", "yes")]


def test_results_show_six_decimals() -> None:
    d = mini().model_dump(mode="python", exclude_none=True)
    d["scoring"] = {"dimension_weights": "activity_count", "min_completeness": 0.5}
    d["dimensions"][0]["activities"][1]["observables"].append({**d["dimensions"][0]["activities"][1]["observables"][0],
                                                                "id": "q6"})
    fw = Framework.model_validate(d)
    [result] = diagnose(fw, [sheet({"q1": "yes", "q2": "often", "q3": "no", "q4": "yes"})])
    assert result.completeness == 0.666667  # 4 of 6 questions
    # d1 (2 activities) weighs 2/3, d2 1/3: in the IIEP every activity weighs 1/3; in the IEP a_joint stands
    # for d1 (2/3) and a_exp weighs 1/3: a_joint's leverage = ½ (IIP) + 2/3 (IEP)
    assert [a.weight["iiep"] for a in result.activities] == [0.333333] * 3
    assert {p.activity: p.leverage for p in result.priorities}["a_joint"] == 1.166667


# --- the completeness floor ---------------------------------------------------------------------------


def test_meets_floor_allows_only_the_floating_point_slack() -> None:
    from innexport.core.assessment import FLOOR_SLACK, meets_floor

    assert FLOOR_SLACK == 1e-12
    assert meets_floor(7 / 10, 0.7) and meets_floor(0.0, 0.0) and meets_floor(1.0, 1.0)
    assert meets_floor(0.7 - 0.9e-12, 0.7) and not meets_floor(0.7 - 1.1e-12, 0.7)
    assert meets_floor(0.0, 1e-12)  # exactly the slack below: met
    assert not meets_floor(0.69, 0.7) and meets_floor(0.71, 0.7)


def test_scored_needed_by_hand() -> None:
    from innexport.core.assessment import scored_needed

    # 70 % of 93 questions is 65.1: 66 answers; of 10, exactly 7; of 41, 28.7 → 29
    assert [scored_needed(t, 0.7) for t in (93, 10, 41, 40, 1, 0)] == [66, 7, 29, 28, 1, 0]
    assert [scored_needed(7, f) for f in (0.0, 1.0, 0.5, 3 / 7)] == [0, 7, 4, 3]
    assert scored_needed(-3, 0.7) == 0


@given(total=st.integers(0, 400), floor=st.floats(0, 1))
def test_scored_needed_is_the_fewest_answers_meeting_the_floor(total: int, floor: float) -> None:
    from innexport.core.assessment import meets_floor, scored_needed

    n = scored_needed(total, floor)
    assert 0 <= n <= total
    if total:
        assert meets_floor(n / total, floor) or n == total
        assert n == 0 or not meets_floor((n - 1) / total, floor)



# --- why FlowSort and the thresholds differ -------------------------------------------------------------


def test_flowsort_divergence_by_worked_examples() -> None:
    from innexport.core.assessment import DIVERGENCES, flowsort_divergence

    fw = mini()
    assert DIVERGENCES == ("boundary", "spread")
    # IIEP = 5/12 = 0.4167: preactive by the 0.41 threshold. FlowSort's central profiles are the
    # middles of the classes' ranges (0.51 preactive, 0.35 reactive): 0.4167 is below 0.43, half-way
    # between them, so even activities all at 0.4167 would be reactive too → the boundary.
    near = diagnose(fw, [sheet({"q1": "no", "q3": "no", "q4": "no", "q2": "sometimes", "q5": "always"})])[0]
    iiep = near.indices["iiep"]
    assert (round(iiep.value, 4), iiep.class_, iiep.flowsort.class_) == (0.4167, "preactive", "reactive")
    assert flowsort_divergence(fw, near, "iiep") == "boundary"
    # IEP = 0.25 (passive, under 0.29) from activities at 0 and 0.5: FlowSort says reactive, which it
    # would not for even activities at 0.25 → the spread.
    uneven = diagnose(fw, [sheet({"q1": "no", "q3": "no", "q4": "no", "q2": "never", "q5": "often"})])[0]
    iep = uneven.indices["iep"]
    assert (iep.value, iep.class_, iep.flowsort.class_) == (0.25, "passive", "reactive")
    assert flowsort_divergence(fw, uneven, "iep") == "spread"
    # the same class both ways: nothing to explain
    top = diagnose(fw, [sheet({"q1": "yes", "q3": "yes", "q4": "yes", "q2": "always", "q5": "always"})])[0]
    assert [flowsort_divergence(fw, top, i) for i in ("iip", "iep", "iiep")] == [None, None, None]
    # two classes apart is always the spread (here made by hand from the boundary case)
    apart = near.model_copy(update={"indices": {**near.indices, "iiep": iiep.model_copy(
        update={"flowsort": iiep.flowsort.model_copy(update={"class_": "passive"})})}})
    assert flowsort_divergence(fw, apart, "iiep") == "spread"
    unscored = near.model_copy(update={"indices": {**near.indices, "iiep": iiep.model_copy(update={"value": None})}})
    assert flowsort_divergence(fw, unscored, "iiep") is None


@pytest.mark.parametrize(("value", "by_threshold", "by_flowsort", "settings", "cause"), [
    # each setting of FlowSort changes where an even firm falls, hence the cause (mini framework)
    (0.4225, "preactive", "reactive", {}, "spread"),
    (0.4225, "preactive", "reactive", {"ties": "worse"}, "boundary"),
    (0.38, "reactive", "preactive", {}, "spread"),
    (0.38, "reactive", "preactive", {"preference": "usual"}, "boundary"),
    (0.425, "preactive", "reactive", {"p": 0.1}, "boundary"),
    (0.40, "reactive", "preactive", {"q": 0.1}, "boundary"),
])
def test_flowsort_divergence_follows_the_frameworks_flowsort(value, by_threshold, by_flowsort, settings, cause) -> None:
    from innexport.core.assessment import flowsort_divergence

    fw = mini()
    fw = fw.model_copy(update={"flowsort": fw.flowsort.model_copy(update=settings)})
    base = diagnose(mini(), [sheet({"q1": "no", "q3": "no", "q4": "no", "q2": "sometimes", "q5": "always"})])[0]
    iiep = base.indices["iiep"]
    made = base.model_copy(update={"indices": {**base.indices, "iiep": iiep.model_copy(update={
        "value": value, "class_": by_threshold, "flowsort": iiep.flowsort.model_copy(update={"class_": by_flowsort})})}})
    assert flowsort_divergence(fw, made, "iiep") == cause


def test_flowsort_divergence_of_an_unclassified_index() -> None:
    from innexport.core.assessment import flowsort_divergence

    fw = mini()
    base = diagnose(fw, [sheet({"q1": "no", "q3": "no", "q4": "no", "q2": "sometimes", "q5": "always"})])[0]
    iiep = base.indices["iiep"]
    for cls, fs in ((None, "reactive"), ("preactive", None)):
        made = base.model_copy(update={"indices": {**base.indices, "iiep": iiep.model_copy(update={
            "class_": cls, "flowsort": iiep.flowsort.model_copy(update={"class_": fs})})}})
        assert flowsort_divergence(fw, made, "iiep") is None


def test_unknown_question_ids_listed_and_suggested() -> None:
    fw = mini()
    # five firms are all named; six, five and a count
    for n, listed in ((5, "a0, a1, a2, a3, a4"), (6, "a0, a1, a2, a3, a4 and 1 more")):
        with pytest.raises(AnswersError) as info:
            encode(fw, [sheet({"q11": "no"}, f"a{i}") for i in range(n)])  # sheets not read from a file
        assert [str(p) for p in info.value.problems] == [
            f"question q11: unknown question id (not in mini 0.1.0); did you mean q1? ({n} firms: {listed})"]
    # a suggestion only when the id is close (difflib's ratio at least 0.8): "abq1" is 0.67 from q1
    with pytest.raises(AnswersError) as info:
        encode(fw, [sheet({"abq1": "no"}, "a")])
    assert str(info.value.problems[0]).endswith("question abq1: unknown question id (not in mini 0.1.0)")

