"""Importing answer files and platform exports (``/answers/import/``, ``POST /api/answers/import``).

The exports are written here as the platforms write them (the same layouts as tests/test_xlsform.py
and tests/test_limesurvey.py, without pyxform: the columns are the form's names): a KoBoToolbox CSV
(``;``, every cell quoted, ``/`` between group and field, a BOM), an ODK Central CSV (``-`` between
group and field, its metadata columns) and a LimeSurvey response CSV (question codes).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from openpyxl.utils import get_column_letter

from innexport.core.assessment import answer_codes
from innexport.core.framework import Framework
from innexport.files.answers import read_answers
from innexport.files.limesurvey import FIRM_CODES, ROLE_CODE, ROLE_CODES, level_codes, question_codes
from innexport.files.odk import dimension_group
from innexport.web import imports, services
from innexport.web.api import create_token
from innexport.web.models import Answer, Assessment, AuditEntry, Firm, FrameworkVersion, Respondent

from .conftest import Org

KOBO_TAIL = ["_id", "_uuid", "_submission_time", "_validation_status", "_notes", "_status", "_submitted_by",
             "__version__", "_tags", "_index"]
CENTRAL_TAIL = ["KEY", "SubmitterID", "SubmitterName", "AttachmentsPresent", "AttachmentsExpected", "Status",
                "ReviewState", "DeviceID", "Edits", "FormVersion"]
FIRM_FIELDS = ["firm_id", "firm_name", "country", "sector", "size", "export_share", "respondent_role", "framework",
               "version", "modules", "lang"]


@pytest.fixture(autouse=True)
def _data_dir(settings: Any, tmp_path: Path) -> Path:
    settings.DATA_DIR = tmp_path / "data"
    return settings.DATA_DIR


@pytest.fixture
def wine(wine_framework: FrameworkVersion) -> Framework:
    return services.framework_of(wine_framework)


def answers(fw: Framework, pick: int) -> dict[str, str]:
    """Level codes for most questions (every 7th "don't know", every 11th left blank)."""
    out: dict[str, str] = {}
    for i, obs in enumerate(fw.observables):
        if i % 11 == 5:
            continue
        levels = fw.scale_by_id[obs.scale].levels
        out[obs.id] = "dk" if i % 7 == 3 else levels[(i * pick + pick) % len(levels)].code
    return out


def _question_columns(fw: Framework) -> list[tuple[str, str]]:
    return [(dimension_group(dim.id), obs.id) for dim in fw.dimensions for act in dim.activities
            for obs in act.observables]


def _firm_values(fw: Framework, row: dict[str, Any]) -> dict[str, Any]:
    return {"framework": fw.id, "version": fw.version, "modules": ";".join(m.id for m in fw.modules),
            "lang": row.get("lang", "es"), **row["firm"], "respondent_role": row.get("role")}


def kobo_csv(fw: Framework, rows: list[dict[str, Any]]) -> bytes:
    """KoBoToolbox's CSV export ("XML values and headers", groups in headers with ``/``)."""
    questions = _question_columns(fw)
    header = [f"firm/{f}" for f in FIRM_FIELDS] + [f"{g}/{q}" for g, q in questions] + KOBO_TAIL
    lines = [header]
    for i, row in enumerate(rows):
        firm = _firm_values(fw, row)
        meta = [str(100 + i), f"uuid-{i}", "2026-11-20T09:10:11", "", "", "submitted_via_web", "ana", "v1", "",
                str(i + 1)]
        lines.append([firm.get(f) for f in FIRM_FIELDS] + [row["answers"].get(q) for _g, q in questions] + meta)
    text = "\n".join(";".join('"' + str("" if v is None else v).replace('"', '""') + '"' for v in line)
                     for line in lines) + "\n"
    return text.encode("utf-8-sig")


