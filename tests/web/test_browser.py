"""End to end in a real browser: Playwright driving Debian's chromium against the live application.

An advisor logs in, creates a firm, fills in a whole diagnostic (closing and reopening the page
midway), sees the results and downloads the PDF; a director fills it in through the private
link; one run in Spanish. Screenshots of the main pages are saved in ``test-artifacts/``.
"""

from __future__ import annotations

import os

import pytest
from django.contrib.auth.models import User
from django.utils import translation
from django.utils.translation import gettext

from innexport.web import services
from innexport.web.models import Answer, Assessment, AssessmentStatus, Membership, Organisation, Role

from .browser import launch, screenshot
from .conftest import PASSWORD

playwright_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")

# Playwright's sync API runs an event loop in this thread; the test's own ORM calls are safe here.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(scope="module")
def playwright():
    with playwright_api.sync_playwright() as p:
        yield p


@pytest.fixture
def browser(playwright):
    b = launch(playwright)
    yield b
    b.close()


@pytest.fixture
def advisor(db) -> User:
    services.register_builtin_frameworks()
    org = Organisation.objects.create(name="Chambre de commerce test")
    user = User.objects.create_user("claire", password=PASSWORD, first_name="Claire", last_name="Martin")
    Membership.objects.create(user=user, organisation=org, role=Role.ADVISOR, language="en")
    return user


def log_in(page, base: str, username: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/firms/")


def create_firm(page, base: str, name: str) -> None:
    page.goto(f"{base}/firms/new/")
    page.fill("#id_name", name)
    page.select_option("#id_country", label="France")  # picked by its name, stored as FR
    page.fill("#id_region", "Nouvelle-Aquitaine")
    page.fill("#id_sector", "11.02")
    page.select_option("#id_size_class", "small")
    page.click("form.card button[type=submit]")
    page.wait_for_selector(f"h1:has-text('{name}')")


def answer_visible_questions(page, offset: int = 0) -> int:
    """Click one answer for every question of the page (varied levels); returns how many."""
    questions = page.locator("fieldset[data-question]")
    n = questions.count()
    for i in range(n):
        choices = questions.nth(i).locator("input[type=radio]:not([value=dk])")
        choices.nth((i + offset) % choices.count()).check()
    return n


def wait_saved(page) -> None:
    """Autosave done: nothing left in the page's queue of answers to send."""
    page.wait_for_function(
        "() => [...document.querySelectorAll('fieldset[data-question] input[type=radio]:checked')].length > 0 && "
        "![...document.querySelectorAll('.q-status')].some(s => /…|retry/i.test(s.textContent))", timeout=15000)


def fill_questionnaire(page, *, finish_selector: str, close_midway_at: int | None = None,
                       reopen_url: str | None = None) -> None:
    part = 1
    while True:
        answer_visible_questions(page, offset=part)
        if close_midway_at == part and reopen_url:
            wait_saved(page)
            context = page.context
            page.close()  # the tab is closed without pressing "Next": autosave must have kept the answers
            page = context.new_page()
            page.goto(reopen_url)
            # resumed on the next part with unanswered questions: this part's answers are all kept
            assert page.locator("fieldset[data-question] input[type=radio]:checked").count() == 0
            part += 1
            continue
        next_button = page.locator("button.q-next")
        label = next_button.get_attribute("formaction") or next_button.get_attribute("value") or ""
        if finish_selector in label or next_button.get_attribute("value") == finish_selector:
            next_button.click()
            return page
        next_button.click()
        page.wait_for_load_state("load")
        part += 1


def test_advisor_diagnostic_end_to_end(live_server, browser, advisor) -> None:
    base = live_server.url
    context = browser.new_context(accept_downloads=True, locale="en-GB")
    page = context.new_page()
    log_in(page, base, "claire")
    screenshot(page, "01-firm-list")
    create_firm(page, base, "Domaine du Test")
    page.click("text=New diagnostic")
    page.wait_for_selector("#id_framework")
    page.select_option("#id_lang", "fr")
    screenshot(page, "02-new-diagnostic")
    page.click("text=Start the questionnaire")
    page.wait_for_selector("fieldset[data-question]")
    assessment = Assessment.objects.get(firm__name="Domaine du Test")
    fw = services.framework_of(assessment.framework)
    assert assessment.framework.modules == ["wine"]  # sector 11.02 → the wine module by default
    first = fw.dimensions[0].activities[0].observables[0]
    assert first.question["fr"].split()[0] in page.inner_text("main")  # questions in the diagnostic's language
    screenshot(page, "03-questionnaire")

    page = fill_questionnaire(page, finish_selector="complete", close_midway_at=3,
                              reopen_url=f"{base}/assessments/{assessment.pk}/")
    page.wait_for_url(f"{base}/assessments/{assessment.pk}/results/")
    assessment.refresh_from_db()
    assert assessment.status == AssessmentStatus.COMPLETED
    assert Answer.objects.filter(assessment=assessment).exclude(value="").count() == len(fw.observables)
    iiep = assessment.result["indices"]["iiep"]["value"]
    assert f"{iiep:.2f}" in page.inner_text("main") or f"{iiep:.2f}".replace(".", ",") in page.inner_text("main")
    screenshot(page, "04-results")

    with page.expect_download() as info:
        page.click("text=Download PDF")
    download = info.value
    assert download.suggested_filename.endswith(".pdf")
    with open(download.path(), "rb") as fh:
        assert fh.read(4) == b"%PDF"
    context.close()


def test_director_fills_in_through_the_private_link(live_server, browser, advisor) -> None:
    base = live_server.url
    advisor_context = browser.new_context()
    page = advisor_context.new_page()
    log_in(page, base, "claire")
    create_firm(page, base, "Viña del Enlace")
    page.click("text=New diagnostic")
    page.select_option("#id_lang", "es")
    page.click("text=Start the questionnaire")
    page.wait_for_selector("fieldset[data-question]")
    page.click("form.q-share-form button[type=submit]")
    page.wait_for_selector("#share-url")
    link = page.input_value("#share-url")
    assert "/s/" in link
    advisor_context.close()

    director = browser.new_context()  # no account, no cookie
    page = director.new_page()
    page.goto(link)
    page.wait_for_selector("fieldset[data-question]")
    assert page.locator("html").get_attribute("lang") == "es"
    screenshot(page, "05-director-link")
    page = fill_questionnaire(page, finish_selector="done")
    page.wait_for_url("**/done/")
    screenshot(page, "06-director-done")
    assessment = Assessment.objects.get(firm__name="Viña del Enlace")
    answers = Answer.objects.filter(assessment=assessment).exclude(value="")
    assert answers.count() == len(services.framework_of(assessment.framework).observables)
    assert all(a.via_share_link for a in answers)
    director.close()


def test_interface_in_spanish(live_server, browser, advisor) -> None:
    base = live_server.url
    context = browser.new_context()
    page = context.new_page()
    log_in(page, base, "claire")
    with page.expect_navigation():
        page.select_option("select[name=language]", "es")  # the switcher submits itself
    with translation.override("es"):
        firms, new_firm = gettext("Firms"), gettext("New firm")
    assert page.locator("html").get_attribute("lang") == "es"
    assert firms in page.inner_text("header") and new_firm in page.inner_text("main")
    assert Membership.objects.get(user=advisor).language == "es"
    screenshot(page, "07-firm-list-es")
    context.close()
