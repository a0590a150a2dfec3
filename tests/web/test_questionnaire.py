"""Starting a diagnostic, the guided questionnaire, autosave, resuming and completing — and who may do what."""

from __future__ import annotations

import datetime as dt
import json

import pytest
import yaml
from django.urls import reverse
from django.utils.html import escape

from innexport.files.frameworks import builtin_documents
from innexport.web import services
from innexport.web.models import Answer, Assessment, AuditEntry, Firm, FrameworkVersion, Membership

pytestmark = pytest.mark.django_db

KNOWN = "net_weak_ties_support_bodies"  # the first question of iiep.yaml


def known_question(lang: str) -> str:
    doc = yaml.safe_load(builtin_documents()["iiep"].read_text(encoding="utf-8"))
    for dim in doc["dimensions"]:
        for act in dim["activities"]:
            for obs in act["observables"]:
                if obs["id"] == KNOWN:
                    return obs["question"][lang]
    raise AssertionError(f"{KNOWN} not in iiep.yaml")


def page_url(assessment: Assessment, page: int) -> str:
    return reverse("assessment-page", args=[assessment.pk, page])


def answer(client, assessment: Assessment, body) -> tuple[int, dict]:
    response = client.post(reverse("assessment-answer", args=[assessment.pk]),
                           body if isinstance(body, str) else json.dumps(body), content_type="application/json")
    return response.status_code, json.loads(response.content)


def fill_all(assessment: Assessment, *, skip: int = 0) -> None:
    """Answer every question (but the first ``skip``) with its scale's top or bottom level."""
    fw = services.framework_of(assessment.framework)
    for i, o in enumerate(fw.observables[skip:]):
        levels = fw.scale_by_id[o.scale].levels
        services.save_answer(assessment, o.id, levels[-1 if i % 2 else 0].code)


def dimension_questions(assessment: Assessment, page: int) -> list:
    fw = services.framework_of(assessment.framework)
    return [o for a in fw.dimensions[page - 1].activities for o in a.observables]


# --- starting --------------------------------------------------------------------------------------------


def test_start_form_defaults(org_a, wine_framework) -> None:
    Membership.objects.filter(user=org_a.advisor).update(language="es")
    org_a.advisor.first_name, org_a.advisor.last_name = "Ana", "Pérez"
    org_a.advisor.save()
    response = org_a.client().get(reverse("assessment-start", args=[org_a.firm.pk]))
    assert response.status_code == 200
    form = response.context["form"]
    assert form["framework"].value() == wine_framework.pk  # a wine maker (NACE 11.02)
    # the firm is French: the questionnaire's language is its country's, not the advisor's (es)
    assert form["lang"].value() == "fr" and form["assessor"].value() == "Ana Pérez"
    assert form["assessed_on"].value() == dt.date.today()
    page = response.content.decode()
    assert "iiep 1.1.0 + wine 1.1.0" in page and "iiep 1.1.0 (" in page

    other = Firm.objects.create(organisation=org_a.organisation, name="Metal works", country="FR", sector="25.62")
    form = org_a.client().get(reverse("assessment-start", args=[other.pk])).context["form"]
    plain = FrameworkVersion.objects.get(framework_id="iiep", modules=[])
    assert form["framework"].value() == plain.pk


def test_start_creates_the_assessment(org_a, wine_framework) -> None:
    response = org_a.client().post(reverse("assessment-start", args=[org_a.firm.pk]), {
        "framework": wine_framework.pk, "lang": "fr", "assessed_on": "2025-03-14", "assessor": "Jean"})
    assessment = Assessment.objects.get(firm=org_a.firm)
    assert response.status_code == 302 and response["Location"] == page_url(assessment, 1)
    assert (assessment.lang, assessment.assessed_on, assessment.assessor) == ("fr", dt.date(2025, 3, 14), "Jean")
    assert assessment.organisation == org_a.organisation and assessment.framework == wine_framework
    assert assessment.status == "draft" and assessment.created_by == org_a.advisor
    assert AuditEntry.objects.filter(action="create", object_type="assessment", object_id=str(assessment.pk)).exists()