def central_csv(fw: Framework, rows: list[dict[str, Any]]) -> bytes:
    """ODK Central's CSV export (``-`` between group and field, its metadata columns)."""
    questions = _question_columns(fw)
    header = ["SubmissionDate", *(f"firm-{f}" for f in FIRM_FIELDS), *(f"{g}-{q}" for g, q in questions),
              "meta-instanceID", *CENTRAL_TAIL]
    lines = [header]
    for i, row in enumerate(rows):
        firm = _firm_values(fw, row)
        key = f"uuid:central-{i}"
        lines.append(["2026-11-20T09:10:11.000Z", *(firm.get(f) for f in FIRM_FIELDS),
                      *(row["answers"].get(q) for _g, q in questions), key,
                      key, "5", "Ana", "0", "0", "", "", "", "0", "1"])
    out = []
    for line in lines:
        cells = ["" if v is None else str(v) for v in line]
        out.append(",".join(f'"{c}"' if ("," in c or '"' in c) else c for c in cells))
    return ("\n".join(out) + "\n").encode("utf-8")


def limesurvey_csv(fw: Framework, rows: list[dict[str, Any]]) -> bytes:
    """LimeSurvey's response export (answer codes, question-code headings), as its CsvWriter writes it."""
    codes = question_codes(fw)
    meta = ["id", "submitdate", "lastpage", "startlanguage", "seed", "startdate", "datestamp"]
    columns = meta + list(FIRM_CODES.values()) + [ROLE_CODE, "IXframework", "IXversion", "IXmodules"] + list(
        codes.values())
    lines = [",".join(f'"{c}"' for c in columns)]
    for k, row in enumerate(rows, start=1):
        values: dict[str, Any] = {
            "id": k, "submitdate": "2025-03-04 10:11:12", "lastpage": 12, "startlanguage": row.get("lang", "fr"),
            "seed": 1000 + k, "startdate": "2025-03-04 09:00:00", "datestamp": "2025-03-04 10:11:12",
            "IXframework": fw.id, "IXversion": fw.version,
            "IXmodules": ";".join(f"{m.id}@{m.version}" for m in fw.modules)}
        values |= {FIRM_CODES[k2]: v for k2, v in row["firm"].items()}
        if "role" in row:
            values[ROLE_CODE] = ROLE_CODES[row["role"]]
        for qid, code in row["answers"].items():
            scale = fw.scale_by_id[fw.observable_by_id[qid].scale]
            values[codes[qid]] = "DK" if code == "dk" else level_codes(scale)[code]
        lines.append(",".join("" if values.get(c) is None else '"' + str(values[c]) + '"' for c in columns))
    return b"\xef\xbb\xbf" + ("\r\n".join(lines) + "\r\n").encode("utf-8")


def upload(name: str, content: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="text/csv")


def saved_answers(a: Assessment, respondent: Respondent | None = None) -> dict[str, str]:
    rows = Answer.objects.filter(assessment=a, respondent=respondent) if respondent is not None else \
        Answer.objects.filter(assessment=a, respondent__isnull=True)
    return {r.question_id: r.value for r in rows if r.value}


def preview(client: Client, name: str, content: bytes) -> Any:
    return client.post("/answers/import/", {"file": upload(name, content)})


def token_of(response: Any) -> str:
    m = re.search(r'name="token" value="([^"]+)"', response.content.decode())
    assert m, response.content.decode()[:2000]
    return m.group(1)


def matches(response: Any) -> list[str]:
    return re.findall(r'<tr class="firm" data-match="(\w+)">', response.content.decode())


def counts() -> tuple[int, int, int, int]:
    return Firm.objects.count(), Assessment.objects.count(), Answer.objects.count(), Respondent.objects.count()


def api_client(user: Any) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Bearer {create_token(user)}")


# --- the web page --------------------------------------------------------------------------------------


