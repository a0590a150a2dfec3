"""The questionnaire in one language, and honest progress (issue 11).

* A Spanish questionnaire seen by an advisor whose interface is English: every control, heading,
  status and message of the questionnaire's area is Spanish (the application's menu stays English);
  the director's private link is Spanish from ``<html lang>`` to the last message.
* The start form proposes the firm's country's language (CL → es, FR → fr, else the interface's).
* Progress counts the answers with a level apart from "don't know", and shows the completeness
  floor from the first page with how many more answers it needs; the floor shown is the one
  finishing applies (one answer fewer is refused, exactly that many is scored).
* One browser check: the autosave's statuses and live progress in Spanish, and the skip link.
"""

from __future__ import annotations

import json
import os
import re

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation
from django.utils.html import escape
from django.utils.translation import gettext

from innexport.web import services
from innexport.web.models import Assessment, Firm, Membership
from innexport.web.views.assessments import Progress

from .conftest import PASSWORD

pytestmark = pytest.mark.django_db

# What the questionnaire's controls say in English: none may show on a Spanish questionnaire.
ENGLISH_CONTROLS = [
    "Help", "Comment", "Next", "Previous", "Save", "Saved", "Saving", "Part 1 of", "PART 1 OF", "Parts",
    "Clear", "Finish and compute", "Questions answered", "questions answered", "Not saved", "waiting to be saved",
    "All answers saved", "Don't know", "To compute the results", "more answers needed", "does not count",
    "Skip to content", "Thank you", "I have finished",
]


def english_words(html: str) -> list[str]:
    """The English control words found in ``html`` (as whole words, case-sensitive)."""
    return [w for w in ENGLISH_CONTROLS if re.search(rf"(?<![\w-]){re.escape(w)}(?![\w-])", html)]


def questionnaire_area(page: str) -> str:
    """The advisor's page from the questionnaire's area on (the header and menu left out)."""
    start = page.index('<div class="q-page" lang="es">')
    return page[start:page.index("</main>")]


def first_questions(fw, page: int = 1) -> list:
    return [o for a in fw.dimensions[page - 1].activities for o in a.observables]


def level(fw, o, i: int = 0) -> str:
    return fw.scale_by_id[o.scale].levels[i].code


@pytest.fixture
def spanish(org_a, wine_framework) -> Assessment:
    """A Spanish questionnaire of org A's firm; org A's advisor works in English."""
    return Assessment.objects.create(organisation=org_a.organisation, firm=org_a.firm, framework=wine_framework,
                                     lang="es", created_by=org_a.advisor)


def autosave(client: Client, url: str, question_id: str, value: str) -> dict:
    response = client.post(url, json.dumps({"question_id": question_id, "value": value}),
                           content_type="application/json")
    assert response.status_code == 200, response.content
    return json.loads(response.content)


# --- one language per questionnaire ------------------------------------------------------------------


def test_spanish_questionnaire_for_an_english_advisor(org_a, spanish) -> None:
    page = org_a.client().get(reverse("assessment-page", args=[spanish.pk, 1])).content.decode()
    assert '<html lang="en">' in page
    header = page[:page.index("<main")]
    assert "Firms" in header and "Portfolio" in header  # the application's menu: the advisor's language
    area = questionnaire_area(page)
    for spanish_word in ("Ayuda", "Comentario", "Siguiente", "Guardar", "Parte 1 de 11", "Partes",
                         "Finalizar y calcular los resultados", "Preguntas respondidas: 0 de 93", "No sabe",
                         'data-msg-saved="Guardado"', 'data-msg-saving="Guardando…"',
                         'data-msg-waiting-one="{n} respuesta pendiente de guardar"',
                         'data-msg-waiting-other="{n} respuestas pendientes de guardar"'):
        assert spanish_word in area, spanish_word
    assert english_words(area) == []
    # the same page of an English questionnaire does say them: the check above can fail
    english = Assessment.objects.create(organisation=org_a.organisation, firm=org_a.firm, lang="en",
                                        framework=spanish.framework, created_by=org_a.advisor)
    page = org_a.client().get(reverse("assessment-page", args=[english.pk, 1])).content.decode()
    assert {"Help", "Comment", "Next", "Part 1 of", "Saved", "Questions answered"} <= set(english_words(page))


def test_messages_of_the_questionnaire_are_in_its_language(org_a, spanish) -> None:
    fw = services.framework_of(spanish.framework)
    c = org_a.client()
    response = c.post(reverse("assessment-page", args=[spanish.pk, 1]), {"nav": "save"}, follow=True)
    with translation.override("es"):
        saved = gettext("Answers saved.")
    assert saved != "Answers saved." and saved in response.content.decode()
    # finishing too early: the refusal, its floor and the count, in Spanish
    services.save_answer(spanish, fw.observables[0].id, "dk")
    response = c.post(reverse("assessment-complete", args=[spanish.pk]), {"page": "1"})
    area = questionnaire_area(response.content.decode())
    assert response.status_code == 400
    assert "Hay muy pocas respuestas para calcular el diagnóstico." in area and "Faltan 66 respuestas." in area
    assert english_words(area) == []
    # the autosave's texts
    data = autosave(c, reverse("assessment-answer", args=[spanish.pk]), fw.observables[1].id, "dk")
    assert data["texts"]["dont_know"] == "2 respuestas «No sabe» (no cuentan)"


