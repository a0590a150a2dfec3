"""The JSON API: OpenAPI description, token authentication, the whole flow, bad input, roles and
isolation between organisations — and the page where members manage their tokens."""

from __future__ import annotations

import hashlib
import json
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import include, path, reverse

from innexport.web import services
from innexport.web import urls as project_urls
from innexport.web.api import create_token
from innexport.web.models import (
    Answer,
    ApiToken,
    Assessment,
    AssessmentStatus,
    AuditEntry,
    Firm,
    FrameworkVersion,
    Membership,
)

pytestmark = pytest.mark.django_db

# The token page's routes, in case the project's URL map does not include them (yet); the token
# page tests run with this module as their URL map.
urlpatterns = list(project_urls.urlpatterns)
if not any(getattr(p, "urlconf_name", None) == "innexport.web.views.tokens" for p in urlpatterns):
    urlpatterns.append(path("", include("innexport.web.views.tokens")))


# --- helpers ------------------------------------------------------------------------------------------


class Api:
    """A test client that sends a bearer token and JSON bodies."""

    def __init__(self, token: str | None = None, **client_kwargs: Any):
        self.client = Client(**client_kwargs)
        self.headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}

    def call(self, method: str, url: str, body: Any = None, *, raw: str | None = None, **headers: Any):
        data = raw if raw is not None else (json.dumps(body) if body is not None else None)
        kwargs: dict[str, Any] = {**self.headers, **headers}
        if data is not None:
            kwargs.update(data=data, content_type="application/json")
        return getattr(self.client, method.lower())(url, **kwargs)

    def get(self, url: str, **kw: Any):
        return self.call("GET", url, **kw)

    def post(self, url: str, body: Any = None, **kw: Any):
        return self.call("POST", url, body, **kw)

    def put(self, url: str, body: Any = None, **kw: Any):
        return self.call("PUT", url, body, **kw)

    def patch(self, url: str, body: Any = None, **kw: Any):
        return self.call("PATCH", url, body, **kw)

    def delete(self, url: str, **kw: Any):
        return self.call("DELETE", url, **kw)


def api_for(user: User) -> Api:
    return Api(create_token(user, "tests"))


def full_answers(version: FrameworkVersion) -> dict[str, str]:
    """An answer to every question: alternately the best and the second-best level, and one 'dk'."""
    fw = services.framework_of(version)
    out = {}
    for i, o in enumerate(fw.observables):
        levels = fw.scale_by_id[o.scale].levels
        out[o.id] = levels[-1 - i % 2].code
    out[fw.observables[0].id] = "dk"
    return out


def first_question(version: FrameworkVersion) -> str:
    return services.framework_of(version).observables[0].id


def snapshot() -> dict[str, Any]:
    """Every row the API may write, to check that a refused call changed nothing."""
    return {
        "firms": sorted(Firm.objects.values_list("pk", "name", "country", "region", "size_class", "year_founded",
                                                 "export_share", "organisation_id")),
        "assessments": sorted(Assessment.objects.values_list("pk", "status", "lang", "framework_id", "firm_id",
                                                             "assessor", "completed_at")),
        "results": sorted((a.pk, json.dumps(a.result, sort_keys=True)) for a in Assessment.objects.all()),
        "answers": sorted(Answer.objects.values_list("assessment_id", "question_id", "value", "comment")),
        "audit": AuditEntry.objects.exclude(action=AuditEntry.Action.LOGIN).count(),
    }


def weasyprint_available() -> bool:
    try:
        import weasyprint  # noqa: F401 - only whether it imports
    except (ImportError, OSError):
        return False
    return True


@pytest.fixture
def scored(assessment: Assessment, org_a) -> Assessment:
    """Org A's assessment, fully answered and scored."""
    for qid, value in full_answers(assessment.framework).items():
        services.save_answer(assessment, qid, value, user=org_a.advisor)
    assessment.refresh_from_db()
    services.score(assessment, complete=True)
    assessment.refresh_from_db()
    return assessment


# --- the OpenAPI description -------------------------------------------------------------------------