def test_a_kobo_export_is_previewed_then_imported_matching_by_id_by_name_and_creating(
        org_a: Org, wine: Framework, _data_dir: Path) -> None:
    by_name = Firm.objects.create(organisation=org_a.organisation, name="Bodega del Sur", country="AR")
    rows = [
        {"firm": {"firm_id": f"firm-{org_a.firm.pk}", "firm_name": "Whatever the file calls it"},
         "answers": answers(wine, 1)},
        {"firm": {"firm_id": "ar-77", "firm_name": "BODEGA DEL SUR"}, "answers": answers(wine, 2), "lang": "fr"},
        {"firm": {"firm_id": "cl-9", "firm_name": "Viña Nueva", "country": "CL", "sector": "11.02", "size": "small",
                  "export_share": 45.5}, "answers": answers(wine, 3)},
    ]
    client = org_a.client("advisor")
    assert client.get("/answers/import/").status_code == 200
    before = counts()
    page = preview(client, "kobo.csv", kobo_csv(wine, rows))
    assert page.status_code == 200, page.content.decode()[:3000]
    assert matches(page) == ["id", "name", "new"]
    html = page.content.decode()
    assert "Viña Nueva" in html and wine.label in html
    assert counts() == before  # a preview saves nothing
    assert len(list((_data_dir / "imports").iterdir())) == 1  # the file kept for the confirmation

    done = client.post("/answers/import/", {"token": token_of(page)})
    assert done.status_code == 200, done.content.decode()[:3000]
    created = list(Assessment.objects.filter(organisation=org_a.organisation).order_by("pk"))
    assert [a.firm_id for a in created[-3:]] == [org_a.firm.pk, by_name.pk, created[-1].firm_id]
    new = Firm.objects.get(name="Viña Nueva")
    assert new.organisation == org_a.organisation and (new.country, new.sector, new.size_class) == ("CL", "11.02",
                                                                                                    "small")
    assert float(new.export_share) == 45.5  # the form's percentage, kept as the firm's percentage
    for a, row in zip(created[-3:], rows, strict=True):
        assert a.status == "draft" and a.framework.modules == ["wine"]
        assert saved_answers(a) == row["answers"]
        assert f'href="/assessments/{a.pk}/"' in done.content.decode()
    assert created[-2].lang == "fr" and created[-1].lang == "es"
    assert not list((_data_dir / "imports").iterdir())  # the kept file is gone once imported
    entry = AuditEntry.objects.filter(organisation=org_a.organisation, object_type="organisation").get()
    assert entry.description == "imported 3 diagnostic(s) from kobo.csv" and entry.user == org_a.advisor


def test_a_limesurvey_export_is_imported_as_a_new_firm_with_its_answers(org_a: Org, wine: Framework) -> None:
    given = answers(wine, 2)
    client = org_a.client("admin")
    page = preview(client, "results-survey123.csv", limesurvey_csv(wine, [
        {"firm": {"id": "fr-02", "name": "Domaine Deux", "country": "FR", "size": "MED"}, "answers": given}]))
    assert page.status_code == 200, page.content.decode()[:3000]
    assert matches(page) == ["new"]
    assert client.post("/answers/import/", {"token": token_of(page)}).status_code == 200
    a = Assessment.objects.get(firm__name="Domaine Deux")
    assert a.firm.size_class == "medium" and a.assessed_on.isoformat() == "2025-03-04" and a.lang == "fr"
    assert saved_answers(a) == given


def test_a_confirmation_cannot_be_replayed_forged_or_used_by_another_user(org_a: Org, wine: Framework) -> None:
    rows = [{"firm": {"firm_id": f"firm-{org_a.firm.pk}", "firm_name": "x"}, "answers": answers(wine, 1)}]
    page = preview(org_a.client("advisor"), "kobo.csv", kobo_csv(wine, rows))
    token = token_of(page)
    other = org_a.client("admin").post("/answers/import/", {"token": token})  # signed for the advisor
    assert other.status_code == 400 and b"expired or was already imported" in other.content
    forged = org_a.client("advisor").post("/answers/import/", {"token": token[:-2] + "xx"})
    assert forged.status_code == 400
    client = org_a.client("advisor")
    assert client.post("/answers/import/", {"token": token}).status_code == 200
    again = client.post("/answers/import/", {"token": token})
    assert again.status_code == 400 and b"expired or was already imported" in again.content
    assert Assessment.objects.filter(firm=org_a.firm).count() == 1


def test_an_expired_preview_is_refused(org_a: Org, wine: Framework, monkeypatch: pytest.MonkeyPatch) -> None:
    rows = [{"firm": {"firm_id": "n1", "firm_name": "New One", "country": "FR"}, "answers": answers(wine, 1)}]
    client = org_a.client("advisor")
    token = token_of(preview(client, "kobo.csv", kobo_csv(wine, rows)))
    monkeypatch.setattr(imports, "STAGED_MAX_AGE", -1)
    assert client.post("/answers/import/", {"token": token}).status_code == 400
    assert not Firm.objects.filter(name="New One").exists()


