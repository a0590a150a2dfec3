"""Flat data for BI tools (issue 13): the export page's downloads and ``GET /api/assessments``.

A small organisation worked out: one completed diagnostic with two respondents and two reviews,
its row and its answers checked value by value; read-only analysts get the portfolio's masking;
another organisation's data is never there; pages; each format read back; bad filters → 400
naming the parameter."""

from __future__ import annotations

import datetime as dt
import io
import json
from typing import Any

import openpyxl
import pandas as pd
import pyarrow.parquet as pq
import pytest
from django.test import Client
from django.urls import reverse

from innexport.portfolio import flat
from innexport.web import evidence, services
from innexport.web import respondents as team
from innexport.web.api import create_token
from innexport.web.models import Answer, Assessment, AssessmentStatus, AuditEntry, Firm

from .conftest import Org

pytestmark = pytest.mark.django_db


@pytest.fixture
def base_framework(frameworks):
    return next(f for f in frameworks if f.modules == [])


def api(user: Any) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Bearer {create_token(user)}")


def top(fw, qid: str) -> str:
    return fw.scale_by_id[fw.observable_by_id[qid].scale].levels[-1].code


@pytest.fixture
def worked(org_a: Org, base_framework) -> dict[str, Any]:
    """The firm answers every question at the top of its scale; a second respondent (export manager)
    answers the first three the same; the advisor validates the first and corrects the second to
    "don't know". Then the diagnostic is completed."""
    org_a.firm.region, org_a.firm.contact, org_a.firm.year_founded = "Grand Est", "Ana Díaz", 1987
    org_a.firm.save()
    a = Assessment.objects.create(organisation=org_a.organisation, firm=org_a.firm, framework=base_framework,
                                  lang="en", assessed_on=dt.date(2025, 5, 6), created_by=org_a.advisor)
    fw = services.framework_of(base_framework)
    qids = [o.id for o in fw.observables]
    services.save_answers(a, {q: (top(fw, q), None) for q in qids})
    person = team.add_respondent(a, name="Luis Rojas", role="export_manager", actor=org_a.advisor)
    services.save_answers(a, {q: (top(fw, q), None) for q in qids[:3]}, respondent=person)
    evidence.review_answer(a, qids[0], "validated", actor=org_a.advisor)
    evidence.review_answer(a, qids[1], "corrected", value="dk", note="no budget seen", actor=org_a.advisor)
    services.complete(a, org_a.advisor)
    a.refresh_from_db()
    return {"assessment": a, "fw": fw, "qids": qids, "person": person}


def test_the_worked_organisation_row_by_row(org_a: Org, worked: dict[str, Any]) -> None:
    a, fw, qids = worked["assessment"], worked["fw"], worked["qids"]
    response = api(org_a.advisor).get("/api/assessments")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["count"] == 1 and body["next"] is None and body["previous"] is None
    (row,) = body["results"]
    assert list(row)[:len(flat.ASSESSMENT_COLUMNS)] == list(flat.ASSESSMENT_COLUMNS)
    assert {k: row[k] for k in ("assessment_id", "firm_id", "firm_name", "contact", "country", "region", "sector",
                                "size_class", "year_founded", "assessed_on", "status", "lang", "framework_id",
                                "framework_modules")} == {
        "assessment_id": a.pk, "firm_id": org_a.firm.pk, "firm_name": "Chamber A Winery", "contact": "Ana Díaz",
        "country": "FR", "region": "Grand Est", "sector": "11.02", "size_class": "small", "year_founded": 1987,
        "assessed_on": "2025-05-06", "status": "completed", "lang": "en", "framework_id": "iiep",
        "framework_modules": ""}
    assert row["framework_version"] == fw.version and row["framework_hash"] == fw.content_hash
    # every scored answer at the top of its scale (the one "don't know" is left out): every score is 1
    assert [row[ix] for ix in ("iip", "iep", "iiep")] == [1.0, 1.0, 1.0]
    best = fw.classes[0].id
    assert [row[f"{ix}_class"] for ix in ("iip", "iep", "iiep")] == [best, best, best]
    assert row["quadrant"] == "innovative_exporter"
    assert all(row[f"dim_{d.id}"] == 1.0 for d in fw.dimensions)
    assert all(row[f"act_{x.id}"] == 1.0 for x in fw.activities)
    # nothing left to improve: no top priority
    assert [row[f"priority_{k}"] for k in range(1, 6)] == [None] * 5
    # the intervals are the stored result's
    stored = a.result["indices"]["iiep"]
    assert (row["iiep_low"], row["iiep_high"]) == (stored["interval"]["low"], stored["interval"]["high"])
    assert row["iiep_low"] <= 1.0 <= row["iiep_high"] + 1e-9
    assert row["completeness"] == pytest.approx(1 - 1 / len(qids))
    # two respondents; one answer validated, one corrected, the rest self-assessed
    assert (row["respondents"], row["validated"], row["corrected"], row["self_assessed"]) == (
        2, 1, 1, len(qids) - 2)