@pytest.mark.parametrize(("field", "value"), [
    ("framework", "999999"), ("framework", "iiep"), ("lang", "de"), ("assessed_on", "2025-13-45"),
    ("assessed_on", "yesterday"), ("assessed_on", ""),
])
def test_start_refuses_bad_input(org_a, wine_framework, field, value) -> None:
    data = {"framework": wine_framework.pk, "lang": "fr", "assessed_on": "2025-03-14", "assessor": "", field: value}
    response = org_a.client().post(reverse("assessment-start", args=[org_a.firm.pk]), data)
    assert response.status_code == 400 and response.context["form"].errors[field]
    assert not Assessment.objects.exists()


def test_unpublished_framework_cannot_be_chosen(org_a, wine_framework) -> None:
    FrameworkVersion.objects.filter(pk=wine_framework.pk).update(published=False)
    response = org_a.client().post(reverse("assessment-start", args=[org_a.firm.pk]), {
        "framework": wine_framework.pk, "lang": "fr", "assessed_on": "2025-03-14"})
    assert response.status_code == 400 and not Assessment.objects.exists()


# --- the pages ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("lang", ["fr", "es", "en"])
def test_every_page_shows_its_questions_in_the_assessment_language(org_a, assessment, lang) -> None:
    assessment.lang = lang
    assessment.save()
    fw = services.framework_of(assessment.framework)
    c = org_a.client()  # the advisor's interface is in English
    for n, dim in enumerate(fw.dimensions, start=1):
        response = c.get(page_url(assessment, n))
        assert response.status_code == 200
        page = response.content.decode()
        assert escape(dim.name[lang]) in page
        for act in dim.activities:
            assert escape(act.name[lang]) in page
            for o in act.observables:
                assert escape(o.question[lang]) in page and escape(o.help[lang]) in page
                assert f'name="q-{o.id}"' in page and f'name="c-{o.id}"' in page
                for level in fw.scale_by_id[o.scale].levels:
                    assert escape(level.label[lang]) in page
    first = c.get(page_url(assessment, 1)).content.decode()
    assert escape(known_question(lang)) in first
    assert {"fr": "Ne sait pas", "es": "No sabe", "en": "Don&#x27;t know"}[lang] in first
    assert 'class="q-bar"' in first and "questionnaire.js" in first
    assert c.get(page_url(assessment, 0)).status_code == 404
    assert c.get(page_url(assessment, len(fw.dimensions) + 1)).status_code == 404


def test_page_post_saves_its_answers_and_moves_on(org_a, assessment) -> None:
    c = org_a.client()
    fw = services.framework_of(assessment.framework)
    first, second, third = dimension_questions(assessment, 1)[:3]
    top = fw.scale_by_id[first.scale].levels[-1].code
    response = c.post(page_url(assessment, 1), {
        f"q-{first.id}": top, f"c-{first.id}": "ask the chamber\r\nagain", f"q-{second.id}": "dk",
        f"c-{third.id}": "", "nav": "next"})
    assert response.status_code == 302 and response["Location"] == page_url(assessment, 2)
    answers = services.answers_of(assessment)
    assert answers[first.id].value == top and answers[first.id].comment == "ask the chamber\nagain"
    assert answers[second.id].value == "dk" and third.id not in answers  # nothing to save for it
    assert answers[first.id].updated_by == org_a.advisor and not answers[first.id].via_share_link
    # a question left blank keeps its answer; a comment alone is kept too
    c.post(page_url(assessment, 1), {f"c-{second.id}": "no idea", "nav": "save"})
    assert services.answers_of(assessment)[second.id].value == "dk"
    assert services.answers_of(assessment)[second.id].comment == "no idea"
    assert c.post(page_url(assessment, 2), {"nav": "prev"})["Location"] == page_url(assessment, 1)
    assert c.post(page_url(assessment, 2), {"nav": "page-5"})["Location"] == page_url(assessment, 5)
    assert c.post(page_url(assessment, 2), {"nav": "save"})["Location"] == page_url(assessment, 2)
    page = c.get(page_url(assessment, 1)).content.decode()
    assert f'value="{top}" checked' in page and "ask the chamber\nagain</textarea>" in page