def test_a_hostile_export_is_refused_naming_row_and_column_and_nothing_is_saved(org_a: Org, wine: Framework,
                                                                                _data_dir: Path) -> None:
    bad = answers(wine, 1)
    qid = next(iter(bad))
    bad[qid] = "maybe<script>"
    rows = [{"firm": {"firm_id": "ok-1", "firm_name": "Fine SA", "country": "FR"}, "answers": answers(wine, 2)},
            {"firm": {"firm_id": "bad-2", "firm_name": "Broken SA", "country": "FR"}, "answers": bad}]
    content = kobo_csv(wine, rows)
    header = [h.strip('"') for h in content.decode("utf-8-sig").splitlines()[0].split(";")]
    letter = get_column_letter(1 + next(j for j, h in enumerate(header) if h.endswith(f"/{qid}")))
    before = counts()
    page = preview(org_a.client("advisor"), "kobo.csv", content)
    assert page.status_code == 400
    html = page.content.decode()
    assert f"kobo.csv, row 3, column {letter}" in html and f"question {qid}" in html
    assert "<script>" not in html.split("<body", 1)[1].replace("<script src", "")  # escaped
    assert str(_data_dir) not in html  # the private file's place is never shown
    assert counts() == before and not list((_data_dir / "imports").iterdir())

    res = api_client(org_a.advisor).post("/api/answers/import", {"file": upload("kobo.csv", content)})
    assert res.status_code == 400
    body = res.json()
    assert any(p["where"].startswith(f"kobo.csv, row 3, column {letter}") and qid in p["where"]
               for p in body["problems"])
    assert counts() == before


def test_new_firms_are_held_to_the_firm_rules_and_unknown_frameworks_refused(org_a: Org, wine: Framework) -> None:
    rows = [{"firm": {"firm_id": "x1", "firm_name": "No Country SA"}, "answers": answers(wine, 1)},
            {"firm": {"firm_id": "x2", "firm_name": "Odd Sector", "country": "FR", "sector": "vino tinto"},
             "answers": answers(wine, 1)}]
    page = preview(org_a.client("advisor"), "kobo.csv", kobo_csv(wine, rows))
    assert page.status_code == 400
    html = page.content.decode()
    issues = re.findall(r'<tr class="issue"><td>(.*?)</td><td>(.*?)</td></tr>', html)
    assert issues[0] == ("kobo.csv, row 2, column A (firm/firm_id), firm x1", "country: This field is required.")
    assert issues[1][0] == "kobo.csv, row 3, column A (firm/firm_id), firm x2"
    assert issues[1][1].startswith("sector: Unknown sector “vino tinto”") and len(issues) == 2
    assert not Firm.objects.filter(name__in=["No Country SA", "Odd Sector"]).exists()

    text = kobo_csv(wine, rows[:1]).decode("utf-8-sig").replace(f'"{wine.version}"', '"9.0.0"')
    res = api_client(org_a.advisor).post("/api/answers/import", {"file": upload("k.csv", text.encode())})
    assert res.status_code == 400
    assert "9.0.0, which is not published here" in res.json()["problems"][0]["message"]