def test_the_worked_answers_in_long_format(org_a: Org, worked: dict[str, Any]) -> None:
    a, fw, qids, person = worked["assessment"], worked["fw"], worked["qids"], worked["person"]
    response = api(org_a.advisor).get("/api/assessments?table=answers")
    assert response.status_code == 200, response.content
    rows = response.json()["results"]
    assert len(rows) == len(qids) + 3  # the first respondent's answers, then the export manager's three
    assert list(rows[0]) == list(flat.ANSWER_COLUMNS)
    first = [r for r in rows if r["respondent"] is None]
    second = [r for r in rows if r["respondent"] == person.pk]
    assert len(first) == len(qids) and [r["question_id"] for r in second] == qids[:3]
    assert {r["respondent_role"] for r in first} == {"director"}
    assert {r["respondent_role"] for r in second} == {"export_manager"}
    q0 = next(r for r in first if r["question_id"] == qids[0])
    activity = fw.activity_of[qids[0]]
    assert q0 == {"assessment_id": a.pk, "firm_id": org_a.firm.pk, "respondent": None,
                  "respondent_role": "director", "question_id": qids[0],
                  "dimension": fw.dimension_of[activity.id].id, "activity": activity.id,
                  "answer": top(fw, qids[0]), "value": 1.0, "review_state": "validated",
                  "review_answer": top(fw, qids[0])}
    q1 = next(r for r in first if r["question_id"] == qids[1])
    assert (q1["answer"], q1["value"], q1["review_state"], q1["review_answer"]) == (top(fw, qids[1]), 1.0,
                                                                                    "corrected", "dk")
    assert all(r["review_state"] is None for r in first if r["question_id"] not in qids[:2])


def test_each_format_reads_back(org_a: Org, worked: dict[str, Any]) -> None:
    client, a = api(org_a.advisor), worked["assessment"]
    csv = client.get("/api/assessments?format=csv")
    assert csv.status_code == 200 and csv["Content-Type"].startswith("text/csv")
    assert csv.content.startswith(b"\xef\xbb\xbf")
    back = pd.read_csv(io.BytesIO(csv.content), encoding="utf-8-sig")
    assert back.loc[0, "assessment_id"] == a.pk and back.loc[0, "contact"] == "Ana Díaz"
    assert back.loc[0, "iiep"] == 1.0 and list(back.columns)[:3] == ["assessment_id", "firm_id", "firm_name"]

    xlsx = client.get("/api/assessments?format=xlsx&table=answers")
    assert xlsx.status_code == 200 and "attachment" in xlsx["Content-Disposition"]
    sheet = openpyxl.load_workbook(io.BytesIO(xlsx.content))["answers"]
    header = [c.value for c in sheet[1]]
    assert header == list(flat.ANSWER_COLUMNS) and sheet.max_row == len(worked["qids"]) + 3 + 1

    parquet = client.get("/api/assessments?format=parquet")
    table = pq.read_table(io.BytesIO(parquet.content))
    assert table.num_rows == 1 and table.column("iiep").to_pylist() == [1.0]
    assert table.column("assessed_on").to_pylist() == [dt.date(2025, 5, 6)]

    # the web page's downloads are the same files
    page = org_a.client("advisor").get(reverse("exports"))
    assert page.status_code == 200 and b"exports/assessments.parquet" in page.content
    web = org_a.client("advisor").get(reverse("export-file", args=["assessments", "csv"]))
    assert web.status_code == 200
    assert pd.read_csv(io.BytesIO(web.content), encoding="utf-8-sig").equals(back)
    assert AuditEntry.objects.filter(action=AuditEntry.Action.EXPORT, description__startswith="flat ").count() == 4


