"""Support programmes for the sector modules' own activities (issue 15).

A catalogue's programmes may name the activities of ``iiep`` with every shipped sector module applied
together (:func:`innexport.support.programmes.catalogue_framework`, the rule's one home), so that a
programme can help with agri-food's ``food_shelf_life`` or machinery's ``mach_service``. A plan still
matches programmes to the firm's own priorities in the firm's own framework: the agri-food example
firm meets a shelf-life programme, a wine firm never does. Unknown ids are refused as before, naming
the file and line.

Counts are worked out by hand from the shipped files: ``iiep`` has 24 activities and 78 questions;
``agrifood`` adds one activity with 3 questions and 8 questions to existing activities, ``machinery``
one activity with 3 and 6 more, ``wine`` one activity with 3 and 12 more (no module removes one):
24 + 3 = 27 activities and 78 + (3 + 8) + (3 + 6) + (3 + 12) = 113 questions together.
"""

from __future__ import annotations

import itertools
import json
import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from innexport.cli import _register, app
from innexport.files.frameworks import builtin_combinations, builtin_modules, load_framework
from innexport.support.programmes import (
    ProgrammeError,
    activity_modules,
    catalogue_activity_ids,
    catalogue_framework,
    catalogue_modules,
    load_catalogue,
    validate_programme,
)

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src" / "innexport"
FRUTOS = ROOT / "examples" / "sectors" / "cl-frutos-del-maule.yaml"  # agri-food, CL, Maule, 10.39, medium
MOREL = ROOT / "examples" / "sectors" / "fr-morel-conditionnement.yaml"  # machinery, FR, Auvergne-Rhône-Alpes, small
CERRO_ALTO = ROOT / "examples" / "cl-vina-cerro-alto.yaml"  # wine, CL, Maule, 11.02, small
RULE = "iiep with its sector modules agrifood, machinery, wine"

runner = CliRunner()


def run(*args: str):
    _register()
    return runner.invoke(app, list(args))


# --- the rule: which activities a catalogue may name -------------------------------------------------


def test_the_modules_are_every_shipped_module_of_iiep() -> None:
    assert catalogue_modules() == ["agrifood", "machinery", "wine"]
    assert catalogue_modules() == sorted(m for base, mods in builtin_combinations() if base == "iiep" for m in mods)
    assert [m.id for m in catalogue_framework().modules] == catalogue_modules()


def test_the_activities_accepted_are_the_union_of_the_builtin_modules() -> None:
    union = set().union(*(load_framework(base, mods).activity_by_id for base, mods in builtin_combinations()
                          if base == "iiep"))
    assert catalogue_activity_ids() == union
    fw = catalogue_framework()
    assert (len(fw.activities), len(fw.observables)) == (27, 113)  # by hand, see the module docstring
    assert len(load_framework("iiep").activities) == 24
    assert set(catalogue_activity_ids()) - set(load_framework("iiep").activity_by_id) == {
        "food_shelf_life", "mach_service", "wine_tourism"}
    assert activity_modules() == {"food_shelf_life": "agrifood", "mach_service": "machinery", "wine_tourism": "wine"}


def test_the_modules_applied_together_do_not_conflict() -> None:
    """In any order the three modules give the same activities and questions, each added activity in the
    dimension its module names, each module's questions intact."""
    shapes = set()
    for order in itertools.permutations(catalogue_modules()):
        fw = load_framework("iiep", list(order))
        shapes.add((frozenset(fw.activity_by_id), frozenset(fw.observable_by_id)))
    assert len(shapes) == 1
    fw = catalogue_framework()
    dimension_of = {a.id: d.id for d in fw.dimensions for a in d.activities}
    for module in builtin_modules():
        alone = load_framework("iiep", [module.id])
        assert set(alone.observable_by_id) <= set(fw.observable_by_id)
        for added in module.add_activities:
            assert dimension_of[added.id] == added.dimension
            assert [o.id for o in fw.activity_by_id[added.id].observables] == [o.id for o in added.observables]


def test_the_rule_has_one_home() -> None:
    """Only :func:`catalogue_framework` says which framework a catalogue's ids refer to: the command and
    the web pages of the catalogue take it from there."""
    core = (SRC / "support" / "programmes.py").read_text(encoding="utf-8")
    assert core.count("load_framework(") == 1 and "return load_framework(CATALOGUE_BASE, catalogue_modules())" in core
    for path in (SRC / "web" / "views" / "programmes.py", SRC / "cli" / "programmes.py"):
        text = path.read_text(encoding="utf-8")
        assert "load_framework" not in text and '["wine"]' not in text, path
    assert '["wine"]' not in core


