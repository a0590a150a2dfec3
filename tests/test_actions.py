"""Action plans: from a diagnostic's priorities to actions, their exports and the `plan` CLI."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

import innexport.cli.plan  # noqa: F401 - registers `plan` on the app
from innexport.actions import (
    HEADER_ROWS,
    build_plan,
    from_json,
    ics_escape,
    ics_fold,
    set_status,
    to_ics,
    to_json,
    to_xlsx,
)
from innexport.answers import read_answers
from innexport.assessment import diagnose
from innexport.cli import app
from innexport.framework import load_framework
from innexport.programmes import load_catalogue

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "fr-domaine-des-trois-collines.yaml"
START = dt.date(2027, 1, 4)
runner = CliRunner()


@pytest.fixture(scope="module")
def diagnosed():
    sheets = read_answers(EXAMPLE)
    fw = load_framework(sheets[0].framework, sheets[0].modules)
    return diagnose(fw, sheets)[0], fw


@pytest.fixture(scope="module")
def catalogue():
    return load_catalogue()


@pytest.fixture(scope="module")
def plan(diagnosed, catalogue):
    result, fw = diagnosed
    return build_plan(result, fw, catalogue, top=5, start=START, spacing_days=30, owner="Claire",
                      created_on=dt.date(2026, 11, 23))


def test_actions_are_the_top_priorities_weak_answers_in_french(plan, diagnosed):
    result, fw = diagnosed
    assert plan.lang == "fr" and plan.firm_id == "fr-domaine-des-trois-collines"
    assert plan.framework == fw.label and plan.content_hash == fw.content_hash
    chosen = [p for p in result.priorities if p.gap and p.gap > 0][:5]
    expected = [(p.rank, r.observable) for p in chosen
                for r in sorted(p.recommendations, key=lambda r: -1.0 if r.value is None else r.value)]
    assert [(a.rank, a.observable) for a in plan.actions] == expected
    assert len({a.id for a in plan.actions}) == len(plan.actions)
    for a in plan.actions:
        obs = fw.observable_by_id[a.observable]
        assert a.title == obs.recommendation["fr"]
        assert a.activity == next(act.id for act in fw.activities if obs in act.observables)
        assert a.activity_name == fw.activity_by_id[a.activity].name["fr"]
        tag = fw.activity_by_id[a.activity].tag
        assert a.targets == [a.activity] + {"innovation": ["iip"], "export": ["iep"], "joint": ["iip", "iep"]}[tag]
        assert a.owner == "Claire" and a.status == "todo"


def test_due_dates_are_staggered_by_priority(plan):
    ranks = list(dict.fromkeys(a.rank for a in plan.actions))
    assert len(ranks) == 5
    for k, rank in enumerate(ranks, start=1):
        assert {a.due for a in plan.actions if a.rank == rank} == {START + dt.timedelta(days=30 * k)}


def test_programmes_are_french_eligible_and_joint_first(plan, catalogue):
    proposed = [p for a in plan.actions for p in a.programmes]
    assert proposed, "the French wine estate should be offered programmes"
    for a in plan.actions:
        assert len(a.programmes) <= 3
        progs = [catalogue.by_id[p] for p in a.programmes]
        assert all(p.country == "FR" for p in progs)
        assert all(a.activity in p.activities for p in progs)
        joint = [p.scope == "joint" for p in progs]
        assert joint == sorted(joint, reverse=True)  # joint ones first
    assert set(plan.programme_names) == set(proposed)


def test_without_catalogue_no_programmes_and_top_limits(diagnosed):
    result, fw = diagnosed
    small = build_plan(result, fw, top=2, start=START)
    assert all(a.programmes == [] for a in small.actions)
    assert len({a.rank for a in small.actions}) == 2
    with pytest.raises(ValueError):
        build_plan(result, fw, top=0, start=START)


def test_set_status_changes_one_action_and_refuses_unknown_ids(plan):
    first = plan.actions[0].id
    done = set_status(plan, first, "done")
    assert done.action(first).status == "done" and plan.action(first).status == "todo"
    assert [a.status for a in done.actions[1:]] == [a.status for a in plan.actions[1:]]
    assert set_status(done, first, "todo").action(first).status == "todo"  # reopening is allowed
    with pytest.raises(KeyError):
        set_status(plan, "no_such_action", "done")
    with pytest.raises(ValueError):
        set_status(plan, first, "finished")


def test_json_round_trip(plan):
    again = from_json(to_json(plan))
    assert again == plan
    assert json.loads(to_json(plan))["actions"][0]["due"] == str(plan.actions[0].due)


def test_xlsx_has_a_header_and_one_row_per_action(plan, tmp_path):
    path = tmp_path / "plan.xlsx"
    to_xlsx(plan, path)
    ws = load_workbook(path).active
    assert "Domaine des Trois Collines" in ws["A1"].value
    assert plan.content_hash in ws["B2"].value
    rows = list(ws.iter_rows(min_row=HEADER_ROWS + 1, values_only=True))
    assert len(rows) == len(plan.actions)
    first = rows[0]
    a = plan.actions[0]
    assert first[0] == a.rank and first[1] == a.activity_name and first[2] == a.title
    assert first[3] == "Claire" and first[4].date() == a.due and first[5] == "todo"
    assert first[6] == "; ".join(plan.programme_names[p] for p in a.programmes)


def _unfold(text: str) -> list[str]:
    return text.replace("\r\n ", "").split("\r\n")


def test_ics_is_well_formed(plan):
    text = to_ics(plan)
    assert text.endswith("\r\n")
    raw_lines = text.split("\r\n")[:-1]
    assert "\n" not in text.replace("\r\n", "")
    assert all(len(line.encode("utf-8")) <= 75 for line in raw_lines)
    assert any(line.startswith(" ") for line in raw_lines)  # the long French texts were folded
    lines = _unfold(text)[:-1]
    assert lines[0] == "BEGIN:VCALENDAR" and lines[-1] == "END:VCALENDAR"
    assert "VERSION:2.0" in lines and any(line.startswith("PRODID:") for line in lines)
    dated = [a for a in plan.actions if a.due]
    assert lines.count("BEGIN:VEVENT") == lines.count("END:VEVENT") == len(dated)
    uids = [line for line in lines if line.startswith("UID:")]
    assert len(set(uids)) == len(dated)
    assert f"DTSTART;VALUE=DATE:{dated[0].due:%Y%m%d}" in lines
    summaries = [line[len("SUMMARY:"):] for line in lines if line.startswith("SUMMARY:")]
    assert summaries[0] == ics_escape(dated[0].title)
    assert to_ics(plan) == text  # stable: same plan, same file


def test_ics_escaping_and_folding():
    assert ics_escape("a,b;c\\d\ne") == "a\\,b\\;c\\\\d\\ne"
    line = "SUMMARY:" + "é" * 100
    folded = ics_fold(line)
    assert all(len(x.encode("utf-8")) <= 75 for x in folded)
    assert "".join(x[1:] if i else x for i, x in enumerate(folded)) == line


def test_ics_summary_with_comma_and_semicolon(plan):
    odd = plan.model_copy(update={"actions": [plan.actions[0].model_copy(update={"title": "Vendre, exporter; innover"})]})
    assert "SUMMARY:Vendre\\, exporter\\; innover" in _unfold(to_ics(odd))


# --- CLI ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("ext", ["xlsx", "ics", "json"])
def test_cli_writes_each_format(tmp_path, ext):
    out = tmp_path / f"plan.{ext}"
    res = runner.invoke(app, ["plan", str(EXAMPLE), "--out", str(out), "--start", "2027-01-04", "--top", "3",
                              "--owner", "Claire"])
    assert res.exit_code == 0, res.output
    assert out.exists()
    if ext == "json":
        plan = from_json(out.read_text(encoding="utf-8"))
        assert plan.lang == "fr" and len({a.rank for a in plan.actions}) == 3
        assert plan.actions[0].due == dt.date(2027, 2, 3) and plan.actions[0].owner == "Claire"
    elif ext == "ics":
        assert out.read_bytes().startswith(b"BEGIN:VCALENDAR\r\n")
    else:
        assert load_workbook(out).active.max_row > HEADER_ROWS


def test_cli_one_file_per_firm(tmp_path):
    examples = sorted((ROOT / "examples").glob("*.yaml"))
    res = runner.invoke(app, ["plan", *map(str, examples), "--out", str(tmp_path / "plan.json"), "--lang", "en"])
    assert res.exit_code == 0, res.output
    written = sorted(p.name for p in tmp_path.iterdir())
    ids = sorted(f"plan-{s.firm.id}.json" for e in examples for s in read_answers(e))
    assert written == ids
    assert from_json((tmp_path / ids[0]).read_text(encoding="utf-8")).lang == "en"


@pytest.mark.parametrize("args", [["--out", "plan.pdf"], ["--out", "plan.xlsx", "--start", "someday"],
                                  ["--out", "plan.xlsx", "--catalogue", "no-such-catalogue"]])
def test_cli_refuses_bad_input_and_writes_nothing(tmp_path, args):
    args = [a if a != args[1] else str(tmp_path / a) for a in args]
    res = runner.invoke(app, ["plan", str(EXAMPLE), *args])
    assert res.exit_code == 2
    assert list(tmp_path.iterdir()) == []


def test_cli_refuses_bad_answers(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(EXAMPLE.read_text(encoding="utf-8").replace("framework: iiep", "framework: nope"), encoding="utf-8")
    res = runner.invoke(app, ["plan", str(bad), "--out", str(tmp_path / "plan.ics")])
    assert res.exit_code == 2
    assert [p.name for p in tmp_path.iterdir()] == ["bad.yaml"]