EXPECTED_PATHS = {
    "/api/frameworks": {"get"},
    "/api/frameworks/{framework_version_id}": {"get"},
    "/api/firms": {"get", "post"},
    "/api/firms/{firm_id}": {"get", "patch", "delete"},
    "/api/firms/{firm_id}/assessments": {"get", "post"},
    "/api/assessments/{assessment_id}": {"get"},
    "/api/assessments/{assessment_id}/answers": {"put"},
    "/api/assessments/{assessment_id}/answers/{question_id}": {"put"},
    "/api/assessments/{assessment_id}/score": {"post"},
    "/api/assessments/{assessment_id}/result": {"get"},
    "/api/assessments/{assessment_id}/report.pdf": {"get"},
    "/api/assessments/{assessment_id}/report.html": {"get"},
}


def test_openapi_document(db) -> None:
    response = Client().get("/api/openapi.json")
    assert response.status_code == 200 and response["Content-Type"].startswith("application/json")
    doc = json.loads(response.content)
    assert doc["openapi"].startswith("3.")
    assert doc["info"]["title"] == "innexport API"
    for p, methods in EXPECTED_PATHS.items():
        assert p in doc["paths"], p
        assert methods <= set(doc["paths"][p]), (p, set(doc["paths"][p]))
    schemes = doc["components"]["securitySchemes"]
    assert any(s.get("scheme") == "bearer" for s in schemes.values())
    # schemas carry descriptions and examples
    firm_in = doc["components"]["schemas"]["FirmIn"]
    country = firm_in["properties"]["country"]
    assert country["examples"] == ["CL"] and "ISO" in country["description"]
    pdf = doc["paths"]["/api/assessments/{assessment_id}/report.pdf"]["get"]["responses"]["200"]
    assert "application/pdf" in pdf["content"]
    score = doc["paths"]["/api/assessments/{assessment_id}/score"]["post"]["responses"]
    assert {"200", "401", "403", "404", "422"} <= set(score)
    assert "FirmResult" in doc["components"]["schemas"]
    assert reverse("api:openapi-json") == "/api/openapi.json"
    assert Client().get("/api/docs").status_code == 200


# --- authentication ----------------------------------------------------------------------------------


def test_no_token_or_bad_token_is_401(org_a) -> None:
    for headers in ({}, {"HTTP_AUTHORIZATION": "Bearer nope"}, {"HTTP_AUTHORIZATION": "Bearer "},
                    {"HTTP_AUTHORIZATION": "Basic YTpi"}, {"HTTP_AUTHORIZATION": "Token abc"}):
        for method, url in (("get", "/api/firms"), ("get", f"/api/firms/{org_a.firm.pk}"), ("post", "/api/firms"),
                            ("delete", f"/api/firms/{org_a.firm.pk}")):
            response = getattr(Client(), method)(url, **headers)
            assert response.status_code == 401, (headers, method, url)
            assert "token" in response.json()["detail"]
            assert response["WWW-Authenticate"].startswith("Bearer")
    assert Firm.objects.filter(pk=org_a.firm.pk).exists()


def test_a_logged_in_session_is_not_enough(org_a) -> None:
    assert org_a.client().get("/api/firms").status_code == 401


def test_token_is_stored_hashed_and_marks_its_use(org_a) -> None:
    token = create_token(org_a.advisor, "crm")
    stored = ApiToken.objects.get(user=org_a.advisor)
    assert stored.key_hash == hashlib.sha256(token.encode()).hexdigest() and stored.prefix == token[:8]
    assert stored.name == "crm" and stored.last_used_at is None
    assert not ApiToken.objects.filter(key_hash=token).exists()
    assert Api(token).get("/api/firms").status_code == 200
    stored.refresh_from_db()
    assert stored.last_used_at is not None


