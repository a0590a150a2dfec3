"""Issue 12 end to end, in a real browser (Debian's chromium through Playwright): two respondents
answer through their own private links, the advisor validates one answer and corrects another with
an evidence file, completes the diagnostic, and the report shows where the team disagrees, the
validation and the intervals — without naming anyone."""

from __future__ import annotations

import os

import pytest
from django.urls import reverse

from innexport.rendering.i18n import translator
from innexport.web import services
from innexport.web.models import Answer, AnswerReview, Assessment, AssessmentStatus, AuditEntry, Respondent

from .browser import launch, screenshot
from .test_browser import advisor, answer_visible_questions, create_firm, log_in, wait_saved  # noqa: F401 - advisor is a fixture

playwright_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def _add_respondent(page, name: str, role: str) -> str:
    """Add a respondent on the respondents page, open their link and return it."""
    page.fill("#r-name", name)
    page.select_option("#r-role", role)
    page.click("form.grid2 button[type=submit]")
    page.click(f"tr:has-text('{name}') form:has(input[value=open]) button")
    link = page.input_value(f"tr:has-text('{name}') input.q-share-url")
    assert "/s/" in link
    return link


def _answer_everything(page, shift: int) -> None:
    """Answer every page of the questionnaire (levels varied by ``shift``) and press "I have finished"."""
    part = 0
    while True:
        answer_visible_questions(page, offset=part + shift)
        wait_saved(page)
        button = page.locator("button.q-next")
        finishing = button.get_attribute("value") == "done"
        button.click()
        page.wait_for_load_state("load")
        if finishing:
            return
        part += 1


def test_two_respondents_a_validation_with_a_file_and_the_report(live_server, advisor, tmp_path) -> None:  # noqa: F811 - the fixture
    base = live_server.url
    evidence = tmp_path / "export-plan.pdf"
    evidence.write_bytes(PDF)
    with playwright_api.sync_playwright() as playwright:
        browser = launch(playwright)
        try:
            advisor_page = browser.new_context(locale="en-GB").new_page()
            log_in(advisor_page, base, "claire")
            create_firm(advisor_page, base, "Domaine des Deux Voix")
            advisor_page.click("text=New diagnostic")
            advisor_page.click("text=Start the questionnaire")
            advisor_page.wait_for_selector("fieldset[data-question]")
            assessment = Assessment.objects.get(firm__name="Domaine des Deux Voix")
            fw = services.framework_of(assessment.framework)

            advisor_page.goto(f"{base}{reverse('assessment-respondents', args=[assessment.pk])}")
            links = {"Luis Rojas": _add_respondent(advisor_page, "Luis Rojas", "export_manager"),
                     "Ana Vidal": _add_respondent(advisor_page, "Ana Vidal", "rd_lead")}
            screenshot(advisor_page, "evidence-01-respondents")

            for shift, (name, link) in enumerate(links.items()):
                respondent = browser.new_context().new_page()  # no account, no cookie
                respondent.goto(link)
                respondent.wait_for_selector("fieldset[data-question]")
                _answer_everything(respondent, shift)
                respondent.context.close()
                person = Respondent.objects.get(name=name)
                assert person.finished_at is not None
                assert Answer.objects.filter(respondent=person).exclude(value="").count() == len(fw.observables)

            # the advisor validates the first question and corrects the second, with a file
            first = fw.observables[0].id
            levels = {o.id: [lv.code for lv in fw.scale_by_id[o.scale].levels] for o in fw.observables}
            given = {o.id: {a.value for a in Answer.objects.filter(respondent__isnull=False, question_id=o.id)}
                     for o in fw.observables}
            second, target = next((q, code) for q in levels if q != first
                                  for code in levels[q] if code not in given[q])
            advisor_page.goto(f"{base}{reverse('answer-review', args=[assessment.pk, first])}")
            advisor_page.check("input[name=state][value=validated]")
            advisor_page.fill("#review-note", "Checked with the export plan.")
            advisor_page.click("form.review-form button[type=submit]")
            advisor_page.wait_for_load_state("load")
            advisor_page.goto(f"{base}{reverse('answer-review', args=[assessment.pk, second])}")
            advisor_page.check("input[name=state][value=corrected]")
            advisor_page.select_option("form.review-form select[name=value]", target)
            advisor_page.set_input_files("#review-file", str(evidence))
            advisor_page.click("form.review-form button[type=submit]")
            advisor_page.wait_for_load_state("load")
            screenshot(advisor_page, "evidence-02-review")
            reviews = {r.question_id: r for r in AnswerReview.objects.filter(assessment=assessment)}
            assert reviews[first].state == "validated" and reviews[second].state == "corrected"
            assert reviews[second].value == target and reviews[second].evidence_name == "export-plan.pdf"
            assert AuditEntry.objects.filter(description__contains=f"corrected {second}").exists()

            # the file is served to the organisation's members only
            url = f"{base}{reverse('answer-review-evidence', args=[assessment.pk, second])}"
            response = advisor_page.request.get(url)
            assert response.status == 200 and response.body() == PDF
            anonymous = browser.new_context()
            assert anonymous.request.get(url, max_redirects=0).status in (302, 404)
            anonymous.close()

            # the advisor finishes: the result consolidates both respondents under the reviews
            advisor_page.goto(f"{base}{reverse('assessment-page', args=[assessment.pk, 1])}")
            while advisor_page.locator("button.q-next[formaction]").count() == 0:
                advisor_page.click("a.q-next, button.q-next")
                advisor_page.wait_for_load_state("load")
            advisor_page.click("button.q-next[formaction]")
            advisor_page.wait_for_url(f"{base}/assessments/{assessment.pk}/results/")
            screenshot(advisor_page, "evidence-03-results")
            assessment.refresh_from_db()
            assert assessment.status == AssessmentStatus.COMPLETED
            result = assessment.result
            assert {r["role"] for r in result["respondents"]} >= {"export_manager", "rd_lead"}
            assert result["answers"][second] == target  # the correction wins over the respondents' median
            assert result["validation"]["validated"] == 1 and result["validation"]["corrected"] == 1
            assert result["disagreement"]["questions"]
            iiep = result["indices"]["iiep"]
            assert iiep["interval"]["low"] <= iiep["value"] <= iiep["interval"]["high"]
            main = advisor_page.inner_text("main")
            assert "Luis Rojas" in main or "Ana Vidal" in main  # the advisor sees who said what

            # the report: disagreement, validation and intervals, and no one's name
            advisor_page.goto(f"{base}{reverse('assessment-report-html', args=[assessment.pk])}")
            report = advisor_page.inner_text("body")
            words = translator(assessment.lang)  # the report speaks the diagnostic's language
            assert words.t("report.section.disagreement") in report
            assert words.t("report.section.certainty") in report
            low, high = iiep["interval"]["low"], iiep["interval"]["high"]
            assert words.t("report.certainty.card", level=words.percent(0.9), low=words.num(low),
                           high=words.num(high)) in report
            assert "Claire Martin" in report  # who validated
            assert "Luis Rojas" not in report and "Ana Vidal" not in report
            screenshot(advisor_page, "evidence-04-report")
        finally:
            browser.close()
