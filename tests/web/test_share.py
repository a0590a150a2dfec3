"""The director's private link: opened, extended and revoked by the advisor, used without an account."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.html import escape
from django.utils.translation import gettext

from innexport.web import services
from innexport.web.models import Answer, Assessment, AuditEntry

pytestmark = pytest.mark.django_db

KNOWN = "net_weak_ties_support_bodies"


def open_link(org, assessment: Assessment, days: int | str = 5):
    response = org.client().post(reverse("assessment-share", args=[assessment.pk]),
                                 {"action": "open", "days": str(days),
                                  "next": reverse("assessment-page", args=[assessment.pk, 2])})
    assessment.refresh_from_db()
    return response


def share_urls(token: str) -> list[tuple[str, str]]:
    return [
        ("get", reverse("share-start", args=[token])),
        ("get", reverse("share-page", args=[token, 1])),
        ("post", reverse("share-page", args=[token, 1])),
        ("post", reverse("share-answer", args=[token])),
        ("get", reverse("share-done", args=[token])),
    ]


def use(client: Client, method: str, url: str):
    if method == "get":
        return client.get(url)
    if url.endswith("/answer/"):
        return client.post(url, json.dumps({"question_id": KNOWN, "value": "often"}), content_type="application/json")
    return client.post(url, {f"q-{KNOWN}": "often", "nav": "next"})


@pytest.fixture
def french(assessment: Assessment) -> Assessment:
    assessment.lang = "fr"
    assessment.save()
    return assessment


def test_open_extend_and_revoke(org_a, assessment) -> None:
    response = open_link(org_a, assessment, 5)
    assert response.status_code == 302 and response["Location"] == reverse("assessment-page", args=[assessment.pk, 2])
    token = assessment.share_token
    assert token and len(token) >= 32 and assessment.share_link_valid
    assert abs(assessment.share_expires_at - (timezone.now() + dt.timedelta(days=5))) < dt.timedelta(minutes=1)
    page = org_a.client().get(reverse("assessment-page", args=[assessment.pk, 1])).content.decode()
    assert f"/s/{token}/" in page and "Revoke the link" in page
    # extending keeps the link already sent
    open_link(org_a, assessment, 30)
    assert assessment.share_token == token
    assert assessment.share_expires_at > timezone.now() + dt.timedelta(days=29)
    org_a.client().post(reverse("assessment-share", args=[assessment.pk]), {"action": "revoke"})
    assessment.refresh_from_db()
    assert assessment.share_token is None and not assessment.share_link_valid
    # a new link after a revocation is a new token
    open_link(org_a, assessment, 2)
    assert assessment.share_token and assessment.share_token != token
    descriptions = list(AuditEntry.objects.filter(object_type="assessment").values_list("description", flat=True))
    assert any("revoked" in d for d in descriptions) and any("5 day" in d for d in descriptions)


@pytest.mark.parametrize("days", ["0", "-3", "91", "many", ""])
def test_bad_validity_changes_nothing(org_a, assessment, days) -> None:
    c = org_a.client()
    response = c.post(reverse("assessment-share", args=[assessment.pk]), {"action": "open", "days": days}, follow=True)
    assessment.refresh_from_db()
    assert response.status_code == 200 and assessment.share_token is None
    assert "1 to 90 days" in response.content.decode()


def test_next_must_stay_on_the_site(org_a, assessment) -> None:
    response = org_a.client().post(reverse("assessment-share", args=[assessment.pk]),
                                   {"action": "open", "days": "3", "next": "https://evil.example/"})
    assert response["Location"] == reverse("assessment-questionnaire", args=[assessment.pk])
    assert org_a.client().post(reverse("assessment-share", args=[assessment.pk]),
                               {"action": "steal"}).status_code == 400


def test_the_director_answers_without_an_account(org_a, french) -> None:
    open_link(org_a, french)
    token = french.share_token
    director = Client()
    response = director.get(reverse("share-start", args=[token]))
    assert response.status_code == 302 and response["Location"] == reverse("share-page", args=[token, 1])
    response = director.get(response["Location"])
    page = response.content.decode()
    assert response.status_code == 200 and response["Content-Language"] == "fr" and '<html lang="fr">' in page
    fw = services.framework_of(french.framework)
    assert escape(fw.observable_by_id[KNOWN].question["fr"]) in page and "Ne sait pas" in page
    assert "Chamber A" in page and "noindex" in page and response["Referrer-Policy"] == "same-origin"
    assert reverse("firm-list") not in page and "assessment-complete" not in page and "/complete/" not in page
    # the page's form
    response = director.post(reverse("share-page", args=[token, 1]),
                             {f"q-{KNOWN}": "often", f"c-{KNOWN}": "la CCI", "nav": "next"})
    assert response.status_code == 302 and response["Location"] == reverse("share-page", args=[token, 2])
    saved = Answer.objects.get(assessment=french, question_id=KNOWN)
    assert (saved.value, saved.comment, saved.via_share_link, saved.updated_by) == ("often", "la CCI", True, None)
    # autosave
    other = fw.observables[1]
    response = director.post(reverse("share-answer", args=[token]),
                             json.dumps({"question_id": other.id, "value": "dk", "comment": "à voir"}),
                             content_type="application/json")
    data = json.loads(response.content)
    assert response.status_code == 200 and data["ok"] and data["total"] == len(fw.observables)
    assert (data["answered"], data["dont_know"]) == (1, 1)  # "don't know" is not counted as answered
    assert Answer.objects.get(assessment=french, question_id=other.id).via_share_link
    response = director.post(reverse("share-answer", args=[token]), json.dumps({"question_id": KNOWN, "value": "yes"}),
                             content_type="application/json")
    assert response.status_code == 400 and KNOWN in json.loads(response.content)["error"]
    assert Answer.objects.get(assessment=french, question_id=KNOWN).value == "often"
    # resume where the director left
    assert director.get(reverse("share-start", args=[token]))["Location"] == reverse("share-page", args=[token, 1])


def test_done_page_and_the_director_cannot_complete(org_a, assessment) -> None:
    open_link(org_a, assessment)
    token = assessment.share_token
    fw = services.framework_of(assessment.framework)
    for o in fw.observables:
        services.save_answer(assessment, o.id, "dk", via_share_link=True)
    director = Client()
    last = len(fw.dimensions)
    page = director.get(reverse("share-page", args=[token, last])).content.decode()
    assert 'value="done"' in page and "Finish and compute" not in page
    response = director.post(reverse("share-page", args=[token, last]), {"nav": "done"})
    assert response.status_code == 302 and response["Location"] == reverse("share-done", args=[token])
    page = director.get(response["Location"]).content.decode()
    assert "Thank you" in page and f"0 of {len(fw.observables)}" in page  # "don't know" is not an answer that counts
    assessment.refresh_from_db()
    assert assessment.status == "draft" and assessment.result is None
    entry = AuditEntry.objects.get(description__contains="director finished")
    assert entry.user is None and entry.organisation == org_a.organisation
    # the advisor's pages need an account
    for url in (reverse("assessment-questionnaire", args=[assessment.pk]),
                reverse("assessment-page", args=[assessment.pk, 1])):
        response = director.get(url)
        assert response.status_code == 302 and reverse("login") in response["Location"]
    for url in (reverse("assessment-complete", args=[assessment.pk]), reverse("assessment-share", args=[assessment.pk]),
                reverse("assessment-answer", args=[assessment.pk])):
        response = director.post(url, {"action": "revoke"})
        assert response.status_code == 302 and reverse("login") in response["Location"]
    assessment.refresh_from_db()
    assert assessment.status == "draft" and assessment.share_token == token


def _invalid(response) -> bool:
    if response["Content-Type"].startswith("application/json"):
        return response.status_code == 404 and json.loads(response.content)["ok"] is False
    return response.status_code == 404


def test_revoked_expired_and_unknown_links_are_no_longer_valid(org_a, french) -> None:
    open_link(org_a, french)
    token = french.share_token
    director = Client()
    assert director.get(reverse("share-page", args=[token, 1])).status_code == 200
    # expired
    Assessment.objects.filter(pk=french.pk).update(share_expires_at=timezone.now() - dt.timedelta(minutes=1))
    for method, url in share_urls(token):
        assert _invalid(use(director, method, url)), url
    page = director.get(reverse("share-page", args=[token, 1])).content.decode()
    with translation.override("fr"):
        expected = gettext("This link is no longer valid")
    assert expected.startswith("Ce lien")  # the French catalogue is used
    assert expected in page.replace("&#x27;", "'").replace("&#39;", "'") and '<html lang="fr">' in page
    # revoked
    open_link(org_a, french)
    assert french.share_token == token and director.get(reverse("share-page", args=[token, 1])).status_code == 200
    org_a.client().post(reverse("assessment-share", args=[french.pk]), {"action": "revoke"})
    for method, url in share_urls(token):
        assert _invalid(use(director, method, url)), url
    # unknown
    for method, url in share_urls("x" * 32):
        assert _invalid(use(director, method, url)), url
    assert not Answer.objects.exists()


def test_a_link_touches_only_its_own_assessment(org_a, org_b, assessment, wine_framework) -> None:
    other = Assessment.objects.create(organisation=org_b.organisation, firm=org_b.firm, framework=wine_framework,
                                      lang="en", created_by=org_b.advisor)
    open_link(org_a, assessment)
    director = Client()
    token = assessment.share_token
    director.post(reverse("share-answer", args=[token]),
                  json.dumps({"question_id": KNOWN, "value": "often", "assessment": other.pk, "pk": other.pk}),
                  content_type="application/json")
    director.post(reverse("share-page", args=[token, 1]), {f"q-{KNOWN}": "always", "assessment": other.pk})
    assert not other.answers.exists()
    assert Answer.objects.get(assessment=assessment, question_id=KNOWN).value == "always"
    for url in (reverse("assessment-page", args=[other.pk, 1]), reverse("assessment-questionnaire", args=[other.pk])):
        assert director.get(url).status_code == 302
    # the other assessment's own link (none yet) cannot be guessed from this one
    assert director.get(reverse("share-page", args=[token + "x", 1])).status_code == 404


def test_csrf_applies_to_the_link(org_a, assessment) -> None:
    open_link(org_a, assessment)
    token = assessment.share_token
    director = Client(enforce_csrf_checks=True)
    response = director.get(reverse("share-page", args=[token, 1]))
    cookie = response.cookies["csrftoken"].value
    url = reverse("share-answer", args=[token])
    body = json.dumps({"question_id": KNOWN, "value": "often"})
    assert director.post(url, body, content_type="application/json").status_code == 403
    assert not Answer.objects.exists()
    response = director.post(url, body, content_type="application/json", headers={"X-CSRFToken": cookie})
    assert response.status_code == 200 and Answer.objects.get(question_id=KNOWN).value == "often"


def test_a_completed_assessment_is_read_only_through_the_link(org_a, assessment) -> None:
    open_link(org_a, assessment)
    token = assessment.share_token
    fw = services.framework_of(assessment.framework)
    for i, o in enumerate(fw.observables):
        services.save_answer(assessment, o.id, fw.scale_by_id[o.scale].levels[-1 if i % 2 else 0].code)
    services.score(assessment, complete=True)
    director = Client()
    page = director.get(reverse("share-page", args=[token, 1])).content.decode()
    assert 'type="radio"' not in page and "can no longer be changed" in page
    response = director.post(reverse("share-answer", args=[token]), json.dumps({"question_id": KNOWN, "value": "dk"}),
                             content_type="application/json")
    assert response.status_code == 409
    assert director.post(reverse("share-page", args=[token, 1]), {f"q-{KNOWN}": "dk"}).status_code == 409
    assert Answer.objects.get(assessment=assessment, question_id=KNOWN).value != "dk"
    # and no new link for a completed diagnostic
    org_a.client().post(reverse("assessment-share", args=[assessment.pk]), {"action": "revoke"})
    open_link(org_a, assessment)
    assert assessment.share_token is None