ENTRY = {"id": "p_test", "name": {"es": "Programa"}, "operator": "Op", "country": "CL", "kind": "advice",
         "scope": "joint", "url": "https://example.org/p", "source": "https://example.org/source",
         "description": {"es": "Descripción"}}


@settings(max_examples=40, deadline=None)
@given(st.sampled_from(sorted(catalogue_activity_ids())))
def test_every_activity_of_the_rule_is_accepted(activity: str) -> None:
    assert validate_programme({**ENTRY, "activities": [activity]}).activities == [activity]


@settings(max_examples=40, deadline=None)
@given(st.from_regex(r"\A[a-z][a-z0-9_]{0,30}\Z").filter(lambda s: s not in catalogue_activity_ids()))
def test_any_other_id_is_refused_naming_the_rule(activity: str) -> None:
    with pytest.raises(ProgrammeError) as info:
        validate_programme({**ENTRY, "activities": ["food_shelf_life", activity]})
    [problem] = info.value.problems
    assert problem.path == ("activities", 1) and problem.value == activity
    assert problem.message == f"unknown activity '{activity}' (not an activity of {RULE})"


def test_a_narrower_framework_given_explicitly_still_refuses_the_sector_activities() -> None:
    wine = load_framework("iiep", ["wine"])
    with pytest.raises(ProgrammeError) as info:
        validate_programme({**ENTRY, "activities": ["wine_tourism", "food_shelf_life"]}, wine)
    assert [str(p) for p in info.value.problems] == [
        f"activities → 1: unknown activity 'food_shelf_life' (not an activity of {wine.label})"]


# --- the shipped catalogue -------------------------------------------------------------------------------


def test_the_shipped_catalogue_serves_each_new_sector_activity() -> None:
    cat = load_catalogue()
    serving = {a: sorted(p.id for p in cat.programmes if a in p.activities) for a in ("food_shelf_life", "mach_service")}
    assert serving == {"food_shelf_life": ["cl_corfo_focal"], "mach_service": ["fr_ara_soutien_vie"]}
    focal, vie = cat.by_id["cl_corfo_focal"], cat.by_id["fr_ara_soutien_vie"]
    assert (focal.country, focal.region, focal.kind, focal.eligibility.sizes) == ("CL", None, "grant",
                                                                                  ["micro", "small", "medium"])
    assert (vie.country, vie.region, vie.kind, vie.eligibility.sizes) == ("FR", "Auvergne-Rhône-Alpes", "grant",
                                                                          ["micro", "small", "medium"])
    assert focal.source.startswith("https://www.corfo.cl/") and vie.source.startswith("https://www.teamfrance-export.fr/")
    for p in (focal, vie):
        assert all(p.name.has(lang) and p.description.has(lang) for lang in ("fr", "es", "en")), p.id


# --- plans: the firm's own priorities, in the firm's own framework (end to end) --------------------------


def _catalogue(tmp_path: Path, entries: list[dict[str, object]]) -> Path:
    lines = ["kind: catalogue", "id: sectors_test", "version: 1.0.0", "as_of: 2026-12-01", "programmes:"]
    for e in entries:
        lines += [f"  - id: {e['id']}", f"    name: {{es: {e['name']}}}", "    operator: Op",
                  f"    country: {e.get('country', 'CL')}", "    kind: advice", f"    scope: {e['scope']}",
                  f"    activities: [{', '.join(e['activities'])}]",  # type: ignore[arg-type]
                  f"    eligibility: {e.get('eligibility', '{}')}",
                  f"    url: https://example.org/{e['id']}", "    source: https://example.org/source",
                  "    description: {es: D}"]
    path = tmp_path / "sectors.yaml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def sector_catalogue(tmp_path: Path) -> Path:
    base = sorted(load_framework("iiep").activity_by_id)
    return _catalogue(tmp_path, [
        {"id": "cl_shelf_life_lab", "name": "B laboratorio", "scope": "innovation", "activities": ["food_shelf_life"]},
        {"id": "cl_cold_chain", "name": "Z cadena de frío", "scope": "joint",
         "activities": ["food_shelf_life", "exp_logistics_compliance"]},
        {"id": "fr_shelf_life", "name": "A durée de vie", "scope": "joint", "country": "FR",
         "activities": ["food_shelf_life"]},  # another country
        {"id": "cl_wine_shelf_life", "name": "A vino", "scope": "joint", "activities": ["food_shelf_life"],
         "eligibility": "{sectors: ['11.02']}"},  # wineries only: not for a fruit processor
        {"id": "cl_everything", "name": "M todo", "scope": "export", "activities": base},  # every firm's activities
    ])