def test_the_private_link_is_all_spanish(org_a, spanish) -> None:
    services.open_share_link(spanish, 5, None)
    spanish.refresh_from_db()
    director = Client()
    response = director.get(reverse("share-page", args=[spanish.share_token, 1]))
    page = response.content.decode()
    assert response.status_code == 200 and '<html lang="es">' in page and response["Content-Language"] == "es"
    assert page.index('class="skip-link" href="#content">Ir al contenido<') < page.index("<header")
    assert '<main id="content" tabindex="-1">' in page
    for spanish_word in ("Ayuda", "Comentario", "Siguiente", "Parte 1 de 11", "Preguntas respondidas: 0 de 93",
                         'data-msg-saved="Guardado"', "hay que responder al menos el 70"):
        assert spanish_word in page, spanish_word
    assert english_words(page) == []
    fw = services.framework_of(spanish.framework)
    data = autosave(director, reverse("share-answer", args=[spanish.share_token]), fw.observables[0].id,
                    level(fw, fw.observables[0]))
    assert data["texts"]["summary"] == "Preguntas respondidas: 1 de 93" and data["texts"]["needed"] == "Faltan 65 respuestas."
    page = director.get(reverse("share-done", args=[spanish.share_token])).content.decode()
    assert '<html lang="es">' in page and "Ir al contenido" in page and english_words(page) == []
    assert "1 de 93" in page  # the one level; no "don't know" counted
    page = director.get(reverse("share-page", args=["no-such-token", 1])).content.decode()
    assert '<html lang="en">' in page and "Skip to content" in page  # no assessment: no language to speak


# --- the start form proposes the firm's country's language ------------------------------------------------


@pytest.mark.parametrize(("country", "interface", "expected"), [
    ("CL", "en", "es"), ("AR", "fr", "es"), ("MX", "en", "es"), ("FR", "es", "fr"),
    ("DE", "es", "es"), ("DE", "fr", "fr"), ("BR", "en", "en"),  # no language of ours: the interface's
])
def test_start_form_proposes_the_country_language(org_a, frameworks, country, interface, expected) -> None:
    Membership.objects.filter(user=org_a.advisor).update(language=interface)
    firm = Firm.objects.create(organisation=org_a.organisation, name=f"Firm {country}", country=country,
                               sector="25.62")
    response = org_a.client().get(reverse("assessment-start", args=[firm.pk]))
    assert response.status_code == 200 and response.context["form"]["lang"].value() == expected


def test_start_form_says_why(org_a, frameworks) -> None:
    firm = Firm.objects.create(organisation=org_a.organisation, name="Viña Sur", country="CL", sector="11.02")
    page = org_a.client().get(reverse("assessment-start", args=[firm.pk])).content.decode()
    assert escape("the language of the firm's country (Chile)") in page  # the country named in English
    assert '<option value="es" selected>' in page


# --- honest progress ---------------------------------------------------------------------------------------


def test_progress_counts_dont_know_apart_and_shows_the_floor_on_page_one(org_a, assessment) -> None:
    """Worked by hand: the wine framework has 93 questions; its floor, 0.7, needs 0.7 × 93 = 65.1,
    so 66 answers. 3 levels and 2 "don't know" on page 1: 3 answered, 2 apart, 63 more needed."""
    fw = services.framework_of(assessment.framework)
    assert len(fw.observables) == 93 and fw.scoring.min_completeness == pytest.approx(0.7)
    c = org_a.client()
    page = c.get(reverse("assessment-page", args=[assessment.pk, 1])).content.decode()
    assert ("To compute the results, at least 70% of the questions must be answered (66 of 93); "
            "“Don't know” does not count.") in page.replace("&quot;", '"').replace("&#x27;", "'")
    assert "66 more answers needed." in page and "Questions answered: 0 of 93" in page
    qs = first_questions(fw)
    url = reverse("assessment-answer", args=[assessment.pk])
    for o in qs[:3]:
        data = autosave(c, url, o.id, level(fw, o, -1))
    assert (data["answered"], data["dont_know"], data["needed"]) == (3, 0, 63)
    for o in qs[3:5]:
        data = autosave(c, url, o.id, "dk")
    assert (data["answered"], data["dont_know"], data["needed"], data["page_answered"], data["page_dont_know"]) == (
        3, 2, 63, 3, 2)
    assert data["texts"] == {
        "summary": "Questions answered: 3 of 93", "dont_know": "2 answers “Don't know” (not counted)",
        "floor": "To compute the results, at least 70% of the questions must be answered (66 of 93); "
                 "“Don't know” does not count.",
        "needed": "63 more answers needed."}
    page = c.get(reverse("assessment-page", args=[assessment.pk, 2])).content.decode()  # any page says it
    assert "Questions answered: 3 of 93" in page and "63 more answers needed." in page
    assert 'aria-valuenow="3"' in page and 'style="width:3.23%"' in page and 'style="width:2.15%"' in page
    assert 'style="left:70.00%"' in page
    first = re.search(r'<li class="[^"]*" data-page="1">.*?</li>', page, re.S)
    assert first and f'<span class="q-page-answered">3</span>/{len(qs)}' in first.group(0)
    assert '<span class="q-page-dk-n">2</span>' in first.group(0) and " hidden" not in first.group(0)
    # a "don't know" turned into a level counts; one level cleared no longer does
    data = autosave(c, url, qs[3].id, level(fw, qs[3]))
    assert (data["answered"], data["dont_know"], data["needed"]) == (4, 1, 62)
    data = autosave(c, url, qs[0].id, "")
    assert (data["answered"], data["dont_know"], data["needed"]) == (3, 1, 63)