def test_revoked_inactive_or_orgless_users_are_refused(org_a) -> None:
    token = create_token(org_a.advisor)
    ApiToken.objects.filter(user=org_a.advisor).delete()
    assert Api(token).get("/api/firms").status_code == 401

    token = create_token(org_a.admin)
    org_a.admin.is_active = False
    org_a.admin.save()
    assert Api(token).get("/api/firms").status_code == 401

    loner = User.objects.create_user("loner", password="x-long-password-1", is_superuser=True, is_staff=True)
    assert Api(create_token(loner)).get("/api/firms").status_code == 401
    Membership.objects.filter(user=org_a.analyst).delete()
    assert Api(create_token(org_a.analyst)).get("/api/frameworks").status_code == 401


def test_no_csrf_token_needed_with_a_bearer_token(org_a) -> None:
    api = Api(create_token(org_a.advisor), enforce_csrf_checks=True)
    response = api.post("/api/firms", {"name": "Bodega Sur", "country": "AR"})
    assert response.status_code == 201, response.content


# --- the whole flow ----------------------------------------------------------------------------------


def test_full_flow(org_a, wine_framework) -> None:
    api = api_for(org_a.advisor)

    frameworks = api.get("/api/frameworks").json()
    assert {f["id"] for f in frameworks} == set(services.published_frameworks().values_list("pk", flat=True))
    wine = next(f for f in frameworks if f["modules"] == ["wine"])
    assert wine["id"] == wine_framework.pk and wine["content_hash"] == wine_framework.content_hash
    detail = api.get(f"/api/frameworks/{wine['id']}").json()
    fw = services.framework_of(wine_framework)
    assert [q["id"] for q in detail["questions"]] == [o.id for o in fw.observables]
    assert "dk" in detail["questions"][0]["answers"]

    response = api.post("/api/firms", {"name": "Viña Nueva", "country": "cl", "region": "Maule", "sector": "11.02",
                                       "size_class": "medium", "year_founded": 1999, "export_share": 60,
                                       "rd_intensity": 1.5, "contact": "Ana Pérez", "contact_email": "ana@example.org"})
    assert response.status_code == 201, response.content
    firm = response.json()
    assert firm["country"] == "CL" and firm["export_share"] == 60.0 and firm["contact_email"] == "ana@example.org"
    bad = api.patch(f"/api/firms/{firm['id']}", {"contact_email": "ana@@example"})
    assert bad.status_code == 400 and "contact_email" in bad.content.decode()
    assert Firm.objects.get(pk=firm["id"]).organisation == org_a.organisation
    entry = AuditEntry.objects.get(action="create", object_type="firm", object_id=str(firm["id"]))
    assert entry.user == org_a.advisor and entry.organisation == org_a.organisation

    response = api.patch(f"/api/firms/{firm['id']}", {"region": "Colchagua", "year_founded": None})
    assert response.status_code == 200, response.content
    assert response.json()["region"] == "Colchagua" and response.json()["year_founded"] is None
    assert response.json()["country"] == "CL" and response.json()["export_share"] == 60.0  # untouched
    assert api.get(f"/api/firms/{firm['id']}").json()["region"] == "Colchagua"
    listed = api.get("/api/firms", data={"q": "colch"}).json()
    assert [f["name"] for f in listed["items"]] == ["Viña Nueva"] and listed["count"] == 1
    assert [f["name"] for f in api.get("/api/firms", data={"country": "fr"}).json()["items"]] == ["Chamber A Winery"]

    response = api.post(f"/api/firms/{firm['id']}/assessments",
                        {"framework": wine["id"], "lang": "es", "assessed_on": "2025-03-14", "assessor": "Ana"})
    assert response.status_code == 201, response.content
    a = response.json()
    assert a["status"] == "draft" and a["lang"] == "es" and a["assessed_on"] == "2025-03-14"
    assert a["framework"]["content_hash"] == wine_framework.content_hash
    assert a["progress"] == {"answered": 0, "total": len(fw.observables)}
    assert [x["id"] for x in api.get(f"/api/firms/{firm['id']}/assessments").json()] == [a["id"]]

    url = f"/api/assessments/{a['id']}"
    assert api.get(f"{url}/result").status_code == 409

    # too few answers: 422 naming the missing questions
    q1 = first_question(wine_framework)
    response = api.put(f"{url}/answers/{q1}", {"value": "yes" if fw.observable_by_id[q1].scale == "yes_no"
                                               else fw.scale_by_id[fw.observable_by_id[q1].scale].levels[-1].code,
                                               "comment": "since 2019"})
    assert response.status_code == 200, response.content
    assert response.json()["comment"] == "since 2019" and response.json()["progress"]["answered"] == 1
    response = api.post(f"{url}/score")
    assert response.status_code == 422
    body = response.json()
    assert "too few" in body["detail"] and len(body["missing"]) == len(fw.observables) - 1 and q1 not in body["missing"]
    assert Assessment.objects.get(pk=a["id"]).status == AssessmentStatus.DRAFT

    answers = full_answers(wine_framework)
    response = api.put(f"{url}/answers", {"answers": answers, "comments": {q1: "asked the owner"}})
    assert response.status_code == 200, response.content
    assert response.json()["progress"] == {"answered": len(fw.observables), "total": len(fw.observables)}
    got = api.get(url).json()
    assert {q: x["value"] for q, x in got["answers"].items()} == answers
    assert got["answers"][q1]["comment"] == "asked the owner"

    response = api.post(f"{url}/score")
    assert response.status_code == 200, response.content
    result = response.json()
    assert set(result["indices"]) == {"iip", "iep", "iiep"}
    assert all(0 <= result["indices"][k]["value"] <= 1 for k in result["indices"])
    assert "class" in result["indices"]["iip"] and result["framework"]["content_hash"] == wine_framework.content_hash
    assert result["priorities"] and result["lang"] == "es"
    assert api.get(url).json()["status"] == "completed"
    assert api.get(f"{url}/result").json() == result

    response = api.get(f"{url}/report.html")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/html")
    assert b"Ana" in response.content or b"Vi" in response.content
    if weasyprint_available():
        response = api.get(f"{url}/report.pdf")
        assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
        assert response.content.startswith(b"%PDF")
        assert AuditEntry.objects.filter(action="export", object_type="assessment", object_id=str(a["id"])).exists()

    # completed: frozen, every change is refused (409) and the result stays
    before = snapshot()
    for method, route, body in [("PUT", f"{url}/answers/{q1}", {"value": "dk"}),
                                ("PUT", f"{url}/answers/{q1}", {"comment": "changed my mind"}),
                                ("PUT", f"{url}/answers", {"answers": {q1: "dk"}}),
                                ("PUT", f"{url}/answers", {"comments": {q1: "later"}})]:
        response = api.call(method, route, body)
        assert response.status_code == 409, (route, body, response.content)
        assert "completed" in response.json()["detail"]
    assert snapshot() == before
    assert api.get(f"{url}/result").json() == result
    assert api.post(f"{url}/score").json() == result  # scoring again: the kept result, nothing changed

    response = api.delete(f"/api/firms/{firm['id']}")
    assert response.status_code == 204
    assert not Firm.objects.filter(pk=firm["id"]).exists() and not Assessment.objects.filter(pk=a["id"]).exists()
    assert not Answer.objects.filter(assessment_id=a["id"]).exists()
    assert AuditEntry.objects.filter(action="delete", object_type="firm", object_id=str(firm["id"])).exists()
    assert api.get(f"/api/firms/{firm['id']}").status_code == 404


