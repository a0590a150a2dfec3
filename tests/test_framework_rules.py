"""The framework's rules, exactly: what is refused and with which message, weights, versions, modules.

* validation: unique ids, default classes and the classes' order, thresholds and profiles, AHP and
  direct weights not mixed, ``scoring.dimension_weights: activity_count``;
* weights at every level (direct, equal, AHP) and by activity count;
* :func:`answers_fit` and :meth:`Extends.accepts` (which versions go together);
* :func:`apply_module`: what each of add/adapt/remove does, every problem named with its place,
  several modules in a row;
* how a problem reads (:class:`Issue`, :func:`issues_from_validation`, :func:`parse_data`).
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml
from pydantic import ValidationError

from innexport.core.framework import (
    Extends,
    Framework,
    FrameworkError,
    Issue,
    Module,
    ModuleRef,
    Text,
    answers_fit,
    apply_module,
    default_classes,
    issues_from_validation,
    parse_data,
)

MINI = Path(__file__).parent / "fixtures" / "mini.yaml"
MINI_DATA: dict[str, Any] = yaml.safe_load(MINI.read_text(encoding="utf-8"))
T = {"fr": "t", "es": "t", "en": "t"}
AHP_3_TO_1 = [["1", "3"], ["1/3", "1"]]  # weights ¾, ¼ (consistent: CR = 0)


def data() -> dict[str, Any]:
    """A fresh copy of tests/fixtures/mini.yaml as plain data."""
    return copy.deepcopy(MINI_DATA)


def fw(d: dict[str, Any] | None = None) -> Framework:
    return Framework.model_validate(data() if d is None else d)


def refusal(d: dict[str, Any]) -> list[str]:
    """Every problem of a framework document, as the user reads it."""
    with pytest.raises(FrameworkError) as info:
        parse_data(d)
    return [str(i) for i in info.value.issues]


def obs(oid: str, scale: str = "yes_no") -> dict[str, Any]:
    return {"id": oid, "scale": scale, "question": T, "help": T, "recommendation": T}


def module(**parts: Any) -> Module:
    return Module.model_validate({"kind": "module", "id": "sector", "version": "1.0.0",
                                  "extends": {"id": "mini", "version": "0"}, "title": T, "description": T, **parts})


# --- classes ------------------------------------------------------------------------------------------


def test_default_classes_are_erpis_with_mid_point_profiles() -> None:
    classes = default_classes()
    # thresholds 0.61, 0.41, 0.29, 0; profiles (0.61 + 1)/2, (0.41 + 0.61)/2, (0.29 + 0.41)/2, (0 + 0.29)/2
    assert [(c.id, c.threshold, c.profile) for c in classes] == [
        ("proactive", 0.61, 0.805), ("preactive", 0.41, 0.51), ("reactive", 0.29, 0.35), ("passive", 0.0, 0.145)]
    assert [c.label.root for c in classes] == [
        {"fr": "Proactive", "es": "Proactiva", "en": "Proactive"},
        {"fr": "Préactive", "es": "Preactiva", "en": "Preactive"},
        {"fr": "Réactive", "es": "Reactiva", "en": "Reactive"},
        {"fr": "Passive", "es": "Pasiva", "en": "Passive"}]
    assert fw().classes == classes  # a framework without `classes` has them


def _classes(rows: list[tuple[str, float, float]]) -> list[dict[str, Any]]:
    return [{"id": c, "label": T, "threshold": t, "profile": p} for c, t, p in rows]


@pytest.mark.parametrize(("rows", "message"), [
    ([("preactive", 0.6, 0.8), ("proactive", 0.4, 0.5), ("reactive", 0.3, 0.35), ("passive", 0.0, 0.1)],
     "classes must be, best first: proactive, preactive, reactive, passive"),
    ([("proactive", 0.6, 0.8), ("preactive", 0.4, 0.5), ("reactive", 0.3, 0.35)],
     "classes must be, best first: proactive, preactive, reactive, passive"),
    ([("proactive", 0.6, 0.8), ("preactive", 0.6, 0.7), ("reactive", 0.3, 0.35), ("passive", 0.0, 0.1)],
     "class thresholds must decrease strictly to 0 (best first), got [0.6, 0.6, 0.3, 0.0]"),
    ([("proactive", 0.6, 0.8), ("preactive", 0.4, 0.5), ("reactive", 0.3, 0.35), ("passive", 0.1, 0.2)],
     "class thresholds must decrease strictly to 0 (best first), got [0.6, 0.4, 0.3, 0.1]"),
    ([("proactive", 0.6, 0.8), ("preactive", 0.4, 0.65), ("reactive", 0.3, 0.35), ("passive", 0.0, 0.1)],
     "class preactive: its FlowSort profile 0.65 must lie in its interval [0.4, 0.6]"),
    ([("proactive", 0.6, 0.55), ("preactive", 0.4, 0.5), ("reactive", 0.3, 0.35), ("passive", 0.0, 0.1)],
     "class proactive: its FlowSort profile 0.55 must lie in its interval [0.6, 1.0]"),
])
def test_classes_are_refused_with_their_reason(rows: list[tuple[str, float, float]], message: str) -> None:
    d = data()
    d["classes"] = _classes(rows)
    assert refusal(d) == [f"document: {message}"]


def test_a_profile_may_sit_on_either_bound_of_its_interval() -> None:
    d = data()
    d["classes"] = _classes([("proactive", 0.6, 1.0), ("preactive", 0.4, 0.6), ("reactive", 0.3, 0.35),
                             ("passive", 0.0, 0.0)])
    assert [c.profile for c in fw(d).classes] == [1.0, 0.6, 0.35, 0.0]


# --- unique ids -------------------------------------------------------------------------------------


def test_every_kind_of_id_must_be_unique() -> None:
    d = data()
    d["sources"].append({"id": "hand", "citation": "again"})
    assert refusal(d) == ["document: duplicated source id(s): hand"]
    d = data()
    d["scales"].append(copy.deepcopy(d["scales"][0]))
    assert refusal(d) == ["document: duplicated scale id(s): yes_no"]
    d = data()
    d["dimensions"][1]["id"] = "d1"
    assert refusal(d) == ["document: duplicated dimension id(s): d1"]
    d = data()
    d["dimensions"][1]["activities"] += copy.deepcopy(d["dimensions"][0]["activities"])
    for a in d["dimensions"][1]["activities"][1:]:
        for o in a["observables"]:
            o["id"] += "b"
    # two duplicates, named in order
    assert refusal(d) == ["document: duplicated activity id(s): a_inn, a_joint"]


# --- weights ----------------------------------------------------------------------------------------


def test_ahp_at_each_level_gives_the_weights() -> None:
    d = data()
    d["dimensions"][0]["ahp"] = {"items": ["a_joint", "a_inn"], "experts": [AHP_3_TO_1]}
    d["dimensions"][0]["activities"][0]["ahp"] = {"items": ["q2", "q1"], "experts": [AHP_3_TO_1]}
    f = fw(d)
    np.testing.assert_allclose(f.activity_weights(f.dimensions[0]), [0.75, 0.25])
    # the items in another order than the children: each child gets its own weight (q1 ¼, q2 ¾)
    np.testing.assert_allclose(f.observable_weights(f.activity_by_id["a_joint"]), [0.25, 0.75])
    np.testing.assert_allclose(f.dimension_weights(), [0.5, 0.5])  # no weights given: equal
    d["ahp"] = {"items": ["d2", "d1"], "experts": [AHP_3_TO_1]}
    np.testing.assert_allclose(fw(d).dimension_weights(), [0.25, 0.75])
    np.testing.assert_allclose(f.activity_weights(f.dimensions[1]), [1.0])


def test_direct_weights_are_normalised() -> None:
    d = data()
    d["dimensions"][0]["weight"] = 3
    d["dimensions"][0]["activities"][1]["weight"] = 0.5  # a_joint 1 (default), a_inn 0.5
    f = fw(d)
    np.testing.assert_allclose(f.dimension_weights(), [0.75, 0.25])
    np.testing.assert_allclose(f.activity_weights(f.dimensions[0]), [2 / 3, 1 / 3])
    np.testing.assert_allclose(f.observable_weights(f.activity_by_id["a_exp"]), [0.25, 0.75])  # q5 weighs 3


def test_ahp_items_must_be_the_children_and_weights_not_given_twice() -> None:
    d = data()
    d["ahp"] = {"items": ["d1", "d3"], "experts": [AHP_3_TO_1]}
    assert refusal(d) == ["document: framework mini: the AHP items ['d1', 'd3'] must be exactly the children ['d1', 'd2']"]
    d = data()
    d["dimensions"][0]["ahp"] = {"items": ["a_joint", "a_inn"], "experts": [AHP_3_TO_1]}
    d["dimensions"][0]["activities"][0]["weight"] = 2
    d["dimensions"][0]["activities"][1]["weight"] = 1
    assert refusal(d) == ["dimensions[0]: dimension d1: weights are given by AHP, so remove `weight` from a_joint, a_inn"]


def test_dimensions_weighted_by_activity_count() -> None:
    d = data()
    d["scoring"] = {"dimension_weights": "activity_count"}
    d["dimensions"][1]["activities"].append({**copy.deepcopy(d["dimensions"][1]["activities"][0]), "id": "a_exp2",
                                             "observables": [obs("q6")]})
    d["dimensions"][0]["activities"].append({**copy.deepcopy(d["dimensions"][0]["activities"][1]), "id": "a_inn2",
                                             "observables": [obs("q7")]})
    # d1: 3 activities, d2: 2 → 3/5, 2/5 (not ½, ½)
    np.testing.assert_allclose(fw(d).dimension_weights(), [0.6, 0.4])
    d["ahp"] = {"items": ["d1", "d2"], "experts": [AHP_3_TO_1]}
    assert refusal(d) == ["document: scoring.dimension_weights is activity_count: remove the framework's `ahp`"]


# --- versions ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(("answers", "framework", "fit"), [
    ("1.0.0", "1.0.0", True), ("1.0.0", "1.1.0", True), ("1.4.2", "1.0.9", True), ("2.3.4", "2.0.0", True),
    ("1.1.0", "2.0.0", False), ("2.0.0", "1.9.9", False), ("10.0.0", "1.0.0", False),
    ("0.1.0", "0.1.5", True), ("0.1.0", "0.2.0", False), ("0.1.0", "1.1.0", False), ("1.0.0", "0.1.0", False),
])
def test_answers_fit_the_same_major_or_before_1_the_same_minor(answers: str, framework: str, fit: bool) -> None:
    assert answers_fit(answers, framework) is fit


@pytest.mark.parametrize(("prefix", "version", "accepted"), [
    ("1", "1.0.0", True), ("1", "1.9.3", True), ("1", "10.0.0", False), ("1", "2.1.0", False),
    ("0.1", "0.1.7", True), ("0.1", "0.2.0", False), ("0.1", "0.10.0", False), ("1.2.3", "1.2.3", True),
    ("1.2.3", "1.2.4", False),
])
def test_a_module_extends_a_version_prefix(prefix: str, version: str, accepted: bool) -> None:
    assert Extends(id="mini", version=prefix).accepts(version) is accepted


# --- modules ----------------------------------------------------------------------------------------


def test_a_module_adds_its_sources_scales_activities_and_observables() -> None:
    base = fw()
    scale = {"id": "three", "levels": [{"code": c, "value": v, "label": T} for c, v in
                                       (("low", 0.0), ("mid", 0.5), ("high", 1.0))]}
    mod = module(sources=[{"id": "sector_src", "citation": "A sector study", "url": "https://example.org"}],
                 scales=[scale],
                 add_activities=[{"dimension": "d2", "id": "a_new", "tag": "joint", "name": T,
                                  "sources": ["sector_src"], "observables": [obs("n1", "three")]}],
                 add_observables=[{"activity": "a_exp", **obs("q6", "three")}, {"activity": "a_new", **obs("n2")}],
                 adapt_activities=[{"id": "a_inn", "add_sources": ["hand", "sector_src"]}])
    f = apply_module(base, mod)
    assert [s.id for s in f.sources] == ["hand", "sector_src"] and f.source_by_id["sector_src"].url == "https://example.org"
    assert [s.id for s in f.scales] == ["yes_no", "frequency4", "three"]
    assert [a.id for a in f.dimensions[1].activities] == ["a_exp", "a_new"]
    assert [o.id for o in f.activity_by_id["a_exp"].observables] == ["q4", "q5", "q6"]
    assert [o.id for o in f.activity_by_id["a_new"].observables] == ["n1", "n2"]  # added to an added activity
    assert f.observable_by_id["n1"].scale == "three"
    assert f.activity_by_id["a_inn"].sources == ["hand", "sector_src"]  # `hand` is not cited twice
    assert f.modules == [ModuleRef(id="sector", version="1.0.0")] and base.modules == []


def test_adapting_an_observable_changes_only_what_is_given() -> None:
    base = fw()
    new = {"fr": "Q1 vin ?", "es": "¿Q1 vino?", "en": "Q1 wine?"}
    f = apply_module(base, module(adapt_observables=[{"id": "q2", "question": new, "scale": "yes_no"}]))
    q2, was = f.observable_by_id["q2"], base.observable_by_id["q2"]
    assert (q2.question.root, q2.scale) == (new, "yes_no")
    assert (q2.help, q2.recommendation, q2.id) == (was.help, was.recommendation, "q2")
    assert [o.id for o in f.observables] == ["q1", "q2", "q3", "q4", "q5"]


def test_modules_apply_one_after_the_other() -> None:
    first = apply_module(fw(), module(remove_observables=["q1"]))
    second = Module.model_validate({"kind": "module", "id": "region", "version": "2.1.0",
                                    "extends": {"id": "mini", "version": "0.1"}, "title": T, "description": T,
                                    "remove_observables": ["q4"]})
    f = apply_module(first, second)
    assert [o.id for o in f.observables] == ["q2", "q3", "q5"]
    assert [(m.id, m.version) for m in f.modules] == [("sector", "1.0.0"), ("region", "2.1.0")]
    assert f.label == "mini 0.1.0 + sector 1.0.0 + region 2.1.0"


def test_every_problem_of_a_module_is_named() -> None:
    mod = module(add_activities=[{"dimension": "d9", "id": "a_x", "tag": "joint", "name": T, "sources": ["hand"],
                                  "observables": [obs("x1")]},
                                 {"dimension": "d8", "id": "a_y", "tag": "joint", "name": T, "sources": ["hand"],
                                  "observables": [obs("y1")]}],
                 add_observables=[{"activity": "a_nowhere", **obs("z1")}, {"activity": "a_elsewhere", **obs("z2")}],
                 adapt_observables=[{"id": "q98"}, {"id": "q99"}],
                 adapt_activities=[{"id": "a_gone", "add_sources": ["hand"]}, {"id": "a_lost", "add_sources": ["hand"]}],
                 remove_observables=["q97", "q96"])
    with pytest.raises(FrameworkError) as info:
        apply_module(fw(), mod)
    assert [str(i) for i in info.value.issues] == [
        "module sector: add_activities a_x: unknown dimension 'd9'",
        "module sector: add_activities a_y: unknown dimension 'd8'",
        "module sector: add_observables z1: unknown activity 'a_nowhere'",
        "module sector: add_observables z2: unknown activity 'a_elsewhere'",
        "module sector: adapt_observables: unknown observable 'q98'",
        "module sector: adapt_observables: unknown observable 'q99'",
        "module sector: adapt_activities: unknown activity 'a_gone'",
        "module sector: adapt_activities: unknown activity 'a_lost'",
        "module sector: remove_observables: unknown observable 'q97'",
        "module sector: remove_observables: unknown observable 'q96'",
    ]
    assert str(info.value) == "\n".join(str(i) for i in info.value.issues)


def test_a_module_cannot_change_the_children_of_an_ahp_parent() -> None:
    d = data()
    d["dimensions"][0]["ahp"] = {"items": ["a_joint", "a_inn"], "experts": [AHP_3_TO_1]}
    d["dimensions"][0]["activities"][0]["ahp"] = {"items": ["q1", "q2"], "experts": [AHP_3_TO_1]}
    mod = module(add_activities=[{"dimension": "d1", "id": "a_new", "tag": "joint", "name": T, "sources": ["hand"],
                                  "observables": [obs("n1")]}],
                 add_observables=[{"activity": "a_joint", **obs("q1b")}, {"activity": "a_exp", **obs("q6")}],
                 remove_observables=["q2", "q4"])
    with pytest.raises(FrameworkError) as info:
        apply_module(fw(d), mod)
    assert [str(i) for i in info.value.issues] == [
        ("module sector: add_activities a_new: its parent d1 is weighted by AHP; "
        "a module can only change children weighted directly"),
        ("module sector: add_observables q1b: its parent a_joint is weighted by AHP; "
        "a module can only change children weighted directly"),
        ("module sector: remove_observables q2: its parent a_joint is weighted by AHP; "
        "a module can only change children weighted directly"),
    ]


def test_a_module_for_another_framework_or_version_is_refused() -> None:
    for extends, shown in (({"id": "other", "version": "0"}, "other 0"), ({"id": "mini", "version": "1"}, "mini 1"),
                           ({"id": "mini", "version": "0.2"}, "mini 0.2")):
        mod = Module.model_validate({"kind": "module", "id": "sector", "version": "1.0.0", "extends": extends,
                                     "title": T, "description": T})
        with pytest.raises(FrameworkError) as info:
            apply_module(fw(), mod)
        assert [str(i) for i in info.value.issues] == [f"module sector: extends {shown}.*, not mini 0.1.0"]


def test_the_framework_a_module_makes_is_validated_again() -> None:
    mod = module(add_activities=[{"dimension": "d2", "id": "a_new", "tag": "joint", "name": T, "sources": ["nowhere"],
                                  "observables": [obs("n1")]}])
    with pytest.raises(FrameworkError) as info:
        apply_module(fw(), mod)
    assert [str(i) for i in info.value.issues] == [
        "after applying module sector: document: activity a_new cites unknown source 'nowhere'"]
    # removing the only export activity's questions leaves an activity without observables
    with pytest.raises(FrameworkError) as info:
        apply_module(fw(), module(remove_observables=["q4", "q5"]))
    assert [str(i) for i in info.value.issues] == [
        ("after applying module sector: dimensions[1] → activities[0] → observables: "
        "List should have at least 1 item after validation, not 0")]


# --- how problems read ----------------------------------------------------------------------------------


@pytest.mark.parametrize(("issue", "text"), [
    (Issue("scales[0]", "bad"), "scales[0]: bad"),
    (Issue("scales[0]", "bad", 3), "line 3: scales[0]: bad"),
    (Issue("scales[0]", "bad", 3, "fw.yaml"), "fw.yaml:3: scales[0]: bad"),
    (Issue("scales[0]", "bad", None, "fw.yaml"), "fw.yaml: scales[0]: bad"),
])
def test_an_issue_names_file_line_place_and_problem(issue: Issue, text: str) -> None:
    assert str(issue) == text


def test_validation_errors_read_plainly() -> None:
    d = data()
    d["ahp"] = {"items": ["d1", "d2"], "experts": [[["1", None], ["1/3", "1"]]]}
    d["dimensions"][0]["activities"][0]["observables"][0]["question"]["en"] = True  # YAML's unquoted yes
    d["dimensions"][1]["colour"] = "red"
    del d["dimensions"][1]["activities"][0]["observables"][0]["help"]
    del d["version"]
    assert refusal(d) == [
        "version: required field 'version' is missing",
        # a judgement is a number or a fraction: both readings fail, at the judgement's place
        "ahp → experts[0][0][1]: Input should be a valid string",
        "ahp → experts[0][0][1]: Input should be a valid number",
        ("dimensions[0] → activities[0] → observables[0] → question → en: Input should be a valid string "
        "(YAML reads an unquoted yes/no/on/off as true/false: quote it, e.g. \"no\")"),
        "dimensions[1] → activities[0] → observables[0] → help: required field 'help' is missing",
        "dimensions[1] → colour: unknown field 'colour'",
    ]


def test_validation_errors_are_located_by_the_reader() -> None:
    d = data()
    d["dimensions"][1]["colour"] = "red"
    d["scales"][0]["levels"][0]["value"] = 2
    with pytest.raises(ValidationError) as info:
        Framework.model_validate(d)
    seen: list[tuple[str | int, ...]] = []

    def locate(loc: Any) -> tuple[str, int | None]:
        seen.append(tuple(loc))
        return f"at {len(seen)}", 10 * len(seen)

    issues = issues_from_validation(info.value, locate, "fw.yaml", prefix="check: ")
    assert seen == [("scales", 0, "levels", 0, "value"), ("dimensions", 1, "colour")]
    assert [str(i) for i in issues] == ["fw.yaml:10: check: at 1: Input should be less than or equal to 1",
                                        "fw.yaml:20: check: at 2: unknown field 'colour'"]


def test_parse_data_reads_frameworks_and_modules() -> None:
    assert isinstance(parse_data(data()), Framework)
    m = parse_data({"kind": "module", "id": "sector", "version": "1.0.0", "extends": {"id": "mini", "version": "0"},
                    "title": T, "description": T})
    assert isinstance(m, Module) and m.id == "sector"
    with pytest.raises(FrameworkError) as info:
        parse_data({"kind": "module", "id": "sector"}, origin="mod.yaml")
    assert "mod.yaml: extends: required field 'extends' is missing" in [str(i) for i in info.value.issues]
    for not_a_mapping in (["kind", "framework"], "framework", None):
        with pytest.raises(FrameworkError) as info:
            parse_data(not_a_mapping, origin="fw.yaml")
        assert [str(i) for i in info.value.issues] == [
            "fw.yaml:1: file: expected a mapping with a `kind: framework` or `kind: module` document"]


def test_a_text_exists_in_every_language() -> None:
    text = Text({"fr": " Oui ", "es": "Sí", "en": "Yes"})
    assert (text["fr"], text.get("es"), text.get("en")) == ("Oui", "Sí", "Yes")
    assert text.get("de") == "Yes"  # any other language: English
    with pytest.raises(ValidationError, match="missing translation: fr, en"):
        Text({"fr": "  ", "es": "Sí"})
    with pytest.raises(ValidationError, match="unknown language"):
        Text({"fr": "Oui", "es": "Sí", "en": "Yes", "de": "Ja"})


# --- FlowSort settings ------------------------------------------------------------------------------------


def test_flowsort_thresholds_must_leave_the_classes_apart() -> None:
    d = data()
    d["flowsort"] = {"q": 0.3, "p": 0.2}
    assert refusal(d) == ["flowsort: flowsort: p (0.2) must be greater than q (0.3)"]
    # default profiles 0.805, 0.51, 0.35, 0.145: the closest two are 0.16 apart
    d["flowsort"] = {"q": 0.17, "p": 0.5}
    assert refusal(d) == [("document: flowsort: consecutive class profiles must be more than q = 0.17 apart, "
                          "or FlowSort cannot tell their classes apart")]
    d["flowsort"] = {"q": 0.15, "p": 0.5}
    assert fw(d).flowsort.q == 0.15
    d["flowsort"] = {"preference": "usual", "q": 0.3, "p": 0.2}  # the usual criterion has no thresholds
    assert fw(d).flowsort.preference == "usual"


def test_union_members_are_not_places() -> None:
    from pydantic import BaseModel

    class Doc(BaseModel):
        x: int | list[int]

    with pytest.raises(ValidationError) as info:
        Doc.model_validate({"x": "a"})
    # pydantic names each member of the union (`int`, `list[int]`) in the location: the user wrote `x`
    assert [str(i) for i in issues_from_validation(info.value)] == [
        "x: Input should be a valid integer, unable to parse string as an integer", "x: Input should be a valid list"]


def test_parse_data_locates_problems_with_the_reader() -> None:
    d = data()
    del d["title"]
    with pytest.raises(FrameworkError) as info:
        parse_data(d, lambda loc: (f"the {loc[-1]}", 4), "fw.yaml")
    assert [str(i) for i in info.value.issues] == ["fw.yaml:4: the title: required field 'title' is missing"]
