"""Action plans: from a diagnostic's priorities to actions, their exports and the `plan` CLI."""

from __future__ import annotations

import datetime as dt
import html as html_module
import io
import json
import re
from pathlib import Path

import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

import innexport.cli.plan  # noqa: F401 - registers `plan` on the app
from innexport.cli import app
from innexport.core.assessment import AnswerSheet, diagnose
from innexport.files.answers import read_answers
from innexport.files.frameworks import load_framework
from innexport.rendering.i18n import translator
from innexport.rendering.plan import (
    HEADER_ROWS,
    PlanFileError,
    ics_escape,
    ics_fold,
    plan_html,
    plan_pdf,
    plan_view,
    read_xlsx,
    to_ics,
    to_xlsx,
    xlsx_bytes,
)
from innexport.support.plans import (
    STATUSES,
    ActionError,
    build_plan,
    extra_action,
    from_json,
    set_status,
    to_json,
    update_action,
)
from innexport.support.programmes import load_catalogue, parse_catalogue

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
    assert first[3] == "Claire" and first[4].date() == a.due and first[5] == "À faire"  # the plan's language
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


@pytest.mark.parametrize("args", [["--out", "plan.txt"], ["--out", "plan.xlsx", "--start", "someday"],
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


# --- editing an action: owner, due date, status, programmes picked ---------------------------------------


TODAY = dt.date(2027, 2, 10)


def test_update_action_changes_the_editable_fields(plan):
    a = next(a for a in plan.actions if len(a.programmes) >= 2)
    first, second = a.programmes[0], a.programmes[1]
    changed = update_action(a, {"owner": "  Luis   Soto ", "due": "2027-05-02", "status": "doing",
                                "chosen": [second, "", first, second]}, today=TODAY)
    assert (changed.owner, changed.due, changed.status, changed.done_on) == ("Luis Soto", dt.date(2027, 5, 2), "doing", None)
    assert changed.chosen == [first, second]  # the proposal's order, once each
    assert (changed.id, changed.title, changed.programmes) == (a.id, a.title, a.programmes)
    assert a.status == "todo" and a.chosen == []  # the original is unchanged
    assert update_action(changed, {"due": ""}).due is None
    assert update_action(changed, {"due": dt.date(2027, 6, 1)}).due == dt.date(2027, 6, 1)
    assert update_action(changed, {"chosen": []}).chosen == []
    assert update_action(changed, {"chosen": first}).chosen == [first]


def test_done_on_follows_the_status(plan):
    a = plan.actions[0]
    done = update_action(a, {"status": "done"}, today=TODAY)
    assert (done.status, done.done_on) == ("done", TODAY)
    assert update_action(done, {"status": "done", "owner": "X"}, today=dt.date(2027, 3, 1)).done_on == TODAY
    assert update_action(done, {"owner": "X"}, today=dt.date(2027, 3, 1)).done_on == TODAY
    for status in ("todo", "doing", "dropped"):
        assert update_action(done, {"status": status}, today=TODAY).done_on is None
    again = set_status(plan, a.id, "done", today=TODAY)
    assert again.action(a.id).done_on == TODAY
    assert set_status(again, a.id, "doing").action(a.id).done_on is None


@pytest.mark.parametrize(("changes", "field", "value", "message"), [
    ({"status": "finished"}, "status", "finished", "unknown status 'finished' (use todo, doing, done, dropped)"),
    ({"due": "2027-02-30"}, "due", "2027-02-30", "'2027-02-30' is not a date (YYYY-MM-DD)"),
    ({"owner": "x" * 201}, "owner", "x" * 201, "at most 200 characters (201 given)"),
    ({"chosen": ["fr_no_such_programme"]}, "chosen", "fr_no_such_programme", "programme 'fr_no_such_programme' is not among"),
    ({"title": "New title"}, "title", "New title", "not an editable field (use owner, due, status, chosen)"),
])
def test_update_action_refuses_bad_input_naming_the_field(plan, changes, field, value, message):
    a = plan.actions[0]
    with pytest.raises(ActionError) as info:
        update_action(a, {"owner": "Fine", **changes})
    assert info.value.field == field and info.value.value == value
    assert message in info.value.message and str(info.value).startswith(f"{field}: ")


def test_extra_action_for_any_activity(plan, diagnosed, catalogue):
    result, fw = diagnosed
    in_plan = plan.actions[0]
    action, names = extra_action(result, fw, catalogue, action_id="custom-1", title="  Salon  Prowein ",
                                 activity=in_plan.activity, owner="Claire", due="2027-03-10", today=START)
    assert (action.id, action.title, action.rank, action.activity, action.observable) == (
        "custom-1", "Salon Prowein", in_plan.rank, in_plan.activity, None)
    assert action.activity_name == in_plan.activity_name and action.targets == in_plan.targets
    assert action.programmes == in_plan.programmes  # the same eligible programmes as the plan's own actions
    assert set(names) == set(in_plan.programmes) and action.due == dt.date(2027, 3, 10) and action.status == "todo"
    last = result.priorities[-1]
    outside, _ = extra_action(result, fw, None, action_id="custom-2", title="T", activity=last.activity)
    assert outside.rank == last.rank and outside.programmes == [] and outside.due is None
    for kwargs, field in [({"title": " ", "activity": in_plan.activity}, "title"),
                          ({"title": "T", "activity": "nope"}, "activity"),
                          ({"title": "T", "activity": in_plan.activity, "due": "soon"}, "due")]:
        with pytest.raises(ActionError) as info:
            extra_action(result, fw, catalogue, action_id="custom-3", **kwargs)
        assert info.value.field == field


def test_picked_programmes_and_done_on_in_every_export(plan, tmp_path):
    a = next(a for a in plan.actions if len(a.programmes) >= 2)
    b = plan.actions[-1]
    edited = [update_action(a, {"status": "done", "chosen": [a.programmes[1]]}, today=TODAY) if x.id == a.id
              else update_action(x, {"status": "dropped"}) if x.id == b.id else x for x in plan.actions]
    edited_plan = plan.model_copy(update={"actions": edited})
    ws = load_workbook(io.BytesIO(xlsx_bytes(edited_plan))).active
    assert [c.value for c in ws[HEADER_ROWS]][6:] == ["Programmes", "Programmes retenus", "Réalisée le"]
    row = next(r for r in ws.iter_rows(min_row=HEADER_ROWS + 1, values_only=True) if r[2] == a.title)
    assert row[5] == "Réalisée" and row[6] == "; ".join(plan.programme_names[p] for p in a.programmes)
    assert row[7] == plan.programme_names[a.programmes[1]] and row[8].date() == TODAY
    untouched = next(r for r in ws.iter_rows(min_row=HEADER_ROWS + 1, values_only=True) if r[2] == plan.actions[0].title)
    assert untouched[7] is None and untouched[8] is None
    lines = _unfold(to_ics(edited_plan))
    fr = translator("fr")
    done = f"Statut\u00a0: Réalisée le {fr.date(TODAY)}"  # the plan's language, its Babel date
    desc = next(line for line in lines if line.startswith("DESCRIPTION:") and ics_escape(a.activity) in line
                and ics_escape(done) in line)
    assert ("Programmes retenus\u00a0: " + ics_escape(plan.programme_names[a.programmes[1]])) in desc
    assert lines.count("STATUS:CANCELLED") == 1
    again = from_json(to_json(edited_plan))
    assert again == edited_plan and again.action(a.id).chosen == [a.programmes[1]]
    assert json.loads(to_json(edited_plan))["actions"][0]["done_on"] is None


# --- the plan as a document ----------------------------------------------------------------------------------

MINI = ROOT / "tests" / "fixtures" / "mini.yaml"
MINI_CATALOGUE = """
kind: catalogue
id: mini_programmes
version: 1.0.0
as_of: 2026-11-02
title: {fr: Mini catalogue, es: Minicatálogo, en: Mini catalogue}
programmes:
  - id: fr_lab
    name: {fr: "Labo d'innovation", es: Laboratorio de innovación, en: Innovation lab}
    operator: Région Test
    country: FR
    kind: advice
    scope: innovation
    activities: [a_inn]
    url: https://example.org/lab
    source: https://example.org/lab
    description: {fr: Conseil, es: Asesoría, en: Advice}
  - id: fr_both
    name: {fr: "Cap export & innovation", es: Rumbo exportación e innovación, en: Export & innovation ahead}
    operator: Agence Test
    country: FR
    kind: grant
    scope: joint
    activities: [a_inn, a_exp]
    url: https://example.org/both
    source: https://example.org/both
    description: {fr: Subvention, es: Subvención, en: Grant}
"""


@pytest.fixture(scope="module")
def mini():
    fw = load_framework(MINI)
    cat = parse_catalogue(MINI_CATALOGUE, "mini", fw)
    sheet = AnswerSheet(firm={"id": "f1", "name": "Domaine <Test> & Fils", "country": "FR", "size": "small"},
                        framework="mini", answers={"q1": "yes", "q2": "often", "q3": "no", "q4": "yes", "q5": "sometimes"},
                        assessed_on=dt.date(2025, 3, 12))
    result = diagnose(fw, [sheet], "fr")[0]
    return result, fw, cat


def mini_plan(mini, lang="fr"):
    result, fw, cat = mini
    plan = build_plan(result, fw, cat, start=START, owner="Claire", lang=lang, created_on=dt.date(2026, 11, 23))
    # q3 (priority 1, a_inn): done with the joint programme picked; q5 (priority 2, a_exp): still to do
    q3 = update_action(plan.action("q3"), {"status": "done", "chosen": ["fr_both"]}, today=dt.date(2027, 1, 20))
    return plan.model_copy(update={"actions": [q3, plan.action("q5")]})


def test_mini_plan_proposes_joint_programmes_first(mini):
    plan = mini_plan(mini)
    assert [(a.id, a.rank, a.activity, a.programmes) for a in plan.actions] == [
        ("q3", 1, "a_inn", ["fr_both", "fr_lab"]), ("q5", 2, "a_exp", ["fr_both"])]


def test_plan_view_groups_by_priority_with_programmes_and_progress(mini):
    _result, _fw, cat = mini
    view = plan_view(mini_plan(mini), cat, today=dt.date(2027, 3, 6))
    assert [(g["label"], g["activity"], g["tag"]["label"], g["raises"]) for g in view["groups"]] == [
        ("Priorité 1", "Innovation", "innovation", "fait progresser IIP"),
        ("Priorité 2", "Export", "export", "fait progresser IEP")]
    q3 = view["groups"][0]["actions"][0]
    assert (q3["title"], q3["owner"], q3["due"], q3["status_label"], q3["done_on"], q3["late"]) == (
        "Reco 3", "Claire", "3 février 2027", "Réalisée", "le 20 janvier 2027", False)
    assert q3["programmes"] == [
        {"id": "fr_both", "name": "Cap export & innovation", "operator": "Agence Test", "kind": "subvention",
         "scope": {"id": "joint", "label": "innovation et export"}, "url": "https://example.org/both", "picked": True},
        {"id": "fr_lab", "name": "Labo d'innovation", "operator": "Région Test", "kind": "conseil",
         "scope": {"id": "innovation", "label": "innovation"}, "url": "https://example.org/lab", "picked": False}]
    assert q3["picked"] == ["Cap export & innovation"]
    q5 = view["groups"][1]["actions"][0]
    assert (q5["due"], q5["status_label"], q5["done_on"], q5["late"], q5["picked"]) == (
        "5 mars 2027", "À faire", None, True, [])  # due on 5 March, still to do on the 6th
    assert (view["done"], view["total"]) == (1, 2)
    assert view["progress"] == "Actions réalisées\u00a0: 1 sur 2 (50\u00a0%)"
    assert view["picked"] == "1 sur 2 proposés"
    assert view["catalogue_note"].startswith("Programmes tirés du catalogue « Mini catalogue », vérifié le 2 novembre 2026")
    bare = plan_view(mini_plan(mini))  # without the catalogue: the plan's names only
    assert bare["groups"][0]["actions"][0]["programmes"][0] == {
        "id": "fr_both", "name": "Cap export & innovation", "operator": None, "kind": None, "scope": None,
        "url": None, "picked": True}
    assert bare["catalogue_note"] is None


@pytest.mark.parametrize(("lang", "texts"), [
    ("fr", ["Plan d'action", "Priorité 1", "Responsable", "Échéance", "Réalisée", "le 20 janvier 2027",
            "Actions réalisées\u00a0: 1 sur 2 (50\u00a0%)", "retenu", "subvention", "3 février 2027", "Reco 3"]),
    ("es", ["Plan de acción", "Prioridad 1", "Responsable", "Fecha límite", "Realizada", "el 20 de enero de 2027",
            "Acciones realizadas: 1 de 2 (50\u00a0%)", "elegido", "subvención", "3 de febrero de 2027", "Reco 3"]),
    ("en", ["Action plan", "Priority 1", "Owner", "Due", "Done", "on 20 January 2027",
            "Actions done: 1 of 2 (50%)", "picked", "grant", "3 February 2027", "Advice 3"]),
])
def test_plan_html_in_each_language(mini, lang, texts):
    _result, _fw, cat = mini
    html = plan_html(mini_plan(mini, lang), cat, generated_on=dt.date(2027, 1, 25))
    assert html.startswith("<!DOCTYPE html>") and f'<html lang="{lang}">' in html
    text = html_module.unescape(re.sub(r"<[^>]+>", " ", re.sub(r"<style.*?</style>", " ", html, flags=re.S)))
    for expected in texts:
        assert expected in text, expected
    assert "Domaine <Test> & Fils" in text and "Domaine &lt;Test&gt; &amp; Fils" in html  # escaped
    assert html.count('<li class="prog picked">') == 1 and html.count('<li class="prog">') == 2
    assert '<a href="https://example.org/both">' in html
    assert not re.search(r"\bplan\.[a-z_.]+", text)  # no message key left untranslated


def test_plan_without_actions(mini):
    plan = mini_plan(mini, "en").model_copy(update={"actions": []})
    html = plan_html(plan)
    assert "This plan has no actions." in html and "Actions done: 0 of 0 (0%)" in html


def test_plan_pdf(mini):
    pypdf = pytest.importorskip("pypdf")
    pytest.importorskip("weasyprint")
    _result, _fw, cat = mini
    pdf = plan_pdf(mini_plan(mini), cat, generated_on=dt.date(2027, 1, 25))
    assert pdf.startswith(b"%PDF")
    text = " ".join(" ".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(pdf)).pages).split())
    for expected in ("PLAN D'ACTION", "Domaine <Test> & Fils", "Priorité 1 · Innovation", "Reco 3", "Reco 5",
                     "Actions réalisées : 1 sur 2 (50 %)", "✓ Cap export & innovation retenu", "Labo d'innovation",
                     "Agence Test · subvention", "Page 1 sur 1"):
        assert expected in text, expected