def test_single_answers_clear_and_keep_comments(assessment, org_a) -> None:
    api = api_for(org_a.advisor)
    q = first_question(assessment.framework)
    url = f"/api/assessments/{assessment.pk}/answers/{q}"
    assert api.put(url, {"value": "dk", "comment": "unsure"}).json()["value"] == "dk"
    response = api.put(url, {"value": ""})  # clears the answer, keeps the comment
    assert response.status_code == 200 and response.json()["value"] == "" and response.json()["comment"] == "unsure"
    assert response.json()["progress"]["answered"] == 0
    # a comment alone in a batch keeps the answer
    api.put(url, {"value": "dk"})
    assert api.put(f"/api/assessments/{assessment.pk}/answers", {"comments": {q: "later"}}).status_code == 200
    answer = Answer.objects.get(assessment=assessment, question_id=q)
    assert (answer.value, answer.comment, answer.updated_by) == ("dk", "later", org_a.advisor)


# --- bad input: a 4xx naming the problem, and nothing saved ------------------------------------------


def bad_inputs(org_a, wine_framework, assessment) -> list[tuple[str, str, Any, str | None, int, str]]:
    """(method, url, JSON body, raw body, expected status, text expected in the message)."""
    firm = f"/api/firms/{org_a.firm.pk}"
    a = f"/api/assessments/{assessment.pk}"
    q = first_question(wine_framework)
    fw = services.framework_of(wine_framework)
    good = full_answers(wine_framework)
    unpublished = FrameworkVersion.objects.create(framework_id="x", version="0", label="draft", content_hash="x",
                                                  framework_yaml="", published=False)
    return [
        ("POST", "/api/firms", {"name": "N", "country": "Atlantis"}, None, 400, "two-letter ISO code"),
        ("POST", "/api/firms", {"name": "N", "country": "FR", "size_class": "huge"}, None, 400, "size_class"),
        ("POST", "/api/firms", {"name": "N", "country": "FR", "export_share": 120}, None, 400, "between 0 and 100"),
        ("POST", "/api/firms", {"name": "N", "country": "FR", "rd_intensity": -1}, None, 400, "rd_intensity"),
        ("POST", "/api/firms", {"name": "N", "country": "FR", "year_founded": 20}, None, 400, "between 1000 and 2100"),
        ("POST", "/api/firms", {"name": "chamber a winery", "country": "FR"}, None, 400, "already has a firm"),
        ("POST", "/api/firms", {"name": "  ", "country": "FR"}, None, 400, "name"),
        ("POST", "/api/firms", {"country": "FR"}, None, 422, "body.name"),
        ("POST", "/api/firms", {"name": "N", "country": "FR", "colour": "red"}, None, 422, "colour"),
        ("POST", "/api/firms", {"name": "N", "country": "FR", "year_founded": "old"}, None, 422, "year_founded"),
        ("POST", "/api/firms", None, '{"name": "N", "country": "FR"', 400, "not valid JSON"),
        ("POST", "/api/firms", None, "", 422, "body"),
        ("POST", "/api/firms", ["N", "FR"], None, 422, "body"),
        ("PATCH", firm, {"country": "Atlantis"}, None, 400, "two-letter ISO code"),
        ("PATCH", firm, {"name": None}, None, 400, "name"),
        ("PATCH", firm, {"export_share": 101, "region": "Loire"}, None, 400, "export_share"),
        ("PATCH", firm, {"size_class": "giant"}, None, 400, "size_class"),
        ("PATCH", firm, {"owner": "me"}, None, 422, "owner"),
        ("PATCH", firm, None, "{region: 'Loire'}", 400, "not valid JSON"),
        ("POST", f"{firm}/assessments", {"framework": 99999}, None, 400, "framework"),
        ("POST", f"{firm}/assessments", {"framework": unpublished.pk}, None, 400, "framework"),
        ("POST", f"{firm}/assessments", {"framework": "wine"}, None, 422, "body.framework"),
        ("POST", f"{firm}/assessments", {}, None, 422, "body.framework"),
        ("POST", f"{firm}/assessments", {"framework": wine_framework.pk, "lang": "de"}, None, 422, "body.lang"),
        ("POST", f"{firm}/assessments", {"framework": wine_framework.pk, "assessed_on": "yesterday"}, None, 422,
         "body.assessed_on"),
        ("POST", f"{firm}/assessments", {"framework": wine_framework.pk, "assessor": "x" * 201}, None, 422,
         "body.assessor"),
        ("POST", f"{firm}/assessments", None, "framework=2", 400, "not valid JSON"),
        ("PUT", f"{a}/answers/{q}", {"value": "perhaps"}, None, 400, f"question {q}"),
        ("PUT", f"{a}/answers/{q}", {"value": 3}, None, 422, "body.value"),
        ("PUT", f"{a}/answers/no_such_question", {"value": "yes"}, None, 400, "no_such_question"),
        ("PUT", f"{a}/answers/{q}", {"value": "dk", "mood": "good"}, None, 422, "mood"),
        ("PUT", f"{a}/answers/{q}", None, '{"value": dk}', 400, "not valid JSON"),
        ("PUT", f"{a}/answers", {"answers": {**good, fw.observables[5].id: "maybe"}}, None, 400,
         fw.observables[5].id),
        ("PUT", f"{a}/answers", {"answers": {**good, "ghost": "yes"}}, None, 400, "ghost"),
        ("PUT", f"{a}/answers", {"answers": good, "comments": {"ghost": "boo"}}, None, 400, "ghost"),
        ("PUT", f"{a}/answers", {"answers": [q, "yes"]}, None, 422, "body.answers"),
        ("PUT", f"{a}/answers", {"answer": good}, None, 422, "answer"),
        ("PUT", f"{a}/answers", None, json.dumps({"answers": good})[:-3], 400, "not valid JSON"),
        ("POST", f"{a}/score", None, None, 422, "too few"),
        ("DELETE", "/api/firms/999999", None, None, 404, "firm 999999 not found"),
        ("DELETE", "/api/firms/abc", None, None, 422, "path.firm_id"),
        ("GET", "/api/assessments/abc", None, None, 422, "path.assessment_id"),
    ]


