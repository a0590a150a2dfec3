"""The life cycle of an assessment in the service layer (:mod:`innexport.web.services`): a completed
assessment is frozen on every route, the steps lock the assessment's row, and the rules written once
(what an answer is, the comment limit, the completed result, the top priorities, the programmes
picked and used, the languages) are the ones every route uses."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from innexport.core.answers import COMMENT_MAX_LENGTH
from innexport.core.assessment import FirmResult
from innexport.core.framework import LANGUAGES
from innexport.support.followup import programmes_picked_and_used
from innexport.web import services
from innexport.web.api import AnswerIn, AssessmentIn, create_token
from innexport.web.models import ActionPlan, Answer, Assessment, AuditEntry, summary_fields

pytestmark = pytest.mark.django_db

KNOWN = "net_weak_ties_support_bodies"  # a frequency question: never, sometimes, often, always


def fill_all(assessment: Assessment) -> None:
    fw = services.framework_of(assessment.framework)
    for i, o in enumerate(fw.observables):
        levels = fw.scale_by_id[o.scale].levels
        services.save_answer(assessment, o.id, levels[-1 if i % 2 else 0].code)


@pytest.fixture
def completed(assessment: Assessment) -> Assessment:
    fill_all(assessment)
    services.complete(assessment)
    assessment.refresh_from_db()
    return assessment


def state(assessment: Assessment) -> tuple:
    """Everything a refused change must leave as it was."""
    a = Assessment.objects.get(pk=assessment.pk)
    return (a.status, a.completed_at, json.dumps(a.result, sort_keys=True), a.share_token,
            sorted(Answer.objects.filter(assessment=a).values_list("question_id", "value", "comment", "updated_at")))


# --- a completed assessment is frozen, whatever the route ----------------------------------------------------


def test_the_api_cannot_change_a_completed_assessment(org_a, completed) -> None:
    """The reported defect: PUT …/answers/{q} on a completed diagnostic answered 200 and left it
    completed without a result (GET …/result 409) while its plan stood."""
    org_a.client().post(reverse("assessment-plan", args=[completed.pk]))
    assert ActionPlan.objects.filter(assessment=completed).exists()
    auth = {"HTTP_AUTHORIZATION": f"Bearer {create_token(org_a.advisor, 'tests')}"}
    api = Client()
    url = f"/api/assessments/{completed.pk}"
    result = api.get(f"{url}/result", **auth).json()
    before = state(completed)
    for route, body in [(f"{url}/answers/{KNOWN}", {"value": "dk"}),
                        (f"{url}/answers/{KNOWN}", {"value": "often", "comment": "a comment"}),
                        (f"{url}/answers", {"answers": {KNOWN: "dk"}}),
                        (f"{url}/answers", {"comments": {KNOWN: "a comment"}})]:
        response = api.put(route, json.dumps(body), content_type="application/json", **auth)
        assert response.status_code == 409, (route, body, response.content)
        assert f"assessment {completed.pk} is completed" in response.json()["detail"]
    assert state(completed) == before
    assert api.get(f"{url}/result", **auth).json() == result


def test_the_web_pages_and_the_private_link_cannot_change_a_completed_assessment(org_a, completed) -> None:
    c = org_a.client()
    completed.open_share_link(3)  # a link opened before completion still works, read-only
    completed.save(update_fields=["share_token", "share_expires_at"])
    token = completed.share_token
    before = state(completed)
    autosave = c.post(reverse("assessment-answer", args=[completed.pk]),
                      json.dumps({"question_id": KNOWN, "comment": "only a comment"}), content_type="application/json")
    assert autosave.status_code == 409 and "completed" in autosave.json()["error"]
    page = c.post(reverse("assessment-page", args=[completed.pk, 1]), {f"c-{KNOWN}": "only a comment"})
    assert page.status_code == 409 and "can no longer be changed" in page.content.decode()
    director = Client()
    link = director.post(reverse("share-answer", args=[token]), json.dumps({"question_id": KNOWN, "comment": "x"}),
                         content_type="application/json")
    assert link.status_code == 409
    assert director.post(reverse("share-page", args=[token, 1]), {f"c-{KNOWN}": "x"}).status_code == 409
    again = c.post(reverse("assessment-complete", args=[completed.pk]), {"page": "1", f"q-{KNOWN}": "dk"})
    assert again.status_code == 302 and again["Location"] == reverse("assessment-results", args=[completed.pk])
    assert state(completed) == before


def test_a_save_from_a_stale_copy_is_refused_after_completion(assessment) -> None:
    """The race's ordering made deterministic: a request loaded the assessment while it was a draft,
    the assessment was completed meanwhile, then the request saves. The service reads the status
    again under the row lock: refused, and the assessment keeps its result."""
    fill_all(assessment)
    stale = Assessment.objects.get(pk=assessment.pk)
    services.complete(assessment)
    assert stale.status == "draft"
    before = state(assessment)
    with pytest.raises(services.AssessmentCompleted):
        services.save_answer(stale, KNOWN, "dk")
    with pytest.raises(services.AssessmentCompleted):
        services.save_answers(stale, {KNOWN: (None, "a comment")})
    assert state(assessment) == before
    assert stale.status == "completed" and stale.result is not None  # the caller's copy is refreshed


def test_completing_twice_keeps_the_first_result_and_audits_once(org_a, assessment) -> None:
    fill_all(assessment)
    first = services.complete(assessment, org_a.advisor)
    completed_at = Assessment.objects.get(pk=assessment.pk).completed_at
    second = services.complete(Assessment.objects.get(pk=assessment.pk), org_a.advisor)
    assert not first.already and second.already and second.result == first.result
    assert Assessment.objects.get(pk=assessment.pk).completed_at == completed_at
    assert AuditEntry.objects.filter(object_type="assessment", description__startswith="completed").count() == 1


def test_the_completed_result_or_a_refusal(assessment) -> None:
    with pytest.raises(services.NoResult) as refused:
        services.completed_result(assessment)
    assert refused.value.reason == "draft" and "still in progress" in refused.value.message
    fill_all(assessment)
    kept = services.complete(assessment).result
    assert services.completed_result(assessment) == kept
    # a completed assessment left without its result (by the defect fixed here) is scored again
    Assessment.objects.filter(pk=assessment.pk).update(result=None, **summary_fields(None))
    lost = Assessment.objects.get(pk=assessment.pk)
    assert services.completed_result(lost) == kept
    assert Assessment.objects.get(pk=assessment.pk).result == kept.model_dump(mode="json", by_alias=True)
    # … unless its answers cannot be scored
    Answer.objects.filter(assessment=assessment).update(value="dk")
    Assessment.objects.filter(pk=assessment.pk).update(result=None)
    with pytest.raises(services.NoResult) as refused:
        services.completed_result(Assessment.objects.get(pk=assessment.pk))
    assert refused.value.reason == "unscorable"


# --- the one answer rule and the one comment limit ---------------------------------------------------------


@pytest.mark.parametrize(("given", "kept"), [
    ("often", "often"), ("OFTEN", "often"), ("Souvent", "often"), ("a menudo", "often"), ("dk", "dk"),
    ("Ne sait pas", "dk"), ("", ""),
])
def test_every_route_keeps_the_canonical_code(org_a, assessment, given, kept) -> None:
    c = org_a.client()
    body = json.dumps({"question_id": KNOWN, "value": given, "comment": "x"})
    response = c.post(reverse("assessment-answer", args=[assessment.pk]), body, content_type="application/json")
    assert response.status_code == 200 and response.json()["value"] == kept
    assert Answer.objects.get(assessment=assessment, question_id=KNOWN).value == kept
    Answer.objects.all().delete()
    c.post(reverse("assessment-page", args=[assessment.pk, 1]), {f"q-{KNOWN}": given, f"c-{KNOWN}": "x"})
    assert Answer.objects.get(assessment=assessment, question_id=KNOWN).value == kept
    Answer.objects.all().delete()
    auth = {"HTTP_AUTHORIZATION": f"Bearer {create_token(org_a.advisor, 'tests')}"}
    response = Client().put(f"/api/assessments/{assessment.pk}/answers", json.dumps({"answers": {KNOWN: given}}),
                            content_type="application/json", **auth)
    assert response.status_code == 200
    assert Answer.objects.filter(assessment=assessment, question_id=KNOWN).values_list("value", flat=True).first() \
        in ({kept} if kept else {None, ""})


def test_a_comment_over_the_limit_is_refused_naming_the_question(org_a, assessment) -> None:
    long = "x" * (COMMENT_MAX_LENGTH + 1)
    assert Answer._meta.get_field("comment").max_length == COMMENT_MAX_LENGTH
    assert AnswerIn.model_json_schema()["properties"]["comment"]["anyOf"][0]["maxLength"] == COMMENT_MAX_LENGTH
    c = org_a.client()
    response = c.post(reverse("assessment-answer", args=[assessment.pk]),
                      json.dumps({"question_id": KNOWN, "comment": long}), content_type="application/json")
    assert response.status_code == 400 and KNOWN in response.json()["error"]
    response = c.post(reverse("assessment-page", args=[assessment.pk, 1]), {f"q-{KNOWN}": "dk", f"c-{KNOWN}": long})
    assert response.status_code == 400 and f"at most {COMMENT_MAX_LENGTH}" in response.content.decode()
    auth = {"HTTP_AUTHORIZATION": f"Bearer {create_token(org_a.advisor, 'tests')}"}
    response = Client().put(f"/api/assessments/{assessment.pk}/answers", json.dumps({"comments": {KNOWN: long}}),
                            content_type="application/json", **auth)
    assert response.status_code == 400 and KNOWN in response.json()["errors"]
    assert not Answer.objects.exists()
    # at the limit: kept whole
    services.save_answer(assessment, KNOWN, None, "y" * COMMENT_MAX_LENGTH)
    assert len(Answer.objects.get(question_id=KNOWN).comment) == COMMENT_MAX_LENGTH


# --- the other rules written once ---------------------------------------------------------------------------


def test_top_activities_are_the_results_top_priorities(completed) -> None:
    result = FirmResult.model_validate(completed.result)
    assert completed.top_activities == [p.activity for p in result.top_priorities()]
    assert completed.top_activities and summary_fields(completed.result) == summary_fields(result)


def test_plan_summary_uses_the_support_rule(org_a, completed) -> None:
    plan = services.make_plan(completed, org_a.advisor)
    rows = list(plan.actions.all())
    for row, status in zip(rows, ["done", "dropped", "doing"], strict=False):
        row.status, row.chosen = status, list(row.proposed[:1]) or ["p-by-hand"]
        row.save()
    plan.refresh_summary()
    picked, used = programmes_picked_and_used((r.status, r.chosen) for r in plan.actions.all())
    assert (plan.programmes_picked, plan.programmes_used) == (picked, used)
    assert used == list(rows[0].chosen)


def test_languages_come_from_the_core() -> None:
    assert [code for code, _name in settings.LANGUAGES] == list(LANGUAGES)
    assert AssessmentIn.model_json_schema()["properties"]["lang"]["anyOf"][0]["enum"] == list(LANGUAGES)
    from innexport.web.views.assessments import StartForm

    assert [code for code, _name in StartForm().fields["lang"].choices] == list(LANGUAGES)


def test_plans_module_does_not_import_the_service_layer() -> None:
    """No cycle web.plans ↔ web.services: the plans module loads without the service layer."""
    code = ("import sys, django; django.setup(); import innexport.web.plans; "
            "sys.exit('innexport.web.services' in sys.modules)")
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert run.returncode == 0, run.stderr


def test_the_api_documents_the_refusal_of_a_completed_assessment(db) -> None:
    doc = Client().get("/api/openapi.json").json()
    for path in ("/api/assessments/{assessment_id}/answers/{question_id}", "/api/assessments/{assessment_id}/answers"):
        assert "409" in doc["paths"][path]["put"]["responses"], path