def test_a_formula_in_a_firm_field_stays_text(org_a: Org, worked: dict[str, Any]) -> None:
    Firm.objects.filter(pk=org_a.firm.pk).update(contact='=HYPERLINK("http://evil.example/","x")')
    xlsx = api(org_a.advisor).get("/api/assessments?format=xlsx")
    sheet = openpyxl.load_workbook(io.BytesIO(xlsx.content))["assessments"]
    header = [c.value for c in sheet[1]]
    cell = sheet.cell(row=2, column=header.index("contact") + 1)
    assert cell.data_type == "s" and cell.value.startswith("'=")


# --- analysts, tenants, pages, refusals -------------------------------------------------------------------


def many(org: Org, framework, sectors: list[str], *, region: str = "Maule") -> list[Assessment]:
    """One completed diagnostic (summary columns only) per firm, sector by sector."""
    out = []
    for k, sector in enumerate(sectors):
        firm = Firm.objects.create(organisation=org.organisation, name=f"{org.organisation.name} firm {k}",
                                   country="CL", sector=sector, region=region, size_class="micro",
                                   contact=f"owner {k}")
        out.append(Assessment.objects.create(
            organisation=org.organisation, firm=firm, framework=framework, status=AssessmentStatus.COMPLETED,
            assessed_on=dt.date(2025, 1, 1) + dt.timedelta(days=k), iip=0.5, iep=0.4, iiep=0.45,
            class_iip="preactive", class_iep="reactive", class_iiep="reactive", top_activities=["a", "b"],
            dimension_scores={"d": 0.5}))
    return out


def test_analysts_get_the_portfolio_masking(org_a: Org, base_framework) -> None:
    many(org_a, base_framework, ["11.02"] * 6 + ["62.01"] * 5 + ["01.21"] * 2 + ["25.6"] * 3)
    body = api(org_a.analyst).get("/api/assessments").json()
    assert body["count"] == 16 and len(body["results"]) == 16
    assert not set(flat.IDENTIFYING) & set(body["results"][0])
    sectors = pd.Series([r["sector"] for r in body["results"]]).value_counts().to_dict()
    assert sectors == {"11.02": 6, "62.01": 5, flat.OTHER: 5}
    assert {r["country"] for r in body["results"]} == {"CL"} and {r["region"] for r in body["results"]} == {"Maule"}
    # the advisor of the same organisation sees everything
    advisor = api(org_a.advisor).get("/api/assessments").json()["results"]
    assert {r["sector"] for r in advisor} == {"11.02", "62.01", "01.21", "25.6"}
    assert advisor[0]["firm_name"] == "Chamber A firm 0"
    # the masking is the whole selection's, page by page too
    page = api(org_a.analyst).get("/api/assessments?limit=4&offset=12").json()["results"]
    assert [r["sector"] for r in page] == [flat.OTHER] * 4
    page = org_a.client("analyst").get(reverse("exports") + "?country=CL")
    assert page.status_code == 200 and b"read-only analyst" in page.content and b"16 diagnostics" in page.content
    # the file downloads are masked the same way
    web = org_a.client("analyst").get(reverse("export-file", args=["assessments", "csv"]))
    back = pd.read_csv(io.BytesIO(web.content), encoding="utf-8-sig")
    assert "firm_name" not in back.columns and "contact" not in back.columns and len(back) == 16


