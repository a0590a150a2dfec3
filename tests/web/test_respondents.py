"""Several respondents per assessment (issue 12): their private links, the advisor entering their
answers, the consolidated result, tenant isolation, the frozen completed assessment, the API and the
audit trail."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import numpy as np
import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from innexport.core.assessment import FirmResult
from innexport.core.framework import DONT_KNOW, Framework
from innexport.web import respondents as team
from innexport.web import services
from innexport.web.api import create_token
from innexport.web.models import Answer, Assessment, AssessmentStatus, AuditEntry, Firm, Respondent

pytestmark = pytest.mark.django_db

Q_SPLIT = "net_weak_ties_support_bodies"  # the director answers high, the export manager low
Q_DK = "strat_global_linked"  # the director does not know, the export manager answers


def framework(assessment: Assessment) -> Framework:
    return services.framework_of(assessment.framework)


def codes(fw: Framework, qid: str) -> list[str]:
    return [lv.code for lv in fw.scale_by_id[fw.observable_by_id[qid].scale].levels]


def value_of(fw: Framework, qid: str, code: str) -> float:
    scale = fw.scale_by_id[fw.observable_by_id[qid].scale]
    return next(lv.value for lv in scale.levels if lv.code == code)


def plan_answers(fw: Framework) -> tuple[dict[str, str], dict[str, str]]:
    """(the director's, the export manager's) answers to every question: the same middle level,
    except ``Q_SPLIT`` (top vs second level) and ``Q_DK`` (don't know vs top level)."""
    director = {o.id: codes(fw, o.id)[len(codes(fw, o.id)) // 2] for o in fw.observables}
    manager = dict(director)
    director[Q_SPLIT], manager[Q_SPLIT] = codes(fw, Q_SPLIT)[-1], codes(fw, Q_SPLIT)[1]
    director[Q_DK], manager[Q_DK] = DONT_KNOW, codes(fw, Q_DK)[-1]
    return director, manager


def answer_through_link(client: Client, token: str, fw: Framework, answers: dict[str, str]) -> None:
    """Answer every page through the private link ``token``, then say "finished"."""
    for page, dim in enumerate(fw.dimensions, start=1):
        data = {f"q-{o.id}": answers[o.id] for a in dim.activities for o in a.observables}
        data["nav"] = "done" if page == len(fw.dimensions) else "next"
        response = client.post(reverse("share-page", args=[token, page]), data)
        assert response.status_code == 302, response.content[:500]


def post(org: Any, assessment: Assessment, data: dict[str, str], who: str = "advisor"):
    return org.client(who).post(reverse("assessment-respondents", args=[assessment.pk]), data)


def add(org: Any, assessment: Assessment, name: str = "Luis Rojas", role: str = "export_manager") -> Respondent:
    response = post(org, assessment, {"action": "add", "name": name, "role": role, "email": ""})
    assert response.status_code == 302
    return Respondent.objects.get(assessment=assessment, name=name)


def open_respondent_link(org: Any, person: Respondent, days: int = 7) -> str:
    response = post(org, person.assessment, {"action": "open", "respondent": str(person.pk), "days": str(days)})
    assert response.status_code == 302
    person.refresh_from_db()
    assert person.token and person.link_valid
    return person.token


def audit(assessment: Assessment) -> list[str]:
    return list(AuditEntry.objects.filter(object_id=str(assessment.pk)).order_by("at", "pk")
                .values_list("description", flat=True))


class ApiClient:
    def __init__(self, user: Any):
        self.client = Client()
        self.headers = {"HTTP_AUTHORIZATION": f"Bearer {create_token(user)}"}

    def __call__(self, method: str, url: str, body: Any = None):
        kwargs: dict[str, Any] = dict(self.headers)
        if body is not None:
            kwargs.update(data=json.dumps(body), content_type="application/json")
        return getattr(self.client, method)(f"/api{url}", **kwargs)


# --- two respondents through their own links, consolidated ---------------------------------------------


def test_two_respondents_answer_through_their_links_and_the_result_consolidates(org_a, assessment) -> None:
    fw = framework(assessment)
    director, manager = plan_answers(fw)
    services.open_share_link(assessment, 7, org_a.advisor)
    person = add(org_a, assessment)
    token = open_respondent_link(org_a, person)
    assert token != assessment.share_token

    answer_through_link(Client(), assessment.share_token, fw, director)
    answer_through_link(Client(), token, fw, manager)

    # each link wrote its own respondent's rows, flagged as given through a link
    mine = {a.question_id: a.value for a in Answer.objects.filter(assessment=assessment, respondent=person)}
    first = {a.question_id: a.value for a in Answer.objects.filter(assessment=assessment, respondent=None)}
    assert mine == manager and first == director
    assert Answer.objects.filter(assessment=assessment, via_share_link=False).count() == 0
    person.refresh_from_db()
    assert person.finished_at is not None

    result = services.complete(assessment, org_a.advisor).result
    # the median of two levels is the lower one; "don't know" does not hide the other's answer
    assert result.answers[Q_SPLIT] == codes(fw, Q_SPLIT)[1]
    assert result.answers[Q_DK] == codes(fw, Q_DK)[-1]
    assert Q_DK not in result.dont_know
    same = next(o.id for o in fw.observables if o.id not in (Q_SPLIT, Q_DK))
    assert result.answers[same] == director[same]
    # who answered, and where they disagree
    assert [(r.id, r.role, r.answered, r.dont_know) for r in result.respondents] == [
        ("director", "director", len(fw.observables) - 1, 1),
        ("Luis Rojas", "export_manager", len(fw.observables), 0)]
    assert result.disagreement is not None
    split = next(q for q in result.disagreement.questions if q.question == Q_SPLIT)
    expected = value_of(fw, Q_SPLIT, codes(fw, Q_SPLIT)[-1]) - value_of(fw, Q_SPLIT, codes(fw, Q_SPLIT)[1])
    assert split.respondents == 2 and split.range == pytest.approx(expected)
    assert split.answers == {"director": codes(fw, Q_SPLIT)[-1], "Luis Rojas": codes(fw, Q_SPLIT)[1]}
    agreed = next(q for q in result.disagreement.questions if q.question == same)
    assert agreed.range == 0 and agreed.agreement == 1
    # the kept result (JSON) carries them too
    kept = FirmResult.model_validate(Assessment.objects.get(pk=assessment.pk).result)
    assert len(kept.respondents) == 2 and kept.disagreement == result.disagreement


def test_a_single_respondent_keeps_todays_result(org_a, assessment) -> None:
    fw = framework(assessment)
    director, _manager = plan_answers(fw)
    add(org_a, assessment)  # added but never answered: does not count
    services.save_answers(assessment, {q: (v, None) for q, v in director.items()}, user=org_a.advisor)
    result = services.score(assessment)
    assert result.respondents == [] and result.disagreement is None
    assert result.answers == {q: v for q, v in director.items()}


def test_the_first_respondent_is_named_by_the_firms_contact(org_a, assessment) -> None:
    org_a.firm.contact = "Hélène Martin"
    org_a.firm.save()
    assessment.respondent_role = "director"
    rows = team.respondents_of(assessment)
    assert [(r.id, r.name, r.role, r.first) for r in rows] == [(None, "Hélène Martin", "director", True)]


# --- the advisor enters a respondent's answers ------------------------------------------------------------


def test_the_advisor_enters_a_respondents_answers(org_a, assessment) -> None:
    fw = framework(assessment)
    person = add(org_a, assessment)
    client = org_a.client()
    page_url = reverse("assessment-page", args=[assessment.pk, 1]) + f"?respondent={person.pk}"
    response = client.get(page_url)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Luis Rojas" in html and f'action="{page_url}"' in html.replace("&amp;", "&")
    q1 = fw.dimensions[0].activities[0].observables[0].id
    response = client.post(page_url, {f"q-{q1}": codes(fw, q1)[0], "nav": "next"})
    assert response.status_code == 302
    assert response["Location"] == reverse("assessment-page", args=[assessment.pk, 2]) + f"?respondent={person.pk}"
    # autosave as that respondent; its reply counts that respondent's answers only
    answer_url = reverse("assessment-answer", args=[assessment.pk]) + f"?respondent={person.pk}"
    reply = client.post(answer_url, json.dumps({"question_id": Q_DK, "value": DONT_KNOW}),
                        content_type="application/json")
    assert reply.status_code == 200 and reply.json()["answered"] == 1 and reply.json()["dont_know"] == 1
    assert dict(Answer.objects.filter(respondent=person).values_list("question_id", "value")) == {
        q1: codes(fw, q1)[0], Q_DK: DONT_KNOW}
    assert not Answer.objects.filter(assessment=assessment, respondent=None).exists()
    # the first respondent's page is untouched, and the box shows both with their progress
    first = client.get(reverse("assessment-page", args=[assessment.pk, 1])).content.decode()
    assert f"?respondent={person.pk}" in first and "1/" in first
    rows = team.respondents_of(assessment)
    assert [(r.name, r.answered, r.dont_know) for r in rows] == [("Director", 0, 0), ("Luis Rojas", 1, 1)]


def test_the_respondents_page_adds_and_removes(org_a, assessment) -> None:
    client = org_a.client()
    url = reverse("assessment-respondents", args=[assessment.pk])
    assert client.get(url).status_code == 200
    refused = client.post(url, {"action": "add", "name": " ", "role": "export_manager"})
    assert refused.status_code == 400 and not Respondent.objects.exists()
    refused = client.post(url, {"action": "add", "name": "Ana", "role": "pilot"})
    assert refused.status_code == 400 and not Respondent.objects.exists()
    person = add(org_a, assessment, "Inés", "rd_lead")
    page = client.get(url).content.decode()
    assert "Inés" in page and "R&amp;D lead" in page
    services.save_answers(assessment, {Q_DK: ("dk", None)}, respondent=person)
    assert post(org_a, assessment, {"action": "remove", "respondent": str(person.pk)}).status_code == 302
    assert not Respondent.objects.exists() and not Answer.objects.exists()
    # an analyst reads but cannot change
    assert org_a.client("analyst").get(url).status_code == 200
    assert post(org_a, assessment, {"action": "add", "name": "X", "role": "other"}, who="analyst").status_code == 403


def test_e_mailing_a_respondents_link(org_a, assessment, mailoutbox, settings) -> None:
    settings.SITE_URL = "https://diag.example.org"
    person = add(org_a, assessment)
    refused = post(org_a, assessment, {"action": "send", "respondent": str(person.pk), "email": "luis@example.org"})
    assert refused.status_code == 302 and mailoutbox == []  # no open link: nothing sent
    token = open_respondent_link(org_a, person, days=3)
    response = post(org_a, assessment, {"action": "send", "respondent": str(person.pk), "email": "luis@example.org"})
    assert response.status_code == 302 and len(mailoutbox) == 1
    message = mailoutbox[0]
    assert message.to == ["luis@example.org"] and f"/s/{token}/" in message.body
    person.refresh_from_db()
    assert person.email == "luis@example.org"
    assert any("link e-mailed to luis@example.org" in d for d in audit(assessment))
    assert post(org_a, assessment, {"action": "send", "respondent": str(person.pk),
                                    "email": "not an address"}).status_code == 400


# --- links refused ------------------------------------------------------------------------------------------


def test_a_revoked_or_expired_respondent_link_is_refused(org_a, assessment) -> None:
    person = add(org_a, assessment)
    token = open_respondent_link(org_a, person)
    client = Client()
    assert client.get(reverse("share-page", args=[token, 1])).status_code == 200
    assert post(org_a, assessment, {"action": "revoke", "respondent": str(person.pk)}).status_code == 302
    assert client.get(reverse("share-page", args=[token, 1])).status_code == 404
    reply = client.post(reverse("share-answer", args=[token]), json.dumps({"question_id": Q_DK, "value": "dk"}),
                        content_type="application/json")
    assert reply.status_code == 404 and not Answer.objects.exists()

    token = open_respondent_link(org_a, person)
    Respondent.objects.filter(pk=person.pk).update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    assert client.get(reverse("share-start", args=[token])).status_code == 404
    assert client.post(reverse("share-page", args=[token, 1]), {f"q-{Q_DK}": "dk"}).status_code == 404
    assert not Answer.objects.exists()


def test_extending_keeps_the_link_and_the_days_are_bounded(org_a, assessment) -> None:
    person = add(org_a, assessment)
    token = open_respondent_link(org_a, person, days=2)
    first_expiry = person.expires_at
    token_again = open_respondent_link(org_a, person, days=30)
    person.refresh_from_db()
    assert token_again == token and person.expires_at > first_expiry
    assert post(org_a, assessment, {"action": "open", "respondent": str(person.pk), "days": "91"}).status_code == 400
    with pytest.raises(ValueError, match="between 1 and 90"):
        team.open_respondent_link(person, 0, org_a.advisor)


# --- tenant isolation ---------------------------------------------------------------------------------------


def test_a_respondent_of_another_assessment_or_organisation_is_not_found(org_a, org_b, assessment,
                                                                         wine_framework) -> None:
    theirs = Assessment.objects.create(organisation=org_b.organisation, firm=org_b.firm, framework=wine_framework,
                                       lang="en")
    their_person = Respondent.objects.create(assessment=theirs, name="Other", role="other")
    other_firm = Firm.objects.create(organisation=org_a.organisation, name="Second", country="FR")
    sibling = Assessment.objects.create(organisation=org_a.organisation, firm=other_firm, framework=wine_framework,
                                        lang="en")
    sibling_person = Respondent.objects.create(assessment=sibling, name="Sibling", role="other")
    client = org_a.client()
    for pk in (their_person.pk, sibling_person.pk, 999999, "x"):
        page = reverse("assessment-page", args=[assessment.pk, 1]) + f"?respondent={pk}"
        assert client.get(page).status_code == 404
        assert client.post(page, {f"q-{Q_DK}": "dk"}).status_code == 404
        answer = reverse("assessment-answer", args=[assessment.pk]) + f"?respondent={pk}"
        assert client.post(answer, json.dumps({"question_id": Q_DK, "value": "dk"}),
                           content_type="application/json").status_code == 404
        assert post(org_a, assessment, {"action": "remove", "respondent": str(pk)}).status_code == 404
    # another organisation's assessment: its respondents' page is not found either
    assert client.get(reverse("assessment-respondents", args=[theirs.pk])).status_code == 404
    api = ApiClient(org_a.advisor)
    assert api("get", f"/assessments/{theirs.pk}/respondents").status_code == 404
    assert api("get", f"/assessments/{assessment.pk}/answers?respondent={their_person.pk}").status_code == 404
    assert api("put", f"/assessments/{assessment.pk}/answers?respondent={sibling_person.pk}",
               {"answers": {Q_DK: "dk"}}).status_code == 404
    assert api("delete", f"/assessments/{assessment.pk}/respondents/{their_person.pk}").status_code == 404
    assert Respondent.objects.count() == 2 and not Answer.objects.exists()
    # a respondent given to the service for the wrong assessment is refused there too
    with pytest.raises(ValueError, match="does not answer"):
        services.save_answers(assessment, {Q_DK: ("dk", None)}, respondent=sibling_person)


# --- frozen once completed ------------------------------------------------------------------------------------


def test_a_completed_assessment_is_frozen_for_every_respondent(org_a, assessment) -> None:
    fw = framework(assessment)
    director, manager = plan_answers(fw)
    person = add(org_a, assessment)
    token = open_respondent_link(org_a, person)
    services.save_answers(assessment, {q: (v, None) for q, v in director.items()})
    services.save_answers(assessment, {q: (v, None) for q, v in manager.items()}, respondent=person)
    services.complete(assessment, org_a.advisor)
    before = list(Answer.objects.order_by("pk").values_list("respondent_id", "question_id", "value"))

    client = Client()  # the link now shows the questionnaire read-only and refuses changes
    assert client.get(reverse("share-page", args=[token, 1])).status_code == 200
    assert client.post(reverse("share-page", args=[token, 1]), {f"q-{Q_DK}": "dk"}).status_code == 409
    assert client.post(reverse("share-answer", args=[token]), json.dumps({"question_id": Q_DK, "value": "dk"}),
                       content_type="application/json").status_code == 409
    page = reverse("assessment-page", args=[assessment.pk, 1]) + f"?respondent={person.pk}"
    assert org_a.client().post(page, {f"q-{Q_DK}": "dk"}).status_code == 409
    api = ApiClient(org_a.advisor)
    assert api("put", f"/assessments/{assessment.pk}/answers/{Q_DK}?respondent={person.pk}",
               {"value": "dk"}).status_code == 409
    assert api("post", f"/assessments/{assessment.pk}/respondents", {"name": "Late", "role": "other"}).status_code == 409
    assert api("delete", f"/assessments/{assessment.pk}/respondents/{person.pk}").status_code == 409
    assert post(org_a, assessment, {"action": "remove", "respondent": str(person.pk)}).status_code == 302
    assert list(Answer.objects.order_by("pk").values_list("respondent_id", "question_id", "value")) == before
    assert Respondent.objects.filter(pk=person.pk).exists()


# --- the API --------------------------------------------------------------------------------------------------


def test_the_api_lists_adds_answers_and_removes_respondents(org_a, assessment) -> None:
    fw = framework(assessment)
    director, manager = plan_answers(fw)
    api = ApiClient(org_a.advisor)
    base = f"/assessments/{assessment.pk}"
    created = api("post", f"{base}/respondents", {"name": "Marc", "role": "export_manager", "email": "m@example.org"})
    assert created.status_code == 201, created.content
    rid = created.json()["id"]
    assert created.json() | {"expires_at": None} == {
        "id": rid, "name": "Marc", "role": "export_manager", "email": "m@example.org", "answered": 0, "dont_know": 0,
        "total": len(fw.observables), "link_valid": False, "expires_at": None, "finished_at": None}
    # bad input: a role not in the list (schema, 422), a bad address (400 naming the field), an unknown field
    assert api("post", f"{base}/respondents", {"name": "X", "role": "pilot"}).status_code == 422
    bad = api("post", f"{base}/respondents", {"name": "X", "role": "other", "email": "nope"})
    assert bad.status_code == 400 and "email" in bad.json()["errors"]
    assert api("post", f"{base}/respondents", {"name": "X", "surname": "Y"}).status_code == 422
    assert api("post", f"{base}/respondents", {"name": "", "role": "other"}).status_code == 422

    assert api("put", f"{base}/answers", {"answers": director}).status_code == 200
    saved = api("put", f"{base}/answers?respondent={rid}", {"answers": manager, "comments": {Q_DK: "from the fairs"}})
    assert saved.status_code == 200 and saved.json()["progress"]["answered"] == len(fw.observables)
    one = api("put", f"{base}/answers/{Q_SPLIT}?respondent={rid}", {"value": codes(fw, Q_SPLIT)[0]})
    assert one.status_code == 200 and one.json()["value"] == codes(fw, Q_SPLIT)[0]
    refused = api("put", f"{base}/answers/{Q_SPLIT}?respondent={rid}", {"value": "sometimes-maybe"})
    assert refused.status_code == 400 and Q_SPLIT in refused.json()["errors"]
    got = api("get", f"{base}/answers?respondent={rid}").json()
    assert got[Q_SPLIT]["value"] == codes(fw, Q_SPLIT)[0] and got[Q_DK]["comment"] == "from the fairs"
    assert api("get", f"{base}/answers").json()[Q_DK]["value"] == DONT_KNOW
    # the assessment's own answers stay the first respondent's
    assert api("get", base).json()["answers"][Q_SPLIT]["value"] == codes(fw, Q_SPLIT)[-1]

    listed = api("get", f"{base}/respondents").json()
    assert [(r["id"], r["role"], r["answered"], r["dont_know"]) for r in listed] == [
        (None, "director", len(fw.observables) - 1, 1), (rid, "export_manager", len(fw.observables), 0)]
    assert listed[0]["name"] == "director"  # the API names the first respondent by its role's code, in no language

    assert api("post", f"{base}/score").status_code == 200
    result = api("get", f"{base}/result").json()
    assert [r["id"] for r in result["respondents"]] == ["director", "Marc"]
    assert result["answers"][Q_SPLIT] == codes(fw, Q_SPLIT)[0]  # the lower of the two levels
    assert {q["question"] for q in result["disagreement"]["questions"]} >= {Q_SPLIT}


def test_the_api_removes_a_respondent_with_their_answers_and_audits(org_a, assessment) -> None:
    api = ApiClient(org_a.advisor)
    base = f"/assessments/{assessment.pk}"
    rid = api("post", f"{base}/respondents", {"name": "Marc", "role": "rd_lead"}).json()["id"]
    assert api("put", f"{base}/answers?respondent={rid}", {"answers": {Q_DK: "dk"}}).status_code == 200
    analyst = ApiClient(org_a.analyst)
    assert analyst("get", f"{base}/respondents").status_code == 200
    assert analyst("delete", f"{base}/respondents/{rid}").status_code == 403
    assert api("delete", f"{base}/respondents/{rid}").status_code == 204
    assert not Respondent.objects.exists() and not Answer.objects.exists()
    assert api("delete", f"{base}/respondents/{rid}").status_code == 404
    trail = audit(assessment)
    assert f"respondent {rid} (rd_lead) added" in trail
    assert f"respondent {rid} (rd_lead) removed with 1 answer(s)" in trail  # "don't know" is an answer given
    assert not any("Marc" in entry for entry in trail)  # respondents are named by number and role only


# --- the audit trail ------------------------------------------------------------------------------------------


def test_each_step_is_audited(org_a, assessment) -> None:
    person = add(org_a, assessment)
    token = open_respondent_link(org_a, person, days=5)
    client = Client()
    assert client.post(reverse("share-page", args=[token, 1]), {f"q-{Q_DK}": "dk", "nav": "done"}).status_code == 302
    assert post(org_a, assessment, {"action": "revoke", "respondent": str(person.pk)}).status_code == 302
    assert post(org_a, assessment, {"action": "remove", "respondent": str(person.pk)}).status_code == 302
    n, total = person.pk, len(framework(assessment).observables)
    assert audit(assessment) == [
        f"respondent {n} (export_manager) added",
        f"respondent {n} (export_manager)'s link valid for 5 day(s)",
        f"respondent {n} (export_manager) finished answering through the private link (0/{total})",
        f"respondent {n} (export_manager)'s link revoked",
        f"respondent {n} (export_manager) removed with 0 answer(s)",
    ]


# --- the peers of the intervals -------------------------------------------------------------------------------


def test_peer_values_are_the_latest_diagnostic_of_each_other_firm(org_a, org_b, assessment, wine_framework) -> None:
    fw = framework(assessment)
    q = fw.observables[0].id
    low, high = codes(fw, q)[0], codes(fw, q)[-1]
    assert services.peer_values(assessment) is None

    def done(org: Any, firm: Firm, on: dt.date, code: str) -> Assessment:
        a = Assessment.objects.create(organisation=org.organisation, firm=firm, framework=wine_framework, lang="en",
                                      assessed_on=on, status=AssessmentStatus.COMPLETED,
                                      result={"answers": {q: code, "no_such_question": "x", fw.observables[1].id: "dk"}})
        return a

    other = Firm.objects.create(organisation=org_a.organisation, name="Peer", country="FR")
    done(org_a, other, dt.date(2025, 1, 1), low)
    done(org_a, other, dt.date(2026, 1, 1), high)  # the latest of that firm
    done(org_a, org_a.firm, dt.date(2026, 2, 1), low)  # the firm itself: not its own peer
    done(org_b, org_b.firm, dt.date(2026, 2, 1), low)  # another organisation: never
    peers = services.peer_values(assessment)
    assert peers is not None and peers.shape == (1, len(fw.observables))
    assert peers[0, 0] == value_of(fw, q, high)
    assert np.isnan(peers[0, 1:]).all()  # "don't know" and unanswered are NaN


# --- languages ------------------------------------------------------------------------------------------------


def test_the_pages_speak_one_language(org_a, assessment) -> None:
    """The respondents' page speaks the advisor's language; the questionnaire's box the questionnaire's."""
    membership = org_a.advisor.membership
    membership.language = "fr"
    membership.save()
    assessment.lang = "es"
    assessment.save()
    add(org_a, assessment, "Inés", "rd_lead")
    client = org_a.client()
    page = client.get(reverse("assessment-respondents", args=[assessment.pk])).content.decode()
    for french in ("Répondants", "Ajouter un répondant", "Responsable R&amp;D", "premier répondant", "Saisir ses réponses"):
        assert french in page
    for english in ("Add a respondent", "R&amp;D lead", "first respondent", "Enter their answers"):
        assert english not in page
    box = client.get(reverse("assessment-page", args=[assessment.pk, 1])).content.decode()
    box = box[box.index('id="respondents-title"'):box.index("</section>", box.index('id="respondents-title"'))]
    assert "Personas que responden" in box and "Responsable de I+D" in box and "Agregar o gestionar" in box
    assert "0/" in box and "respondidas" in box and "answered" not in box


def test_the_firms_data_export_keeps_each_respondents_answers_apart(org_a, assessment) -> None:
    fw = framework(assessment)
    director, manager = plan_answers(fw)
    person = add(org_a, assessment)
    services.save_answers(assessment, {Q_SPLIT: (director[Q_SPLIT], None)})
    services.save_answers(assessment, {Q_SPLIT: (manager[Q_SPLIT], "the fairs")}, respondent=person)
    data = json.loads(org_a.client().get(reverse("firm-export", args=[org_a.firm.pk])).content)
    exported = data["assessments"][0]
    assert exported["answers"] == {Q_SPLIT: {"value": director[Q_SPLIT], "comment": ""}}
    assert exported["respondents"] == [{"name": "Luis Rojas", "role": "export_manager", "email": "",
                                        "answers": {Q_SPLIT: {"value": manager[Q_SPLIT], "comment": "the fairs"}}}]


def test_the_advisors_review_wins_and_the_validation_is_set_for_one_or_several(org_a, assessment) -> None:
    from innexport.web.models import AnswerReview, ReviewState

    fw = framework(assessment)
    director, manager = plan_answers(fw)
    services.save_answers(assessment, {q: (v, None) for q, v in director.items()})
    corrected = codes(fw, Q_SPLIT)[0]
    AnswerReview.objects.create(assessment=assessment, question_id=Q_SPLIT, state=ReviewState.CORRECTED,
                                value=corrected, reviewed_by=org_a.advisor)
    single = services.score(assessment)
    assert single.answers[Q_SPLIT] == corrected and single.respondents == []
    assert single.validation is not None and single.validation.corrected == 1
    assert single.validation.self_assessed == len(fw.observables) - 1 and single.validation.by == ["a-advisor"]

    person = add(org_a, assessment)
    services.save_answers(assessment, {q: (v, None) for q, v in manager.items()}, respondent=person)
    several = services.score(assessment)
    assert several.answers[Q_SPLIT] == corrected  # not the lower of the two respondents' levels
    assert several.answers[Q_DK] == manager[Q_DK] and len(several.respondents) == 2
    assert several.validation == single.validation


# --- in a real browser ----------------------------------------------------------------------------------------


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_respondent_answers_through_their_link_in_a_browser(live_server, request) -> None:
    """The advisor adds a respondent and opens their link; the respondent answers a page with the
    autosave (questionnaire.js) and finishes; the advisor sees those answers under that respondent."""
    import os

    pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
    from playwright.sync_api import sync_playwright

    from .browser import launch, screenshot
    from .test_browser import answer_visible_questions, create_firm, log_in, wait_saved

    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    advisor = request.getfixturevalue("advisor_in_browser")
    base = live_server.url
    with sync_playwright() as playwright:
        browser = launch(playwright)
        try:
            page = browser.new_context().new_page()
            log_in(page, base, advisor.username)
            create_firm(page, base, "Viña del Equipo")
            page.click("text=New diagnostic")
            page.click("text=Start the questionnaire")
            page.wait_for_selector("fieldset[data-question]")
            page.click(".q-respondents a[href$='/respondents/']")  # the box speaks the questionnaire's language
            page.fill("#r-name", "Luis Rojas")
            page.select_option("#r-role", "export_manager")
            page.click("form.grid2 button[type=submit]")
            page.click("tr:has-text('Luis Rojas') form:has(input[value=open]) button")
            link = page.input_value("tr:has-text('Luis Rojas') input.q-share-url")
            assert "/s/" in link
            screenshot(page, "respondents-page")

            respondent_page = browser.new_context().new_page()  # no account
            respondent_page.goto(link)
            respondent_page.wait_for_selector("fieldset[data-question]")
            n = answer_visible_questions(respondent_page)
            wait_saved(respondent_page)  # saved by the autosave, before any button is pressed
            person = Respondent.objects.get(name="Luis Rojas")
            assert Answer.objects.filter(respondent=person).exclude(value="").count() == n
            assert not Answer.objects.filter(assessment=person.assessment, respondent=None).exists()

            page.goto(f"{base}{reverse('assessment-page', args=[person.assessment_id, 1])}")
            page.click(".q-respondents a:has-text('Luis Rojas')")
            page.wait_for_selector(".q-respondents strong:has-text('Luis Rojas')")
            assert page.locator("fieldset[data-question] input[type=radio]:checked").count() == n
            screenshot(page, "respondent-switched")
        finally:
            browser.close()


@pytest.fixture
def advisor_in_browser(db) -> Any:
    from django.contrib.auth.models import User

    from innexport.web.models import Membership, Organisation, Role

    from .conftest import PASSWORD

    services.register_builtin_frameworks()
    org = Organisation.objects.create(name="Cámara de prueba")
    user = User.objects.create_user("paula", password=PASSWORD)
    Membership.objects.create(user=user, organisation=org, role=Role.ADVISOR, language="en")
    return user