def _plan(answers: Path, out: Path, catalogue: Path | str) -> dict:
    res = run("plan", str(answers), "--out", str(out), "--start", "2027-01-04", "--catalogue", str(catalogue))
    assert res.exit_code == 0, res.output
    return json.loads(out.read_text(encoding="utf-8"))


def _proposed(plan: dict) -> dict[str, list[str]]:
    return {a["activity"]: a["programmes"] for a in plan["actions"]}


def test_an_agrifood_firm_gets_the_programme_for_its_shelf_life_priority(tmp_path: Path, sector_catalogue: Path) -> None:
    plan = _plan(FRUTOS, tmp_path / "plan.json", sector_catalogue)
    proposed = _proposed(plan)
    assert "agrifood" in plan["framework"] and "food_shelf_life" in proposed  # its 4th priority
    # joint first, then by tag (food_shelf_life is joint: the innovation one after); FR and wine-only ones out
    assert proposed["food_shelf_life"] == ["cl_cold_chain", "cl_shelf_life_lab"]
    assert plan["programme_names"]["cl_shelf_life_lab"] == "B laboratorio"
    assert all(p == ["cl_everything"] for a, p in proposed.items() if a != "food_shelf_life")


def test_a_wine_firm_never_gets_a_programme_for_shelf_life(tmp_path: Path, sector_catalogue: Path) -> None:
    plan = _plan(CERRO_ALTO, tmp_path / "plan.json", sector_catalogue)
    proposed = _proposed(plan)
    assert "food_shelf_life" not in load_framework("iiep", ["wine"]).activity_by_id  # why: not in its framework
    assert "agrifood" not in plan["framework"] and "food_shelf_life" not in proposed
    offered = {p for ps in proposed.values() for p in ps}
    assert "cl_everything" in offered  # the catalogue is read and the firm eligible...
    assert "cl_shelf_life_lab" not in offered and "cl_wine_shelf_life" not in offered  # ...but never for shelf life


def test_the_shipped_catalogue_meets_the_example_firms_sector_priorities(tmp_path: Path) -> None:
    frutos = _proposed(_plan(FRUTOS, tmp_path / "frutos.json", "programmes"))
    assert frutos["food_shelf_life"] == ["cl_corfo_focal"]
    morel = _proposed(_plan(MOREL, tmp_path / "morel.json", "programmes"))
    assert morel["mach_service"] == ["fr_ara_soutien_vie"]


# --- refusals: unchanged for unknown ids ---------------------------------------------------------------


def test_an_unknown_id_is_refused_naming_the_file_and_line(tmp_path: Path) -> None:
    path = _catalogue(tmp_path, [
        {"id": "cl_ok", "name": "Bien", "scope": "joint", "activities": ["food_shelf_life"]},
        {"id": "cl_typo", "name": "Error", "scope": "joint", "activities": ["mach_service", "food_shelf_lives"]},
    ])
    line = 5 + 11 + 7  # the header's 5 lines, the first entry's 11, the 7th line of the second (its activities)
    assert path.read_text(encoding="utf-8").splitlines()[line - 1] == "    activities: [mach_service, food_shelf_lives]"
    where = (f"{path}:{line}: programmes[1] (cl_typo) → activities[1]: unknown activity 'food_shelf_lives' "
             f"(not an activity of {RULE})")
    res = run("plan", str(FRUTOS), "--out", str(tmp_path / "plan.json"), "--catalogue", str(path))
    assert res.exit_code == 2 and where in " ".join(res.output.split()), res.output
    assert not (tmp_path / "plan.json").exists()
    res = run("programmes", "validate", str(path))  # the validate commands' code for an invalid document: 1
    assert res.exit_code == 1 and "1 problem(s)" in res.output and where in " ".join(res.output.split()), res.output
    res = run("programmes", "list", "--catalogue", str(path))
    assert res.exit_code == 1 and where in " ".join(res.output.split())


def test_validate_says_what_the_ids_were_checked_against() -> None:
    res = run("programmes", "validate", str(SRC / "data" / "catalogues" / "programmes.yaml"))
    assert res.exit_code == 0
    text = " ".join(res.output.split())
    assert re.search(r"valid catalogue programmes 1\.2\.0 \(as of 2026-12-06\): 31 programmes \(AR 8, CL 11, FR 12\)", text)
    assert f"activities checked against {RULE}" in text
