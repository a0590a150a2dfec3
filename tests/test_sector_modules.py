"""The sector modules beyond wine (issue 15, "More sectors"): agri-food processing and machinery.

Each shipped module validates, is complete in French, Spanish and English, cites the sources it
lists; its example firm (``examples/sectors/``) is diagnosed end to end from the command line and
its report renders in the example's language; which module a firm gets is one rule
(:func:`innexport.files.frameworks.modules_for_sector`, from each module's ``sectors``), used by the
web application; ``innexport frameworks list --json`` describes every document.
"""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import jsonschema
import pytest
from click.testing import Result
from hypothesis import given
from hypothesis import strategies as st
from typer.testing import CliRunner

from conftest import EXAMPLES, REPO_ROOT
from innexport.cli import _register, app
from innexport.cli.schema import schema_of
from innexport.core.framework import FrameworkError, Module
from innexport.files.answers import read_answers
from innexport.files.classifications import nace_positions, section_of
from innexport.files.frameworks import (
    builtin_combinations,
    builtin_documents,
    builtin_modules,
    load_framework,
    modules_for_sector,
    parse_document,
    parse_text,
    sector_within,
)
from innexport.files.yamlsource import parse_yaml

FRAMEWORKS = REPO_ROOT / "src" / "innexport" / "data" / "frameworks"
SECTOR_EXAMPLES = EXAMPLES / "sectors"
NEW_MODULES = ("agrifood", "machinery")
EXAMPLE_OF = {"agrifood": SECTOR_EXAMPLES / "cl-frutos-del-maule.yaml",
              "machinery": SECTOR_EXAMPLES / "fr-morel-conditionnement.yaml"}

runner = CliRunner()


def invoke(*args: str) -> Result:
    _register()
    return runner.invoke(app, list(args))


def _module(module_id: str) -> Module:
    doc = parse_document(FRAMEWORKS / f"{module_id}.yaml")
    assert isinstance(doc, Module)
    return doc


# --- the modules -----------------------------------------------------------------------------------


@pytest.mark.parametrize("module_id", NEW_MODULES)
def test_each_module_validates_from_the_command_line(module_id: str) -> None:
    result = invoke("frameworks", "validate", str(FRAMEWORKS / f"{module_id}.yaml"))
    assert result.exit_code == 0, result.output
    assert f"valid module {module_id} 1.0.0: module extending iiep 1" in " ".join(result.stdout.split())


@pytest.mark.parametrize("module_id", NEW_MODULES)
def test_every_text_the_module_brings_is_translated(module_id: str) -> None:
    """Three non-empty languages are the model's rule; here, in addition, no question, help or
    recommendation is left in one language under another's key (a copy not translated)."""
    module = _module(module_id)
    observables = [*module.add_observables, *(o for a in module.add_activities for o in a.observables)]
    texts = [o.question for o in observables] + [o.help for o in observables] + [o.recommendation for o in observables]
    texts += [t for a in module.adapt_observables for t in (a.question, a.help, a.recommendation) if t is not None]
    texts += [module.title, module.description, *(a.name for a in module.add_activities)]
    assert len(texts) >= 30
    for text in texts:
        fr, es, en = text["fr"], text["es"], text["en"]
        assert len({fr, es, en}) == 3, text
    # French and Spanish typography of the questions: French puts a space before "?", Spanish opens with "¿"
    for obs in observables:
        assert obs.question["fr"].endswith(" ?") and "¿" in obs.question["es"] and obs.question["en"].endswith("?")


@pytest.mark.parametrize("module_id", NEW_MODULES)
def test_every_source_is_cited_and_the_own_wording_is_marked(module_id: str) -> None:
    module = _module(module_id)
    cited = {s for a in module.adapt_activities for s in a.add_sources} | {
        s for a in module.add_activities for s in a.sources}
    listed = {s.id for s in module.sources}
    assert listed == cited | {f"innexport_{module_id}_team"}, listed ^ cited
    assert all(s.note for s in module.sources)
    team = f"innexport_{module_id}_team"
    assert all(team in a.sources for a in module.add_activities)
    fw = load_framework("iiep", [module_id])
    assert all(src in fw.source_by_id for a in fw.activities for src in a.sources)