@pytest.mark.parametrize("ext", ["pdf", "html"])
def test_cli_writes_the_plan_document(tmp_path, ext):
    if ext == "pdf":
        pytest.importorskip("weasyprint")
    out = tmp_path / f"plan.{ext}"
    res = runner.invoke(app, ["plan", str(EXAMPLE), "--out", str(out), "--start", "2027-01-04", "--owner", "Claire"])
    assert res.exit_code == 0, res.output
    content = out.read_bytes()
    if ext == "pdf":
        assert content.startswith(b"%PDF")
    else:
        html = html_module.unescape(content.decode())
        assert "Domaine des Trois Collines" in html and "<title>Plan d'action · Domaine des Trois Collines</title>" in html
        assert "Claire" in html and "3 février 2027" in html and "Accélérateurs Bpifrance" in html


# --- the XLSX plan, edited by the firm and read back (issue 11) ---------------------------------------


def test_the_status_is_chosen_from_translated_values(plan) -> None:
    ws = load_workbook(io.BytesIO(xlsx_bytes(plan))).active
    [rule] = ws.data_validations.dataValidation
    fr = translator("fr")
    assert rule.formula1 == '"' + ",".join(fr.t(f"plan.status.{s}") for s in STATUSES) + '"'
    assert str(rule.sqref) == f"F{HEADER_ROWS + 1}:F{HEADER_ROWS + len(plan.actions)}"