def test_bad_input_on_every_write_route(org_a, wine_framework, assessment) -> None:
    api = api_for(org_a.advisor)
    services.save_answer(assessment, first_question(wine_framework), "dk", "first", user=org_a.advisor)
    cases = bad_inputs(org_a, wine_framework, assessment)
    write_routes = {(m, u.replace(str(org_a.firm.pk), "{id}").replace(str(assessment.pk), "{id}"))
                    for m, u, *_ in cases}
    assert len(write_routes) >= 7
    for method, url, body, raw, status, message in cases:
        before = snapshot()
        response = api.call(method, url, body, raw=raw)
        assert response.status_code == status, (method, url, body, raw, response.content)
        detail = response.json()["detail"]
        assert isinstance(detail, str) and message in detail, (method, url, body, detail)
        assert snapshot() == before, (method, url, body)


def test_a_batch_with_one_bad_answer_saves_none(org_a, wine_framework, assessment) -> None:
    api = api_for(org_a.advisor)
    fw = services.framework_of(wine_framework)
    answers = full_answers(wine_framework)
    bad = [fw.observables[3].id, fw.observables[40].id]
    answers.update({bad[0]: "maybe", bad[1]: "11"})
    response = api.put(f"/api/assessments/{assessment.pk}/answers", {"answers": {**answers, "ghost": "yes"}})
    assert response.status_code == 400
    body = response.json()
    assert set(body["errors"]) == {*bad, "ghost"} and all(q in body["detail"] for q in (*bad, "ghost"))
    assert "nothing was saved" in body["detail"]
    assert Answer.objects.filter(assessment=assessment).count() == 0


