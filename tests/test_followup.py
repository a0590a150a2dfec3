"""Follow-up of a firm assessed again: deltas worked out by hand on the mini framework, actions done
and programmes used from hand-made plans, the trajectory and its chart, properties checked with
hypothesis, and the `innexport followup` command end to end."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from innexport.cli import _register, app
from innexport.core.assessment import AnswerSheet, FirmResult, diagnose
from innexport.core.framework import Framework
from innexport.files.frameworks import framework_from_texts, load_framework
from innexport.rendering import charts
from innexport.support.followup import follow_up, trajectory
from innexport.support.plans import Action, ActionPlan, from_json, set_status, to_json

ROOT = Path(__file__).resolve().parents[1]
MINI = ROOT / "tests" / "fixtures" / "mini.yaml"
EXAMPLE = ROOT / "examples" / "fr-domaine-des-trois-collines.yaml"
runner = CliRunner()

# Answers of the mini framework (tests/fixtures/mini.yaml). tests/test_scoring.py works HAND out:
#   a_joint = (1 + 2/3) / 2 = 5/6, a_inn = 0, a_exp = (1 + 3 · 1/3) / 4 = 1/2
#   IIP = 5/12 (preactive: ≥ 0.41), IEP = 2/3 (proactive: ≥ 0.61), IIEP = 11/24 (preactive)
# BOTTOM scores 0 everywhere (passive). LOWER is HAND with q1 = no:
#   a_joint = (0 + 2/3) / 2 = 1/3; IIP = (1/3 + 0) / 2 = 1/6 (passive); IEP = (1/3 + 1/2) / 2 = 5/12
#   (preactive); IIEP = (1/6 + 1/2) / 2 = 1/3 (reactive: ≥ 0.29)
BOTTOM = {"q1": "no", "q2": "never", "q3": "no", "q4": "no", "q5": "never"}
HAND = {"q1": "yes", "q2": "often", "q3": "no", "q4": "yes", "q5": "sometimes"}
LOWER = HAND | {"q1": "no"}


@pytest.fixture(scope="module")
def fw() -> Framework:
    return load_framework(MINI)


@pytest.fixture(scope="module")
def fw2() -> Framework:
    """Version 0.2.0 of the mini framework: activity a_inn renamed a_new (same questions)."""
    text = MINI.read_text(encoding="utf-8").replace("version: 0.1.0", "version: 0.2.0").replace("id: a_inn", "id: a_new")
    return framework_from_texts(text)


def result(fw: Framework, answers: dict[str, str], day: str | None = None, firm: str = "f1") -> FirmResult:
    sheet = AnswerSheet(framework=fw.id, firm={"id": firm, "name": "Firm One"}, answers=answers,
                        assessed_on=dt.date.fromisoformat(day) if day else None)
    return diagnose(fw, [sheet])[0]


def action(aid: str, activity: str, status: str = "todo", chosen: tuple[str, ...] = (), **extra) -> Action:
    return Action(id=aid, rank=1, activity=activity, activity_name=activity, title=f"Do {aid}",
                  targets=[activity], status=status, chosen=list(chosen), **extra)


def plan(actions: list[Action], firm: str = "f1", created: str = "2024-02-01") -> ActionPlan:
    return ActionPlan(firm_id=firm, firm_name="Firm One", lang="en", framework="mini 0.1.0", content_hash="sha256:x",
                      created_on=dt.date.fromisoformat(created), actions=actions)


# --- what moved, by hand --------------------------------------------------------------------------------


def test_deltas_up_by_hand(fw: Framework) -> None:
    before, after = result(fw, BOTTOM, "2024-01-15"), result(fw, HAND, "2025-01-15")
    fu = follow_up(before, after, frameworks=(fw, fw))
    assert (fu.firm_id, fu.before_on, fu.after_on, fu.same_framework) == ("f1", dt.date(2024, 1, 15),
                                                                         dt.date(2025, 1, 15), True)
    got = {c.index: (c.before, c.after, c.delta, c.class_before, c.class_after, c.movement) for c in fu.indices}
    assert got == {
        "iip": (0.0, 0.416667, 0.416667, "passive", "preactive", "up"),
        "iep": (0.0, 0.666667, 0.666667, "passive", "proactive", "up"),
        "iiep": (0.0, 0.458333, 0.458333, "passive", "preactive", "up"),
    }
    for c in fu.indices:  # FlowSort classes: those of the results, compared the same way
        assert c.flowsort_before == before.indices[c.index].flowsort.class_
        assert c.flowsort_after == after.indices[c.index].flowsort.class_
    assert [c.flowsort_movement for c in fu.indices] == ["up", "up", "up"]
    assert (fu.quadrant_before, fu.quadrant_after) == ("neither", "innovative_exporter")
    # the ones that moved first, by decreasing delta
    assert [(a.id, a.before, a.after, a.delta, a.movement) for a in fu.activities] == [
        ("a_joint", 0.0, 0.833333, 0.833333, "up"), ("a_exp", 0.0, 0.5, 0.5, "up"), ("a_inn", 0.0, 0.0, 0.0, "same")]
    assert [a.id for a in fu.moved] == ["a_joint", "a_exp"] and fu.common == 3
    assert fu.index("iep").delta == 0.666667 and fu.activity("a_exp").delta == 0.5
    assert (fu.plans, fu.actions_total, fu.actions_done, fu.programmes_used) == (0, 0, [], [])


def test_deltas_down_by_hand(fw: Framework) -> None:
    fu = follow_up(result(fw, HAND, "2024-01-15"), result(fw, LOWER, "2025-01-15"), frameworks=(fw, fw))
    got = {c.index: (c.delta, c.class_before, c.class_after, c.movement) for c in fu.indices}
    assert got == {
        "iip": (-0.25, "preactive", "passive", "down"),  # 1/6 - 5/12
        "iep": (-0.25, "proactive", "preactive", "down"),  # 5/12 - 2/3
        "iiep": (-0.125, "preactive", "reactive", "down"),  # 1/3 - 11/24
    }
    # a_joint 5/6 -> 1/3 first; the unchanged ones keep the framework's order
    assert [(a.id, a.delta, a.movement) for a in fu.activities] == [
        ("a_joint", -0.5, "down"), ("a_inn", 0.0, "same"), ("a_exp", 0.0, "same")]


def test_unscored_activity_has_no_delta(fw: Framework) -> None:
    before = result(fw, {k: v for k, v in HAND.items() if k != "q3"}, "2024-01-15")  # a_inn unanswered
    fu = follow_up(before, result(fw, HAND, "2025-01-15"), frameworks=(fw, fw))
    a_inn = fu.activity("a_inn")
    assert (a_inn.before, a_inn.after, a_inn.delta, a_inn.movement) == (None, 0.0, None, None)
    assert [a.id for a in fu.activities] == ["a_joint", "a_exp", "a_inn"]  # no delta: after those with one
    # IIP: d1 = a_joint alone = 5/6 before, (5/6 + 0) / 2 = 5/12 after
    assert fu.index("iip").delta == pytest.approx(5 / 12 - 5 / 6, abs=1e-6)


def test_two_framework_versions(fw: Framework, fw2: Framework) -> None:
    fu = follow_up(result(fw, BOTTOM, "2024-01-15"), result(fw2, HAND, "2025-01-15"), frameworks=(fw, fw2))
    assert not fu.same_framework and (fu.framework_before, fu.framework_after) == ("mini 0.1.0", "mini 0.2.0")
    assert [(a.id, a.presence, a.before, a.after, a.delta) for a in fu.activities] == [
        ("a_joint", "both", 0.0, 0.833333, 0.833333), ("a_exp", "both", 0.0, 0.5, 0.5),
        ("a_new", "added", None, 0.0, None), ("a_inn", "removed", 0.0, None, None)]
    assert fu.common == 2 and fu.index("iip").movement == "up" and fu.index("iip").delta == 0.416667


# --- actions done and programmes used -------------------------------------------------------------------


def test_actions_done_and_programmes_by_hand(fw: Framework) -> None:
    before, after = result(fw, BOTTOM, "2024-01-15"), result(fw, LOWER, "2025-01-15")  # a_joint +1/3, a_exp +1/2
    first = plan([
        action("q1", "a_joint", "done", ("p_grant", "p_advice"), owner="Ana", done_on=dt.date(2024, 3, 1)),
        action("q3", "a_inn", "done", ("p_advice",), done_on=dt.date(2024, 4, 1)),
        action("q4", "a_exp", "doing", ("p_mission",)),
        action("q5", "a_exp", "dropped", ("p_loan",)),
        action("q2", "a_joint", "todo", programmes=["p_other"]),  # proposed only: neither picked nor used
    ])
    between = plan([action("x1", "a_gone", "done", ("p_mission",)), action("x2", "a_exp", "todo")],
                   created="2024-06-01")
    fu = follow_up(before, after, [first, between], frameworks=(fw, fw))
    assert (fu.plans, fu.actions_total) == (2, 7)
    assert [(d.id, d.activity, d.activity_movement, d.moved_up, d.programmes, d.done_on, d.plan_created_on)
            for d in fu.actions_done] == [
        ("q1", "a_joint", "up", True, ["p_grant", "p_advice"], dt.date(2024, 3, 1), dt.date(2024, 2, 1)),
        ("q3", "a_inn", "same", False, ["p_advice"], dt.date(2024, 4, 1), dt.date(2024, 2, 1)),
        ("x1", "a_gone", None, None, ["p_mission"], None, dt.date(2024, 6, 1)),  # not in the framework
    ]
    assert fu.actions_done[0].owner == "Ana" and fu.actions_done[0].title == "Do q1"
    assert fu.programmes_picked == ["p_grant", "p_advice", "p_mission"]  # the dropped action's p_loan: not picked
    assert fu.programmes_used == ["p_grant", "p_advice", "p_mission"]
    fu = follow_up(before, after, [first], frameworks=(fw, fw))
    assert fu.programmes_picked == ["p_grant", "p_advice", "p_mission"] and fu.programmes_used == ["p_grant", "p_advice"]
    # the same JSON round trip as the command line's --json
    assert type(fu).model_validate(fu.model_dump(mode="json")) == fu


def test_refusals_name_what_is_wrong(fw: Framework, fw2: Framework) -> None:
    before, after = result(fw, BOTTOM, "2024-01-15"), result(fw, HAND, "2025-01-15")
    with pytest.raises(ValueError, match=r"different firms \('f1' and 'f2'\)"):
        follow_up(before, result(fw, HAND, "2025-01-15", firm="f2"), frameworks=(fw, fw))
    with pytest.raises(ValueError, match=r"earlier diagnostic \(2025-01-15\) is dated after the later one \(2024-01-15\)"):
        follow_up(after, before, frameworks=(fw, fw))
    with pytest.raises(ValueError, match=r"later diagnostic was scored with mini 0.1.0 .*not with mini 0.2.0"):
        follow_up(before, after, frameworks=(fw, fw2))
    with pytest.raises(ValueError, match=r"plan of 2024-02-01 is for firm 'other', not for 'f1'"):
        follow_up(before, after, [plan([], firm="other")], frameworks=(fw, fw))


# --- properties -------------------------------------------------------------------------------------------

YES_NO = st.sampled_from(["yes", "no"])
FREQ = st.sampled_from(["never", "sometimes", "often", "always"])
ANSWERS = st.fixed_dictionaries({"q1": YES_NO, "q2": FREQ, "q3": YES_NO, "q4": YES_NO, "q5": FREQ})
MIRROR = {"up": "down", "down": "up", "same": "same", None: None}


@settings(max_examples=40)
@given(answers=ANSWERS)
def test_follow_up_of_a_diagnostic_with_itself_moves_nothing(fw: Framework, answers: dict[str, str]) -> None:
    r = result(fw, answers, "2024-01-15")
    fu = follow_up(r, r, frameworks=(fw, fw))
    assert all(c.delta == 0.0 and c.movement == "same" and c.flowsort_movement == "same" for c in fu.indices)
    assert all(a.delta == 0.0 and a.movement == "same" and a.presence == "both" for a in fu.activities)
    assert fu.moved == [] and fu.quadrant_before == fu.quadrant_after


@settings(max_examples=40)
@given(a=ANSWERS, b=ANSWERS)
def test_swapping_the_diagnostics_mirrors_the_follow_up(fw: Framework, a: dict[str, str], b: dict[str, str]) -> None:
    ra, rb = result(fw, a), result(fw, b)  # undated: either may come first
    forward, backward = follow_up(ra, rb, frameworks=(fw, fw)), follow_up(rb, ra, frameworks=(fw, fw))
    for f, g in zip(forward.indices, backward.indices, strict=True):
        assert f.delta == -g.delta and f.movement == MIRROR[g.movement]
    back = {x.id: x for x in backward.activities}
    for x in forward.activities:
        assert x.delta == -back[x.id].delta and x.movement == MIRROR[back[x.id].movement]
    deltas = [abs(x.delta) for x in forward.activities]
    assert deltas == sorted(deltas, reverse=True)


# --- trajectory -------------------------------------------------------------------------------------------


def test_trajectory_is_in_date_order(fw: Framework) -> None:
    results = [result(fw, HAND, "2025-01-15"), result(fw, BOTTOM, "2024-01-15"), result(fw, LOWER),
               result(fw, LOWER, "2024-01-15")]
    points = trajectory(results)
    assert [p.position for p in points] == [1, 3, 0, 2]  # same date: given order; undated: last
    first, _, third, last = points
    assert (first.assessed_on, first.iip, first.iep, first.iiep, first.quadrant) == (
        dt.date(2024, 1, 15), 0.0, 0.0, 0.0, "neither")
    assert (third.iip, third.iep, third.classes) == (0.416667, 0.666667, {"iip": "preactive", "iep": "proactive",
                                                                         "iiep": "preactive"})
    assert last.assessed_on is None and last.classes == {"iip": "passive", "iep": "preactive", "iiep": "reactive"}
    assert trajectory([]) == []


def test_trajectory_chart() -> None:
    g = charts.QuadrantGeometry()
    svg = charts.trajectory_svg([(0.1, 0.2), (None, 0.5), (0.5, 0.5), (0.9, 0.8)], 0.41, current=2, compared=[0],
                                point_labels=["A day", "B day", "C <&>", "D day"], title="Trajectory")

    def circle(css: str) -> tuple[float, float]:
        m = re.search(rf'<circle class="{css}" cx="([\d.]+)" cy="([\d.]+)"', svg)
        assert m, css
        return float(m.group(1)), float(m.group(2))

    assert circle("earlier compared") == pytest.approx(g.xy(0.1, 0.2), abs=0.06)
    assert circle("firm") == pytest.approx(g.xy(0.5, 0.5), abs=0.06)
    assert circle("later") == pytest.approx(g.xy(0.9, 0.8), abs=0.06)
    assert svg.count("<circle class=") == 3  # the point without IIP is left out
    # a solid arrow between the compared points, a dashed one to the later point
    assert svg.count('<line class="step compared"') == 1 and svg.count('<line class="step"') == 1
    assert svg.count('marker-end="url(#trajectory-head)"') == 2
    assert "C &lt;&amp;&gt;" in svg and "<&>" not in svg and ">A day<" in svg and "B day" not in svg
    assert svg.index('class="step') < svg.index('<circle class="firm"')  # the arrows under the firm's point
    # default: the last point placed is the firm's; nothing placed: the plane alone
    assert 'class="earlier"' in charts.trajectory_svg([(0.1, 0.1), (0.6, 0.6)], 0.41)
    empty = charts.trajectory_svg([(None, None)], 0.41)
    assert "<circle" not in empty and "trajectory-head" not in empty
    with pytest.raises(ValueError, match="2 points but 1 point labels"):
        charts.trajectory_svg([(0.1, 0.1), (0.2, 0.2)], 0.41, point_labels=["x"])


# --- the command line -----------------------------------------------------------------------------------


def run(*args: str):
    _register()
    return runner.invoke(app, [str(a) for a in args])


def write_answers(path: Path, answers: dict[str, str], day: str, firm: str = "f1") -> Path:
    lines = ["framework: mini", f"assessed_on: {day}", "lang: en", f"firm: {{id: {firm}, name: Firm One}}", "answers:"]
    lines += [f'  {q}: "{v}"' for q, v in answers.items()]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def mini_files(tmp_path: Path) -> dict[str, Path]:
    files = {}
    for name, answers, day in (("before", BOTTOM, "2024-01-15"), ("after", HAND, "2025-01-15")):
        src = write_answers(tmp_path / f"{name}.yaml", answers, day)
        files[name] = tmp_path / f"{name}.json"
        res = run("diagnose", src, "--framework", MINI, "--out", files[name])
        assert res.exit_code == 0, res.output
    files["plan"] = tmp_path / "plan.json"
    files["plan"].write_text(to_json(plan([
        action("q1", "a_joint", "done", ("fr_bpi_assurance_prospection",), owner="Ana", done_on=dt.date(2024, 3, 1)),
        action("q3", "a_inn", "done"), action("q4", "a_exp", "doing", ("my_local_fund",)),
    ])), encoding="utf-8")
    return files


def test_cli_json(mini_files: dict[str, Path]) -> None:
    res = run("followup", mini_files["before"], mini_files["after"], "--plan", mini_files["plan"],
              "--framework", MINI, "--json")
    assert res.exit_code == 0, res.output
    doc = json.loads(res.output)
    (fu,) = doc["firms"]
    assert [(c["index"], c["delta"], c["movement"]) for c in fu["indices"]] == [
        ("iip", 0.416667, "up"), ("iep", 0.666667, "up"), ("iiep", 0.458333, "up")]
    assert [(a["id"], a["delta"]) for a in fu["activities"]] == [("a_joint", 0.833333), ("a_exp", 0.5), ("a_inn", 0.0)]
    assert [(d["id"], d["moved_up"]) for d in fu["actions_done"]] == [("q1", True), ("q3", False)]
    assert fu["programmes_used"] == ["fr_bpi_assurance_prospection"]
    assert fu["programmes_picked"] == ["fr_bpi_assurance_prospection", "my_local_fund"]
    # names from the built-in catalogue; an id it does not know stays as it is
    assert fu["programme_names"] == {"fr_bpi_assurance_prospection": "Export prospecting insurance (Bpifrance)",
                                     "my_local_fund": "my_local_fund"}


def test_cli_tables_in_french(mini_files: dict[str, Path]) -> None:
    res = run("followup", mini_files["before"], mini_files["after"], "--plan", mini_files["plan"],
              "--framework", MINI, "--lang", "fr")
    assert res.exit_code == 0, res.output
    out = res.output
    assert "Suivi de Firm One (f1)" in out and "+0,42" in out and "+0,67" in out and "+0,83" in out
    assert out.count("classe supérieure") == 3 and "Passive → Préactive" in out
    assert "Actions réalisées : 2 sur 3 (plans lus : 1)" in out
    assert "Do q1  │ Conjointe  │ 1 mars 2024 │ Ana " in out and "│ oui, en " in out  # Babel date; the cell wraps: "en hausse"
    assert "Programmes utilisés : Assurance prospection (Bpifrance)\n" in out
    assert "Programmes retenus, pas encore utilisés : my_local_fund\n" in out
    res = run("followup", mini_files["before"], mini_files["after"], "--framework", MINI)
    assert res.exit_code == 0 and "No action plan given (--plan)" in res.output


def test_cli_errors_name_the_file(mini_files: dict[str, Path], tmp_path: Path) -> None:
    before, after, plan_file = mini_files["before"], mini_files["after"], mini_files["plan"]
    broken = tmp_path / "broken.json"
    broken.write_text("{oops", encoding="utf-8")
    res = run("followup", broken, after, "--framework", MINI)
    assert res.exit_code == 2 and f"{broken}: not JSON (line 1, column 2" in res.output
    doc = json.loads(before.read_text(encoding="utf-8"))
    del doc["firms"][0]["firm"]["name"]
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(doc), encoding="utf-8")
    res = run("followup", bad, after, "--framework", MINI)
    assert res.exit_code == 2 and f"{bad}: not a diagnostic result" in res.output and "firms[0].firm.name" in res.output
    res = run("followup", plan_file, after, "--framework", MINI)
    assert res.exit_code == 2 and f"{plan_file}: not a result file" in res.output
    res = run("followup", before, after, "--plan", before, "--framework", MINI)
    assert res.exit_code == 2 and f"{before}: not an action plan" in res.output
    other = tmp_path / "other-plan.json"
    other.write_text(to_json(plan([], firm="f9")), encoding="utf-8")
    res = run("followup", before, after, "--plan", other, "--framework", MINI)
    assert res.exit_code == 2 and f"{other}: a plan of firm 'f9'" in res.output
    res = run("followup", after, before, "--framework", MINI)
    assert res.exit_code == 2 and "earlier diagnostic (2025-01-15) is dated after the later one" in res.output
    res = run("followup", before, after)  # mini is not a built-in framework
    assert res.exit_code == 2 and f"{before}: firm f1 was scored with mini 0.1.0, which cannot be loaded" in res.output
    res = run("followup", before, tmp_path / "missing.json", "--framework", MINI)
    assert res.exit_code == 2 and "missing.json: cannot read the result file" in res.output


def test_cli_with_the_shipped_framework_and_a_plan_of_innexport_plan(tmp_path: Path) -> None:
    """diagnose → plan → mark an action done → diagnose again → followup, as a user runs it."""
    later = tmp_path / "later.yaml"
    text = EXAMPLE.read_text(encoding="utf-8").replace("assessed_on: 2026-10-15", "assessed_on: 2027-10-15")
    later.write_text(text.replace("strat_global_written: no", 'strat_global_written: "yes"'), encoding="utf-8")
    for src, out in ((EXAMPLE, "before.json"), (later, "after.json")):
        assert run("diagnose", src, "--out", tmp_path / out, "--lang", "en").exit_code == 0
    assert run("plan", EXAMPLE, "--out", tmp_path / "plan.json", "--lang", "en").exit_code == 0
    written = from_json((tmp_path / "plan.json").read_bytes())
    (tmp_path / "plan.json").write_text(to_json(set_status(written, "strat_global_written", "done")), encoding="utf-8")
    res = run("followup", tmp_path / "before.json", tmp_path / "after.json", "--plan", tmp_path / "plan.json", "--json")
    assert res.exit_code == 0, res.output
    (fu,) = json.loads(res.output)["firms"]
    assert fu["firm_id"] == "fr-domaine-des-trois-collines" and fu["plans"] == 1
    assert fu["actions_total"] == len(written.actions)
    assert [(d["id"], d["activity"], d["moved_up"]) for d in fu["actions_done"]] == [
        ("strat_global_written", "strat_global", True)]
    assert fu["activities"][0]["id"] == "strat_global" and fu["activities"][0]["movement"] == "up"
    assert all(a["movement"] == "same" for a in fu["activities"][1:])


def test_cli_shows_what_moved_and_says_what_it_leaves_out(mini_files: dict[str, Path], tmp_path: Path) -> None:
    # BOTTOM → HAND: a_joint and a_exp moved, a_inn (0 both times) did not
    res = run("followup", mini_files["before"], mini_files["after"], "--framework", MINI, "--lang", "es")
    assert res.exit_code == 0, res.output
    out = res.output
    assert "Actividades que se movieron: 2 de 3" in out
    assert "Conjunta" in out and "Innovación" not in out.split("Actividades que se movieron")[1]
    assert "Las otras 1 actividades no se movieron (--all las lista)." in out
    every = run("followup", mini_files["before"], mini_files["after"], "--framework", MINI, "--lang", "es", "--all")
    assert every.exit_code == 0 and "no se movieron" not in every.output
    assert every.output.count("0,00 │") >= 2  # a_inn: 0,00 before and after


def test_cli_header_of_an_undated_diagnostic(mini_files: dict[str, Path], tmp_path: Path) -> None:
    undated = tmp_path / "undated.yaml"
    write_answers(undated, BOTTOM, "2024-01-15")
    undated.write_text(undated.read_text(encoding="utf-8").replace("assessed_on: 2024-01-15\n", ""), encoding="utf-8")
    before = tmp_path / "undated.json"
    assert run("diagnose", undated, "--framework", MINI, "--out", before).exit_code == 0
    for lang, header in (("es", "Seguimiento de Firm One (f1): del diagnóstico anterior sin fecha al 15 de enero de 2025"),
                         ("fr", "Suivi de Firm One (f1) : du diagnostic précédent non daté au 15 janvier 2025"),
                         ("en", "Follow-up of Firm One (f1): from the undated earlier diagnostic to 15 January 2025")):
        res = run("followup", before, mini_files["after"], "--framework", MINI, "--lang", lang)
        assert res.exit_code == 0, res.output
        assert header in " ".join(res.output.split()), res.output