def test_the_modules_apply_together_and_keep_every_activity_equal() -> None:
    fw = load_framework("iiep", ["wine", "agrifood", "machinery"])
    assert fw.label == "iiep 1.1.0 + wine 1.1.0 + agrifood 1.0.0 + machinery 1.0.0"
    # 78 framework questions, +15 wine, +11 agri-food, +9 machinery
    assert len(fw.observables) == 78 + 15 + 11 + 9
    # activity_count: each dimension weighs its number of activities, so each of the 27 activities weighs 1/27
    weights = [w / len(d.activities) for d, w in zip(fw.dimensions, fw.dimension_weights(), strict=True)
               for _ in d.activities]
    assert len(weights) == 27 and max(weights) == pytest.approx(min(weights)) == pytest.approx(1 / 27)


# --- which module for which sector -----------------------------------------------------------------


@pytest.mark.parametrize(("code", "modules"), [
    ("11.02", ["wine"]), ("C1102", ["wine"]), ("1102", ["wine"]),
    ("10.39", ["agrifood"]), ("10", ["agrifood"]), ("10.5", ["agrifood"]), ("11.05", ["agrifood"]),
    ("11.07", ["agrifood"]), ("C11.01", ["agrifood"]),
    ("28.29", ["machinery"]), ("28", ["machinery"]), ("28.3", ["machinery"]),
    ("11", []), ("11.0", []), ("C", []), ("25.62", []), ("27.11", []), ("29.10", []), ("62.01", []),
    ("", []), ("   ", []), (None, []), ("99.99", []), ("wine", []),
])
def test_modules_for_sector(code: str | None, modules: list[str]) -> None:
    assert modules_for_sector(code) == modules


def test_no_nace_class_gets_two_modules_and_division_11_splits_between_wine_and_agrifood() -> None:
    classes = [code for code, position in nace_positions().items() if position.level == 4]
    assert len(classes) == 615
    got = {code: modules_for_sector(code) for code in classes}
    assert all(len(m) <= 1 for m in got.values())
    assert {c for c, m in got.items() if m == ["wine"]} == {"11.02"}
    assert {c for c, m in got.items() if m == ["agrifood"]} == {c for c in classes if c[:2] == "10"} | {
        c for c in classes if c[:2] == "11" and c != "11.02"}
    assert {c for c, m in got.items() if m == ["machinery"]} == {c for c in classes if c[:2] == "28"}
    assert modules_for_sector("10.51", framework="another") == []


_POSITIONS = sorted(code for code in nace_positions() if code[0].isdigit())
_CLASSES = sorted(code for code, position in nace_positions().items() if position.level == 4)


_SPELLINGS = ["{code}", "{S}{code}", "{digits}", " {s} {code} "]


@given(st.sampled_from(_CLASSES), st.sampled_from(_POSITIONS), st.sampled_from(_SPELLINGS))
def test_a_class_lies_under_the_positions_its_code_starts_with(code: str, position: str, spelling: str) -> None:
    """Under NACE's numbering, a class lies under a division or group exactly when its code starts with
    theirs (10.11 under 10.1 and 10, not under 10.2): the walk up the parents must agree, however the
    class is written (the section letter, when given, is the class's own)."""
    section = section_of(code)
    written = spelling.format(code=code, digits=code.replace(".", ""), S=section, s=section.lower())
    assert sector_within(written, [position]) == code.startswith(position)
    assert sector_within(written, [section]) and not sector_within(written, [p for p in _POSITIONS if p[:2] != code[:2]])


def test_sector_within_walks_up_the_classification() -> None:
    assert sector_within("10.11", ["10.1"]) and sector_within("10.11", ["10"]) and not sector_within("10.20", ["10.1"])
    assert not sector_within("10", ["10.1"])  # a division is not inside one of its groups