def test_page_post_with_a_bad_answer_saves_nothing(org_a, assessment) -> None:
    first, second = dimension_questions(assessment, 1)[:2]
    response = org_a.client().post(page_url(assessment, 1), {f"q-{first.id}": "dk", f"q-{second.id}": "maybe"})
    assert response.status_code == 400
    page = response.content.decode()
    assert second.id in page and "maybe" in page and "Nothing was saved" in page
    assert not Answer.objects.exists()


# --- autosave -----------------------------------------------------------------------------------------------


def test_autosave_saves_updates_clears(org_a, assessment) -> None:
    c = org_a.client()
    fw = services.framework_of(assessment.framework)
    total = len(fw.observables)
    status, data = answer(c, assessment, {"question_id": KNOWN, "value": "often", "comment": "CCI twice a year"})
    texts = data.pop("texts")
    assert status == 200 and data == {
        "ok": True, "question_id": KNOWN, "value": "often", "comment": "CCI twice a year", "answered": 1,
        "dont_know": 0, "total": 93, "needed": 65,  # 66 of 93 answers are needed (0.7 × 93 = 65.1), 1 is given
        "page": 1, "page_answered": 1, "page_dont_know": 0,
        "page_total": len(dimension_questions(assessment, 1)), "page_done": False}
    assert texts["summary"] == f"Questions answered: 1 of {total}"
    saved = Answer.objects.get(assessment=assessment, question_id=KNOWN)
    assert (saved.value, saved.comment, saved.updated_by) == ("often", "CCI twice a year", org_a.advisor)
    assert answer(c, assessment, {"question_id": KNOWN, "value": "always"})[1]["answered"] == 1
    saved.refresh_from_db()
    assert (saved.value, saved.comment) == ("always", "CCI twice a year")  # no comment given: kept
    status, data = answer(c, assessment, {"question_id": KNOWN, "comment": "and Team France Export"})
    saved.refresh_from_db()
    assert status == 200 and (saved.value, saved.comment) == ("always", "and Team France Export")  # value kept
    assert answer(c, assessment, {"question_id": KNOWN, "value": "dk"})[1]["answered"] == 0  # "don't know" apart
    assert Answer.objects.get(assessment=assessment, question_id=KNOWN).value == "dk"
    status, data = answer(c, assessment, {"question_id": KNOWN, "value": ""})
    assert status == 200 and data["answered"] == 0
    assert Answer.objects.get(assessment=assessment, question_id=KNOWN).value == ""


@pytest.mark.parametrize(("body", "named"), [
    ("{not json", "malformed JSON"),
    ("[1, 2]", "JSON object"),
    ({"value": "yes"}, "question_id"),
    ({"question_id": "no_such_question", "value": "yes"}, "no_such_question"),
    ({"question_id": KNOWN, "value": "yes"}, KNOWN),  # a frequency question: yes is not on its scale
    ({"question_id": KNOWN, "value": 3}, KNOWN),
    ({"question_id": KNOWN, "comment": 7}, KNOWN),
    ({"question_id": KNOWN}, KNOWN),
])
def test_autosave_refuses_bad_input(org_a, assessment, body, named) -> None:
    status, data = answer(org_a.client(), assessment, body)
    assert status == 400 and data["ok"] is False and named in data["error"]
    assert not Answer.objects.exists()


