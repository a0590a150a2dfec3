"""The catalogue of support programmes: validation, eligibility, proposals and the CLI."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

import innexport.cli.programmes
from innexport.cli import app
from innexport.files.frameworks import load_framework
from innexport.support.programmes import (
    Catalogue,
    CatalogueError,
    eligible,
    firm_age,
    is_eligible,
    load_catalogue,
    parse_catalogue,
    proposals,
)

runner = CliRunner()
TODAY = dt.date(2026, 11, 23)

ENTRY = """\
  - id: {id}
    name: {{fr: Nom, es: Nombre, en: {name}}}
    operator: Op
    country: {country}
    kind: {kind}
    scope: {scope}
    activities: [{activities}]
    eligibility: {eligibility}
    url: https://example.org/
    source: https://example.org/source
    description: {{fr: D, es: D, en: D}}
"""
HEADER = "kind: catalogue\nid: test\nversion: 1.0.0\nas_of: 2026-11-23\nprogrammes:\n"


def entry(id: str = "p1", name: str = "P", country: str = "FR", kind: str = "grant", scope: str = "innovation",
          activities: str = "inn_development", eligibility: str = "{}") -> str:
    return ENTRY.format(id=id, name=name, country=country, kind=kind, scope=scope, activities=activities,
                        eligibility=eligibility)


def catalogue(*entries: str) -> Catalogue:
    return parse_catalogue(HEADER + "".join(entries), "test.yaml")


# --- the shipped catalogue ------------------------------------------------------------------


def test_shipped_catalogue_is_dated_sourced_and_covers_fr_cl_ar():
    cat = load_catalogue()
    assert cat.as_of == dt.date(2026, 12, 6)
    assert cat.note is not None
    assert set(cat.countries()) >= {"FR", "CL", "AR"}
    for country in ("FR", "CL", "AR"):
        assert sum(p.country == country for p in cat.programmes) >= 8
    assert all(p.source.startswith("https://") for p in cat.programmes)
    assert {p.scope for p in cat.programmes} == {"innovation", "export", "joint"}


# --- validation ---------------------------------------------------------------------------


def _issues(text: str) -> list:
    with pytest.raises(CatalogueError) as info:
        parse_catalogue(text, "bad.yaml")
    return info.value.issues


def test_unknown_activity_names_file_line_entry_and_id():
    text = HEADER + entry("ok") + entry("bad_one", activities="inn_development, no_such_activity")
    [issue] = _issues(text)
    assert issue.file == "bad.yaml"
    assert "programmes[1] (bad_one)" in issue.location and "activities[1]" in issue.location
    assert "no_such_activity" in issue.message
    assert text.splitlines()[issue.line - 1].strip().startswith("activities:")
    assert str(issue).startswith(f"bad.yaml:{issue.line}: ")


@pytest.mark.parametrize(("change", "field", "line_starts"), [
    ({"kind": "lottery"}, "kind", "kind:"),
    ({"country": "France"}, "country", "country:"),
    ({"country": "fr"}, "country", "country:"),
    ({"eligibility": "{sizes: [huge]}"}, "sizes", "eligibility:"),
    ({"eligibility": "{min_age: 5, max_age: 2}"}, "eligibility", "eligibility:"),
])
def test_bad_field_names_entry_and_field(change, field, line_starts):
    text = HEADER + entry("ok") + entry("broken", **change)
    issues = _issues(text)
    assert len(issues) == 1
    issue = issues[0]
    assert issue.file == "bad.yaml" and "(broken)" in issue.location and field in issue.location
    assert text.splitlines()[issue.line - 1].strip().startswith(line_starts)


def test_a_name_in_no_language_is_refused_and_one_language_is_enough():
    text = HEADER + entry("ok").replace("{fr: Nom, es: Nombre, en: P}", "{fr: '', es: ' '}")
    [issue] = _issues(text)
    assert "(ok) → name" in issue.location and "needed in at least one language" in issue.message
    assert text.splitlines()[issue.line - 1].strip().startswith("name:")
    # a local programme may be written in one language: shown in another, it falls back to one it has
    one = parse_catalogue(HEADER + entry("ok").replace("{fr: Nom, es: Nombre, en: P}", "{fr: Nom, en: P}"))
    name = one.programmes[0].name
    assert name.languages == ("fr", "en") and name.get("es") == "P" and name["fr"] == "Nom"


def test_duplicate_id_points_at_the_second_entry():
    text = HEADER + entry("same") + entry("other") + entry("same")
    [issue] = _issues(text)
    assert "programmes[2] (same)" in issue.location and "duplicated" in issue.message
    assert issue.line == len(HEADER.splitlines()) + 2 * len(entry().splitlines()) + 1
    # built directly (without the file pre-check) the model still refuses duplicates
    data = yaml.safe_load(text)
    with pytest.raises(ValueError, match="duplicated programme id"):
        Catalogue.model_validate(data)


def test_every_problem_is_reported_and_missing_date():
    text = "kind: catalogue\nid: test\nversion: 1.0.0\nprogrammes:\n" + entry("a", kind="x") + entry("b", scope="y")
    issues = _issues(text)
    assert len(issues) == 3
    assert any("as_of" in i.message for i in issues)


# --- eligibility ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def cat() -> Catalogue:
    return catalogue(
        entry("smes", name="Smes", eligibility="{sizes: [micro, small, medium]}"),
        entry("wine", name="Wine", eligibility="{sectors: [C11, '01.21']}"),
        entry("young", name="Young", eligibility="{max_age: 7}"),
        entry("mature", name="Mature", eligibility="{min_age: 3}"),
        entry("regional", name="Regional", eligibility="{regions: [Occitanie]}"),
        entry("chile", name="Chile", country="CL"),
    )


def ids(programmes) -> list[str]:
    return [p.id for p in programmes]


def test_size_sector_age_region_and_country(cat):
    base = {"country": "FR", "region": "Occitanie", "size": "small", "sector": "C11.02", "founded": 2021}
    assert ids(eligible(cat, base, today=TODAY)) == ["mature", "regional", "smes", "wine", "young"]
    assert "smes" not in ids(eligible(cat, {**base, "size": "large"}, today=TODAY))
    assert "wine" not in ids(eligible(cat, {**base, "sector": "C10.1"}, today=TODAY))
    assert "wine" in ids(eligible(cat, {**base, "sector": "1102"}, today=TODAY))
    assert "wine" in ids(eligible(cat, {**base, "sector": "A01.21"}, today=TODAY))
    assert "young" not in ids(eligible(cat, {**base, "founded": 2010}, today=TODAY))
    assert "mature" not in ids(eligible(cat, {**base, "founded": "2025-01-01"}, today=TODAY))
    assert "regional" not in ids(eligible(cat, {**base, "region": "Bretagne"}, today=TODAY))
    assert ids(eligible(cat, {**base, "country": "cl"}, today=TODAY)) == ["chile"]
    # what the firm does not say does not exclude it
    assert len(eligible(cat, {"country": "FR"}, today=TODAY)) == 5


def test_age_bounds_are_inclusive():
    assert firm_age(dt.date(2019, 11, 23), TODAY) == 7
    assert firm_age(dt.date(2019, 11, 24), TODAY) == 6
    young = catalogue(entry("y", eligibility="{max_age: 7}")).programmes[0]
    assert is_eligible(young, {"founded": "2019-11-23"}, TODAY)
    assert not is_eligible(young, {"founded": "2018-11-23"}, TODAY)


def test_national_programme_vs_regional_one():
    text = HEADER + entry("national") + entry("occ").replace("    country: FR\n", "    country: FR\n    region: Occitanie\n")
    cat = parse_catalogue(text)
    assert ids(eligible(cat, {"country": "FR", "region": "occitanie"})) == ["national", "occ"]
    assert ids(eligible(cat, {"country": "FR", "region": "Bretagne"})) == ["national"]


def test_joint_first_then_matching_scope_then_name():
    cat = catalogue(
        entry("a_inn", name="A", scope="innovation", activities="inn_development, strat_global"),
        entry("b_exp", name="B", scope="export", activities="inn_development, strat_global"),
        entry("z_joint", name="Z", scope="joint", activities="inn_development, strat_global"),
        entry("c_other", name="C", scope="joint", activities="ip_protection"),
    )
    assert ids(eligible(cat, {"country": "FR"})) == ["c_other", "z_joint", "a_inn", "b_exp"]
    assert ids(eligible(cat, {"country": "FR"}, "inn_development")) == ["z_joint", "a_inn", "b_exp"]
    export_tag = next(a.id for a in load_framework("iiep", ["wine"]).activities if a.tag == "export")
    cat2 = catalogue(entry("i", name="A", scope="innovation", activities=export_tag),
                     entry("e", name="B", scope="export", activities=export_tag),
                     entry("j", name="C", scope="joint", activities=export_tag))
    assert ids(eligible(cat2, {"country": "FR"}, export_tag)) == ["j", "e", "i"]


def test_unknown_priority_activity_is_an_error(cat):
    with pytest.raises(CatalogueError, match="unknown activity 'nope'"):
        eligible(cat, {"country": "FR"}, "nope")


def test_proposals_per_priority_on_the_shipped_catalogue():
    firm = {"country": "CL", "size": "micro", "sector": "C1102", "founded": 2015}
    plan = proposals(load_catalogue(), firm, ["skills_management", "ip_protection", "wine_tourism"], today=TODAY)
    assert list(plan) == ["skills_management", "ip_protection", "wine_tourism"]
    assert plan["skills_management"][0].scope == "joint"
    assert all(p.country == "CL" and "skills_management" in p.activities for p in plan["skills_management"])
    assert ids(plan["ip_protection"]) == ["cl_inapi_orientacion"]
    assert plan["wine_tourism"] == []
    medium = proposals(load_catalogue(), {**firm, "size": "medium"}, ["skills_management"], today=TODAY)
    assert "cl_sercotec_centros_negocios" not in ids(medium["skills_management"])


# --- command line ---------------------------------------------------------------------------


@pytest.fixture(autouse=False)
def wide(monkeypatch):
    monkeypatch.setattr(innexport.cli.programmes.console, "width", 250)
    monkeypatch.setattr(innexport.cli.programmes.err, "width", 250)


def test_cli_validate_ok_and_bad(tmp_path: Path, wide):
    from innexport.support.programmes import builtin_catalogues

    ok = runner.invoke(app, ["programmes", "validate", str(builtin_catalogues()["programmes"])])
    assert ok.exit_code == 0, ok.output
    assert "valid" in ok.output and "2026-12-06" in ok.output
    bad = tmp_path / "bad.yaml"
    bad.write_text(HEADER + entry("x", kind="lottery") + entry("y", activities="nope"), encoding="utf-8")
    res = runner.invoke(app, ["programmes", "validate", str(bad)])
    assert res.exit_code == 1
    assert "2 problem(s)" in res.output and "(x)" in res.output and "nope" in res.output


def test_cli_list_table_and_json(wide):
    res = runner.invoke(app, ["programmes", "list", "--country", "AR", "--lang", "es"])
    assert res.exit_code == 0, res.output
    assert "ar_fontar" in res.output and "fr_cir" not in res.output
    res = runner.invoke(app, ["programmes", "list", "--country", "fr", "--scope", "joint", "--json"])
    assert res.exit_code == 0, res.output
    data = json.loads(res.output)
    assert data["as_of"] == "2026-12-06"
    assert data["programmes"] and all(p["country"] == "FR" and p["scope"] == "joint" for p in data["programmes"])


# --- one entry as a mapping, ids already taken, writing a catalogue ----------------------------


def _entry_dict(**changes) -> dict:
    data = {"id": "occ_pass", "name": {"fr": "Pass", "es": "Pase", "en": "Pass"}, "operator": "AD'OCC",
            "country": "FR", "region": "Occitanie", "kind": "grant", "scope": "joint",
            "activities": ["net_weak_ties", "strat_global"],
            "eligibility": {"sizes": ["micro"], "sectors": ["C11"], "min_age": None, "max_age": 10, "regions": []},
            "url": "https://example.org/", "source": "https://example.org/source",
            "description": {"fr": "D", "es": "D", "en": "D"}}
    data.update(changes)
    return data


def test_validate_programme_accepts_a_good_entry():
    from innexport.support.programmes import validate_programme

    programme = validate_programme(_entry_dict())
    assert programme.id == "occ_pass" and programme.eligibility.max_age == 10
    assert programme.model_dump(mode="json") == _entry_dict()


def test_validate_programme_names_each_field():
    from innexport.support.programmes import ProgrammeError, validate_programme

    with pytest.raises(ProgrammeError) as info:
        validate_programme(_entry_dict(url="www.example.org", country="fr", activities=["strat_global", "nope"],
                                       name={"fr": " ", "en": ""}), taken={"occ_pass": "the shipped catalogue"})
    got = [(p.path, p.kind, p.value) for p in info.value.problems]
    assert got == [
        (("id",), "taken", "occ_pass"),
        (("name",), "value_error", {"fr": " ", "en": ""}),
        (("country",), "string_pattern_mismatch", "fr"),
        (("activities", 1), "value_error", "nope"),
        (("url",), "string_pattern_mismatch", "www.example.org"),
    ]
    messages = [p.message for p in info.value.problems]
    assert messages[0] == "programme id 'occ_pass' is already used by the shipped catalogue"
    assert messages[1] == "needed in at least one language (fr, es, en)"
    assert messages[3].startswith("unknown activity 'nope'")
    assert str(info.value.problems[3]) == ("activities → 1: unknown activity 'nope' (not an activity of iiep with its "
                                           "sector modules agrifood, machinery, wine)")
    assert isinstance(info.value, CatalogueError) and len(info.value.issues) == 5


def test_validate_programme_age_bounds_and_missing_fields():
    from innexport.support.programmes import ProgrammeError, validate_programme

    with pytest.raises(ProgrammeError) as info:
        validate_programme(_entry_dict(eligibility={"min_age": 9, "max_age": 2}))
    [problem] = info.value.problems
    assert problem.path == ("eligibility",) and problem.message == "min_age (9) must not exceed max_age (2)"
    assert problem.value == {"min_age": 9, "max_age": 2}
    data = _entry_dict()
    del data["operator"]
    with pytest.raises(ProgrammeError) as info:
        validate_programme({**data, "activities": [], "extra": 1})
    assert [(p.path, p.kind, p.message) for p in info.value.problems] == [
        (("operator",), "missing", "required field 'operator' is missing"),
        (("activities",), "too_short", "List should have at least 1 item after validation, not 0"),
        (("extra",), "extra_forbidden", "unknown field 'extra'"),
    ]


def test_parse_catalogue_refuses_taken_ids_at_their_line():
    text = HEADER + entry("fresh") + entry("fr_cir") + entry("also_fresh")
    with pytest.raises(CatalogueError) as info:
        parse_catalogue(text, "mine.yaml", taken={"fr_cir": "a programme of the shipped catalogue"})
    [issue] = info.value.issues
    assert issue.file == "mine.yaml" and issue.location == "programmes[1] (fr_cir) → id"
    assert issue.message == "programme id 'fr_cir' is already used by a programme of the shipped catalogue"
    assert issue.line == len(HEADER.splitlines()) + len(entry().splitlines()) + 1
    assert text.splitlines()[issue.line - 1] == "  - id: fr_cir"
    assert parse_catalogue(text).programmes[1].id == "fr_cir"  # nothing taken: accepted


def test_dump_catalogue_round_trips():
    from innexport.support.programmes import dump_catalogue

    shipped = load_catalogue()
    text = dump_catalogue(shipped, "first line\n\nthird line")
    assert text.startswith("# first line\n#\n# third line\nformat_version: 1\nkind: catalogue\nid: programmes\nversion: 1.2.0\n"
                           "as_of: 2026-12-06\n")
    assert parse_catalogue(text) == shipped
    small = catalogue(entry("plain"), entry("young", eligibility="{max_age: 7}"))
    text = dump_catalogue(small)
    data = yaml.safe_load(text)
    assert "eligibility" not in data["programmes"][0] and "region" not in data["programmes"][0]
    assert data["programmes"][1]["eligibility"] == {"max_age": 7}
    assert parse_catalogue(text) == small


def test_the_catalogue_example_of_the_docs_is_valid() -> None:
    """docs/support.md shows a local catalogue: it must stay a valid one."""
    import re

    doc = (Path(__file__).resolve().parents[1] / "docs" / "support.md").read_text(encoding="utf-8")
    example = re.search(r"```yaml\n(.*?)```", doc, re.S).group(1).replace('"..."', '"Text."')
    catalogue = parse_catalogue(example, "docs/support.md")
    programme = catalogue.programmes[0]
    assert (catalogue.id, programme.scope, programme.region) == ("my_region", "joint", "Nouvelle-Aquitaine")
    assert is_eligible(programme, {"country": "FR", "region": "Nouvelle-Aquitaine", "size": "small",
                                   "sector": "11.02", "founded": 2020}, dt.date(2026, 11, 23))
    assert not is_eligible(programme, {"country": "FR", "region": "Bretagne"}, dt.date(2026, 11, 23))