def test_an_analyst_gets_no_row_for_fewer_than_five_firms(org_a: Org, worked: dict[str, Any]) -> None:
    client = api(org_a.analyst)
    for table in ("assessments", "answers"):
        body = client.get(f"/api/assessments?table={table}").json()
        assert body["count"] == 1 and body["results"] == []
    parquet = pq.read_table(io.BytesIO(client.get("/api/assessments?format=parquet&table=answers").content))
    assert parquet.num_rows == 0 and "question_id" in parquet.column_names


def test_another_organisation_never_appears(org_a: Org, org_b: Org, worked: dict[str, Any], base_framework) -> None:
    many(org_b, base_framework, ["11.02"] * 6)
    mine = api(org_b.advisor).get("/api/assessments").json()
    assert mine["count"] == 6
    assert all(r["firm_name"].startswith("Agency B") for r in mine["results"])
    answers = api(org_b.advisor).get("/api/assessments?table=answers").json()["results"]
    assert answers == []  # org_b's diagnostics have no answers; org_a's are never read
    theirs = api(org_a.advisor).get("/api/assessments").json()
    assert [r["assessment_id"] for r in theirs["results"]] == [worked["assessment"].pk]
    web = org_b.client("advisor").get(reverse("export-file", args=["answers", "csv"]))
    assert len(pd.read_csv(io.BytesIO(web.content), encoding="utf-8-sig")) == 0


def test_pages_with_links(org_a: Org, base_framework) -> None:
    made = many(org_a, base_framework, ["11.02"] * 7)
    client = api(org_a.advisor)
    first = client.get("/api/assessments?limit=3&status=completed")
    body = first.json()
    assert body["count"] == 7 and [r["assessment_id"] for r in body["results"]] == [a.pk for a in made[:3]]
    assert "offset=3" in body["next"] and "status=completed" in body["next"] and body["previous"] is None
    assert first["X-Total-Count"] == "7" and 'rel="next"' in first["Link"]
    last = client.get(body["next"].replace("http://testserver", "") .replace("offset=3", "offset=6"))
    body = last.json()
    assert [r["assessment_id"] for r in body["results"]] == [made[6].pk]
    assert body["next"] is None and "offset=3" in body["previous"]
    # the answers of a page are those of its diagnostics
    qid = services.framework_of(base_framework).observables[0].id
    Answer.objects.bulk_create([Answer(assessment=a, question_id=qid, value="dk") for a in made])
    answers = client.get("/api/assessments?table=answers&limit=3&offset=3").json()
    assert [r["assessment_id"] for r in answers["results"]] == [a.pk for a in made[3:6]]
    assert answers["count"] == 7 and {r["answer"] for r in answers["results"]} == {"dk"}
    csv = client.get("/api/assessments?limit=2&offset=2&format=csv")
    assert len(pd.read_csv(io.BytesIO(csv.content), encoding="utf-8-sig")) == 2 and 'rel="next"' in csv["Link"]


def test_filters(org_a: Org, base_framework) -> None:
    made = many(org_a, base_framework, ["11.02"] * 3 + ["62.01"] * 2)
    client = api(org_a.advisor)

    def ids(query: str) -> list[int]:
        response = client.get(f"/api/assessments?{query}")
        assert response.status_code == 200, response.content
        return [r["assessment_id"] for r in response.json()["results"]]

    assert ids("sector=62.01") == [a.pk for a in made[3:]]
    assert ids("sector=C11") == [a.pk for a in made[:3]]  # a code keeps the positions under it
    assert ids("from=2025-01-02&to=2025-01-03") == [made[1].pk, made[2].pk]
    assert ids("country=Chile") == ids("country=CL") == [a.pk for a in made]
    assert ids("country=FR") == [] and ids("status=draft") == []
    assert ids("framework=iiep") == [a.pk for a in made]