def test_autosave_needs_post_and_login(client, org_a, assessment) -> None:
    url = reverse("assessment-answer", args=[assessment.pk])
    assert org_a.client().get(url).status_code == 405
    response = client.post(url, json.dumps({"question_id": KNOWN, "value": "often"}), content_type="application/json")
    assert response.status_code == 302 and reverse("login") in response["Location"]
    assert not Answer.objects.exists()


# --- resuming and completing --------------------------------------------------------------------------------


def test_resume_goes_to_the_first_unanswered_page(org_a, assessment) -> None:
    c = org_a.client()
    url = reverse("assessment-questionnaire", args=[assessment.pk])
    assert c.get(url)["Location"] == page_url(assessment, 1)
    for o in dimension_questions(assessment, 1) + dimension_questions(assessment, 2):
        services.save_answer(assessment, o.id, "dk")
    services.save_answer(assessment, dimension_questions(assessment, 4)[0].id, "dk")
    assert c.get(url)["Location"] == page_url(assessment, 3)
    services.save_answer(assessment, dimension_questions(assessment, 2)[1].id, "")  # cleared: unanswered again
    assert c.get(url)["Location"] == page_url(assessment, 2)
    fill_all(assessment)
    n = len(services.framework_of(assessment.framework).dimensions)
    assert c.get(url)["Location"] == page_url(assessment, n)
    assert org_a.client("analyst").get(url)["Location"] == page_url(assessment, n)


def test_complete_with_too_few_answers_lists_the_missing_questions(org_a, assessment) -> None:
    fw = services.framework_of(assessment.framework)
    fill_all(assessment, skip=40)
    services.save_answer(assessment, fw.observables[0].id, "dk")
    response = org_a.client().post(reverse("assessment-complete", args=[assessment.pk]), {"page": "3"})
    assert response.status_code == 400
    page = response.content.decode()
    assert "Too few answers" in page and "at least 70%" in page
    page_of = {o.id: n for n in range(1, len(fw.dimensions) + 1) for o in dimension_questions(assessment, n)}
    for o in fw.observables[:40]:
        page_no = page_of[o.id]
        assert f'href="{page_url(assessment, page_no)}#q-{o.id}"' in page
    assert f"#q-{fw.observables[41].id}" not in page
    assert escape(fw.dimensions[2].name["en"]) in page  # stays on the page it came from
    assessment.refresh_from_db()
    assert assessment.status == "draft" and assessment.result is None and assessment.completed_at is None


def test_complete_scores_and_locks(org_a, assessment) -> None:
    fill_all(assessment)
    c = org_a.client()
    fw = services.framework_of(assessment.framework)
    last = len(fw.dimensions)
    response = c.post(reverse("assessment-complete", args=[assessment.pk]), {"page": str(last)})
    assert response.status_code == 302 and response["Location"] == reverse("assessment-results", args=[assessment.pk])
    assessment.refresh_from_db()
    assert assessment.status == "completed" and assessment.completed_at is not None
    assert set(assessment.result["indices"]) >= {"iip", "iep", "iiep"}
    assert AuditEntry.objects.filter(action="change", object_type="assessment",
                                     description__contains="completed").exists()
    # completed: read-only
    status, data = answer(c, assessment, {"question_id": KNOWN, "value": "often"})
    assert status == 409 and "completed" in data["error"]
    first = dimension_questions(assessment, 1)[0]
    assert c.post(page_url(assessment, 1), {f"q-{first.id}": "dk"}).status_code == 409
    assert Answer.objects.get(assessment=assessment, question_id=first.id).value != "dk"
    page = c.get(page_url(assessment, 1)).content.decode()
    assert 'type="radio"' not in page and "read-only" in page
    assert c.get(reverse("assessment-questionnaire", args=[assessment.pk]))["Location"] == reverse(
        "assessment-results", args=[assessment.pk])