def test_an_edited_workbook_is_read_back(plan, tmp_path) -> None:
    path = tmp_path / "plan.xlsx"
    to_xlsx(plan, path)
    assert read_xlsx(path) == plan  # untouched: the same plan
    book = load_workbook(path)
    ws = book.active
    a = next(x for x in plan.actions if len(x.programmes) >= 2)
    r = next(row[0].row for row in ws.iter_rows(min_row=HEADER_ROWS + 1) if row[2].value == a.title)
    ws[f"D{r}"] = "Marta"
    ws[f"F{r}"] = "realizada"  # a Spanish label is read too, in any case
    ws[f"H{r}"] = plan.programme_names[a.programmes[1]].upper()
    ws[f"I{r}"] = dt.datetime(2027, 1, 15)
    book.save(path)
    edited = read_xlsx(path).action(a.id)
    assert (edited.owner, edited.status, edited.chosen, edited.done_on) == (
        "Marta", "done", [a.programmes[1]], dt.date(2027, 1, 15))


@pytest.mark.parametrize(("cell", "value", "message"), [
    ("F", "finished", "cell F{r}: unknown status “finished” (pick one in the list)"),
    ("H", "Nowhere grant", "cell H{r}: “Nowhere grant” is not among the programmes proposed for this action"),
    ("E", "next year", "cell E{r}: "),
    ("C", "another action", "cell C{r}: expected the action"),
])
def test_a_wrong_cell_is_named(plan, tmp_path, cell: str, value: str, message: str) -> None:
    path = tmp_path / "plan.xlsx"
    to_xlsx(plan, path)
    book = load_workbook(path)
    r = HEADER_ROWS + 1
    book.active[f"{cell}{r}"] = value
    book.save(path)
    with pytest.raises(PlanFileError) as exc:
        read_xlsx(path)
    assert f"{path} [Plan], {message.format(r=r)}" in str(exc.value)


def test_a_workbook_that_is_not_a_plan_is_refused(tmp_path) -> None:
    from openpyxl import Workbook

    path = tmp_path / "other.xlsx"
    Workbook().save(path)
    with pytest.raises(PlanFileError, match="not an action plan of innexport"):
        read_xlsx(path)