def test_every_shipped_module_names_real_nace_positions() -> None:
    modules = {m.id: m for m in builtin_modules()}
    assert set(NEW_MODULES) | {"wine"} <= set(modules)
    for module in modules.values():
        assert module.sectors and all(code in nace_positions() for code in module.sectors), module.id
    assert ("iiep", ["agrifood"]) in builtin_combinations() and ("iiep", ["machinery"]) in builtin_combinations()
    assert builtin_combinations()[0] == ("iiep", [])


def _module_text(sectors: str) -> str:
    return textwrap.dedent(f"""\
        kind: module
        id: mine
        version: 1.0.0
        extends: {{id: iiep, version: "1"}}
        title: {{fr: Le mien, es: El mío, en: Mine}}
        description: {{fr: Un module, es: Un módulo, en: A module}}
        sectors: {sectors}
        """)


def test_a_module_naming_an_unknown_sector_is_refused_with_its_line() -> None:
    with pytest.raises(FrameworkError) as caught:
        parse_text(_module_text('["10", "99.99"]'), "mine.yaml")
    assert str(caught.value.issues[0]) == (
        "mine.yaml:7: sectors[1]: '99.99' is not a NACE Rev. 2 division, group or class (e.g. 10, 10.5, 11.02)")
    with pytest.raises(FrameworkError) as caught:
        parse_text(_module_text('["C11"]'), "mine.yaml")  # written as NACE writes it, without the section letter
    assert caught.value.issues[0].line == 7 and "sectors" in caught.value.issues[0].location
    assert parse_text(_module_text("[]"), "mine.yaml").sectors == []  # type: ignore[union-attr]


def test_the_published_schema_describes_sectors() -> None:
    schema = schema_of("framework")
    module_schema = schema["$defs"]["Module"]
    assert module_schema["properties"]["sectors"]["items"]["pattern"] == r"^\d{2}(\.\d{1,2})?$"
    validator = jsonschema.Draft202012Validator(schema)
    for module_id in NEW_MODULES:
        data = parse_yaml((FRAMEWORKS / f"{module_id}.yaml").read_text(encoding="utf-8")).data
        assert not list(validator.iter_errors(data)), module_id


def test_the_web_application_picks_the_module_of_the_firms_sector(db: None) -> None:
    from innexport.web import services
    from innexport.web.models import Firm
    from innexport.web.views.assessments import default_framework

    versions = services.register_builtin_frameworks()
    assert sorted(tuple(v.modules) for v in versions) == [(), ("agrifood",), ("machinery",), ("wine",)]
    for sector, modules in [("10.39", ["agrifood"]), ("28.29", ["machinery"]), ("11.02", ["wine"]), ("62.01", [])]:
        chosen = default_framework(Firm(sector=sector), versions)
        assert chosen is not None and list(chosen.modules) == modules and chosen.framework_id == "iiep", sector


# --- the examples ----------------------------------------------------------------------------------


@pytest.mark.parametrize("module_id", NEW_MODULES)
def test_each_example_answers_every_question_of_its_framework(module_id: str) -> None:
    [sheet] = read_answers(EXAMPLE_OF[module_id])
    fw = load_framework("iiep", [module_id])
    assert sheet.modules == [module_id] and modules_for_sector(sheet.firm.sector) == [module_id]
    assert set(sheet.answers) == {o.id for o in fw.observables}
    validator = jsonschema.Draft202012Validator(schema_of("answers"))
    data = parse_yaml(EXAMPLE_OF[module_id].read_text(encoding="utf-8")).data
    assert not list(validator.iter_errors(json.loads(json.dumps(data, default=str))))