def test_score_errors_name_the_missing_questions(org_a, assessment) -> None:
    fw = services.framework_of(assessment.framework)
    answers = full_answers(assessment.framework)
    dont_know = [o.id for o in fw.observables[:40]]
    answers.update(dict.fromkeys(dont_know, "dk"))
    for qid, value in answers.items():
        services.save_answer(assessment, qid, value)
    response = api_for(org_a.admin).post(f"/api/assessments/{assessment.pk}/score")
    assert response.status_code == 422
    body = response.json()
    assert body["missing"] == dont_know and body["dont_know"] == dont_know and body["problems"]
    assessment.refresh_from_db()
    assert assessment.status == "draft" and assessment.result is None


# --- roles and organisations ---------------------------------------------------------------------------


def read_routes(org, scored: Assessment) -> list[tuple[str, str]]:
    return [
        ("GET", f"/api/firms/{org.firm.pk}"),
        ("GET", f"/api/firms/{org.firm.pk}/assessments"),
        ("GET", f"/api/assessments/{scored.pk}"),
        ("GET", f"/api/assessments/{scored.pk}/result"),
        ("GET", f"/api/assessments/{scored.pk}/report.html"),
        ("GET", f"/api/assessments/{scored.pk}/report.pdf"),
    ]


def write_routes(org, scored: Assessment) -> list[tuple[str, str, Any]]:
    q = first_question(scored.framework)
    return [
        ("PATCH", f"/api/firms/{org.firm.pk}", {"region": "Elsewhere"}),
        ("POST", f"/api/firms/{org.firm.pk}/assessments", {"framework": scored.framework_id}),
        ("PUT", f"/api/assessments/{scored.pk}/answers/{q}", {"value": "dk", "comment": "changed"}),
        ("PUT", f"/api/assessments/{scored.pk}/answers", {"answers": {q: "dk"}}),
        ("POST", f"/api/assessments/{scored.pk}/score", None),
        ("DELETE", f"/api/firms/{org.firm.pk}", None),
    ]


