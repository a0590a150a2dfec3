"""An advisor's day, end to end, as issue 11 describes it: in a real browser (Playwright driving
Debian's chromium) against the live application, with a real SMTP server on loopback (aiosmtpd).

A Chilean chamber's advisor, whose screen is in English, creates a firm picking "Chile" and typing
the wine sector by its name; the diagnostic's language is proposed from the country (Spanish) and
its controls are all Spanish; the advisor e-mails the private link to the director, who opens it
from the e-mail, answers and finishes; the advisor is told by e-mail, finishes the diagnostic,
makes the action plan and edits two of its rows with one Save.
"""

from __future__ import annotations

import os
import re

import pytest
from django.contrib.auth.models import User

from innexport.web import services
from innexport.web.models import ActionPlan, Assessment, AssessmentStatus, Firm, Membership, Organisation, Role

from .browser import launch, screenshot
from .conftest import PASSWORD
from .mailbox import parts
from .test_browser import fill_questionnaire, log_in

playwright_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ENGLISH_CONTROLS = ("Next", "Previous", "Help", "Comment", "Saved", "PART ")


@pytest.fixture
def advisor(db) -> User:
    services.register_builtin_frameworks()
    org = Organisation.objects.create(name="Cámara de Comercio de Talca")
    user = User.objects.create_user("paula", password=PASSWORD, email="paula@camara.example.cl")
    Membership.objects.create(user=user, organisation=org, role=Role.ADVISOR, language="en")
    return user


def test_an_advisors_day_with_a_chilean_winery(live_server, browser_playwright, advisor, inbox) -> None:
    base = live_server.url
    browser = launch(browser_playwright)
    try:
        context = browser.new_context(locale="en-GB")
        page = context.new_page()
        log_in(page, base, "paula")

        # A firm: the country picked by its name, the sector typed by its (English) name
        page.goto(f"{base}/firms/new/")
        page.fill("#id_name", "Viña Los Andes")
        page.select_option("#id_country", label="Chile")
        page.fill("#id_sector", "Manufacture of wine from grape")
        page.fill("#id_contact_email", "directora@losandes.example.cl")
        page.click("form.card button[type=submit]")
        page.wait_for_selector("h1:has-text('Viña Los Andes')")
        firm = Firm.objects.get(name="Viña Los Andes")
        assert (firm.country, firm.sector) == ("CL", "11.02")
        assert "11.02" in page.inner_text("main")

        # The diagnostic's language comes from the country; its controls are Spanish
        page.click("text=New diagnostic")
        page.wait_for_selector("#id_lang")
        assert page.input_value("#id_lang") == "es"
        page.click("text=Start the questionnaire")
        page.wait_for_selector("fieldset[data-question]")
        area = page.inner_text(".q-page")
        assert "Siguiente" in area
        assert not [w for w in ENGLISH_CONTROLS if re.search(rf"\b{w}", area)], area[:500]
        assessment = Assessment.objects.get(firm=firm)
        assert assessment.lang == "es" and assessment.framework.modules == ["wine"]

        # The private link, opened and e-mailed to the director (in Spanish)
        page.click("form.q-share-form button[type=submit]")
        page.wait_for_selector("#share-url")
        assert page.input_value("#share-email") == "directora@losandes.example.cl"
        page.click("form.q-share-mail button[type=submit]")
        page.wait_for_selector("text=directora@losandes.example.cl")
        [invitation] = inbox.messages
        assert invitation["To"] == "directora@losandes.example.cl"
        link = re.search(r"https?://\S+/s/\S+/", parts(invitation)[0])
        assert link is not None
        screenshot(page, "journey-01-questionnaire-es")

        # The director opens the e-mail's link, answers every question and finishes
        director = browser.new_context()
        dpage = director.new_page()
        dpage.goto(link.group(0))
        dpage.wait_for_selector("fieldset[data-question]")
        assert dpage.locator("html").get_attribute("lang") == "es"
        dpage = fill_questionnaire(dpage, finish_selector="done")
        dpage.wait_for_url("**/done/")
        director.close()

        # The advisor is told, in the advisor's language, with a link to the diagnostic
        notice = inbox.messages[-1]
        assert notice["To"] == "paula@camara.example.cl" and len(inbox.messages) == 2
        assert f"/assessments/{assessment.pk}/" in parts(notice)[0] and "finished" in parts(notice)[0]

        # The advisor finishes the diagnostic and makes the action plan
        page.goto(f"{base}/assessments/{assessment.pk}/")
        page.click("button.q-finish")
        page.wait_for_url(f"{base}/assessments/{assessment.pk}/results/")
        assessment.refresh_from_db()
        assert assessment.status == AssessmentStatus.COMPLETED
        page.goto(f"{base}/assessments/{assessment.pk}/plan/")
        page.click("form[action$='/plan/'] button[type=submit]")
        page.wait_for_selector("#plan-form")
        plan = ActionPlan.objects.get(assessment=assessment)
        first, second = list(plan.actions.all())[:2]

        # Two rows edited, one Save
        page.fill(f"#a-{first.pk}-owner", "Ana (enóloga)")
        page.fill(f"#a-{second.pk}-owner", "Luis (exportaciones)")
        page.select_option(f"#a-{second.pk}-status", "doing")
        page.click("#plan-form button[type=submit]")
        page.wait_for_load_state("load")
        first.refresh_from_db()
        second.refresh_from_db()
        assert (first.owner, second.owner, second.status) == ("Ana (enóloga)", "Luis (exportaciones)", "doing")
        screenshot(page, "journey-02-plan")
        context.close()
    finally:
        browser.close()


@pytest.fixture(scope="module")
def browser_playwright():
    with playwright_api.sync_playwright() as p:
        yield p