def test_the_floor_shown_is_the_one_finishing_applies(org_a, assessment) -> None:
    """65 answers and the rest "don't know": refused, "1 more answer needed."; one more: scored."""
    fw = services.framework_of(assessment.framework)
    for i, o in enumerate(fw.observables):
        services.save_answer(assessment, o.id, level(fw, o) if i < 65 else "dk")
    c = org_a.client()
    response = c.post(reverse("assessment-complete", args=[assessment.pk]), {"page": "1"})
    assert response.status_code == 400 and "1 more answer needed." in response.content.decode()
    services.save_answer(assessment, fw.observables[65].id, level(fw, fw.observables[65]))
    page = c.get(reverse("assessment-page", args=[assessment.pk, 1])).content.decode()
    assert "Enough answers to compute the results." in page and 'class="q-progress reached"' in page
    response = c.post(reverse("assessment-complete", args=[assessment.pk]), {"page": "1"})
    assert response.status_code == 302 and response["Location"] == reverse("assessment-results", args=[assessment.pk])


def test_progress_texts_plural_forms() -> None:
    with translation.override("fr"):
        one = Progress(answered=65, dont_know=1, total=93, floor=0.7).texts("fr")
    assert one["dont_know"] == "1 réponse « Ne sait pas » (non comptée)" and one["needed"] == "Encore 1 réponse nécessaire."
    assert one["floor"].startswith("Pour calculer les résultats, au moins 70\xa0% des questions")


# --- in the browser: the autosave speaks Spanish, and the skip link ----------------------------------------


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_autosave_in_spanish_in_the_browser(live_server, org_a, wine_framework) -> None:
    playwright_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
    from .browser import launch, screenshot

    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    org_a.advisor.set_password(PASSWORD)
    org_a.advisor.save()
    spanish = Assessment.objects.create(organisation=org_a.organisation, firm=org_a.firm, framework=wine_framework,
                                        lang="es", created_by=org_a.advisor)
    with playwright_api.sync_playwright() as p:
        browser = launch(p)
        try:
            page = browser.new_context(locale="en-GB").new_page()
            page.goto(f"{live_server.url}/accounts/login/")
            page.fill("#id_username", org_a.advisor.username)
            page.fill("#id_password", PASSWORD)
            page.click("button[type=submit]")
            page.wait_for_url(f"{live_server.url}/firms/")
            page.goto(f"{live_server.url}{reverse('assessment-page', args=[spanish.pk, 1])}")
            # keyboard: the skip link first, then the first answer in a few steps
            page.keyboard.press("Tab")
            assert page.evaluate("document.activeElement.className") == "skip-link"
            page.keyboard.press("Enter")
            assert page.evaluate("document.activeElement.id") == "content"
            presses = 0
            while presses < 6 and page.evaluate("document.activeElement.type") != "radio":
                page.keyboard.press("Tab")
                presses += 1
            assert page.evaluate("document.activeElement.type") == "radio" and presses <= 4, presses
            questions = page.locator("fieldset[data-question]")
            questions.nth(0).locator("input[type=radio]:not([value=dk])").first.check()
            status = questions.nth(0).locator(".q-status")
            status.filter(has_text="Guardado").wait_for(timeout=15000)
            page.locator(".q-summary", has_text="Preguntas respondidas: 1 de 93").wait_for(timeout=15000)
            assert page.inner_text(".q-needed") == "Faltan 65 respuestas."
            questions.nth(1).locator("input[value=dk]").check()
            page.locator(".q-dk-text", has_text="1 respuesta «No sabe» (no cuenta)").wait_for(timeout=15000)
            assert page.inner_text(".q-needed") == "Faltan 65 respuestas."  # "don't know" did not count
            assert page.inner_text(".q-pages li[data-page='1'] .q-page-dk-n") == "1"
            assert page.inner_text(".q-global-status") == "Todas las respuestas guardadas"
            assert english_words(page.inner_html(".q-page")) == []
            screenshot(page, "questionnaire-es-progress")
        finally:
            browser.close()