ROUTE_NAMES = ["firm", "firm-assessments", "assessment", "result", "report.html", "report.pdf"]
WRITE_NAMES = ["patch-firm", "start-assessment", "answer", "answers", "score", "delete-firm"]


@pytest.mark.parametrize("route", range(len(ROUTE_NAMES)), ids=ROUTE_NAMES)
def test_analyst_can_read(org_a, scored, route) -> None:
    method, url = read_routes(org_a, scored)[route]
    if url.endswith(".pdf") and not weasyprint_available():
        pytest.skip("WeasyPrint is not installed")
    response = api_for(org_a.analyst).call(method, url)
    assert response.status_code == 200, response.content


@pytest.mark.parametrize("route", range(len(WRITE_NAMES) + 1), ids=[*WRITE_NAMES, "create-firm"])
def test_analyst_cannot_write(org_a, scored, route) -> None:
    routes = [*write_routes(org_a, scored), ("POST", "/api/firms", {"name": "New", "country": "FR"})]
    method, url, body = routes[route]
    api = api_for(org_a.analyst)
    assert api.get("/api/firms").status_code == 200
    before = snapshot()
    response = api.call(method, url, body)
    assert response.status_code == 403, response.content
    assert "analyst" in response.json()["detail"]
    assert snapshot() == before


@pytest.mark.parametrize("who", ["admin", "advisor", "analyst"])
def test_other_organisations_ids_are_404_on_every_route(org_a, org_b, scored, who) -> None:
    api = api_for(getattr(org_b, who))
    before = snapshot()
    routes = [(m, u, None) for m, u in read_routes(org_a, scored)] + write_routes(org_a, scored)
    assert {(m, u.split("/")[2]) for m, u, _ in routes} >= {("GET", "firms"), ("PATCH", "firms"), ("DELETE", "firms"),
                                                            ("POST", "firms"), ("GET", "assessments"),
                                                            ("PUT", "assessments"), ("POST", "assessments")}
    for method, url, body in routes:
        response = api.call(method, url, body)
        assert response.status_code == 404, (who, method, url, response.content)
        assert "not found" in response.json()["detail"]
    # the same answer as for an id that does not exist at all
    ghost = api.get("/api/firms/987654")
    assert ghost.status_code == 404 and ghost.json()["detail"] == "firm 987654 not found"
    assert snapshot() == before
    listed = api.get("/api/firms", data={"q": "Chamber"}).json()
    assert listed == {"items": [], "count": 0}
    assert [f["name"] for f in api.get("/api/firms").json()["items"]] == ["Agency B Winery"]


def test_each_organisation_sees_its_own_firms(org_a, org_b) -> None:
    a = api_for(org_a.advisor)
    created = a.post("/api/firms", {"name": "Agency B Winery", "country": "FR"})  # same name, other organisation
    assert created.status_code == 201
    assert {f["name"] for f in a.get("/api/firms").json()["items"]} == {"Chamber A Winery", "Agency B Winery"}
    assert Firm.objects.get(pk=created.json()["id"]).organisation == org_a.organisation
    assert Firm.objects.filter(name="Agency B Winery").count() == 2