@pytest.mark.parametrize(("query", "named"), [
    ("status=finished", "status"), ("from=yesterday", "from"), ("from=2025-02-01&to=2025-01-01", "to"),
    ("country=Atlantis", "country"), ("framework=nope", "framework"), ("limit=0", "limit"),
    ("limit=100001", "limit"), ("offset=-1", "offset"), ("offset=x", "offset"), ("format=ods", "format"),
    ("table=firms", "table"), ("colour=red", "colour"),
])
def test_bad_parameters_are_refused_naming_them(org_a: Org, query: str, named: str) -> None:
    response = api(org_a.advisor).get(f"/api/assessments?{query}")
    assert response.status_code == 400, response.content
    assert response.json()["detail"].startswith(f"{named}:")


def test_the_page_refuses_bad_filters_and_unknown_files(org_a: Org) -> None:
    client = org_a.client("analyst")
    assert client.get(reverse("exports") + "?status=finished").status_code == 400
    bad = client.get(reverse("export-file", args=["assessments", "csv"]) + "?from=yesterday")
    assert bad.status_code == 400 and b"from:" in bad.content
    assert client.get("/exports/assessments.ods").status_code == 404
    assert client.get("/exports/firms.csv").status_code == 404
    assert Client().get(reverse("exports")).status_code == 302  # sign in first
    assert Client().get("/api/assessments").status_code == 401


def test_the_openapi_document_lists_the_endpoint(org_a: Org) -> None:
    doc = json.loads(Client().get("/api/openapi.json").content)
    params = {p["name"] for p in doc["paths"]["/api/assessments"]["get"]["parameters"]}
    assert {"format", "table", "limit", "offset", "from", "to", "status", "country", "sector", "framework"} <= params


def test_the_page_speaks_the_members_language(org_a: Org, base_framework) -> None:
    many(org_a, base_framework, ["11.02"] * 2)
    org_a.analyst.membership.language = "fr"
    org_a.analyst.membership.save()
    page = org_a.client("analyst").get(reverse("exports")).content.decode()
    assert "Données à plat pour les outils décisionnels" in page and "2 diagnostics correspondent" in page
    assert "analyste en lecture seule" in page and "read-only analyst" not in page


def test_the_exports_become_a_population_table(org_a: Org, worked: dict[str, Any], tmp_path) -> None:
    """``innexport population collect answers.csv --assessments assessments.csv``: the study's path from the web app."""
    from typer.testing import CliRunner

    from innexport.cli import _register, app

    client, fw, qids = api(org_a.advisor), worked["fw"], worked["qids"]
    (tmp_path / "answers.csv").write_bytes(client.get("/api/assessments?format=csv&table=answers").content)
    (tmp_path / "assessments.csv").write_bytes(client.get("/api/assessments?format=csv").content)
    _register()
    out = tmp_path / "pop.parquet"
    res = CliRunner().invoke(app, ["population", "collect", str(tmp_path / "answers.csv"), "--assessments",
                                   str(tmp_path / "assessments.csv"), "-o", str(out)])
    assert res.exit_code == 0, res.output
    table = pd.read_parquet(out)
    assert len(table) == 1 and table.attrs["content_hash"] == fw.content_hash
    row = table.iloc[0]
    assert (row["firm_id"], row["country"], row["region"], row["size"]) == (str(org_a.firm.pk), "FR", "Grand Est",
                                                                            "small")
    stored = worked["assessment"].result["indices"]
    assert [row[ix] for ix in ("iip", "iep", "iiep")] == [stored[ix]["value"] for ix in ("iip", "iep", "iiep")]
    assert pd.isna(row["obs." + qids[1]])  # corrected to "don't know" by the advisor, for every respondent
    assert row["obs." + qids[0]] == 1.0