def test_the_examples_are_diagnosed_end_to_end(tmp_path: Path) -> None:
    out = tmp_path / "results.json"
    result = invoke("diagnose", *map(str, EXAMPLE_OF.values()), "--out", str(out))
    assert result.exit_code == 0, result.output
    firms = {f["firm"]["id"]: f for f in json.loads(out.read_text(encoding="utf-8"))["firms"]}
    food, machines = firms["cl-frutos-del-maule"], firms["fr-morel-conditionnement"]
    assert food["framework"]["label"] == "iiep 1.1.0 + agrifood 1.0.0"
    assert machines["framework"]["label"] == "iiep 1.1.0 + machinery 1.0.0"
    activity = {(f, a["id"]): a for f, firm in firms.items() for a in firm["activities"]}
    # by hand: food_shelf_life = mean(high 0.75, never 0, full 1) = 0.583333
    assert activity["cl-frutos-del-maule", "food_shelf_life"]["score"] == pytest.approx(1.75 / 3, abs=1e-6)
    # mach_service = mean(low 0.25, partial 0.5, sometimes 0.3333) = 0.361111
    assert activity["fr-morel-conditionnement", "mach_service"]["score"] == pytest.approx((0.25 + 0.5 + 0.3333) / 3,
                                                                                          abs=1e-6)
    # what the headers of the examples announce: the food processor exports better than it innovates,
    # the machine maker the other way round
    assert food["indices"]["iep"]["value"] > food["indices"]["iip"]["value"]
    assert machines["indices"]["iip"]["value"] > machines["indices"]["iep"]["value"]


def test_each_example_report_renders_in_its_language(tmp_path: Path) -> None:
    result = invoke("diagnose", *map(str, EXAMPLE_OF.values()), "--out", f"{tmp_path}/", "--format", "html")
    assert result.exit_code == 0, result.output
    food = (tmp_path / "cl-frutos-del-maule.html").read_text(encoding="utf-8")
    machines = (tmp_path / "fr-morel-conditionnement.html").read_text(encoding="utf-8")
    assert '<html lang="es"' in food and "Vida útil, conservación y cadena de frío" in food
    assert '<html lang="fr"' in machines and "pièces détachées et maintenance" in machines
    assert "Shelf life" not in food and "spare parts" not in machines


# --- frameworks list --json --------------------------------------------------------------------------


def test_frameworks_list_as_json_describes_frameworks_and_modules() -> None:
    result = invoke("frameworks", "list", "--json", "--lang", "fr")
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    assert [r["id"] for r in rows] == sorted(builtin_documents()) and {"agrifood", "machinery", "wine"} <= {
        r["id"] for r in rows}
    by_id = {r["id"]: r for r in rows}
    for row in rows:
        doc = parse_document(builtin_documents()[row["id"]])
        assert set(row["titles"]) == {"fr", "es", "en"} and row["title"] == row["titles"]["fr"] == doc.title["fr"]
        assert row["content_hash"] == doc.content_hash and row["content_hash"].startswith("sha256:")
        assert row["version"] == doc.version and row["kind"] == doc.kind
    assert by_id["iiep"]["kind"] == "framework" and by_id["iiep"]["questions"] == 78 and "sectors" not in by_id["iiep"]
    food = by_id["agrifood"]
    assert food["sectors"] == ["10", "11.01", "11.03", "11.04", "11.05", "11.06", "11.07"]
    assert food["extends"] == "iiep 1" and food["content"] == "+1 activities, +11 questions, 2 adapted, -0 removed"
    assert food["applied"] == {"label": "iiep 1.1.0 + agrifood 1.0.0", "questions": 89,
                               "content_hash": load_framework("iiep", ["agrifood"]).content_hash}
    assert by_id["machinery"]["sectors"] == ["28"] and by_id["wine"]["sectors"] == ["11.02"]
    assert by_id["machinery"]["titles"]["es"] == "Módulo maquinaria — pymes fabricantes de maquinaria"
    # the same list twice: stable
    assert invoke("frameworks", "list", "--json", "--lang", "fr").stdout == result.stdout


def test_frameworks_list_as_a_table_shows_the_sectors() -> None:
    result = invoke("frameworks", "list", "--lang", "es")
    assert result.exit_code == 0, result.output
    assert "machinery" in result.stdout and "agrifood" in result.stdout and "11.02" in result.stdout