def test_firm_list_pages(org_a) -> None:
    for i in range(5):
        Firm.objects.create(organisation=org_a.organisation, name=f"Firm {i}", country="ES", size_class="micro")
    api = api_for(org_a.analyst)
    page = api.get("/api/firms", data={"limit": 2, "offset": 1, "country": "es"}).json()
    assert page["count"] == 5 and [f["name"] for f in page["items"]] == ["Firm 1", "Firm 2"]
    assert api.get("/api/firms", data={"size_class": "small"}).json()["count"] == 1


# --- the token page -------------------------------------------------------------------------------------


@pytest.mark.urls(__name__)
def test_token_page_creates_lists_and_revokes(org_a) -> None:
    c = org_a.client("analyst")
    url = reverse("api-tokens")
    assert url == "/account/tokens/"
    assert "No token yet" in c.get(url).content.decode()
    response = c.post(url, {"name": "Power BI"})
    assert response.status_code == 200
    stored = ApiToken.objects.get(user=org_a.analyst)
    page = response.content.decode()
    token = page.split('id="new-token" readonly value="')[1].split('"')[0]
    assert token.startswith(stored.prefix) and stored.key_hash == hashlib.sha256(token.encode()).hexdigest()
    assert response["Cache-Control"].startswith("max-age=0") or "no-cache" in response["Cache-Control"]
    assert AuditEntry.objects.filter(action="create", object_type="apitoken", user=org_a.analyst).exists()

    # the token works (read-only, like its user), and is never shown again
    api = Api(token)
    assert api.get("/api/firms").status_code == 200
    assert api.post("/api/firms", {"name": "X", "country": "FR"}).status_code == 403
    page = c.get(url).content.decode()
    assert token not in page and "Power BI" in page and stored.prefix in page and "never" not in page

    response = c.post(reverse("api-token-revoke", args=[stored.pk]))
    assert response.status_code == 302 and not ApiToken.objects.filter(pk=stored.pk).exists()
    assert api.get("/api/firms").status_code == 401
    assert AuditEntry.objects.filter(action="delete", object_type="apitoken", object_id=str(stored.pk)).exists()


@pytest.mark.urls(__name__)
def test_tokens_of_others_are_neither_listed_nor_revocable(org_a, org_b) -> None:
    create_token(org_a.advisor, "advisor's own")
    theirs = [create_token(org_a.admin, "colleague's"), create_token(org_b.advisor, "other org's")]
    page = org_a.client("advisor").get(reverse("api-tokens")).content.decode()
    assert "advisor&#x27;s own" in page and "colleague" not in page and "other org" not in page
    for token in ApiToken.objects.exclude(user=org_a.advisor):
        response = org_a.client("advisor").post(reverse("api-token-revoke", args=[token.pk]))
        assert response.status_code == 404
    assert ApiToken.objects.count() == 3
    for token in theirs:
        assert Api(token).get("/api/frameworks").status_code == 200


@pytest.mark.urls(__name__)
def test_token_page_refuses_bad_input_and_strangers(org_a) -> None:
    c = org_a.client()
    url = reverse("api-tokens")
    for name in ("", "   ", "x" * 101):
        response = c.post(url, {"name": name})
        assert response.status_code == 400 and 'class="errorlist' in response.content.decode()
    assert not ApiToken.objects.exists()
    token = ApiToken.objects.get(key_hash=hashlib.sha256(create_token(org_a.advisor).encode()).hexdigest())
    assert c.get(reverse("api-token-revoke", args=[token.pk])).status_code == 405
    anonymous = Client()
    assert anonymous.get(url).status_code == 302
    assert anonymous.post(reverse("api-token-revoke", args=[token.pk])).status_code == 302
    loner = User.objects.create_user("loner", password="x-long-password-1")
    stranger = Client()
    stranger.force_login(loner)
    assert stranger.get(url).status_code == 403
    assert ApiToken.objects.filter(pk=token.pk).exists()