def test_complete_saves_the_posted_page_first(org_a, assessment) -> None:
    fw = services.framework_of(assessment.framework)
    last = len(fw.dimensions)
    on_last = dimension_questions(assessment, last)
    fill_all(assessment)
    for o in on_last:
        services.save_answer(assessment, o.id, "")
    data = {"page": str(last)} | {f"q-{o.id}": fw.scale_by_id[o.scale].levels[0].code for o in on_last}
    assert org_a.client().post(reverse("assessment-complete", args=[assessment.pk]), data).status_code == 302
    assessment.refresh_from_db()
    assert assessment.status == "completed"
    assert all(services.answers_of(assessment)[o.id].value for o in on_last)


# --- roles and organisations --------------------------------------------------------------------------------


def test_analyst_reads_without_inputs_and_cannot_post(org_a, assessment) -> None:
    services.save_answer(assessment, KNOWN, "often", "a comment to read")
    c = org_a.client("analyst")
    response = c.get(page_url(assessment, 1))
    assert response.status_code == 200
    page = response.content.decode()
    assert "<input" not in page.split("<main")[1] and "<textarea" not in page
    assert "Often" in page and "a comment to read" in page
    assert c.get(reverse("assessment-start", args=[org_a.firm.pk])).status_code == 403
    for url, data in POSTS(assessment, org_a):
        extra = {"content_type": "application/json"} if isinstance(data, str) else {}
        assert c.post(url, data, **extra).status_code == 403, url
    assessment.refresh_from_db()
    assert Assessment.objects.count() == 1 and assessment.status == "draft" and assessment.share_token is None
    assert Answer.objects.get(assessment=assessment, question_id=KNOWN).value == "often"


def POSTS(assessment: Assessment, org) -> list[tuple[str, object]]:
    return [
        (reverse("assessment-start", args=[org.firm.pk]),
         {"framework": assessment.framework.pk, "lang": "en", "assessed_on": "2025-01-01"}),
        (page_url(assessment, 1), {f"q-{KNOWN}": "dk"}),
        (reverse("assessment-answer", args=[assessment.pk]), json.dumps({"question_id": KNOWN, "value": "dk"})),
        (reverse("assessment-complete", args=[assessment.pk]), {}),
        (reverse("assessment-share", args=[assessment.pk]), {"action": "open", "days": "3"}),
        (reverse("assessment-share", args=[assessment.pk]), {"action": "revoke"}),
    ]


ROUTES = [  # (name, arguments, method)
    ("assessment-start", "firm", "get"), ("assessment-start", "firm", "post"),
    ("assessment-questionnaire", "assessment", "get"),
    ("assessment-page", "page", "get"), ("assessment-page", "page", "post"),
    ("assessment-answer", "assessment", "post"),
    ("assessment-complete", "assessment", "post"),
    ("assessment-share", "assessment", "post"),
]


@pytest.mark.parametrize(("route", "args", "method"), ROUTES)
@pytest.mark.parametrize("who", ["admin", "advisor", "analyst"])
def test_other_organisations_get_404_everywhere(org_a, org_b, assessment, route, args, method,
                                               who) -> None:
    services.save_answer(assessment, KNOWN, "often")
    arguments = {"firm": [org_a.firm.pk], "assessment": [assessment.pk], "page": [assessment.pk, 1]}[args]
    url = reverse(route, args=arguments)
    c = org_b.client(who)
    if method == "get":
        response = c.get(url)
    elif route == "assessment-answer":
        response = c.post(url, json.dumps({"question_id": KNOWN, "value": "dk"}), content_type="application/json")
    else:
        response = c.post(url, {"framework": assessment.framework.pk, "lang": "en", "assessed_on": "2025-01-01",
                                f"q-{KNOWN}": "dk", "action": "open", "days": "3", "page": "1"})
    assert response.status_code == 404
    assessment.refresh_from_db()
    assert Assessment.objects.count() == 1 and assessment.status == "draft" and assessment.share_token is None
    assert Answer.objects.get(assessment=assessment, question_id=KNOWN).value == "often"