def test_files_of_an_unknown_type_or_over_the_limit_are_refused(org_a: Org, wine: Framework,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    client = org_a.client("advisor")
    res = preview(client, "answers.txt", b"firm_id\nf1\n")
    assert res.status_code == 400 and "cannot be imported" in res.content.decode()
    monkeypatch.setitem(imports.MAX_BYTES, ".csv", 100)
    res = preview(client, "big.csv", b"x" * 101)
    assert res.status_code == 413 and "101 bytes: larger than the 100 bytes accepted" in res.content.decode()
    api = api_client(org_a.advisor).post("/api/answers/import", {"file": upload("big.csv", b"x" * 101)})
    assert api.status_code == 413 and api.json()["problems"][0]["where"] == "big.csv"


# --- teams, roles and tenants --------------------------------------------------------------------------


def test_an_odk_central_team_is_imported_by_the_api_as_respondents(org_a: Org, wine: Framework) -> None:
    firm = {"firm_id": str(org_a.firm.pk), "firm_name": org_a.firm.name}
    team = [{"firm": firm, "role": role, "answers": answers(wine, k)}
            for k, role in enumerate(("director", "export_manager", "rd_lead"), start=1)]
    content = central_csv(wine, team)
    page = preview(org_a.client("advisor"), "central.csv", content)
    assert page.status_code == 200 and matches(page) == ["id"]
    assert re.search(r"Export manager \(<code>uuid:central-1</code>, \d+\)", page.content.decode())
    client = api_client(org_a.advisor)
    before = counts()
    dry = client.post("/api/answers/import?dry_run=true", {"file": upload("central.csv", content)})
    assert dry.status_code == 200, dry.content
    plan = dry.json()
    assert plan["dry_run"] is True and plan["diagnostics"] == 1 and counts() == before
    (entry,) = plan["firms"]
    assert (entry["match"], entry["firm_id"], entry["assessment_id"]) == ("id", org_a.firm.pk, None)
    assert [(r["id"], r["role"]) for r in entry["respondents"]] == [
        ("uuid:central-0", "director"), ("uuid:central-1", "export_manager"), ("uuid:central-2", "rd_lead")]
    assert entry["answers"] == len(answers(wine, 1))

    res = client.post("/api/answers/import", {"file": upload("central.csv", content)})
    assert res.status_code == 201, res.content
    a = Assessment.objects.get(pk=res.json()["firms"][0]["assessment_id"])
    assert a.firm == org_a.firm and a.respondent_role == "director"
    assert saved_answers(a) == team[0]["answers"]
    others = list(Respondent.objects.filter(assessment=a).order_by("pk"))
    assert [(p.name, p.role) for p in others] == [("uuid:central-1", "export_manager"), ("uuid:central-2", "rd_lead")]
    for person, row in zip(others, team[1:], strict=True):
        assert saved_answers(a, person) == row["answers"]
    result = services.team_of(a)  # the import is consolidated like answers typed in the web app
    assert [r.role for r in result.respondents] == ["director", "export_manager", "rd_lead"]
    assert AuditEntry.objects.filter(description="imported 1 diagnostic(s) from central.csv").count() == 1


def test_analysts_are_refused(org_a: Org, wine: Framework) -> None:
    content = kobo_csv(wine, [{"firm": {"firm_id": "n", "firm_name": "N", "country": "FR"},
                               "answers": answers(wine, 1)}])
    analyst = org_a.client("analyst")
    assert analyst.get("/answers/import/").status_code == 403
    assert preview(analyst, "kobo.csv", content).status_code == 403
    assert api_client(org_a.analyst).post("/api/answers/import", {"file": upload("k.csv", content)}).status_code == 403
    assert Assessment.objects.count() == 0
    assert b"/answers/import/" not in analyst.get("/firms/").content
    assert b"/answers/import/" in org_a.client("advisor").get("/firms/").content


def test_another_organisation_s_firm_is_never_matched(org_a: Org, org_b: Org, wine: Framework) -> None:
    rows = [{"firm": {"firm_id": f"firm-{org_b.firm.pk}", "firm_name": org_b.firm.name, "country": "FR"},
             "answers": answers(wine, 1)},
            {"firm": {"firm_id": str(org_b.firm.pk), "firm_name": "Third Party", "country": "FR"},
             "answers": answers(wine, 2)}]
    res = api_client(org_a.advisor).post("/api/answers/import", {"file": upload("k.csv", kobo_csv(wine, rows))})
    assert res.status_code == 201, res.content
    assert [f["match"] for f in res.json()["firms"]] == ["new", "new"]
    assert not Assessment.objects.filter(firm=org_b.firm).exists()
    made = Firm.objects.filter(pk__in=[f["firm_id"] for f in res.json()["firms"]])
    assert {f.organisation_id for f in made} == {org_a.organisation.pk}
    assert not AuditEntry.objects.filter(organisation=org_b.organisation).exists()


def test_a_new_firm_named_twice_in_a_file_is_created_once(org_a: Org, wine: Framework) -> None:
    rows = [{"firm": {"firm_id": "n-1", "firm_name": "Viña Nueva", "country": "CL"}, "answers": answers(wine, 1)},
            {"firm": {"firm_id": "n-2", "firm_name": "viña nueva", "country": "CL"}, "answers": answers(wine, 2)}]
    res = api_client(org_a.advisor).post("/api/answers/import", {"file": upload("k.csv", kobo_csv(wine, rows))})
    assert res.status_code == 201, res.content
    firms = res.json()["firms"]
    assert [f["match"] for f in firms] == ["new", "new"] and firms[0]["firm_id"] == firms[1]["firm_id"]
    assert Firm.objects.filter(name__iexact="viña nueva").count() == 1
    assert Assessment.objects.filter(firm_id=firms[0]["firm_id"]).count() == 2


def test_an_innexport_yaml_file_is_imported_with_its_comments_and_firm_fields(org_a: Org, wine: Framework) -> None:
    example = Path(__file__).resolve().parents[2] / "examples" / "cl-vina-cerro-alto.yaml"
    (sheet,) = read_answers(example)
    res = api_client(org_a.advisor).post("/api/answers/import", {"file": upload(example.name, example.read_bytes())})
    assert res.status_code == 201, res.content
    a = Assessment.objects.get(pk=res.json()["firms"][0]["assessment_id"])
    firm = a.firm
    assert (firm.name, firm.country, firm.region, firm.sector, firm.size_class, firm.year_founded) == (
        "Viña Cerro Alto", "CL", "Maule", "11.02", "small", 2003)
    assert (float(firm.export_share), float(firm.rd_intensity)) == (78.0, 1.5)  # shares 0.78 and 0.015 as percentages
    assert (a.lang, a.assessed_on.isoformat(), a.assessor) == ("es", "2026-10-22", sheet.assessor)
    assert saved_answers(a) == answer_codes(wine, sheet)
    comments = {r.question_id: r.comment for r in Answer.objects.filter(assessment=a) if r.comment}
    assert comments == sheet.comments and comments


@pytest.mark.parametrize(("name", "content", "said"), [
    ("book.xlsx", b"not a zip at all", "not a zip archive"),
    ("answers.yaml", b"firm: [unclosed\n", "broken YAML"),
    ("answers.json", b"\xff\xfe\x00\x00garbage", "answers.json"),
])
def test_broken_files_are_refused_with_their_place_never_a_500(org_a: Org, name: str, content: bytes,
                                                               said: str, _data_dir: Path) -> None:
    page = preview(org_a.client("advisor"), name, content)
    assert page.status_code == 400 and said in page.content.decode() and name in page.content.decode()
    assert str(_data_dir) not in page.content.decode()
    res = api_client(org_a.advisor).post("/api/answers/import", {"file": upload(name, content)})
    assert res.status_code == 400 and res.json()["problems"][0]["where"].startswith(name)
    assert Assessment.objects.count() == 0


def test_the_pages_speak_the_advisor_s_language(org_a: Org, wine: Framework) -> None:
    membership = org_a.advisor.membership
    membership.language = "fr"
    membership.save()
    client = org_a.client("advisor")
    page = client.get("/answers/import/").content.decode()
    assert "Importer des réponses" in page and "Vérifier le fichier" in page and "Déposez un fichier" in page
    rows = [{"firm": {"firm_id": "n1", "firm_name": "Neuve SA", "country": "FR"}, "answers": answers(wine, 1)}]
    shown = preview(client, "kobo.csv", kobo_csv(wine, rows))
    html = shown.content.decode()
    assert "nouvelle entreprise" in html and "Importer 1 diagnostic" in html and "a été vérifié" in html
    done = client.post("/answers/import/", {"token": token_of(shown)}).content.decode()
    assert "1 diagnostic importé depuis kobo.csv, en brouillon" in done
    again = client.post("/answers/import/", {"token": token_of(shown)}).content.decode()
    assert "cet aperçu a expiré ou a déjà été importé" in again
    membership.language = "es"
    membership.save()
    odd = preview(client, "a.txt", b"x").content.decode()
    assert "no se puede importar un archivo de tipo «.txt»" in odd and "Importar respuestas" in odd


def test_the_confirmation_plans_again_against_the_database_as_it_is_then(org_a: Org, wine: Framework) -> None:
    rows = [{"firm": {"firm_id": "n1", "firm_name": "Neuve SA", "country": "FR"}, "answers": answers(wine, 1)}]
    client = org_a.client("advisor")
    shown = preview(client, "kobo.csv", kobo_csv(wine, rows))
    assert matches(shown) == ["new"]
    meanwhile = Firm.objects.create(organisation=org_a.organisation, name="Neuve SA", country="FR")
    assert client.post("/answers/import/", {"token": token_of(shown)}).status_code == 200
    assert Firm.objects.filter(name="Neuve SA").count() == 1
    assert saved_answers(Assessment.objects.get(firm=meanwhile)) == rows[0]["answers"]
