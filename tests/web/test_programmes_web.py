"""The programmes catalogue in the web app, and organisations' own local programmes."""

from __future__ import annotations

import pytest
import yaml
from django.urls import reverse
from django.utils import formats, translation
from typer.testing import CliRunner

import innexport.cli.programmes  # noqa: F401 - registers `programmes` on the app
from innexport.cli import app
from innexport.support.programmes import Programme, parse_catalogue
from innexport.web import services
from innexport.web.models import AuditEntry, LocalProgramme, Membership

pytestmark = pytest.mark.django_db

PID = "occ_export_pass"


def form_data(**changes) -> dict:
    data = {
        "id": PID,
        "name_fr": "Pass Export Occitanie", "name_es": "Pase Exportación Occitania", "name_en": "Occitanie export pass",
        "operator": "AD'OCC", "country": "fr", "region": "Occitanie", "kind": "grant", "scope": "joint",
        "activities": ["net_weak_ties", "strat_global"], "sizes": ["micro", "small"], "sectors": "C11, 01.21",
        "min_age": "", "max_age": "10", "regions": "Occitanie",
        "url": "https://www.agence-adocc.com/", "source": "https://www.agence-adocc.com/source",
        "description_fr": "Aide régionale", "description_es": "Ayuda regional", "description_en": "Regional aid",
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def add_local(org, **changes) -> LocalProgramme:
    response = org.client("advisor").post(reverse("programme-create"), form_data(**changes))
    assert response.status_code == 302, response.content.decode()[:3000]
    return LocalProgramme.objects.get(organisation=org.organisation, programme_id=changes.get("id", PID))


def shown_ids(response) -> list[str]:
    return [p["id"] for p in response.context["programmes"]]


# --- the catalogue ---------------------------------------------------------------------------


@pytest.mark.parametrize(("params", "count"), [
    ({}, 31),
    ({"country": "FR"}, 12),
    ({"country": "cl"}, 11),
    ({"country": "AR"}, 8),
    ({"scope": "joint"}, 6),
    ({"scope": "innovation"}, 12),
    ({"kind": "tax_credit"}, 6),
    ({"country": "CL", "scope": "joint"}, 2),
    ({"origin": "shipped"}, 31),
    ({"origin": "local"}, 0),
    ({"country": "DE"}, 0),
])
def test_list_counts_of_the_shipped_catalogue(org_a, params, count) -> None:
    response = org_a.client("analyst").get(reverse("programme-list"), params)
    assert response.status_code == 200
    assert len(shown_ids(response)) == count
    assert response.content.decode().count('<tr class="programme"') == count


def test_list_filters_by_activity_and_text(org_a) -> None:
    c = org_a.client()
    shipped = services.builtin_catalogue().programmes
    by_activity = shown_ids(c.get(reverse("programme-list"), {"activity": "skills_management"}))
    assert sorted(by_activity) == sorted(p.id for p in shipped if "skills_management" in p.activities)
    assert "fr_bpi_accelerateurs" in by_activity and "fr_cir" not in by_activity
    assert shown_ids(c.get(reverse("programme-list"), {"q": "CIR)"})) == ["fr_cir"]  # name, any case
    assert shown_ids(c.get(reverse("programme-list"), {"q": "urssaf"})) == ["fr_jei"]  # operator
    add_local(org_a)
    assert shown_ids(c.get(reverse("programme-list"), {"q": "occitanie"})) == [PID]  # region, name
    assert shown_ids(c.get(reverse("programme-list"), {"q": "ayuda regional"})) == [PID]  # description, any language
    by_activity = shown_ids(c.get(reverse("programme-list"), {"activity": "net_weak_ties", "scope": "joint",
                                                              "country": "FR", "kind": "grant"}))
    assert by_activity == [PID]
    # joint programmes first within a country
    cl = c.get(reverse("programme-list"), {"country": "CL"}).context["programmes"]
    assert len(cl) == 11 and [p["scope"] for p in cl[:2]] == ["joint"] * 2
    assert "joint" not in {p["scope"] for p in cl[2:]}


def test_list_shows_operator_eligibility_links_in_the_users_language(org_a) -> None:
    add_local(org_a)
    page = org_a.client().get(reverse("programme-list"), {"country": "FR"}).content.decode()
    row = page[page.index(f'data-id="{PID}"'):]
    row = row[:row.index("</tr>")]
    assert "Occitanie export pass" in row and '<span class="pill">local</span>' in row and "AD&#x27;OCC" in row
    assert ("Sizes: Micro (&lt; 10 employees), Small (10–49)<br>Sectors (NACE/ISIC): 11 — Manufacture of beverages, "
            "01.21 — Growing of grapes<br>") in row
    assert "Firms at most 10 years old<br>Regions: Occitanie" in row
    assert 'href="https://www.agence-adocc.com/"' in row and 'href="https://www.agence-adocc.com/source"' in row
    assert "France · Occitanie" in row and "Grant" in row and "Innovation and export (joint)" in row
    with translation.override("en"):
        as_of = formats.date_format(services.builtin_catalogue().as_of)  # e.g. "Nov. 23, 2026"
    assert "Young innovative company status (JEI)" in page and as_of in page  # the catalogue's as_of
    Membership.objects.filter(user=org_a.advisor).update(language="es")
    page = org_a.client().get(reverse("programme-list"), {"country": "FR"}).content.decode()
    assert "Estatus de Joven empresa innovadora (JEI)" in page and "Young innovative company" not in page
    assert "Pase Exportación Occitania" in page and "Ayuda regional" in page


def test_detail_names_the_activities_it_helps_with(org_a) -> None:
    response = org_a.client("analyst").get(reverse("programme-detail", args=["fr_bpi_accelerateurs"]))
    page = response.content.decode()
    assert response.status_code == 200 and "Bpifrance accelerators" in page
    for name in ("Manage skills for innovation and export", "One global strategy for innovation and export",
                 "Management commitment to export", "Mobilise weak ties (support bodies, service providers)"):
        assert name in page
    assert reverse("programme-edit", args=["fr_bpi_accelerateurs"]) not in page  # shipped: never editable
    assert org_a.client().get(reverse("programme-detail", args=["no_such_programme"])).status_code == 404


def test_shipped_programmes_are_never_editable(org_a) -> None:
    c = org_a.client("admin")
    for name in ("programme-edit", "programme-delete"):
        assert c.get(reverse(name, args=["fr_cir"])).status_code == 404
        assert c.post(reverse(name, args=["fr_cir"]), form_data(id="fr_cir")).status_code == 404
    assert not LocalProgramme.objects.exists()


# --- local programmes --------------------------------------------------------------------------


def test_add_edit_delete_a_local_programme_with_audit(org_a, org_b) -> None:
    c = org_a.client("advisor")
    assert c.get(reverse("programme-create")).status_code == 200
    response = c.post(reverse("programme-create"), form_data())
    assert response.status_code == 302 and response["Location"] == reverse("programme-detail", args=[PID])
    row = LocalProgramme.objects.get(organisation=org_a.organisation)
    assert row.programme_id == PID and row.created_by == org_a.advisor
    assert row.data == {
        "id": PID, "name": {"fr": "Pass Export Occitanie", "es": "Pase Exportación Occitania",
                            "en": "Occitanie export pass"},
        "operator": "AD'OCC", "country": "FR", "region": "Occitanie", "kind": "grant", "scope": "joint",
        "activities": ["net_weak_ties", "strat_global"],
        "eligibility": {"sizes": ["micro", "small"], "sectors": ["11", "01.21"], "min_age": None, "max_age": 10,
                        "regions": ["Occitanie"]},
        "url": "https://www.agence-adocc.com/", "source": "https://www.agence-adocc.com/source",
        "description": {"fr": "Aide régionale", "es": "Ayuda regional", "en": "Regional aid"},
    }
    # in the organisation's catalogue, marked local; not in the other organisation's
    assert PID in services.catalogue_for(org_a.organisation).by_id
    assert PID not in services.catalogue_for(org_b.organisation).by_id
    assert len(services.catalogue_for(org_a.organisation).programmes) == 32
    listing = c.get(reverse("programme-list"), {"origin": "local"})
    assert shown_ids(listing) == [PID] and listing.context["programmes"][0]["local"] is True
    assert len(shown_ids(c.get(reverse("programme-list"), {"country": "FR"}))) == 13
    assert len(shown_ids(c.get(reverse("programme-list"), {"origin": "shipped"}))) == 31
    detail = c.get(reverse("programme-detail", args=[PID])).content.decode()
    assert "Occitanie export pass" in detail and "Firms at most 10 years old" in detail
    assert "Mobilise weak ties (support bodies, service providers)" in detail
    assert reverse("programme-edit", args=[PID]) in detail

    # edit: the id cannot change (action plans refer to it)
    assert c.get(reverse("programme-edit", args=[PID])).status_code == 200
    response = c.post(reverse("programme-edit", args=[PID]),
                      form_data(id="renamed", url="https://example.org/new", max_age="", min_age="2"))
    assert response.status_code == 302
    row.refresh_from_db()
    assert row.programme_id == PID and row.data["id"] == PID and row.data["url"] == "https://example.org/new"
    assert row.data["eligibility"]["min_age"] == 2 and row.data["eligibility"]["max_age"] is None

    # delete: a confirmation page, then POST
    page = c.get(reverse("programme-delete", args=[PID])).content.decode()
    assert "Pass" not in page or "Occitanie export pass" in page
    assert LocalProgramme.objects.filter(pk=row.pk).exists()
    assert c.post(reverse("programme-delete", args=[PID])).status_code == 302
    assert not LocalProgramme.objects.filter(pk=row.pk).exists()
    assert PID not in services.catalogue_for(org_a.organisation).by_id

    entries = AuditEntry.objects.filter(object_type="localprogramme", object_id=str(row.pk)).order_by("at", "pk")
    assert [(e.action, e.user, e.organisation) for e in entries] == [
        ("create", org_a.advisor, org_a.organisation), ("change", org_a.advisor, org_a.organisation),
        ("delete", org_a.advisor, org_a.organisation)]
    assert "url" in entries[1].description and "min_age" in entries[1].description


def form_errors(response) -> dict[str, list[str]]:
    return {k: list(v) for k, v in response.context["form"].errors.items()}


@pytest.mark.parametrize(("changes", "field", "message"), [
    ({"url": "www.example.org"}, "url", "starting with http:// or https://"),
    ({"source": "https://example.org/a b"}, "source", "starting with http:// or https://"),
    ({"activities": ["net_weak_ties", "no_such_activity"]}, "activities",
     ("Unknown activity “no_such_activity”: it is not an activity of the iiep framework or of one of its sector "
      "modules (agrifood, machinery, wine).")),
    ({"activities": None}, "activities", "This field is required."),
    ({"min_age": "9", "max_age": "2"}, "min_age", "The minimum age (9) must not exceed the maximum age (2)."),
    ({"min_age": "-1"}, "min_age", "0 or more"),
    ({"id": "fr_cir"}, "id", "The id “fr_cir” is already used by a programme of the shipped catalogue."),
    ({"id": "new"}, "id", "The id “new” is already used by a page of the application (reserved)."),
    ({"id": "Bad-Id"}, "id", "lower-case letters, digits and underscores"),
    ({"country": "Atlantis"}, "country", "two-letter ISO code"),
    ({"kind": "lottery"}, "kind", "“lottery” is not one of: grant, loan"),
    ({"sizes": ["huge"]}, "sizes", "“huge” is not one of: micro, small, medium, large"),
    ({"sectors": "C11, $$"}, "sectors", "“$$” is not a NACE or ISIC code prefix"),
    ({"sectors": "C11, A11"}, "sectors", "“A11” is not a NACE or ISIC code prefix"),  # 11 is not in section A
    ({"name_es": "", "name_fr": "", "name_en": ""}, "name_en", "give it in this language, or in one of the others"),
    ({"description_es": "", "description_fr": "", "description_en": " "}, "description_en",
     "give it in this language, or in one of the others"),
])
def test_validation_errors_are_shown_on_their_field_and_nothing_is_saved(org_a, changes, field, message) -> None:
    response = org_a.client("admin").post(reverse("programme-create"), form_data(**changes))
    assert response.status_code == 400
    errors = form_errors(response)
    assert list(errors) == [field], errors
    assert any(message in e for e in errors[field]), errors
    page = response.content.decode()
    block = page[page.index(f'id="field-{field}"'):]
    block = block[:block.index('<div id="field-') if '<div id="field-' in block else None]
    assert message.replace("“", "").split("”")[0][:20] in block.replace("“", "")
    assert not LocalProgramme.objects.exists()
    assert not AuditEntry.objects.filter(object_type="localprogramme").exists()


def test_several_problems_are_all_shown(org_a) -> None:
    response = org_a.client().post(reverse("programme-create"),
                                   form_data(url="nope", min_age="5", max_age="1", activities=["zzz"]))
    assert response.status_code == 400
    assert sorted(form_errors(response)) == ["activities", "min_age", "url"]


def test_local_ids_are_unique_per_organisation(org_a, org_b) -> None:
    add_local(org_a)
    response = org_a.client("admin").post(reverse("programme-create"), form_data(name_en="Other"))
    assert response.status_code == 400
    assert form_errors(response) == {
        "id": [f"The id “{PID}” is already used by another local programme of your organisation."]}
    assert LocalProgramme.objects.filter(organisation=org_a.organisation).count() == 1
    # another organisation may use the same id for its own programme
    add_local(org_b)
    assert LocalProgramme.objects.filter(programme_id=PID).count() == 2
    assert org_a.client().get(reverse("programme-detail", args=[PID])).context["p"]["name"] == "Occitanie export pass"


def test_an_edit_with_errors_changes_nothing(org_a) -> None:
    row = add_local(org_a)
    before = dict(row.data)
    response = org_a.client().post(reverse("programme-edit", args=[PID]), form_data(url="bad", min_age="3", max_age="1"))
    assert response.status_code == 400 and sorted(form_errors(response)) == ["min_age", "url"]
    row.refresh_from_db()
    assert row.data == before
    assert AuditEntry.objects.filter(object_type="localprogramme", action="change").count() == 0


# --- import and export -------------------------------------------------------------------------

HEADER = "kind: catalogue\nid: mine\nversion: 1.0.0\nas_of: 2026-12-01\nprogrammes:\n"
ENTRY = """\
  - id: {id}
    name: {{fr: Nom {id}, es: Nombre {id}, en: Name {id}}}
    operator: Op
    country: {country}
    kind: advice
    scope: export
    activities: [{activities}]
    eligibility: {eligibility}
    url: https://example.org/{id}
    source: https://example.org/source
    description: {{fr: D, es: D, en: D}}
"""
ENTRY_LINES = len(ENTRY.splitlines())


def entry(id: str, country: str = "CL", activities: str = "strat_global", eligibility: str = "{}") -> str:
    return ENTRY.format(id=id, country=country, activities=activities, eligibility=eligibility)


def upload(org, text: str, who: str = "advisor", name: str = "mine.yaml", **extra):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return org.client(who).post(reverse("programme-import"),
                                {"file": SimpleUploadedFile(name, text.encode(), "application/yaml"), **extra})


def test_import_creates_all_programmes_and_audits_each(org_a) -> None:
    response = upload(org_a, HEADER + entry("maule_export") + entry("biobio_watch", eligibility="{max_age: 5}"))
    assert response.status_code == 302 and response["Location"] == reverse("programme-list") + "?origin=local"
    rows = LocalProgramme.objects.filter(organisation=org_a.organisation)
    assert sorted(r.programme_id for r in rows) == ["biobio_watch", "maule_export"]
    assert rows.get(programme_id="biobio_watch").data["eligibility"]["max_age"] == 5
    assert rows.get(programme_id="biobio_watch").created_by == org_a.advisor
    audit = AuditEntry.objects.filter(object_type="localprogramme", action="create", organisation=org_a.organisation)
    assert sorted(e.object_id for e in audit) == sorted(str(r.pk) for r in rows)
    assert all("imported from mine.yaml" in e.description for e in audit)
    assert len(services.catalogue_for(org_a.organisation).programmes) == 33


def test_import_is_all_or_nothing_and_names_every_line(org_a) -> None:
    text = (HEADER + entry("good_one") + entry("bad_activity", activities="strat_global, no_such_activity")
            + entry("fr_cir", country="FR") + entry("bad_ages", eligibility="{min_age: 5, max_age: 2}"))
    response = upload(org_a, text)
    assert response.status_code == 400
    issues = response.context["issues"]
    start = len(HEADER.splitlines())  # entry k starts on line start + k * ENTRY_LINES + 1
    assert [(i.line, i.location.split(" → ")[0]) for i in issues] == [
        (start + ENTRY_LINES + 7, "programmes[1] (bad_activity)"),
        (start + 2 * ENTRY_LINES + 1, "programmes[2] (fr_cir)"),
        (start + 3 * ENTRY_LINES + 8, "programmes[3] (bad_ages)"),
    ]
    lines = text.splitlines()
    assert lines[issues[0].line - 1].strip().startswith("activities:") and "no_such_activity" in issues[0].message
    assert lines[issues[1].line - 1].strip() == "- id: fr_cir" and "shipped catalogue" in issues[1].message
    assert lines[issues[2].line - 1].strip().startswith("eligibility:") and "min_age (5)" in issues[2].message
    page = response.content.decode()
    assert page.count('<tr class="issue">') == 3 and "3 problems found: nothing was saved." in page
    for issue in issues:
        assert f'<td class="line">{issue.line}</td>' in page
    assert not LocalProgramme.objects.exists()
    assert not AuditEntry.objects.filter(object_type="localprogramme").exists()


def test_import_bad_yaml_and_existing_ids(org_a) -> None:
    response = upload(org_a, HEADER + "  - id: a: b\n")
    assert response.status_code == 400 and response.context["issues"][0].location == "YAML"
    assert response.context["issues"][0].line == 6
    add_local(org_a, id="maule_export")
    text = HEADER + entry("maule_export", eligibility="{sizes: [micro]}") + entry("fresh")
    response = upload(org_a, text)
    assert response.status_code == 400
    [issue] = response.context["issues"]
    assert issue.line == 6 and "local programme of your organisation" in issue.message
    assert not LocalProgramme.objects.filter(programme_id="fresh").exists()
    # asked to update: the existing one is replaced, the new one added
    response = upload(org_a, text, replace="on")
    assert response.status_code == 302
    assert LocalProgramme.objects.get(programme_id="maule_export").data["eligibility"]["sizes"] == ["micro"]
    assert LocalProgramme.objects.filter(organisation=org_a.organisation).count() == 2
    assert AuditEntry.objects.filter(object_type="localprogramme", action="change",
                                     description__contains="replaced from mine.yaml").count() == 1


def test_export_is_a_valid_catalogue_the_cli_accepts(org_a, org_b, tmp_path) -> None:
    c = org_a.client("analyst")
    assert c.get(reverse("programme-export")).status_code == 302  # nothing to export yet
    add_local(org_a)
    add_local(org_a, id="second_one", region="", regions="", sizes=None, sectors="", max_age="", name_fr="Deuxième")
    add_local(org_b, id="b_only")
    response = c.get(reverse("programme-export"))
    assert response.status_code == 200 and response["Content-Type"].startswith("application/yaml")
    assert "attachment" in response["Content-Disposition"]
    text = response.content.decode()
    catalogue = parse_catalogue(text, "local.yaml")
    assert [p.id for p in catalogue.programmes] == [PID, "second_one"]
    assert catalogue.programmes[0] == Programme.model_validate(
        LocalProgramme.objects.get(organisation=org_a.organisation, programme_id=PID).data)
    assert catalogue.title.get("en") == "Local programmes — Chamber A"
    assert "Deuxième" in text and "b_only" not in text
    assert "eligibility" not in yaml.safe_load(text)["programmes"][1]  # no restriction: left out
    path = tmp_path / "local.yaml"
    path.write_text(text, encoding="utf-8")
    result = CliRunner().invoke(app, ["programmes", "validate", str(path)])
    assert result.exit_code == 0 and "2 programmes (FR 2)" in result.output
    assert AuditEntry.objects.filter(action="export", object_type="localprogramme", user=org_a.analyst,
                                     organisation=org_a.organisation).count() == 1
    # and imported back into another organisation it gives the same programmes
    assert upload(org_b, text, who="admin").status_code == 302
    assert sorted(LocalProgramme.objects.filter(organisation=org_b.organisation)
                  .values_list("programme_id", flat=True)) == ["b_only", PID, "second_one"]


# --- roles and tenancy -------------------------------------------------------------------------


def test_analyst_reads_but_cannot_write(org_a) -> None:
    add_local(org_a)
    c = org_a.client("analyst")
    assert c.get(reverse("programme-list")).status_code == 200
    assert c.get(reverse("programme-detail", args=[PID])).status_code == 200
    assert c.get(reverse("programme-export")).status_code == 200
    assert reverse("programme-edit", args=[PID]) not in c.get(reverse("programme-detail", args=[PID])).content.decode()
    for url in (reverse("programme-create"), reverse("programme-import"), reverse("programme-edit", args=[PID]),
                reverse("programme-delete", args=[PID])):
        assert c.get(url).status_code == 403, url
        assert c.post(url, form_data(id="analyst_one")).status_code == 403, url
    assert upload(org_a, HEADER + entry("from_analyst"), who="analyst").status_code == 403
    assert list(LocalProgramme.objects.values_list("programme_id", flat=True)) == [PID]
    assert LocalProgramme.objects.get().data["url"] == "https://www.agence-adocc.com/"


@pytest.mark.parametrize("who", ["admin", "advisor", "analyst"])
def test_another_organisations_local_programme_is_invisible(org_a, org_b, who) -> None:
    row = add_local(org_a)
    before = dict(row.data)
    c = org_b.client(who)
    for name in ("programme-detail", "programme-edit", "programme-delete"):
        url = reverse(name, args=[PID])
        for method in ("get", "post", "put", "patch", "delete", "head"):
            kwargs = {"data": form_data(url="https://evil.example/")} if method == "post" else {}
            response = getattr(c, method)(url, **kwargs)
            assert response.status_code == 404, f"{method.upper()} {url} as {who} of B: {response.status_code}"
            assert "Occitanie export pass" not in response.content.decode()
    listing = c.get(reverse("programme-list"))
    assert PID not in shown_ids(listing) and len(shown_ids(listing)) == 31
    assert "Occitanie export pass" not in listing.content.decode()
    assert c.get(reverse("programme-list"), {"q": "Occitanie"}).context["programmes"] == []
    assert c.get(reverse("programme-export")).status_code == 302  # B has none of its own
    row.refresh_from_db()
    assert row.data == before and LocalProgramme.objects.count() == 1


def test_login_required(client, org_a) -> None:
    for url in (reverse("programme-list"), reverse("programme-detail", args=["fr_cir"]), reverse("programme-export")):
        response = client.get(url)
        assert response.status_code == 302 and reverse("login") in response["Location"]


@pytest.mark.parametrize(("rule", "expected"), [
    ({}, []),
    ({"min_age": 1}, ["Firms at least 1 year old"]),
    ({"max_age": 7}, ["Firms at most 7 years old"]),
    ({"min_age": 2, "max_age": 7, "regions": ["Maule", "Ñuble"]}, ["Firms 2 to 7 years old", "Regions: Maule, Ñuble"]),
    ({"sizes": ["micro", "medium"], "sectors": ["A"]},
     ["Sizes: Micro (< 10 employees), Medium (50–249)", "Sectors (NACE/ISIC): A — AGRICULTURE, FORESTRY AND FISHING"]),
    ({"sectors": ["C11", "c1102"]},
     ["Sectors (NACE/ISIC): 11 — Manufacture of beverages, 11.02 — Manufacture of wine from grape"]),
])
def test_eligibility_summary(rule, expected) -> None:
    from innexport.web.views.programmes import eligibility_summary

    data = Programme.model_validate(LOCAL_DATA | {"eligibility": rule})
    assert eligibility_summary(data) == expected


LOCAL_DATA = {
    "id": "x", "name": {"fr": "X", "es": "X", "en": "X"}, "operator": "Op", "country": "CL", "kind": "advice",
    "scope": "export", "activities": ["strat_global"], "url": "https://example.org/", "source": "https://example.org/",
    "description": {"fr": "D", "es": "D", "en": "D"},
}


# --- a local programme in one language, required fields marked, sectors by the NACE rule -------------


def speak(org, who: str, lang: str) -> None:
    Membership.objects.filter(user=getattr(org, who)).update(language=lang)


def test_a_chilean_chamber_adds_a_programme_in_spanish_only_shown_in_spanish_elsewhere(org_a) -> None:
    speak(org_a, "advisor", "es")
    data = form_data(id="cl_red_exportadores", name_fr="", name_en="", description_fr="", description_en="",
                     name_es="Red de exportadores del Maule", description_es="Acompañamiento a pymes exportadoras",
                     country="Chile", region="Maule", sectors="Elaboración de vinos, A")
    response = org_a.client("advisor").post(reverse("programme-create"), data)
    assert response.status_code == 302, response.content.decode()[:2000]
    row = LocalProgramme.objects.get(programme_id="cl_red_exportadores")
    assert row.data["name"] == {"es": "Red de exportadores del Maule"}  # only what was written
    assert row.data["description"] == {"es": "Acompañamiento a pymes exportadoras"}
    assert row.data["country"] == "CL" and row.data["eligibility"]["sectors"] == ["11.02", "A"]
    # a French screen shows the Spanish texts (no empty name), the sectors named in French
    speak(org_a, "admin", "fr")
    detail = org_a.client("admin").get(reverse("programme-detail", args=["cl_red_exportadores"]))
    assert detail.context["p"]["name"] == "Red de exportadores del Maule"
    assert detail.context["p"]["description"] == "Acompañamiento a pymes exportadoras"
    assert "11.02 — Production de vin (de raisin)" in detail.content.decode()
    listing = org_a.client("admin").get(reverse("programme-list"), {"origin": "local"}).content.decode()
    assert "Red de exportadores del Maule" in listing
    # its export is a catalogue the core reads back, Spanish only
    exported = org_a.client("admin").get(reverse("programme-export")).content.decode()
    programme = parse_catalogue(exported).by_id["cl_red_exportadores"]
    assert programme.name.languages == ("es",) and programme.name.get("en") == "Red de exportadores del Maule"
    # editing it: the other languages stay empty (not filled with the Spanish fallback)
    form = org_a.client("advisor").get(reverse("programme-edit", args=["cl_red_exportadores"])).context["form"]
    assert form["name_es"].value() == "Red de exportadores del Maule" and form["name_fr"].value() == ""


def test_required_fields_are_marked_and_other_languages_optional(org_a) -> None:
    speak(org_a, "advisor", "es")
    response = org_a.client("advisor").get(reverse("programme-create"))
    form, page = response.context["form"], response.content.decode()
    assert "required-legend" in page
    assert form.required_fields >= {"id", "name_es", "description_es", "operator", "country", "kind", "scope",
                                    "activities", "url", "source"}
    assert form.optional_languages == {"name_fr", "name_en", "description_fr", "description_en"}
    for name in ("name_es", "description_es", "url", "source", "operator"):
        block = page[page.index(f'id="field-{name}"'):]
        block = block[:block.index("</div>")]
        assert 'class="required-mark"' in block and 'aria-required="true"' in block, name
    for name in ("name_fr", "name_en", "description_en", "region", "sectors"):
        block = page[page.index(f'id="field-{name}"'):]
        block = block[:block.index("</div>")]
        assert 'class="required-mark"' not in block and 'aria-required' not in block, name
    assert 'class="optional"' in page[page.index('id="field-name_fr"'):page.index('id="field-operator"')]
    # the screen's language first among the names
    fields = [f.name for f in form.fieldsets()[0][1]]
    assert fields[1:4] == ["name_es", "name_fr", "name_en"]


def test_sectors_of_a_programme_follow_the_firms_sector_rule(org_a) -> None:
    response = org_a.client("admin").post(reverse("programme-create"), form_data(sectors="C11, vino tinto"))
    assert response.status_code == 400
    message = form_errors(response)["sectors"][0]
    assert "“vino tinto” is not a NACE or ISIC code prefix" in message
    assert "Did you mean: 11.02 — Manufacture of wine from grape" in message
    assert add_local(org_a, sectors="1102, a 01.21, C11, 11").data["eligibility"]["sectors"] == ["11.02", "01.21", "11"]


# --- the sector modules' activities (issue 15) ----------------------------------------------------


def test_a_local_programme_may_help_with_a_sector_modules_activity(org_a) -> None:
    """The form accepts agri-food's ``food_shelf_life`` and machinery's ``mach_service`` (the catalogue
    rule: iiep with every shipped module), offers them labelled with their module, and saves them."""
    c = org_a.client("advisor")
    form = c.get(reverse("programme-create")).content.decode()
    assert 'value="food_shelf_life"' in form and "Shelf life, preservation and cold chain (agrifood module only)" in form
    assert 'value="mach_service"' in form and "(machinery module only)" in form
    assert 'value="wine_tourism"' in form  # the wine module's activity is still offered
    row = add_local(org_a, activities=["food_shelf_life"], sectors="10")
    assert row.data["activities"] == ["food_shelf_life"] and row.data["eligibility"]["sectors"] == ["10"]
    detail = c.get(reverse("programme-detail", args=[PID])).content.decode()
    assert "Shelf life, preservation and cold chain (agrifood module only)" in detail
    # edited to add machinery's activity: saved as given, in order
    response = c.post(reverse("programme-edit", args=[PID]), form_data(activities=["food_shelf_life", "mach_service"]))
    assert response.status_code == 302
    row.refresh_from_db()
    assert row.data["activities"] == ["food_shelf_life", "mach_service"]
    # the list filters by it: the local programme and the shipped one (CORFO's FOCAL)
    listed = shown_ids(c.get(reverse("programme-list"), {"activity": "food_shelf_life"}))
    assert sorted(listed) == ["cl_corfo_focal", PID]
    assert shown_ids(c.get(reverse("programme-list"), {"activity": "mach_service"})) == [PID, "fr_ara_soutien_vie"]  # joint first


@pytest.mark.parametrize(("language", "message"), [
    ("en", ("Unknown activity “food_shelf_lives”: it is not an activity of the iiep framework or of one of its "
            "sector modules (agrifood, machinery, wine).")),
    ("fr", ("Activité inconnue « food_shelf_lives » : ce n'est une activité ni du référentiel iiep ni de l'un de "
            "ses modules sectoriels (agrifood, machinery, wine).")),
    ("es", ("Actividad desconocida «food_shelf_lives»: no es una actividad del marco de referencia iiep ni de "
            "ninguno de sus módulos sectoriales (agrifood, machinery, wine).")),
])
def test_an_unknown_activity_is_refused_naming_the_rule(org_a, language, message) -> None:
    Membership.objects.filter(user=org_a.admin).update(language=language)
    response = org_a.client("admin").post(reverse("programme-create"),
                                          form_data(activities=["food_shelf_life", "food_shelf_lives"]))
    assert response.status_code == 400
    assert form_errors(response) == {"activities": [message]}
    assert not LocalProgramme.objects.exists()


def test_import_accepts_a_programme_for_a_sector_modules_activity(org_a) -> None:
    text = HEADER + entry("maule_cold_chain", activities="food_shelf_life, exp_logistics_compliance")
    response = upload(org_a, text)
    assert response.status_code == 302
    row = LocalProgramme.objects.get(organisation=org_a.organisation, programme_id="maule_cold_chain")
    assert row.data["activities"] == ["food_shelf_life", "exp_logistics_compliance"]
    bad = upload(org_a, HEADER + entry("maule_typo", activities="food_shelf_lives"))
    assert bad.status_code == 400
    issues = [str(i) for i in bad.context["issues"]]
    # line 12: the header's 5 lines, then the entry's 7th ("    activities: [food_shelf_lives]")
    assert issues == [("mine.yaml:12: programmes[0] (maule_typo) → activities[0]: unknown activity "
                       "'food_shelf_lives' (not an activity of iiep with its sector modules agrifood, machinery, wine)")]
